"""Who may use each page: checks beside the access table's matrix (tests/test_access_matrix.py), for
what the matrix does not show: nothing changes when the wrong person posts, lists hold only one's own."""

import pytest
from django.urls import reverse

from intake import services
from intake.models import Attachment
from tests.factories import DraftFactory


def _owner_urls(inquiry, attachment):
    return [
        ("get", reverse("intake:inquiry_detail", args=[inquiry.public_id])),
        ("get", reverse("intake:inquiry_step", args=[inquiry.public_id, "title"])),
        ("post", reverse("intake:inquiry_step", args=[inquiry.public_id, "title"])),
        ("get", reverse("intake:inquiry_check", args=[inquiry.public_id])),
        ("post", reverse("intake:inquiry_check", args=[inquiry.public_id])),
        ("get", reverse("intake:inquiry_submitted", args=[inquiry.public_id])),
        ("get", reverse("intake:inquiry_delete", args=[inquiry.public_id])),
        ("post", reverse("intake:inquiry_delete", args=[inquiry.public_id])),
        ("get", reverse("intake:attachment_download", args=[attachment.public_id])),
        ("get", reverse("intake:inquiry_answer", args=[inquiry.public_id])),
        ("post", reverse("intake:inquiry_withdraw_consent", args=[inquiry.public_id])),
        ("post", reverse("intake:attachment_remove", args=[attachment.public_id])),
    ]


@pytest.fixture
def draft_with_attachment(submitter):
    draft = DraftFactory(submitter=submitter, title="Private idea")
    attachment = Attachment.objects.create(
        inquiry=draft, uploaded_by=submitter, original_name="a.pdf", stored_name="x.pdf",
        file="attachments/x.pdf", content_type="application/pdf", size=3)
    return draft, attachment


@pytest.mark.django_db
def test_another_submitter_gets_404_for_every_page_of_someone_elses_inquiry(
        other_submitter_client, draft_with_attachment):
    draft, attachment = draft_with_attachment
    for method, url in _owner_urls(draft, attachment):
        response = getattr(other_submitter_client, method)(url, {"title": "Hijacked"} if method == "post" else {})
        assert response.status_code == 404, (method, url)
        assert b"Private idea" not in response.content
    draft.refresh_from_db()
    assert draft.title == "Private idea"
    assert draft.is_draft
    assert Attachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.django_db
def test_another_submitter_gets_404_for_a_sent_inquiry(other_submitter_client, submitter):
    draft = DraftFactory(submitter=submitter)
    services.inquiry_submit(inquiry=draft, by=submitter)
    for name in ("intake:inquiry_detail", "intake:inquiry_submitted"):
        assert other_submitter_client.get(reverse(name, args=[draft.public_id])).status_code == 404


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in_for_every_private_page(client, draft_with_attachment):
    draft, attachment = draft_with_attachment
    urls = _owner_urls(draft, attachment) + [("get", "/inquiries/"), ("get", "/inquiries/new/")]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/sign-in/?next="), (method, url)
    assert Attachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.django_db
def test_your_inquiries_lists_only_the_signed_in_persons_own(other_submitter_client, submitter, other_submitter):
    DraftFactory(submitter=submitter, title="Someone else's draft")
    DraftFactory(submitter=other_submitter, title="My own draft")
    body = other_submitter_client.get("/inquiries/").content.decode()
    assert "My own draft" in body
    assert "Someone else&#x27;s draft" not in body and "Someone else's draft" not in body


@pytest.mark.django_db
def test_admin_refuses_people_who_are_not_administrators(submitter_client):
    response = submitter_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/sign-in/", "/accessibility/", "/privacy/", "/healthz"])
def test_public_pages_need_no_sign_in(client, url):
    assert client.get(url).status_code == 200
