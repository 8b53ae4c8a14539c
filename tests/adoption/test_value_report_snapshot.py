"""The value report's pages use figures at most VALUE_REPORT_MAX_AGE_MINUTES old, say when they were worked
out, and work them out again on request (issue 13: a materialised summary whose staleness is shown and
bounded). The figures from a snapshot are the figures worked out now, to the last row."""

import csv
import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adoption.models import BenefitLine, Case, ValueReportSnapshot
from adoption.report import (
    _decode,
    _encode,
    _Figures,
    _hubs_key,
    value_report,
    value_report_figures,
    value_report_rows,
)
from hubportal.testing import sign_in_staff
from tests.adoption.test_value_report import FROM, TO, seeded_dorset  # noqa: F401 (a fixture)

NOW = timezone.now()


def _rows(hub, **kwargs):
    return value_report_rows(value_report(hubs=[hub], date_from=FROM, date_to=TO, **kwargs))


def test_every_kind_of_figure_survives_its_json_encoding():
    from collections import Counter

    figures = {"d": Decimal("12.50"), "t": dt.timedelta(days=3, seconds=5, microseconds=7), "day": dt.date(2026, 2, 28),
               "at": dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC), "pairs": {(1, 2): {"days": Counter({3: 4})}},
               "rows": [{"hub_id": 1, "average": None, "n": 2.5, "name": "Wessex"}], "flag": True}
    assert _decode(_encode(figures)) == figures
    assert type(_decode(_encode(Counter({1: 2})))) is Counter
    with pytest.raises(TypeError):
        _encode(object())


@pytest.mark.django_db
def test_a_snapshots_report_is_the_live_report_to_the_last_figure(seeded_dorset):  # noqa: F811
    hub, _, _ = seeded_dorset
    live = _rows(hub)
    value_report_figures(hubs=[hub], date_from=FROM, date_to=TO)  # keeps a snapshot
    with CaptureQueriesContext(connection) as queries:
        kept = value_report_figures(hubs=[hub], date_from=FROM, date_to=TO)
    assert len(queries) == 2  # the snapshot and the narratives, whatever the data
    assert value_report_rows(value_report(hubs=[hub], date_from=FROM, date_to=TO, figures=kept)) == live
    assert [name for name in _Figures.KEPT if getattr(kept, name) is None] == []


@pytest.mark.django_db
def test_the_page_says_when_its_figures_were_worked_out_and_keeps_them_no_longer_than_the_limit(
        seeded_dorset, settings):  # noqa: F811
    hub, lead, _ = seeded_dorset
    settings.VALUE_REPORT_MAX_AGE_MINUTES = 10
    client = sign_in_staff(Client(), lead)
    url = f"/staff/{hub.slug}/value-report/?from={FROM}&to={TO}"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = client.get(url)
        page = first.content.decode()
        assert f"Figures worked out at {timezone.localtime():%H:%M}" in page
        assert "They are kept for up to 10 minutes" in page and "fresh=1" in page
        before = first.context["report"].total.section("benefits").rows
        # A change the snapshot does not hold yet: a benefit line with an actual in the period.
        case = Case.objects.filter(hub=hub, follow_ups__actuals__isnull=False).first()
        line = BenefitLine.objects.filter(case=case).first()
        BenefitLine.objects.filter(pk=line.pk).update(baseline=line.baseline + 1000)
        clock.shift(dt.timedelta(minutes=9))
        assert client.get(url).context["report"].total.section("benefits").rows == before  # kept, and says so
        fresh = client.get(url + "&fresh=1").context["report"].total.section("benefits").rows
        assert fresh != before  # asked for: worked out again
        assert ValueReportSnapshot.objects.get().computed_at == timezone.now()
        clock.shift(dt.timedelta(minutes=11))
        BenefitLine.objects.filter(pk=line.pk).update(baseline=line.baseline)
        assert client.get(url).context["report"].total.section("benefits").rows == before  # past the limit: now


@pytest.mark.django_db
def test_a_snapshot_of_another_day_or_with_the_limit_at_zero_is_never_used(seeded_dorset, settings):  # noqa: F811
    hub, _, _ = seeded_dorset
    value_report_figures(hubs=[hub], date_from=FROM, date_to=TO)
    ValueReportSnapshot.objects.update(computed_on=timezone.localdate() - dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        value_report_figures(hubs=[hub], date_from=FROM, date_to=TO)
    assert len(queries) > 5  # worked out again
    assert list(ValueReportSnapshot.objects.values_list("computed_on", flat=True)) == [timezone.localdate()]
    settings.VALUE_REPORT_MAX_AGE_MINUTES = 0
    ValueReportSnapshot.objects.all().delete()
    value_report_figures(hubs=[hub], date_from=FROM, date_to=TO)
    assert not ValueReportSnapshot.objects.exists()


@pytest.mark.django_db
def test_the_pdf_and_the_csv_use_the_pages_figures(seeded_dorset):  # noqa: F811
    hub, lead, member = seeded_dorset
    client = sign_in_staff(Client(), member)
    client.get(f"/staff/{hub.slug}/value-report/?from={FROM}&to={TO}")
    case = Case.objects.filter(hub=hub, follow_ups__actuals__isnull=False).first()
    line = BenefitLine.objects.filter(case=case).first()
    kept = _rows(hub, figures=value_report_figures(hubs=[hub], date_from=FROM, date_to=TO))
    BenefitLine.objects.filter(pk=line.pk).update(baseline=line.baseline + 1000)
    csv_text = client.get(f"/staff/{hub.slug}/value-report.csv?from={FROM}&to={TO}").content.decode()
    assert _rows(hub) != kept  # the live figures moved; the download kept the page's
    assert list(csv.reader(io.StringIO(csv_text)))[1:] == [[c, s, r, col, "" if v is None else str(v)]
                                                          for c, s, r, col, v in kept]


@pytest.mark.django_db
def test_a_snapshot_this_code_cannot_read_is_worked_out_again_not_a_failure(seeded_dorset):  # noqa: F811
    hub, _, _ = seeded_dorset
    live = _rows(hub)
    value_report_figures(hubs=[hub], date_from=FROM, date_to=TO)
    snapshot = ValueReportSnapshot.objects.get()
    for stored in ({**snapshot.figures, "added_later": 1}, {"funnel": {"$": "unknown", "v": 1}}, ["not", "a", "dict"],
                   {**snapshot.figures, "funnel": {"$": "decimal", "v": "not a number"}}):
        ValueReportSnapshot.objects.filter(pk=snapshot.pk).update(figures=stored)
        figures = value_report_figures(hubs=[hub], date_from=FROM, date_to=TO)
        assert value_report_rows(value_report(hubs=[hub], date_from=FROM, date_to=TO, figures=figures)) == live


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once need PostgreSQL's row locks")
def test_two_requests_keeping_the_same_snapshot_at_once_both_show_their_figures(seeded_dorset, settings):  # noqa: F811
    """The second writer's INSERT waits on the first's uncommitted row and fails on the unique key once the
    first commits; Django's update_or_create then reads the first's row and updates it. The request shows
    the figures it worked out, and the row holds them: the later of two fresh sets of figures."""
    hub, _, _ = seeded_dorset
    settings.VALUE_REPORT_MAX_AGE_MINUTES = 10
    key = {"hubs_key": _hubs_key([hub]), "date_from": FROM, "date_to": TO}
    live = _rows(hub)
    inserted, release, outcome = threading.Event(), threading.Event(), {}

    def first_request():
        try:
            with transaction.atomic():
                ValueReportSnapshot.objects.create(**key, computed_on=timezone.localdate(),
                                                   computed_at=timezone.now(), figures={"kept": "first"})
                inserted.set()
                release.wait(30)
        finally:
            connections.close_all()

    def second_request():
        try:
            outcome["figures"] = value_report_figures(hubs=[hub], date_from=FROM, date_to=TO, fresh=True)
        except Exception as error:  # noqa: BLE001 (the assertion below names it)
            outcome["error"] = error
        finally:
            connections.close_all()

    first = threading.Thread(target=first_request)
    first.start()
    assert inserted.wait(30)
    second = threading.Thread(target=second_request)
    second.start()
    waited = False
    with connection.cursor() as cursor:
        for _ in range(300):  # until the second request's INSERT waits on the first's row: at most 30 s
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND query LIKE 'INSERT INTO \"adoption_valuereportsnapshot\"%%'")
            if cursor.fetchone()[0]:
                waited = True
                break
            second.join(0.1)
    release.set()
    first.join(30)
    second.join(30)
    assert waited, "the second request never waited on the first's row"
    assert "error" not in outcome, outcome.get("error")
    assert value_report_rows(value_report(hubs=[hub], date_from=FROM, date_to=TO,
                                          figures=outcome["figures"])) == live
    kept = ValueReportSnapshot.objects.filter(**key).values_list("figures", flat=True)
    assert len(kept) == 1 and kept[0] != {"kept": "first"}
    assert value_report_rows(value_report(hubs=[hub], date_from=FROM, date_to=TO,
                                          figures=value_report_figures(hubs=[hub], date_from=FROM, date_to=TO))) == live
