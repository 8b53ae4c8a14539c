"""The value report as a PDF for a board pack: our own HTML and SVG charts, rendered by WeasyPrint.

WeasyPrint needs Pango and HarfBuzz from the system (.ci/run and the Dockerfile install them); it is
imported here, not at start-up, so a web process without them still serves everything else.
"""

from __future__ import annotations

import logging

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .report import ValueReport

# WeasyPrint reports each layout step at INFO; a report a second would fill the log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def value_report_pdf(report: ValueReport, **extra) -> bytes:
    """The PDF bytes of `report` (its figures, charts and narrative; never fetches anything remote)."""
    from weasyprint import CSS, HTML

    from .report_views import _context

    html = render_to_string("adoption/value_report_pdf.html", _context(report, **extra))
    stylesheet = CSS(filename=finders.find("css/value_report_pdf.css"))

    def no_fetching(url, *args, **kwargs):
        # Everything the report needs is inline; a URL in the HTML is never fetched (no SSRF, no waiting).
        raise ValueError(f"The value report PDF fetches nothing: {url}")

    return HTML(string=html, url_fetcher=no_fetching).write_pdf(stylesheets=[stylesheet])
