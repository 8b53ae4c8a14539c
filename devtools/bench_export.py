"""How fast, and in how much memory, does the CSV export stream? bench_export() says.

Issue 13's target: 100,000 rows streamed at 50,000 rows a second or more, in constant memory. This
requests the export as a signed-in hub lead through django.test.Client (so middleware, the view and
every query count, as in `manage.py bench`), reads the streamed response to the end and counts its
rows. Run it with DEBUG off: with DEBUG on, Django keeps every query's SQL in memory.

Memory is measured two ways: tracemalloc's peak of Python allocations while the response is read (what
grows with rows in our code), and the process's peak resident set before and after (which also sees
the database driver's C buffers: a client-side cursor holding a whole result shows there, not in
tracemalloc). The access log rows the export writes are deleted again afterwards.
"""

import os
import resource
import statistics
import time
import tracemalloc

from django.test import Client
from django.urls import reverse

from hubportal.testing import sign_in_staff
from intake.models import InquiryAccess


def _max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bench_export(*, hub, user, query="", repeats=3, trace_memory=True):
    """{rows, median_s, rows_per_s, cpu_median_s, tracemalloc_peak_kb, rss_growth_kb, queries, load_average_*} for the
    export of `hub` with the list's `query` string, read to the end `repeats` times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = sign_in_staff(Client(), user)
    url = reverse("intake:staff_inquiry_export", args=[hub.slug]) + (f"?{query}" if query else "")
    first_access = InquiryAccess.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    load_before = os.getloadavg()[0]
    rss_before = _max_rss_kb()
    timings, cpu_timings, rows, peaks = [], [], 0, []
    for n in range(repeats):
        tracing = trace_memory and n == repeats - 1  # tracemalloc slows Python: trace the last run only
        if tracing:
            tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, secure=True)
            rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1  # less the heading
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if tracing:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        else:
            timings.append(elapsed)
            cpu_timings.append(cpu)
    InquiryAccess.objects.filter(pk__gt=first_access, what="CSV export").delete()
    median = statistics.median(timings) if timings else elapsed
    return {
        "rows": rows,
        "median_s": round(median, 3),
        "rows_per_s": round(rows / median) if median else None,
        # This process's CPU time (the database's work is in another process): steadier than the wall
        # clock on a busy machine.
        "cpu_median_s": round(statistics.median(cpu_timings), 3) if cpu_timings else None,
        "queries": len(queries.captured_queries),
        "tracemalloc_peak_kb": round(peaks[0] / 1024) if peaks else None,
        "rss_growth_kb": _max_rss_kb() - rss_before,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
