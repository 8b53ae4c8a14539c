"""Reads for signposting's pages and for intake's: instant signposting, the triage panel, referral lists.

Each is scoped to who is asking, and issues a fixed number of queries whatever the data size.
"""

from dataclasses import dataclass, field
from typing import cast

from django import forms
from django.db.models import Count, Prefetch, Q, Sum, prefetch_related_objects
from django.db.models.fields.mixins import FieldCacheMixin
from django.shortcuts import get_object_or_404
from django.urls import reverse

from hubportal import sqlcache
from intake.models import Inquiry
from partners.models import Partner, PartnerContact
from partners.selectors import partner_choices_for_hub

from . import lifecycle
from .matcher import inquiry_match
from .models import Referral, ReferralProgress, ReferralQuestion

INSTANT_RESOURCES = 5
INSTANT_PARTNER_KINDS = 3
PANEL_SUGGESTIONS = 8
# The send form's field names start "referral-", so they never clash with intake's forms on the same page.
SEND_FORM_PREFIX = "referral"


# --- Instant signposting: for the submitter, on the confirmation page and in the acknowledgement ----

@dataclass(frozen=True)
class SignpostedResource:
    title: str
    url: str
    kind: str
    why: str


@dataclass
class InstantSignposting:
    resources: list = field(default_factory=list)
    partner_kinds: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.resources or self.partner_kinds)

    def for_email(self):
        """Plain data for an email's context (JSON-serialisable): [{"title", "url"}]."""
        return [{"title": r.title, "url": r.url} for r in self.resources]


def _why(match):
    # The first tag reason reads best to a submitter; hub rules are the hub's business, not theirs.
    tag_reasons = [r for r in match.reasons if not r.startswith("Hub rule:")]
    return tag_reasons[0] if tag_reasons else "Recommended by your innovation hub"


def instant_signposting(*, inquiry):
    """Resources the submitter can use today and the kinds of partner that usually help with inquiries
    like theirs (kinds, not names: which partner to involve is the hub's decision)."""
    result = inquiry_match(inquiry=inquiry, partner_limit=None, resource_limit=INSTANT_RESOURCES)
    kinds = []
    for match in result.partners:
        if match.kind_plural not in kinds:
            kinds.append(match.kind_plural)
    return InstantSignposting(
        resources=[SignpostedResource(r.title, r.url, r.kind_label, _why(r)) for r in result.resources],
        partner_kinds=kinds[:INSTANT_PARTNER_KINDS],
    )


def instant_signposting_for_email(*, inquiry):
    """[{"title", "url"}] for the acknowledgement email's context."""
    return instant_signposting(inquiry=inquiry).for_email()


# --- The triage panel: for hub staff, on intake's staff inquiry page ------------------------------

@dataclass
class Suggestion:
    match: object  # matcher.PartnerMatch
    open_referral: object = None  # the open Referral to this partner, if there is one
    input_id: str = ""  # the id of its checkbox in the send form

    @property
    def can_send(self):
        return self.open_referral is None


@dataclass
class TriagePanel:
    inquiry: object
    can_refer: bool
    refusal: str
    suggestions: list
    resources: list
    excluded: list
    referrals: list
    form: forms.Form | None
    send_url: str

    @property
    def has_sendable_suggestions(self):
        return any(s.can_send for s in self.suggestions)

    @property
    def selected_ids(self):
        """Public ids (as text) of the suggestions ticked in a form sent back with errors."""
        if self.form is None or not self.form.is_bound:
            return []
        return self.form["partners"].value() or []


def _refusal(inquiry):
    """Why this inquiry cannot be referred now, in words for hub staff; "" when it can."""
    if inquiry.consent_share_with_partners is not True:
        return ("The submitter did not agree to share their inquiry with partner organisations. You can "
                "still point them to resources, but you cannot refer it.")
    if inquiry.status == Inquiry.Status.AWAITING_INFO:
        return "You asked the submitter for information. Refer the inquiry once they have answered."
    if inquiry.status in (Inquiry.Status.CLOSED, Inquiry.Status.DRAFT):
        return f"This inquiry is {inquiry.get_status_display().lower()}, so it cannot be referred."
    return ""


_CONTACT_FIELDS = ("accepted_by", "declined_by", "completed_by", "handed_back_by")


def referrals_for_inquiry(inquiry):
    """The inquiry's referrals with their partner, the contacts who answered, what each was re-routed
    from and to, questions and progress updates: at most four queries, none when it has none.

    The contacts come in one query of their own and the re-routes from the list itself (a referral is
    only ever re-routed to another of the same inquiry). One query joining all nine tables cost more
    to plan than to run: 3.8 ms of PostgreSQL's time for an inquiry with no referral at all."""
    # The case page's: its SQL compiled once per inquiry in a process (hubportal.sqlcache).
    referrals = sqlcache.kept_rows(
        ("referrals_for_inquiry", Referral.objects.db, inquiry.pk),
        lambda: Referral.objects.filter(inquiry=inquiry).select_related("partner").order_by("sent_at", "pk"))
    prefetch_related_objects(referrals, Prefetch("questions", queryset=ReferralQuestion.objects.order_by("asked_at")),
                             "progress_updates")
    contact_ids = {getattr(r, f"{name}_id") for r in referrals for name in _CONTACT_FIELDS} - {None}
    contacts = PartnerContact.objects.in_bulk(contact_ids) if contact_ids else {}
    by_pk = {r.pk: r for r in referrals}
    # Filled as select_related would have: each relation's cache holds the object, or None for none.
    caches = {name: cast(FieldCacheMixin, Referral._meta.get_field(name))
              for name in (*_CONTACT_FIELDS, "rerouted_from", "rerouted_to")}
    rerouted_to = {r.rerouted_from_id: r for r in referrals if r.rerouted_from_id}
    for referral in referrals:
        for name in _CONTACT_FIELDS:
            contact_id = getattr(referral, f"{name}_id")
            if contact_id is None or contact_id in contacts:
                caches[name].set_cached_value(referral, contacts.get(contact_id) if contact_id else None)
        from_id = referral.rerouted_from_id
        if from_id is None or from_id in by_pk:
            caches["rerouted_from"].set_cached_value(referral, by_pk.get(from_id) if from_id else None)
        caches["rerouted_to"].set_cached_value(referral, rerouted_to.get(referral.pk))
    return referrals


def triage_panel(*, inquiry, membership, form=None):
    """Context for templates/signposting/_triage_panel.html (as `panel`): suggested partners with their
    reasons, a form to send one or several referrals with a message, the referrals made and their
    state, and re-route links for declined ones. Offers no send without the submitter's consent."""
    from .forms import ReferralSendForm

    if inquiry.hub_id != membership.hub_id:
        raise PermissionError("The inquiry belongs to another hub")
    refusal = _refusal(inquiry)
    result = inquiry_match(inquiry=inquiry, partner_limit=PANEL_SUGGESTIONS, resource_limit=5)
    referrals = referrals_for_inquiry(inquiry)
    for referral in referrals:
        referral.inquiry = inquiry  # no query per row
        # What the staff may do with each: from the lifecycle, so the template repeats no rule.
        referral.hub_actions = lifecycle.referral_hub_actions(referral, can_refer=not refusal)
    open_by_partner = {r.partner_id: r for r in referrals if r.is_open}
    suggestions = [Suggestion(m, open_by_partner.get(m.partner_id)) for m in result.partners]
    # Checkbox ids as Django would number them, so the error summary's link lands on the first one.
    for number, suggestion in enumerate(s for s in suggestions if s.can_send):
        suggestion.input_id = f"id_{SEND_FORM_PREFIX}-partners_{number}"
    if form is None and not refusal:
        form = ReferralSendForm(prefix=SEND_FORM_PREFIX, suggestions=suggestions,
                                other_partners=partner_choices_for_hub(inquiry.hub))
    return TriagePanel(
        inquiry=inquiry, can_refer=not refusal, refusal=refusal, suggestions=suggestions,
        resources=result.resources, excluded=result.excluded, referrals=referrals,
        form=form if not refusal else None,
        send_url=reverse("signposting:referral_send", args=[inquiry.hub.slug, inquiry.reference]),
    )


def staff_inquiry_get(*, membership, reference):
    """A sent inquiry of the person's hub, by reference, or 404 (another hub's is indistinguishable)."""
    return get_object_or_404(Inquiry.objects.select_related("hub", "submitter", "assignee")
                             .exclude(status=Inquiry.Status.DRAFT),
                             hub=membership.hub, reference=reference)


def staff_referral_get(*, inquiry, public_id):
    return get_object_or_404(Referral.objects.select_related("partner", "inquiry__hub"), inquiry=inquiry,
                             public_id=public_id)


def hub_referrals(*, hub, status=None):
    referrals = (Referral.objects.filter(inquiry__hub=hub).select_related("partner", "inquiry")
                 .order_by("-sent_at", "-pk"))
    if status:
        referrals = referrals.filter(status=status)
    return referrals


def reroute_choices(*, referral):
    """Partners to re-route a declined referral to: suggestions first (with reasons), then the rest."""
    result = inquiry_match(inquiry=referral.inquiry, partner_limit=PANEL_SUGGESTIONS, resources=False)
    suggested = [m for m in result.partners if m.partner_id != referral.partner_id]
    return suggested, [(pid, name) for pid, name in partner_choices_for_hub(referral.inquiry.hub)
                       if pid != referral.partner.public_id]


# --- The partner's side ------------------------------------------------------------------------------

def referrals_for_partners(*, partner_ids):
    """Referrals to these partners (the signed-in contact's organisations), newest first."""
    return (Referral.objects.filter(partner_id__in=partner_ids)
            .select_related("partner", "inquiry__hub").order_by("-sent_at", "-pk"))


def referral_for_partner(*, public_id, partner_ids):
    """One referral to one of these partners, or 404: another organisation's is indistinguishable from none."""
    return get_object_or_404(
        Referral.objects.select_related("partner", "inquiry__hub", "inquiry__submitter")
        .prefetch_related("questions"),
        public_id=public_id, partner_id__in=partner_ids)


def partner_names(partner_ids):
    return list(Partner.objects.filter(pk__in=partner_ids).order_by("name").values_list("name", flat=True))


# --- The value report's referral figures (issue 11, part B reads these; one query each) ---------------

def report_decline_reasons(*, hub_ids, start, end):
    """Declines and hand-backs in [start, end), by hub and coded reason: [{hub_id, kind, reason, n}]
    with kind "declined" or "handed_back". Two aggregate queries."""
    declined = (Referral.objects.filter(hub_id__in=hub_ids, declined_at__gte=start, declined_at__lt=end)
                .order_by().values("hub_id", "decline_reason").annotate(n=Count("pk")))
    handed = (Referral.objects.filter(hub_id__in=hub_ids, handed_back_at__gte=start, handed_back_at__lt=end)
              .order_by().values("hub_id", "hand_back_reason").annotate(n=Count("pk")))
    rows = [{"hub_id": r["hub_id"], "kind": "declined", "reason": r["decline_reason"], "n": r["n"]}
            for r in declined]
    rows += [{"hub_id": r["hub_id"], "kind": "handed_back", "reason": r["hand_back_reason"],
              "n": r["n"]} for r in handed]
    return sorted(rows, key=lambda r: (r["hub_id"], r["kind"], r["reason"]))


def report_referrals_by_partner(*, hub_ids, start, end):
    """Referrals sent in [start, end), per hub and partner: how many were sent, accepted, declined, handed
    back, and progress updates asked for and given: [{hub_id, partner_id, partner__name, sent,
    accepted, declined, handed_back, progress_asked, progress_given}]. One query."""
    return list(Referral.objects.filter(hub_id__in=hub_ids, sent_at__gte=start, sent_at__lt=end)
                .order_by().values("hub_id", "partner_id", "partner__name")
                .annotate(sent=Count("pk", distinct=True),
                          accepted=Count("pk", distinct=True, filter=Q(accepted_at__isnull=False)),
                          declined=Count("pk", distinct=True, filter=Q(declined_at__isnull=False)),
                          handed_back=Count("pk", distinct=True, filter=Q(handed_back_at__isnull=False)),
                          progress_asked=Count("progress_updates", distinct=True),
                          progress_given=Count("progress_updates", distinct=True,
                                               filter=Q(progress_updates__answered_at__isnull=False)))
                .order_by("hub_id", "partner__name"))


def partner_records(partner_ids):
    """(public_id, name) of the contact's organisations, for the link to suggest changes to each."""
    return list(Partner.objects.filter(pk__in=partner_ids).order_by("name").only("public_id", "name"))


def referrals_to_partner_for_hub(*, partner, hub):
    """The open referrals of the hub's inquiries to this partner (what retiring it must settle)."""
    return (Referral.objects.filter(partner=partner, inquiry__hub=hub, status__in=Referral.OPEN_STATUSES)
            .select_related("inquiry").order_by("sent_at", "pk"))


def report_in_kind(*, hub_ids, start, end):
    """In-kind support partners recorded in progress updates answered in [start, end), per hub and partner:
    [{referral__hub_id, referral__partner__name, updates, hours, value}] (Decimals). One query."""
    given = Q(in_kind_hours__isnull=False) | Q(in_kind_value__isnull=False) | ~Q(in_kind_description="")
    return list(ReferralProgress.objects.filter(given, referral__hub_id__in=hub_ids,
                                                answered_at__gte=start, answered_at__lt=end)
                .order_by().values("referral__hub_id", "referral__partner__name")
                .annotate(updates=Count("pk"), hours=Sum("in_kind_hours"), value=Sum("in_kind_value"))
                .order_by("referral__hub_id", "referral__partner__name"))
