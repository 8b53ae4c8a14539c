"""The Jinja2 partials (hubportal/jinja.py): escaped like Django's templates, strict about names, and
the staff list's rows and filter read the same as the Django templates they replaced."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape
from jinja2.exceptions import UndefinedError
from markupsafe import escape as jinja_escape

from hubportal.jinja import render_partial
from hubportal.models import HubMembership, HubTheme
from intake.models import Inquiry
from intake.templatetags.status_tags import status_colour
from tests.factories import SubmittedFactory, UserFactory

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

LONDON_NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def shown_as_text(text, page):
    """The text is on the page escaped, as Django writes it (&quot;) or as Jinja2 does (&#34;)."""
    return escape(text) in page or str(jinja_escape(text)) in page


@pytest.mark.django_db
def test_every_typed_field_on_the_staff_list_is_escaped_in_its_rows_and_its_filter(lead_client, hub):
    member = UserFactory(full_name=f"Alex {SCRIPT}")
    HubMembership.objects.create(hub=hub, user=member, role=HubMembership.Role.MEMBER)
    HubTheme.objects.create(hub=hub, code=f"{HubTheme.LOCAL_PREFIX}hostile", label=f"Coastal {IMG}")
    SubmittedFactory(hub=hub, title=f"Falls {SCRIPT}", organisation=f"Trust {IMG}", assignee=member)

    page = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]),
                           {"organisation": "Trust"}).content.decode()

    assert SCRIPT not in page
    assert "<img src=x" not in page
    assert shown_as_text(f"Falls {SCRIPT}", page)  # the row's title
    assert shown_as_text(f"Trust {IMG}", page)  # the row's organisation
    assert page.count(escape(f"Alex {SCRIPT}")) >= 2  # the row's assignee, the filter's and bulk form's options
    assert shown_as_text(f"Coastal {IMG}", page)  # the hub's own theme in the filter
    assert 'value="Trust"' in page  # the filter typed, given back in its box


@pytest.mark.django_db
def test_a_search_typed_with_quotes_comes_back_escaped_in_its_box(lead_client, hub):
    page = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]), {"q": IMG}).content.decode()
    assert f'value="{jinja_escape(IMG)}"' in page
    assert "<img src=x" not in page


@pytest.mark.django_db
def test_a_row_shows_its_status_tag_dates_score_and_nobody_assigned(lead_client, hub):
    with time_machine.travel(LONDON_NOON, tick=False):
        inquiry = SubmittedFactory(hub=hub, title="Virtual wards", assignee=None)
        inquiry.status = Inquiry.Status.AWAITING_INFO
        inquiry.parked_until = dt.date(2026, 4, 2)
        inquiry.save()
        page = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug])).content.decode()

    row = page[page.index(f'id="select-{inquiry.reference}"'):]
    row = row[:row.index("</tr>")]
    assert '<strong class="nhsuk-tag nhsuk-tag--orange">Awaiting information</strong>' in row
    assert "Parked until 2 Apr 2026" in row
    assert "Nobody" in row
    assert "Not assessed" in row
    assert ">10 Mar 2026</td>" in row  # sent, in London time
    case = reverse("intake:staff_inquiry", args=[hub.slug, inquiry.reference])
    assert f'<a href="{case}">{inquiry.reference}</a>' in row


@pytest.mark.django_db
def test_the_filter_keeps_what_was_chosen(lead_client, hub):
    page = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]),
                           {"status": ["submitted", "closed"], "kind_of_help": "new_idea", "overdue": "on"})
    body = page.content.decode()
    assert 'name="status" type="checkbox" value="submitted" checked>' in body
    assert 'name="status" type="checkbox" value="closed" checked>' in body
    assert 'name="status" type="checkbox" value="in_review">' in body
    assert '<option value="new_idea" selected>' in body
    assert 'id="id_overdue" name="overdue" type="checkbox" checked>' in body


def test_a_name_missing_from_a_partials_context_is_an_error_not_an_empty_cell():
    with pytest.raises(UndefinedError):
        render_partial("intake/staff/_inquiry_rows.html", {"rows": [object()], "case_url": ["/", "/"]})


def test_every_status_has_its_own_tag_colour():
    colours = [status_colour(code) for code, _ in Inquiry.Status.choices]
    assert len(set(colours)) == len(colours)
    assert status_colour("no-such-status") == "white"


@pytest.mark.django_db
def test_a_row_dates_an_inquiry_sent_after_midnight_in_london_by_londons_day(lead_client, hub):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): the row says 1 July, as the Django list did.
    with time_machine.travel(dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), tick=False):
        inquiry = SubmittedFactory(hub=hub, title="Night shift handover")
        page = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug])).content.decode()
    row = page[page.index(f'id="select-{inquiry.reference}"'):]
    row = row[:row.index("</tr>")]
    assert ">1 Jul 2026</td>" in row


def _same_markup(html):
    """Markup compared as a browser reads it: whitespace between tags and the escape spelling aside."""
    import re

    html = html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize("query", [
    {},  # nothing typed
    {"submitted_from_day": "3", "submitted_from_month": "4", "submitted_from_year": "2026"},  # a date, as typed
    {"submitted_from_day": "3", "submitted_from_year": "2026"},  # the month missing: only that box is wrong
    {"submitted_from_day": "31", "submitted_from_month": "2", "submitted_from_year": "2026"},  # not a real date
    {"submitted_from_day": "1", "submitted_from_month": "1", "submitted_from_year": "1999"},  # only the year
    {"submitted_from": "2026-04-01"},  # a link from before the boxes
    {"submitted_from": "yesterday"},  # a bad one
    {"submitted_from_day": IMG, "submitted_from_month": SCRIPT, "submitted_from_year": "2026"},  # hostile
])
@pytest.mark.django_db
def test_the_filter_dates_are_the_template_packs_markup_exactly(hub, query):
    from django.template import Context, Template

    from intake.triage_forms import InquiryFilterForm

    form = InquiryFilterForm(query, hub=hub)
    form.is_valid()
    field = form["submitted_from"]
    pack = Template("{% load crispy_forms_filters %}{{ field|as_crispy_field }}").render(Context({"field": field}))

    ours = render_partial("includes/nhsuk_date_input.html", {"field": field})

    assert _same_markup(ours) == _same_markup(pack)
    assert SCRIPT not in ours and "<img src=x" not in ours


@pytest.mark.parametrize("data", [
    None,  # the list's own, unbound, with the page's query to save
    {"name": "", "query": "status=submitted"},  # no name
    {"name": "x" * 81, "query": "status=submitted"},  # too long
    {"name": f"Mine {IMG}", "is_shared": "on", "query": f"q={SCRIPT}"},  # shared, hostile
])
def test_the_save_search_fields_are_the_template_packs_markup_exactly(data):
    from django.template import Context, Template

    from intake.triage_forms import SavedSearchForm

    form = SavedSearchForm(data) if data else SavedSearchForm(initial={"query": f"status=submitted&q={SCRIPT}"})
    form.is_valid()
    pack = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": form}))

    ours = render_partial("includes/nhsuk_form.html", {"form": form})

    assert _same_markup(ours) == _same_markup(pack)
    assert SCRIPT not in ours and "<img src=x" not in ours


class _EveryKind:
    """A form with every kind includes/nhsuk_field.html draws, with hostile labels, hints and choices."""

    @staticmethod
    def make(data=None):
        from django import forms

        class Every(forms.Form):
            name = forms.CharField(label=f"Name {SCRIPT}", max_length=30, help_text=f"Hint {IMG}",
                                   widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": False,
                                                                 "class": "nhsuk-input--width-20"}))
            email = forms.EmailField(label="Email", required=False)
            count = forms.IntegerField(label="How many", required=False, widget=forms.NumberInput(
                attrs={"inputmode": "numeric", "data-note": f"x{IMG}"}))
            pick = forms.ChoiceField(label="Pick", required=False, choices=[
                ("", "None"), ("a", f"A {SCRIPT}"), ("Group", [("b", "B"), ("c", f"C {IMG}")])])
            who = forms.TypedChoiceField(label="Who", coerce=int, required=False,
                                         choices=[("", "Nobody"), (1, "One"), (2, "Two")])
            note = forms.CharField(label="Note", max_length=500, help_text="Kept private",
                                   widget=forms.Textarea(attrs={"rows": 3}))
            free = forms.CharField(label="Free text", required=False, widget=forms.Textarea)
            agree = forms.BooleanField(label=f"I agree {IMG}", help_text="Tick it")
            secret = forms.CharField(widget=forms.HiddenInput, required=False)

        return Every(data, initial={"secret": f"s{SCRIPT}", "who": 2})


def _case_page_forms(hub, data):
    from intake.triage_forms import AssignForm, NoteForm
    from signposting.forms import ReferralSendForm

    alex = UserFactory(full_name=f"Alex {SCRIPT}")
    members = [(alex.pk, alex.full_name), (UserFactory().pk, "Sam")]
    if data and data.get("assignee") == "alex":
        data = {**data, "assignee": str(alex.pk)}
    assign = AssignForm(data, hub=hub, initial={"assignee": None, "version": 3})
    assign.fields["assignee"].choices = [("", "Nobody")] + members
    return [assign, NoteForm(data),
            ReferralSendForm(data, other_partners=[("11", f"Trust {IMG}"), ("12", "University")]),
            _EveryKind.make(data)]


@pytest.mark.parametrize("data", [
    None,
    {},  # sent empty: every required field in error
    {"assignee": "999", "version": "x", "body": "x" * 5001, "other_partner": "13", "message": "",
     "name": "x" * 31, "email": "not an email", "count": "many", "pick": "z", "who": "5", "note": "",
     "agree": ""},  # every field wrong
    {"assignee": "alex", "version": "3", "body": f"Note {SCRIPT}", "other_partner": "12",
     "message": f"Hello {IMG}\nsecond line", "name": f"Me {IMG}", "email": "a@b.nhs.uk", "count": "3",
     "pick": "c", "who": "1", "note": f"n {SCRIPT}", "free": "<b>x</b>", "agree": "on", "secret": "kept"},
])
@pytest.mark.django_db
def test_every_field_of_the_case_pages_forms_is_the_template_packs_markup_exactly(hub, data):
    from django.template import Context, Template

    from hubportal.jinja import nhsuk_kind

    kinds = set()
    for form in _case_page_forms(hub, data):
        if data is not None:
            form.is_valid()
        for field in form:
            kinds.add(nhsuk_kind(field))
            pack = Template("{% load crispy_forms_filters %}{{ field|as_crispy_field }}").render(
                Context({"field": field}))

            ours = render_partial("includes/nhsuk_field.html", {"field": field})

            assert _same_markup(ours) == _same_markup(pack), (type(form).__name__, field.name)
            assert SCRIPT not in ours and "<img src=x" not in ours
        whole = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": form}))
        assert _same_markup(render_partial("includes/nhsuk_form.html", {"form": form})) == _same_markup(whole)
    assert kinds == {"hidden", "input", "select", "textarea", "checkbox", "pack"}


def test_a_kind_the_partial_does_not_draw_goes_to_the_pack():
    from django import forms

    from hubportal.jinja import nhsuk_kind

    class Other(forms.Form):
        page_heading_field = "headline"
        headline = forms.CharField(label="Headline")
        choose = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
        many = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
        upload = forms.FileField()
        plain = forms.CharField()

    form = Other()
    assert [nhsuk_kind(form[name]) for name in ("headline", "choose", "many", "upload", "plain")] == [
        "pack", "pack", "pack", "pack", "input"]
    assert 'type="radio"' in render_partial("includes/nhsuk_field.html", {"field": form["choose"]})


def test_a_django_include_from_a_partial_is_escaped_once():
    from django.template import engines

    env = engines["jinja2"].env
    # _conflict_summary.html writes the conflict's message: escaped by Django's engine, and not again by
    # Jinja2 (render_to_string's result is safe).
    html = env.from_string('{{ django_include("intake/staff/_conflict_summary.html", conflict=conflict) }}').render(
        conflict={"message": SCRIPT})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp;lt;" not in html and SCRIPT not in html


def test_the_case_pages_date_and_name_helpers_read_as_djangos_engine_does():
    from django.template import engines
    from django.template.defaultfilters import date as django_date
    from django.utils.timezone import localtime

    env = engines["jinja2"].env
    summer = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)  # 1 July, 00:30 in London
    assert env.from_string("{{ at|iso_datetime }}").render(at=summer) == django_date(localtime(summer), "c")
    assert env.from_string("{{ at|iso_datetime }}").render(at=summer).startswith("2026-07-01T00:30:00")
    assert env.from_string("{{ full_name(nobody) or 'Nobody' }}").render(nobody=None) == "Nobody"
    assert env.from_string("{{ 1|pluralize }} {{ 2|pluralize }} {{ 'yes'|capfirst }}").render() == " s Yes"
