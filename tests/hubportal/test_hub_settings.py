"""Issue 10: a hub's leads set its service levels and run its team; every change is in the audit log."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from hubportal import hub_settings
from hubportal.audit import hub_audit_record
from hubportal.models import EmailLink, Hub, HubAuditEntry, HubMembership, OutboundEmail, User
from hubportal.testing import sign_in_staff
from intake.models import Inquiry, InquiryEvent
from tests.factories import SubmittedFactory, UserFactory
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory, PartnerFactory

H = "dorset"
LEVELS = {"triage_target_working_days": "3", "info_reminder_working_days": "8",
          "info_close_suggestion_working_days": "4", "partner_target_working_days": "6",
          "partner_reminder_working_days": "2", "partner_escalation_working_days": "9"}


def _levels(hub):
    hub.refresh_from_db()
    return {name: getattr(hub, name) for name in LEVELS}


# --- Service levels ---------------------------------------------------------------------------------


def test_a_lead_sets_the_service_levels_and_the_audit_log_keeps_before_and_after(lead_client, hub, hub_lead):
    response = lead_client.post(reverse("hubportal:settings_service_levels", args=[H]), LEVELS)

    assert response.status_code == 302
    assert _levels(hub) == {name: int(value) for name, value in LEVELS.items()}
    entry = HubAuditEntry.objects.get(hub=hub)
    assert (entry.what, entry.by, entry.by_name) == ("Service levels changed", hub_lead,
                                                     "Sarah Whitfield (lead.dorset@example.nhs.uk)")
    assert entry.before["Triage target"] == 5 and entry.after["Triage target"] == 3
    audit = lead_client.get(reverse("hubportal:settings_audit", args=[H])).content.decode()
    assert "Service levels changed" in audit and "Triage target: 5" in audit and "Triage target: 3" in audit


def test_new_inquiries_get_their_deadline_from_the_hubs_triage_target(lead_client, hub, submitter):
    lead_client.post(reverse("hubportal:settings_service_levels", args=[H]), LEVELS)
    from intake.services import inquiry_record_on_behalf

    hub.refresh_from_db()
    inquiry = inquiry_record_on_behalf(hub=hub, by=User.objects.get(email="lead.dorset@example.nhs.uk"),
                                       email="alex@nhs.net", answers={"title": "Frailty app"})
    from hubportal.workdays import add_working_days

    assert inquiry.triage_due_on == add_working_days(inquiry.submitted_at, 3)


@pytest.mark.parametrize("field, value, message", [
    ("triage_target_working_days", "0", "Enter a whole number of working days from 1 to 60"),
    ("triage_target_working_days", "-1", "Enter a whole number of working days from 1 to 60"),
    ("partner_target_working_days", "lots", "Enter a whole number of working days from 1 to 60"),
    ("partner_escalation_working_days", "2",
     "Escalate later than the reminder: enter more working days than for the reminder"),
])
def test_it_refuses_bad_service_levels_with_a_specific_error_and_changes_nothing(lead_client, hub, field, value,
                                                                                 message):
    before = _levels(hub)
    response = lead_client.post(reverse("hubportal:settings_service_levels", args=[H]), {**LEVELS, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert _levels(hub) == before
    assert not HubAuditEntry.objects.exists()


def test_a_member_sees_the_service_levels_and_cannot_change_them(client, hub, hub_member):
    sign_in_staff(client, hub_member)
    page = client.get(reverse("hubportal:settings_service_levels", args=[H])).content.decode()
    assert "Triage target" in page and "5 working days" in page and "Save service levels" not in page
    before = _levels(hub)
    assert client.post(reverse("hubportal:settings_service_levels", args=[H]), LEVELS).status_code == 404
    assert _levels(hub) == before


def test_the_pages_with_deadlines_show_the_current_service_levels(lead_client, hub):
    Hub.objects.filter(pk=hub.pk).update(triage_target_working_days=7, partner_target_working_days=4,
                                         partner_escalation_working_days=8)
    page = lead_client.get(reverse("intake:staff_dashboard", args=[H])).content.decode()
    assert "Triage target: 7 working days" in page
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00050")
    page = lead_client.get(reverse("intake:staff_inquiry", args=[H, inquiry.reference])).content.decode()
    assert "Target 7 working days" in page
    page = lead_client.get(reverse("signposting:hub_referrals", args=[H])).content.decode()
    assert "Partners should accept or decline within 4 working days" in page and "escalated after 8" in page


# --- Team ---------------------------------------------------------------------------------------------


def test_a_lead_invites_a_person_who_gets_the_staff_invitation(lead_client, hub, hub_lead):
    response = lead_client.post(reverse("hubportal:settings_team", args=[H]),
                                {"full_name": "Lee Chen", "email": " Lee.Chen@NHS.net ", "role": "member"})

    assert response.status_code == 302
    user = User.objects.get(email="lee.chen@nhs.net")
    assert (user.full_name, user.is_active, user.has_usable_password()) == ("Lee Chen", True, False)
    assert HubMembership.objects.get(hub=hub, user=user).role == "member"
    link = EmailLink.objects.get(purpose=EmailLink.Purpose.STAFF_INVITATION, subject_ref=str(user.pk))
    assert link.email == "lee.chen@nhs.net"
    email = OutboundEmail.objects.get(template="staff_invitation", to="lee.chen@nhs.net")
    assert email.key == f"email-link:{link.pk}:staff-invitation"
    entry = HubAuditEntry.objects.get(what="Person invited to the team")
    assert entry.after == {"email": "lee.chen@nhs.net", "name": "Lee Chen", "role": "Hub team member"}


def test_inviting_someone_already_in_the_team_is_refused_and_sends_nothing(lead_client, hub, hub_member):
    response = lead_client.post(reverse("hubportal:settings_team", args=[H]),
                                {"full_name": "Priya", "email": hub_member.email, "role": "lead"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [f"{hub_member.email} is already in this hub's team"]
    assert HubMembership.objects.get(hub=hub, user=hub_member).role == "member"
    assert not OutboundEmail.objects.filter(template="staff_invitation").exists()


def test_inviting_an_address_that_is_not_one_is_refused(lead_client, hub):
    response = lead_client.post(reverse("hubportal:settings_team", args=[H]),
                                {"full_name": "Lee", "email": "lee@", "role": "member"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "Enter an email address in the correct format, like name@nhs.net"]
    assert HubMembership.objects.filter(hub=hub).count() == 1  # the lead alone


def test_a_lead_makes_a_member_a_lead_and_back(lead_client, hub, hub_member):
    url = reverse("hubportal:settings_team_member", args=[H, hub_member.pk])
    assert lead_client.post(url, {"action": "role", "role": "lead"}).status_code == 302
    assert HubMembership.objects.get(hub=hub, user=hub_member).role == "lead"
    assert lead_client.post(url, {"action": "role", "role": "member"}).status_code == 302
    assert HubMembership.objects.get(hub=hub, user=hub_member).role == "member"
    assert [(e.before, e.after) for e in HubAuditEntry.objects.order_by("pk")] == [
        ({"role": "Hub team member"}, {"role": "Hub lead"}), ({"role": "Hub lead"}, {"role": "Hub team member"})]


def test_the_last_lead_cannot_make_themselves_a_member(lead_client, hub, hub_lead):
    response = lead_client.post(reverse("hubportal:settings_team_member", args=[H, hub_lead.pk]),
                                {"action": "role", "role": "member"})
    assert response.status_code == 400
    assert response.context["role_form"].errors["role"] == [
        "lead.dorset@example.nhs.uk is the hub's only lead. Make someone else a lead before you make them a "
        "team member"]
    assert HubMembership.objects.get(hub=hub, user=hub_lead).role == "lead"
    assert not HubAuditEntry.objects.exists()


def test_the_last_lead_cannot_take_themselves_off_the_team(lead_client, hub, hub_lead, hub_member):
    response = lead_client.post(reverse("hubportal:settings_team_member", args=[H, hub_lead.pk]),
                                {"action": "remove", "hand_to": str(hub_member.pk)})
    assert response.status_code == 400
    assert response.context["remove_form"].non_field_errors() == [
        "lead.dorset@example.nhs.uk is the hub's only lead. Make someone else a lead before you remove them"]
    assert HubMembership.objects.filter(hub=hub, user=hub_lead, role="lead").exists()
    assert User.objects.get(pk=hub_lead.pk).is_active


def test_taking_someone_off_the_team_hands_their_open_inquiries_to_a_colleague(lead_client, hub, hub_lead,
                                                                                hub_member):
    open_one = SubmittedFactory(hub=hub, reference="DOR-2026-00020", assignee=hub_member, status="in_review")
    routed = SubmittedFactory(hub=hub, reference="DOR-2026-00021", assignee=hub_member, status="routed")
    closed = SubmittedFactory(hub=hub, reference="DOR-2026-00022", assignee=hub_member, status="closed")
    url = reverse("hubportal:settings_team_member", args=[H, hub_member.pk])
    page = lead_client.get(url).content.decode()
    assert "2 open inquiries assigned to them" in page

    response = lead_client.post(url, {"action": "remove", "hand_to": str(hub_lead.pk)})

    assert response.status_code == 302
    assert not HubMembership.objects.filter(hub=hub, user=hub_member).exists()
    assert User.objects.get(pk=hub_member.pk).is_active is False
    assert set(Inquiry.objects.filter(assignee=hub_lead).values_list("reference", flat=True)) == {
        "DOR-2026-00020", "DOR-2026-00021"}
    assert not Inquiry.objects.filter(assignee=hub_member).exclude(pk=closed.pk).exists()
    for inquiry in (open_one, routed):
        event = InquiryEvent.objects.get(inquiry=inquiry, kind="assigned")
        assert event.description == "Assigned to Sarah Whitfield: Priya Patel left the hub's team"
        assert (event.actor, event.is_visible_to_submitter) == (hub_lead, False)
    assert Inquiry.objects.get(pk=open_one.pk).version == open_one.version + 1
    entry = HubAuditEntry.objects.get(what="Person removed from the team")
    assert entry.before["held"] == ["2 open inquiries assigned to them (and their referrals' follow-up)"]
    assert entry.after["work handed to"] == hub_lead.email


def test_taking_someone_off_without_a_colleague_leaves_their_inquiries_unassigned(lead_client, hub, hub_member):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00023", assignee=hub_member, status="in_review")
    lead_client.post(reverse("hubportal:settings_team_member", args=[H, hub_member.pk]),
                     {"action": "remove", "hand_to": "nobody"})
    inquiry.refresh_from_db()
    assert inquiry.assignee is None


def test_the_work_cannot_go_to_someone_outside_the_hub(hub, hub_lead, hub_member, other_hub_lead):
    inquiry = SubmittedFactory(hub=hub, reference="DOR-2026-00024", assignee=hub_member, status="in_review")
    membership = HubMembership.objects.get(hub=hub, user=hub_member)
    with pytest.raises(hub_settings.SettingsRefused, match="Choose someone who stays"):
        hub_settings.team_remove(membership=membership, by=hub_lead, hand_to=other_hub_lead)
    inquiry.refresh_from_db()
    assert inquiry.assignee == hub_member
    assert HubMembership.objects.filter(pk=membership.pk).exists()


def test_someone_in_another_hub_stays_active_when_taken_off_one_team(lead_client, hub, other_hub, hub_member):
    HubMembership.objects.create(hub=other_hub, user=hub_member, role="member")
    lead_client.post(reverse("hubportal:settings_team_member", args=[H, hub_member.pk]),
                     {"action": "remove", "hand_to": "nobody"})
    assert User.objects.get(pk=hub_member.pk).is_active is True
    assert list(HubMembership.objects.filter(user=hub_member).values_list("hub__slug", flat=True)) == ["manchester"]


def test_a_person_who_left_can_be_invited_back(lead_client, hub, hub_member):
    lead_client.post(reverse("hubportal:settings_team_member", args=[H, hub_member.pk]),
                     {"action": "remove", "hand_to": "nobody"})
    lead_client.post(reverse("hubportal:settings_team", args=[H]),
                     {"full_name": "Priya Patel", "email": hub_member.email, "role": "member"})
    assert User.objects.get(pk=hub_member.pk).is_active is True
    assert HubMembership.objects.filter(hub=hub, user=hub_member).exists()


# --- The audit log --------------------------------------------------------------------------------------


def test_the_audit_record_keeps_only_what_changed(hub, hub_lead):
    entry = hub_audit_record(hub, hub_lead, "Something changed", {"a": 1, "b": 2}, {"a": 1, "b": 3})
    assert (entry.before, entry.after) == ({"b": 2}, {"b": 3})


def test_the_audit_log_is_for_leads_only(client, hub, hub_lead, hub_member):
    hub_audit_record(hub, hub_lead, "Service levels changed", {"x": 1}, {"x": 2})
    sign_in_staff(client, hub_member)
    assert client.get(reverse("hubportal:settings_audit", args=[H])).status_code == 404


# --- Refusals: another hub's lead, a member, a submitter, a partner, anonymous ---------------------------


@pytest.mark.parametrize("actor", ["other_hub_lead", "hub_member", "submitter", "partner", "anonymous"])
@pytest.mark.parametrize("what", ["invite", "levels", "role", "remove"])
def test_only_the_hubs_leads_change_its_settings(actor, what, hub, hub_lead, hub_member, other_hub_lead, submitter):
    client = Client()
    if actor in ("other_hub_lead", "hub_member"):
        sign_in_staff(client, other_hub_lead if actor == "other_hub_lead" else hub_member)
    elif actor == "submitter":
        client.force_login(submitter)
    elif actor == "partner":
        contact = PartnerContactFactory(partner=PartnerFactory(hubs=[hub]), email="priya@wessex.example.org")
        sign_in_partner(client, contact.email)
    target = UserFactory(email="target@nhs.net")
    HubMembership.objects.create(hub=hub, user=target, role="member")
    url, data = {
        "invite": (reverse("hubportal:settings_team", args=[H]),
                   {"full_name": "X", "email": "x@nhs.net", "role": "lead"}),
        "levels": (reverse("hubportal:settings_service_levels", args=[H]), LEVELS),
        "role": (reverse("hubportal:settings_team_member", args=[H, target.pk]), {"action": "role", "role": "lead"}),
        "remove": (reverse("hubportal:settings_team_member", args=[H, target.pk]),
                   {"action": "remove", "hand_to": "nobody"}),
    }[what]
    levels = _levels(hub)

    response = client.post(url, data)

    if actor in ("other_hub_lead", "hub_member"):
        assert response.status_code == 404
    else:
        assert response.status_code == 302 and reverse("hubportal:staff_sign_in") in response["Location"]
    assert _levels(hub) == levels
    assert HubMembership.objects.get(hub=hub, user=target).role == "member"
    assert not User.objects.filter(email="x@nhs.net").exists()
    assert not HubAuditEntry.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)")
@pytest.mark.django_db(transaction=True)
def test_two_leads_demoting_each_other_at_once_leave_one_lead_and_the_second_is_refused_as_no_longer_a_lead(hub, hub_lead, hub_member):
    HubMembership.objects.filter(hub=hub, user=hub_member).update(role="lead")
    barrier = threading.Barrier(2, timeout=10)
    results = {}

    def demote(by, whom):
        try:
            membership = HubMembership.objects.select_related("hub", "user").get(hub=hub, user=whom)
            barrier.wait()  # both have read the other as a lead
            hub_settings.team_set_role(membership=membership, by=by, role="member")
            results[by.email] = "done"
        except hub_settings.SettingsRefused as error:
            results[by.email] = str(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(hub_lead, hub_member)),
               threading.Thread(target=demote, args=(hub_member, hub_lead))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The second waits for the first's lock, then finds it is no longer a lead.
    assert sorted(results.values()) == ["Only the hub's leads can change its settings", "done"]
    assert HubMembership.objects.filter(hub=hub, role="lead").count() == 1
    assert HubAuditEntry.objects.filter(what="Role changed").count() == 1
