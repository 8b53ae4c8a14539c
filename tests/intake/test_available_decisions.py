"""The staff inquiry page offers the decisions the transitions table allows, and no others."""

import pytest
from django.urls import reverse

from intake.models import Inquiry
from intake.selectors import inquiry_available_decisions
from tests.factories import SubmittedFactory

BUTTONS = {
    "start-review": "Start review", "request-info": "Ask for information", "start-support": "Start support",
    "park": "Park until a date", "unpark": "Unpark", "duplicate": "Mark as duplicate", "close": ">Close<",
    "assign": ">Assign<",
}
EXPECTED = {
    "submitted": {"start-review", "request-info", "park", "duplicate", "close", "assign"},
    "in_review": {"request-info", "start-support", "park", "duplicate", "close", "assign"},
    "awaiting_info": {"park", "duplicate", "close", "assign"},  # the submitter's answer moves it on
    "routed": {"start-support", "park", "duplicate", "close", "assign"},  # back to review: referrals closing
    "in_support": {"park", "duplicate", "close", "assign"},
    "closed": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(EXPECTED))
def test_it_offers_exactly_the_decisions_the_lifecycle_allows(lead_client, hub, submitter, status):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, status=status)
    assert inquiry_available_decisions(inquiry) == EXPECTED[status]
    page = lead_client.get(reverse("intake:staff_inquiry", args=[hub.slug, inquiry.reference])).content.decode()
    for decision, text in BUTTONS.items():
        assert (text in page) == (decision in EXPECTED[status]), decision
    for decision in EXPECTED[status] - {"assign", "park", "unpark"}:
        assert Inquiry.Status(status) != Inquiry.Status.CLOSED and inquiry.can_become(
            {"start-review": "in_review", "request-info": "awaiting_info", "start-support": "in_support",
             "duplicate": "closed", "close": "closed"}[decision])


@pytest.mark.django_db
def test_a_parked_inquiry_offers_unpark_instead_of_park(lead_client, hub, submitter):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, status="in_review", parked_until="2030-01-01")
    assert {"unpark"} <= inquiry_available_decisions(inquiry)
    assert "park" not in inquiry_available_decisions(inquiry)
