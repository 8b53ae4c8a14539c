"""A lay reviewer's journey in a real browser at 320 px: the emailed link, its confirmation, the
redacted innovation, the answers, thanks. axe-core on every page, and no sideways scrolling."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hubportal.models import EmailLink, OutboundEmail
from hubportal.services import email_link_create
from review.models import LayReview
from tests.factories import SubmittedFactory, UserFactory
from tests.review.conftest import lay_world

from .conftest import assert_accessible

pytestmark = pytest.mark.browser


def assert_no_sideways_scroll(page):
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 320px"


@pytest.mark.parametrize("page", [{"viewport": {"width": 320, "height": 640}}], indirect=True)
def test_a_lay_reviewer_reviews_an_innovation_from_their_emailed_link(page, demo_hubs):
    hub = demo_hubs["DOR"]
    lead = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    inquiry = SubmittedFactory(hub=hub, status="in_review", title="Secret title", contact_name="Secret Person",
                               who_benefits="Older people living alone who might fall at night")
    lay = lay_world(hub, inquiry, lead, summary="Sensors that tell a carer when someone has fallen.")
    # The emailed link's text is wiped once sent (it is a secret): use a link made the same way.
    assert OutboundEmail.objects.filter(to=lay.reviewer.email, template="lay_review_request").count() == 1
    path = reverse("review:link", args=[email_link_create(
        purpose=EmailLink.Purpose.LAY_REVIEW, email=lay.reviewer.email, subject_ref=str(lay.review.public_id)
    ).raw_token])

    page.goto(path)
    expect(page.get_by_role("heading", level=1, name="Review an innovation")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="Open the innovation").click()

    expect(page.get_by_text("Sensors that tell a carer when someone has fallen.")).to_be_visible()
    expect(page.get_by_text("Older people living alone who might fall at night")).to_be_visible()
    assert "Secret" not in page.content()
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Sent without answers: errors next to the questions, nothing lost.
    page.get_by_label(re.compile("Anything else you would like")).fill("Useful for my mum")
    page.get_by_role("button", name="Send your review").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    expect(page.get_by_label(re.compile("Anything else you would like"))).to_have_value("Useful for my mum")

    page.get_by_role("group", name=re.compile("Would this matter to patients")).get_by_label("4").check()
    page.get_by_role("group", name=re.compile("Is it easy to understand")).get_by_label("Partly").check()
    page.get_by_label("How many minutes did you spend on this review?").fill("25")
    page.get_by_role("button", name="Send your review").click()

    expect(page.get_by_role("heading", level=1, name="Thank you for your review")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    review = LayReview.objects.get(pk=lay.review.pk)
    assert (review.status, review.minutes_given, review.comment) == ("answered", 25, "Useful for my mum")
