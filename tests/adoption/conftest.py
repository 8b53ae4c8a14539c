import datetime as dt

import pytest
import time_machine

from hubportal.workdays import LONDON
from intake import services as intake_services
from intake.models import Checklist, Criterion
from tests.factories import SubmittedFactory

# A Monday in term time, well clear of bank holidays.
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)


def at(day, hour=9):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


@pytest.fixture
def supported(submitter, hub, hub_lead):
    """Jo Bloggs's inquiry to Dorset, taken into support by the hub lead on MONDAY."""
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00007", title="Falls sensors",
                               contact_name="Jo Bloggs")
    with time_machine.travel(MONDAY, tick=False):
        intake_services.inquiry_start_review(inquiry=inquiry, by=hub_lead, version=inquiry.version)
        intake_services.inquiry_start_support(inquiry=inquiry, by=hub_lead, version=None)
    inquiry.refresh_from_db()
    return inquiry


@pytest.fixture
def case(supported):
    return supported.adoption_case


@pytest.fixture
def exit_checklist(hub):
    checklist = Checklist.objects.create(hub=hub, name="Ready to test?", slug="ready-to-test",
                                         kind=Checklist.Kind.GATE)
    Criterion.objects.create(checklist=checklist, question="Is there a named clinical lead?", position=1)
    Criterion.objects.create(checklist=checklist, question="Is the data protection impact assessment done?",
                             position=2, weight=2)
    return checklist
