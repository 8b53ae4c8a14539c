"""Who may use each page. Every URL pattern must be listed here, with a test that the wrong person
is refused: 404 for someone else's object (no leak), the sign-in page for anonymous visitors."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from intake import services
from intake.models import Attachment
from tests.factories import DraftFactory

ANYONE = "anyone"
LINK_HOLDER = "whoever holds an emailed link"
SIGNED_IN = "a signed-in person (sees only their own)"
OWNER = "the inquiry's submitter only"
ADMINISTRATORS = "Django admin: administrators (is_staff) only"
HUB_STAFF = "members of the hub in the URL, signed in with password and TOTP (404 for other hubs)"
STAFF = "signed in with password and TOTP and a member of some hub"
PASSWORD_STEP_PASSED = "whoever passed the staff password step in this session (10 minutes)"

ACCESS = {
    "healthz": ANYONE,
    "hubportal:sign_in": ANYONE,
    "hubportal:sign_in_sent": ANYONE,
    "hubportal:sign_in_confirm": LINK_HOLDER,
    "hubportal:sign_out": ANYONE,
    "hubportal:accessibility": ANYONE,
    "hubportal:privacy": ANYONE,
    "hubportal:account": "a signed-in person, their own account only",
    "hubportal:digest_unsubscribe": "whoever holds the signed unsubscribe link (one person, one harmless action)",
    "hubportal:staff_sign_in": ANYONE,
    "hubportal:staff_code": PASSWORD_STEP_PASSED,
    "hubportal:staff_set_up": "whoever used their staff invitation and chose a password in this session (10 minutes)",
    "hubportal:staff_set_password": "whoever used their staff invitation in this session (10 minutes)",
    "hubportal:staff_invitation": LINK_HOLDER,
    "hubportal:staff_failed_emails": HUB_STAFF,
    "hubportal:staff_email_resend": HUB_STAFF,
    "hubportal:staff_email_mark_not_delivered": HUB_STAFF,
    "hubportal:staff_email_mark_delivered": HUB_STAFF,
    "intake:start": ANYONE,
    "intake:inquiry_list": SIGNED_IN,
    "intake:inquiry_new": SIGNED_IN,
    "intake:inquiry_detail": OWNER,
    "intake:inquiry_step": OWNER,
    "intake:inquiry_check": OWNER,
    "intake:inquiry_submitted": OWNER,
    "intake:inquiry_delete": OWNER,
    "intake:attachment_download": OWNER,
    "intake:attachment_remove": OWNER,
    "intake:inquiry_answer": OWNER,
    "intake:inquiry_withdraw_consent": OWNER,
    "intake:staff_home": STAFF,
    "intake:staff_dashboard": HUB_STAFF,
    "intake:staff_inquiry_list": HUB_STAFF,
    "intake:staff_inquiry_export": HUB_STAFF,
    "intake:staff_inquiry_bulk": HUB_STAFF,
    "intake:staff_inquiry": HUB_STAFF,
    "intake:staff_attachment_download": HUB_STAFF,
    "intake:staff_inquiry_assign": HUB_STAFF,
    "intake:staff_inquiry_note": HUB_STAFF,
    "intake:staff_inquiry_decide": HUB_STAFF,
    "intake:staff_inquiry_assess": HUB_STAFF,
    "intake:staff_metrics": HUB_STAFF,
    "intake:staff_metrics_csv": HUB_STAFF,
    # Signposting and the partner directory (tests in tests/signposting and tests/partners).
    "signposting:referral_send": HUB_STAFF,
    "signposting:referral_reroute": HUB_STAFF,
    "signposting:referral_close": HUB_STAFF,
    "signposting:hub_referrals": HUB_STAFF,
    "signposting:partner_home": "a partner contact signed in by emailed link: their organisation's referrals only",
    "signposting:partner_referral": "a contact of the referral's partner (its emailed link, or signed in); 404 else",
    "signposting:referral_link": "whoever holds the emailed link for this referral and contact",
    "signposting:referral_link_renew": "whoever holds an expired or used link; the new one goes to its contact",
    "signposting:referral_accept": "a contact of the referral's partner (its emailed link, or signed in); 404 else",
    "signposting:referral_decline": "a contact of the referral's partner (its emailed link, or signed in); 404 else",
    "signposting:referral_question": "a contact of the referral's partner (its emailed link, or signed in); 404 else",
    "signposting:referral_outcome": "a contact of the referral's partner (its emailed link, or signed in); 404 else",
    "partners:sign_in": ANYONE,
    "partners:sign_in_sent": ANYONE,
    "partners:sign_in_confirm": LINK_HOLDER,
    "partners:digest_choice": "a signed-in partner contact, for their own address only",
    "partners:sign_out": ANYONE,
    "partners:oruk_index": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_organizations": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_organization": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_services": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_service": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_taxonomies": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_taxonomy": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_taxonomy_terms": "anyone: the open Open Referral UK directory (no people, no referrals)",
    "partners:oruk_taxonomy_term": "anyone: the open Open Referral UK directory (no people, no referrals)",
}


def _names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                pattern.namespace or namespace)
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or pattern.lookup_str
            yield f"{namespace}:{name}" if namespace else name


def test_every_url_pattern_states_who_may_use_it():
    unlisted = sorted({name for name in _names(get_resolver().url_patterns)
                       if not name.startswith("admin:") and name not in ACCESS})
    assert unlisted == [], f"Add these URL patterns to ACCESS with a test: {unlisted}"


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
