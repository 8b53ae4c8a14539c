"""Hub staff pages: the dashboard home, the list, one inquiry, and the decisions on it.

Access for every view here: a person signed in with password and TOTP who is a member of the hub in
the URL (`staff_view`); anyone else gets the staff sign-in page, or 404 for a hub that is not theirs.
An inquiry of another hub is a 404, the same as one that does not exist.
"""

import csv
import io
import json
import re
from array import array

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, TextField, prefetch_related_objects
from django.db.models.functions import Cast
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubportal import sqlcache
from hubportal.db_router import reads_from_replica
from hubportal.paging import CappedPaginator, capped_count
from hubportal.permissions import staff_hubs, staff_required, staff_view
from hubportal.taxonomy import InnovationType, KindOfHelp, Stage, SupportNeed, Theme
from hubportal.workdays import working_days_between

from . import search, selectors, services
from .access_log import access_log_for_inquiry, inquiry_access_record, inquiry_access_record_many
from .journey import answer_rows
from .models import Assessment, Attachment, InformationRequest, Inquiry, InquiryNote, MailboxMessage
from .reminders import unpark_at
from .timeline import timeline_entries
from .triage_forms import (
    SORT_COLUMNS,
    AssignForm,
    BulkForm,
    CloseForm,
    DuplicateForm,
    InquiryFilterForm,
    NoteForm,
    ParkForm,
    RequestInfoForm,
    SavedSearchForm,
    VersionedForm,
    checklist_form_class,
)
from .views import attachment_response

PAGE_SIZE = 25
CHANGED_MESSAGE = "Someone else changed this inquiry while you were looking at it. Check what changed and try again"


def _inquiry_url(hub, inquiry):
    return reverse("intake:staff_inquiry", args=[hub.slug, inquiry.reference])


_REFERENCE_SLOT = "REFERENCE-SLOT"


def _case_url(hub):
    """A case page's address in two parts, the reference to go between them: reversed once a page, not once
    an inquiry listed (a tenth of a list's rows' rendering)."""
    return reverse("intake:staff_inquiry", args=[hub.slug, _REFERENCE_SLOT]).split(_REFERENCE_SLOT)


# Access: signed in with both factors and a member of at least one hub (else 404).
@staff_required
@require_GET
def staff_home(request):
    hubs = list(staff_hubs(request.user))
    if len(hubs) == 1:
        return redirect("intake:staff_dashboard", hub_slug=hubs[0].slug)
    return render(request, "intake/staff/home.html", {"hubs": hubs})


@staff_view
@require_GET
def dashboard(request, membership):
    hub = membership.hub
    from .mailbox import mailbox_queue

    emails = mailbox_queue(hub=hub)
    return render(request, "intake/staff/dashboard.html", {
        "hub": hub, "membership": membership,
        "email_count": emails.count(), "emails": list(emails[:5]),
        "queues": selectors.inquiry_dashboard(hub=hub, user=request.user),
        "case_url": _case_url(hub),
        "today": timezone.localdate(),
    })


def _without(query, name, value=None):
    """The query string with one filter (or one value of a multi-valued one) and the page taken out."""
    rest = query.copy()
    rest.pop("page", None)
    if value is None:
        rest.pop(name, None)
        for part in ("day", "month", "year"):  # a date filter's boxes (hubportal.date_input)
            rest.pop(f"{name}_{part}", None)
    else:
        rest.setlist(name, [v for v in rest.getlist(name) if v != value])
    return rest.urlencode()


def _filter_summary(form, query):
    """The active filters as (what, value, link that removes it), for the summary above the list."""
    items = []
    for name, value in form.filters().items():
        if name == "sort":
            continue
        field = form.fields[name]
        choices = {str(k): v for k, v in getattr(field, "choices", [])}
        if isinstance(value, list):
            for one in value:
                items.append((field.label, choices.get(one, one), _without(query, name, one)))
        elif isinstance(value, bool):
            items.append((field.label, "Yes", _without(query, name)))
        elif hasattr(value, "strftime"):
            items.append((field.label, f"{value:%-d %B %Y}", _without(query, name)))
        else:
            items.append((field.label, choices.get(str(value), value), _without(query, name)))
    return items


def _sort_headers(query):
    """Each sortable column: (key, heading, link sorting by it, aria-sort value or "")."""
    current = query.get("sort", "")
    headers = []
    for key, (heading, _fields) in SORT_COLUMNS.items():
        rest = query.copy()
        rest.pop("page", None)
        rest["sort"] = f"-{key}" if current == key else key
        state = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        headers.append((key, heading, rest.urlencode(), state))
    return headers


def _page_links(page):
    """Numbered pagination: page numbers with gaps (None) where pages are left out."""
    return [None if number == page.paginator.ELLIPSIS else number
            for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)]


# What a row of the list shows (templates/jinja2/intake/staff/_inquiry_rows.html), and its assignee's name:
# a quarter of the inquiry's and its assignee's columns, so a quarter to compile, send and make models of.
LIST_ROW_FIELDS = ("reference", "title", "status", "parked_until", "first_response_at", "triage_due_on",
                   "organisation", "kind_of_help", "submitted_at", "assignee__full_name", "assignee__email")


def _paginator(request, hub, filters):
    """The list's paginator, and whether a search is listed newest first instead of by relevance.

    Ranking reads every match (its words, to weigh them), so its cost grows with the matches: 7,200 of
    them, a common phrase in a hub of 250,000, took most of the page's time. A search is ranked when it
    matches at most search.RANK_CAP inquiries, counted first (reading no more than that many). Past that
    it is listed newest first. Its first page, the one nearly everyone reads, is a walk of the hub's index
    of dates from the newest, checking each inquiry until the page is full: about 25 divided by the share
    of the hub that matches, never every match, and no further than selectors.WALK_LIMIT inquiries
    (matches all older than those are read through the word index). A later page would walk that much
    further (page 40 of a search just over the cap: most of the hub), so it reads the matches from the
    word index and sorts them, as every page of a search did before.
    """
    rows = selectors.inquiry_filter(hub=hub, user=request.user, filters=filters).only(*LIST_ROW_FIELDS)
    if not selectors.ranks_every_match(filters):
        return CappedPaginator(rows, PAGE_SIZE), False
    paginator = CappedPaginator(rows, PAGE_SIZE, cap=search.RANK_CAP)
    if not paginator.count.capped:
        return paginator, False
    # The count stays: the same rows, in another order.
    through_index = selectors.inquiry_filter(
        hub=hub, user=request.user, filters=filters, newest_first=True).only(*LIST_ROW_FIELDS)
    if _first_page(request):
        walk = selectors.inquiry_filter(
            hub=hub, user=request.user, filters=filters, newest_first=True, walk=True).only(*LIST_ROW_FIELDS)
        paginator.object_list = _WalkFirst(walk, through_index)
    else:
        paginator.object_list = through_index
    return paginator, True


class _WalkFirst:
    """A page of rows read by the walk of the hub's newest inquiries, or through the word index when the
    walk stops short of a full page (the matches are older than the inquiries it reads:
    selectors.WALK_LIMIT). The same rows either way; only Paginator.page's slice is asked of it."""

    def __init__(self, walk, through_index):
        self.walk, self.through_index = walk, through_index

    def __getitem__(self, window: slice):
        # The assignees (inquiry_filter prefetches them) only for the rows shown: a short walk's would be
        # a query for nothing.
        rows = list(self.walk.prefetch_related(None)[window])
        if len(rows) < window.stop - window.start:
            return list(self.through_index[window])
        prefetch_related_objects(rows, "assignee")
        return rows


def _first_page(request):
    """Whether Paginator.get_page will give the first page (a number that is not one gives the first)."""
    try:
        return int(request.GET.get("page", 1)) == 1
    except (TypeError, ValueError):
        return True


def _list_context(request, membership, *, bulk_form=None, save_form=None):
    from .models import SavedSearch

    hub = membership.hub
    form = InquiryFilterForm(request.GET, hub=hub)
    filters = form.filters()
    paginator, newest_first = _paginator(request, hub, filters)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    queue = selectors.QUEUES.get(filters.get("queue", ""))
    return {
        "hub": hub, "membership": membership, "form": form, "page": page, "query": query.urlencode(),
        # The filters again for the pagination links, which add "page=N" after them.
        "page_query": query.urlencode() + "&" if query else "",
        "page_links": _page_links(page),
        "case_url": _case_url(hub),
        "filtered": bool({k: v for k, v in filters.items() if k != "sort"}),
        "filter_summary": _filter_summary(form, query),
        "sort_headers": _sort_headers(query),
        "queue": queue,
        "search_newest_first": newest_first, "rank_cap": search.RANK_CAP,
        "today": timezone.localdate(),
        "bulk_form": bulk_form or BulkForm(hub=hub, references=[]),
        "bulk_actions": BulkForm.ACTIONS,
        "selected": set(bulk_form.data.getlist("selected")) if bulk_form is not None else set(),
        "save_form": save_form or SavedSearchForm(initial={"query": query.urlencode()}),
        "saved_searches": SavedSearch.objects.filter(hub=hub).filter(
            Q(owner=request.user) | Q(is_shared=True)).select_related("owner"),
    }


@staff_view
@require_GET
def inquiry_list(request, membership):
    return render(request, "intake/staff/inquiry_list.html", _list_context(request, membership))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _label(choices):
    labels = dict(choices)

    def read(code):
        return labels.get(code, code or "")

    read.labels = labels  # for the SQL that writes the same cells (_export_sql)
    return read


def _labels(choices):
    labels = dict(choices)

    def read(codes):
        return "; ".join(labels.get(code, code) for code in (codes or []))

    read.labels = labels
    return read


def _uk_date(value):
    return f"{value:%d/%m/%Y}" if value else ""


def _uk_datetime(value):
    return f"{timezone.localtime(value):%d/%m/%Y %H:%M}" if value else ""


def _as_is(value):
    return value


# (heading, field, how a person reads it): labels, not codes; UK dates; people's names, not addresses.
EXPORT_COLUMNS = [
    ("Reference", "reference", _as_is), ("Title", "title", _as_is),
    ("Status", "status", _label(Inquiry.Status.choices)),
    ("Kind of help", "kind_of_help", _label(KindOfHelp.choices)),
    ("Innovation type", "innovation_type", _label(InnovationType.choices)),
    ("Stage", "stage", _label(Stage.choices)),
    ("Support needed", "support_needed", _labels(SupportNeed.choices)),
    ("Themes", "themes", _labels(Theme.choices)),
    ("Organisation", "organisation", _as_is), ("Role", "role", _as_is),
    ("Sent", "submitted_at", _uk_datetime), ("Triage due", "triage_due_on", _uk_date),
    ("First response", "first_response_at", _uk_datetime), ("Decided", "decided_at", _uk_datetime),
    ("Outcome", "outcome", _label(Inquiry.Outcome.choices)), ("Assignee", "assignee__full_name", _as_is),
]
# Excel opens a CSV as UTF-8 only when it starts with a byte order mark; without it names like
# "Siân" or "Zoë" come out mangled.
BOM = "\ufeff"


EXPORT_CHUNK = 2000


# The export's two ways of making its cells. Python (below) is the reference, and all SQLite has. On
# PostgreSQL each chunk's CSV text is made by the database (_export_sql), so Python only passes text
# on: formatting and csv.writer were half the export's time, and 50,000 rows a second needs less
# (issue 13). Both must write the same bytes: tests/intake/test_export_in_sql.py holds them to it.

def _safe_text(column):
    """csv_safe over a column of text (or None), without a call per cell."""
    return [("'" + text if text.startswith(FORMULA_STARTS) else text) if text else "" for text in column]


def _uk_datetimes(column):
    """_uk_datetime over a column: the same text, without strftime per cell (most of its cost)."""
    zone = timezone.get_current_timezone()
    cells = []
    for value in column:
        if value:
            local = value.astimezone(zone)
            cells.append(f"{local.day:02d}/{local.month:02d}/{local.year:04d} {local.hour:02d}:{local.minute:02d}")
        else:
            cells.append("")
    return cells


def _remembered(read):
    """A column's cells through read() then csv_safe, each distinct value worked out once: codes, lists
    of codes (their JSON text) and dates repeat across thousands of rows. The memory is per export,
    bounded by the number of distinct values (the taxonomy's codes and their combinations; days)."""
    seen = {}

    def cells(column):
        out = []
        for value in column:
            cell = seen.get(value)
            if cell is None:
                cell = seen[value] = csv_safe(read(value))
            out.append(cell)
        return out

    return cells


# Lists of codes (JSON) are read as their JSON text: a handful of distinct texts repeat across the
# rows, so each is decoded once, instead of json.loads on every row as the JSONField would.
_JSON_COLUMNS = ("support_needed", "themes")


def _from_json(read):
    return lambda text: read(None if text is None else json.loads(text))


def _theme_reader(hub):
    """Themes: the national ones and this hub's own priorities, retired ones too (issue 10)."""
    from hubportal.taxonomy import theme_lookup

    return _labels(theme_lookup(hub).items())


def _export_formatters(hub):
    """One function per column, turning a column of values into its cells (the same as csv_safe(read(v))
    cell by cell, the rule EXPORT_COLUMNS states, which the byte-for-byte test holds them to)."""
    formatters = []
    for _heading, field_name, read in EXPORT_COLUMNS:
        if field_name == "themes":
            formatters.append(_remembered(_from_json(_theme_reader(hub))))
        elif field_name in _JSON_COLUMNS:
            formatters.append(_remembered(_from_json(read)))
        elif read is _as_is:
            formatters.append(_safe_text)
        elif read is _uk_datetime:
            formatters.append(_uk_datetimes)
        else:
            formatters.append(_remembered(read))
    return formatters


def _export_chunks(rows, chunk_size):
    """The rows' exported values, in the list's own order, a list of at most chunk_size tuples at a
    time (each ending with the primary key).

    First the ordered primary keys (8 bytes a row, in an array), then each chunk's columns by primary
    key. Only one chunk of full rows is ever in memory, whatever the database connection allows: with
    a transaction pooler (PgBouncer) server-side cursors are off, and a plain iterator() would hold
    the whole result in the driver. Keyset pagination on the primary key would be as lean but would
    lose the list's order (newest first, by due date, by checklist score...), which the export keeps.
    A row deleted between the two reads is left out; one changed meanwhile shows its new values.
    """
    as_text = {f"{name}_json": Cast(name, output_field=TextField()) for name in _JSON_COLUMNS}
    fields = [f"{name}_json" if name in _JSON_COLUMNS else name for _, name, _ in EXPORT_COLUMNS]
    for wanted in _ordered_keys(rows, chunk_size):
        chunk = Inquiry.objects.using(rows.db).filter(pk__in=wanted)
        found = {row[-1]: row for row in chunk.order_by().annotate(**as_text).values_list(*fields, "pk")}
        yield [found[pk] for pk in wanted if pk in found]


def _ordered_keys(rows, chunk_size):
    """The rows' primary keys in the list's order, chunk_size at a time (see _export_chunks)."""
    order = array("q", rows.values_list("pk", flat=True).iterator(chunk_size=10 * chunk_size))
    for start in range(0, len(order), chunk_size):
        yield order[start:start + chunk_size]


def _export_texts_in_python(rows, hub, chunk_size):
    """Each chunk's CSV text and its inquiries' primary keys, the cells made by Python."""
    formatters = _export_formatters(hub)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for chunk in _export_chunks(rows, chunk_size):
        if not chunk:
            continue
        # The primary key rides along (last, not written) so each exported inquiry is in the access log.
        *columns, keys = zip(*chunk, strict=True)
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(zip(*(format_(column) for format_, column in zip(formatters, columns, strict=True)),
                             strict=True))
        yield buffer.getvalue(), list(keys)


_CSV_QUOTED = re.compile(r'[",\r\n]')


def _csv_cell(text):
    """A cell as csv.writer writes it (the excel dialect, QUOTE_MINIMAL): in double quotes, with its
    own double quotes doubled, when it holds a comma, a double quote or a line break; else as it is."""
    return '"' + text.replace('"', '""') + '"' if _CSV_QUOTED.search(text) else text


def _sql_cell(text):
    """The SQL for csv_safe then _csv_cell over an SQL text expression that is never NULL. The
    expression is repeated, so it must be a column or a subquery's output, not work to do again."""
    # ascii() is the code of the first character (0 for ''): FORMULA_STARTS are = + - @ tab and
    # carriage return. Cheaper than a regular expression, which PostgreSQL runs over a copy of the text.
    formula = f"ascii({text}) IN (61, 43, 45, 64, 9, 13)"
    # One strpos for each character that needs quotes (" , CR LF): four byte searches cost PostgreSQL
    # less than the regular expression [",\r\n], which decodes the whole text first: 7 ms of a 36 ms
    # chunk of 2,000 rows (issue 13).
    quoted = " OR ".join(f"strpos({text}, {char}) > 0" for char in ("'\"'", "','", "chr(13)", "chr(10)"))
    return (f"CASE WHEN {quoted} "
            f"""THEN '"' || CASE WHEN {formula} THEN '''' ELSE '' END || replace({text}, '"', '""') || '"' """
            f"WHEN {formula} THEN '''' || {text} ELSE {text} END")


# Lists of codes up to this long are read element by element (->> n), which costs PostgreSQL far less
# than a set-returning function and an aggregate per row; longer lists take that subquery instead.
_LIST_READ_BY_ELEMENT = 5


def _sql_joined_labels(value):
    """SQL for "; ".join(labels.get(code, code) for code in codes) over a JSON list column: the labels
    are the parameter (a JSON object, code -> label) written before each %s. NULL elements are left
    out (never stored; Python would fail on them), and a value that is not a list is an empty text."""
    label = "coalesce(%s::jsonb ->> ({0}), {0})"
    elements = ", ".join(label.format(f"{value} ->> {n}") for n in range(_LIST_READ_BY_ELEMENT))
    longer = (f"(SELECT string_agg({label.format('e.code')}, '; ' ORDER BY e.n) "  # noqa: S608 (our columns)
              f"FROM jsonb_array_elements_text({value}) WITH ORDINALITY AS e(code, n))")
    # concat_ws skips NULLs, which is what ->> gives past the end of a list (and for a non-list).
    return (f"CASE WHEN {value} ->> {_LIST_READ_BY_ELEMENT} IS NULL THEN concat_ws('; ', {elements}) "
            f"ELSE {longer} END"), _LIST_READ_BY_ELEMENT + 1


def _export_sql(hub, connection):
    """One query that makes a chunk's CSV text, its rows in the order of the primary keys it is given
    (an array, the parameter after the lines' own), and returns it with the keys of the rows found.

    The cells are those of _export_formatters. Each label's cell is made here by the Python rules,
    once per export, and sent as a JSON object parameter (code -> cell; the hub's own themes are typed
    by its staff, so never SQL text); codes with no label, free text and people's names go through the
    same rules written in SQL (_sql_cell). Dates are written by to_char in the zone Django shows times
    in, as _uk_datetime does. The lists of codes are joined in a LATERAL subquery (OFFSET 0 keeps
    PostgreSQL from copying it into each use) so that the cell rules read the joined text once made."""
    quote = connection.ops.quote_name
    user_model = Inquiry._meta.get_field("assignee").related_model

    def column(name):
        return "i." + quote(Inquiry._meta.get_field(name).column)

    cells, params, lists, list_params = [], [], [], []
    for _heading, field_name, read in EXPORT_COLUMNS:
        if field_name == "assignee__full_name":
            cells.append(_sql_cell("coalesce(u.{}, '')".format(quote(user_model._meta.get_field("full_name").column))))
        elif read is _as_is:
            cells.append(_sql_cell(f"coalesce({column(field_name)}, '')"))
        elif read is _uk_datetime:
            cells.append(f"coalesce(to_char(timezone(%s, {column(field_name)}), 'DD/MM/YYYY HH24:MI'), '')")
            params.append(timezone.get_current_timezone_name())
        elif read is _uk_date:
            cells.append(f"coalesce(to_char({column(field_name)}, 'DD/MM/YYYY'), '')")
        elif field_name in _JSON_COLUMNS:
            labels = (_theme_reader(hub) if field_name == "themes" else read).labels
            joined, count = _sql_joined_labels(column(field_name))
            lists.append(f"{joined} AS {field_name}")
            list_params += [json.dumps(labels)] * count
            cells.append(_sql_cell(f"lists.{field_name}"))
        else:
            value = column(field_name)
            unknown = _sql_cell(f"coalesce({value}, '')")  # a code with no label is written as it is
            cells.append(f"coalesce(%s::jsonb ->> {value}, {unknown})")
            params.append(json.dumps({code: _csv_cell(csv_safe(label)) for code, label in read.labels.items()}))
    line = " || ',' || ".join(cells) + r" || E'\r\n'"
    sql = (f"SELECT string_agg({line}, '' ORDER BY w.n), array_agg(w.id ORDER BY w.n) "  # noqa: S608 (our tables and columns; labels are parameters)
           f"FROM unnest(%s::bigint[]) WITH ORDINALITY AS w(id, n) "
           f"JOIN {quote(Inquiry._meta.db_table)} AS i ON i.{quote(Inquiry._meta.pk.column)} = w.id "
           f"LEFT JOIN {quote(user_model._meta.db_table)} AS u "
           f"ON u.{quote(user_model._meta.pk.column)} = {column('assignee')} "
           f"CROSS JOIN LATERAL (SELECT {', '.join(lists)} OFFSET 0) AS lists")
    return sql, params, list_params


def _export_texts_in_sql(rows, hub, chunk_size):
    """Each chunk's CSV text and its inquiries' primary keys, the text made by PostgreSQL: one query
    a chunk, and Python builds no value per cell."""
    connection = connections[rows.db]
    sql, before, after = _export_sql(hub, connection)
    for wanted in _ordered_keys(rows, chunk_size):
        with connection.cursor() as cursor:
            # The keys as an array literal: psycopg2 would adapt each of them, a chunk's ints one by one.
            cursor.execute(sql, [*before, "{" + ",".join(map(str, wanted)) + "}", *after])
            text, keys = cursor.fetchone()
        if text:
            yield text, keys


@staff_view
@require_GET
@reads_from_replica
def inquiry_export(request, membership):
    """The filtered list as CSV, streamed a chunk of rows at a time so a large export never sits in
    memory: a fixed number of queries per chunk, and on PostgreSQL the CSV text made there (issue 13)."""
    hub = membership.hub
    filters = InquiryFilterForm(request.GET, hub=hub).filters()
    rows = selectors.inquiry_filter(hub=hub, user=request.user, filters=filters)
    if selectors.ranks_every_match(filters) and capped_count(rows, search.RANK_CAP) > search.RANK_CAP:
        # In the list's order: a search with too many matches to rank is listed newest first (_paginator).
        rows = selectors.inquiry_filter(hub=hub, user=request.user, filters=filters, newest_first=True)
    in_sql = connections[rows.db].vendor == "postgresql"
    texts = (_export_texts_in_sql if in_sql else _export_texts_in_python)(rows, hub, EXPORT_CHUNK)

    def lines():
        buffer = io.StringIO()
        csv.writer(buffer).writerow([heading for heading, _, _ in EXPORT_COLUMNS])
        yield BOM + buffer.getvalue()
        for text, keys in texts:
            # Every exported inquiry is in the access log, recorded before its row is sent.
            inquiry_access_record_many(request, keys, "CSV export")
            yield text

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{hub.code}-inquiries-{stamp}.csv"'
    return response


@staff_view
@require_POST
def inquiry_bulk(request, membership):
    hub = membership.hub
    references = request.POST.getlist("selected")
    form = BulkForm(request.POST, hub=hub, references=references)
    back = reverse("intake:staff_inquiry_list", args=[hub.slug]) + "?" + request.POST.get("query", "")
    if not form.is_valid():
        # Show the list again as it was, with the boxes still ticked and the action and reason as typed.
        request.GET = QueryDict(request.POST.get("query", ""))
        return render(request, "intake/staff/inquiry_list.html",
                      _list_context(request, membership, bulk_form=form), status=400)
    inquiries = list(selectors.hub_inquiries(hub).filter(reference__in=form.cleaned_data["selected"]))
    data = form.cleaned_data
    if data["action"] == "assign":
        from hubportal.models import User

        assignee = User.objects.filter(pk=data["assignee"]).first() if data["assignee"] else None
        done, refused = services.inquiry_bulk(inquiries=inquiries, action=lambda i: services.inquiry_assign(
            inquiry=i, by=request.user, assignee=assignee, version=i.version))
        verb = "assigned"
    else:
        done, refused = services.inquiry_bulk(inquiries=inquiries, action=lambda i: services.inquiry_close(
            inquiry=i, by=request.user, outcome=data["outcome"], reason=data["reason"], version=i.version))
        verb = "closed"
    if done:
        messages.success(request, f"{len(done)} inquir{'y' if len(done) == 1 else 'ies'} {verb}")
    if refused:
        messages.error(request, f"Not {verb}, because they are closed or changed meanwhile: "
                                f"{', '.join(i.reference for i in refused)}")
    return redirect(back)


def _panel(template):
    """Templates of other apps the page includes only once they exist (signposting's panel)."""
    try:
        get_template(template)
    except TemplateDoesNotExist:
        return None
    return template


# The decision buttons of the case page, in the order they are shown: (decision, label, kind, style).
# Which of them appear is the lifecycle's answer (selectors.inquiry_available_decisions); this list only
# says how each looks. "post" decisions are a button posting the version; "form" ones open their page.
DECISION_ACTIONS = [
    ("start-review", "Start review", "post", ""),
    ("request-info", "Ask for information", "form", "secondary"),
    ("start-support", "Start support", "post", "secondary"),
    ("unpark", "Unpark", "post", "secondary"),
    ("park", "Park until a date", "form", "secondary"),
    ("duplicate", "Mark as duplicate", "form", "secondary"),
    ("close", "Close", "form", "warning"),
]


def _waiting_on(inquiry, info_requests, referrals, today):
    """What the inquiry is waiting for and on whom, in a few words for the summary band."""
    if not inquiry.is_open:
        return "Nothing: the inquiry is closed"
    if inquiry.parked_until and inquiry.parked_until > today:
        return f"Nobody: parked until {inquiry.parked_until:%-d %B %Y}"
    if inquiry.status == "awaiting_info":
        open_request = next((r for r in info_requests if not r.answered_at), None)
        if open_request:
            days = open_request.waited_working_days
            return f"The submitter: an answer to the hub's question ({days} working day{'s' if days != 1 else ''})"
        return "The submitter"
    pending = [r.partner.name for r in referrals if r.status in ("sent", "viewed")]
    if pending:
        return "Partners to respond: " + ", ".join(pending)
    if inquiry.status == "submitted":
        return "The hub: triage"
    if inquiry.status == "in_support":
        return "Partners supporting the submitter"
    return "The hub: a decision"


def _new_answer_ids(info_requests, events, inquiry):
    """Answers to the hub's questions that arrived after anyone at the hub last acted on the inquiry."""
    last_hub_action = max((e.created_at for e in events if e.actor_id and e.actor_id != inquiry.submitter_id),
                          default=None)
    return {r.pk for r in info_requests
            if r.answered_at and (last_hub_action is None or r.answered_at > last_hub_action)}


CONFLICT_LINES = 10


def _conflict(inquiry, form, **form_kwargs):
    """After InquiryChanged: the inquiry as it is now, the timeline lines written since the person loaded
    their page (the newest CONFLICT_LINES), and their form again with everything they typed.

    The form's version becomes the current one, so sending it again, once they have seen what changed,
    is a deliberate decision on the inquiry as it now stands; nothing is ever decided on a stale page.
    """
    seen_at = form.cleaned_data.get("seen_at")
    inquiry.refresh_from_db()
    events = selectors.inquiry_timeline(inquiry)
    if seen_at is not None:
        events = events.filter(created_at__gt=seen_at)
    newest = list(events.order_by("-created_at", "-pk")[:CONFLICT_LINES])[::-1]
    data = form.data.copy()
    data["version"] = inquiry.version
    data["seen_at"] = timezone.now().isoformat()
    again = form.__class__(data, **form_kwargs)
    again.is_valid()
    return again, {"message": CHANGED_MESSAGE, "inquiry": inquiry, "since_seen": seen_at is not None,
                   "lines": timeline_entries(newest, inquiry=inquiry, reader="staff")}


def _case_rows(kind, inquiry, rows):
    """The inquiry's rows of one kind for its case page, each knowing its inquiry (no query to ask): the
    SQL compiled once per inquiry and kind in a process (hubportal.sqlcache), the rows read live."""
    found = sqlcache.kept_rows((f"case {kind}", Inquiry.objects.db, inquiry.pk), rows)
    for row in found:
        row.inquiry = inquiry
    return found


def _detail_context(request, membership, inquiry, **forms):
    hub = membership.hub
    # Every render of the case page (also a form error's re-render) shows the submitter's personal data.
    inquiry_access_record(request, inquiry, "case page")
    today = timezone.localdate()
    info_requests = _case_rows("information_requests", inquiry, lambda: InformationRequest.objects.filter(
        inquiry=inquiry).select_related("requested_by"))
    attachments = _case_rows("attachments", inquiry, lambda: Attachment.objects.filter(inquiry=inquiry))
    for request_ in info_requests:
        # The files that came with this answer, from the attachments already read (no query per answer).
        request_.answer_files = [a for a in attachments if a.information_request_id == request_.pk]
        end = request_.answered_at or timezone.now()
        request_.waited_working_days = working_days_between(request_.requested_at, end)
    signposting_panel = None
    if _panel("signposting/_triage_panel.html"):
        from signposting.selectors import triage_panel

        signposting_panel = triage_panel(inquiry=inquiry, membership=membership)
    lay_review = None
    if _panel("review/_case_panel.html"):
        from review.selectors import lay_review_panel

        lay_review = lay_review_panel(inquiry=inquiry)
    events = _case_rows("timeline", inquiry, lambda: selectors.inquiry_timeline(inquiry))
    checklists = selectors.hub_checklists(hub=hub, inquiry=inquiry)
    decisions = selectors.inquiry_available_decisions(inquiry)
    new_answers = _new_answer_ids(info_requests, events, inquiry)
    context = {
        "hub": hub, "membership": membership, "inquiry": inquiry,
        "rows": answer_rows(inquiry),
        "attachments": attachments,
        # Emails from the hub's mailbox: replies to our emails, and those staff attached or recorded.
        "emails": _case_rows("emails", inquiry, lambda: MailboxMessage.objects.filter(inquiry=inquiry).only(
            "public_id", "sender_email", "subject", "imported_at", "inquiry_id")),
        "timeline": timeline_entries(events, inquiry=inquiry, reader="staff"),
        "notes": _case_rows("notes", inquiry, lambda: InquiryNote.objects.filter(inquiry=inquiry).select_related("author")),
        "info_requests": info_requests,
        "new_answers": [r for r in info_requests if r.pk in new_answers],
        "checklists": checklists,
        "scores": [(c, c.inquiry_assessments[0]) for c in checklists if c.inquiry_assessments],
        "similar": selectors.inquiry_similar(inquiry=inquiry),
        "assign_form": AssignForm(hub=hub, initial={"assignee": inquiry.assignee_id, "version": inquiry.version}),
        "note_form": NoteForm(),
        "version_form": VersionedForm(initial={"version": inquiry.version}),
        "panel": signposting_panel,
        "lay_review": lay_review,
        "decisions": decisions,
        "decision_actions": [a for a in DECISION_ACTIONS if a[0] in decisions],
        "waiting_on": _waiting_on(inquiry, info_requests, signposting_panel.referrals if signposting_panel else [],
                                  today),
        "open_working_days": working_days_between(inquiry.submitted_at, inquiry.closed_at or timezone.now()),
        "today": today,
        "conflict": None,  # an edit conflict's (_conflict), given in `forms`
    }
    context.update(forms)
    return context


@staff_view
@require_GET
def inquiry_detail(request, membership, reference):
    inquiry = selectors.inquiry_get_for_staff(hub=membership.hub, reference=reference)
    return render(request, "intake/staff/inquiry_detail.html", _detail_context(request, membership, inquiry))


@staff_view
@require_GET
def attachment_download(request, membership, reference, public_id):
    inquiry = selectors.inquiry_get_for_staff(hub=membership.hub, reference=reference)
    attachment = get_object_or_404(Attachment, inquiry=inquiry, public_id=public_id)
    inquiry_access_record(request, inquiry, f"attachment {attachment.original_name}")
    return attachment_response(attachment)


ACCESS_LOG_PAGE_SIZE = 50


# Access: a lead of the inquiry's hub (a team member, like anyone else, gets 404): who saw this
# inquiry's personal data, when, what and from where.
@staff_view
@require_GET
def inquiry_access_log(request, membership, reference):
    if membership.role != membership.Role.LEAD:
        raise Http404("Hub leads only")
    inquiry = selectors.inquiry_get_for_staff(hub=membership.hub, reference=reference)
    page = Paginator(access_log_for_inquiry(inquiry), ACCESS_LOG_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "intake/staff/access_log.html", {
        "hub": membership.hub, "inquiry": inquiry, "page": page,
        "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
    })


@staff_view
@require_POST
def inquiry_assign(request, membership, reference):
    hub = membership.hub
    inquiry = selectors.inquiry_get_for_staff(hub=hub, reference=reference)
    form = AssignForm(request.POST, hub=hub)
    if form.is_valid():
        try:
            services.inquiry_assign(inquiry=inquiry, by=request.user, assignee=form.cleaned_data["assignee"],
                                    version=form.cleaned_data["version"])
        except services.InquiryChanged:
            # Keep the choice they made, open, beside what the other person did.
            form, conflict = _conflict(inquiry, form, hub=hub)
            return render(request, "intake/staff/inquiry_detail.html",
                          _detail_context(request, membership, inquiry, assign_form=form, conflict=conflict),
                          status=409)
        except services.NotAHubMember:
            messages.error(request, "Select a member of this hub")
        else:
            assignee = form.cleaned_data["assignee"]
            messages.success(request, f"Assigned to {assignee.get_full_name()}" if assignee else "Unassigned")
        return redirect(_inquiry_url(hub, inquiry))
    return render(request, "intake/staff/inquiry_detail.html",
                  _detail_context(request, membership, inquiry, assign_form=form), status=400)


@staff_view
@require_POST
def inquiry_note(request, membership, reference):
    hub = membership.hub
    inquiry = selectors.inquiry_get_for_staff(hub=hub, reference=reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.inquiry_add_note(inquiry=inquiry, by=request.user, body=form.cleaned_data["body"])
        messages.success(request, "Note added")
        return redirect(_inquiry_url(hub, inquiry) + "#notes")
    return render(request, "intake/staff/inquiry_detail.html",
                  _detail_context(request, membership, inquiry, note_form=form), status=400)


# Decisions with a form page of their own (GET shows it, POST decides); the rest are a button.
DECISION_FORMS = {
    "request-info": (RequestInfoForm, "Ask the submitter for information"),
    "close": (CloseForm, "Close the inquiry"),
    "duplicate": (DuplicateForm, "Mark as a duplicate"),
    "park": (ParkForm, "Park the inquiry"),
}
BUTTON_DECISIONS = {"start-review", "start-support", "unpark"}


def _decide(decision, inquiry, by, data):
    version = data["version"]
    if decision == "start-review":
        return services.inquiry_start_review(inquiry=inquiry, by=by, version=version), "Review started"
    if decision == "start-support":
        return services.inquiry_start_support(inquiry=inquiry, by=by, version=version), "Support started"
    if decision == "unpark":
        return services.inquiry_unpark(inquiry=inquiry, by=by, version=version), "Back from parking"
    if decision == "request-info":
        services.inquiry_request_info(inquiry=inquiry, by=by, question=data["question"], version=version)
        return inquiry, "Question sent. The submitter has been emailed a link"
    if decision == "close":
        services.inquiry_close(inquiry=inquiry, by=by, outcome=data["outcome"], reason=data["reason"],
                               version=version)
        return inquiry, "Inquiry closed. The submitter has been emailed"
    if decision == "duplicate":
        services.inquiry_mark_duplicate(inquiry=inquiry, by=by, original=data["original"], version=version)
        return inquiry, f"Marked as a duplicate of {data['original'].reference}"
    if decision == "park":
        services.inquiry_park(inquiry=inquiry, by=by, until=data["until"], reason=data["reason"], version=version)
        back = unpark_at(data["until"])
        return inquiry, (f"Parked until {data['until']:%-d %B %Y}. It comes back to the hub on "
                         f"{back:%A %-d %B %Y} at {f'{back:%-I%p}'.lower()}")
    raise Http404("No such decision")


@staff_view
@require_http_methods(["GET", "POST"])
def inquiry_decide(request, membership, reference, decision):
    hub = membership.hub
    if decision not in DECISION_FORMS and decision not in BUTTON_DECISIONS:
        raise Http404("No such decision")
    inquiry = selectors.inquiry_get_for_staff(hub=hub, reference=reference)
    form_class, heading = DECISION_FORMS.get(decision, (VersionedForm, None))
    if request.method == "GET" and form_class is VersionedForm:
        return redirect(_inquiry_url(hub, inquiry))
    kwargs = {"inquiry": inquiry} if form_class is DuplicateForm else {}
    data = request.POST if request.method == "POST" else None
    form = form_class(data, initial={"version": inquiry.version}, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            _inquiry, message = _decide(decision, inquiry, request.user, form.cleaned_data)
        except services.InquiryChanged:
            form, conflict = _conflict(inquiry, form, **kwargs)
            if form_class is VersionedForm:
                # A button: nothing typed to keep, but the case page shows what changed instead.
                return render(request, "intake/staff/inquiry_detail.html",
                              _detail_context(request, membership, inquiry, conflict=conflict), status=409)
            return render(request, "intake/staff/decision.html", {
                "hub": hub, "inquiry": inquiry, "form": form, "heading": heading, "decision": decision,
                "conflict": conflict,
            }, status=409)
        except services.TransitionNotAllowed as refused:
            messages.error(request, f"This cannot be done now: the inquiry is {inquiry.get_status_display().lower()}"
                                    if refused.current else str(refused))
        else:
            messages.success(request, message)
        return redirect(_inquiry_url(hub, inquiry))
    if form_class is VersionedForm:
        messages.error(request, "Something went wrong with that form. Try again")
        return redirect(_inquiry_url(hub, inquiry))
    return render(request, "intake/staff/decision.html", {
        "hub": hub, "inquiry": inquiry, "form": form, "heading": heading, "decision": decision,
    }, status=400 if form.is_bound else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def inquiry_assess(request, membership, reference, checklist_slug):
    hub = membership.hub
    inquiry = selectors.inquiry_get_for_staff(hub=hub, reference=reference)
    checklist = get_object_or_404(hub.checklists.filter(is_active=True, kind="triage"), slug=checklist_slug)
    criteria = list(checklist.criteria.all())
    form_class = checklist_form_class(checklist, criteria)
    # The current assessment may have used an earlier version of the checklist: its answers fill in the
    # same questions (criteria keep their key across versions), and nothing else.
    current = (Assessment.objects.filter(inquiry=inquiry, checklist__hub=hub, checklist__slug=checklist.slug,
                                         is_current=True)
               .select_related("checklist").prefetch_related("answers__criterion").first())
    initial = {}
    if current:
        pk_of = {c.key: c.pk for c in criteria}
        for answer in current.answers.all():
            pk = pk_of.get(answer.criterion.key)
            if pk is not None:
                initial[f"answer_{pk}"] = answer.answer
                initial[f"comment_{pk}"] = answer.comment
        initial["summary"] = current.summary
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        assessment = services.assessment_record(inquiry=inquiry, by=request.user, checklist=checklist,
                                                answers=form.answers(), summary=form.cleaned_data["summary"])
        message = f"Assessment saved: {assessment.score}%" if assessment.score is not None else "Assessment saved"
        if assessment.follow_ups:
            message += ". Follow-ups: " + "; ".join(assessment.follow_ups)
        messages.success(request, message)
        return redirect(_inquiry_url(hub, inquiry) + "#checklists")
    return render(request, "intake/staff/assess.html", {
        "hub": hub, "inquiry": inquiry, "checklist": checklist, "form": form,
        "criteria_fields": [(c, form[f"answer_{c.pk}"], form[f"comment_{c.pk}"]) for c in criteria],
        "current": current,
    }, status=400 if form.is_bound else 200)



# Access: the lead of the inquiry's hub (a member gets 404, as for anything not theirs to do).
@staff_view
@require_POST
def inquiry_legal_hold(request, membership, reference):
    from hubportal.models import HubMembership

    hub = membership.hub
    if membership.role != HubMembership.Role.LEAD:
        raise Http404("Only the hub lead sets a legal hold")
    inquiry = selectors.inquiry_get_for_staff(hub=hub, reference=reference)
    if request.POST.get("action") == "release":
        services.inquiry_release_legal_hold(inquiry=inquiry, by=request.user)
        messages.success(request, "Legal hold released: the retention schedule applies again")
    else:
        reason = request.POST.get("reason", "")[:300]
        if not reason.strip():
            messages.error(request, "Enter why the inquiry must be kept")
        else:
            services.inquiry_set_legal_hold(inquiry=inquiry, by=request.user, reason=reason)
            messages.success(request, "Legal hold set")
    return redirect(_inquiry_url(hub, inquiry))


@staff_view
@require_POST
def saved_search_create(request, membership):
    """Save the list's current filters under a name; back to the list with them applied."""
    hub = membership.hub
    form = SavedSearchForm(request.POST)
    query = request.POST.get("query", "")
    if form.is_valid():
        query = form.cleaned_data["query"]
        try:
            services.saved_search_create(hub=hub, owner=request.user, name=form.cleaned_data["name"], query=query,
                                         is_shared=form.cleaned_data["is_shared"])
        except services.SavedSearchNameTaken:
            form.add_error("name", "You already have a saved search with that name. Enter a different name")
        else:
            shared = " and shared it with the hub" if form.cleaned_data["is_shared"] else ""
            messages.success(request, f"You saved the search \u201c{form.cleaned_data['name']}\u201d{shared}")
            return redirect(reverse("intake:staff_inquiry_list", args=[hub.slug]) + (f"?{query}" if query else ""))
    request.GET = QueryDict(query)
    return render(request, "intake/staff/inquiry_list.html", _list_context(request, membership, save_form=form),
                  status=400)


@staff_view
@require_POST
def saved_search_delete(request, membership, pk):
    from .models import SavedSearch

    # Someone else's saved search is a 404, shared or not: only its owner deletes it.
    saved = get_object_or_404(SavedSearch, pk=pk, hub=membership.hub, owner=request.user)
    services.saved_search_delete(saved_search=saved, by=request.user)
    messages.success(request, f"You deleted the saved search \u201c{saved.name}\u201d")
    return redirect("intake:staff_inquiry_list", hub_slug=membership.hub.slug)
