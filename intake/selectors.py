"""Reads on inquiries, each scoped to who is asking."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection, connections
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from hubportal import sqlcache
from hubportal.paging import CappedCount, capped_counts_statement
from hubportal.workdays import add_working_days

from . import search
from .models import Assessment, Attachment, Checklist, Inquiry, InquiryEvent


def inquiry_list_for_submitter(*, user):
    return (
        Inquiry.objects.filter(submitter=user)
        .select_related("hub")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-updated_at")
    )


def inquiry_get_for_submitter(*, user, public_id):
    """The submitter's own inquiry, or 404: another person's inquiry is indistinguishable from none."""
    return get_object_or_404(Inquiry.objects.select_related("hub"), public_id=public_id, submitter=user)


def inquiry_expected_response(inquiry, *, today=None):
    """When the submitter can expect to hear from the hub, in words; "" once the hub has responded."""
    if inquiry.is_draft or not inquiry.is_open or inquiry.first_response_at or not inquiry.triage_due_on:
        return ""
    today = today or timezone.localdate()
    due = inquiry.triage_due_on
    when = f"{due:%A} {due:%-d} {due:%B} {due:%Y}"
    if due < today:
        return f"The hub aimed to respond by {when}. It is late: contact {inquiry.hub.email} if you need to."
    if due == today:
        return "You can expect a response from the hub today."
    return f"You can expect a response from the hub by {when}."


def attachment_get_for_submitter(*, user, public_id):
    return get_object_or_404(Attachment.objects.select_related("inquiry"), public_id=public_id,
                             inquiry__submitter=user)


# --- Hub staff ----------------------------------------------------------------------------------

DASHBOARD_ITEMS = 5
# A card counts up to here, then says "more than 1,000": the count's cost is bounded whatever the hub's size.
DASHBOARD_COUNT_CAP = 1_000
DUE_SOON_WORKING_DAYS = 2


def hub_inquiries(hub, *, hub_index=True):
    """Every sent inquiry of a hub (drafts are the submitter's own business).

    `hub_index=False` writes the hub so that PostgreSQL can use no index on it (hub_id + 0 = the hub's): for
    a search read through the word index, whose words carry the hub already (inquiry_search). Written
    plainly, PostgreSQL ANDs the word index's bitmap with a bitmap of every inquiry of the hub whenever it
    thinks a word common, which is any word it keeps no statistics for: it guesses 0.5% of the table. For a
    word in 2,000 of a hub's 250,000 inquiries that bitmap was 71 ms of a 128 ms count; without it, 3.9 ms.
    """
    if hub_index:
        rows = Inquiry.objects.filter(hub=hub)
    else:
        rows = Inquiry.objects.alias(hub_unindexed=F("hub_id") + 0).filter(hub_unindexed=hub.pk)
    return rows.exclude(status=Inquiry.Status.DRAFT)


RECENT_DAYS = 7


def _not_parked(rows, today):
    # A parked inquiry leaves every triage queue until its date (then it is the hub's again).
    return rows.filter(Q(parked_until__isnull=True) | Q(parked_until__lte=today))


def _awaiting_triage(hub, today):
    # Triage is the hub's first response; parked inquiries wait for their date.
    return _not_parked(hub_inquiries(hub).filter(first_response_at__isnull=True, status=Inquiry.Status.SUBMITTED),
                       today)


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    description: str
    # (hub, user, today) -> the queue's rows, in the queue's order. The dashboard card counts and shows
    # these rows and its "See all" opens the list on the same function, so the two always agree.
    rows: Callable
    shows_return_date: bool = False


def _open(hub):
    return hub_inquiries(hub).filter(status__in=Inquiry.OPEN_STATUSES)


QUEUES = {q.key: q for q in [
    Queue("new", "New and unassigned", "Sent to the hub and not picked up yet",
          lambda hub, user, today: _not_parked(_open(hub).filter(status=Inquiry.Status.SUBMITTED,
                                                                 assignee__isnull=True), today)
          .order_by("submitted_at", "pk")),
    Queue("mine", "Assigned to me", "Open inquiries you are looking after",
          lambda hub, user, today: _not_parked(_open(hub).filter(assignee=user), today)
          .order_by(F("triage_due_on").asc(nulls_last=True), "submitted_at", "pk")),
    Queue("awaiting", "Awaiting information", "Waiting for the submitter to answer",
          lambda hub, user, today: _not_parked(_open(hub).filter(status=Inquiry.Status.AWAITING_INFO), today)
          .order_by("updated_at", "pk")),
    Queue("due_soon", "Due soon", f"Triage due within {DUE_SOON_WORKING_DAYS} working days",
          lambda hub, user, today: _awaiting_triage(hub, today)
          .filter(triage_due_on__gte=today, triage_due_on__lte=add_working_days(today, DUE_SOON_WORKING_DAYS))
          .order_by("triage_due_on", "pk")),
    Queue("overdue", "Overdue", "Past the hub's triage target",
          lambda hub, user, today: _awaiting_triage(hub, today).filter(triage_due_on__lt=today)
          .order_by("triage_due_on", "pk")),
    Queue("parked", "Parked", "Put aside until a date; each comes back to the hub on its date",
          lambda hub, user, today: _open(hub).filter(parked_until__gt=today).order_by("parked_until", "pk"),
          shows_return_date=True),
    Queue("recent", "Recently updated", f"Anything that changed in the last {RECENT_DAYS} days",
          lambda hub, user, today: hub_inquiries(hub)
          .filter(updated_at__gte=_start_of(today - dt.timedelta(days=RECENT_DAYS - 1)))
          .order_by("-updated_at", "-pk")),
]}


def inquiry_queue(*, hub, user, key, today=None):
    """The rows of one dashboard queue (KeyError for an unknown key): the card and "See all" both use it."""
    return QUEUES[key].rows(hub, user, today or timezone.localdate())


def inquiry_dashboard(*, hub, user):
    """The queues of the dashboard home: each with its count, its first few inquiries and its key."""
    today = timezone.localdate()
    # The cards' SQL depends on the hub, the person and the day only: compiled once per process for them
    # (hubportal.sqlcache; compiling it was 6 of the page's 20 ms of CPU). The rows are read live.
    key = ("dashboard", Inquiry.objects.db, hub.pk, user.pk, today, DASHBOARD_COUNT_CAP, DASHBOARD_ITEMS)
    counts_statement, item_statements = sqlcache.compiled(key, lambda: _dashboard_statements(hub, user, today))
    counts = dict(zip(QUEUES, counts_statement.row(), strict=True))
    result, shown = [], []
    for queue in QUEUES.values():
        items = item_statements[queue.key].models()
        shown += items
        count = CappedCount(int(counts[queue.key]), DASHBOARD_COUNT_CAP)
        result.append({"key": queue.key, "title": queue.title, "description": queue.description,
                       "count": count, "items": items, "shows_return_date": queue.shows_return_date})
    _with_assignees(shown)
    return result


def _dashboard_statements(hub, user, today):
    """The dashboard's statements: the seven capped counts in one, and each card's first few rows."""
    queues = {queue.key: inquiry_queue(hub=hub, user=user, key=queue.key, today=today) for queue in QUEUES.values()}
    # Only what a card shows, and no join: each card's first five come straight off its queue's index in
    # order. Joined to the assignees, PostgreSQL misjudged a queue of today's dates (due soon: "1 row",
    # really 907) and sorted all of them, whole rows, to keep five (13 ms).
    items = {key: sqlcache.compile_rows(rows.only(*DASHBOARD_ITEM_FIELDS)[:DASHBOARD_ITEMS])
             for key, rows in queues.items()}
    return capped_counts_statement(list(queues.values()), DASHBOARD_COUNT_CAP), items


# What a dashboard card shows of an inquiry (templates/jinja2/intake/staff/_dashboard_cards.html), with the
# return date.
DASHBOARD_ITEM_FIELDS = ("reference", "title", "triage_due_on", "first_response_at", "assignee", "parked_until")


def _with_assignees(inquiries):
    """Every card's assignees in one query, cached on each inquiry as select_related would."""
    from hubportal.models import User

    wanted = {inquiry.assignee_id for inquiry in inquiries if inquiry.assignee_id}
    people = User.objects.in_bulk(wanted) if wanted else {}
    for inquiry in inquiries:
        Inquiry.assignee.field.set_cached_value(inquiry, people.get(inquiry.assignee_id))


def _json_list_contains(rows, field, code):
    if connection.vendor == "postgresql":
        return rows.filter(**{f"{field}__contains": [code]})
    # SQLite has no JSON containment; the codes are simple words stored as JSON strings.
    return rows.filter(**{f"{field}__icontains": f'"{code}"'})


def hub_lexemes():
    """The inquiry's words prefixed with its hub ("12:remot"): the expression the GIN index
    inquiry_search_hub_lexemes is built on (intake migration 0029)."""
    return Func(F("search_vector"), F("hub_id"), function="intake_hub_lexemes", output_field=SearchVectorField())


class _Matches(Func):
    """document @@ 'tsquery text'::tsquery, for a query intake.search wrote (the text is a parameter)."""

    output_field = BooleanField()

    def __init__(self, document, query_text):
        super().__init__(document)
        self.query_text = query_text

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} @@ %s::tsquery", (*params, self.query_text)


def _websearch_parse(database, text):
    """PostgreSQL's parse of typed words: its number of nodes, and the query as tsquery text. It depends on
    the words and the 'english' configuration alone, so it is kept with the process's compiled SQL
    (hubportal.sqlcache): a search's page, its next page and its newest-first rows ask once, not each."""
    def parse():
        with connections[database].cursor() as cursor:
            cursor.execute("SELECT numnode(q), q::text FROM websearch_to_tsquery('english', %s) AS q", [text])
            return tuple(cursor.fetchone())

    return sqlcache.compiled(("websearch_to_tsquery", database, text), parse)


def inquiry_search(rows, text, *, hub, by_index=True):
    """A hub's full-text search over title and text: PostgreSQL's websearch syntax, ranked; LIKE on SQLite.

    The index of hub-prefixed words answers a query written from the typed one (intake.search), which finds
    at least every match; each row read is then checked against the typed query itself. `rows` must be the
    hub's sent inquiries. `by_index=False` leaves the index out, so PostgreSQL walks `rows` in their order
    and checks each (the newest first of a search with many matches: intake.staff_views._paginator).
    """
    text = text.strip()
    if not text:
        return rows
    if connection.vendor == "postgresql":
        nodes, typed = _websearch_parse(rows.db, text)
        # Words that are all stop words ("the", "and") make an empty query, which would find every inquiry:
        # such a search finds nothing, as it always has.
        wanted = search.index_query(typed, hub.pk) if nodes else None
        if wanted is None:
            return rows.annotate(rank=Value(0.0)).none()  # the list orders by rank
        asked = SearchQuery(text, search_type="websearch", config="english")
        if not by_index:
            # A match PostgreSQL cannot estimate, so it assumes half the rows match and walks `rows` in
            # their order until the page is full. Asked plainly, it multiplies each word's share as if
            # words never came together ("remote", "monitoring", "COPD": 10 rows expected, 1,239 there),
            # and reads the whole table in parallel rather than walk it (823 ms against 5 at 250,000 a hub).
            return rows.filter(Coalesce(ExpressionWrapper(Q(search_vector=asked), output_field=BooleanField()),
                                        Value(False)))
        return (rows.filter(_Matches(hub_lexemes(), wanted)).filter(search_vector=asked)
                .annotate(rank=SearchRank(F("search_vector"), asked)))
    words = [w for w in text.split() if w]
    for word in words:
        rows = rows.filter(Q(title__icontains=word) | Q(problem__icontains=word)
                           | Q(proposed_innovation__icontains=word))
    return rows


def ranks_every_match(filters):
    """Whether inquiry_filter orders these filters' rows by relevance (a search with no sort chosen)."""
    return bool(filters.get("q", "").strip()) and not filters.get("sort") and connection.vendor == "postgresql"


# The newest-first walk of a search reads at most this many of the hub's newest inquiries: past them the
# page is read through the word index instead (intake.staff_views._paginator). A search just over the
# ranking cap, its matches spread evenly, fills a page within 25 x 250 = 6,250 of a hub of 250,000; this
# leaves room for fewer recent matches than that. Unbounded, a search whose matches were all old checked
# most of the hub: 1,166 to 1,329 ms for 2,000 matches among a hub's oldest, 89 to 107 ms bounded (on a
# machine 3.5 times slower than the targets' one); at 5,000 a search of 1,239 evenly spread matches
# walked too few and cost 97 to 102 ms against 81 to 83 (docs/benchmarks.md).
WALK_LIMIT = 10_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _walk_floor(hub):
    """The time the hub's WALK_LIMIT-th newest sent inquiry was sent (the epoch if it has fewer): read from
    the index of dates alone, in the walk's own query (a subquery PostgreSQL runs once)."""
    nth_newest = hub_inquiries(hub).order_by("-submitted_at").values("submitted_at")[WALK_LIMIT - 1:WALK_LIMIT]
    return Coalesce(Subquery(nth_newest), Value(_EPOCH))


def inquiry_filter(*, hub, user, filters, newest_first=False, walk=False):
    """The hub's inquiries narrowed by the list's (already validated) filters, in the chosen order.

    `newest_first`: a search with no order chosen that matches too many to rank, newest first; `walk`:
    read by walking the hub's index of dates, not the word index, no further than its WALK_LIMIT newest
    inquiries (intake.staff_views._paginator: a page short of them is read through the word index)."""
    from .triage_forms import sort_ordering

    queue = filters.get("queue")
    through_word_index = bool(filters.get("q", "").strip()) and not walk and connection.vendor == "postgresql"
    rows = (inquiry_queue(hub=hub, user=user, key=queue) if queue
            else hub_inquiries(hub, hub_index=not through_word_index)).select_related("assignee")
    rows = rows.annotate(score=Subquery(
        Assessment.objects.filter(inquiry=OuterRef("pk"), is_current=True).order_by("-created_at")
        .values("score")[:1]))
    if filters.get("status"):
        rows = rows.filter(status__in=filters["status"])
    for name in ("kind_of_help", "innovation_type", "stage"):
        if filters.get(name):
            rows = rows.filter(**{name: filters[name]})
    if filters.get("support"):
        rows = _json_list_contains(rows, "support_needed", filters["support"])
    if filters.get("theme"):
        rows = _json_list_contains(rows, "themes", filters["theme"])
    if filters.get("organisation"):
        rows = rows.filter(organisation__icontains=filters["organisation"])
    assignee = filters.get("assignee")
    if assignee == "me":
        rows = rows.filter(assignee=user)
    elif assignee == "none":
        rows = rows.filter(assignee__isnull=True)
    elif assignee:
        rows = rows.filter(assignee_id=int(assignee))
    if filters.get("submitted_from"):
        rows = rows.filter(submitted_at__gte=_start_of(filters["submitted_from"]))
    if filters.get("submitted_to"):
        rows = rows.filter(submitted_at__lt=_start_of(filters["submitted_to"] + dt.timedelta(days=1)))
    if filters.get("overdue"):
        rows = rows.filter(first_response_at__isnull=True, status=Inquiry.Status.SUBMITTED,
                           triage_due_on__lt=timezone.localdate())
    sort = filters.get("sort")
    if filters.get("q"):
        # The assignee in a query of its own: joined, PostgreSQL would join every match before ranking them.
        rows = (inquiry_search(rows, filters["q"], hub=hub, by_index=not walk)
                .select_related(None).prefetch_related("assignee"))
        if walk:
            rows = rows.filter(submitted_at__gte=_walk_floor(hub))
        if not sort and not newest_first and connection.vendor == "postgresql":
            return rows.order_by("-rank", "-submitted_at")
    if queue and not sort:
        return rows  # the queue's own order, as on its dashboard card
    return rows.order_by(*sort_ordering(sort or "newest"))


def _start_of(day):
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def inquiry_get_for_staff(*, hub, reference):
    """One of the hub's sent inquiries by reference, or 404 (another hub's is the same as none)."""
    # The case page and every action on it: the SQL is compiled once per hub and reference (hubportal.sqlcache).
    inquiry = sqlcache.compiled(
        ("inquiry_get_for_staff", Inquiry.objects.db, hub.pk, reference),
        lambda: sqlcache.compile_rows(hub_inquiries(hub).filter(reference=reference)
                                      .select_related("hub", "submitter", "assignee")),
    ).get_or_404()
    if inquiry.duplicate_of_id is not None:
        # Only an inquiry closed as a duplicate has one: read it (and its hub, which may be another) in a
        # query of its own. Joined on every read, the inquiry table a second time cost PostgreSQL 0.45 ms
        # of planning (1.05 against 0.62 ms for the whole read), for a row almost never there.
        original = Inquiry.objects.select_related("hub").get(pk=inquiry.duplicate_of_id)
        Inquiry.duplicate_of.field.set_cached_value(inquiry, original)
    return inquiry


def inquiry_timeline(inquiry, *, for_submitter=False):
    events = InquiryEvent.objects.filter(inquiry=inquiry).select_related("actor")
    return events.filter(is_visible_to_submitter=True) if for_submitter else events


def hub_checklists(*, hub, inquiry):
    """The hub's active triage checklists (current versions), and each one's
    assessments of this inquiry, whichever version they used (lay review checklists are answered by lay
    reviewers, never here). A retired checklist still shows when this inquiry was assessed against it."""
    # The case page's: both statements compiled once for their inputs in a process (hubportal.sqlcache).
    assessments = sqlcache.kept_rows(
        ("hub_checklists assessments", Assessment.objects.db, inquiry.pk),
        lambda: Assessment.objects.filter(inquiry=inquiry, checklist__kind=Checklist.Kind.TRIAGE)
        .select_related("assessor", "checklist").order_by("-created_at", "-pk"))
    prefetch_related_objects(assessments, "answers__criterion")
    assessed = tuple(sorted({a.checklist.slug for a in assessments}))
    checklists = sqlcache.kept_rows(
        ("hub_checklists", Checklist.objects.db, hub.pk, assessed),
        lambda: Checklist.objects.filter(hub=hub, kind=Checklist.Kind.TRIAGE, replaced_by__isnull=True)
        .filter(Q(is_active=True) | Q(slug__in=assessed)).order_by("name"))
    # No criteria: the page shows each answer's own (answers__criterion above), never a checklist's list.
    for checklist in checklists:
        # Read by the case page's template (every version's assessments, newest first).
        checklist.inquiry_assessments = [
            a for a in assessments if a.checklist.slug == checklist.slug]
    return checklists


SIMILAR_LIMIT = 5
SIMILARITY_THRESHOLD = 0.3


def inquiry_similar(*, inquiry):
    """Sent inquiries across all hubs whose titles are like this one's (trigram similarity).

    Returns rows with only what any hub may see of another hub's inquiry: reference, title, hub, status.
    """
    rows = (Inquiry.objects.exclude(pk=inquiry.pk).exclude(status=Inquiry.Status.DRAFT)
            .select_related("hub").only("reference", "title", "status", "hub__name", "hub__slug", "hub_id"))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramDistance

        # Nearest titles first (the <-> operator), which the GiST trigram index walks in order and stops
        # after a few rows, then keep those similar enough (pg_trgm's default threshold, 0.3).
        nearest = list(rows.annotate(distance=TrigramDistance("title", inquiry.title))
                       .order_by("distance")[:SIMILAR_LIMIT])
        return [row for row in nearest if row.distance < 1 - SIMILARITY_THRESHOLD]
    words = sorted({w.lower().strip(".,;:!?") for w in inquiry.title.split() if len(w) >= 5}, key=len, reverse=True)
    if not words:
        return []
    match = Q()
    for word in words[:3]:
        match |= Q(title__icontains=word)
    return list(rows.filter(match).order_by("-submitted_at")[:SIMILAR_LIMIT])


# The decisions hub staff take on the inquiry page and the status each leads to. A decision is offered
# when Inquiry.TRANSITIONS allows its status from the current one, so the page never repeats the table.
DECISION_TARGETS = {
    "start-review": Inquiry.Status.IN_REVIEW,
    "request-info": Inquiry.Status.AWAITING_INFO,
    "start-support": Inquiry.Status.IN_SUPPORT,
    "duplicate": Inquiry.Status.CLOSED,
    "close": Inquiry.Status.CLOSED,
}
# Transitions the table allows that are not a person's button: the submitter's answer takes an inquiry
# from awaiting_info back to in_review, and the last referral closing takes a routed one back.
NOT_A_STAFF_DECISION = {(Inquiry.Status.AWAITING_INFO, Inquiry.Status.IN_REVIEW),
                        (Inquiry.Status.ROUTED, Inquiry.Status.IN_REVIEW)}


def inquiry_available_decisions(inquiry):
    """The decisions (DECISION_TARGETS' names, plus "park" or "unpark" and "assign") staff may take now."""
    decisions = {name for name, to in DECISION_TARGETS.items()
                 if inquiry.can_become(to) and (inquiry.status, to) not in NOT_A_STAFF_DECISION}
    if inquiry.is_open:
        decisions |= {"assign", "unpark" if inquiry.parked_until else "park"}
    return frozenset(decisions)
