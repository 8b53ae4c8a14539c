"""Realistic demo data at scale: `python manage.py seed_demo --inquiries 100000 [--hub DOR] [--seed 1]`.

Inquiries are spread over the last 18 months across the hubs that exist (the demo hubs are loaded
first if there are none), written with NHS innovation vocabulary, and each one is walked through the
lifecycle up to now: its status, first response, decision, closing and outcome agree with each other
and with its timeline, and nothing is dated in the future. Submitters are a few hundred made-up NHS
staff; assignees are members of the hub (three team members are added to each hub beside its lead).

References continue each hub's numbering for the year without clashing: the numbers are reserved
in the hubs' ReferenceCounter rows first, in a short transaction, so live submissions meanwhile get
numbers after the seeded ones. Rows go in with bulk_create in batches inside one transaction (all or
nothing); on PostgreSQL the search documents are filled by one UPDATE at the end, then VACUUM ANALYZE.
"""

import datetime as dt
import io
import itertools
import random
import time
from collections import Counter
from contextlib import contextmanager

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models.functions import Length
from django.utils import timezone

from hubportal.models import Hub, HubMembership, HubOrganisation, User
from hubportal.taxonomy import SupportNeed, Theme
from hubportal.workdays import LONDON, add_working_days, london_date
from intake.models import InformationRequest, Inquiry, InquiryEvent, ReferenceCounter
from intake.services import SEARCH_DOCUMENT
from partners.models import Partner
from signposting.models import Referral

from ...demo_adoption import seed_adoption

BATCH_SIZE = 2000
DAYS_BACK = 548  # 18 months
TEAM_SIZE = 3
MAX_SUBMITTERS = 400
BACKLOG_DAYS, BACKLOG_SHARE = 45, 0.12


# --- Vocabulary ------------------------------------------------------------------------------------

# (innovation, innovation type, themes it usually touches)
INNOVATIONS = [
    ("Virtual ward", "pathway", ["urgent_care"]),
    ("Remote monitoring", "digital", ["chronic_respiratory", "hypertension"]),
    ("AI triage", "digital", ["elective_recovery", "urgent_care"]),
    ("Digital inclusion support", "pathway", ["digital_inclusion", "health_inequalities"]),
    ("Falls prevention programme", "pathway", ["prevention"]),
    ("Wearable falls detection", "medical_device", ["prevention"]),
    ("Home blood pressure monitoring", "medical_device", ["hypertension", "prevention"]),
    ("Point-of-care testing", "diagnostic", ["urgent_care"]),
    ("AI-assisted chest X-ray reporting", "digital", ["early_cancer_diagnosis"]),
    ("Patient-initiated follow-up", "pathway", ["elective_recovery"]),
    ("Teledermatology", "diagnostic", ["early_cancer_diagnosis", "elective_recovery"]),
    ("Digital maternity notes", "digital", ["maternity"]),
    ("Peer support app", "digital", ["severe_mental_illness"]),
    ("Ambient voice technology", "digital", ["workforce"]),
    ("Anaesthetic gas capture", "medical_device", ["net_zero"]),
    ("Reusable theatre textiles", "other", ["net_zero"]),
    ("Social prescribing", "workforce", ["health_inequalities", "prevention"]),
    ("Frailty screening", "pathway", ["prevention", "urgent_care"]),
    ("Pulmonary rehabilitation app", "digital", ["chronic_respiratory"]),
    ("Lipid optimisation pathway", "pathway", ["hypertension"]),
    ("Two-way text message reminders", "digital", ["elective_recovery", "health_inequalities"]),
    ("Video interpreting", "digital", ["health_inequalities", "core20"]),
    ("Digital physiotherapy", "digital", ["elective_recovery"]),
    ("Discharge tracking dashboard", "digital", ["urgent_care"]),
    ("Hospital at home", "pathway", ["urgent_care"]),
    ("Capsule sponge test", "diagnostic", ["early_cancer_diagnosis"]),
    ("Perinatal mental health app", "digital", ["maternity", "severe_mental_illness"]),
    ("Inhaler technique coaching", "workforce", ["chronic_respiratory", "net_zero"]),
    ("Electronic patient-reported outcomes", "digital", ["elective_recovery"]),
    ("Staff wellbeing platform", "workforce", ["workforce"]),
    ("Community phlebotomy hub", "pathway", ["core20", "prevention"]),
    ("Smart medicine dispensers", "medical_device", ["prevention"]),
    ("Acoustic monitoring at night", "medical_device", ["prevention", "workforce"]),
    ("Closed-loop insulin delivery", "medical_device", ["prevention"]),
    ("Physical health checks outreach", "pathway", ["severe_mental_illness", "health_inequalities"]),
]

# (where or for whom, what the service is, themes it fits)
CONTEXTS = [
    ("for people with COPD", "respiratory service", ["chronic_respiratory", "urgent_care"]),
    ("for care home residents", "care home support team", ["prevention", "urgent_care"]),
    ("in the emergency department", "emergency department", ["urgent_care", "workforce"]),
    ("for people with heart failure", "heart failure service", ["urgent_care", "hypertension"]),
    ("in primary care", "practice team", ["hypertension", "prevention", "workforce", "core20"]),
    ("for people on elective waiting lists", "outpatient service", ["elective_recovery"]),
    ("in community nursing", "district nursing team", ["workforce", "prevention", "net_zero"]),
    ("for young people in crisis", "crisis team", ["severe_mental_illness"]),
    ("for people with a learning disability", "community learning disability team",
     ["health_inequalities", "digital_inclusion"]),
    ("for housebound patients", "community matron service", ["digital_inclusion", "prevention", "urgent_care"]),
    ("in outpatient clinics", "outpatient clinic", ["elective_recovery", "net_zero", "early_cancer_diagnosis"]),
    ("for pregnant women in our most deprived areas", "maternity service", ["maternity", "core20"]),
    ("for people with type 2 diabetes", "diabetes service", ["prevention", "core20"]),
    ("on acute medical wards", "acute medical unit", ["urgent_care", "workforce", "prevention"]),
    ("for frail older people", "frailty service", ["prevention", "urgent_care"]),
    ("for people with severe mental illness", "community mental health team",
     ["severe_mental_illness", "health_inequalities"]),
    ("in the lung cancer pathway", "lung cancer service", ["early_cancer_diagnosis", "chronic_respiratory"]),
    ("in operating theatres", "theatres team", ["net_zero", "elective_recovery"]),
    ("for people who do not speak English", "interpreting service", ["health_inequalities", "core20"]),
    ("across the integrated care system", "system transformation team", Theme.values),
]

# Towns of the demo hubs' areas, for titles; other hubs get a general phrase.
PLACES = {
    "BDC": ["Bradford", "Keighley", "Skipton", "Shipley", "Ilkley", "Bingley"],
    "CAP": ["Cambridge", "Peterborough", "Huntingdon", "Ely", "Wisbech", "St Neots"],
    "DOR": ["Dorchester", "Poole", "Bournemouth", "Weymouth", "Bridport", "Blandford"],
    "MAN": ["Manchester", "Salford", "Stockport", "Oldham", "Bolton", "Wigan", "Rochdale"],
}
TITLE_VERBS = ["Piloting", "Scaling up", "Evaluating", "Adopting", "Co-designing", "Procuring", "Testing"]
TITLE_AIMS = ["reducing avoidable admissions", "cutting waiting times", "earlier diagnosis",
              "supporting people at home", "freeing up clinical time", "closing the gap in access",
              "safer discharge", "fewer missed appointments"]

PROBLEMS = [
    "Our {service} is seeing more people than it can safely manage, and waits have grown by a third this year.",
    "Too many people {context} are admitted to hospital for things that could be managed at home.",
    "Appointments {context} are missed at a high rate, especially by people in our most deprived postcodes.",
    "Staff in the {service} spend hours each week on manual data entry instead of seeing patients.",
    "People {context} tell us they do not know who to contact when their condition gets worse.",
    "Discharge from the {service} is delayed because information does not move between organisations.",
    "We cannot see early enough which people {context} are deteriorating, so we respond to crises.",
    "Many people {context} do not have the devices, data or confidence to use online services.",
    "Avoidable admissions {context} lead to long stays and loss of independence.",
    "The {service} has high vacancy rates, and agency spending is not sustainable.",
    "Referrals into the {service} are of variable quality, so many are bounced back or duplicated.",
    "Carbon emissions from the {service} are high, and we have a net zero commitment to meet.",
]

PROPOSALS = [
    "{innovation} would let the {service} see the people most at risk first.",
    "We would introduce {innovation_lower} with clear escalation to a clinician when readings change.",
    "{innovation} has been used successfully by another trust and we would like to adopt their model.",
    "We have designed {innovation_lower} with patients and want to test it on a small scale.",
    "{innovation} could free clinical time and shorten waits if it works with our electronic record.",
    "We want to pilot {innovation_lower} for six months and measure admissions, experience and cost.",
    "A supplier offers {innovation_lower}; we need help to judge the evidence and the procurement route.",
]

BENEFITS = [
    "Patients and their carers, and the clinicians who look after them.",
    "People in our Core20 neighbourhoods who currently miss out.",
    "Ward staff, who would spend less time on paperwork.",
    "Older people living alone, and their families.",
    "Patients waiting for treatment, and the teams managing the waiting list.",
    "People with long-term conditions and the community teams supporting them.",
    "Pregnant women and new parents, and the midwives working with them.",
]

EVIDENCE = {
    "idea": ["None yet: this is an idea we have discussed in our team.", "A literature search and a conversation with patients."],
    "developing": ["A prototype tested with five staff.", "User research with twelve patients and a design sprint."],
    "piloted": ["A three-month pilot on one ward with before and after figures.",
                "A small pilot in two practices, evaluated by our quality improvement team."],
    "in_use_here": ["In use in our service for a year; we have activity data and patient feedback.",
                    "Running in one locality; we want to spread it across the trust."],
    "proven_elsewhere": ["Published evaluation from another integrated care system, with NICE early value assessment.",
                         "Adopted by several trusts through a national programme, with an independent evaluation."],
}

ROLES = ["Consultant physician", "Ward manager", "Advanced nurse practitioner", "GP partner", "Physiotherapist",
         "Digital transformation lead", "Service manager", "Lead pharmacist", "Consultant midwife", "Paramedic",
         "Chief clinical information officer", "Quality improvement lead", "Occupational therapist",
         "Clinical nurse specialist", "Operations manager", "Public health registrar"]

OTHER_ORGANISATIONS = ["Riverside Primary Care Network", "Healthwatch", "Local Medical Committee",
                       "University Health Partners", "Community Voluntary Services", "MedTech start-up",
                       "Hospice at Home", "Community pharmacy group"]

FIRST_NAMES = ["Aisha", "Ben", "Chloe", "Daniel", "Efua", "Farah", "George", "Hannah", "Imran", "Jess", "Kieran",
               "Laura", "Mohammed", "Niamh", "Oliver", "Priya", "Rhys", "Sophie", "Tariq", "Uma", "Victoria", "Wei",
               "Yusuf", "Zara", "Callum", "Grace", "Hamza", "Isla", "Joseph", "Leah"]
LAST_NAMES = ["Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal", "Jones",
              "Khan", "Lewis", "Morris", "Nowak", "Okafor", "Patel", "Quinn", "Roberts", "Singh", "Taylor",
              "Walker", "Wright", "Young", "Zhang", "Murphy", "Kaur", "Mensah", "Thompson", "Ali", "Clarke"]

KIND_WEIGHTS = {"new_idea": 25, "adopt_proven": 18, "problem": 15, "evaluation": 10, "funding": 10,
                "procurement": 5, "information_governance": 5, "digital": 6, "ppie": 2, "project_management": 4}
STAGE_BY_KIND = {
    "new_idea": {"idea": 60, "developing": 30, "piloted": 10},
    "adopt_proven": {"proven_elsewhere": 80, "in_use_here": 10, "piloted": 10},
    "problem": {"idea": 70, "developing": 20, "piloted": 10},
}
STAGE_WEIGHTS = {"idea": 15, "developing": 25, "piloted": 30, "in_use_here": 20, "proven_elsewhere": 10}
# Working days to the first response, and from review to decision.
FIRST_RESPONSE_DAYS = ([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15], [10, 22, 20, 14, 10, 8, 5, 4, 3, 2, 1, 1])
DECISION_DAYS = ([1, 2, 3, 5, 8, 10, 15, 20, 30, 45], [6, 10, 14, 18, 16, 12, 10, 7, 5, 2])
QUESTIONS = ["Which organisations are already involved, and who is your executive sponsor?",
             "Will the innovation process any patient data? If so, what and where?",
             "What evidence do you have from the pilot, and can you share the evaluation?",
             "Roughly how much would it cost to roll out, and is there a budget holder?"]
ANSWERS = ["Our medical director sponsors it, with the ICB digital team.",
           "It uses NHS numbers and observations, stored in a UK data centre.",
           "Attached is the pilot report; admissions fell by a fifth over three months.",
           "About £40,000 in the first year; the division has agreed to hold the budget."]
REASONS = {
    "signposted_only": "Signposted to the regional Health Innovation Network and relevant resources.",
    "not_progressed": "Not a current system priority; the submitter may come back with more evidence.",
    "withdrawn": "The submitter withdrew the inquiry after changing role.",
    "progressing_elsewhere": "Progressing with the academic partner's support.",
    "adopted": "Adopted across the service after a successful evaluation.",
}
# The partners' answers to a referral (Referral.DeclineReason / Outcome), with the details they type.
DECLINES = {
    "no_capacity": "Our team is fully committed until next quarter; please come back to us then.",
    "out_of_scope": "We support digital health technology evaluations, not service redesign of this kind.",
    "better_elsewhere": "The regional Health Innovation Network runs a programme for exactly this.",
    "not_eligible": "Our funding is for organisations in the voluntary sector only.",
}
COMPLETIONS = {
    "support_given": "We ran two workshops with the team and shared an evaluation framework.",
    "ongoing": "We agreed a six-month project with a named lead on each side.",
    "funding_bid": "We co-wrote a bid to the regional innovation fund, submitted last month.",
    "signposted": "We put them in touch with the national programme that covers this.",
}
CLOSED_AT_DECISION = {"signposted_only": 50, "not_progressed": 32, "withdrawn": 18}
# Routed, but no partner took it on: the hub closes it weeks later.
CLOSED_UNTAKEN = {"signposted_only": 40, "progressing_elsewhere": 20, "not_progressed": 25, "withdrawn": 15}
CLOSED_AFTER_SUPPORT = {"adopted": 45, "progressing_elsewhere": 25, "not_progressed": 30}


def _batched(items, size):
    # itertools.batched arrives in Python 3.12; we run 3.11.
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- Time ------------------------------------------------------------------------------------------

def _sent_at(rng, now):
    """A moment in the last 18 months, busier lately, mostly on weekdays in office hours."""
    days_ago = rng.uniform(0, DAYS_BACK) if rng.random() < 0.5 else rng.triangular(0, DAYS_BACK, 0)
    day = london_date(now - dt.timedelta(days=days_ago))
    if day.weekday() >= 5 and rng.random() < 0.85:
        day -= dt.timedelta(days=day.weekday() - 4)  # the Friday before
    moment = _office_time(rng, day)
    return min(moment, now - dt.timedelta(minutes=rng.randint(5, 600)))


def _office_time(rng, day):
    return dt.datetime.combine(day, dt.time(8, 0), tzinfo=LONDON) + dt.timedelta(minutes=rng.randint(30, 570))


def _after(rng, moment, day):
    """A moment on `day` (London) later than `moment`: in office hours, or soon after on the same day."""
    if day <= london_date(moment):
        return moment + dt.timedelta(minutes=rng.randint(20, 240))
    return _office_time(rng, day)


# --- One inquiry's story --------------------------------------------------------------------------

class _Story:
    """An inquiry's fields and the timeline that led to them, up to `now`."""

    def __init__(self, now):
        self.now = now
        self.fields = {"status": Inquiry.Status.SUBMITTED, "first_response_at": None, "decided_at": None,
                       "closed_at": None, "outcome": "", "outcome_reason": "", "assignee": None, "version": 0}
        self.events = []  # (kind, actor, when, description, visible)
        self.requests = []  # (requested_by, question, requested_at, answer, answered_at)
        self.referrals = []  # Referral field values, without the inquiry

    def happened(self, when):
        return when <= self.now

    def event(self, kind, actor, when, description="", visible=True, staff=True):
        self.events.append((kind, actor, when, description, visible))
        if staff:
            self.fields["version"] += 1

    def close(self, rng, when, outcomes, actor):
        outcome = _pick(rng, outcomes)
        self.fields.update(status=Inquiry.Status.CLOSED, closed_at=when, outcome=outcome,
                           outcome_reason=REASONS[outcome])
        self.event(InquiryEvent.Kind.CLOSED, actor, when, Inquiry.Outcome(outcome).label)
        # Closing the inquiry closes its open referrals (signposting/lifecycle.py), at the same moment.
        reason = (Referral.CloseReason.INQUIRY_WITHDRAWN if outcome == Inquiry.Outcome.WITHDRAWN
                  else Referral.CloseReason.INQUIRY_CLOSED)
        for referral in self.referrals:
            if referral["status"] in Referral.OPEN_STATUSES:
                referral.update(status=Referral.Status.CLOSED, closed_at=when, close_reason=reason)
                self.event(InquiryEvent.Kind.REFERRAL_CLOSED, actor, when,
                           f"{referral['partner'].name}: {reason.label}", staff=False)

    def refer(self, rng, partners, staff, when):
        """Referrals to one to three of the hub's partners, as the routing decision sends them."""
        chosen = rng.sample(partners, min(len(partners), rng.choice([1, 1, 2, 2, 3])))
        for partner in chosen:
            self.referrals.append({
                "partner": partner, "status": Referral.Status.SENT, "sent_by": staff, "sent_at": when,
                "message": "We think you could help with this; the submitter has agreed we share it.",
            })
        return chosen

    def respond(self, rng, referral, until, *, must_accept_by=None):
        """The partner's answer, as far as it got by `until`: viewed, then accepted or declined.

        Returns when it was accepted (None if not). With `must_accept_by` it is accepted before then.
        """
        K, R = InquiryEvent.Kind, Referral.Status
        partner, contacts = referral["partner"], referral["partner"].demo_contacts
        contact = rng.choice(contacts) if contacts else None
        who = f"{partner.name} ({contact.name})" if contact else partner.name
        start = referral["sent_at"]
        viewed_at = start + dt.timedelta(hours=rng.randint(1, 24 * 5))
        answered_at = viewed_at + dt.timedelta(hours=rng.randint(1, 24 * 10))
        if must_accept_by is not None:
            span = (must_accept_by - start) / 3
            viewed_at, answered_at = start + span, start + 2 * span
        if viewed_at > until or (must_accept_by is None and rng.random() < 0.2):
            return None  # not opened yet
        referral.update(status=R.VIEWED, viewed_at=viewed_at)
        self.event(K.REFERRAL_VIEWED, None, viewed_at, who, visible=False, staff=False)
        if answered_at > until or (must_accept_by is None and rng.random() < 0.25):
            return None  # opened, not answered yet
        if must_accept_by is None and rng.random() < 0.45:
            reason = rng.choice(list(DECLINES))
            referral.update(status=R.DECLINED, declined_at=answered_at, declined_by=contact, decline_reason=reason,
                            decline_details=DECLINES[reason])
            self.event(K.REFERRAL_DECLINED, None, answered_at,
                       f"{who}: {Referral.DeclineReason(reason).label}", visible=False, staff=False)
            return None
        referral.update(status=R.ACCEPTED, accepted_at=answered_at, accepted_by=contact)
        self.event(K.REFERRAL_ACCEPTED, None, answered_at, f"{partner.name} will help you", staff=False)
        return answered_at

    def complete(self, rng, referral, when):
        outcome = rng.choice(list(COMPLETIONS))
        contact = referral.get("accepted_by")
        referral.update(status=Referral.Status.COMPLETED, completed_at=when, completed_by=contact,
                        outcome=outcome, outcome_details=COMPLETIONS[outcome])
        self.event(InquiryEvent.Kind.REFERRAL_COMPLETED, None, when,
                   f"{referral['partner'].name}: {Referral.Outcome(outcome).label}", staff=False)


def _story(rng, *, now, hub, sent_at, submitter, team, partners=()):
    story = _Story(now)
    S, K = Inquiry.Status, InquiryEvent.Kind
    lead = team[0]
    staff = rng.choice(team)
    story.event(K.CREATED, submitter, sent_at - dt.timedelta(minutes=rng.randint(10, 60 * 72)), staff=False)
    story.event(K.SUBMITTED, submitter, sent_at, f"Sent to {hub.name}", staff=False)

    assigned_at = _after(rng, sent_at, add_working_days(sent_at, rng.choice([0, 0, 1, 1, 2])))
    if story.happened(assigned_at) and rng.random() < 0.85:
        story.fields["assignee"] = staff
        story.event(K.ASSIGNED, lead, assigned_at, f"Assigned to {staff.get_full_name()}", visible=False)

    if now - sent_at < dt.timedelta(days=BACKLOG_DAYS) and rng.random() < BACKLOG_SHARE:
        return story  # a recent one still waiting: the backlog every hub has, some of it overdue
    first_at = _after(rng, sent_at, add_working_days(sent_at, rng.choices(*FIRST_RESPONSE_DAYS)[0]))
    first_at = max(first_at, assigned_at) if story.fields["assignee"] else first_at
    if not story.happened(first_at):
        return story
    story.fields["first_response_at"] = first_at
    if rng.random() < 0.22:
        question = rng.randrange(len(QUESTIONS))
        story.fields["status"] = S.AWAITING_INFO
        story.event(K.INFO_REQUESTED, staff, first_at)
        answered_at = _after(rng, first_at, london_date(first_at) + dt.timedelta(days=rng.randint(1, 21)))
        if not story.happened(answered_at):
            story.requests.append((staff, QUESTIONS[question], first_at, "", None))
            return story
        story.requests.append((staff, QUESTIONS[question], first_at, ANSWERS[question], answered_at))
        story.fields["status"] = S.IN_REVIEW
        story.event(K.INFO_RECEIVED, submitter, answered_at, staff=False)
        review_from = answered_at
    else:
        story.fields["status"] = S.IN_REVIEW
        story.event(K.REVIEW_STARTED, staff, first_at)
        review_from = first_at

    decided_at = _after(rng, review_from, add_working_days(review_from, rng.choices(*DECISION_DAYS)[0]))
    if not story.happened(decided_at):
        return story
    story.fields["decided_at"] = decided_at
    # Support comes through partners: an inquiry is routed, and is in support once a partner accepts
    # (signposting.services.referral_accept). A hub with no partners closes what it decides.
    decision = _pick(rng, {"routed": 55, "closed": 45}) if partners else "closed"
    if decision == "closed":
        story.close(rng, decided_at, CLOSED_AT_DECISION, staff)
        return story
    story.fields["status"] = S.ROUTED
    chosen = story.refer(rng, partners, staff, decided_at)
    story.event(K.ROUTED, staff, decided_at, "Referred to " + ", ".join(p.name for p in chosen))
    # The hub closes an inquiry no partner took on, some weeks later (if that has happened by now).
    hub_closes_at = decided_at + dt.timedelta(days=rng.randint(20, 120), minutes=rng.randint(0, 300))
    until = min(now, hub_closes_at)
    goes_to_support = rng.random() < 0.6
    accepted = []
    for n, referral in enumerate(story.referrals):
        # The first partner takes it on in those that go to support; the others answer as they will.
        accept_by = (decided_at + dt.timedelta(days=rng.randint(2, 15))) if goes_to_support and n == 0 else None
        if accept_by is not None and not story.happened(accept_by):
            accept_by = None
        at = story.respond(rng, referral, until, must_accept_by=accept_by)
        if at is not None:
            accepted.append((at, referral))
    if not accepted:
        if story.happened(hub_closes_at):
            story.close(rng, hub_closes_at, CLOSED_UNTAKEN, staff)
        return story
    support_from = min(at for at, _ in accepted)
    story.fields["status"] = S.IN_SUPPORT
    story.event(K.SUPPORT_STARTED, None, support_from)  # by the acceptance, not a person
    closed_at = support_from + dt.timedelta(days=rng.randint(30, 240), minutes=rng.randint(0, 300))
    for at, referral in accepted:
        done_at = at + (closed_at - at) * rng.uniform(0.5, 0.95)
        if story.happened(done_at) and rng.random() < 0.75:
            story.complete(rng, referral, done_at)
    if story.happened(closed_at):
        story.close(rng, closed_at, CLOSED_AFTER_SUPPORT, staff)
    return story


def _title(rng, innovation, context, places):
    lower = innovation[0].lower() + innovation[1:]
    place = rng.choice(places) if places else "our area"
    shape = rng.randrange(5)
    if shape == 0:
        return f"{innovation} {context}"
    if shape == 1:
        return f"{innovation} {context} in {place}"
    if shape == 2:
        return f"{rng.choice(TITLE_VERBS)} {lower} {context}"
    if shape == 3:
        return f"{innovation} {context}: {rng.choice(TITLE_AIMS)}"
    return f"{rng.choice(TITLE_VERBS)} {lower} in {place}"


def _answers(rng, organisations, places=()):
    innovation, innovation_type, innovation_themes = rng.choice(INNOVATIONS)
    fitting = [c for c in CONTEXTS if set(c[2]) & set(innovation_themes)]
    context, service, _ = rng.choice(fitting if fitting and rng.random() < 0.9 else CONTEXTS)
    kind = _pick(rng, KIND_WEIGHTS)
    stage = _pick(rng, STAGE_BY_KIND.get(kind, STAGE_WEIGHTS))
    words = {"context": context, "service": service, "innovation": innovation,
             "innovation_lower": innovation[0].lower() + innovation[1:]}
    problem = " ".join(t.format(**words) for t in rng.sample(PROBLEMS, 2))
    proposal = " ".join(t.format(**words) for t in rng.sample(PROPOSALS, 2))
    themes = list(innovation_themes[:rng.randint(1, len(innovation_themes))])
    if rng.random() < 0.3:
        extra = rng.choice(Theme.values)
        themes += [extra] if extra not in themes else []
    support = [kind] if kind in SupportNeed.values else []
    for need in rng.sample(SupportNeed.values, rng.randint(1, 3)):
        if need not in support and len(support) < 3:
            support.append(need)
    organisation = (rng.choice(organisations) if organisations and rng.random() < 0.85
                    else rng.choice(OTHER_ORGANISATIONS))
    return {
        "kind_of_help": kind, "title": _title(rng, innovation, context, places)[:120], "problem": problem,
        "proposed_innovation": proposal, "who_benefits": rng.choice(BENEFITS), "innovation_type": innovation_type,
        "stage": stage, "evidence": rng.choice(EVIDENCE[stage]), "support_needed": support, "themes": themes,
        "organisation": organisation, "role": rng.choice(ROLES),
        "phone": f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.3 else "",
        "consent_share_with_partners": rng.random() < 0.85, "consent_contact": True,
    }


# --- People ----------------------------------------------------------------------------------------

def _ensure_users(specs):
    """Users by email (created without a usable password if missing), in the order given."""
    User.objects.bulk_create(
        [User(email=email, full_name=name, password=make_password(None)) for email, name in specs],
        batch_size=BATCH_SIZE, ignore_conflicts=True)
    by_email = {u.email: u for u in User.objects.filter(email__in=[email for email, _ in specs])}
    return [by_email[email] for email, _ in specs]


def _ensure_teams(hubs):
    """Each hub's members, lead first: the existing members plus TEAM_SIZE seeded team members."""
    specs = {hub.pk: [(f"team{n}.{hub.code.lower()}@example.nhs.uk",
                       f"{FIRST_NAMES[(n * 11 + hub.pk) % len(FIRST_NAMES)]} "
                       f"{LAST_NAMES[(n * 7 + hub.pk * 3) % len(LAST_NAMES)]}")
                      for n in range(1, TEAM_SIZE + 1)] for hub in hubs}
    users = _ensure_users([spec for hub_specs in specs.values() for spec in hub_specs])
    members = iter(users)
    HubMembership.objects.bulk_create(
        [HubMembership(hub=hub, user=next(members), role=HubMembership.Role.MEMBER)
         for hub in hubs for _ in specs[hub.pk]], ignore_conflicts=True)
    teams = {hub.pk: [] for hub in hubs}
    for membership in (HubMembership.objects.filter(hub__in=hubs).select_related("user")
                       .order_by("hub", "role", "created_at", "pk")):
        # "lead" sorts before "member": leads first.
        teams[membership.hub_id].append(membership.user)
    return teams


def _submitters(count):
    specs = []
    for i in range(count):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7 + i // 30) % len(LAST_NAMES)]
        specs.append((f"{first}.{last}.{i:03d}@nhs.net".lower(), f"{first} {last}"))
    return _ensure_users(specs)


# --- References ------------------------------------------------------------------------------------

def _highest_reference(hub, year):
    prefix = f"{hub.code}-{year}-"
    highest = (Inquiry.objects.filter(reference__startswith=prefix)
               .order_by(Length("reference").desc(), "-reference").values_list("reference", flat=True).first())
    return int(highest[len(prefix):]) if highest and highest[len(prefix):].isdigit() else 0


@transaction.atomic
def _reserve_references(wanted):
    """Reserve `n` numbers for each (hub, year) -> the first number reserved.

    The counter rows are locked until this short transaction commits, so a submission meanwhile
    waits a moment and then takes the number after our block, never one inside it.
    """
    first = {}
    for (hub, year), n in sorted(wanted.items(), key=lambda item: (item[0][0].code, item[0][1])):
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(hub=hub, year=year)
        # Never below a reference already given (rows loaded without their counter, say).
        start = max(counter.last_number, _highest_reference(hub, year))
        counter.last_number = start + n
        counter.save(update_fields=["last_number"])
        first[(hub, year)] = start + 1
    return first


@contextmanager
def _keeping_updated_at():
    """bulk_create calls pre_save, which would stamp every row's auto_now `updated_at` with now;
    seeded rows carry the time of their last event instead."""
    fields = [model._meta.get_field("updated_at") for model in (Inquiry, Referral)]
    for field in fields:
        field.auto_now = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now = True


def _hub_partners(hubs):
    """Each hub's active partners (its own and those serving every hub), each with its contacts."""
    partners = list(Partner.objects.filter(is_active=True).prefetch_related("contacts", "hubs").order_by("pk"))
    for partner in partners:
        partner.demo_contacts = [c for c in partner.contacts.all() if c.receives_referrals] or list(
            partner.contacts.all())
    return {hub.pk: [p for p in partners if p.serves_all_hubs or any(h.pk == hub.pk for h in p.hubs.all())]
            for hub in hubs}


# --- The whole run ---------------------------------------------------------------------------------

def seed_demo(*, inquiries, hubs=None, hub_code=None, seed=1, now=None, batch_size=BATCH_SIZE, progress=None):
    """Create `inquiries` sent inquiries with their people, timelines and questions. Returns counts."""
    rng = random.Random(seed)
    now = now or timezone.now()
    hubs_wanted = hubs  # BENCH PASS-THROUGH (see below)
    if not Hub.objects.exists():
        call_command("load_demo", stdout=io.StringIO())
    hubs = list(Hub.objects.filter(is_active=True).order_by("code"))
    if hub_code:
        hubs = [hub for hub in hubs if hub.code == hub_code.upper()]
        if not hubs:
            raise CommandError(f"There is no active hub with the code {hub_code!r}")
    # BENCH PASS-THROUGH (issue 13, branch bench): `hubs=N` spreads over the first N active hubs. The
    # seed helper's version of seed_demo replaces this with one that also creates bench hubs.
    if hubs_wanted:
        if len(hubs) < hubs_wanted:
            raise CommandError(f"Only {len(hubs)} active hubs exist, not {hubs_wanted}")
        hubs = hubs[:hubs_wanted]
    if not hubs:
        raise CommandError("There are no active hubs to seed")

    teams = _ensure_teams(hubs)
    submitters = _submitters(max(1, min(MAX_SUBMITTERS, inquiries // 5)))
    partners = _hub_partners(hubs)
    organisations = {hub.pk: [] for hub in hubs}
    for hub_id, name in HubOrganisation.objects.filter(hub__in=hubs).values_list("hub_id", "name"):
        organisations[hub_id].append(name)

    # Where and when first, in date order, so each hub's references rise with time.
    plan = sorted(((_sent_at(rng, now), rng.choice(hubs)) for _ in range(inquiries)), key=lambda p: p[0])
    wanted = Counter((hub, london_date(sent_at).year) for sent_at, hub in plan)
    next_number = _reserve_references(wanted)

    counts = Counter()
    with transaction.atomic(), _keeping_updated_at():
        for batch in _batched(plan, batch_size):
            rows, events, requests, referrals = [], [], [], []
            for sent_at, hub in batch:
                year = london_date(sent_at).year
                number, next_number[(hub, year)] = next_number[(hub, year)], next_number[(hub, year)] + 1
                submitter = rng.choice(submitters)
                story = _story(rng, now=now, hub=hub, sent_at=sent_at, submitter=submitter, team=teams[hub.pk],
                               partners=partners[hub.pk])
                created_at = story.events[0][2]
                inquiry = Inquiry(
                    reference=f"{hub.code}-{year}-{number:05d}", hub=hub, submitter=submitter,
                    contact_name=submitter.full_name, created_at=created_at, submitted_at=sent_at,
                    updated_at=max(when for _, _, when, _, _ in story.events),
                    triage_due_on=add_working_days(sent_at, hub.triage_target_working_days),
                    **_answers(rng, organisations[hub.pk], PLACES.get(hub.code, ())), **story.fields)
                rows.append(inquiry)
                events += [InquiryEvent(inquiry=inquiry, kind=kind, actor=actor, created_at=when,
                                        description=description, is_visible_to_submitter=visible)
                           for kind, actor, when, description, visible in story.events]
                requests += [InformationRequest(inquiry=inquiry, requested_by=by, question=question,
                                                requested_at=asked, answer=answer, answered_at=answered)
                             for by, question, asked, answer, answered in story.requests]
                referrals += [Referral(inquiry=inquiry, updated_at=max(v for k, v in fields.items() if k.endswith("_at")),
                                       **fields) for fields in story.referrals]
                counts[inquiry.status] += 1
            Inquiry.objects.bulk_create(rows, batch_size=batch_size)
            InquiryEvent.objects.bulk_create(events, batch_size=batch_size)
            InformationRequest.objects.bulk_create(requests, batch_size=batch_size)
            Referral.objects.bulk_create(referrals, batch_size=batch_size)
            counts["events"] += len(events)
            counts["referrals"] += len(referrals)
            counts["information requests"] += len(requests)
            if progress:
                progress(sum(counts[s] for s in Inquiry.OPEN_STATUSES + ("closed",)))

    # Cases in support: stages, gate decisions, milestones, benefits with actuals and surveys (issue 11).
    with transaction.atomic():
        counts.update(seed_adoption(rng=rng, now=now, hubs=hubs, batch_size=batch_size))

    if connection.vendor == "postgresql":
        # One UPDATE for every missing search document. Then VACUUM ANALYZE: fresh planner statistics,
        # and the visibility map that lets covering indexes answer without visiting the rows
        # (autovacuum would get there too, but not before the first pages are asked for).
        Inquiry.objects.filter(search_vector__isnull=True).exclude(status=Inquiry.Status.DRAFT).update(
            search_vector=SEARCH_DOCUMENT)
        # VACUUM cannot run inside a transaction (a test's, say); ANALYZE alone can.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for table in ("intake_inquiry", "intake_inquiryevent", "intake_informationrequest", "hubportal_user",
                          "signposting_referral"):
                cursor.execute(f"{command} {table}")  # noqa: S608 - fixed words and table names
    counts["submitters"] = len(submitters)
    return counts


class Command(BaseCommand):
    help = "Create realistic demo inquiries in bulk across the hubs (100,000 take a few minutes on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--inquiries", type=int, default=1000, help="How many inquiries to create")
        parser.add_argument("--hub", help="Only this hub (its three-letter code, e.g. DOR)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, inquiries, hub, seed, batch_size, verbosity, **options):
        if inquiries < 1:
            raise CommandError("--inquiries must be at least 1")
        started = time.monotonic()

        def progress(done):
            if verbosity >= 2 or (verbosity >= 1 and done % (batch_size * 10) == 0):
                self.stdout.write(f"  {done:,} of {inquiries:,} inquiries ({time.monotonic() - started:.0f} s)")

        counts = seed_demo(inquiries=inquiries, hub_code=hub, seed=seed, batch_size=batch_size, progress=progress)
        statuses = ", ".join(f"{Inquiry.Status(s).label.lower()} {counts[s]:,}"
                             for s in (*Inquiry.OPEN_STATUSES, "closed"))
        self.stdout.write(self.style.SUCCESS(
            f"Created {inquiries:,} inquiries ({statuses}), {counts['events']:,} timeline events and "
            f"{counts['information requests']:,} information requests, {counts['referrals']:,} referrals "
            f"from {counts['submitters']:,} submitters, "
            f"{counts['cases']:,} cases in support with {counts['milestones']:,} milestones, "
            f"{counts['benefit actuals']:,} benefit actuals and {counts['surveys']:,} surveys "
            f"in {time.monotonic() - started:.1f} s."))
