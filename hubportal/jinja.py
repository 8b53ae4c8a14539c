"""Jinja2 for the partials a staff page renders dozens of times (issue 13).

A 25-row list or a filter with a hundred options costs Django's template engine about 20 µs a node;
Jinja2 compiles a template to Python and renders the same rows several times faster. So those few
partials (templates/jinja2/) are Jinja2, rendered from a Django template by `{% jinja %}` or
`{% jinja_with_context %}` (hubportal/templatetags/jinja_partials.py): the list's rows, the filters'
fields, the dashboard's cards, and the body of the case page, drawn on every view of it. Every page's
frame (base.html), every other page, form and email stays a Django template, and a piece other pages
share stays one Django template that a partial calls through `django_include()`.

The environment escapes like Django's engine (autoescape on; Django's SafeString is `__html__`, so a
value Django marked safe stays unescaped, and nothing else is), and fails on a name that is not in the
context (StrictUndefined), so a typo is an error in the tests, not an empty cell.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, optgroups
from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.template import engines
from django.template.defaultfilters import (
    capfirst,
    filesizeformat,
    linebreaksbr,
    pluralize,
    urlencode,
)
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # Django's own; not in django-stubs
from jinja2 import Environment, StrictUndefined

from intake.staff_nav import hub_nav_links
from intake.templatetags.counts import how_many
from intake.templatetags.nhs_dates import nhs_datetime, short_date
from intake.templatetags.status_tags import referral_status_colour, status_colour


def _local_short_date(value):
    """`short_date` as Django's engine calls it (expects_localtime): an aware date-time in London time."""
    return short_date(template_localtime(value))


def _long_date(value):
    """Django's `date:"j F Y"` ("3 March 2026"), a date-time in London time as Django's engine gives it."""
    return date_filter(template_localtime(value), "j F Y")


def _iso_datetime(value):
    """Django's `date:"c"` (ISO 8601), a date-time in London time as Django's engine gives it."""
    return date_filter(template_localtime(value), "c")


def _linebreaksbr(value):
    """Django's `linebreaksbr`, escaping first (as in an autoescaping template)."""
    return linebreaksbr(value, autoescape=True)


def _url(name, *args):
    """Django's `{% url name arg ... %}`."""
    return reverse(name, args=args)


def _csrf_input(token):
    """Django's `{% csrf_token %}` given the context's `csrf_token`: the hidden input, or nothing without one."""
    if not token or token == "NOTPROVIDED":  # noqa: S105 - Django's marker for "no token", not a secret
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def _error_summary(form):
    """templates/includes/error_summary.html for `form`, the one the Django pages use; nothing without errors."""
    if form is None or not form.errors:
        return ""
    return render_to_string("includes/error_summary.html", {"form": form})


def _django_include(template_name, **context):
    """A Django template (one other pages use too) rendered with exactly these names, as
    `{% include name with ... only %}` would: so its markup has one source."""
    return render_to_string(template_name, context)


def _full_name(user):
    """A person's name, or "" for nobody: Django's engine reads `None.get_full_name` as empty."""
    return user.get_full_name() if user is not None else ""


def _related(obj, name):
    """A one-to-one relation seen from its other side, or None: Django's engine reads a missing one as
    empty, where Jinja2 would raise its DoesNotExist."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _day_month(value):
    """Django's `date:"j M"` ("3 Mar")."""
    return f"{value.day} {MONTHS_3[value.month].title()}" if value else ""


# The widget attributes the NHS.UK pack draws itself, or never (templates/nhsuk/fields/_attrs.html).
_OWN_ATTRS = {"id", "class", "name", "type", "value", "checked", "selected", "required", "aria-describedby",
              "aria-invalid"}


def nhsuk_kind(field) -> str:
    """Which of includes/nhsuk_field.html's drawings a bound field takes, as the pack's
    nhsuk/fields/_widget.html chooses; "pack" for what it does not cover (the pack draws those)."""
    form, widget = field.form, field.field.widget
    if getattr(form, "helper", None) is not None or getattr(form, "page_heading_field", None) == field.name:
        return "pack"
    if field.is_hidden:
        return "hidden"
    if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.FileInput)):
        return "pack"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.MultiWidget):
        from hubportal.date_input import DateInputWidget

        return "date" if isinstance(widget, DateInputWidget) else "pack"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input" if getattr(widget, "input_type", None) else "pack"


def _describedby(base_id, hint, errors, with_info=False) -> str:
    """aria-describedby as the pack writes it (nhsuk/fields/_describedby.html): info, hint, error."""
    ids = [f"{base_id}-{part}" for part, present in (("info", with_info), ("hint", hint), ("error", errors))
           if present]
    return mark_safe(f' aria-describedby="{escape(" ".join(ids))}"') if ids else ""  # noqa: S308 - escaped


def _other_attrs(attrs, drop_maxlength=False) -> str:
    """A widget's other attributes as the pack writes them (nhsuk/fields/_attrs.html)."""
    out = []
    for name, value in attrs.items():
        if name in _OWN_ATTRS or (name == "maxlength" and drop_maxlength):
            continue
        if name == "spellcheck":
            spelled = {True: "true", False: "false"}.get(value) if isinstance(value, bool) else escape(value)
            out.append(f' spellcheck="{spelled}"')
        elif value is False or value is None:
            continue
        elif value is True:
            out.append(f" {escape(name)}")
        else:
            out.append(f' {escape(name)}="{escape(str(value))}"')
    return mark_safe("".join(out))  # noqa: S308 - every name and value escaped


def environment(**options):
    # Always escaping, whatever the settings say (Django's backend defaults to it; this makes it so).
    options.update(undefined=StrictUndefined)
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.filters.update({
        "short_date": _local_short_date, "urlencode": urlencode, "status_colour": status_colour,
        "how_many": how_many, "day_month": _day_month, "long_date": _long_date, "linebreaksbr": _linebreaksbr,
        "referral_status_colour": referral_status_colour, "pluralize": pluralize, "capfirst": capfirst,
        "filesizeformat": filesizeformat, "nhs_datetime": nhs_datetime, "iso_datetime": _iso_datetime,
    })
    env.globals.update({
        "hub_nav_links": hub_nav_links, "nhsuk_kind": nhsuk_kind, "pack_field": as_crispy_field,
        "optgroups": optgroups, "describedby": _describedby, "other_attrs": _other_attrs,
        "url": _url, "csrf_input": _csrf_input, "related": _related, "error_summary": _error_summary,
        "django_include": _django_include, "full_name": _full_name,
    })
    return env


def render_partial(template_name: str, context: dict) -> SafeString:
    """A Jinja2 partial's HTML, safe to place in a Django template (the partial escaped its values)."""
    template = engines["jinja2"].get_template(template_name).template  # type: ignore[attr-defined]
    return mark_safe(template.render(context))  # noqa: S308 - Jinja2 autoescaped every value
