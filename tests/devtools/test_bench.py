"""The benchmark command around the measurements (tests/devtools/test_bench_pages.py has those): a page
that fails is reported, only PostgreSQL is measured, and the digest run leaves nothing behind."""

import pytest
from django.core.management import CommandError, call_command

from devtools.bench_pages import (
    PAGES,
    bench_line,
    format_table,
    measure_inprocess,
    parse_bench_line,
)
from devtools.management.commands.seed_demo import seed_demo


@pytest.mark.django_db
def test_a_page_that_fails_is_reported_in_the_table_and_its_line_and_the_others_still_run(hub, hub_lead,
                                                                                          monkeypatch):
    from intake import metrics_views

    def broken(**kwargs):
        raise RuntimeError("metrics are broken")

    seed_demo(inquiries=10, hub_code=hub.code, seed=2)
    monkeypatch.setattr(metrics_views, "hub_metrics", broken)
    results = measure_inprocess(hub=hub, user=hub_lead, repeats=1, export_repeats=1, export_rows=5)

    metrics = results[PAGES.index("metrics")]
    assert (metrics.page, metrics.error, metrics.timings_ms) == ("metrics", "RuntimeError: metrics are broken", [])
    assert parse_bench_line(bench_line(metrics, inquiries=10, hubs=1))["status"] == "error"
    assert [r.status for r in results if r.page != "metrics"] == [200] * (len(PAGES) - 1)
    assert "RuntimeError: metrics are broken" in format_table(results)


def test_it_refuses_a_database_that_is_not_postgresql():
    with pytest.raises(CommandError, match="needs PostgreSQL, not sqlite"):
        call_command("bench", database_url="sqlite:///tmp/bench.sqlite3")


def test_it_refuses_more_than_a_million_inquiries_and_unknown_pages():
    with pytest.raises(CommandError, match="between 1 and 1,000,000"):
        call_command("bench", inquiries=1_000_001)
    with pytest.raises(CommandError, match="Unknown pages: everything"):
        call_command("bench", pages="dashboard,everything")


@pytest.mark.django_db
def test_the_digest_benchmark_measures_a_run_and_leaves_nothing_behind(hub, hub_lead):
    import datetime as dt

    from django.utils import timezone

    from devtools.bench_digests import bench_digests
    from hubportal.models import HubMembership, OutboundEmail
    from partners.models import PartnerContact
    from tests.factories import SubmittedFactory
    from tests.partners.factories import PartnerFactory

    PartnerFactory(hubs=[hub])
    SubmittedFactory(hub=hub, submitted_at=timezone.now() - dt.timedelta(days=2))  # news for this week
    figures = bench_digests(staff=20, partner_contacts=4)
    assert figures["staff"] == 20 and figures["contacts"] == 4
    assert figures["recipients"] == 25  # the 20, the 4 and the existing lead: all have something to read
    assert 0 < figures["queries_per_recipient"] <= 6
    assert figures["send_seconds"] > 0
    assert HubMembership.objects.count() == 1 and PartnerContact.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
