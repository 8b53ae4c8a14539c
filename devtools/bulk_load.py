"""Writing generated rows fast: PostgreSQL COPY, or bulk_create elsewhere, from the same row tuples.

seed_demo generates plain tuples (one per row, in a column order named once per table) so that the
generation can run in worker processes and the text for COPY can be made there too: the parent only
passes bytes to the server. Ids of rows that other rows point at are taken from the tables' sequences
up front (nextval, one query per table and batch), so children can name their parents without
INSERT ... RETURNING; rows nothing points at get their id from the sequence's default.

Every column the generator does not name gets the model field's default, computed once (a constant)
or per row (uuid4 for public ids, a fresh list for JSON), so a new NOT NULL column with a default
keeps working here without a change.
"""

import datetime as dt
import io
import json
from decimal import Decimal
from uuid import UUID

from django.db import connection
from django.db.models import NOT_PROVIDED

NULL = "\\N"


def _text(value):
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _moment(value):
    if value.tzinfo is None:
        raise ValueError(f"A naive datetime would be read in the server's time zone: {value!r}")
    return value.isoformat()


_BY_TYPE = {
    str: _text,
    bool: lambda value: "t" if value else "f",
    int: str,
    dt.datetime: _moment,
    dt.date: dt.date.isoformat,
    Decimal: str,
    UUID: str,
    list: lambda value: _text(json.dumps(value)),
    dict: lambda value: _text(json.dumps(value)),
}


def copy_text(value):
    """One value in PostgreSQL's COPY text format (a lookup by exact type: this runs ~100 million times)."""
    if value is None:
        return NULL
    format_ = _BY_TYPE.get(type(value))
    if format_ is None:
        if isinstance(value, str):  # a TextChoices member
            return _text(str.__str__(value))
        raise TypeError(f"No COPY text for {type(value).__name__}: {value!r}")
    return format_(value)


class Table:
    """A model's table as the seed writes it: the columns it names, then every other column's default."""

    def __init__(self, model, columns, computed=()):
        """`computed`: columns the database fills as the rows go in (a search document, say)."""
        self.model = model
        self.name = model._meta.db_table
        self.columns = list(columns)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(self.columns) - set(fields)
        if unknown:
            raise ValueError(f"{self.name} has no column {sorted(unknown)}")
        pk = model._meta.pk.attname
        self.defaulted = [f for name, f in fields.items()
                          if name not in self.columns and name != pk and name not in computed]
        self.per_row = [f.default for f in self.defaulted if f.default is not NOT_PROVIDED and callable(f.default)]
        constant = [f for f in self.defaulted if not (f.default is not NOT_PROVIDED and callable(f.default))]
        self.defaulted = constant + [f for f in self.defaulted if f not in constant]
        self.tail = "".join("\t" + copy_text(f.get_default()) for f in constant)
        self.copy_columns = [fields[name].column for name in self.columns] + [f.column for f in self.defaulted]

    def copy_lines(self, rows):
        """The rows as COPY text (bytes), defaults filled in."""
        tail, per_row = self.tail, self.per_row
        out = []
        if per_row:
            for row in rows:
                out.append("\t".join(map(copy_text, row)) + tail + "".join(
                    "\t" + copy_text(make()) for make in per_row) + "\n")
        else:
            for row in rows:
                out.append("\t".join(map(copy_text, row)) + tail + "\n")
        return "".join(out).encode()

    def copy_sql(self, table=None):
        columns = ", ".join(connection.ops.quote_name(c) for c in self.copy_columns)
        return f"COPY {connection.ops.quote_name(table or self.name)} ({columns}) FROM STDIN"

    def instances(self, rows):
        """The rows as model instances, for bulk_create (SQLite): the model applies the defaults."""
        model, columns = self.model, self.columns
        return [model(**dict(zip(columns, row, strict=True))) for row in rows]


def copy_into(cursor, table, data, *, into=None):
    """COPY the bytes made by `table.copy_lines` into the table (or a staging table with its columns)."""
    if data:
        cursor.copy_expert(table.copy_sql(into), io.BytesIO(data))


class Ids:
    """Primary keys for a table's new rows, taken from its sequence before the rows exist.

    A batch takes as many as it could need; what it did not use comes back for the next batch, so the
    sequence only skips what the last batches left (gaps in a sequence are normal: a rolled back
    insert leaves one too). On SQLite, which has no sequences, the seed holds the write lock for its
    whole transaction, so counting on from the highest id is safe there.
    """

    def __init__(self, model):
        self.table = model._meta.db_table
        self.spare = []
        self.next_sqlite = None

    def take(self, n):
        if len(self.spare) < n:
            self.spare += self._fetch(n - len(self.spare))
        taken, self.spare = self.spare[:n], self.spare[n:]
        return taken

    def give_back(self, ids):
        self.spare = sorted(self.spare + list(ids))

    def _fetch(self, n):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                               [self.table, n])
                return [row[0] for row in cursor.fetchall()]
            if self.next_sqlite is None:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(self.table)}")  # noqa: S608 - a table name
                self.next_sqlite = cursor.fetchone()[0]
            first, self.next_sqlite = self.next_sqlite, self.next_sqlite + n
            return list(range(first, first + n))


class IndexesSetAside:
    """A bulk load's indexes, dropped before it and built again after it, in the same transaction.

    Adding a row to a table with 36 indexes (a GiST of trigrams and a full-text GIN among them) costs
    about twenty times what building the indexes over the finished table costs per row, so a load at
    least as large as what the table already holds drops them first and builds them at the end, as
    pg_restore does. Only indexes that enforce nothing are set aside: primary keys, unique indexes and
    the indexes behind constraints stay, so a clash still fails the load. Dropping an index takes the
    table's ACCESS EXCLUSIVE lock until the transaction ends: other sessions wait for the load (the case
    it is for is a new or bench database), and a failure anywhere rolls the drops back with the rows.

    An index a model declares (Meta.indexes) is built again by Django's schema editor, so it is exactly
    the migration's; PostgreSQL's own definition (pg_get_indexdef) does not always read back the same
    (an IN list's casts come back written another way). The others, a field's plain index, are
    rebuilt from that definition, which for a column list reads back unchanged.
    """

    BUILD_MEMORY = "256MB"  # for the sorts of the index builds, this transaction only

    def __init__(self, cursor, models):
        self.cursor = cursor
        tables = {model._meta.db_table: model for model in models}
        cursor.execute(
            """SELECT i.indrelid::regclass::text, c.relname, pg_get_indexdef(i.indexrelid)
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                ORDER BY 1, 2""",
            [list(tables)])
        self.dropped = []  # (model, Meta index or None, definition)
        for table, name, definition in cursor.fetchall():
            model = tables[table]
            declared = next((index for index in model._meta.indexes if index.name == name), None)
            self.dropped.append((model, declared, definition))
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def build(self):
        """Build every index set aside again; returns how many."""
        self.cursor.execute(f"SET LOCAL maintenance_work_mem = '{self.BUILD_MEMORY}'")
        # CREATE INDEX refuses a table with deferred checks pending (rows written earlier in the same
        # transaction, a test's say, or the load's own when its triggers ran): they run now instead of
        # at commit, and the constraints go back to how every one here is declared, INITIALLY DEFERRED.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor(atomic=False) as editor:
            for model, declared, definition in self.dropped:
                if declared is not None:
                    editor.add_index(model, declared)
                else:
                    self.cursor.execute(definition)
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        built, self.dropped = len(self.dropped), []
        return built
