"""A hub's checklists, kept by its leads (issue 10): create, change, reorder and retire criteria.

Rules every service here keeps:
- Only the current version of a checklist changes. A change to the criteria of a version that anything
  used (an assessment, a lay review, or whatever else points at it) first makes the next version, a copy,
  and changes that; the used version keeps its criteria, and every score made with it stays as it was
  (scores are stored on the assessment and never recomputed).
- Bad input (a weight outside 1-100, no answer scale, a follow-up answer the scale does not have, the same
  question twice) raises ChecklistRefused naming the problem, and changes nothing.
- Each change is written to the hub audit log (hubportal.audit), with the values before and after.
- Two leads editing at once: each service locks the checklist row first; one that finds its version was
  replaced meanwhile refuses (ChecklistChanged) rather than editing a version someone already used.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from hubportal.audit import hub_audit_record
from hubportal.models import Hub, User

from .models import Checklist, Criterion

WEIGHT_MIN, WEIGHT_MAX = 1, 100


class ChecklistRefused(ValueError):
    """A change that cannot be made; the message says why, in words for the lead. `field` names the
    form field it belongs next to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ChecklistChanged(ChecklistRefused):
    """The version being edited was replaced by someone else's change meanwhile."""


@dataclass(frozen=True)
class CriterionFields:
    question: str
    guidance: str = ""
    weight: int = 1
    scale: str = Criterion.Scale.YES_NO
    allow_not_applicable: bool = False
    follow_up_answer: str = ""
    follow_up_text: str = ""


def _norm(text: str) -> str:
    return " ".join(text.split())


def criterion_fields_check(fields: CriterionFields) -> CriterionFields:
    """The fields, normalised, or ChecklistRefused for the first problem found."""
    question = _norm(fields.question)
    if not question:
        raise ChecklistRefused("Enter the question", "question")
    if not isinstance(fields.weight, int) or not WEIGHT_MIN <= fields.weight <= WEIGHT_MAX:
        raise ChecklistRefused(f"Weight must be a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}", "weight")
    if fields.scale not in Criterion.SCALE_ANSWERS:
        raise ChecklistRefused("Choose an answer scale", "scale")
    answers = [code for code, _label, _value in Criterion.SCALE_ANSWERS[fields.scale]]
    if fields.allow_not_applicable:
        answers.append(Criterion.NOT_APPLICABLE[0])
    follow_up_text = _norm(fields.follow_up_text)
    if fields.follow_up_answer and fields.follow_up_answer not in answers:
        raise ChecklistRefused("Choose a follow-up answer that the answer scale has", "follow_up_answer")
    if bool(fields.follow_up_answer) != bool(follow_up_text):
        raise ChecklistRefused("Enter both the answer that raises a follow-up and what must follow, or neither",
                               "follow_up_text" if fields.follow_up_answer else "follow_up_answer")
    return CriterionFields(question=question, guidance=fields.guidance.strip(), weight=fields.weight,
                           scale=fields.scale, allow_not_applicable=fields.allow_not_applicable,
                           follow_up_answer=fields.follow_up_answer, follow_up_text=follow_up_text)


def _criterion_values(criterion: Criterion) -> dict:
    return {"question": criterion.question, "hint": criterion.guidance, "weight": criterion.weight,
            "scale": criterion.get_scale_display(), "not applicable allowed": criterion.allow_not_applicable,
            "follow-up answer": criterion.follow_up_answer, "follow-up": criterion.follow_up_text}


def _subject(checklist: Checklist) -> str:
    return f"{checklist.name} (version {checklist.version})"


def checklist_is_in_use(checklist: Checklist) -> bool:
    """Whether anything points at this version: an assessment, a lay review, an adoption gate... Asked of
    every relation to Checklist, so an app that adds one is covered without this module knowing it."""
    for relation in Checklist._meta.related_objects:
        if relation.related_model in (Criterion, Checklist):
            continue
        if relation.related_model._default_manager.filter(**{relation.field.name: checklist}).exists():
            return True
    return False


def _lock_current(checklist: Checklist) -> Checklist:
    locked = Checklist.objects.select_for_update().get(pk=checklist.pk)
    if locked.replaced_by_id is not None:
        raise ChecklistChanged("Someone changed this checklist while you were editing it. Check it and try again")
    return locked


def _editable(checklist: Checklist, by: User) -> Checklist:
    """The version to change: this one, or (when it was used) a new copy of it that replaces it."""
    locked = _lock_current(checklist)
    if not checklist_is_in_use(locked):
        return locked
    old_pk = locked.pk
    criteria = list(Criterion.objects.filter(checklist_id=old_pk))
    try:
        with transaction.atomic():
            new = Checklist.objects.create(hub_id=locked.hub_id, kind=locked.kind, name=locked.name, slug=locked.slug,
                                           description=locked.description, is_active=locked.is_active,
                                           version=locked.version + 1)
    except IntegrityError as error:
        raise ChecklistChanged("Someone changed this checklist while you were editing it. "
                               "Check it and try again") from error
    for criterion in criteria:
        criterion.pk = None
        criterion.checklist = new
    Criterion.objects.bulk_create(criteria)
    # The used version stays as it was, out of the assessors' way.
    Checklist.objects.filter(pk=old_pk).update(replaced_by=new, is_active=False)
    hub_audit_record(locked.hub, by, "Checklist version made", {"version": locked.version},
                     {"version": new.version}, subject=new.name)
    return new


def checklist_current(*, hub: Hub, slug: str) -> Checklist | None:
    return Checklist.objects.filter(hub=hub, slug=slug, replaced_by__isnull=True).first()


def _criterion_in(checklist: Checklist, criterion: Criterion) -> Criterion:
    """The same question in `checklist` (after a new version was made, its copy)."""
    return Criterion.objects.get(checklist=checklist, key=criterion.key)


def _refuse_duplicate(checklist: Checklist, question: str, *, besides: Criterion | None = None) -> None:
    others = Criterion.objects.filter(checklist=checklist)
    if besides is not None:
        others = others.exclude(key=besides.key)
    if any(_norm(c.question).casefold() == question.casefold() for c in others):
        raise ChecklistRefused("This checklist already asks that question", "question")


@transaction.atomic
def checklist_create(*, hub: Hub, by: User, name: str, description: str = "",
                     kind: str = Checklist.Kind.TRIAGE) -> Checklist:
    """A new, empty checklist (version 1). Its name must be new among the hub's checklists of that kind."""
    name = _norm(name)
    if not name:
        raise ChecklistRefused("Enter a name for the checklist", "name")
    if kind not in Checklist.Kind.values:
        raise ChecklistRefused("Choose who answers the checklist", "kind")
    current = Checklist.objects.filter(hub=hub, replaced_by__isnull=True)
    if any(c.name.casefold() == name.casefold() for c in current):
        raise ChecklistRefused("This hub already has a checklist with that name", "name")
    base = slugify(name)[:50] or "checklist"
    slug, n = base, 1
    while Checklist.objects.filter(hub=hub, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    checklist = Checklist.objects.create(hub=hub, kind=kind, name=name, slug=slug, description=description.strip())
    hub_audit_record(hub, by, "Checklist created", {}, {"name": name, "kind": checklist.get_kind_display(),
                                                        "description": checklist.description},
                     subject=_subject(checklist))
    return checklist


@transaction.atomic
def checklist_update(*, checklist: Checklist, by: User, name: str, description: str) -> Checklist:
    """Rename or re-describe the checklist. Its words around the questions change no score, so this
    changes the current version in place."""
    locked = _lock_current(checklist)
    name = _norm(name)
    if not name:
        raise ChecklistRefused("Enter a name for the checklist", "name")
    others = Checklist.objects.filter(hub_id=locked.hub_id, replaced_by__isnull=True).exclude(slug=locked.slug)
    if any(c.name.casefold() == name.casefold() for c in others):
        raise ChecklistRefused("This hub already has a checklist with that name", "name")
    before = {"name": locked.name, "description": locked.description}
    locked.name, locked.description = name, description.strip()
    locked.save(update_fields=["name", "description"])
    hub_audit_record(locked.hub, by, "Checklist renamed or described", before,
                     {"name": locked.name, "description": locked.description}, subject=_subject(locked))
    return locked


@transaction.atomic
def checklist_set_active(*, checklist: Checklist, by: User, is_active: bool) -> Checklist:
    """Retire a checklist (assessors no longer see it; past assessments keep it) or bring it back."""
    locked = _lock_current(checklist)
    if locked.is_active != is_active:
        Checklist.objects.filter(pk=locked.pk).update(is_active=is_active)
        hub_audit_record(locked.hub, by, "Checklist brought back" if is_active else "Checklist retired",
                         {"active": locked.is_active}, {"active": is_active}, subject=_subject(locked))
        locked.is_active = is_active
    return locked


@transaction.atomic
def criterion_add(*, checklist: Checklist, by: User, fields: CriterionFields) -> Criterion:
    """Add a question at the end of the checklist (a new version, if this one was used)."""
    fields = criterion_fields_check(fields)
    _refuse_duplicate(_lock_current(checklist), fields.question)
    target = _editable(checklist, by)
    last = Criterion.objects.filter(checklist=target).order_by("-position").first()
    criterion = Criterion.objects.create(checklist=target, position=(last.position + 1) if last else 0,
                                         **fields.__dict__)
    hub_audit_record(target.hub, by, "Criterion added", {}, _criterion_values(criterion), subject=_subject(target))
    return criterion


@transaction.atomic
def criterion_update(*, criterion: Criterion, by: User, fields: CriterionFields) -> Criterion:
    """Change a question, its hint, weight, scale or follow-up (a new version, if this one was used)."""
    fields = criterion_fields_check(fields)
    _refuse_duplicate(_lock_current(criterion.checklist), fields.question, besides=criterion)
    target = _editable(criterion.checklist, by)
    current = _criterion_in(target, criterion)
    before = _criterion_values(current)
    for name, value in fields.__dict__.items():
        setattr(current, name, value)
    current.save()
    hub_audit_record(target.hub, by, "Criterion changed", before, _criterion_values(current),
                     subject=_subject(target))
    return current


@transaction.atomic
def criterion_retire(*, criterion: Criterion, by: User) -> Checklist:
    """Stop asking a question. Versions that asked it keep it, with their answers."""
    target = _editable(criterion.checklist, by)
    current = _criterion_in(target, criterion)
    before = _criterion_values(current)
    current.delete()
    hub_audit_record(target.hub, by, "Criterion retired", before, {}, subject=_subject(target))
    return target


@transaction.atomic
def criterion_move(*, criterion: Criterion, by: User, direction: str) -> Checklist:
    """Move a question one place up or down. The order is what assessors see, so a used version keeps
    its own and the change makes a new one."""
    if direction not in ("up", "down"):
        raise ChecklistRefused("Choose up or down")
    _lock_current(criterion.checklist)
    target = _editable(criterion.checklist, by)
    ordered = list(Criterion.objects.filter(checklist=target).order_by("position", "pk"))
    index = next(i for i, c in enumerate(ordered) if c.key == criterion.key)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return target
    before = [c.question for c in ordered]
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        if item.position != position:
            Criterion.objects.filter(pk=item.pk).update(position=position)
    hub_audit_record(target.hub, by, "Criteria reordered", {"order": before},
                     {"order": [c.question for c in ordered]}, subject=_subject(target))
    return target
