"""A search ranked by relevance gets its count with the page's keys, not from a second read of every
match (issue 13: KeysFirstPaginator)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.paging import KeysFirstPaginator
from intake import services
from tests.factories import DraftFactory

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="ranked full-text search is PostgreSQL's")]


def send(hub, title):
    draft = DraftFactory(hub=hub, title=title)
    return services.inquiry_submit(inquiry=draft, by=draft.submitter)


def search(client, hub, **params):
    return client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]), {"q": "telehealth", **params})


@pytest.fixture
def matches(hub, other_hub, monkeypatch):
    monkeypatch.setattr("intake.staff_views.PAGE_SIZE", 3)
    found = [send(hub, f"Telehealth pilot {n}") for n in range(5)]
    best = send(hub, "Telehealth telehealth telehealth for heart failure")  # ranked first
    send(hub, "Falls sensors")
    send(other_hub, "Telehealth pilot elsewhere")
    return [best, *found]


def test_the_pages_of_a_search_hold_every_match_once_with_the_count_and_no_count_query(lead_client, hub, matches):
    with CaptureQueriesContext(connection) as queries:
        first = search(lead_client, hub)
    sql = [q["sql"] for q in queries.captured_queries]  # read now: the next request empties Django's query log
    second = search(lead_client, hub, page=2)
    assert isinstance(first.context["page"].paginator, KeysFirstPaginator)
    assert "<strong>6</strong> inquiries" in first.content.decode()
    on_first = [i.reference for i in first.context["page"].object_list]
    on_second = [i.reference for i in second.context["page"].object_list]
    assert on_first[0] == matches[0].reference
    assert sorted(on_first + on_second) == sorted(i.reference for i in matches)
    assert (first.context["page"].has_next(), second.context["page"].has_next()) == (True, False)
    assert [q for q in sql if q.startswith("SELECT COUNT(*)")] == []
    windows = [q for q in sql if "COUNT(" in q and " OVER (ORDER BY ts_rank(" in q]
    assert len(windows) == 1 and "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING" in windows[0]


def test_the_pages_rows_keep_the_ranked_order(lead_client, hub, matches):
    page = search(lead_client, hub).context["page"]
    ranks = [row.rank for row in page.object_list]
    assert ranks == sorted(ranks, reverse=True)
    assert all(row.hub_id == hub.pk for row in page.object_list)


def test_a_page_past_the_last_shows_the_last_and_a_page_that_is_not_a_number_the_first(lead_client, hub, matches):
    past = search(lead_client, hub, page=9).context["page"]
    assert (past.number, len(past.object_list)) == (2, 3)
    assert search(lead_client, hub, page="two").context["page"].number == 1
    assert search(lead_client, hub, page=0).context["page"].number == 2  # as Paginator.get_page: the last


def test_a_search_past_the_cap_says_more_than_and_pages_only_up_to_it(lead_client, hub, matches, monkeypatch):
    monkeypatch.setattr(KeysFirstPaginator, "cap", 4)
    response = search(lead_client, hub, page=3)
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.count.capped, page.paginator.num_pages, page.number) == (4, True, 2, 2)
    assert "<strong>More than 4</strong> inquiries" in response.content.decode()


def test_a_search_that_finds_nothing_says_0(lead_client, hub, matches):
    response = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]), {"q": "xylophone"})
    assert list(response.context["page"].object_list) == []
    assert "<strong>0</strong> inquiries" in response.content.decode()


def test_a_sorted_search_is_paged_by_the_capped_count(lead_client, hub, matches):
    page = search(lead_client, hub, sort="newest").context["page"]
    assert not isinstance(page.paginator, KeysFirstPaginator)
    assert page.paginator.count == 6
