"""The dashboard's queues and the list as a triage tool: counts equal lists by construction, parked
inquiries in their own queue, sortable columns, removable filters, numbered pages, saved searches, and a
bulk action that keeps what was typed when it fails."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from intake import selectors, services
from intake.models import Inquiry, SavedSearch
from intake.triage_forms import SORT_COLUMNS
from tests.conftest import sign_in_staff
from tests.factories import SubmittedFactory

TODAY = dt.date(2026, 3, 4)  # a Wednesday
NOW = dt.datetime(2026, 3, 4, 11, 0, tzinfo=dt.UTC)


def references(response):
    return re.findall(r'id="select-([A-Z]{3}-\d{4}-\d{5})"', response.content.decode())


@pytest.fixture
def list_url(hub):
    return reverse("intake:staff_inquiry_list", args=[hub.slug])


@pytest.fixture
def queue_world(hub, hub_lead, hub_member, submitter):
    """One of each: new, mine (and a closed one of mine), awaiting, due soon, overdue, parked."""
    made = {}
    with time_machine.travel(NOW, tick=False):
        def make(name, **fields):
            made[name] = SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{len(made) + 1:05d}",
                                          title=name, **fields)
        make("new", triage_due_on=TODAY + dt.timedelta(days=10))
        make("mine", status="in_review", assignee=hub_lead, triage_due_on=TODAY + dt.timedelta(days=3))
        make("mine closed", status="closed", assignee=hub_lead, outcome="withdrawn")
        make("awaiting", status="awaiting_info", assignee=hub_member)
        make("due soon", assignee=hub_member, triage_due_on=TODAY + dt.timedelta(days=1))
        make("overdue", assignee=hub_member, triage_due_on=TODAY - dt.timedelta(days=2))
        make("parked overdue", triage_due_on=TODAY - dt.timedelta(days=2), parked_until=TODAY + dt.timedelta(days=7))
        make("parked mine", status="in_review", assignee=hub_lead, parked_until=TODAY + dt.timedelta(days=1))
    Inquiry.objects.filter(pk=made["mine closed"].pk).update(updated_at=NOW - dt.timedelta(days=30))
    return made


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_each_dashboard_count_equals_the_list_its_see_all_link_opens(lead_client, hub, hub_lead, queue_world,
                                                                     list_url):
    html = lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug])).content.decode()
    for key in selectors.QUEUES:
        count = int(re.search(rf'id="queue-{key}">[^<]*: (\d+)</h2>', html).group(1))
        link = re.search(rf'href="({re.escape(list_url)}\?queue={key})">See all (\d+)', html)
        assert link and int(link.group(2)) == count
        listed = lead_client.get(link.group(1).replace("&amp;", "&"))
        assert len(references(listed)) == count, key
        assert f"<strong>{count}</strong>" in listed.content.decode()
    titles = {key: {i.title for i in selectors.inquiry_queue(hub=hub, user=hub_lead, key=key)}
              for key in selectors.QUEUES}
    assert titles["mine"] == {"mine"}  # never the closed one, nor the parked one
    assert titles["overdue"] == {"overdue"}  # the parked overdue one waits for its date
    assert titles["new"] == {"new"}
    assert titles["parked"] == {"parked overdue", "parked mine"}
    assert "mine closed" not in titles["recent"]  # "recently" is the last 7 days, said on the card
    assert "the last 7 days" in html


@pytest.mark.django_db
def test_the_parked_queue_shows_when_each_comes_back_and_empties_on_the_date(lead_client, hub, hub_lead,
                                                                             queue_world):
    with time_machine.travel(NOW, tick=False):
        html = lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug])).content.decode()
        assert "Back 11 Mar 2026" in html and "Back 5 Mar 2026" in html
    with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
        assert not selectors.inquiry_queue(hub=hub, user=hub_lead, key="parked").exists()
        assert {"parked overdue"} <= {i.title for i in selectors.inquiry_queue(hub=hub, user=hub_lead,
                                                                                 key="overdue")}


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(SORT_COLUMNS))
def test_every_column_sorts_both_ways(lead_client, hub, hub_lead, hub_member, submitter, list_url, key):
    first = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00001", title="Alpha",
                             organisation="Alder Trust", kind_of_help="adopt", assignee=hub_lead,
                             triage_due_on=dt.date(2026, 3, 1), status="in_review")
    second = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00002", title="Bravo",
                              organisation="Birch Trust", kind_of_help="new_idea", assignee=hub_member,
                              triage_due_on=dt.date(2026, 3, 2), status="submitted")
    first.submitted_at, second.submitted_at = NOW - dt.timedelta(days=2), NOW
    Inquiry.objects.filter(pk=first.pk).update(submitted_at=NOW - dt.timedelta(days=2))
    if key == "score":
        from intake.models import Checklist, Criterion

        checklist = Checklist.objects.create(hub=hub, name="Triage", slug="triage")
        criterion = Criterion.objects.create(checklist=checklist, question="Proven?", scale="yes_partly_no")
        services.assessment_record(inquiry=first, by=hub_lead, checklist=checklist, answers={criterion: ("no", "")})
        services.assessment_record(inquiry=second, by=hub_lead, checklist=checklist,
                                   answers={criterion: ("yes", "")})
    ascending = references(lead_client.get(list_url, {"sort": key}))
    descending = references(lead_client.get(list_url, {"sort": f"-{key}"}))
    expected = ["DOR-2026-00001", "DOR-2026-00002"]
    if key == "status":  # in_review sorts after submitted? no: "in_review" < "submitted" as codes
        expected = sorted(expected, key=lambda r: {"DOR-2026-00001": "in_review", "DOR-2026-00002": "submitted"}[r])
    if key == "assignee":  # Priya Patel before Sarah Whitfield
        expected = ["DOR-2026-00002", "DOR-2026-00001"]
    assert ascending == expected
    assert descending == list(reversed(expected))


@pytest.mark.django_db
def test_a_sort_that_is_not_allowed_never_reaches_the_database(lead_client, hub, submitter, list_url):
    SubmittedFactory(submitter=submitter, hub=hub)
    response = lead_client.get(list_url, {"sort": "-submitter__password"})
    assert response.status_code == 200 and len(references(response)) == 1


@pytest.mark.django_db
def test_each_active_filter_is_listed_with_a_link_that_removes_only_it(lead_client, hub, list_url):
    response = lead_client.get(list_url, {"status": ["submitted", "in_review"], "kind_of_help": "new_idea",
                                          "overdue": "on", "sort": "due"})
    html = response.content.decode()
    summary = html[html.index("Active filters"):html.index("Clear all filters")]
    links = dict((text.strip(), href.replace("&amp;", "&"))
                 for href, text in re.findall(r'href="\?([^"]*)"><span[^>]*>Remove this filter: </span>([^<]+)<',
                                              summary))
    assert set(links) == {"Status: Submitted", "Status: In review", "Kind of help: I have a new idea",
                          "Only overdue for triage: Yes"}
    assert links["Status: Submitted"] == "status=in_review&kind_of_help=new_idea&overdue=on&sort=due"
    assert links["Only overdue for triage: Yes"] == "status=submitted&status=in_review&kind_of_help=new_idea&sort=due"


@pytest.mark.django_db
def test_pagination_is_numbered(lead_client, hub, submitter, list_url):
    for n in range(60):
        SubmittedFactory(submitter=submitter, hub=hub, reference=f"DOR-2026-{n + 1:05d}")
    html = lead_client.get(list_url, {"page": 2, "kind_of_help": "new_idea"}).content.decode()
    assert "nhsuk-pagination--numbered" in html
    assert re.findall(r'aria-label="Page (\d+)"', html) == ["1", "2", "3"]
    assert 'href="?kind_of_help=new_idea&amp;page=3" aria-label="Page 3"' in html
    assert 'aria-label="Page 2" aria-current="page"' in html


@pytest.mark.django_db
def test_statuses_have_distinct_colours(lead_client, hub, submitter, list_url):
    statuses = ["submitted", "in_review", "awaiting_info", "routed", "in_support", "closed"]
    for n, status in enumerate(statuses):
        SubmittedFactory(submitter=submitter, hub=hub, status=status, reference=f"DOR-2026-{n + 1:05d}")
    html = lead_client.get(list_url).content.decode()
    colours = dict((label, colour) for colour, label in re.findall(r'nhsuk-tag (nhsuk-tag--[a-z-]+)">([^<]+)<', html))
    assert len({colours[label] for label in dict(Inquiry.Status.choices).values() if label in colours}) == 6


@pytest.mark.django_db
def test_a_saved_search_can_be_named_shared_with_the_hub_and_deleted_only_by_its_owner(
        client, lead_client, hub, hub_lead, hub_member, list_url):
    response = lead_client.post(reverse("intake:staff_saved_search_create", args=[hub.slug]), {
        "name": "  Overdue   IG questions ", "is_shared": "on", "query": "overdue=on&support=ig"})
    assert response.status_code == 302 and response["Location"] == list_url + "?overdue=on&support=ig"
    saved = SavedSearch.objects.get()
    assert (saved.name, saved.query, saved.is_shared, saved.owner) == (
        "Overdue IG questions", "overdue=on&support=ig", True, hub_lead)

    # The same name again is refused, keeping what was typed.
    again = lead_client.post(reverse("intake:staff_saved_search_create", args=[hub.slug]), {
        "name": "Overdue IG questions", "query": "overdue=on"})
    assert again.status_code == 400
    assert "You already have a saved search with that name" in again.content.decode()
    assert SavedSearch.objects.count() == 1

    member = sign_in_staff(client, hub_member)
    html = member.get(list_url).content.decode()
    assert f'href="{list_url}?overdue=on&amp;support=ig">Overdue IG questions</a>' in html
    assert "shared by Sarah Whitfield" in html
    refused = member.post(reverse("intake:staff_saved_search_delete", args=[hub.slug, saved.pk]))
    assert refused.status_code == 404 and SavedSearch.objects.count() == 1


@pytest.mark.django_db
def test_a_private_saved_search_is_not_shown_to_the_rest_of_the_hub(client, hub, hub_lead, hub_member, list_url):
    SavedSearch.objects.create(hub=hub, owner=hub_lead, name="My own list", query="assignee=me")
    html = sign_in_staff(client, hub_member).get(list_url).content.decode()
    assert "My own list" not in html


@pytest.mark.django_db
def test_a_bulk_action_error_keeps_the_selection_the_action_and_the_reason(lead_client, hub, submitter, list_url):
    one = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00001")
    SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00002")
    response = lead_client.post(reverse("intake:staff_inquiry_bulk", args=[hub.slug]), {
        "selected": [one.reference], "action": "close", "outcome": "", "reason": "Funding went elsewhere",
        "query": "kind_of_help=new_idea"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="DOR-2026-00001" checked' in html
    assert 'value="DOR-2026-00002">' in html
    assert '<option value="close" selected>' in html
    assert 'value="Funding went elsewhere"' in html
    assert "Select the outcome for the inquiries you are closing" in html
    assert Inquiry.objects.get(pk=one.pk).status == "submitted"
