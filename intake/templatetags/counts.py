"""How many, in words a person reads: "1,234", or "more than 10,000" for a count that stopped at its cap
(hubportal.paging)."""

from django import template

register = template.Library()


@register.filter
def how_many(count):
    if count is None or count == "":
        return ""
    if getattr(count, "capped", False):
        return f"more than {int(count):,}"
    return f"{int(count):,}"
