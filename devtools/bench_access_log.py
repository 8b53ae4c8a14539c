"""The access log's added time on the staff case page: the median of N in-process requests with the log
written, and N with inquiry_access_record replaced by a no-op (issue 12's figure, docs/benchmarks.md).

Run by tests/devtools/test_bench_access_log.py's helper, or from a shell with a signed-in staff client."""

from __future__ import annotations

import statistics
import time
from unittest import mock


def bench_access_log(client, url: str, *, n: int = 50) -> dict[str, float]:
    def timed() -> list[float]:
        client.get(url)  # warm
        times = []
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        return times

    # Alternate the two so drift on a shared machine falls on both alike.
    with_log, without_log = [], []
    for _ in range(2):
        with_log += timed()
        with mock.patch("intake.staff_views.inquiry_access_record", lambda *args, **kwargs: None):
            without_log += timed()
    return {"with_ms": statistics.median(with_log), "without_ms": statistics.median(without_log),
            "added_ms": statistics.median(with_log) - statistics.median(without_log), "requests": 2 * n}
