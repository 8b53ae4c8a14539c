"""Jinja2 for the partials a staff page renders dozens of times (issue 13).

A 25-row list or a filter with a hundred options costs Django's template engine about 20 µs a node;
Jinja2 compiles a template to Python and renders the same rows several times faster. So those few
partials (templates/jinja2/) are Jinja2, rendered from a Django template by `{% jinja %}`
(hubportal/templatetags/jinja_partials.py); every page, form and email stays a Django template.

The environment escapes like Django's engine (autoescape on; Django's SafeString is `__html__`, so a
value Django marked safe stays unescaped, and nothing else is), and fails on a name that is not in the
context (StrictUndefined), so a typo is an error in the tests, not an empty cell.
"""

from django.template import engines
from django.template.defaultfilters import urlencode
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # Django's own; not in django-stubs
from jinja2 import Environment, StrictUndefined

from intake.staff_nav import hub_nav_links
from intake.templatetags.counts import how_many
from intake.templatetags.nhs_dates import short_date
from intake.templatetags.status_tags import status_colour


def _local_short_date(value):
    """`short_date` as Django's engine calls it (expects_localtime): an aware date-time in London time."""
    return short_date(template_localtime(value))


def _day_month(value):
    """Django's `date:"j M"` ("3 Mar")."""
    return f"{value.day} {MONTHS_3[value.month].title()}" if value else ""


def environment(**options):
    # Always escaping, whatever the settings say (Django's backend defaults to it; this makes it so).
    options.update(undefined=StrictUndefined)
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.filters.update({
        "short_date": _local_short_date, "urlencode": urlencode, "status_colour": status_colour,
        "how_many": how_many, "day_month": _day_month,
    })
    env.globals["hub_nav_links"] = hub_nav_links
    return env


def render_partial(template_name: str, context: dict) -> SafeString:
    """A Jinja2 partial's HTML, safe to place in a Django template (the partial escaped its values)."""
    template = engines["jinja2"].get_template(template_name).template  # type: ignore[attr-defined]
    return mark_safe(template.render(context))  # noqa: S308 - Jinja2 autoescaped every value
