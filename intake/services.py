"""Writes on inquiries. Each state change is one function here; views and forms never change state."""

import functools
import logging
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query
from django.urls import reverse
from django.utils import timezone

from hubportal.models import HubMembership
from hubportal.storage import STORAGE_ERRORS
from hubportal.workdays import add_working_days

from . import emails, reminders
from .journey import STEPS, missing_steps
from .models import (
    Assessment,
    AssessmentAnswer,
    Attachment,
    InformationRequest,
    Inquiry,
    InquiryEvent,
    InquiryNote,
)

log = logging.getLogger(__name__)


class InquiryNotEditable(Exception):
    """The inquiry is no longer a draft (sent already, perhaps from another tab)."""


class InquiryChanged(Exception):
    """Someone else changed the inquiry since the page was loaded; nothing was saved."""


class TransitionNotAllowed(Exception):
    def __init__(self, current, wanted):
        super().__init__(f"An inquiry that is {current} cannot become {wanted}")
        self.current, self.wanted = current, wanted


class NotAHubMember(Exception):
    """The person named is not a member of the inquiry's hub."""


class InquiryIncomplete(Exception):
    def __init__(self, steps):
        super().__init__("incomplete")
        self.steps = steps


def _event(inquiry, *, kind, actor, description="", visible=True):
    return InquiryEvent.objects.create(inquiry=inquiry, kind=kind, actor=actor, description=description,
                                       is_visible_to_submitter=visible)


def inquiry_record_event(*, inquiry, kind, by=None, description="", visible=True):
    """A timeline line written on behalf of another app (signposting's referrals)."""
    event = _event(inquiry, kind=kind, actor=by, description=description, visible=visible)
    Inquiry.objects.filter(pk=inquiry.pk).update(updated_at=timezone.now())
    return event


# --- When the inquiry stops being shared -----------------------------------------------------------
#
# Closing (whatever the outcome: withdrawn and duplicate included), erasing, or the submitter
# withdrawing consent ends sharing with partners. Apps that shared it (signposting's referrals) register
# a hook in their AppConfig.ready(); intake cannot import them (they depend on intake). What each hook
# does is written in that app (signposting/lifecycle.py), and it runs in the caller's transaction, so
# the inquiry never ends up closed with a referral still open.

SHARING_ENDED = "closed", "erased", "consent_withdrawn"
_sharing_ended_hooks = []


def register_sharing_ended(hook):
    """hook(*, inquiry, event, by) is called, inside the transaction, whenever sharing ends."""
    if hook not in _sharing_ended_hooks:
        _sharing_ended_hooks.append(hook)


def inquiry_sharing_ended(*, inquiry, event, by):
    """Tell every registered app that the inquiry is no longer shared: `event` is one of SHARING_ENDED.
    inquiry_close and inquiry_withdraw_consent call it; the erasure service, when it exists, must call
    it with event="erased" before removing anything."""
    if event not in SHARING_ENDED:
        raise ValueError(f"Unknown end of sharing: {event}")
    for hook in _sharing_ended_hooks:
        hook(inquiry=inquiry, event=event, by=by)


# --- When support starts --------------------------------------------------------------------------
#
# Taking an inquiry into support starts its first stage (adoption). adoption depends on intake, so it
# registers a hook in its AppConfig.ready(); the hook runs in inquiry_start_support's transaction, so an
# inquiry is never in support without its case.

_support_started_hooks = []


def register_support_started(hook):
    """hook(*, inquiry, by) is called, inside the transaction, when an inquiry enters in_support."""
    if hook not in _support_started_hooks:
        _support_started_hooks.append(hook)


@transaction.atomic
def inquiry_withdraw_consent(*, inquiry, by):
    """The submitter withdraws consent to share with partners; the open referrals close in this transaction
    (signposting's hook), and a routed inquiry left with none goes back to in review."""
    if by.pk != inquiry.submitter_id:
        raise InquiryNotEditable()
    Inquiry.objects.filter(pk=inquiry.pk).update(consent_share_with_partners=False, updated_at=timezone.now())
    inquiry.consent_share_with_partners = False
    _event(inquiry, kind=InquiryEvent.Kind.CONSENT_WITHDRAWN, actor=by)
    inquiry_sharing_ended(inquiry=inquiry, event="consent_withdrawn", by=by)
    return inquiry


@transaction.atomic
def inquiry_start(*, submitter, answers):
    """Create a draft holding the first page's answers. No empty drafts: the first answer makes it."""
    inquiry = Inquiry.objects.create(submitter=submitter, contact_name=submitter.full_name, **answers)
    _event(inquiry, kind=InquiryEvent.Kind.CREATED, actor=submitter)
    return inquiry


@transaction.atomic
def inquiry_update_draft(*, inquiry, answers):
    """Save some answers of a draft. Refuses once the inquiry has been sent (another tab may have sent it).
    Choosing another hub drops the previous hub's own priority themes (issue 10): they mean nothing there."""
    if "hub" in answers and inquiry.themes:
        from hubportal.taxonomy import is_local_theme, theme_lookup

        kept = theme_lookup(answers["hub"])
        answers = {**answers, "themes": [t for t in inquiry.themes if not is_local_theme(t) or t in kept]}
    updated = Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.DRAFT).update(
        **answers, updated_at=timezone.now()
    )
    if not updated:
        raise InquiryNotEditable()
    for name, value in answers.items():
        setattr(inquiry, name, value)
    return inquiry


# One statement takes the next number: it creates the hub's row for the year or adds one to it, and
# returns the number. The row stays locked until commit, so concurrent submissions to one hub queue
# here and never share a number; inquiry_submit takes it late in its transaction to hold the lock briefly.
# PostgreSQL and SQLite (3.35+) both read this.
_NEXT_NUMBER_SQL = (
    "INSERT INTO intake_referencecounter (hub_id, year, last_number) VALUES (%s, %s, 1) "
    "ON CONFLICT (hub_id, year) DO UPDATE SET last_number = intake_referencecounter.last_number + 1 "
    "RETURNING last_number"
)


def _next_reference(hub):
    year = timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER_SQL, [hub.pk, year])
        (number,) = cursor.fetchone()
    return f"{hub.code}-{year}-{number:05d}"


# What inquiry_submit reads: whose draft, its state, the answers missing_steps checks, and the hub's
# code (the reference), name (the timeline) and triage target.
_SUBMIT_FIELDS = ("public_id", "status", "submitter_id", "hub__code", "hub__name", "hub__triage_target_working_days",
                  *dict.fromkeys(name for step in STEPS for name in step.required))


@transaction.atomic
def inquiry_submit(*, by, inquiry=None, public_id=None):
    """Send a draft to its hub: `inquiry`, or the one of `by`'s with this `public_id`.

    Rules: only the submitter sends, only a draft (draft -> submitted), only when every required
    answer is there (InquiryIncomplete lists the missing pages); gives the hub's next reference;
    writes the timeline; queues the acknowledgement email in this transaction (its exactly-once
    promise), and a follow-up due at once (intake.reminders.SUBMITTED) for everything that need not
    hold the submitter's request: the triage reminders, the hub's webhooks, and the instant
    signposting (the matcher) that the acknowledgement lists, after which the acknowledgement goes.
    The follow-up is enqueued after commit; if that is lost, the reminder sweep runs it, and the
    outbox sweep sends the acknowledgement meanwhile (issue 13: docs/decisions.md).

    By `public_id` (the final submit's view) the draft is found under the lock, so the request reads
    it once: Inquiry.DoesNotExist when `by` has no inquiry with it (another person's is the same as
    none), InquiryNotEditable when it is no longer a draft.
    """
    # Lock the draft: a double click or a second tab must not submit twice. Only the columns the
    # checks and the writes below read (a whole inquiry and hub cost as much Python as the rest).
    drafts = Inquiry.objects.select_for_update(of=("self",)).select_related("hub").only(*_SUBMIT_FIELDS)
    if public_id is not None:
        locked = drafts.get(public_id=public_id, submitter=by)
    else:
        locked = drafts.get(pk=inquiry.pk)
    if locked.submitter_id != by.pk or locked.status != Inquiry.Status.DRAFT:
        raise InquiryNotEditable()
    missing = missing_steps(locked)
    if missing:
        raise InquiryIncomplete(missing)
    hub = locked.hub
    assert hub is not None, "the journey's first page chose the hub"  # missing_steps checked it
    locked.submitter = by  # checked above: the acknowledgement's address, without a query
    locked.status = Inquiry.Status.SUBMITTED
    locked.submitted_at = locked.updated_at = timezone.now()
    locked.triage_due_on = add_working_days(locked.submitted_at, hub.triage_target_working_days)
    _event(locked, kind=InquiryEvent.Kind.SUBMITTED, actor=by, description=f"Sent to {hub.name}")
    reminders.plan_submitted_follow_up(locked)
    # The hub's counter row stays locked from here to commit: the writes that need no reference are done.
    locked.reference = _next_reference(hub)
    fields = {"reference": locked.reference, "status": locked.status, "submitted_at": locked.submitted_at,
              "triage_due_on": locked.triage_due_on, "updated_at": locked.updated_at}
    if connection.vendor == "postgresql":
        fields["search_vector"] = _search_document_sql()  # the search document in the same UPDATE
    Inquiry.objects.filter(pk=locked.pk).update(**fields)
    # Queued now, the promise; the follow-up sends it once it has added the signposting (enqueue=False).
    # Its key is new: only a draft gets here, under its lock, and nothing goes back to being a draft.
    emails.acknowledgement(inquiry=locked, enqueue=False, is_new_key=True)
    return locked


@transaction.atomic
def inquiry_record_on_behalf(*, hub, by, email, answers, source=Inquiry.Source.EMAIL,
                             consent_share_with_partners=None, consent_method=""):
    """Hub staff record an inquiry for a person who wrote to the hub (the "Arrived by email" queue), or
    who phoned or met them (the "Record an inquiry" page).

    Rules: only a member of the hub; the person's account is made if they have none; the inquiry
    is sent at once (staff keep no draft), takes the hub's next reference and triage date, and
    the person is sent the usual acknowledgement and a sign-in link to it; `source` says how it
    came. Sharing with partners stays unanswered (None) unless the staff member records the person's
    own answer (`consent_share_with_partners`) and how they gave it (`consent_method`, required then):
    the consents are then the person's, recorded by `by`, and say so on the inquiry.
    """
    from hubportal.links import email_link_request
    from hubportal.models import EmailLink, User
    from hubportal.services import RateLimited

    if not HubMembership.objects.filter(hub=hub, user=by).exists():
        raise NotAHubMember()
    email = email.strip().lower()
    submitter = User.objects.filter(email__iexact=email).first()
    if submitter is None:
        submitter = User.objects.create_user(email, full_name=answers.get("contact_name", ""))
    if consent_method:
        consent_method = Inquiry.ConsentMethod(consent_method)
    if consent_share_with_partners is not None and not consent_method:
        raise ValueError("A consent recorded for someone needs how they gave it")
    source = Inquiry.Source(source)
    now = timezone.now()
    inquiry = Inquiry.objects.create(
        submitter=submitter, hub=hub, status=Inquiry.Status.SUBMITTED, reference=_next_reference(hub),
        submitted_at=now, triage_due_on=add_working_days(now, hub.triage_target_working_days),
        source=source, consent_contact=True, consent_share_with_partners=consent_share_with_partners,
        consent_method=consent_method, consent_recorded_by=by if consent_method else None, **answers)
    inquiry_index_text(inquiry=inquiry)
    reminders.plan_triage(inquiry)
    if consent_method:
        sharing = "may" if consent_share_with_partners else "may not"
        _event(inquiry, kind=InquiryEvent.Kind.RECORDED_ON_BEHALF, actor=by,
               description=f"{source.label}. They said it {sharing} be shared with partner organisations "
                           f"({consent_method.label.lower()})")
    else:
        _event(inquiry, kind=InquiryEvent.Kind.RECORDED_FROM_EMAIL, actor=by,
               description=f"Recorded by {hub.name} from an email")
    emails.acknowledgement(inquiry=inquiry)
    try:
        email_link_request(purpose=EmailLink.Purpose.SIGN_IN, email=email,
                           next_path=reverse("intake:inquiry_detail", args=[inquiry.public_id]))
    except RateLimited:
        # Links were asked for this address many times this hour; the acknowledgement still
        # carries the inquiry's address, which leads to the sign-in page.
        pass
    return inquiry


@transaction.atomic
def inquiry_delete_draft(*, inquiry, by):
    """Delete a draft and its attachments. Only its submitter, only while it is a draft."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.submitter_id != by.pk or locked.status != Inquiry.Status.DRAFT:
        raise InquiryNotEditable()
    files = [a.file for a in locked.attachments.all()]
    locked.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


class AttachmentNotStored(Exception):
    """The file could not be written (disk full, read-only, no permission); nothing of it was kept."""


@transaction.atomic
def attachment_add(*, inquiry, by, upload, information_request=None):
    """Store an upload (already checked by forms.attachment_check) under a random name.

    Rules: on a draft; or, with `information_request`, on an inquiry awaiting the submitter's answer to
    that (still open) question, which is the only way a file reaches an inquiry after it is sent. The
    file, the row and the timeline event are all kept or none is. A write that fails part-way (ENOSPC
    after some chunks, EROFS, EACCES) leaves no partial file and raises AttachmentNotStored, and the
    transaction rolls back, so the inquiry is as it was.
    """
    if information_request is None:
        editable = Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.DRAFT)
    else:
        editable = Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.AWAITING_INFO,
                                          information_requests=information_request,
                                          information_requests__answered_at__isnull=True)
    if not editable.select_for_update().exists():
        raise InquiryNotEditable()
    detected = upload.detected_type
    stored_name = f"{secrets.token_hex(16)}.{detected.extension}"
    attachment = Attachment(inquiry=inquiry, uploaded_by=by, original_name=upload.clean_name,
                            stored_name=stored_name, content_type=detected.mime, size=upload.size,
                            information_request=information_request)
    try:
        attachment.file.save(stored_name, upload, save=False)
    except STORAGE_ERRORS as error:
        # Django's FileSystemStorage leaves whatever it wrote before the error; the name is ours and random,
        # so the file at it can only be this upload's remains.
        _attachment_discard(attachment.file.storage, attachment.file.field.generate_filename(attachment, stored_name))
        log.error("Could not store attachment %s on inquiry %s: %s", stored_name, inquiry.public_id, error)
        raise AttachmentNotStored(str(error)) from error
    try:
        attachment.save()
        _event(inquiry, kind=InquiryEvent.Kind.ATTACHMENT_ADDED, actor=by, description=attachment.original_name)
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def _attachment_discard(storage, name):
    try:
        storage.delete(name)
    except STORAGE_ERRORS as error:
        # On a read-only or unreachable volume the partial file can't be removed either; say where it is.
        log.error("Could not remove the partial attachment %s: %s", name, error)


@transaction.atomic
def attachment_remove(*, attachment, by):
    if not Inquiry.objects.filter(pk=attachment.inquiry_id, status=Inquiry.Status.DRAFT).exists():
        raise InquiryNotEditable()
    name, stored = attachment.original_name, attachment.file
    attachment.delete()
    _event(attachment.inquiry, kind=InquiryEvent.Kind.ATTACHMENT_REMOVED, actor=by, description=name)
    transaction.on_commit(lambda: stored.delete(save=False))


# --- Triage: hub staff's changes ------------------------------------------------------------------
#
# Each takes the `version` the person saw. The UPDATE is conditional on it (and on the status), so of
# two people deciding at once exactly one wins and the other gets InquiryChanged.


# The full-text search document: the title counts most, then the problem and innovation, then the rest.
# Staff search's index prefixes its words with the hub (intake.search, selectors.hub_lexemes).
SEARCH_DOCUMENT = (
    SearchVector("title", weight="A", config="english")
    + SearchVector("problem", "proposed_innovation", weight="B", config="english")
    + SearchVector("who_benefits", "evidence", "organisation", weight="C", config="english")
)


@functools.cache
def _search_document_sql():
    """SEARCH_DOCUMENT compiled once to SQL: building the expression on each submit cost about 1.5 ms
    of Python, more than PostgreSQL takes to compute it. The same SQL as inquiry_index_text's (a test says so)."""
    query = Query(Inquiry)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(SEARCH_DOCUMENT.resolve_expression(query, allow_joins=False, for_save=True))
    return RawSQL(sql, tuple(params), output_field=SearchVectorField())  # noqa: S611 - our expression, no input


def inquiry_index_text(*, inquiry):
    """Refresh the full-text search document (PostgreSQL; SQLite searches with LIKE instead)."""
    if connection.vendor != "postgresql":
        return
    Inquiry.objects.filter(pk=inquiry.pk).update(search_vector=SEARCH_DOCUMENT)


def _guarded_update(inquiry, *, version, from_statuses=None, **fields):
    rows = Inquiry.objects.filter(pk=inquiry.pk)
    if version is not None:
        rows = rows.filter(version=version)
    if from_statuses is not None:
        rows = rows.filter(status__in=from_statuses)
    if not rows.update(version=F("version") + 1, updated_at=timezone.now(), **fields):
        raise InquiryChanged()
    inquiry.refresh_from_db()
    return inquiry


def _transition_check(inquiry, *, to, version):
    """The status now, if the table allows `to` from it and `version` is still current.

    Only a courtesy to give a clear message early: between this read and the UPDATE someone else may
    decide, and it is _guarded_update's WHERE version/status that settles who wins.
    """
    current, current_version = Inquiry.objects.values_list("status", "version").get(pk=inquiry.pk)
    if version is not None and version != current_version:
        # The person decided on a page that is out of date: tell them it changed, whatever it became.
        raise InquiryChanged()
    if to not in Inquiry.TRANSITIONS[Inquiry.Status(current)]:
        raise TransitionNotAllowed(current, to)
    return current


def _transition(inquiry, *, to, by, version, kind, description="", visible=True, **fields):
    """Move an inquiry to `to` if the table allows it from where it is now; one timeline event."""
    current = _transition_check(inquiry, to=to, version=version)
    now = timezone.now()
    if inquiry.first_response_at is None:
        fields.setdefault("first_response_at", now)
    if to in (Inquiry.Status.ROUTED, Inquiry.Status.IN_SUPPORT, Inquiry.Status.CLOSED) and inquiry.decided_at is None:
        fields.setdefault("decided_at", now)
    _guarded_update(inquiry, version=version, from_statuses=[current], status=to, **fields)
    _event(inquiry, kind=kind, actor=by, description=description, visible=visible)
    return inquiry


@transaction.atomic
def inquiry_start_review(*, inquiry, by, version):
    """submitted -> in_review. Counts as the hub's first response."""
    return _transition(inquiry, to=Inquiry.Status.IN_REVIEW, by=by, version=version,
                       kind=InquiryEvent.Kind.REVIEW_STARTED)


@transaction.atomic
def inquiry_assign(*, inquiry, by, assignee, version):
    """Give the inquiry to a member of its hub (or to nobody). Emails the new assignee."""
    if assignee is not None and not HubMembership.objects.filter(hub_id=inquiry.hub_id, user=assignee).exists():
        raise NotAHubMember()
    _guarded_update(inquiry, version=version, assignee=assignee)
    who = assignee.get_full_name() if assignee else "nobody"
    _event(inquiry, kind=InquiryEvent.Kind.ASSIGNED, actor=by, description=f"Assigned to {who}", visible=False)
    if assignee is not None and assignee != by:
        emails.inquiry_assigned(inquiry=inquiry, assignee=assignee)
    return inquiry


@transaction.atomic
def inquiry_add_note(*, inquiry, by, body):
    """An internal note: never shown to the submitter or partners."""
    note = InquiryNote.objects.create(inquiry=inquiry, author=by, body=body)
    _event(inquiry, kind=InquiryEvent.Kind.NOTE_ADDED, actor=by, visible=False)
    Inquiry.objects.filter(pk=inquiry.pk).update(updated_at=timezone.now())
    return note


@transaction.atomic
def inquiry_request_info(*, inquiry, by, question, version):
    """Ask the submitter a question: -> awaiting_info, and email them a link (not the question)."""
    _transition(inquiry, to=Inquiry.Status.AWAITING_INFO, by=by, version=version,
                kind=InquiryEvent.Kind.INFO_REQUESTED)
    request = InformationRequest.objects.create(inquiry=inquiry, requested_by=by, question=question)
    reminders.plan_information_request(request)
    emails.information_requested(inquiry=inquiry, request=request)
    return request


@transaction.atomic
def inquiry_answer_info(*, inquiry, by, answer, uploads=()):
    """The submitter answers the open question: awaiting_info -> in_review; the hub is told.

    `uploads` (checked by forms.attachment_check) are stored with the answer in the same transaction: if
    one cannot be stored, neither the answer nor any file is kept, and the files already written are
    removed, so the person can send it all again.
    """
    if by.pk != inquiry.submitter_id:
        raise InquiryNotEditable()
    request = (InformationRequest.objects.select_for_update()
               .filter(inquiry=inquiry, answered_at__isnull=True).first())
    if request is None or inquiry.status != Inquiry.Status.AWAITING_INFO:
        raise InquiryNotEditable()
    stored = []
    try:
        for upload in uploads:
            stored.append(attachment_add(inquiry=inquiry, by=by, upload=upload, information_request=request))
    except Exception:
        # The rollback takes the rows away but not the files written before the failure.
        for attachment in stored:
            _attachment_discard(attachment.file.storage, attachment.file.name)
        raise
    request.answer, request.answered_at = answer, timezone.now()
    request.save(update_fields=["answer", "answered_at"])
    reminders.cancel_information_request(request)
    _transition(inquiry, to=Inquiry.Status.IN_REVIEW, by=by, version=None,
                kind=InquiryEvent.Kind.INFO_RECEIVED)
    emails.information_received(inquiry=inquiry, request=request)
    return request


@transaction.atomic
def inquiry_route(*, inquiry, by, version=None, description=""):
    """-> routed (referrals sent to partners). From in_review; a second routing is not a change."""
    if Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.ROUTED).exists():
        return inquiry
    return _transition(inquiry, to=Inquiry.Status.ROUTED, by=by, version=version,
                       kind=InquiryEvent.Kind.ROUTED, description=description)


@transaction.atomic
def inquiry_unroute(*, inquiry, by, description=""):
    """routed -> in_review: no partner has the inquiry any more (their referrals closed), so it is the
    hub's to decide again. Called by signposting when the last open referral closes."""
    return _transition(inquiry, to=Inquiry.Status.IN_REVIEW, by=by, version=None,
                       kind=InquiryEvent.Kind.STATUS_CHANGED, description=description)


@transaction.atomic
def inquiry_start_support(*, inquiry, by, version):
    """-> in_support (the hub, or a partner accepting a routed inquiry). Registered hooks (adoption's
    first stage) run in this transaction."""
    _transition(inquiry, to=Inquiry.Status.IN_SUPPORT, by=by, version=version,
                kind=InquiryEvent.Kind.SUPPORT_STARTED)
    for hook in _support_started_hooks:
        hook(inquiry=inquiry, by=by)
    return inquiry


@transaction.atomic
def inquiry_close(*, inquiry, by, outcome, reason, version, duplicate_of=None):
    """-> closed with a coded outcome and a reason; the submitter is emailed a link."""
    outcome = Inquiry.Outcome(outcome)
    fields = {"outcome": outcome, "outcome_reason": reason, "closed_at": timezone.now(), "parked_until": None}
    kind = InquiryEvent.Kind.CLOSED
    if duplicate_of is not None:
        fields["duplicate_of"] = duplicate_of
        kind = InquiryEvent.Kind.MARKED_DUPLICATE
    _transition(inquiry, to=Inquiry.Status.CLOSED, by=by, version=version, kind=kind,
                description=outcome.label, **fields)
    inquiry_sharing_ended(inquiry=inquiry, event="closed", by=by)
    emails.inquiry_closed(inquiry=inquiry)
    return inquiry


@transaction.atomic
def inquiry_mark_duplicate(*, inquiry, by, original, version):
    """Close as a duplicate of another inquiry (any hub on this deployment)."""
    if original.pk == inquiry.pk or original.status == Inquiry.Status.DRAFT:
        raise TransitionNotAllowed(inquiry.status, "a duplicate of itself or of a draft")
    return inquiry_close(inquiry=inquiry, by=by, outcome=Inquiry.Outcome.DUPLICATE, version=version,
                         reason=f"Duplicate of {original.reference}", duplicate_of=original)


@transaction.atomic
def inquiry_park(*, inquiry, by, until, reason, version):
    """Put an open inquiry aside until a date; it comes back to the hub lead at 09:00 London on that
    date, or on the next working day when that date is a weekend day or a bank holiday
    (reminders.unpark_at says when)."""
    if not inquiry.is_open:
        raise TransitionNotAllowed(inquiry.status, "parked")
    _guarded_update(inquiry, version=version, from_statuses=Inquiry.OPEN_STATUSES, parked_until=until)
    reminders.plan_unpark(inquiry, until)
    _event(inquiry, kind=InquiryEvent.Kind.PARKED, actor=by, visible=False,
           description=f"Until {until:%-d %B %Y}" + (f": {reason}" if reason else ""))
    return inquiry


@transaction.atomic
def inquiry_unpark(*, inquiry, by, version):
    _guarded_update(inquiry, version=version, parked_until=None)
    _event(inquiry, kind=InquiryEvent.Kind.UNPARKED, actor=by, visible=False)
    return inquiry


def inquiry_bulk(*, inquiries, action):
    """Apply `action(inquiry)` to each inquiry in its own transaction; returns (done, refused).

    One refused inquiry (closed already, changed meanwhile) does not stop the others.
    """
    done, refused = [], []
    for inquiry in inquiries:
        try:
            action(inquiry)
        except (InquiryChanged, TransitionNotAllowed, NotAHubMember):
            refused.append(inquiry)
        else:
            done.append(inquiry)
    return done, refused


def checklist_score(answers):
    """The weighted share of the best possible answers (0-100, one decimal), leaving out "not
    applicable"; None when every answer was "not applicable". `answers` maps criterion -> answer code.
    Staff assessments and lay reviews score the same way."""
    total = achieved = Decimal(0)
    for criterion, answer in answers.items():
        value = criterion.value_of(answer)
        if value is not None:
            total += criterion.weight
            achieved += Decimal(str(value)) * criterion.weight
    return (achieved * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP) if total else None


@transaction.atomic
def assessment_record(*, inquiry, by, checklist, answers, summary=""):
    """Record an assessment against a hub checklist; earlier ones are kept as older versions.

    `checklist` is the version assessed against (issue 10: a used version never changes; its next
    version is another row with the same slug). Assessments are numbered across every version of the
    checklist, and the newest is the current one whichever version it used; the stored score is never
    recomputed.

    `answers` maps each criterion to (answer, comment) and must cover every criterion. The score is
    the weighted share of the best possible answers (0-100), leaving out "not applicable". Answers
    that match a criterion's follow-up answer raise its follow-up.
    """
    criteria = list(checklist.criteria.all())
    missing = [c for c in criteria if c not in answers or not answers[c][0]]
    if missing:
        raise ValueError(f"Missing answers: {', '.join(c.question for c in missing)}")
    earlier = Assessment.objects.select_for_update().filter(inquiry=inquiry, checklist__hub_id=checklist.hub_id,
                                                            checklist__slug=checklist.slug)
    number = (max((a.number for a in earlier), default=0)) + 1
    earlier.update(is_current=False)
    follow_ups = []
    for criterion in criteria:
        answer, _comment = answers[criterion]
        if criterion.follow_up_answer and answer == criterion.follow_up_answer and criterion.follow_up_text:
            follow_ups.append(criterion.follow_up_text)
    score = checklist_score({c: answers[c][0] for c in criteria})
    assessment = Assessment.objects.create(inquiry=inquiry, checklist=checklist, assessor=by, number=number,
                                           score=score, follow_ups=follow_ups, summary=summary)
    AssessmentAnswer.objects.bulk_create(
        AssessmentAnswer(assessment=assessment, criterion=c, answer=answers[c][0], comment=answers[c][1])
        for c in criteria
    )
    description = f"{checklist.name}: {score}%" if score is not None else checklist.name
    if follow_ups:
        description += f". Follow-ups: {'; '.join(follow_ups)}"
    _event(inquiry, kind=InquiryEvent.Kind.ASSESSED, actor=by, visible=False, description=description[:300])
    Inquiry.objects.filter(pk=inquiry.pk).update(updated_at=timezone.now())
    return assessment


class NotTheHubLead(Exception):
    """Only a lead of the inquiry's hub sets or releases a legal hold."""


@transaction.atomic
def inquiry_set_legal_hold(*, inquiry, by, reason):
    """A hub lead keeps an inquiry out of the retention schedule and erasure, with a reason (a claim, an
    investigation, an information request being answered). Setting it again changes the reason."""
    if not HubMembership.objects.filter(hub_id=inquiry.hub_id, user=by, role=HubMembership.Role.LEAD).exists():
        raise NotTheHubLead()
    reason = reason.strip()
    if not reason:
        raise ValueError("A legal hold needs a reason")
    # Locks the row: the retention job anonymising this inquiry now either finished first (and the
    # hold is too late, which the page then shows) or waits and then skips it.
    Inquiry.objects.select_for_update().filter(pk=inquiry.pk).update(
        legal_hold_reason=reason, legal_hold_at=timezone.now(), legal_hold_by=by)
    _event(inquiry, kind=InquiryEvent.Kind.LEGAL_HOLD_SET, actor=by, description=reason[:300], visible=False)
    inquiry.refresh_from_db()
    return inquiry


@transaction.atomic
def inquiry_release_legal_hold(*, inquiry, by):
    if not HubMembership.objects.filter(hub_id=inquiry.hub_id, user=by, role=HubMembership.Role.LEAD).exists():
        raise NotTheHubLead()
    if Inquiry.objects.filter(pk=inquiry.pk).exclude(legal_hold_reason="").update(
            legal_hold_reason="", legal_hold_at=None, legal_hold_by=None):
        _event(inquiry, kind=InquiryEvent.Kind.LEGAL_HOLD_RELEASED, actor=by, visible=False)
    inquiry.refresh_from_db()
    return inquiry
# --- Saved searches ---------------------------------------------------------------------------------

class SavedSearchNameTaken(Exception):
    """The person already has a saved search of that name in this hub."""


@transaction.atomic
def saved_search_create(*, hub, owner, name, query, is_shared):
    """Name the list's current filters. Rules: one name per person per hub; the query is stored as the
    list sent it (without its page number) and validated by the list whenever it is opened."""
    from .models import SavedSearch

    if SavedSearch.objects.filter(hub=hub, owner=owner, name__iexact=name).exists():
        raise SavedSearchNameTaken()
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(hub=hub, owner=owner, name=name, query=query, is_shared=is_shared)
    except IntegrityError:  # the same name saved twice at once (two tabs)
        raise SavedSearchNameTaken() from None


@transaction.atomic
def saved_search_delete(*, saved_search, by):
    """Only its owner removes a saved search (others in the hub only use a shared one)."""
    if saved_search.owner_id != by.pk:
        raise PermissionError("Only the person who saved a search can delete it")
    saved_search.delete()


# --- Issue 10: someone leaves a hub's team ------------------------------------------------------------

def inquiries_held(*, hub, user):
    """What the person holds at the hub, for the team page's confirmation."""
    from hubportal.hub_settings import Holding

    count = Inquiry.objects.filter(hub=hub, assignee=user, status__in=Inquiry.OPEN_STATUSES).count()
    return [Holding(description="open inquiries assigned to them (and their referrals' follow-up)", count=count)]


def inquiries_hand_over(*, hub, user, to, by):
    """Give every open inquiry assigned to `user` at `hub` to `to` (or to nobody), each with a timeline
    line. Called inside hubportal.hub_settings.team_remove's transaction. Referrals have no owner of their
    own: their reminders and follow-up go to the inquiry's assignee, so they move with it. Closed inquiries
    keep who handled them, as a record."""
    held = list(Inquiry.objects.select_for_update().filter(hub=hub, assignee=user, status__in=Inquiry.OPEN_STATUSES))
    if not held:
        return
    # The version goes up, so a colleague's form opened before the hand-over is refused, not applied.
    Inquiry.objects.filter(pk__in=[i.pk for i in held]).update(assignee=to, version=F("version") + 1,
                                                              updated_at=timezone.now())
    who = to.get_full_name() if to else "nobody"
    InquiryEvent.objects.bulk_create(
        InquiryEvent(inquiry=inquiry, actor=by, kind=InquiryEvent.Kind.ASSIGNED, is_visible_to_submitter=False,
                     description=f"Assigned to {who}: {user.get_full_name()} left the hub's team"[:300])
        for inquiry in held)
