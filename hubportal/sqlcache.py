"""The SQL of a page's queries, compiled by the ORM once per web process for the same inputs.

Compiling a QuerySet to SQL costs the ORM 0.2 to 1 ms a query, whatever the data: on the dashboard,
whose seven cards are seven queues counted and read, that was 6 of its 20 ms of CPU (issue 13). The
SQL of a card depends only on the hub, the person and today's date, so it is compiled the first time a
person opens their dashboard in a process on a day, and kept (the text and its parameters, never a
row: every request still reads the data live). Kept per process in a bounded LRU, like a database
driver's cache of prepared statements; a key must name everything the SQL depends on.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

MAX_ENTRIES = 2048


@dataclass(frozen=True)
class Compiled:
    """A query's SQL and parameters, the database it runs on, and the model fields its columns fill."""

    sql: str
    params: tuple[Any, ...]
    using: str
    model: type[Model] | None = None
    attnames: tuple[str, ...] = ()

    def models(self) -> list[Any]:
        """The rows as instances of the model (with only these fields loaded, like .only())."""
        assert self.model is not None, "compiled from values, not from a model's rows"
        model, using, attnames = self.model, self.using, self.attnames
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return [model.from_db(using, attnames, row) for row in cursor.fetchall()]

    def row(self) -> Sequence[Any]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return cursor.fetchone()


def compile_rows(rows: QuerySet) -> Compiled:
    """The SQL of a QuerySet of model instances without joins (rows.only(...), no select_related)."""
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    if compiler.klass_info is None or compiler.klass_info.get("related_klass_infos") or compiler.annotation_col_map:
        raise ValueError("compile_rows takes a model's own columns only: no select_related, no annotations")
    attnames = tuple(column.target.attname for column, _, _ in compiler.select)
    return Compiled(sql, tuple(params), rows.db, rows.model, attnames)


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


_cache = _LRU(MAX_ENTRIES)


def compiled(key: Hashable, make: Callable[[], Any]) -> Any:
    """make()'s result for this key, made once per process while the key stays among the most recent."""
    return _cache.get(key, make)


def clear() -> None:
    _cache.clear()
