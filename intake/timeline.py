"""The timeline of an inquiry, worded for whoever reads it.

One InquiryEvent row is one thing that happened. Staff read who did it by name ("Priya Shah answered
the hub's question"); the submitter reads "You answered the hub's question", and sees the hub, not
the names of its staff, for what the hub did. The wording lives here, once, rather than in two
templates that drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import InquiryEvent

K = InquiryEvent.Kind

# kind -> (staff wording, submitter wording). {actor} is the person who acted: a name for staff, "You"
# or the hub's name for the submitter. {detail} is the event's description; None means the description
# is shown under the sentence instead.
WORDING: dict[str, tuple[str, str]] = {
    K.CREATED: ("{actor} started a draft", "{actor} started a draft"),
    K.SUBMITTED: ("{actor} sent the inquiry to the hub", "{actor} sent your inquiry to the hub"),
    K.ATTACHMENT_ADDED: ("{actor} attached {detail}", "{actor} attached {detail}"),
    K.ATTACHMENT_REMOVED: ("{actor} removed the attachment {detail}", "{actor} removed the attachment {detail}"),
    K.STATUS_CHANGED: ("The status changed", "The status of your inquiry changed"),
    K.REVIEW_STARTED: ("{actor} started reviewing the inquiry", "{actor} started reviewing your inquiry"),
    K.ASSIGNED: ("{actor} assigned the inquiry", "{actor} assigned your inquiry"),
    K.NOTE_ADDED: ("{actor} added an internal note", "{actor} added a note"),
    K.ASSESSED: ("{actor} assessed the inquiry against the checklist", "{actor} assessed your inquiry"),
    K.INFO_REQUESTED: ("{actor} asked the submitter a question", "{actor} asked you for more information"),
    K.INFO_RECEIVED: ("{actor} answered the hub's question", "{actor} answered the hub's question"),
    K.ROUTED: ("{actor} referred the inquiry to partner organisations",
               "{actor} referred your inquiry to partner organisations"),
    K.SUPPORT_STARTED: ("Support started", "Support started"),
    K.PARKED: ("{actor} parked the inquiry", "{actor} parked your inquiry"),
    K.UNPARKED: ("The inquiry came back from parking", "Your inquiry came back from parking"),
    K.MARKED_DUPLICATE: ("{actor} closed the inquiry as a duplicate", "{actor} closed your inquiry as a duplicate"),
    K.CLOSED: ("{actor} closed the inquiry", "{actor} closed your inquiry"),
    K.REFERRAL_SENT: ("{actor} referred the inquiry to a partner organisation",
                      "{actor} referred your inquiry to a partner organisation"),
    K.REFERRAL_VIEWED: ("A partner opened the referral", "A partner opened the referral"),
    K.REFERRAL_ACCEPTED: ("A partner organisation accepted the referral",
                          "A partner organisation accepted the referral"),
    K.REFERRAL_DECLINED: ("A partner organisation declined the referral",
                          "A partner organisation declined the referral"),
    K.REFERRAL_COMPLETED: ("A partner organisation recorded the outcome",
                           "A partner organisation recorded the outcome"),
    K.REFERRAL_CLOSED: ("{actor} closed a referral", "{actor} closed a referral"),
    K.PARTNER_QUESTION: ("A partner asked the hub a question", "A partner asked the hub a question"),
    K.RECORDED_ON_BEHALF: ("{actor} recorded the inquiry for the person", "{actor} recorded your inquiry for you"),
    K.CONSENT_WITHDRAWN: ("{actor} withdrew consent to share with partners",
                          "{actor} withdrew consent to share with partners"),
}
# Events whose description is part of the sentence ({detail}), not a line under it.
DETAIL_IN_SENTENCE = {K.ATTACHMENT_ADDED, K.ATTACHMENT_REMOVED}


@dataclass(frozen=True)
class TimelineEntry:
    sentence: str
    detail: str
    at: datetime
    is_internal: bool


def _actor_for_staff(event: InquiryEvent, inquiry) -> str:
    if event.actor_id is None:
        return "The service"
    return event.actor.get_full_name() or event.actor.email


def _actor_for_submitter(event: InquiryEvent, inquiry, viewer) -> str:
    if event.actor_id is None:
        return inquiry.hub.name if inquiry.hub_id else "The service"
    if viewer is not None and event.actor_id == viewer.pk:
        return "You"
    # Staff act for the hub: the submitter reads the hub's name, not the person's.
    return inquiry.hub.name if inquiry.hub_id else "The hub"


def timeline_entries(events, *, inquiry, reader: str, viewer=None) -> list[TimelineEntry]:
    """Sentences for `reader` ("staff" or "submitter"); `viewer` is the submitter reading their own."""
    if reader not in ("staff", "submitter"):
        raise ValueError(f"Unknown reader: {reader}")
    entries = []
    for event in events:
        staff, submitter = WORDING.get(event.kind, ("{actor}: " + event.get_kind_display(),) * 2)
        if reader == "staff":
            template, actor = staff, _actor_for_staff(event, inquiry)
        else:
            template, actor = submitter, _actor_for_submitter(event, inquiry, viewer)
        in_sentence = event.kind in DETAIL_IN_SENTENCE
        sentence = template.format(actor=actor, detail=event.description if in_sentence else "")
        entries.append(TimelineEntry(sentence=sentence, detail="" if in_sentence else event.description,
                                     at=event.created_at, is_internal=not event.is_visible_to_submitter))
    return entries
