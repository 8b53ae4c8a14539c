"""The benchmark's measuring function, on a small SQLite data set: it must time every page it
promises and report what each answered (the real figures come from `make bench` on PostgreSQL)."""

import pytest
from django.core.management import CommandError, call_command

from devtools.management.commands.bench import bench_pages, format_table, format_targets
from devtools.management.commands.seed_demo import seed_demo

PAGES = ["Dashboard home", "Filtered list", "Search", "Detail page", "CSV export", "Metrics page", "Value report",
         "Value report PDF"]


@pytest.mark.django_db
def test_it_times_every_page_for_a_signed_in_hub_lead_and_counts_its_queries(hub, hub_lead):
    seed_demo(inquiries=80, hub_code=hub.code, seed=2)

    results = bench_pages(hub=hub, user=hub_lead, repeats=3, export_rows=25)

    assert [page.name for page in results] == PAGES
    for page in results:
        assert (page.name, page.error, page.status) == (page.name, "", 200)
        assert len(page.timings_ms) == 3 and all(ms > 0 for ms in page.timings_ms)
        assert 0 < page.median_ms <= page.p95_ms == max(page.timings_ms)
        assert page.queries > 0
    urls = {page.name: page.url for page in results}
    assert urls["Filtered list"] == "/staff/dorset/inquiries/?status=submitted&kind_of_help=new_idea&sort=due"
    assert urls["Search"] == "/staff/dorset/inquiries/?q=remote+monitoring"
    assert urls["Detail page"].startswith("/staff/dorset/inquiries/DOR-")
    assert urls["CSV export"].startswith("/staff/dorset/inquiries/export.csv?submitted_from=")
    # Everything sent since the day of the 25th newest: at least 25 rows, and not the whole hub.
    assert 25 <= results[4].rows < 80

    table = format_table(results)
    assert table.splitlines()[0].split() == ["page", "median", "ms", "p95", "ms", "queries", "status", "notes"]
    assert all(name in table for name in PAGES)
    assert urls["Value report"].startswith("/staff/dorset/value-report/?from=")
    assert urls["Value report PDF"].startswith("/staff/dorset/value-report.pdf?from=")
    targets = format_targets(results)
    assert targets.startswith("Dashboard, list, search and detail medians under 50 ms: ")
    assert "Value report page under 300 ms: " in targets and "Value report PDF under 3 s: " in targets


@pytest.mark.django_db
def test_a_page_that_fails_is_reported_in_the_table_and_the_others_still_run(hub, hub_lead, monkeypatch):
    from intake import metrics_views

    def broken(**kwargs):
        raise RuntimeError("metrics are broken")

    seed_demo(inquiries=10, hub_code=hub.code, seed=2)
    monkeypatch.setattr(metrics_views, "hub_metrics", broken)
    results = bench_pages(hub=hub, user=hub_lead, repeats=1, export_rows=5)

    metrics = results[5]
    assert (metrics.name, metrics.error, metrics.timings_ms) == ("Metrics page", "RuntimeError: metrics are broken", [])
    assert [page.status for page in results[:5] + results[6:]] == [200] * 7
    assert "Metrics page (failed)" in format_targets(results)


def test_it_refuses_a_database_that_is_not_postgresql():
    with pytest.raises(CommandError, match="needs PostgreSQL, not sqlite"):
        call_command("bench", database_url="sqlite:///tmp/bench.sqlite3")


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
