"""The redaction proof: every lay reviewer page and email, rendered for an inquiry whose every field
holds a unique marker, shows the staff's plain-English summary and who would benefit, and nothing else
of the inquiry: no names, organisation, contact details, attachments, notes or checklist comments."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from hubportal.models import EmailLink, OutboundEmail
from hubportal.outbox import outbound_email_render
from hubportal.services import email_link_create
from intake import services as intake_services
from intake.models import Attachment, Checklist, Criterion, InformationRequest, InquiryNote
from review.models import LayReview
from signposting import services as signposting_services
from tests.factories import SubmittedFactory, UserFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory

from .conftest import lay_world

REDACTED = {
    "title": "RX-TITLE-a1",
    "problem": "RX-PROBLEM-b2",
    "proposed_innovation": "RX-INNOVATION-c3",
    "evidence": "RX-EVIDENCE-d4",
    "contact_name": "RX-CONTACT-e5",
    "organisation": "RX-ORGANISATION-f6",
    "role": "RX-ROLE-g7",
    "phone": "07700 900 777",
    "outcome_reason": "RX-OUTCOME-h8",
    "reference": "DOR-2026-77777",
}
OTHER_REDACTED = {
    "submitter email": "rx.submitter.i9@nhs.net",
    "submitter name": "RX-SUBMITTER-NAME-j0",
    "attachment name": "RX-ATTACHMENT-k1.pdf",
    "internal note": "RX-NOTE-l2",
    "assessment comment": "RX-ASSESSMENT-COMMENT-m3",
    "assessment summary": "RX-ASSESSMENT-SUMMARY-n4",
    "question to the submitter": "RX-QUESTION-o5",
    "submitter's answer": "RX-ANSWER-p6",
    "referral message": "RX-REFERRAL-MESSAGE-q7",
    "partner": "RX-PARTNER-r8",
}
ALLOWED = {"who_benefits": "RX-ALLOWED-WHO-BENEFITS-s9", "summary": "RX-ALLOWED-SUMMARY-t0"}


@pytest.fixture
def marked(db, hub, hub_lead):
    submitter = UserFactory(email=OTHER_REDACTED["submitter email"], full_name=OTHER_REDACTED["submitter name"])
    inquiry = SubmittedFactory(hub=hub, submitter=submitter, status="in_review",
                               who_benefits=ALLOWED["who_benefits"], **REDACTED)
    attachment = Attachment(inquiry=inquiry, uploaded_by=submitter, original_name=OTHER_REDACTED["attachment name"],
                            stored_name="rx.pdf", content_type="application/pdf", size=8)
    attachment.file.save("rx.pdf", ContentFile(b"%PDF-1.4"), save=True)
    InquiryNote.objects.create(inquiry=inquiry, author=hub_lead, body=OTHER_REDACTED["internal note"])
    triage = Checklist.objects.create(hub=hub, name="Triage", slug="triage")
    criterion = Criterion.objects.create(checklist=triage, question="Is it proven?")
    intake_services.assessment_record(inquiry=inquiry, by=hub_lead, checklist=triage,
                                      answers={criterion: ("yes", OTHER_REDACTED["assessment comment"])},
                                      summary=OTHER_REDACTED["assessment summary"])
    InformationRequest.objects.create(inquiry=inquiry, requested_by=hub_lead,
                                      question=OTHER_REDACTED["question to the submitter"],
                                      answer=OTHER_REDACTED["submitter's answer"], answered_at=inquiry.submitted_at)
    partner = PartnerFactory(name=OTHER_REDACTED["partner"], hubs=[hub])
    PartnerContactFactory(partner=partner, email="contact@partner.example.org")
    signposting_services.referral_send(inquiry=inquiry, partner=partner, by=hub_lead,
                                       message=OTHER_REDACTED["referral message"])
    return lay_world(hub, inquiry, hub_lead, summary=ALLOWED["summary"])


def _leaks(text):
    return [f"{field}: {marker}" for field, marker in {**REDACTED, **OTHER_REDACTED}.items() if marker in text]


def _pages(client, lay):
    """(what, text) for every lay reviewer page and email, in every state they can be seen in."""
    review = lay.review
    seen = []
    for email in OutboundEmail.objects.filter(template="lay_review_request"):
        seen += [(f"email {part}", text) for part, text in zip(("subject", "text", "html"),
                                                              outbound_email_render(email), strict=True)]
    token = email_link_create(purpose=EmailLink.Purpose.LAY_REVIEW, email=review.reviewer.email,
                              subject_ref=str(review.public_id)).raw_token
    link = reverse("review:link", args=[token])
    seen.append(("link confirmation", client.get(link)))
    client.post(link)  # uses it
    seen.append(("link used", client.post(link)))
    seen.append(("unknown link", client.get(reverse("review:link", args=["nonsense"]))))
    page, decline = reverse("review:review", args=[review.public_id]), reverse("review:decline", args=[review.public_id])
    seen.append(("review page", client.get(page)))
    seen.append(("review page with errors", client.post(page, {"comment": "x"})))
    seen.append(("decline page", client.get(decline)))
    seen.append(("decline page with errors", client.post(decline, {})))
    criteria = list(review.checklist.criteria.all())
    seen.append(("review answered", client.post(page, {f"answer_{criteria[0].pk}": "4",
                                                       f"answer_{criteria[1].pk}": "yes", "minutes_given": "20"},
                                                follow=True)))
    seen.append(("thanks", client.get(reverse("review:thanks", args=[review.public_id]))))
    seen.append(("answered review's link", client.post(reverse("review:link", args=[email_link_create(
        purpose=EmailLink.Purpose.LAY_REVIEW, email=review.reviewer.email, subject_ref=str(review.public_id)
    ).raw_token]))))
    # The other reviewer declines for a conflict of interest, in their own browser.
    other = client.__class__()
    other_link = reverse("review:link", args=[email_link_create(
        purpose=EmailLink.Purpose.LAY_REVIEW, email=lay.other_reviewer.email,
        subject_ref=str(lay.other_review.public_id)).raw_token])
    other.post(other_link)
    seen.append(("conflict declared", other.post(reverse("review:decline", args=[lay.other_review.public_id]),
                                                 {"choice": "conflict"}, follow=True)))
    return [(what, r if isinstance(r, str) else r.content.decode()) for what, r in seen]


def test_no_redacted_field_reaches_a_lay_reviewer_in_any_page_or_email(client, marked):
    pages = _pages(client, marked)
    assert len(pages) == 3 * 2 + 11
    assert [(what, _leaks(text)) for what, text in pages if _leaks(text)] == []
    review_page = dict(pages)["review page"]
    assert ALLOWED["summary"] in review_page and ALLOWED["who_benefits"] in review_page
    assert LayReview.objects.get(pk=marked.review.pk).status == "answered"
    assert LayReview.objects.get(pk=marked.other_review.pk).status == "conflict"


def test_the_proof_would_catch_a_leak(client, marked, settings, tmp_path):
    """The same proof against a page that shows the title: it must find it (the markers really render)."""
    leaky = tmp_path / "review"
    leaky.mkdir()
    (leaky / "_redacted.html").write_text("{{ review.summary }} {{ review.inquiry.title }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path), *settings.TEMPLATES[0]["DIRS"]]}]
    pages = _pages(client, marked)
    assert ("review page", ["title: RX-TITLE-a1"]) in [(what, _leaks(text)) for what, text in pages]


def test_a_staff_chosen_summary_is_all_the_email_knows(marked):
    email = OutboundEmail.objects.filter(template="lay_review_request").first()
    assert set(email.context) == {"link_url", "days", "reviewer_name"}
