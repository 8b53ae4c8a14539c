"""Where the inquiry's lifecycle and its referrals' lifecycle meet: the one place that says how.

Inquiry:  draft -> submitted -> in_review <-> awaiting_info -> routed -> in_support -> closed
Referral: sent -> viewed -> accepted | declined -> completed (+ closed from any open state)

The rules, read by signposting.services (which enforce them) and by the partner's pages (which only
show what these functions allow):

1. When the inquiry stops being shared (intake.services.inquiry_sharing_ended: it is closed, erased,
   or its submitter withdraws consent), every open referral (sent, viewed, accepted) becomes closed,
   with the reason in ENDS_SHARING; declined, completed and closed referrals stay as they are. Each
   partner affected is emailed once. This happens in the transaction that changed the inquiry.
2. A referral may change only while its inquiry is open. Closing is the exception: it is how rule 1
   ends a referral, and the hub may close one at any time.
3. When the last open referral of a routed inquiry closes, the inquiry goes back to in_review: no
   partner has it, so it is the hub's to decide again (WHEN_LAST_REFERRAL_CLOSES). An inquiry in
   support stays there: the hub may be supporting it itself, and in_support only moves on to closed.
"""

from django.utils import timezone

from intake.models import Inquiry

from .models import Referral

Reason = Referral.CloseReason

# Rule 1: (what happened to the inquiry, its outcome or None for any) -> why its open referrals close.
ENDS_SHARING = {
    ("closed", Inquiry.Outcome.WITHDRAWN): Reason.INQUIRY_WITHDRAWN,
    ("closed", Inquiry.Outcome.DUPLICATE): Reason.INQUIRY_DUPLICATE,
    ("closed", None): Reason.INQUIRY_CLOSED,
    ("erased", None): Reason.INQUIRY_ERASED,
    ("consent_withdrawn", None): Reason.CONSENT_WITHDRAWN,
}

# Rule 2: the inquiry statuses in which a referral may change, and the change allowed in any status.
REFERRALS_CHANGE_WHILE_INQUIRY_IS = frozenset(Inquiry.OPEN_STATUSES)
ALWAYS_ALLOWED = frozenset({Referral.Status.CLOSED})

# Rule 3: inquiry status when its last open referral closes -> the status it moves to.
WHEN_LAST_REFERRAL_CLOSES = {Inquiry.Status.ROUTED: Inquiry.Status.IN_REVIEW}

# The partner's actions on their referral page and the status each leads to ("ask" changes no status,
# and is allowed while the referral is open).
PARTNER_ACTIONS = {
    "accept": Referral.Status.ACCEPTED,
    "decline": Referral.Status.DECLINED,
    "record_outcome": Referral.Status.COMPLETED,
    "hand_back": Referral.Status.HANDED_BACK,
}


def close_reason_for(*, inquiry, event):
    """Why the open referrals of `inquiry` close when `event` happens to it (rule 1)."""
    outcome = inquiry.outcome if event == "closed" else None
    return ENDS_SHARING.get((event, outcome)) or ENDS_SHARING[(event, None)]


def referral_may_become(*, current, to, inquiry_status):
    """Whether a referral that is `current` may become `to` while its inquiry is `inquiry_status` (rule 2)."""
    if to not in Referral.TRANSITIONS[current]:
        return False
    return to in ALWAYS_ALLOWED or inquiry_status in REFERRALS_CHANGE_WHILE_INQUIRY_IS


def referral_may_change(*, inquiry_status):
    """Whether a partner may act on a referral of an inquiry that is `inquiry_status` at all (rule 2)."""
    return inquiry_status in REFERRALS_CHANGE_WHILE_INQUIRY_IS


def inquiry_status_after_last_referral(inquiry_status):
    """What an inquiry becomes when its last open referral closes, or None to stay (rule 3)."""
    return WHEN_LAST_REFERRAL_CLOSES.get(inquiry_status)


def referral_partner_actions(referral):
    """The actions the partner's page may offer now: a subset of PARTNER_ACTIONS' names and "ask".

    Opening a sent referral marks it viewed first, so a sent referral offers what a viewed one does.
    """
    if not referral_may_change(inquiry_status=referral.inquiry.status):
        return frozenset()
    seen_as = Referral.Status.VIEWED if referral.status == Referral.Status.SENT else referral.status
    actions = {name for name, to in PARTNER_ACTIONS.items()
               if referral_may_become(current=seen_as, to=to, inquiry_status=referral.inquiry.status)}
    if referral.is_open:
        actions.add("ask")
    if referral.status == Referral.Status.ACCEPTED:
        actions.add("progress")  # a progress update changes no status
    return frozenset(actions)


def inquiry_closed_notice(inquiry):
    """What the partner is told instead of buttons when the inquiry is closed, or None while it is open.
    The coded reason only: the hub's own words about why may name people."""
    if inquiry.status != Inquiry.Status.CLOSED:
        return None
    reason = close_reason_for(inquiry=inquiry, event="closed").label
    return f"This inquiry was closed by the hub on {timezone.localtime(inquiry.closed_at):%-d %B %Y}: {reason[0].lower()}{reason[1:]}"


def referral_hub_actions(referral, *, can_refer):
    """The hub staff's actions on one referral in the triage panel: "reroute" (a declined referral not
    re-routed yet, while the inquiry may still be referred; a handed-back one likewise) and "close" (while the table lets it close)."""
    actions = set()
    if referral.status in Referral.REROUTABLE_STATUSES and not hasattr(referral, "rerouted_to") and can_refer:
        actions.add("reroute")
    if referral_may_become(current=referral.status, to=Referral.Status.CLOSED,
                           inquiry_status=referral.inquiry.status):
        actions.add("close")
    return frozenset(actions)
