import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from intake import services
from intake.models import Inquiry
from tests.factories import DraftFactory, UserFactory


def submit(hub, **answers):
    draft = DraftFactory(hub=hub, **answers)
    return services.inquiry_submit(inquiry=draft, by=draft.submitter)


def references(response):
    return [i.reference for i in response.context["page"].object_list]


@pytest.fixture
def list_url(hub):
    return reverse("intake:staff_inquiry_list", args=[hub.slug])


@pytest.mark.django_db
def test_the_list_shows_only_this_hubs_sent_inquiries(lead_client, hub, other_hub, list_url):
    mine = submit(hub)
    submit(other_hub)
    DraftFactory(hub=hub)  # a draft is the submitter's business
    assert references(lead_client.get(list_url)) == [mine.reference]


@pytest.mark.django_db
@pytest.mark.parametrize("query, expected", [
    ({"kind_of_help": "funding"}, ["b"]),
    ({"innovation_type": "medical_device"}, ["b"]),
    ({"stage": "idea"}, ["c"]),
    ({"support": "procurement"}, ["c"]),
    ({"theme": "maternity"}, ["b"]),
    ({"organisation": "bradford"}, ["c"]),
    ({"status": ["in_review"]}, ["a"]),
    ({"assignee": "me"}, ["a"]),
    ({"assignee": "none"}, ["b", "c"]),
    ({"q": "wheelchair"}, ["c"]),
    ({"overdue": "on"}, ["b"]),
])
def test_each_filter_narrows_the_list(lead_client, hub, hub_lead, list_url, query, expected):
    a = submit(hub, title="Remote monitoring a", kind_of_help="new_idea")
    b = submit(hub, title="Maternity device b", kind_of_help="funding", innovation_type="medical_device",
               themes=["maternity"])
    c = submit(hub, title="Wheelchair booking c", stage="idea", support_needed=["procurement"],
               organisation="Bradford Teaching Hospitals")
    services.inquiry_start_review(inquiry=a, by=hub_lead, version=a.version)
    a.refresh_from_db()
    services.inquiry_assign(inquiry=a, by=hub_lead, assignee=hub_lead, version=a.version)
    Inquiry.objects.filter(pk=b.pk).update(triage_due_on=timezone.localdate() - dt.timedelta(days=3))
    for inquiry in (a, b, c):
        services.inquiry_index_text(inquiry=inquiry)
    names = {a.reference: "a", b.reference: "b", c.reference: "c"}
    got = sorted(names[r] for r in references(lead_client.get(list_url, query)))
    assert got == expected


@pytest.mark.django_db
def test_dates_filter_by_when_the_inquiry_was_sent(lead_client, hub, list_url):
    old = submit(hub)
    new = submit(hub)
    Inquiry.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=40))
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert references(lead_client.get(list_url, {"submitted_from": since})) == [new.reference]
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert references(lead_client.get(list_url, {"submitted_to": until})) == [old.reference]


@pytest.mark.django_db
def test_unknown_filter_and_sort_keys_are_ignored_not_passed_to_the_database(lead_client, hub, list_url):
    first, second = submit(hub), submit(hub)
    response = lead_client.get(list_url, {"sort": "submitter__password", "status": ["drop table"],
                                          "submitter__email": "x", "assignee": "999999", "page": "lots"})
    assert response.status_code == 200
    assert references(response) == [second.reference, first.reference]


@pytest.mark.django_db
@pytest.mark.parametrize("sort, first_title", [("title", "Alpha"), ("oldest", "Zulu"), ("newest", "Alpha")])
def test_it_sorts_by_the_allowed_fields(lead_client, hub, list_url, sort, first_title):
    submit(hub, title="Zulu")
    submit(hub, title="Alpha")
    response = lead_client.get(list_url, {"sort": sort})
    assert response.context["page"].object_list[0].title == first_title


@pytest.mark.django_db
def test_it_paginates_keeping_the_filters(lead_client, hub, list_url):
    for _ in range(27):
        submit(hub, kind_of_help="funding")
    page_one = lead_client.get(list_url, {"kind_of_help": "funding"})
    assert len(page_one.context["page"].object_list) == 25
    assert "kind_of_help=funding&amp;page=2" in page_one.content.decode()
    page_two = lead_client.get(list_url, {"kind_of_help": "funding", "page": 2})
    assert len(page_two.context["page"].object_list) == 2


def _make(hub, n, lead):
    submitters = [UserFactory() for _ in range(3)]
    for i in range(n):
        inquiry = submit(hub, submitter=submitters[i % 3], title=f"Inquiry {i}")
        if i % 2:
            services.inquiry_assign(inquiry=inquiry, by=lead, assignee=lead, version=inquiry.version)


@pytest.mark.django_db
def test_list_dashboard_and_detail_issue_the_same_number_of_queries_at_any_size(
        lead_client, hub, hub_lead, list_url, django_assert_num_queries):
    pages = [reverse("intake:staff_dashboard", args=[hub.slug]), list_url,
             list_url + "?q=inquiry&kind_of_help=new_idea&sort=due"]
    _make(hub, 3, hub_lead)
    counts = {}
    for url in pages:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        lead_client.get(url)  # warm, as the second size is: a search's typed words are parsed once a process
        with CaptureQueriesContext(connection) as small:
            assert lead_client.get(url).status_code == 200
        counts[url] = len(small)
    detail = Inquiry.objects.filter(hub=hub).first()
    detail_url = reverse("intake:staff_inquiry", args=[hub.slug, detail.reference])
    with CaptureQueriesContext(connection) as small_detail:
        lead_client.get(detail_url)
    _make(hub, 30, hub_lead)
    for url in pages:
        with django_assert_num_queries(counts[url]):
            lead_client.get(url)
    with django_assert_num_queries(len(small_detail)):
        lead_client.get(detail_url)


@pytest.mark.django_db
def test_the_export_streams_the_filtered_set_as_csv_with_formulas_neutralised(lead_client, hub, other_hub):
    submit(hub, title="=HYPERLINK(\"http://evil\")", organisation="+44 Trust", kind_of_help="funding")
    submit(hub, title="Plain title", kind_of_help="funding", organisation="@home Trust")
    submit(hub, title="Not funding", kind_of_help="new_idea")
    submit(other_hub, title="Other hub", kind_of_help="funding")
    response = lead_client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]), {"kind_of_help": "funding"})
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="DOR-inquiries-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Reference", "Title", "Status"]
    titles = sorted(row[1] for row in rows[1:])
    assert titles == ["'=HYPERLINK(\"http://evil\")", "Plain title"]
    organisations = sorted(row[8] for row in rows[1:])
    assert organisations == ["'+44 Trust", "'@home Trust"]


@pytest.mark.django_db
def test_bulk_assign_and_bulk_close(lead_client, hub, hub_member, list_url, outbox,
                                    django_capture_on_commit_callbacks):
    a, b, c = submit(hub), submit(hub), submit(hub)
    bulk = reverse("intake:staff_inquiry_bulk", args=[hub.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(bulk, {"action": "assign", "assignee": hub_member.pk,
                                           "selected": [a.reference, b.reference]}, follow=True)
    assert "2 inquiries assigned" in response.content.decode()
    assert set(Inquiry.objects.filter(assignee=hub_member).values_list("pk", flat=True)) == {a.pk, b.pk}
    response = lead_client.post(bulk, {"action": "close", "selected": [b.reference, c.reference]}, follow=True)
    assert "Select the outcome for the inquiries you are closing" in response.content.decode()
    assert Inquiry.objects.filter(status="closed").count() == 0
    services.inquiry_close(inquiry=c, by=None, outcome="withdrawn", reason="x", version=c.version)
    response = lead_client.post(bulk, {"action": "close", "outcome": "not_progressed", "reason": "Out of scope",
                                       "selected": [b.reference, c.reference]}, follow=True)
    body = response.content.decode()
    assert "1 inquiry closed" in body
    assert f"Not closed, because they are closed or changed meanwhile: {c.reference}" in body
    b.refresh_from_db()
    assert (b.status, b.outcome) == ("closed", "not_progressed")


@pytest.mark.django_db
def test_bulk_actions_ignore_references_of_other_hubs(lead_client, hub, other_hub):
    theirs = submit(other_hub)
    bulk = reverse("intake:staff_inquiry_bulk", args=[hub.slug])
    lead_client.post(bulk, {"action": "close", "outcome": "withdrawn", "reason": "x", "selected": [theirs.reference]})
    theirs.refresh_from_db()
    assert theirs.status == "submitted"


@pytest.mark.django_db
def test_the_dashboard_shows_each_queue(lead_client, hub, hub_lead, hub_member):
    new = submit(hub, title="New one")
    mine = submit(hub, title="Mine")
    services.inquiry_assign(inquiry=mine, by=hub_member, assignee=hub_lead, version=mine.version)
    overdue = submit(hub, title="Late one")
    Inquiry.objects.filter(pk=overdue.pk).update(triage_due_on=timezone.localdate() - dt.timedelta(days=1))
    waiting = submit(hub, title="Waiting one")
    services.inquiry_request_info(inquiry=waiting, by=hub_lead, question="?", version=waiting.version)
    queues = {q["key"]: q for q in lead_client.get(reverse("intake:staff_dashboard", args=[hub.slug])).context["queues"]}
    assert [i.title for i in queues["new"]["items"]] == ["New one", "Late one"]
    assert [i.title for i in queues["mine"]["items"]] == ["Mine"]
    assert [i.title for i in queues["overdue"]["items"]] == ["Late one"]
    assert [i.title for i in queues["awaiting"]["items"]] == ["Waiting one"]
    assert {i.title for i in queues["due_soon"]["items"]} <= {"New one", "Mine"}
    assert queues["recent"]["count"] == 4
    assert new.reference in {i.reference for i in queues["recent"]["items"]}


def test_the_status_filter_offers_exactly_the_lifecycle_after_draft(hub):
    from intake.triage_forms import InquiryFilterForm

    form = InquiryFilterForm(hub=hub)
    assert [code for code, _ in form.fields["status"].choices] == [
        "submitted", "in_review", "awaiting_info", "routed", "in_support", "closed"]


@pytest.mark.django_db
@pytest.mark.parametrize("query, error", [
    ({"submitted_to": "9999-12-31"}, "Sent to date must be from 2000 to 2099 (this filter is not applied)"),
    ({"submitted_from": "9999-12-31"}, "Sent from date must be from 2000 to 2099"),
    ({"submitted_from": "0001-01-01"}, "Sent from date must be from 2000 to 2099"),
    ({"submitted_to": "0000-01-01"}, "Sent to date must be a real date"),
    ({"submitted_from": "2026-13-45"}, "Sent from date must be a real date"),
    # The boxes as a person types them (hubportal.date_input).
    ({"submitted_from_day": "1", "submitted_from_month": "", "submitted_from_year": "2026"},
     "Sent from date must include a month"),
    ({"submitted_to_day": "31", "submitted_to_month": "12", "submitted_to_year": "9999"},
     "Sent to date must be from 2000 to 2099"),
    ({"submitted_to_day": "1", "submitted_to_month": "1", "submitted_to_year": "26"},
     "Year must include 4 numbers"),
])
def test_an_impossible_date_filter_is_ignored_and_explained_next_to_the_field(lead_client, hub, list_url, query,
                                                                               error):
    inquiry = submit(hub)
    response = lead_client.get(list_url, query)
    assert response.status_code == 200
    assert references(response) == [inquiry.reference]
    assert error in response.content.decode()
    export = lead_client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]), query)
    assert export.status_code == 200
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [inquiry.reference]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["-1", "0", "abc", "1e3", "9" * 30, "9" * 5000, "9223372036854775808"])
def test_any_page_number_shows_a_page_of_the_list(lead_client, hub, list_url, page):
    inquiry = submit(hub)
    response = lead_client.get(list_url, {"page": page})
    assert response.status_code == 200
    assert references(response) == [inquiry.reference]


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"assignee": "9" * 30}, {"q": "falls\x00"}, {"organisation": "\x00"},
                                   {"status": "submitted\x00"}])
def test_a_huge_number_or_a_nul_character_in_a_filter_is_not_a_server_error(lead_client, hub, list_url, query):
    submit(hub)
    assert lead_client.get(list_url, query).status_code in (200, 400)
    export = lead_client.get(reverse("intake:staff_inquiry_export", args=[hub.slug]), query)
    assert export.status_code in (200, 400)
    if export.status_code == 200:
        b"".join(export.streaming_content)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["inquiries/DOR-2026-0001%00/", "inquiries/DOR-2026-0001%00/notes/",
                                  "inquiries/%00/referrals/"])
def test_a_nul_character_in_a_staff_address_is_a_page_not_found(lead_client, hub, path):
    submit(hub)
    response = lead_client.get(f"/staff/{hub.slug}/{path}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_nul_character_in_a_bulk_selection_is_not_a_server_error(lead_client, hub, hub_lead):
    inquiry = submit(hub)
    response = lead_client.post(reverse("intake:staff_inquiry_bulk", args=[hub.slug]),
                                {"action": "assign", "selected": [inquiry.reference + "\x00"],
                                 "assignee": hub_lead.pk})
    assert response.status_code in (302, 400)
    inquiry.refresh_from_db()
    assert inquiry.assignee is None
def test_the_export_reads_as_people_do_and_opens_in_excel_without_mangling(lead_client, hub, hub_lead):
    inquiry = submit(hub, title="Siân’s falls pilot", kind_of_help="funding")
    Inquiry.objects.filter(pk=inquiry.pk).update(
        assignee=hub_lead, status="closed", outcome="progressing_elsewhere", support_needed=["evaluation", "information_governance"],
        triage_due_on=dt.date(2026, 3, 9), submitted_at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=dt.UTC))
    body = b"".join(lead_client.get(reverse("intake:staff_inquiry_export", args=[hub.slug])).streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark, for Excel
    header, row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    cells = dict(zip(header, row, strict=True))
    assert cells["Title"] == "Siân’s falls pilot"
    assert cells["Status"] == "Closed"
    assert cells["Kind of help"] == "I need help with funding or a bid"
    assert cells["Outcome"] == "Progressing elsewhere"
    assert cells["Support needed"] == "Evaluation and evidence; Information governance and data protection"
    assert cells["Sent"] == "02/03/2026 14:05"
    assert cells["Triage due"] == "09/03/2026"
    assert cells["Assignee"] == "Sarah Whitfield"
