"""Counts on the dashboard and the list stop at a cap, so their cost does not grow with the hub."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.paging import CappedCount, CappedPaginator, capped_count, capped_counts
from intake import selectors, services
from intake.models import Inquiry
from tests.factories import DraftFactory


def _submit(draft):
    return services.inquiry_submit(inquiry=draft, by=draft.submitter)


def submit_many(hub, n):
    return [_submit(DraftFactory(hub=hub)) for _ in range(n)]


@pytest.mark.django_db
def test_capped_count_counts_exactly_up_to_the_cap_and_says_when_it_stopped(hub):
    submit_many(hub, 4)
    rows = selectors.hub_inquiries(hub)
    assert capped_count(rows, cap=10) == 4
    assert capped_count(rows, cap=3) == 4  # cap + 1: "more than 3"
    exact, capped = CappedCount(capped_count(rows, 10), 10), CappedCount(capped_count(rows, 3), 3)
    assert (exact, exact.capped) == (4, False)
    assert (capped, capped.capped) == (3, True)


@pytest.mark.django_db
def test_the_list_says_more_than_the_cap_and_pages_up_to_it(lead_client, hub, monkeypatch):
    submit_many(hub, 7)
    monkeypatch.setattr(CappedPaginator, "cap", 5)
    monkeypatch.setattr("intake.staff_views.PAGE_SIZE", 2)
    response = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]))
    assert "<strong>More than 5</strong> inquiries" in response.content.decode()
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.count.capped, page.paginator.num_pages) == (5, True, 3)


@pytest.mark.django_db
def test_the_list_gives_an_exact_count_under_the_cap(lead_client, hub):
    submit_many(hub, 3)
    response = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]))
    assert "<strong>3</strong> inquiries" in response.content.decode()


@pytest.mark.django_db
def test_a_dashboard_card_says_more_than_its_cap(lead_client, hub, monkeypatch):
    submit_many(hub, 4)
    monkeypatch.setattr(selectors, "DASHBOARD_COUNT_CAP", 3)
    response = lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug]))
    new = next(q for q in response.context["queues"] if q["key"] == "new")
    assert (new["count"], new["count"].capped) == (3, True)
    page = response.content.decode()
    assert "New and unassigned: more than 3</h2>" in page
    assert "See all (more than 3)<span" in page
    assert Inquiry.objects.filter(hub=hub).count() == 4




@pytest.mark.django_db
def test_the_capped_count_selects_only_the_key_not_the_lists_annotations(hub, hub_lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submit_many(hub, 3)
    rows = selectors.inquiry_filter(hub=hub, user=hub_lead, filters={"status": ["submitted"], "sort": "due"})
    with CaptureQueriesContext(connection) as queries:
        assert capped_count(rows, cap=10) == 3
    [count] = queries.captured_queries
    # The checklist score (a subquery per row) and the assignee's join are the list's, not the count's.
    assert "intake_assessment" not in count["sql"] and "hubportal_user" not in count["sql"]


@pytest.mark.django_db
def test_capped_counts_gives_each_sets_capped_count_in_one_query(hub, other_hub, django_assert_num_queries):
    submit_many(hub, 4)
    submit_many(other_hub, 1)
    sets = [selectors.hub_inquiries(hub), selectors.hub_inquiries(other_hub),
            selectors.hub_inquiries(hub).filter(title="nothing has this title")]
    with django_assert_num_queries(1):
        assert capped_counts(sets, cap=3) == [4, 1, 0]  # 4 is cap + 1: "more than 3"
    assert capped_counts(sets, cap=10) == [capped_count(rows, 10) for rows in sets]
    assert capped_counts([]) == []


@pytest.mark.django_db
def test_the_dashboard_counts_every_card_in_one_query(lead_client, hub):
    submit_many(hub, 3)
    with CaptureQueriesContext(connection) as queries:
        response = lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug]))
    counting = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"] and "intake_inquiry" in q["sql"]]
    assert len(counting) == 1 and counting[0].count("COUNT(*)") == len(selectors.QUEUES)
    new = next(q for q in response.context["queues"] if q["key"] == "new")
    assert new["count"] == 3 and [i.reference for i in new["items"]] == [
        i.reference for i in selectors.inquiry_queue(hub=hub, user=None, key="new")[:5]]
