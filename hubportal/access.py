"""The access table: for every URL name, who may use it and what everyone else gets.

This is data, not prose. tests/test_access_matrix.py requests every URL as every kind of actor and
checks each answer against `expected()`; `manage.py access_table` prints it for docs/access.md. A URL
that is not listed here fails a test, so a new page cannot ship without saying who may use it.

The answers:
- OK: the page or action works for them (any answer that is not a refusal).
- NOT_FOUND: 404, exactly as for an object that does not exist, so nothing leaks.
- SIGN_IN / STAFF_SIGN_IN / PARTNER_SIGN_IN: a redirect to that sign-in page, keeping `next`.
- UNAUTHORISED: 401 (JSON, with WWW-Authenticate): the figures API needs an API token, and no
  session is one, not even a hub lead's. tests/intake/test_api.py covers the tokens themselves.

Someone of the wrong kind is sent to sign in as the right kind (a partner contact on a submitter's
page, a submitter on a staff page); someone of the right kind but the wrong person or hub gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- Kinds of actor ---------------------------------------------------------------------------------
# Each names one session the tests build (tests/test_access_matrix.py). "own" and "other" are relative
# to the objects in the URL: Dorset's inquiry, sent by `submitter`, referred to `partner_contact`'s
# organisation.
ANONYMOUS = "anonymous"
SUBMITTER = "submitter"  # sent the inquiry in the URL
OTHER_SUBMITTER = "other_submitter"  # signed in by emailed link, someone else's inquiry
HUB_MEMBER = "hub_member"  # member of the inquiry's hub (password + TOTP)
HUB_LEAD = "hub_lead"  # lead of the inquiry's hub
OTHER_HUB_LEAD = "other_hub_lead"  # lead of another hub
PARTNER = "partner_contact"  # contact of the partner the referral went to
OTHER_PARTNER = "other_partner_contact"  # contact of a partner the referral did not go to
ADMINISTRATOR = "administrator"  # Django admin (is_staff, is_superuser), member of no hub
LAY_REVIEWER = "lay_reviewer"  # used the emailed link of the lay review request in the URL
OTHER_LAY_REVIEWER = "other_lay_reviewer"  # used the link of another request (another reviewer)
# An ICS or programme lead over Dorset and another hub (password + TOTP), member of no hub: sees the
# network's value report and never an inquiry (every inquiry and hub URL: 404).
NETWORK_LEAD = "network_lead"

ACTORS = (ANONYMOUS, SUBMITTER, OTHER_SUBMITTER, HUB_MEMBER, HUB_LEAD, OTHER_HUB_LEAD, PARTNER,
          OTHER_PARTNER, ADMINISTRATOR, LAY_REVIEWER, OTHER_LAY_REVIEWER, NETWORK_LEAD)

# The session each kind of actor holds: "user" (signed in by emailed link or password), "staff"
# (password and TOTP), "partner" (a partner contact's emailed-link session), "lay_reviewer" (a grant for
# one lay review request, from its emailed link; there is no lay reviewer sign-in page).
SESSIONS = {
    ANONYMOUS: frozenset(),
    SUBMITTER: frozenset({"user"}),
    OTHER_SUBMITTER: frozenset({"user"}),
    HUB_MEMBER: frozenset({"user", "staff"}),
    HUB_LEAD: frozenset({"user", "staff"}),
    OTHER_HUB_LEAD: frozenset({"user", "staff"}),
    ADMINISTRATOR: frozenset({"user", "staff"}),
    NETWORK_LEAD: frozenset({"user", "staff"}),
    PARTNER: frozenset({"partner"}),
    OTHER_PARTNER: frozenset({"partner"}),
    LAY_REVIEWER: frozenset({"lay_reviewer"}),
    OTHER_LAY_REVIEWER: frozenset({"lay_reviewer"}),
}

# --- Answers ------------------------------------------------------------------------------------------
OK = "ok"
NOT_FOUND = "404"
SIGN_IN = "sign-in"
STAFF_SIGN_IN = "staff sign-in"
PARTNER_SIGN_IN = "partner sign-in"
UNAUTHORISED = "401"

# "token": an API token in the Authorization header, which no session actor holds.
_SIGN_IN_FOR = {"user": SIGN_IN, "staff": STAFF_SIGN_IN, "partner": PARTNER_SIGN_IN, "token": UNAUTHORISED}

EVERYONE = frozenset(ACTORS)
STAFF_OF_THE_HUB = frozenset({HUB_MEMBER, HUB_LEAD})
ANY_STAFF = frozenset({HUB_MEMBER, HUB_LEAD, OTHER_HUB_LEAD})
SIGNED_IN_USERS = frozenset(a for a in ACTORS if "user" in SESSIONS[a])
PARTNERS = frozenset({PARTNER, OTHER_PARTNER})


@dataclass(frozen=True)
class Rule:
    """Who may use a URL (`who`, in words; `allowed`, as kinds of actor) and what others get."""

    who: str
    allowed: frozenset[str]
    # The session the URL needs; someone without it is sent to that sign-in page. None: public.
    needs: str | None = None
    # Answers that differ from the general rule, by kind of actor.
    exceptions: dict[str, str] = field(default_factory=dict)

    def expected(self, actor: str) -> str:
        if actor in self.exceptions:
            return self.exceptions[actor]
        if actor in self.allowed:
            return OK
        if self.needs and self.needs not in SESSIONS[actor]:
            return _SIGN_IN_FOR[self.needs]
        return NOT_FOUND


def public(who: str = "anyone") -> Rule:
    return Rule(who, EVERYONE)


def link(who: str) -> Rule:
    """Whoever holds an emailed link: the token is the capability, whatever session the browser has."""
    return Rule(who, EVERYONE)


OWNER = Rule("the inquiry's submitter only", frozenset({SUBMITTER}), needs="user")
SIGNED_IN = Rule("a signed-in person (sees only their own)", SIGNED_IN_USERS, needs="user")
HUB_STAFF = Rule("members of the hub in the URL, signed in with password and TOTP",
                 STAFF_OF_THE_HUB, needs="staff")
STAFF = Rule("signed in with password and TOTP and a member of some hub", ANY_STAFF, needs="staff")
OWN_DATA = Rule("a signed-in person, their own data only", SIGNED_IN_USERS, needs="user")
PARTNER_OF_REFERRAL = Rule("a contact of the referral's partner (signed in, or by its emailed link)",
                           frozenset({PARTNER}), needs="partner")
PARTNER_SIGNED_IN = Rule("a signed-in partner contact: their own organisations' referrals",
                         PARTNERS, needs="partner")
HUB_LEADS = Rule("leads of the hub in the URL, signed in with password and TOTP (members get 404)",
                 frozenset({HUB_LEAD}), needs="staff")
SETTINGS = Rule("members of the hub in the URL see it; only its leads change it (a member's POST: 404)",
                STAFF_OF_THE_HUB, needs="staff")
API_TOKEN = Rule("an API token of the hub in the URL (Authorization: Bearer); no session", frozenset(),
                 needs="token")
LAY_REVIEWER_OF_REQUEST = Rule("the lay reviewer the request was sent to, in the browser that used its emailed "
                               "link (nobody else, staff included: 404)", frozenset({LAY_REVIEWER}))
ORUK = public("anyone: the open Open Referral UK directory (no people, no referrals)")
NETWORK_LEADS = Rule("a network lead, signed in with password and TOTP: their hubs' figures, no inquiry (everyone "
                     "else 404)", frozenset({NETWORK_LEAD}), needs="staff")

ACCESS: dict[str, Rule] = {
    "healthz": public(),
    "hubportal:sign_in": public(),
    "hubportal:sign_in_sent": public(),
    "hubportal:sign_in_confirm": link("whoever holds an emailed sign-in link"),
    "hubportal:sign_out": public(),
    "hubportal:accessibility": public(),
    "hubportal:privacy": public(),
    "hubportal:account": Rule("a signed-in person, their own account only", SIGNED_IN_USERS, needs="user"),
    "hubportal:digest_unsubscribe": link("whoever holds the signed unsubscribe link (one person, one harmless action)"),
    "hubportal:data_export": OWN_DATA,
    "hubportal:data_export_link": link("whoever holds the emailed download link (one person's archive, one use)"),
    "hubportal:erasure_request": OWN_DATA,
    "hubportal:staff_retention": Rule("members of the hub in the URL see it; only its lead changes it",
                                      STAFF_OF_THE_HUB, needs="staff"),
    "hubportal:staff_erasure_requests": HUB_LEADS,
    # Issue 10: hub settings. Members see them read-only (their POST: 404); leads change them.
    "hubportal:settings": HUB_STAFF,
    "hubportal:settings_service_levels": SETTINGS,
    "hubportal:settings_team": SETTINGS,
    "hubportal:settings_team_member": HUB_LEADS,
    "hubportal:settings_audit": HUB_LEADS,
    "hubportal:settings_priorities": SETTINGS,
    "hubportal:settings_priority_active": HUB_LEADS,
    "hubportal:settings_who_may_submit": Rule("members of the hub in the URL see it and accept a person they "
                                              "checked; only its leads set the domains", STAFF_OF_THE_HUB,
                                              needs="staff"),
    "hubportal:settings_accepted_address_remove": HUB_LEADS,
    "hubportal:staff_erasure_request": HUB_LEADS,
    "hubportal:staff_sign_in": public(),
    # The code and set-up steps need the password step first; without it they send you back to it.
    "hubportal:staff_code": Rule("whoever passed the staff password step in this session (10 minutes)",
                                 frozenset(), needs="staff",
                                 exceptions={a: STAFF_SIGN_IN for a in ACTORS}),
    "hubportal:staff_set_up": Rule("whoever used their staff invitation and chose a password in this "
                                   "session (10 minutes)", frozenset(), needs="staff",
                                   exceptions={a: STAFF_SIGN_IN for a in ACTORS}),
    "hubportal:staff_set_password": Rule("whoever used their staff invitation in this session (10 minutes)",
                                         frozenset(), needs="staff",
                                         exceptions={a: STAFF_SIGN_IN for a in ACTORS}),
    "hubportal:staff_invitation": link("whoever holds the emailed staff invitation (one person, one use)"),
    "hubportal:staff_failed_emails": HUB_STAFF,
    "hubportal:staff_email_resend": HUB_STAFF,
    "hubportal:staff_email_mark_not_delivered": HUB_STAFF,
    "hubportal:staff_email_mark_delivered": HUB_STAFF,
    "hubportal:staff_api_tokens": Rule("members of the hub in the URL (read-only for team members)",
                                       STAFF_OF_THE_HUB, needs="staff"),
    "hubportal:staff_api_token_new": HUB_LEADS,
    "hubportal:staff_api_token_revoke": HUB_LEADS,
    "hubportal:staff_webhooks": HUB_LEADS,
    "hubportal:staff_webhook_test": HUB_LEADS,
    "hubportal:staff_webhook_deactivate": HUB_LEADS,
    "hubportal:staff_webhook_failures": HUB_STAFF,
    "hubportal:staff_webhook_resend": HUB_STAFF,
    "intake:start": public(),
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
    "intake:staff_saved_search_create": HUB_STAFF,
    # Someone else's saved search is a 404 even when it is shared with them: sharing lets them use it.
    "intake:staff_saved_search_delete": Rule("the hub member who saved the search", frozenset({HUB_LEAD}),
                                             needs="staff"),
    "intake:staff_inquiry": HUB_STAFF,
    "intake:staff_attachment_download": HUB_STAFF,
    "intake:staff_inquiry_assign": HUB_STAFF,
    "intake:staff_inquiry_note": HUB_STAFF,
    "intake:staff_inquiry_decide": HUB_STAFF,
    "intake:staff_inquiry_assess": HUB_STAFF,
    "intake:staff_mailbox": HUB_STAFF,
    "intake:staff_mailbox_message": HUB_STAFF,
    "intake:staff_mailbox_record": HUB_STAFF,
    "intake:staff_mailbox_attach": HUB_STAFF,
    "intake:staff_mailbox_dismiss": HUB_STAFF,
    # Members see the settings read-only; a member's POST is a 404 (tests/intake/test_mailbox_views.py).
    "intake:staff_mailbox_settings": HUB_STAFF,
    "intake:staff_inquiry_legal_hold": HUB_LEADS,
    "intake:staff_inquiry_access_log": HUB_LEADS,
    "intake:settings_checklists": SETTINGS,
    "intake:settings_checklist": SETTINGS,
    "intake:settings_checklist_preview": HUB_STAFF,
    "intake:settings_checklist_active": HUB_LEADS,
    "intake:settings_criterion_new": HUB_LEADS,
    "intake:settings_criterion": HUB_LEADS,
    "intake:settings_criterion_retire": HUB_LEADS,
    "intake:settings_criterion_move": HUB_LEADS,
    "intake:staff_metrics": HUB_STAFF,
    "intake:staff_metrics_csv": HUB_STAFF,
    "intake:api_index": public("anyone: how to use the figures API"),
    "intake:api_openapi": public("anyone: the figures API's OpenAPI description (no figures)"),
    "intake:api_metrics": API_TOKEN,
    "intake:api_metrics_weekly": API_TOKEN,
    "signposting:referral_send": HUB_STAFF,
    "signposting:referral_reroute": HUB_STAFF,
    "signposting:referral_close": HUB_STAFF,
    "signposting:hub_referrals": HUB_STAFF,
    "signposting:embed_settings": Rule("members of the hub in the URL (its leads change the sites)",
                                       STAFF_OF_THE_HUB, needs="staff"),
    "signposting:embed": public("anyone: the hub's public widget, framed only by the sites it lists"),
    "signposting:partner_home": PARTNER_SIGNED_IN,
    "signposting:partner_referral": PARTNER_OF_REFERRAL,
    "signposting:referral_link": link("whoever holds the emailed link for this referral and contact"),
    "signposting:referral_link_renew": link("whoever holds an expired or used link; the new one goes to its contact"),
    "signposting:referral_accept": PARTNER_OF_REFERRAL,
    "signposting:referral_decline": PARTNER_OF_REFERRAL,
    "signposting:referral_question": PARTNER_OF_REFERRAL,
    "signposting:referral_outcome": PARTNER_OF_REFERRAL,
    "signposting:referral_progress": PARTNER_OF_REFERRAL,
    "signposting:referral_hand_back": PARTNER_OF_REFERRAL,
    "adoption:board": HUB_STAFF,
    "adoption:settings": HUB_LEADS,
    "adoption:case": HUB_STAFF,
    "adoption:case_decide": HUB_STAFF,
    "adoption:case_sponsor": HUB_STAFF,
    "adoption:milestone_add": HUB_STAFF,
    "adoption:milestone_done": HUB_STAFF,
    "adoption:benefit_add": HUB_STAFF,
    "adoption:follow_up_actuals": HUB_STAFF,
    "adoption:benefit_link": link("whoever holds the sponsor's emailed link for one benefit follow-up"),
    "adoption:benefit_actuals": Rule("only the browser that used this follow-up's emailed link (8 hours); "
                                     "everyone else gets 404", frozenset()),
    "adoption:survey": OWNER,
    # The directory on staff pages (issue 10): every member of the hub; retiring a partner, its leads.
    "partners:staff_directory": HUB_STAFF,
    "partners:staff_partner_new": HUB_STAFF,
    "partners:staff_partner": HUB_STAFF,
    "partners:staff_partner_edit": HUB_STAFF,
    "partners:staff_service_new": HUB_STAFF,
    "partners:staff_service_edit": HUB_STAFF,
    "partners:staff_contact_new": HUB_STAFF,
    "partners:staff_contact_edit": HUB_STAFF,
    "partners:staff_proposal": HUB_STAFF,
    "partners:proposal_new": Rule("a signed-in contact of the partner in the URL (another partner's contact: 404)",
                                  frozenset({PARTNER}), needs="partner"),
    "signposting:staff_partner_retire": HUB_LEADS,
    "signposting:staff_resources": HUB_STAFF,
    "signposting:staff_resource_new": HUB_STAFF,
    "signposting:staff_resource_edit": HUB_STAFF,
    "signposting:staff_routing_rules": HUB_STAFF,
    "signposting:staff_routing_rule_new": HUB_STAFF,
    "signposting:staff_routing_rule_edit": HUB_STAFF,
    "intake:staff_inquiry_record": HUB_STAFF,
    "adoption:value_report": HUB_STAFF,
    "adoption:value_report_csv": HUB_STAFF,
    "adoption:value_report_pdf": HUB_STAFF,
    "adoption:value_report_narrative": HUB_LEADS,
    "adoption:network_report": NETWORK_LEADS,
    "adoption:network_report_csv": NETWORK_LEADS,
    "adoption:network_report_pdf": NETWORK_LEADS,
    "partners:sign_in": public(),
    "partners:sign_in_sent": public(),
    "partners:sign_in_confirm": link("whoever holds an emailed partner sign-in link"),
    "partners:digest_choice": Rule("a signed-in partner contact, for their own address only", PARTNERS,
                                   needs="partner"),
    "partners:sign_out": public(),
    "partners:oruk_index": ORUK,
    "partners:oruk_organizations": ORUK,
    "partners:oruk_organization": ORUK,
    "partners:oruk_services": ORUK,
    "partners:oruk_service": ORUK,
    "partners:oruk_taxonomies": ORUK,
    "partners:oruk_taxonomy": ORUK,
    "partners:oruk_taxonomy_terms": ORUK,
    "partners:oruk_taxonomy_term": ORUK,
    "review:reviewers": HUB_STAFF,
    "review:reviewer_edit": HUB_STAFF,
    "review:request": HUB_STAFF,
    "review:resend": HUB_STAFF,
    "review:link": link("whoever holds the emailed link to one lay review request"),
    "review:review": LAY_REVIEWER_OF_REQUEST,
    "review:decline": LAY_REVIEWER_OF_REQUEST,
    "review:thanks": LAY_REVIEWER_OF_REQUEST,
}

# --- Who saw what ---------------------------------------------------------------------------------
# The pages that show one inquiry's personal data (the submitter's name, address, phone, role, their
# free-text answers) or an attachment to someone other than its submitter, and what each records in
# the access log (intake.access_log.inquiry_access_record). tests/intake/test_access_log_enumerated.py
# requests every URL above as every kind of actor with an inquiry full of markers: a page that shows a
# marker must be listed here and write exactly one row; a listed page must write one. List pages
# (references, titles, statuses) are deliberately not logged, so they stay one query.
# Pages that show a person's details but are not a view of an inquiry, and why they are not logged.
PERSONAL_DATA_NOT_AN_INQUIRY: dict[str, str] = {
    # The hub lead must see who asked to be erased; the request records who approved it, and the
    # erasure itself is on each inquiry's timeline.
    "hubportal:staff_erasure_request": "a person's own erasure request, read by the lead who decides it",
}

PERSONAL_DATA: dict[str, str] = {
    "adoption:case": "adoption case",
    "adoption:case_sponsor": "case sponsor",
    "intake:staff_inquiry": "case page",
    "intake:staff_inquiry_assign": "case page",  # a form error shows the case page again
    "intake:staff_inquiry_note": "case page",  # likewise
    "intake:staff_attachment_download": "attachment",
    "intake:staff_inquiry_export": "CSV export",  # carries each submitter's role: one row per inquiry
    "signposting:partner_referral": "referral",
    "review:review": "lay review page",
}
