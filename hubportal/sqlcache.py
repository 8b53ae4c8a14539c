"""The SQL of a page's queries, compiled by the ORM once per web process for the same inputs.

Compiling a QuerySet to SQL costs the ORM 0.2 to 1 ms a query, whatever the data: on the dashboard,
whose seven cards are seven queues counted and read, that was 6 of its 20 ms of CPU (issue 13). The
SQL of a card depends only on the hub, the person and today's date, so it is compiled the first time a
person opens their dashboard in a process on a day, and kept (the text and its parameters, never a
row: every request still reads the data live). Kept per process in a bounded LRU, like a database
driver's cache of prepared statements; a key must name everything the SQL depends on. Used by the
dashboard, `membership_for` (every staff page) and the case page's reads (docs/decisions.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# get_related_populators is Django's own, as ModelIterable uses it (not in django-stubs): pinned to Django
# 5.2 LTS, held by the tests.
from django.db.models.query import ModelIterable, get_related_populators  # type: ignore[attr-defined]
from django.http import Http404

# An entry (SQL, parameters, the ORM's column map) is about 26 KiB: at most about 27 MB a web process. A case
# page keeps about nine, so this holds a hundred-odd case pages and dashboards; past it, the oldest compile again.
MAX_ENTRIES = 1024


@dataclass(frozen=True)
class Compiled:
    """A statement's SQL and parameters and the database it runs on."""

    sql: str
    params: tuple[Any, ...]
    using: str

    def row(self) -> Sequence[Any]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return cursor.fetchone()


@dataclass(frozen=True)
class CompiledRows(Compiled):
    """A QuerySet's SQL with what the ORM worked out to turn its rows into models: the columns (`select`),
    where each model's fields sit among them (`klass_info`, select_related's too) and the annotations."""

    query: Any = None
    select: tuple[Any, ...] = ()
    klass_info: dict[str, Any] | None = None
    annotation_col_map: dict[str, int] | None = None

    def models(self) -> list[Any]:
        """The rows as models, as iterating the QuerySet gives them (Django's ModelIterable, without the
        compiling): the database's converters applied, select_related's models and annotations set."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            fetched = cursor.fetchall()
        # A compiler of this thread's connection, given the kept columns, for the database's converters.
        compiler = self.query.get_compiler(using=self.using)
        compiler.select, compiler.klass_info = list(self.select), self.klass_info
        compiler.annotation_col_map, compiler.col_count = self.annotation_col_map, len(self.select)
        klass_info, select = self.klass_info or {}, self.select
        model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        attnames = [column[0].target.attname for column in select[first:last]]
        related = get_related_populators(klass_info, list(select), self.using)
        annotations = (self.annotation_col_map or {}).items()
        result = []
        for row in compiler.results_iter([fetched]):
            instance = model.from_db(self.using, attnames, row[first:last])
            for populator in related:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            result.append(instance)
        return result

    def get_or_404(self) -> Any:
        """The one row, as get_object_or_404 gives it."""
        rows = self.models()
        if len(rows) != 1:
            raise Http404("No such row" if not rows else "More than one row")
        return rows[0]


def compile_rows(rows: QuerySet) -> CompiledRows:
    """A QuerySet of models compiled, to be kept: its SQL and how its columns become models."""
    internals: Any = rows  # QuerySet's own attributes, which django-stubs does not declare
    if internals._prefetch_related_lookups or rows._iterable_class is not ModelIterable or internals._known_related_objects:
        raise ValueError("compile_rows takes a QuerySet of models (not values) without prefetch_related")
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    return CompiledRows(sql, tuple(params), rows.db, query=rows.query, select=tuple(compiler.select),
                        klass_info=compiler.klass_info, annotation_col_map=dict(compiler.annotation_col_map or {}))


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        value = make()  # outside the lock: compiling may itself read (the router), never wait on a peer
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._entries)


_cache = _LRU(MAX_ENTRIES)


def compiled(key: Hashable, make: Callable[[], Any]) -> Any:
    """make()'s result for this key, made once per process while the key stays among the most recent."""
    return _cache.get(key, make)


def kept_rows(key: Hashable, queryset: Callable[[], QuerySet]) -> list[Any]:
    """The models of queryset(), its SQL compiled once for this key (which must name all it depends on)."""
    return compiled(key, lambda: compile_rows(queryset())).models()


def clear() -> None:
    _cache.clear()
