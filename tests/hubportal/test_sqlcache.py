"""hubportal.sqlcache: the dashboard's SQL compiled once per person and day, its rows always read live."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal import sqlcache
from hubportal.models import HubMembership
from hubportal.testing import sign_in_staff
from intake import selectors, services
from intake.models import Inquiry
from tests.factories import DraftFactory, HubFactory, UserFactory

# A Tuesday, clear of bank holidays, so "due soon" (two working days) is the same whatever the runner's date.
TUESDAY = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def _submit(hub, **fields):
    draft = DraftFactory(hub=hub, **fields)
    return services.inquiry_submit(inquiry=draft, by=draft.submitter)


def _dashboards():
    return [key for key in sqlcache._cache.keys() if key[0] == "dashboard"]


def _cards(response):
    return {q["key"]: (q["count"], [i.reference for i in q["items"]]) for q in response.context["queues"]}


def _orm_cards(hub, user, today):
    return {key: (min(queue.rows(hub, user, today).count(), selectors.DASHBOARD_COUNT_CAP),
                  [i.reference for i in queue.rows(hub, user, today)[:selectors.DASHBOARD_ITEMS]])
            for key, queue in selectors.QUEUES.items()}


@pytest.mark.django_db
def test_the_dashboard_from_kept_sql_shows_what_the_orm_would_every_time(lead_client, hub, hub_lead):
    with time_machine.travel(TUESDAY, tick=False):
        inquiries = [_submit(hub) for _ in range(7)]
        with CaptureQueriesContext(connection) as first_queries:
            first = lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug]))
        assert _cards(first) == _orm_cards(hub, hub_lead, dt.date(2026, 3, 10))
        # The data changes; the kept SQL reads it live.
        Inquiry.objects.filter(pk=inquiries[0].pk).update(assignee=hub_lead)
        Inquiry.objects.filter(pk=inquiries[1].pk).update(parked_until=dt.date(2026, 4, 1))
        _submit(hub)
        with CaptureQueriesContext(connection) as queries:
            again = lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug]))
        kept = len(_dashboards()), sqlcache._cache.hits
        sqlcache.clear()
        with CaptureQueriesContext(connection) as compiled_afresh:
            lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug]))
    assert _cards(again) == _orm_cards(hub, hub_lead, dt.date(2026, 3, 10))
    assert _cards(again)["mine"] == (1, [inquiries[0].reference])
    assert _cards(again)["parked"] == (1, [inquiries[1].reference])
    assert _cards(again)["new"][0] == 6
    # The second view compiled nothing new (one entry kept, used again), and ran the very statements a
    # fresh compile does.
    assert kept[0] == 1 and kept[1] >= 1
    assert [q["sql"] for q in queries.captured_queries] == [q["sql"] for q in compiled_afresh.captured_queries]
    assert len(first_queries.captured_queries) == len(queries.captured_queries) - 1  # + the assignee now


@pytest.mark.django_db
def test_each_person_gets_their_own_assigned_to_me(client, hub, hub_lead):
    colleague = UserFactory(full_name="Priya Shah")
    HubMembership.objects.create(hub=hub, user=colleague, role=HubMembership.Role.MEMBER)
    with time_machine.travel(TUESDAY, tick=False):
        mine = _submit(hub)
        theirs = _submit(hub)
        Inquiry.objects.filter(pk=mine.pk).update(assignee=hub_lead)
        Inquiry.objects.filter(pk=theirs.pk).update(assignee=colleague)
        url = reverse("intake:staff_dashboard", args=[hub.slug])
        lead_view = _cards(sign_in_staff(client, hub_lead).get(url))
        colleague_view = _cards(sign_in_staff(client, colleague).get(url))
    assert lead_view["mine"] == (1, [mine.reference])
    assert colleague_view["mine"] == (1, [theirs.reference])
    assert len(_dashboards()) == 2  # one kept per person


@pytest.mark.django_db
def test_the_next_day_compiles_the_days_own_sql(client, hub, hub_lead):
    with time_machine.travel(TUESDAY, tick=False):
        due = _submit(hub)
    Inquiry.objects.filter(pk=due.pk).update(triage_due_on=dt.date(2026, 3, 11))
    url = reverse("intake:staff_dashboard", args=[hub.slug])
    with time_machine.travel(TUESDAY, tick=False):
        tuesday = _cards(sign_in_staff(client, hub_lead).get(url))
    with time_machine.travel(TUESDAY + dt.timedelta(days=2), tick=False):  # signed in afresh that morning
        thursday = _cards(sign_in_staff(Client(), hub_lead).get(url))
    assert tuesday["due_soon"] == (1, [due.reference]) and tuesday["overdue"] == (0, [])
    assert thursday["due_soon"] == (0, []) and thursday["overdue"] == (1, [due.reference])
    assert thursday == _orm_cards(hub, hub_lead, dt.date(2026, 3, 12))
    assert len(_dashboards()) == 2  # one kept per day


def test_the_cache_keeps_the_most_recent_entries_only():
    lru = sqlcache._LRU(3)
    made = []
    for key in ["a", "b", "c", "a", "d"]:  # "a" used again, so "b" is the oldest when "d" comes
        lru.get(key, lambda key=key: made.append(key) or key.upper())
    assert made == ["a", "b", "c", "d"]
    assert len(lru) == 3
    assert lru.get("b", lambda: "made again") == "made again"
    assert (lru.hits, lru.misses) == (1, 5)


@pytest.mark.django_db
def test_kept_rows_are_the_models_the_queryset_gives_with_their_joins_annotations_and_converters(hub, hub_lead):
    from django.db.models import Value

    with time_machine.travel(TUESDAY, tick=False):
        inquiry = _submit(hub, title="Virtual wards")
    Inquiry.objects.filter(pk=inquiry.pk).update(assignee=hub_lead)

    def rows():
        return (selectors.hub_inquiries(hub).select_related("hub", "assignee")
                .annotate(label=Value("kept")).order_by("pk"))

    [expected] = list(rows())
    statement = sqlcache.compile_rows(rows())
    with CaptureQueriesContext(connection) as queries:
        [kept] = statement.models()
        assert (kept.hub.name, kept.assignee.full_name, kept.label) == (hub.name, hub_lead.full_name, "kept")
    assert len(queries.captured_queries) == 1  # the joins' models came with the row
    assert kept.submitted_at == expected.submitted_at == TUESDAY  # aware, on SQLite too (its converters)
    assert kept.themes == expected.themes and kept.triage_due_on == expected.triage_due_on
    assert {f.attname: getattr(kept, f.attname) for f in Inquiry._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Inquiry._meta.concrete_fields}


@pytest.mark.django_db
def test_compile_rows_refuses_what_it_cannot_keep(hub):
    with pytest.raises(ValueError, match="prefetch_related"):
        sqlcache.compile_rows(selectors.hub_inquiries(hub).prefetch_related("attachments"))
    with pytest.raises(ValueError, match="prefetch_related"):
        sqlcache.compile_rows(selectors.hub_inquiries(hub).values("pk"))


@pytest.mark.django_db
def test_a_membership_removed_is_no_longer_honoured_though_its_sql_is_kept(lead_client, hub, hub_lead):
    url = reverse("intake:staff_dashboard", args=[hub.slug])
    assert lead_client.get(url).status_code == 200
    assert any(key[0] == "membership_for" for key in sqlcache._cache.keys())
    HubMembership.objects.filter(user=hub_lead, hub=hub).delete()
    HubMembership.objects.create(user=hub_lead, hub=HubFactory(slug="elsewhere"), role=HubMembership.Role.LEAD)
    assert lead_client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_case_page_from_kept_sql_shows_what_was_added_since_and_never_another_hubs(lead_client, hub, other_hub):
    from intake.models import InquiryNote

    ours = _submit(hub, title="Virtual wards")
    theirs = _submit(other_hub, title="Theirs")
    url = reverse("intake:staff_inquiry", args=[hub.slug, ours.reference])
    assert "Spoke to the ward manager" not in lead_client.get(url).content.decode()
    InquiryNote.objects.create(inquiry=ours, author=ours.submitter, body="Spoke to the ward manager")
    assert "Spoke to the ward manager" in lead_client.get(url).content.decode()
    # Another hub's reference in our hub's address: 404, whatever was kept for our own.
    assert lead_client.get(reverse("intake:staff_inquiry", args=[hub.slug, theirs.reference])).status_code == 404
