"""A search is ranked by relevance up to search.RANK_CAP matches and listed newest first past it, each
counted no further than the cap (issue 13: what a search costs is bounded whatever the hub's size)."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hubportal import sqlcache
from hubportal.paging import COUNT_CAP
from intake import search as search_module
from intake import selectors, services
from tests.factories import DraftFactory

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="ranked full-text search is PostgreSQL's")]


def send(hub, title, day):
    with time_machine.travel(timezone.make_aware(dt.datetime(2026, 3, day, 10)), tick=False):
        draft = DraftFactory(hub=hub, title=title)
        return services.inquiry_submit(inquiry=draft, by=draft.submitter)


def search(client, hub, **params):
    return client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]), {"q": "telehealth", **params})


NEWEST_FIRST = "so they are listed newest first"


def by_newest(inquiries):
    return sorted(inquiries, key=lambda i: (i.submitted_at, i.pk), reverse=True)


@pytest.fixture
def matches(hub, other_hub, monkeypatch):
    monkeypatch.setattr("intake.staff_views.PAGE_SIZE", 3)
    best = send(hub, "Telehealth telehealth telehealth for heart failure", 1)  # ranked first, sent first
    found = [send(hub, f"Telehealth pilot {n}", 2 + n) for n in range(5)]
    send(hub, "Falls sensors", 9)
    send(other_hub, "Telehealth pilot elsewhere", 10)
    return [best, *found]


def test_a_search_within_the_cap_is_ranked_and_paged_with_an_exact_count(lead_client, hub, matches):
    with CaptureQueriesContext(connection) as queries:
        first = search(lead_client, hub)
    sql = [q["sql"] for q in queries.captured_queries]  # read now: the next request empties Django's query log
    second = search(lead_client, hub, page=2)
    body = first.content.decode()
    assert "<strong>6</strong> inquiries" in body and NEWEST_FIRST not in body
    on_first = [i.reference for i in first.context["page"].object_list]
    on_second = [i.reference for i in second.context["page"].object_list]
    assert on_first[0] == matches[0].reference
    assert sorted(on_first + on_second) == sorted(i.reference for i in matches)
    ranks = [row.rank for page in (first, second) for row in page.context["page"].object_list]
    assert ranks == sorted(ranks, reverse=True)
    assert (first.context["page"].has_next(), second.context["page"].has_next()) == (True, False)
    counts = [q for q in sql if "COUNT(*)" in q]
    assert len(counts) == 1 and f"LIMIT {search_module.RANK_CAP + 1}" in counts[0]  # read no further than the cap
    ranked = [q for q in sql if "ts_rank(" in q and "COUNT(*)" not in q]
    assert len(ranked) == 1 and " LIMIT 3" in ranked[0]  # the page's rows, ranked


def test_a_search_past_the_cap_is_listed_newest_first_and_says_so(lead_client, hub, matches, monkeypatch):
    with CaptureQueriesContext(connection) as ranked:
        search(lead_client, hub)
    monkeypatch.setattr(search_module, "RANK_CAP", 4)
    sqlcache.clear()  # as the first request of a process: the typed words parsed again
    with CaptureQueriesContext(connection) as newest_first:
        first = search(lead_client, hub)
    assert len(newest_first) == len(ranked)
    assert len([q for q in newest_first.captured_queries if "websearch_to_tsquery('english', %s)" in q["sql"]
                or q["sql"].startswith("SELECT numnode(")]) == 1  # parsed once for the count and the rows
    rows = [q["sql"] for q in newest_first.captured_queries if "COUNT(*)" not in q["sql"] and "ts_rank(" in q["sql"]]
    assert len(rows) == 0  # the newest first are not ranked
    rows = [q["sql"] for q in newest_first.captured_queries if 'ORDER BY "intake_inquiry"."submitted_at" DESC' in q["sql"]]
    assert len(rows) == 1 and "intake_hub_lexemes(" not in rows[0]  # a walk of the dates, not the word index
    page = first.context["page"]
    body = first.content.decode()
    assert "<strong>More than 4</strong> inquiries" in body
    assert "Your search matches more than 4 inquiries, so they are listed newest first." in body
    assert (page.paginator.count, page.paginator.count.capped, page.paginator.num_pages) == (4, True, 2)
    newest = by_newest(matches)
    on_first = [i.reference for i in page.object_list]
    with CaptureQueriesContext(connection) as later:
        on_second = [i.reference for i in search(lead_client, hub, page=2).context["page"].object_list]
    assert on_first + on_second == [i.reference for i in newest[:4]]  # the pages go up to the cap
    # A later page would walk further: it reads the matches from the word index, in the same order.
    rows = [q["sql"] for q in later.captured_queries if 'ORDER BY "intake_inquiry"."submitted_at" DESC' in q["sql"]]
    assert len(rows) == 1 and "intake_hub_lexemes(" in rows[0]
    # A page past the cap gives the last page, as any page past the last does.
    assert search(lead_client, hub, page=5).context["page"].number == 2


def test_a_page_past_the_last_shows_the_last_and_a_page_that_is_not_a_number_the_first(lead_client, hub, matches):
    past = search(lead_client, hub, page=9).context["page"]
    assert (past.number, len(past.object_list)) == (2, 3)
    assert search(lead_client, hub, page="two").context["page"].number == 1
    assert search(lead_client, hub, page=0).context["page"].number == 2  # as Paginator.get_page: the last


def test_a_search_that_finds_nothing_says_0(lead_client, hub, matches):
    response = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]), {"q": "xylophone"})
    assert list(response.context["page"].object_list) == []
    assert "<strong>0</strong> inquiries" in response.content.decode()


def test_a_sorted_search_is_in_its_order_and_counted_to_the_lists_cap(lead_client, hub, matches, monkeypatch):
    monkeypatch.setattr(search_module, "RANK_CAP", 4)
    response = search(lead_client, hub, sort="oldest")
    page = response.context["page"]
    assert (page.paginator.cap, page.paginator.count) == (COUNT_CAP, 6)
    assert [i.reference for i in page.object_list] == [i.reference for i in matches[:3]]
    assert NEWEST_FIRST not in response.content.decode()


def export_references(client, hub, **params):
    response = client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]), {"q": "telehealth", **params})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]


def test_the_csv_of_a_search_is_in_the_lists_order_either_side_of_the_cap(lead_client, hub, matches, monkeypatch):
    ranked = export_references(lead_client, hub)
    assert ranked[0] == matches[0].reference  # the best match first, as on the list
    assert sorted(ranked) == sorted(i.reference for i in matches)
    monkeypatch.setattr(search_module, "RANK_CAP", 4)
    exported = export_references(lead_client, hub)
    # Every match (an export has no cap), newest first as the list says past the cap: the best is sent first.
    assert exported == [i.reference for i in by_newest(matches)]
    on_list = [i.reference for i in search(lead_client, hub).context["page"].object_list]
    assert exported[:3] == on_list


@pytest.mark.parametrize(("walk_limit", "walk_fills_the_page"), [(5, True), (2, False)])
def test_the_walk_of_a_search_past_the_cap_reads_no_further_than_the_limit(lead_client, hub, matches, monkeypatch,
                                                                           walk_limit, walk_fills_the_page):
    """The hub's five newest are four matches and "Falls sensors": a walk of them fills a page of 3; a walk
    of the two newest finds one match, so the page is read through the word index. The same page either way."""
    monkeypatch.setattr(search_module, "RANK_CAP", 4)
    monkeypatch.setattr(selectors, "WALK_LIMIT", walk_limit)
    with CaptureQueriesContext(connection) as queries:
        page = search(lead_client, hub).context["page"]
    newest = by_newest(matches)
    assert [i.reference for i in page.object_list] == [i.reference for i in newest[:3]]
    rows = [q["sql"] for q in queries.captured_queries if 'ORDER BY "intake_inquiry"."submitted_at" DESC' in q["sql"]
            and "COUNT(*)" not in q["sql"]]
    walks = [sql for sql in rows if "intake_hub_lexemes(" not in sql]
    assert len(walks) == 1 and f"OFFSET {walk_limit - 1}" in walks[0]  # bounded by the limit-th newest's time
    assert len(rows) == (1 if walk_fills_the_page else 2)  # else the word index gives the page
