"""Every URL, requested as every kind of actor, answers as the access table (hubportal/access.py) says.

One world: Dorset's hub with a lead and a member, Jo Bloggs's inquiry to Dorset (with an attachment)
referred to Health Innovation Wessex, another submitter, another hub's lead, another partner's contact
and an administrator. Each URL is requested with the method its real use needs, once per actor,
inside a transaction that is rolled back, so one actor's action never changes what the next one sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from adoption import services as adoption_services
from adoption.models import BenefitFollowUp, Case, Survey
from hubportal import access
from hubportal.api_tokens import api_token_create
from hubportal.digests import unsubscribe_url
from hubportal.models import (
    DataExport,
    EmailLink,
    ErasureRequest,
    HubAcceptedAddress,
    HubMembership,
    HubTheme,
    NetworkLead,
    OutboundEmail,
    WebhookDelivery,
    WebhookEndpoint,
)
from hubportal.services import email_link_create
from hubportal.testing import sign_in_staff
from intake.models import Attachment, Checklist, Criterion, HubMailbox, MailboxMessage, SavedSearch
from intake.services import inquiry_start_review, inquiry_start_support
from signposting import services as signposting_services
from tests.factories import DraftFactory, SubmittedFactory, UserFactory
from tests.partners.conftest import sign_in_partner
from tests.partners.factories import PartnerContactFactory, PartnerFactory, PartnerServiceFactory
from tests.review.conftest import grant_lay_review, lay_world


def _names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                pattern.namespace or namespace)
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or pattern.lookup_str
            yield f"{namespace}:{name}" if namespace else name


URL_NAMES = sorted({name for name in _names(get_resolver().url_patterns) if not name.startswith("admin:")})


def test_every_url_is_in_the_access_table_and_the_table_has_no_stale_rows():
    assert sorted(set(URL_NAMES) - set(access.ACCESS)) == [], "add these URL names to hubportal/access.py"
    assert sorted(set(access.ACCESS) - set(URL_NAMES)) == [], "these rows name no URL any more"


@dataclass
class World:
    hub: object
    inquiry: object
    draft: object
    attachment: object
    evidence: object
    referral: object
    partner: object
    checklist: object
    failed_email: object
    api_token: object
    webhook_delivery: object
    people: dict
    email: object = None
    erasure: object = None
    export: object = None
    lay: object = None  # tests/review/conftest.py's LayWorld
    saved_search: object = None
    case: object = None
    milestone: object = None
    follow_up: object = None
    local_theme: object = None
    accepted_address: object = None


@pytest.fixture
def world(db, hub, other_hub, submitter, other_submitter, hub_lead, hub_member, other_hub_lead):
    wessex = PartnerFactory(name="Health Innovation Wessex", kind="hin", hubs=[hub])
    PartnerServiceFactory(partner=wessex, name="Real-world evaluation", support_needs=["evaluation"])
    contact = PartnerContactFactory(partner=wessex, name="Priya Natarajan", email="priya@wessex.example.org",
                                    is_lead=True)
    other = PartnerFactory(name="Bournemouth University", kind="university", hubs=[hub])
    other_contact = PartnerContactFactory(partner=other, name="Emma Clarke", email="emma@bournemouth.example.ac.uk")
    administrator = UserFactory(email="admin@example.nhs.uk", full_name="Ada Admin", is_staff=True,
                                is_superuser=True)
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00001", title="Virtual ward pilot")
    draft = DraftFactory(submitter=submitter, hub=hub, title="Unsent idea")
    attachment = Attachment(inquiry=draft, uploaded_by=submitter, original_name="plan.pdf",
                            stored_name="plan.pdf", content_type="application/pdf", size=8)
    attachment.file.save("plan.pdf", ContentFile(b"%PDF-1.4"), save=True)
    evidence = Attachment(inquiry=inquiry, uploaded_by=submitter, original_name="evidence.pdf",
                          stored_name="evidence.pdf", content_type="application/pdf", size=8)
    evidence.file.save("evidence.pdf", ContentFile(b"%PDF-1.4"), save=True)
    referral = signposting_services.referral_send(inquiry=inquiry, partner=wessex, by=hub_lead)
    checklist = Checklist.objects.create(hub=hub, name="Triage", slug="triage")
    Criterion.objects.create(checklist=checklist, question="Is it proven?", weight=1, position=1)
    failed = OutboundEmail.objects.create(key="access:1", to="someone@nhs.net", template="sign_in_link", hub=hub,
                                          status=OutboundEmail.Status.FAILED)
    api_token = api_token_create(hub=hub, name="ICS Power BI", days=90, by=hub_lead).token
    endpoint = WebhookEndpoint.objects.create(hub=hub, name="Triage channel", kind="json", secret="s" * 64,
                                              url="https://hooks.example.org/in", events=["inquiry.submitted"])
    failed_delivery = WebhookDelivery.objects.create(
        key="access:1", endpoint=endpoint, hub=hub, event="inquiry.submitted", status="failed",
        payload={"event": "inquiry.submitted", "hub": hub.name, "reference": "DOR-2026-00001",
                 "kind_of_help": "", "link": ""}, retry_until=timezone.now())
    # An email in Dorset's mailbox queue; its subject is the inquiry's title, so a leak would show.
    mailbox = HubMailbox.objects.create(hub=hub, host="imap.example.nhs.uk", username="dorset",
                                        password_encrypted="x")
    email = MailboxMessage.objects.create(mailbox=mailbox, hub=hub, uid_validity=1, uid=1,
                                          subject="Virtual ward pilot", sender_email="alex@nhs.net")
    # An inquiry in support: its case (adoption), with a milestone, a follow-up and a survey.
    supported = SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00002", title="Falls sensors")
    inquiry_start_review(inquiry=supported, by=hub_lead, version=supported.version)
    inquiry_start_support(inquiry=supported, by=hub_lead, version=None)
    case = Case.objects.get(inquiry=supported)
    milestone = adoption_services.milestone_add(case=case, by=hub_lead, title="Pilot ward chosen",
                                                owner_name="Ward manager", due_on=dt.date(2099, 1, 1))
    follow_up = BenefitFollowUp.objects.create(case=case, months=3, due_on=dt.date(2099, 1, 1))
    Survey.objects.create(case=case, hub=hub)
    people = {
        access.SUBMITTER: submitter, access.OTHER_SUBMITTER: other_submitter, access.HUB_MEMBER: hub_member,
        access.HUB_LEAD: hub_lead, access.OTHER_HUB_LEAD: other_hub_lead, access.ADMINISTRATOR: administrator,
        access.PARTNER: contact, access.OTHER_PARTNER: other_contact,
    }
    assert HubMembership.objects.filter(user=administrator).count() == 0
    # An ICS lead over Dorset and the other hub: a staff account that belongs to no hub.
    network_user = UserFactory(email="ics.lead@nhs.net", full_name="Nia Network")
    NetworkLead.objects.create(user=network_user, network_name="Dorset ICS").hubs.set([hub, other_hub])
    people[access.NETWORK_LEAD] = network_user
    erasure = ErasureRequest.objects.create(user=submitter, email=submitter.email, hub=hub)
    export = DataExport.objects.create(user=submitter, email=submitter.email, status=DataExport.Status.READY,
                                       expires_at=timezone.now() + timedelta(hours=1))
    export.file.save("export.zip", ContentFile(b"PK"), save=True)
    saved_search = SavedSearch.objects.create(hub=hub, owner=hub_lead, name="Overdue IG questions",
                                              query="overdue=on&support=ig", is_shared=True)
    return World(hub=hub, inquiry=inquiry, draft=draft, attachment=attachment, evidence=evidence, referral=referral, partner=wessex,
                 checklist=checklist, failed_email=failed, api_token=api_token, webhook_delivery=failed_delivery,
                 people=people, email=email, erasure=erasure, export=export,
                 lay=lay_world(hub, inquiry, hub_lead), saved_search=saved_search, case=case,
                 milestone=milestone, follow_up=follow_up,
                 local_theme=HubTheme.objects.create(hub=hub, code="local-dor-frailty", label="Dorset frailty"),
                 accepted_address=HubAcceptedAddress.objects.create(hub=hub, email="gp@practice.example.org",
                                                                    how_checked="Phoned the practice"))


def client_as(actor, world):
    client = Client()
    person = world.people.get(actor)
    if actor in (access.SUBMITTER, access.OTHER_SUBMITTER):
        client.force_login(person)
    elif actor in (access.HUB_MEMBER, access.HUB_LEAD, access.OTHER_HUB_LEAD, access.ADMINISTRATOR,
                   access.NETWORK_LEAD):
        sign_in_staff(client, person)
    elif actor in (access.PARTNER, access.OTHER_PARTNER):
        sign_in_partner(client, person.email)
    elif actor in (access.LAY_REVIEWER, access.OTHER_LAY_REVIEWER):
        grant_lay_review(client, world.lay.review if actor == access.LAY_REVIEWER else world.lay.other_review)
    return client


def _token(purpose, email, subject_ref=""):
    return email_link_create(purpose=purpose, email=email, subject_ref=subject_ref).raw_token


def _referral_ref(world):
    return f"{world.referral.public_id}:{world.people[access.PARTNER].public_id}"


# How to request each URL: (method, path) built from the world. POST where the real use posts.
Request = Callable[[World], tuple[str, str]]
H = "dorset"


REQUESTS: dict[str, Request] = {
    "healthz": lambda w: ("get", reverse("healthz")),
    "hubportal:sign_in": lambda w: ("get", reverse("hubportal:sign_in")),
    "hubportal:sign_in_sent": lambda w: ("get", reverse("hubportal:sign_in_sent")),
    "hubportal:sign_in_confirm": lambda w: ("get", reverse(
        "hubportal:sign_in_confirm", args=[_token(EmailLink.Purpose.SIGN_IN, "new.person@nhs.net")])),
    "hubportal:sign_out": lambda w: ("post", reverse("hubportal:sign_out")),
    "hubportal:accessibility": lambda w: ("get", reverse("hubportal:accessibility")),
    "hubportal:privacy": lambda w: ("get", reverse("hubportal:privacy")),
    "hubportal:account": lambda w: ("get", reverse("hubportal:account")),
    "hubportal:digest_unsubscribe": lambda w: ("get", urlparse(unsubscribe_url(w.people[access.HUB_LEAD])).path),
    "hubportal:data_export": lambda w: ("post", reverse("hubportal:data_export")),
    "hubportal:data_export_link": lambda w: ("get", reverse("hubportal:data_export_link", args=[
        _token(EmailLink.Purpose.DATA_EXPORT, w.export.email, subject_ref=str(w.export.public_id))])),
    "hubportal:erasure_request": lambda w: ("get", reverse("hubportal:erasure_request")),
    "hubportal:staff_retention": lambda w: ("get", reverse("hubportal:staff_retention", args=[H])),
    "hubportal:staff_erasure_requests": lambda w: ("get", reverse("hubportal:staff_erasure_requests", args=[H])),
    "hubportal:staff_erasure_request": lambda w: ("get", reverse("hubportal:staff_erasure_request",
                                                                args=[H, w.erasure.public_id])),
    "hubportal:settings": lambda w: ("get", reverse("hubportal:settings", args=[H])),
    "hubportal:settings_service_levels": lambda w: ("get", reverse("hubportal:settings_service_levels", args=[H])),
    "hubportal:settings_team": lambda w: ("get", reverse("hubportal:settings_team", args=[H])),
    "hubportal:settings_team_member": lambda w: ("get", reverse(
        "hubportal:settings_team_member", args=[H, w.people[access.HUB_MEMBER].pk])),
    "hubportal:settings_audit": lambda w: ("get", reverse("hubportal:settings_audit", args=[H])),
    "hubportal:settings_who_may_submit": lambda w: ("get", reverse("hubportal:settings_who_may_submit", args=[H])),
    "hubportal:settings_accepted_address_remove": lambda w: ("post", reverse(
        "hubportal:settings_accepted_address_remove", args=[H, w.accepted_address.pk])),
    "hubportal:settings_priorities": lambda w: ("get", reverse("hubportal:settings_priorities", args=[H])),
    "hubportal:settings_priority_active": lambda w: ("post", reverse(
        "hubportal:settings_priority_active", args=[H, w.local_theme.code])),
    "intake:settings_checklists": lambda w: ("get", reverse("intake:settings_checklists", args=[H])),
    "intake:settings_checklist": lambda w: ("get", reverse("intake:settings_checklist", args=[H, w.checklist.slug])),
    "intake:settings_checklist_preview": lambda w: ("get", reverse("intake:settings_checklist_preview",
                                                                   args=[H, w.checklist.slug])),
    "intake:settings_checklist_active": lambda w: ("post", reverse("intake:settings_checklist_active",
                                                                   args=[H, w.checklist.slug])),
    "intake:settings_criterion_new": lambda w: ("get", reverse("intake:settings_criterion_new",
                                                               args=[H, w.checklist.slug])),
    "intake:settings_criterion": lambda w: ("get", reverse("intake:settings_criterion", args=[
        H, w.checklist.slug, w.checklist.criteria.first().key])),
    "intake:settings_criterion_retire": lambda w: ("post", reverse("intake:settings_criterion_retire", args=[
        H, w.checklist.slug, w.checklist.criteria.first().key])),
    "intake:settings_criterion_move": lambda w: ("post", reverse("intake:settings_criterion_move", args=[
        H, w.checklist.slug, w.checklist.criteria.first().key])),
    "hubportal:staff_sign_in": lambda w: ("get", reverse("hubportal:staff_sign_in")),
    "hubportal:staff_code": lambda w: ("get", reverse("hubportal:staff_code")),
    "hubportal:staff_set_up": lambda w: ("get", reverse("hubportal:staff_set_up")),
    "hubportal:staff_set_password": lambda w: ("get", reverse("hubportal:staff_set_password")),
    "hubportal:staff_invitation": lambda w: ("get", reverse("hubportal:staff_invitation", args=[
        _token(EmailLink.Purpose.STAFF_INVITATION, w.people[access.HUB_MEMBER].email)])),
    "hubportal:staff_failed_emails": lambda w: ("get", reverse("hubportal:staff_failed_emails", args=[H])),
    "hubportal:staff_email_resend": lambda w: ("post", reverse("hubportal:staff_email_resend",
                                                               args=[H, w.failed_email.pk])),
    "hubportal:staff_email_mark_not_delivered": lambda w: ("post", reverse(
        "hubportal:staff_email_mark_not_delivered", args=[H, w.failed_email.pk])),
    "hubportal:staff_email_mark_delivered": lambda w: ("post", reverse(
        "hubportal:staff_email_mark_delivered", args=[H, w.failed_email.pk])),
    "hubportal:staff_api_tokens": lambda w: ("get", reverse("hubportal:staff_api_tokens", args=[H])),
    "hubportal:staff_api_token_new": lambda w: ("post", reverse("hubportal:staff_api_token_new", args=[H])),
    "hubportal:staff_api_token_revoke": lambda w: ("post", reverse(
        "hubportal:staff_api_token_revoke", args=[H, w.api_token.public_id])),
    "hubportal:staff_webhooks": lambda w: ("get", reverse("hubportal:staff_webhooks", args=[H])),
    "hubportal:staff_webhook_test": lambda w: ("post", reverse(
        "hubportal:staff_webhook_test", args=[H, w.webhook_delivery.endpoint.public_id])),
    "hubportal:staff_webhook_deactivate": lambda w: ("post", reverse(
        "hubportal:staff_webhook_deactivate", args=[H, w.webhook_delivery.endpoint.public_id])),
    "hubportal:staff_webhook_failures": lambda w: ("get", reverse("hubportal:staff_webhook_failures", args=[H])),
    "hubportal:staff_webhook_resend": lambda w: ("post", reverse(
        "hubportal:staff_webhook_resend", args=[H, w.webhook_delivery.public_id])),
    "intake:start": lambda w: ("get", reverse("intake:start")),
    "intake:inquiry_list": lambda w: ("get", reverse("intake:inquiry_list")),
    "intake:inquiry_new": lambda w: ("get", reverse("intake:inquiry_new")),
    "intake:inquiry_detail": lambda w: ("get", reverse("intake:inquiry_detail", args=[w.inquiry.public_id])),
    "intake:inquiry_step": lambda w: ("get", reverse("intake:inquiry_step", args=[w.draft.public_id, "title"])),
    "intake:inquiry_check": lambda w: ("get", reverse("intake:inquiry_check", args=[w.draft.public_id])),
    "intake:inquiry_submitted": lambda w: ("get", reverse("intake:inquiry_submitted", args=[w.inquiry.public_id])),
    "intake:inquiry_delete": lambda w: ("get", reverse("intake:inquiry_delete", args=[w.draft.public_id])),
    "intake:attachment_download": lambda w: ("get", reverse("intake:attachment_download",
                                                            args=[w.attachment.public_id])),
    "intake:attachment_remove": lambda w: ("post", reverse("intake:attachment_remove",
                                                           args=[w.attachment.public_id])),
    "intake:inquiry_answer": lambda w: ("get", reverse("intake:inquiry_answer", args=[w.inquiry.public_id])),
    "intake:inquiry_withdraw_consent": lambda w: ("get", reverse("intake:inquiry_withdraw_consent",
                                                                 args=[w.inquiry.public_id])),
    "intake:staff_home": lambda w: ("get", reverse("intake:staff_home")),
    "intake:staff_dashboard": lambda w: ("get", reverse("intake:staff_dashboard", args=[H])),
    "intake:staff_inquiry_list": lambda w: ("get", reverse("intake:staff_inquiry_list", args=[H])),
    "intake:staff_inquiry_export": lambda w: ("get", reverse("intake:staff_inquiry_export", args=[H])),
    "intake:staff_inquiry_bulk": lambda w: ("post", reverse("intake:staff_inquiry_bulk", args=[H])),
    "intake:staff_saved_search_create": lambda w: ("post", reverse("intake:staff_saved_search_create", args=[H])),
    "intake:staff_saved_search_delete": lambda w: ("post", reverse("intake:staff_saved_search_delete",
                                                                   args=[H, w.saved_search.pk])),
    "intake:staff_inquiry": lambda w: ("get", reverse("intake:staff_inquiry", args=[H, w.inquiry.reference])),
    "intake:staff_attachment_download": lambda w: ("get", reverse(
        "intake:staff_attachment_download", args=[H, w.inquiry.reference, w.evidence.public_id])),
    "intake:staff_inquiry_assign": lambda w: ("post", reverse("intake:staff_inquiry_assign",
                                                              args=[H, w.inquiry.reference])),
    "intake:staff_inquiry_note": lambda w: ("post", reverse("intake:staff_inquiry_note",
                                                            args=[H, w.inquiry.reference])),
    "intake:staff_inquiry_decide": lambda w: ("get", reverse("intake:staff_inquiry_decide",
                                                             args=[H, w.inquiry.reference, "close"])),
    "intake:staff_inquiry_assess": lambda w: ("get", reverse("intake:staff_inquiry_assess",
                                                             args=[H, w.inquiry.reference, w.checklist.slug])),
    "intake:staff_mailbox": lambda w: ("get", reverse("intake:staff_mailbox", args=[H])),
    "intake:staff_mailbox_settings": lambda w: ("get", reverse("intake:staff_mailbox_settings", args=[H])),
    "intake:staff_mailbox_message": lambda w: ("get", reverse("intake:staff_mailbox_message",
                                                              args=[H, w.email.public_id])),
    "intake:staff_mailbox_record": lambda w: ("get", reverse("intake:staff_mailbox_record",
                                                             args=[H, w.email.public_id])),
    "intake:staff_mailbox_attach": lambda w: ("post", reverse("intake:staff_mailbox_attach",
                                                              args=[H, w.email.public_id])),
    "intake:staff_mailbox_dismiss": lambda w: ("post", reverse("intake:staff_mailbox_dismiss",
                                                               args=[H, w.email.public_id])),
    "intake:staff_inquiry_legal_hold": lambda w: ("post", reverse("intake:staff_inquiry_legal_hold",
                                                                  args=[H, w.inquiry.reference])),
    "intake:staff_metrics": lambda w: ("get", reverse("intake:staff_metrics", args=[H])),
    "intake:staff_metrics_csv": lambda w: ("get", reverse("intake:staff_metrics_csv", args=[H])),
    "intake:api_index": lambda w: ("get", reverse("intake:api_index")),
    "intake:api_openapi": lambda w: ("get", reverse("intake:api_openapi")),
    "intake:api_metrics": lambda w: ("get", reverse("intake:api_metrics", args=[H])),
    "intake:api_metrics_weekly": lambda w: ("get", reverse("intake:api_metrics_weekly", args=[H])),
    "signposting:referral_send": lambda w: ("get", reverse("signposting:referral_send",
                                                           args=[H, w.inquiry.reference])),
    "signposting:referral_reroute": lambda w: ("get", reverse(
        "signposting:referral_reroute", args=[H, w.inquiry.reference, w.referral.public_id])),
    "signposting:referral_close": lambda w: ("post", reverse(
        "signposting:referral_close", args=[H, w.inquiry.reference, w.referral.public_id])),
    "signposting:embed_settings": lambda w: ("get", reverse("signposting:embed_settings", args=[H])),
    "signposting:embed": lambda w: ("get", reverse("signposting:embed", args=[H])),
    "signposting:hub_referrals": lambda w: ("get", reverse("signposting:hub_referrals", args=[H])),
    "signposting:partner_home": lambda w: ("get", reverse("signposting:partner_home")),
    "signposting:partner_referral": lambda w: ("get", reverse("signposting:partner_referral",
                                                              args=[w.referral.public_id])),
    "signposting:referral_link": lambda w: ("get", reverse("signposting:referral_link", args=[
        w.referral.public_id, _token(EmailLink.Purpose.REFERRAL, w.people[access.PARTNER].email,
                                     subject_ref=_referral_ref(w))])),
    "signposting:referral_link_renew": lambda w: ("post", reverse("signposting:referral_link_renew", args=[
        w.referral.public_id, _token(EmailLink.Purpose.REFERRAL, w.people[access.PARTNER].email,
                                     subject_ref=_referral_ref(w))])),
    "signposting:referral_accept": lambda w: ("post", reverse("signposting:referral_accept",
                                                              args=[w.referral.public_id])),
    "signposting:referral_decline": lambda w: ("get", reverse("signposting:referral_decline",
                                                              args=[w.referral.public_id])),
    "signposting:referral_question": lambda w: ("get", reverse("signposting:referral_question",
                                                               args=[w.referral.public_id])),
    "signposting:referral_outcome": lambda w: ("get", reverse("signposting:referral_outcome",
                                                              args=[w.referral.public_id])),
    "intake:staff_inquiry_access_log": lambda w: ("get", reverse("intake:staff_inquiry_access_log",
                                                                 args=[H, w.inquiry.reference])),
    "review:reviewers": lambda w: ("get", reverse("review:reviewers", args=[H])),
    "review:reviewer_edit": lambda w: ("get", reverse("review:reviewer_edit", args=[H, w.lay.reviewer.public_id])),
    "review:request": lambda w: ("get", reverse("review:request", args=[H, w.inquiry.reference])),
    "review:resend": lambda w: ("post", reverse("review:resend", args=[H, w.inquiry.reference,
                                                                       w.lay.review.public_id])),
    "review:link": lambda w: ("get", reverse("review:link", args=[
        _token(EmailLink.Purpose.LAY_REVIEW, w.lay.reviewer.email, subject_ref=str(w.lay.review.public_id))])),
    "review:review": lambda w: ("get", reverse("review:review", args=[w.lay.review.public_id])),
    "review:decline": lambda w: ("get", reverse("review:decline", args=[w.lay.review.public_id])),
    "review:thanks": lambda w: ("get", reverse("review:thanks", args=[w.lay.review.public_id])),
    "signposting:referral_progress": lambda w: ("get", reverse("signposting:referral_progress",
                                                               args=[w.referral.public_id])),
    "signposting:referral_hand_back": lambda w: ("get", reverse("signposting:referral_hand_back",
                                                                args=[w.referral.public_id])),
    "adoption:board": lambda w: ("get", reverse("adoption:board", args=[H])),
    "adoption:settings": lambda w: ("get", reverse("adoption:settings", args=[H])),
    "adoption:case": lambda w: ("get", reverse("adoption:case", args=[H, w.case.inquiry.reference])),
    "adoption:case_decide": lambda w: ("get", reverse("adoption:case_decide",
                                                      args=[H, w.case.inquiry.reference, "hold"])),
    "adoption:case_sponsor": lambda w: ("get", reverse("adoption:case_sponsor", args=[H, w.case.inquiry.reference])),
    "adoption:milestone_add": lambda w: ("get", reverse("adoption:milestone_add", args=[H, w.case.inquiry.reference])),
    "adoption:milestone_done": lambda w: ("post", reverse("adoption:milestone_done", args=[
        H, w.case.inquiry.reference, w.milestone.public_id])),
    "adoption:benefit_add": lambda w: ("get", reverse("adoption:benefit_add", args=[H, w.case.inquiry.reference])),
    "adoption:follow_up_actuals": lambda w: ("get", reverse("adoption:follow_up_actuals", args=[
        H, w.case.inquiry.reference, w.follow_up.public_id])),
    "adoption:benefit_link": lambda w: ("get", reverse("adoption:benefit_link", args=[
        _token(EmailLink.Purpose.BENEFIT_ACTUALS, "jo.bloggs@nhs.net", subject_ref=str(w.follow_up.public_id))])),
    "adoption:benefit_actuals": lambda w: ("get", reverse("adoption:benefit_actuals", args=[w.follow_up.public_id])),
    "adoption:survey": lambda w: ("get", reverse("adoption:survey", args=[w.case.inquiry.public_id])),
    "adoption:value_report": lambda w: ("get", reverse("adoption:value_report", args=[H])),
    "adoption:value_report_csv": lambda w: ("get", reverse("adoption:value_report_csv", args=[H])),
    "adoption:value_report_pdf": lambda w: ("get", reverse("adoption:value_report_pdf", args=[H])),
    "adoption:value_report_narrative": lambda w: ("post", reverse("adoption:value_report_narrative", args=[H])),
    "adoption:network_report": lambda w: ("get", reverse("adoption:network_report")),
    "adoption:network_report_csv": lambda w: ("get", reverse("adoption:network_report_csv")),
    "adoption:network_report_pdf": lambda w: ("get", reverse("adoption:network_report_pdf")),
    "partners:sign_in": lambda w: ("get", reverse("partners:sign_in")),
    "partners:sign_in_sent": lambda w: ("get", reverse("partners:sign_in_sent")),
    "partners:sign_in_confirm": lambda w: ("get", reverse("partners:sign_in_confirm", args=[
        _token(EmailLink.Purpose.PARTNER_SIGN_IN, w.people[access.PARTNER].email)])),
    "partners:digest_choice": lambda w: ("post", reverse("partners:digest_choice")),
    "partners:sign_out": lambda w: ("post", reverse("partners:sign_out")),
    "partners:oruk_index": lambda w: ("get", reverse("partners:oruk_index")),
    "partners:oruk_organizations": lambda w: ("get", reverse("partners:oruk_organizations")),
    "partners:oruk_organization": lambda w: ("get", reverse("partners:oruk_organization",
                                                            args=[w.partner.public_id])),
    "partners:oruk_services": lambda w: ("get", reverse("partners:oruk_services")),
    "partners:oruk_service": lambda w: ("get", reverse("partners:oruk_service", args=[
        w.partner.services.first().public_id])),
    "partners:oruk_taxonomies": lambda w: ("get", reverse("partners:oruk_taxonomies")),
    "partners:oruk_taxonomy": lambda w: ("get", reverse("partners:oruk_taxonomy", args=["support-need"])),
    "partners:oruk_taxonomy_terms": lambda w: ("get", reverse("partners:oruk_taxonomy_terms")),
    "partners:oruk_taxonomy_term": lambda w: ("get", reverse("partners:oruk_taxonomy_term",
                                                             args=["support-need:evaluation"])),
}

def _directory(w):
    """Directory rows the issue 10 pages need, made on first use inside each actor's rolled-back request."""
    from partners.models import PartnerProposal
    from signposting.models import Resource, RoutingRule

    contact = w.partner.contacts.first()
    proposal, _ = PartnerProposal.objects.get_or_create(partner=w.partner, proposed_by=contact,
                                                        proposed_by_email=contact.email,
                                                        defaults={"values": {"website": "https://wessex.example"}})
    resource, _ = Resource.objects.get_or_create(hub=w.hub, title="IG toolkit", defaults={
        "url": "https://example.org/ig", "kind": "toolkit", "review_due_on": "2099-01-01"})
    rule, _ = RoutingRule.objects.get_or_create(hub=w.hub, name="IG to Wessex", defaults={
        "action": "add", "partner": w.partner})
    return {"service": w.partner.services.first(), "contact": contact, "proposal": proposal,
            "resource": resource, "rule": rule}


def _dir_url(name, w, *extra):
    d = _directory(w)
    args = [H, w.partner.public_id] + [getattr(d[key], "public_id", None) or d[key].pk for key in extra]
    return reverse(name, args=args)


REQUESTS.update({
    "partners:staff_directory": lambda w: ("get", reverse("partners:staff_directory", args=[H])),
    "partners:staff_partner_new": lambda w: ("get", reverse("partners:staff_partner_new", args=[H])),
    "partners:staff_partner": lambda w: ("get", _dir_url("partners:staff_partner", w)),
    "partners:staff_partner_edit": lambda w: ("get", _dir_url("partners:staff_partner_edit", w)),
    "partners:staff_service_new": lambda w: ("get", _dir_url("partners:staff_service_new", w)),
    "partners:staff_service_edit": lambda w: ("get", _dir_url("partners:staff_service_edit", w, "service")),
    "partners:staff_contact_new": lambda w: ("get", _dir_url("partners:staff_contact_new", w)),
    "partners:staff_contact_edit": lambda w: ("get", _dir_url("partners:staff_contact_edit", w, "contact")),
    "partners:staff_proposal": lambda w: ("get", _dir_url("partners:staff_proposal", w, "proposal")),
    "partners:proposal_new": lambda w: ("get", reverse("partners:proposal_new", args=[w.partner.public_id])),
    "signposting:staff_partner_retire": lambda w: ("get", _dir_url("signposting:staff_partner_retire", w)),
    "signposting:staff_resources": lambda w: ("get", reverse("signposting:staff_resources", args=[H])),
    "signposting:staff_resource_new": lambda w: ("get", reverse("signposting:staff_resource_new", args=[H])),
    "signposting:staff_resource_edit": lambda w: ("get", reverse("signposting:staff_resource_edit", args=[
        H, _directory(w)["resource"].public_id])),
    "signposting:staff_routing_rules": lambda w: ("get", reverse("signposting:staff_routing_rules", args=[H])),
    "signposting:staff_routing_rule_new": lambda w: ("get", reverse("signposting:staff_routing_rule_new", args=[H])),
    "signposting:staff_routing_rule_edit": lambda w: ("get", reverse("signposting:staff_routing_rule_edit", args=[
        H, _directory(w)["rule"].pk])),
    "intake:staff_inquiry_record": lambda w: ("get", reverse("intake:staff_inquiry_record", args=[H])),
})

SIGN_IN_PAGES = {
    access.SIGN_IN: reverse("hubportal:sign_in"),
    access.STAFF_SIGN_IN: reverse("hubportal:staff_sign_in"),
    access.PARTNER_SIGN_IN: reverse("partners:sign_in"),
}


def classify(response) -> str:
    """What a response means, in the access table's words."""
    if response.status_code == 404:
        return access.NOT_FOUND
    if response.status_code == 401 and response.get("WWW-Authenticate", "").startswith("Bearer"):
        return access.UNAUTHORISED
    if response.status_code in (301, 302, 303):
        target = urlparse(response["Location"])
        for answer, page in SIGN_IN_PAGES.items():
            # A refusal keeps where the person was going; a page that simply moves on does not.
            if target.path == page and "next=" in target.query:
                return answer
            if answer == access.STAFF_SIGN_IN and target.path == page:
                return answer  # the code and set-up steps send you back to the password step
    if response.status_code in (403, 405) or response.status_code >= 500:
        return f"HTTP {response.status_code}"
    return access.OK


def test_every_url_has_a_way_to_request_it():
    assert sorted(set(access.ACCESS) - set(REQUESTS)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(access.ACCESS))
def test_each_actor_gets_what_the_access_table_says(name, world):
    rule = access.ACCESS[name]
    wrong = []
    for actor in access.ACTORS:
        client = client_as(actor, world)
        with transaction.atomic():
            method, path = REQUESTS[name](world)
            response = getattr(client, method)(path)
            transaction.set_rollback(True)
        got, want = classify(response), rule.expected(actor)
        if got != want:
            wrong.append(f"{actor}: got {got} ({response.status_code}), table says {want}")
    assert wrong == [], f"{name} ({method.upper()} {path}):\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_nothing_of_the_inquiry_reaches_someone_refused(world):
    """A refusal is a refusal: no title, reference or partner name in the body of any refused answer."""
    leaked = []
    for name, rule in access.ACCESS.items():
        for actor in access.ACTORS:
            if rule.expected(actor) == access.OK:
                continue
            client = client_as(actor, world)
            with transaction.atomic():
                method, path = REQUESTS[name](world)
                body = getattr(client, method)(path).content.decode(errors="replace")
                transaction.set_rollback(True)
            for secret in ("Virtual ward pilot", "Unsent idea", "plan.pdf", "evidence.pdf", "Falls sensors"):
                if secret in body:
                    leaked.append((name, actor, secret))
    assert leaked == []



def test_docs_access_md_is_the_table_as_it_is():
    from pathlib import Path

    from hubportal.management.commands.access_table import access_table_markdown

    written = (Path(__file__).resolve().parent.parent / "docs" / "access.md").read_text()
    assert written == access_table_markdown(), "run: manage.py access_table > docs/access.md"


def test_the_table_gives_a_network_lead_no_inquiry_and_no_hub_page():
    """A network lead sees figures, never an inquiry: outside their own report and the pages everyone may
    use (public pages, emailed links) and a signed-in person's own account and own inquiries (they have
    none), every URL answers them 404 (or the sign-in of another kind)."""
    theirs = {name for name, rule in access.ACCESS.items() if rule.allowed == frozenset({access.NETWORK_LEAD})}
    assert theirs == {"adoption:network_report", "adoption:network_report_csv", "adoption:network_report_pdf"}
    for name, rule in access.ACCESS.items():
        if name in theirs or rule.allowed in (access.EVERYONE, access.SIGNED_IN_USERS):
            continue
        assert rule.expected(access.NETWORK_LEAD) in (access.NOT_FOUND, access.PARTNER_SIGN_IN,
                                                      access.UNAUTHORISED, access.STAFF_SIGN_IN), name
        if "inquir" in name or name.startswith(("adoption:case", "adoption:milestone", "adoption:benefit",
                                                "signposting:referral", "review:")):
            assert rule.expected(access.NETWORK_LEAD) in (access.NOT_FOUND, access.PARTNER_SIGN_IN,
                                                          access.STAFF_SIGN_IN), name
