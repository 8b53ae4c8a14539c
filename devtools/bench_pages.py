"""The staff pages `make bench` measures (issue 13): timed in process, and over HTTP through gunicorn.

In process, each page is requested through django.test.Client as a signed-in hub lead, and each
request's time is split three ways, so a slow page says where to look:

- SQL: the time inside `cursor.execute`, through `connection.execute_wrapper` (which also counts the
  queries of every timed request, at no extra cost). Rows fetched later from a server-side cursor
  (`QuerySet.iterator()` on PostgreSQL) are fetched outside `execute`, so they count as Python.
- templates: the time inside the outermost `Template._render` of the request (an included or extended
  template is inside it), minus any SQL run from inside the template (a lazy queryset), so no
  millisecond is counted twice.
- other Python: the rest (middleware, the view, forms, the CSV writer, the test client itself).

Over HTTP only the whole request can be seen from outside (`measure_http`): the split and the query
count come from the in-process run of the same URL.

Both end in one machine-readable line per page (`bench_line`), e.g.
`BENCH page=dashboard inquiries=100000 hubs=4 mode=inprocess median_ms=12.3 p95_ms=15.0 queries=9 ...`,
which `parse_bench_line` reads back (the tests and anyone comparing runs).
"""

from __future__ import annotations

import csv
import http.client
import io
import logging
import math
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.template.base import Template
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from hubportal.testing import sign_in_staff

# The pages, in its order. Submit and matcher belong to other modules (devtools.bench_submit,
# devtools.bench_matcher); the command adds their lines.
# "search" is the (a common phrase: 7,200 matches in a hub of 250,000, listed newest first past
# intake.search.RANK_CAP); "search_ranked" finds 822 there, ranked by relevance.
PAGES = ("dashboard", "list", "list_filtered", "search", "search_ranked", "case", "metrics", "value_report",
         "value_report_fresh", "export")
# Measured only when asked for by name (--pages): the value report's PDF (issue 11) takes seconds a request.
EXTRA_PAGES = ("value_report_pdf",)
# The export target is 100,000 rows; a hub with fewer exports everything it has.
EXPORT_ROWS = 100_000
# Streaming 100,000 rows takes seconds: fewer timed requests than the other pages.
EXPORT_REPEATS = 5


@dataclass
class PageResult:
    page: str
    url: str
    mode: str = "inprocess"
    timings_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    template_ms: list[float] = field(default_factory=list)
    query_counts: list[int] = field(default_factory=list)
    # This process's CPU time per request (time.thread_time): on a busy machine the wall clock waits
    # for a CPU, this does not. PostgreSQL's own work is in another process, so it is not in here.
    cpu_ms: list[float] = field(default_factory=list)
    queries: int | None = None  # over HTTP: copied from the in-process run of the same URL
    status: int | None = None
    rows: int | None = None  # CSV rows, header excluded
    body_bytes: int | None = None
    memory: dict[str, float] = field(default_factory=dict)  # the export's memory figures, in KiB
    error: str = ""

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.timings_ms) if self.timings_ms else None

    @property
    def cpu_median_ms(self) -> float | None:
        return statistics.median(self.cpu_ms) if self.cpu_ms else None

    @property
    def p95_ms(self) -> float | None:
        """Nearest-rank 95th percentile: of 30 requests, the 29th fastest; of 5, the slowest."""
        if not self.timings_ms:
            return None
        ordered = sorted(self.timings_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def share(self, part: list[float]) -> float | None:
        """`part`'s share of all the timed requests' time, in per cent."""
        total = sum(self.timings_ms)
        return 100 * sum(part) / total if part and total else None

    @property
    def sql_pct(self) -> float | None:
        return self.share(self.sql_ms)

    @property
    def template_pct(self) -> float | None:
        return self.share(self.template_ms)

    @property
    def python_pct(self) -> float | None:
        sql, template = self.sql_pct, self.template_pct
        return None if sql is None or template is None else max(0.0, 100 - sql - template)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / (self.median_ms / 1000) if self.rows is not None and self.median_ms else None

    @property
    def ok(self) -> bool:
        return not self.error and self.status == 200


# --- Which URLs ----------------------------------------------------------------------------------

def _url(name: str, *args: Any, query: str = "") -> str:
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch as error:
        return f"(no URL: {error})"


def _report_period() -> str:
    from adoption.report import default_period

    date_from, date_to = default_period()
    return f"from={date_from.isoformat()}&to={date_to.isoformat()}"


def bench_urls(hub: Any, *, export_rows: int = EXPORT_ROWS, pages: tuple[str, ...] = PAGES,
               case: str | None = None) -> list[tuple[str, str]]:
    """(page, URL) for each page asked for, chosen from the hub's own data; `case` names the inquiry
    whose case page is measured (to compare one inquiry's page at two data sizes)."""
    from intake.models import InformationRequest
    from intake.selectors import hub_inquiries

    rows = hub_inquiries(hub)
    # A rich case page: an inquiry that had a question answered, so every panel has something.
    case = case or (InformationRequest.objects.filter(inquiry__hub=hub, answered_at__isnull=False)
            .order_by("-requested_at").values_list("inquiry__reference", flat=True).first()
            or rows.order_by("-submitted_at").values_list("reference", flat=True).first() or "none")
    # About `export_rows` rows: everything sent since the day of the Nth newest (everything if fewer).
    nth = rows.order_by("-submitted_at").values_list("submitted_at", flat=True)[export_rows - 1:export_rows].first()
    export_query = f"submitted_from={timezone.localtime(nth).date().isoformat()}" if nth else ""
    slug = hub.slug
    urls = {
        "dashboard": _url("intake:staff_dashboard", slug),
        "list": _url("intake:staff_inquiry_list", slug),
        "list_filtered": _url("intake:staff_inquiry_list", slug,
                              query="status=submitted&kind_of_help=new_idea&sort=due"),
        "search": _url("intake:staff_inquiry_list", slug, query="q=remote+monitoring"),
        "search_ranked": _url("intake:staff_inquiry_list", slug, query="q=virtual+ward+heart+failure"),
        "case": _url("intake:staff_inquiry", slug, case),
        "metrics": _url("intake:staff_metrics", slug),
        # Twelve months to today (the page's default period), as a board pack would ask.
        "value_report": _url("adoption:value_report", slug, query=_report_period()),
        # The same with its figures worked out on every request (?fresh=1), not from the page's snapshot
        # (at most VALUE_REPORT_MAX_AGE_MINUTES old, made by the warm-up request): what the first person
        # after the snapshot expires waits for.
        "value_report_fresh": _url("adoption:value_report", slug, query=_report_period() + "&fresh=1"),
        "export": _url("intake:staff_inquiry_export", slug, query=export_query),
        "value_report_pdf": _url("adoption:value_report_pdf", slug, query=_report_period()),
    }
    unknown = [page for page in pages if page not in urls]
    if unknown:
        raise ValueError(f"Unknown pages: {', '.join(unknown)}")
    return [(page, urls[page]) for page in pages]


# --- In process ----------------------------------------------------------------------------------

class _Split:
    """SQL and template time (seconds) and the query count of the request in progress."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sql = 0.0
        self.template = 0.0
        self.queries = 0
        self._depth = 0

    def execute(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql += time.perf_counter() - started
            self.queries += 1

    def wrap_render(self, render: Callable) -> Callable:
        split = self

        def timed_render(template: Template, context: Any) -> Any:
            if split._depth:  # inside another template: the outermost one is timing it
                return render(template, context)
            split._depth += 1
            started, sql_before = time.perf_counter(), split.sql
            try:
                return render(template, context)
            finally:
                split._depth -= 1
                split.template += (time.perf_counter() - started) - (split.sql - sql_before)

        return timed_render


@contextmanager
def _instrumented() -> Iterator[_Split]:
    """Time SQL and template rendering until the block ends (one thread: the test client's)."""
    split = _Split()
    original = Template._render
    Template._render = split.wrap_render(original)  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(split.execute):
            yield split
    finally:
        Template._render = original  # type: ignore[method-assign]


def _drain(response: Any, keep: bool = False) -> bytes:
    """Read a response to the end: a streaming one chunk by chunk, keeping nothing unless asked
    (the test client does not buffer it, so the export's memory is the server's own). The test
    client ends the request itself (request_finished) when the last chunk is read; closing the
    response again here would send that signal a second time, with the handler that closes the
    database connection connected."""
    if not response.streaming:
        return response.content
    kept = []
    for chunk in response.streaming_content:
        if keep:
            kept.append(chunk)
    return b"".join(kept)


def _csv_rows(body: bytes) -> int:
    return max(0, len(list(csv.reader(io.StringIO(body.decode("utf-8"))))) - 1)


def _rss_peak_kib() -> float:
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def measure_inprocess(*, hub: Any, user: Any, repeats: int = 30, export_rows: int = EXPORT_ROWS,
                      export_repeats: int = EXPORT_REPEATS, pages: tuple[str, ...] = PAGES,
                      case: str | None = None) -> list[PageResult]:
    """Time each page `repeats` times for `user` (a member of `hub`) signed in. A failing page is
    reported with its error rather than stopping the others."""
    client = sign_in_staff(Client(raise_request_exception=True), user)
    request_log = logging.getLogger("django.request")
    results = []
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        previous, request_log.disabled = request_log.disabled, True  # errors go in the table instead
        try:
            for page, url in bench_urls(hub, export_rows=export_rows, pages=pages, case=case):
                times = export_repeats if page == "export" else repeats
                results.append(_measure_page(client, page, url, times))
        finally:
            request_log.disabled = previous
    return results


def _measure_page(client: Client, page: str, url: str, repeats: int) -> PageResult:
    result = PageResult(page=page, url=url)
    if url.startswith("(no URL"):
        result.error = url.strip("()")
        return result
    try:
        # Warm-up: templates compiled, connection open, caches as a second visitor finds them.
        response = client.get(url, secure=True)
        body = _drain(response, keep=True)
        result.status, result.body_bytes = response.status_code, len(body)
        if response.get("Content-Type", "").startswith("text/csv"):
            result.rows = _csv_rows(body)
        del body
        if page == "export":
            result.memory = _export_memory(client, url)
        with _instrumented() as split:
            for _ in range(repeats):
                split.reset()
                started, cpu_started = time.perf_counter(), time.thread_time()
                response = client.get(url, secure=True)
                _drain(response)
                result.timings_ms.append((time.perf_counter() - started) * 1000)
                result.cpu_ms.append((time.thread_time() - cpu_started) * 1000)
                result.sql_ms.append(split.sql * 1000)
                result.template_ms.append(split.template * 1000)
                result.query_counts.append(split.queries)
                result.status = response.status_code
        # The same page makes the same queries each time; if not, the larger count is the honest one.
        result.queries = max(result.query_counts) if result.query_counts else None
    except Exception as error:  # a broken page is a finding, not the end of the run
        result.error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:160]
    return result


def _export_memory(client: Client, url: str) -> dict[str, float]:
    """Memory of one export read to the end, outside the timed requests (tracemalloc slows Python):
    the peak of Python's allocations during the request, and how much the process's peak RSS rose.
    Streamed in constant memory, the first stays about the same for 1,000 rows or 100,000."""
    rss_before = _rss_peak_kib()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        _drain(client.get(url, secure=True))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"peak_python_kib": round(peak / 1024, 1), "rss_growth_kib": _rss_peak_kib() - rss_before}


# --- Over HTTP -----------------------------------------------------------------------------------

def measure_http(*, host: str, port: int, session_cookie: str, urls: list[tuple[str, str]], repeats: int = 30,
                 export_repeats: int = EXPORT_REPEATS, warmups: int = 3,
                 worker_memory: Callable[[], dict[int, float]] | None = None) -> list[PageResult]:
    """Time each URL `repeats` times over HTTP, one request after another, on a keep-alive connection
    (http.client reopens it when the server closes it, as gunicorn's sync workers do after each
    response: that cost is part of what a browser behind a proxy would not see, and is counted).

    `warmups` requests first, so each of the workers has compiled its templates. The request says it
    came through an HTTPS proxy (X-Forwarded-Proto), as production's does, so no redirect to HTTPS.
    `worker_memory` (pid -> peak RSS in KiB) is read around the export's requests."""
    cookie_name = settings.SESSION_COOKIE_NAME
    headers = {"Cookie": f"{cookie_name}={session_cookie}", "X-Forwarded-Proto": "https",
               "Accept-Encoding": "identity", "Connection": "keep-alive"}
    conn = http.client.HTTPConnection(host, port, timeout=300)
    results = []
    try:
        for page, url in urls:
            result = PageResult(page=page, url=url, mode="http")
            if url.startswith("(no URL"):
                result.error = url.strip("()")
                results.append(result)
                continue
            try:
                for _ in range(warmups):
                    result.status, size = _http_get(conn, url, headers)
                    result.body_bytes = size
                before = worker_memory() if worker_memory and page == "export" else {}
                for _ in range(export_repeats if page == "export" else repeats):
                    started = time.perf_counter()
                    result.status, _ = _http_get(conn, url, headers)
                    result.timings_ms.append((time.perf_counter() - started) * 1000)
                if before and worker_memory:
                    after = worker_memory()
                    result.memory = {"worker_rss_peak_growth_kib": max(
                        (after[pid] - before[pid] for pid in after if pid in before), default=0.0)}
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                result.error = f"{type(error).__name__}: {error}"[:160]
            results.append(result)
    finally:
        conn.close()
    return results


def _http_get(conn: http.client.HTTPConnection, url: str, headers: dict[str, str]) -> tuple[int, int]:
    conn.request("GET", url, headers=headers)
    response = conn.getresponse()
    size = 0
    while chunk := response.read(65536):  # a streamed CSV is read as it comes, never held whole
        size += len(chunk)
    return response.status, size


# --- The machine-readable lines ------------------------------------------------------------------

def _number(value: float) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def format_bench_line(page: str, *, inquiries: int, hubs: int, mode: str, **figures: Any) -> str:
    """`BENCH page=... inquiries=... hubs=... mode=... key=value ...`: None values are left out and
    a value never holds a space, so `line.split()` reads it back."""
    parts = [f"page={page}", f"inquiries={inquiries}", f"hubs={hubs}", f"mode={mode}"]
    for key, value in figures.items():
        if value is not None:
            parts.append(f"{key}={_number(value).replace(' ', '_')}")
    return "BENCH " + " ".join(parts)


def bench_line(result: PageResult, *, inquiries: int, hubs: int) -> str:
    figures: dict[str, Any] = {
        "median_ms": result.median_ms, "p95_ms": result.p95_ms, "queries": result.queries,
        "status": result.status if not result.error else "error",
    }
    if result.mode == "inprocess":
        figures.update(sql_pct=result.sql_pct, template_pct=result.template_pct, python_pct=result.python_pct,
                       cpu_median_ms=result.cpu_median_ms)
    if result.rows is not None:
        figures.update(rows=result.rows, rows_per_s=result.rows_per_s)
    figures.update(result.memory)
    return format_bench_line(result.page, inquiries=inquiries, hubs=hubs, mode=result.mode, **figures)


def parse_bench_line(line: str) -> dict[str, str]:
    """The key=value pairs of one `BENCH ...` line (all values as text)."""
    head, *pairs = line.split()
    if head != "BENCH":
        raise ValueError(f"Not a BENCH line: {line!r}")
    return dict(pair.split("=", 1) for pair in pairs)


def format_table(results: list[PageResult]) -> str:
    """The human-readable table: one row per page."""
    head = (f"{'page':<16} {'mode':<9} {'median ms':>9} {'p95 ms':>8} {'cpu ms':>7} {'queries':>7} {'sql %':>6} "
            f"{'tmpl %':>6} {'py %':>6} {'status':>6}  notes")
    lines = [head, "-" * len(head)]

    def show(value: float | None, digits: int = 1) -> str:
        return f"{value:.{digits}f}" if value is not None else "-"

    for r in results:
        notes = r.error
        if not notes and r.rows is not None:
            notes = f"{r.rows:,} rows, {show(r.rows_per_s, 0)} rows/s"
        if r.memory:
            notes += ("; " if notes else "") + ", ".join(f"{key} {value:,.0f}" for key, value in r.memory.items())
        lines.append(f"{r.page:<16} {r.mode:<9} {show(r.median_ms):>9} {show(r.p95_ms):>8} {show(r.cpu_median_ms):>7} "
                     f"{r.queries if r.queries is not None else '-':>7} {show(r.sql_pct, 0):>6} "
                     f"{show(r.template_pct, 0):>6} {show(r.python_pct, 0):>6} {r.status or '-':>6}  {notes}")
    return "\n".join(lines)
