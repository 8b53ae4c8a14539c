"""Every hub staff page refuses the wrong person: other hubs' staff get 404, submitters and anonymous
visitors go to the staff sign-in, and a password without the second factor is not enough."""

import pytest
from django.urls import reverse

from intake import services
from intake.models import Attachment, Checklist, Criterion
from tests.conftest import sign_in_staff
from tests.factories import DraftFactory


@pytest.fixture
def sent(hub, submitter):
    inquiry = services.inquiry_submit(inquiry=DraftFactory(submitter=submitter, hub=hub, title="Hub secret"),
                                      by=submitter)
    attachment = Attachment.objects.create(inquiry=inquiry, uploaded_by=submitter, original_name="a.pdf",
                                           stored_name="s.pdf", file="attachments/s.pdf",
                                           content_type="application/pdf", size=1)
    checklist = Checklist.objects.create(hub=hub, name="Triage", slug="triage")
    Criterion.objects.create(checklist=checklist, question="Is it proven?")
    return inquiry, attachment


def staff_urls(hub, inquiry, attachment):
    ref = inquiry.reference
    return [
        ("get", reverse("intake:staff_dashboard", args=[hub.slug])),
        ("get", reverse("intake:staff_inquiry_list", args=[hub.slug])),
        ("get", reverse("intake:staff_inquiry_export", args=[hub.slug])),
        ("post", reverse("intake:staff_inquiry_bulk", args=[hub.slug])),
        ("get", reverse("intake:staff_inquiry", args=[hub.slug, ref])),
        ("get", reverse("intake:staff_attachment_download", args=[hub.slug, ref, attachment.public_id])),
        ("post", reverse("intake:staff_inquiry_assign", args=[hub.slug, ref])),
        ("post", reverse("intake:staff_inquiry_note", args=[hub.slug, ref])),
        ("get", reverse("intake:staff_inquiry_decide", args=[hub.slug, ref, "close"])),
        ("post", reverse("intake:staff_inquiry_decide", args=[hub.slug, ref, "start-review"])),
        ("get", reverse("intake:staff_inquiry_assess", args=[hub.slug, ref, "triage"])),
        ("get", reverse("intake:staff_metrics", args=[hub.slug])),
        ("get", reverse("intake:staff_metrics_csv", args=[hub.slug])),
    ]


@pytest.mark.django_db
def test_a_lead_of_another_hub_gets_404_on_every_page_of_this_hub(other_lead_client, hub, sent):
    inquiry, attachment = sent
    for method, url in staff_urls(hub, inquiry, attachment):
        response = getattr(other_lead_client, method)(url, {"body": "x", "version": 0})
        assert response.status_code == 404, (method, url)
        assert b"Hub secret" not in response.content
    inquiry.refresh_from_db()
    assert inquiry.status == "submitted"
    assert inquiry.notes.count() == 0


@pytest.mark.django_db
def test_a_lead_of_another_hub_gets_404_for_this_hubs_inquiry_under_their_own_hub(
        other_lead_client, other_hub, sent):
    inquiry, attachment = sent
    response = other_lead_client.get(reverse("intake:staff_inquiry", args=[other_hub.slug, inquiry.reference]))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "submitter", "lead_without_second_factor"])
def test_anyone_not_signed_in_as_staff_is_sent_to_the_staff_sign_in(client, hub, sent, submitter, hub_lead, who):
    inquiry, attachment = sent
    if who == "submitter":
        client.force_login(submitter)
    elif who == "lead_without_second_factor":
        client.force_login(hub_lead)  # a password alone: no verified device in the session
    for method, url in [*staff_urls(hub, inquiry, attachment), ("get", reverse("intake:staff_home"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (who, method, url)
        assert response["Location"].startswith("/staff/sign-in/?next="), (who, url)
    assert inquiry.notes.count() == 0


@pytest.mark.django_db
def test_a_submitter_gets_404_for_a_hub_they_are_not_staff_of_even_when_verified(client, hub, sent, submitter):
    sign_in_staff(client, submitter)  # verified, but not a member of any hub
    assert client.get(reverse("intake:staff_dashboard", args=[hub.slug])).status_code == 404
    assert client.get(reverse("intake:staff_home")).status_code == 404


@pytest.mark.django_db
def test_the_hubs_own_lead_can_open_every_page(lead_client, hub, sent, settings):
    inquiry, attachment = sent
    for method, url in staff_urls(hub, inquiry, attachment):
        if method == "get" and "attachments" not in url:
            assert lead_client.get(url).status_code == 200, url
