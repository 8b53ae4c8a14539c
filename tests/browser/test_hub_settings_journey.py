"""Issue 10, done when: a new hub lead runs their hub from the settings pages in a real browser. They
invite a member, create a checklist from nothing, use it on an inquiry, edit it (the old assessment still
shows version 1), add a local priority that a submitter then chooses, and take the member off the team,
handing over their inquiry. axe-core and 320 px reflow on every page state."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hubportal.models import EmailLink, HubAuditEntry, HubMembership, User
from intake import services
from intake.models import Assessment, Checklist, Inquiry
from tests.factories import DraftFactory, UserFactory

from .conftest import assert_accessible, assert_no_csp_refusals, new_page
from .test_submission_journey import sign_in_from_sign_in_page
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser


def _h1(page, name):
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    assert_accessible(page)


@pytest.fixture
def new_hub(demo_hubs):
    hub = demo_hubs["DOR"]
    lead = UserFactory(email="new.lead@dorset.nhs.uk", full_name="Nia Evans")
    lead.set_password(PASSWORD)
    lead.save()
    HubMembership.objects.create(hub=hub, user=lead, role=HubMembership.Role.LEAD)
    device = TOTPDevice.objects.create(user=lead, name="Phone", confirmed=True)
    submitter = UserFactory(email="jo.bloggs@nhs.net", full_name="Jo Bloggs")
    inquiry = services.inquiry_submit(
        inquiry=DraftFactory(submitter=submitter, hub=hub, title="Falls sensors in care homes"), by=submitter)
    return {"hub": hub, "lead": lead, "device": device, "inquiry": inquiry}


def test_a_new_hub_lead_runs_their_hub_from_the_settings_pages(page, browser, live_server, new_hub):
    hub, inquiry = new_hub["hub"], new_hub["inquiry"]
    staff_sign_in(page, new_hub["lead"].email, new_hub["device"])
    _h1(page, "Dashboard")
    expect(page.get_by_text(f"Triage target: {hub.triage_target_working_days} working days")).to_be_visible()
    page.get_by_role("link", name="Settings", exact=True).first.click()
    _h1(page, "Hub settings")

    # Invite a member.
    page.get_by_role("navigation", name="Hub settings").get_by_role("link", name="Team").click()
    _h1(page, "Team")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert").get_by_text("Enter the person's full name")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Lee Chen")
    page.get_by_label("Work email address").fill("lee.chen@dorset.nhs.uk")
    page.get_by_label("Hub team member").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to lee.chen@dorset.nhs.uk")).to_be_visible()
    assert_accessible(page)
    member = User.objects.get(email="lee.chen@dorset.nhs.uk")
    assert EmailLink.objects.filter(purpose="staff_invitation", subject_ref=str(member.pk)).exists()

    # Create a checklist from nothing, with a mistake on the way.
    page.get_by_role("navigation", name="Hub settings").get_by_role("link", name="Checklists").click()
    _h1(page, "Checklists")
    page.get_by_label("Name", exact=True).fill("Dorset triage")
    page.get_by_role("button", name="Create checklist").click()
    _h1(page, "Dorset triage")
    page.get_by_role("link", name="Add a question").click()
    _h1(page, "Add a question")
    page.get_by_label("Question").fill("Is it proven?")
    page.get_by_label("Weight").fill("-1")
    page.get_by_label("Yes / Partly / No").check()
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_role("alert").get_by_text("Weight must be a whole number from 1 to 100")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Weight").fill("2")
    page.get_by_role("button", name="Add question").click()
    _h1(page, "Dorset triage")
    page.get_by_role("link", name="Add a question").click()
    page.get_by_label("Question").fill("Does it process patient data?")
    page.get_by_label("Yes / No", exact=True).check()
    page.get_by_label("Answer that raises a follow-up (optional)").select_option("yes")
    page.get_by_label("What must follow (optional)").fill("A DPIA is needed")
    page.get_by_role("button", name="Add question").click()
    _h1(page, "Dorset triage")
    page.get_by_role("button", name="Move up “Does it process patient data?”").click()
    _h1(page, "Dorset triage")
    page.get_by_role("button", name="Move down “Does it process patient data?”").click()
    page.get_by_role("link", name="Preview it as an assessor sees it").click()
    _h1(page, "Preview: Dorset triage")

    # Use it on an inquiry.
    page.goto(f"/staff/{hub.slug}/inquiries/{inquiry.reference}/")
    _h1(page, "Falls sensors in care homes")
    page.get_by_role("link", name="Assess against Dorset triage").click()
    _h1(page, "Dorset triage")
    page.get_by_role("group", name="Is it proven?").get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name="Does it process patient data?").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Assessment saved: 66.7%")).to_be_visible()
    assert_accessible(page)

    # Edit it: version 2, and the assessment still shows version 1.
    page.goto(f"/staff/{hub.slug}/settings/checklists/dorset-triage/")
    _h1(page, "Dorset triage")
    page.get_by_role("link", name="Change “Does it process patient data?”").click()
    _h1(page, "Change a question")
    expect(page.get_by_text("It has been used, so saving makes version 2")).to_be_visible()
    page.get_by_label("Weight").fill("5")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("This made version 2 of the checklist")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/staff/{hub.slug}/inquiries/{inquiry.reference}/")
    expect(page.get_by_text("against version 1 of the checklist; the checklist is now at version 2")).to_be_visible()
    expect(page.get_by_text("66.7%").first).to_be_visible()
    assert_accessible(page)
    assert Assessment.objects.get().checklist.version == 1
    assert Checklist.objects.filter(hub=hub, slug="dorset-triage").count() == 2

    # A local priority.
    page.goto(f"/staff/{hub.slug}/settings/priorities/")
    _h1(page, "Local priorities")
    page.get_by_label("Name of the priority").fill("Dorset frailty programme")
    page.get_by_role("button", name="Add priority").click()
    expect(page.get_by_text("Priority added: Dorset frailty programme")).to_be_visible()
    assert_accessible(page)

    # A submitter chooses it, in their own browser.
    submitter_page, refusals = new_page(browser, base_url=live_server.url)
    person = UserFactory(email="amy.patel@nhs.net", full_name="Amy Patel")
    draft = DraftFactory(submitter=person, hub=hub, title="Frailty at home", themes=[])
    submitter_page.goto("/sign-in/")
    sign_in_from_sign_in_page(submitter_page, person.email)
    submitter_page.goto(f"/inquiries/{draft.public_id}/questions/themes/")
    expect(submitter_page.get_by_role("heading", level=1, name="Which priority themes does it address? (optional)")
           ).to_be_visible()
    assert_accessible(submitter_page)
    submitter_page.get_by_label("Dorset frailty programme").check()
    submitter_page.get_by_role("button", name="Save and continue").click()
    expect(submitter_page.get_by_role("heading", level=1)).not_to_have_text(re.compile("priority themes"))
    assert_accessible(submitter_page)
    assert_no_csp_refusals(refusals)
    draft.refresh_from_db()
    assert draft.themes == ["local-dor-dorset-frailty-programme"]

    # Take the member off the team, handing their inquiry to the lead.
    services.inquiry_assign(inquiry=Inquiry.objects.get(pk=inquiry.pk), by=new_hub["lead"], assignee=member,
                            version=Inquiry.objects.get(pk=inquiry.pk).version)
    page.goto(f"/staff/{hub.slug}/settings/team/")
    _h1(page, "Team")
    page.get_by_role("link", name="Change Lee Chen").click()
    _h1(page, "Lee Chen")
    expect(page.get_by_text("1 open inquiries assigned to them")).to_be_visible()
    page.get_by_role("button", name="Take them off the team").click()
    expect(page.get_by_role("alert").get_by_text("Choose who takes over their open inquiries")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Nia Evans (Hub lead)").check()
    page.get_by_role("button", name="Take them off the team").click()
    expect(page.get_by_text("lee.chen@dorset.nhs.uk is no longer in the team")).to_be_visible()
    assert_accessible(page)
    assert Inquiry.objects.get(pk=inquiry.pk).assignee == new_hub["lead"]
    assert not User.objects.get(pk=member.pk).is_active

    # Everything is in the audit log.
    page.get_by_role("navigation", name="Hub settings").get_by_role("link", name="Audit log").click()
    _h1(page, "Audit log")
    expect(page.get_by_text("Person removed from the team: lee.chen@dorset.nhs.uk")).to_be_visible()
    assert HubAuditEntry.objects.filter(hub=hub).count() >= 8
