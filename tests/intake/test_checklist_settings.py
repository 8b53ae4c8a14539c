"""Issue 10: a hub's leads keep its checklists on the settings pages; a used version never changes."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from hubportal.models import HubAuditEntry
from hubportal.testing import sign_in_staff
from intake import checklists
from intake.checklists import ChecklistChanged, CriterionFields
from intake.models import Checklist, Criterion
from intake.services import assessment_record
from tests.factories import SubmittedFactory
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory, PartnerFactory

H = "dorset"


def _criterion_post(**overrides):
    data = {"question": "Is it proven?", "guidance": "Evidence from a pilot", "weight": "2", "scale": "yes_no",
            "follow_up_answer": "", "follow_up_text": ""}
    data.update(overrides)
    return data


@pytest.fixture
def checklist(hub, hub_lead):
    made = checklists.checklist_create(hub=hub, by=hub_lead, name="Dorset triage")
    checklists.criterion_add(checklist=made, by=hub_lead, fields=CriterionFields(question="Is it proven?", weight=2))
    checklists.criterion_add(checklist=made, by=hub_lead, fields=CriterionFields(
        question="Does it process patient data?", weight=1, follow_up_answer="yes", follow_up_text="A DPIA is needed"))
    return made


def _assess(inquiry, checklist, by, *answers):
    criteria = list(checklist.criteria.all())
    return assessment_record(inquiry=inquiry, by=by, checklist=checklist,
                             answers={c: (a, "") for c, a in zip(criteria, answers, strict=True)})


def test_it_creates_a_checklist_from_nothing_and_adds_a_question(lead_client, hub, hub_lead):
    response = lead_client.post(reverse("intake:settings_checklists", args=[H]),
                                {"name": "  Dorset   triage ", "description": "Our three questions", "kind": "triage"})
    checklist = Checklist.objects.get(hub=hub)
    assert response.status_code == 302
    assert (checklist.name, checklist.slug, checklist.version, checklist.is_active) == (
        "Dorset triage", "dorset-triage", 1, True)

    response = lead_client.post(reverse("intake:settings_criterion_new", args=[H, checklist.slug]),
                                _criterion_post(allow_not_applicable="on", follow_up_answer="no",
                                                follow_up_text="Ask for evidence"))
    assert response.status_code == 302
    criterion = checklist.criteria.get()
    assert (criterion.question, criterion.guidance, criterion.weight, criterion.scale,
            criterion.allow_not_applicable, criterion.follow_up_answer, criterion.follow_up_text) == (
        "Is it proven?", "Evidence from a pilot", 2, "yes_no", True, "no", "Ask for evidence")
    entries = list(HubAuditEntry.objects.filter(hub=hub).order_by("at", "pk"))
    assert [e.what for e in entries] == ["Checklist created", "Criterion added"]
    assert entries[1].by == hub_lead
    assert entries[1].after["question"] == "Is it proven?" and entries[1].before == {}


def test_editing_an_unused_checklist_changes_it_in_place(lead_client, hub, checklist):
    criterion = checklist.criteria.get(question="Is it proven?")
    response = lead_client.post(reverse("intake:settings_criterion", args=[H, checklist.slug, criterion.key]),
                                _criterion_post(weight="5"))
    assert response.status_code == 302
    assert Checklist.objects.filter(hub=hub).count() == 1
    criterion.refresh_from_db()
    assert criterion.weight == 5
    entry = HubAuditEntry.objects.filter(what="Criterion changed").get()
    assert (entry.before, entry.after) == ({"weight": 2, "hint": ""}, {"weight": 5, "hint": "Evidence from a pilot"})


def test_editing_a_used_checklist_makes_version_2_and_the_old_assessment_keeps_version_1(
        lead_client, hub, hub_lead, checklist):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00007")
    first = _assess(inquiry, checklist, hub_lead, "yes", "no")
    assert first.score == Decimal("66.7")  # 2 of 3: recomputed with version 2's weights it would be 16.7
    criterion = checklist.criteria.get(question="Does it process patient data?")

    response = lead_client.post(reverse("intake:settings_criterion", args=[H, checklist.slug, criterion.key]),
                                _criterion_post(question="Does it process patient data?", weight="10"))

    assert response.status_code == 302
    old, new = Checklist.objects.filter(hub=hub, slug=checklist.slug).order_by("version")
    assert (old.version, old.is_active, old.replaced_by_id) == (1, False, new.pk)
    assert (new.version, new.is_active, new.replaced_by_id) == (2, True, None)
    assert [c.weight for c in old.criteria.all()] == [2, 1]
    assert [c.weight for c in new.criteria.all()] == [2, 10]
    assert [c.key for c in old.criteria.all()] == [c.key for c in new.criteria.all()]
    first.refresh_from_db()
    # The stored score was made with version 1 and is never recomputed.
    assert (first.checklist_id, first.score, first.is_current) == (old.pk, Decimal("66.7"), True)
    assert HubAuditEntry.objects.filter(what="Checklist version made", after={"version": 2}).exists()

    page = lead_client.get(reverse("intake:staff_inquiry", args=[H, inquiry.reference])).content.decode()
    assert "against version 1 of the checklist; the checklist is now at version 2" in page

    second = _assess(inquiry, new, hub_lead, "yes", "yes")
    first.refresh_from_db()
    assert (second.number, second.is_current, first.is_current) == (2, True, False)
    assert second.score == Decimal("100.0") and first.score == Decimal("66.7")
    page = lead_client.get(reverse("intake:staff_inquiry", args=[H, inquiry.reference])).content.decode()
    assert "Assessment 1 (checklist version 1): 66.7%" in page


def test_the_assess_page_fills_in_answers_given_with_an_earlier_version(lead_client, hub, hub_lead, checklist):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00008")
    _assess(inquiry, checklist, hub_lead, "no", "yes")
    checklists.criterion_add(checklist=checklist, by=hub_lead, fields=CriterionFields(question="Is it a priority?"))
    new = checklists.checklist_current(hub=hub, slug=checklist.slug)
    assert new.version == 2

    response = lead_client.get(reverse("intake:staff_inquiry_assess", args=[H, inquiry.reference, new.slug]))

    form = response.context["form"]
    by_question = {c.question: c.pk for c in new.criteria.all()}
    assert form.initial[f"answer_{by_question['Is it proven?']}"] == "no"
    assert f"answer_{by_question['Is it a priority?']}" not in form.initial
    assert "made with version 1 of the checklist" in response.content.decode()


@pytest.mark.parametrize("overrides, field, message", [
    ({"weight": "-1"}, "weight", "Weight must be a whole number from 1 to 100"),
    ({"weight": "101"}, "weight", "Weight must be a whole number from 1 to 100"),
    ({"scale": ""}, "scale", "Choose an answer scale"),
    ({"question": " "}, "question", "Enter the question"),
    ({"question": "is it  PROVEN?"}, "question", "This checklist already asks that question"),
    ({"follow_up_answer": "amber", "follow_up_text": "Look again"}, "follow_up_answer",
     "Choose a follow-up answer that the answer scale has"),
    ({"follow_up_answer": "yes"}, "follow_up_text",
     "Enter both the answer that raises a follow-up and what must follow, or neither"),
])
def test_it_refuses_bad_input_for_a_question_with_a_specific_error_and_changes_nothing(
        lead_client, hub, checklist, overrides, field, message):
    before = list(Criterion.objects.values_list("pk", "question", "weight", "position"))
    audit = HubAuditEntry.objects.count()

    response = lead_client.post(reverse("intake:settings_criterion_new", args=[H, checklist.slug]),
                                _criterion_post(**overrides))

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert list(Criterion.objects.values_list("pk", "question", "weight", "position")) == before
    assert Checklist.objects.count() == 1 and HubAuditEntry.objects.count() == audit


def test_the_service_refuses_a_negative_weight_whoever_calls_it(hub_lead, checklist):
    with pytest.raises(checklists.ChecklistRefused, match="Weight must be"):
        checklists.criterion_add(checklist=checklist, by=hub_lead, fields=CriterionFields(question="New?", weight=-1))
    assert checklist.criteria.count() == 2


def test_it_refuses_a_second_checklist_with_the_same_name(lead_client, hub, checklist):
    response = lead_client.post(reverse("intake:settings_checklists", args=[H]),
                                {"name": "DORSET triage", "kind": "triage"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This hub already has a checklist with that name"]
    assert Checklist.objects.filter(hub=hub).count() == 1


def test_it_reorders_questions_and_a_used_version_keeps_its_order(lead_client, hub, hub_lead, checklist):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00009")
    _assess(inquiry, checklist, hub_lead, "yes", "no")
    second = checklist.criteria.get(question="Does it process patient data?")

    response = lead_client.post(reverse("intake:settings_criterion_move", args=[H, checklist.slug, second.key]),
                                {"direction": "up"})

    assert response.status_code == 302
    new = checklists.checklist_current(hub=hub, slug=checklist.slug)
    assert [c.question for c in new.criteria.all()] == ["Does it process patient data?", "Is it proven?"]
    assert [c.question for c in checklist.criteria.all()] == ["Is it proven?", "Does it process patient data?"]
    assert HubAuditEntry.objects.filter(what="Criteria reordered").exists()


def test_retiring_a_question_of_a_used_checklist_keeps_it_in_the_version_that_asked_it(
        lead_client, hub, hub_lead, checklist):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00010")
    assessment = _assess(inquiry, checklist, hub_lead, "yes", "yes")
    retired = checklist.criteria.get(question="Does it process patient data?")

    lead_client.post(reverse("intake:settings_criterion_retire", args=[H, checklist.slug, retired.key]))

    new = checklists.checklist_current(hub=hub, slug=checklist.slug)
    assert [c.question for c in new.criteria.all()] == ["Is it proven?"]
    assert checklist.criteria.count() == 2
    assert assessment.answers.count() == 2
    assert assessment.follow_ups == ["A DPIA is needed"]


def test_retiring_a_checklist_hides_it_from_assessors_and_keeps_its_assessments(lead_client, hub, hub_lead, checklist):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00011")
    _assess(inquiry, checklist, hub_lead, "yes", "yes")

    lead_client.post(reverse("intake:settings_checklist_active", args=[H, checklist.slug]), {"active": "no"})

    checklist.refresh_from_db()
    assert checklist.is_active is False
    assert lead_client.get(reverse("intake:staff_inquiry_assess", args=[H, inquiry.reference, checklist.slug])
                           ).status_code == 404
    page = lead_client.get(reverse("intake:staff_inquiry", args=[H, inquiry.reference])).content.decode()
    assert "This checklist is retired." in page
    assert HubAuditEntry.objects.filter(what="Checklist retired").exists()


def test_the_preview_shows_the_questions_as_an_assessor_sees_them(client, hub, hub_member, checklist):
    sign_in_staff(client, hub_member)
    response = client.get(reverse("intake:settings_checklist_preview", args=[H, checklist.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Is it proven?" in page and "Does it process patient data?" in page
    assert "Nothing here is saved" in page
    assert 'type="submit"' not in page.split("<main", 1)[1]


def test_a_lead_editing_a_version_someone_replaced_meanwhile_is_refused(hub, hub_lead, checklist):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00012")
    _assess(inquiry, checklist, hub_lead, "yes", "yes")
    stale = Checklist.objects.get(pk=checklist.pk)
    checklists.criterion_add(checklist=checklist, by=hub_lead, fields=CriterionFields(question="First change"))

    with pytest.raises(ChecklistChanged):
        checklists.criterion_add(checklist=stale, by=hub_lead, fields=CriterionFields(question="Second change"))
    assert Checklist.objects.filter(hub=hub).count() == 2
    assert not Criterion.objects.filter(question="Second change").exists()


def test_a_member_sees_the_checklists_read_only_and_their_changes_are_refused(client, hub, hub_member, checklist):
    sign_in_staff(client, hub_member)
    page = client.get(reverse("intake:settings_checklist", args=[H, checklist.slug])).content.decode()
    assert "Is it proven?" in page and "Add a question" not in page and "Retire" not in page
    assert client.post(reverse("intake:settings_checklists", args=[H]), {"name": "Mine"}).status_code == 404
    assert client.post(reverse("intake:settings_checklist", args=[H, checklist.slug]),
                       {"name": "Renamed"}).status_code == 404
    assert client.post(reverse("intake:settings_criterion_new", args=[H, checklist.slug]),
                       _criterion_post(question="Sneaky?")).status_code == 404
    assert list(Checklist.objects.values_list("name", flat=True)) == ["Dorset triage"]
    assert checklist.criteria.count() == 2


@pytest.mark.parametrize("actor", ["other_hub_lead", "hub_member", "submitter", "partner", "anonymous"])
def test_it_refuses_a_new_question_from_anyone_but_the_hubs_lead(actor, hub, checklist, other_hub_lead, hub_member,
                                                                  submitter):
    client = Client()
    if actor == "other_hub_lead":
        sign_in_staff(client, other_hub_lead)
    elif actor == "hub_member":
        sign_in_staff(client, hub_member)
    elif actor == "submitter":
        client.force_login(submitter)
    elif actor == "partner":
        contact = PartnerContactFactory(partner=PartnerFactory(hubs=[hub]), email="priya@wessex.example.org")
        sign_in_partner(client, contact.email)
    audit = HubAuditEntry.objects.count()

    response = client.post(reverse("intake:settings_criterion_new", args=[H, checklist.slug]),
                           _criterion_post(question="Sneaky?"))

    if actor in ("other_hub_lead", "hub_member"):
        assert response.status_code == 404
    else:
        assert response.status_code == 302 and reverse("hubportal:staff_sign_in") in response["Location"]
    assert not Criterion.objects.filter(question="Sneaky?").exists()
    assert HubAuditEntry.objects.count() == audit


def test_admin_shows_checklists_but_cannot_change_a_used_version_behind_the_settings_pages(client, hub, hub_lead,
                                                                                           checklist):
    from tests.factories import UserFactory

    admin = UserFactory(email="admin@example.nhs.uk", is_staff=True, is_superuser=True)
    sign_in_staff(client, admin)
    url = reverse("admin:intake_checklist_change", args=[checklist.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Changed in admin", "hub": hub.pk, "kind": "triage", "slug": "x"})
    assert response.status_code == 403
    checklist.refresh_from_db()
    assert checklist.name == "Dorset triage"
    assert client.get(reverse("admin:intake_checklist_add")).status_code == 403
