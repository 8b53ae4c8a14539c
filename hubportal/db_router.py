"""Report pages read from a PostgreSQL read replica; everything else, and every write, uses default.

Why only reports: they are the heavy reads (figures over every inquiry of a hub, exports, the figures
API) and can bear a replica's lag of a moment; a case page, a queue or a sign-in must see the latest
row. Which reads go where is decided per view, by `reads_from_replica` on the report views, rather than
per model: the same Inquiry table is read from the primary by the queue and from the replica by the
metrics page.

Rules (ReportsReplicaRouter):
- reads inside `reads_from_replica` go to settings.REPORTS_DATABASE ("replica" once DATABASE_REPLICA_URL
  is set; "default" otherwise, so with no replica everything works as it always did);
- except reads inside a transaction opened within the report (a service that locks and writes, say),
  which read where they will write: a replica refuses SELECT ... FOR UPDATE, and must not be asked
  what the same transaction just changed;
- except for a browser that changed something in the last DATABASE_REPLICA_STICKY_SECONDS (the cookie
  that ReplicaStickinessMiddleware sets on each POST): a hub lead who saves a narrative or moves an
  inquiry and then opens the report sees their change, whatever the replica's lag;
- every write goes to default; relations across the two aliases are allowed (they hold the same
  rows); migrations run on default only (the replica copies them).
The decorator goes innermost, under the permission decorators: who the person is and what they may
see is always read from default, so a membership just removed is never honoured by a lagging replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

# Outside a report: None. Inside: the default connection (this thread's, kept here because looking it up
# in `connections` costs more than the rest of the routing) and its depth of atomic blocks at the start.
_report: ContextVar[tuple[Any, int] | None] = ContextVar("reads_from_replica", default=None)

STICKY_COOKIE = "primary_reads_until"


def replica_alias() -> str | None:
    """The alias reports read from, or None when they read default (no replica configured)."""
    alias = settings.REPORTS_DATABASE
    return alias if alias != DEFAULT_DB_ALIAS and alias in settings.DATABASES else None


class ReportsReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        report = _report.get()
        if report is None:
            # Explicit, not None: Django would otherwise follow an instance read from the replica.
            return DEFAULT_DB_ALIAS
        default, depth = report
        alias = replica_alias()
        if alias is None or len(default.atomic_blocks) > depth:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica (when configured), by the rules above."""
    default = connections[DEFAULT_DB_ALIAS]
    token = _report.set((default, len(default.atomic_blocks)))
    try:
        yield
    finally:
        _report.reset(token)


def _stream_in_replica_reads(chunks: Any) -> Iterator[Any]:
    # A streamed response (the CSV export) runs its queries while the server reads it, after the view
    # returned: each chunk is produced inside the report's reads again.
    iterator = iter(chunks)
    while True:
        with replica_reads():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def _wrote_recently(request: HttpRequest) -> bool:
    try:
        return float(request.COOKIES.get(STICKY_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A report view whose reads go to the replica (see the module's rules). Put it under the
    permission decorators, so the access checks read default."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if replica_alias() is None or _wrote_recently(request):
            return view(request, *args, **kwargs)
        with replica_reads():
            response = view(request, *args, **kwargs)
        if getattr(response, "streaming", False):
            response.streaming_content = _stream_in_replica_reads(response.streaming_content)  # type: ignore[attr-defined]
        return response

    return wrapper


class ReplicaStickinessMiddleware:
    """After a browser changes something (any POST, PUT, PATCH or DELETE), its report pages read the
    primary for DATABASE_REPLICA_STICKY_SECONDS, so it sees its own change however far the replica lags.

    Only with a replica configured. The cookie holds a time, not a secret: forging it only sends that
    browser's report reads to the primary, which any of them may read anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        seconds = settings.DATABASE_REPLICA_STICKY_SECONDS
        if request.method not in ("GET", "HEAD", "OPTIONS") and seconds > 0 and replica_alias() is not None:
            response.set_cookie(STICKY_COOKIE, f"{time.time() + seconds:.3f}", max_age=seconds, httponly=True,
                                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response
