"""Issue 10: every demo hub ships a triage checklist, Dorset too, and loading again keeps used versions."""

import pytest
from django.core.management import call_command

from devtools.management.commands.load_demo import HUBS
from intake.models import Checklist
from intake.services import assessment_record
from tests.factories import SubmittedFactory


@pytest.mark.django_db
def test_every_demo_hub_ships_a_triage_checklist_and_loading_again_changes_nothing(tmp_path):
    call_command("load_demo", stdout=open(tmp_path / "out.txt", "w"))
    current = Checklist.objects.filter(replaced_by__isnull=True, is_active=True, kind="triage")
    assert sorted(current.values_list("hub__code", flat=True)) == sorted(spec["code"] for spec in HUBS)
    dorset = current.get(hub__code="DOR")
    assert dorset.criteria.count() == 4
    # Loading again after the checklist was used adds no version and no question.
    inquiry = SubmittedFactory(hub=dorset.hub, reference="DOR-2026-00001")
    criteria = list(dorset.criteria.all())
    assessment_record(inquiry=inquiry, by=dorset.hub.memberships.first().user, checklist=dorset,
                      answers={c: (c.answer_choices()[0][0], "") for c in criteria})
    call_command("load_demo", stdout=open(tmp_path / "again.txt", "w"))
    assert Checklist.objects.filter(hub__code="DOR").count() == 1
    assert dorset.criteria.count() == 4
