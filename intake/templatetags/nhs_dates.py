"""Dates and times as the NHS.UK content style writes them: "3 March 2026", "10:36am", "3 March 2026 at
10:36am". Django's "a" format gives "a.m.", which the style guide does not use."""

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dates import MONTHS_3

register = template.Library()


@register.filter
def nhs_time(value):
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    suffix = "am" if value.hour < 12 else "pm"
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d}{suffix}" if value.minute else f"{hour}{suffix}"


@register.filter
def nhs_datetime(value):
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{date_format(value, 'j F Y')} at {nhs_time(value)}"


@register.filter(expects_localtime=True)
def short_date(value):
    """Django's `date:"j M Y"` ("3 Mar 2026"), written out: the lists show two a row, and the general
    formatter (a DateFormat and a pass over its format string per cell) was a tenth of a 25-row list's
    rows. Aware date-times arrive in London time (expects_localtime), as they do for `date`."""
    if not value:
        return ""
    try:
        return f"{value.day} {MONTHS_3[value.month].title()} {value.year}"
    except AttributeError:
        return ""
