"""Counting and paging that cost the same at a hub of 250 inquiries and of 250,000.

A full COUNT(*) reads every matching row (or index entry), so a list of "every inquiry of the hub"
gets slower as the hub grows. Nobody pages through ten thousand inquiries: past COUNT_CAP a list says
"more than 10,000" and offers the pages up to there, and a person narrows the filters. Counting stops
after COUNT_CAP + 1 rows (a LIMIT in a subquery), so its cost is bounded whatever the size.
"""

from functools import cached_property
from typing import cast

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, F, OrderBy, QuerySet, RowRange, Window

from hubportal.sqlcache import Compiled

COUNT_CAP = 10_000


def capped_count(rows, cap: int = COUNT_CAP) -> int:
    """How many rows there are, counting no further than cap + 1 (so "cap + 1" means "more than cap")."""
    # Only the key is selected: the list's annotations (a checklist score subquery per row, a search
    # rank) and joins are work the count does not need (6.4 -> 1 ms at 250,000 a hub). Filters on them stay.
    return rows.order_by().values("pk")[: cap + 1].count()


def capped_counts(querysets: list[QuerySet], cap: int = COUNT_CAP) -> list[int]:
    """capped_count of each queryset (all of one database), in one statement: one round trip, and one
    query to send and plan instead of one per set (the dashboard's seven cards)."""
    if not querysets:
        return []
    return [int(count) for count in capped_counts_statement(querysets, cap).row()]


def capped_counts_statement(querysets: list[QuerySet], cap: int = COUNT_CAP) -> Compiled:
    """The one statement of capped_counts, compiled (to keep it: hubportal.sqlcache)."""
    database = querysets[0].db
    parts, params = [], []
    for rows in querysets:
        sql, part_params = rows.order_by().values("pk")[: cap + 1].query.get_compiler(using=database).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608 (Django's compiled SQL)
        params.extend(part_params)
    # Django's own compiled SQL, its values still parameters.
    return Compiled("SELECT " + ", ".join(parts), tuple(params), database)


class CappedCount(int):
    """A count that knows whether it stopped at the cap: templates print "more than 10,000"."""

    capped: bool

    def __new__(cls, value: int, cap: int = COUNT_CAP):
        count = super().__new__(cls, min(value, cap))
        count.capped = value > cap
        return count


class CappedPaginator(Paginator):
    """A Paginator whose count stops at `cap`: the pages go up to the cap, and `count.capped` says
    there are more."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> CappedCount:
        return CappedCount(capped_count(self.object_list, self.cap), self.cap)


def _order_by(item):
    """One of a QuerySet's order_by() items ("-rank", or an expression) as an expression a Window takes."""
    if isinstance(item, str):
        return OrderBy(F(item.lstrip("-")), descending=item.startswith("-"))
    return item if isinstance(item, OrderBy) else item.asc()


class KeysFirstPaginator(CappedPaginator):
    """For a list that reads every matching row to order it anyway (a search ranked by relevance): one
    query gives the page's keys, in order, with the number of matches (a COUNT(*) window over every row,
    worked out on the rows the ranking has read already), then a second reads the page's rows by key. A
    separate count would read every match a second time (34 ms for 7,117 matches at 250,000 inquiries a
    hub), and a window over the whole rows would copy each match's every column.

    The count is the number of matches, shown capped like CappedPaginator's. A page past the last (or
    past the cap) gives the last page, as Paginator.get_page does; only then is a count query made.
    """

    def get_page(self, number):
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number):
        number = self._number(number)
        bottom = (number - 1) * self.per_page
        rows = cast(QuerySet, self.object_list)
        # The window is ordered as the list is, over every row: PostgreSQL then sorts the narrow rows (key,
        # rank, date) once and counts them, instead of holding every match's whole row (its document too)
        # for an unordered window and sorting after it (49 against 77 ms for 7,117 matches).
        ordering = [_order_by(item) for item in rows.query.order_by]
        matches = Window(Count("pk"), order_by=ordering or None, frame=RowRange(None, None))
        keyed = list(rows.annotate(_matches=matches).values_list("pk", "_matches")[bottom:bottom + self.per_page])
        if not keyed:
            if number == 1:
                self.__dict__["count"] = CappedCount(0, self.cap)
                return Page([], number, self)
            return super().page(number)  # past the end: the count query says where the end is
        self.__dict__["count"] = CappedCount(keyed[0][1], self.cap)
        if number > self.num_pages:  # past the cap
            raise EmptyPage("That page is past the last one we list")
        found = {row.pk: row for row in rows.order_by().filter(pk__in=[pk for pk, _ in keyed])}
        return Page([found[pk] for pk, _ in keyed if pk in found], number, self)

    def _number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not a whole number") from error
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number
