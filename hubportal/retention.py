"""The retention schedule: one function per rule, run per hub by the nightly job (issue 12).

Each rule is `rule(*, hub, now, dry_run, batch_size) -> int` (how many rows it changed, or would
change with dry_run). `hub=None` means the rows that belong to no hub, under the deployment's
periods (settings.RETENTION_*). The kernel's rules are here (email content, emailed links, wrong staff
passwords, expired subject access archives); intake registers its own (closed inquiries anonymised,
old drafts deleted) in IntakeConfig.ready(), because the kernel cannot import intake.

`retention_apply` is the one entry point: `manage.py apply_retention [--dry-run]`, the beat task
`hubportal.tasks.apply_retention` and the tests all call it. Every rule works in batches of
`batch_size` rows, each batch its own short transaction of set-based UPDATEs or DELETEs (never row by
row), and selects only rows it has not dealt with yet, so running it twice changes nothing more.

A period ends on a London day: a row is due on the day its period ends, whatever the time of day
it was written, so the job's hour does not decide which day anything goes (tests travel the clock to
the day before and the day itself).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import DataExport, EmailLink, Hub, OutboundEmail, StaffSignInFailure
from .storage import STORAGE_ERRORS

log = logging.getLogger(__name__)


# --- Periods ---------------------------------------------------------------------------------------

def months_before(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` earlier (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_cutoff(*, now: dt.datetime, days: int = 0, months: int = 0) -> dt.datetime:
    """The moment before which a row written (or closed, or changed) is due.

    A row is due on the London day its period ends: one closed on 5 March 2024 with a 24-month
    period is due on 5 March 2026 from midnight. So the cutoff is the start of the day after
    (today less the period), and rows strictly before it are due."""
    today = timezone.localtime(now).date()
    last_due_day = months_before(today, months) - dt.timedelta(days=days)
    following = last_due_day + dt.timedelta(days=1)
    return dt.datetime.combine(following, dt.time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class Periods:
    closed_months: int
    drafts_days: int
    email_days: int
    sign_in_days: int


def retention_periods(hub: Hub | None) -> Periods:
    """The periods in force for a hub's rows, or for rows of no hub."""
    if hub is None:
        return Periods(closed_months=0, drafts_days=settings.RETENTION_DRAFT_DAYS,
                       email_days=settings.RETENTION_EMAIL_DAYS, sign_in_days=settings.RETENTION_SIGN_IN_DAYS)
    return Periods(closed_months=hub.retain_closed_months, drafts_days=hub.retain_drafts_days,
                   email_days=hub.retain_email_days, sign_in_days=settings.RETENTION_SIGN_IN_DAYS)


# --- The registry ----------------------------------------------------------------------------------

Apply = Callable[..., int]


@dataclass(frozen=True)
class RetentionRule:
    name: str  # says what happens, for the command's output: "closed inquiries anonymised"
    apply: Apply
    # "hub": once per hub and once for rows of no hub; "deployment": once (rows that have no hub).
    scope: str = "hub"
    # The period in words for a hub (the command and the privacy page print it).
    describe: Callable[[Periods], str] = lambda periods: ""


RULES: list[RetentionRule] = []


def register_rule(rule: RetentionRule) -> RetentionRule:
    if all(existing.name != rule.name for existing in RULES):
        RULES.append(rule)
    return rule


@dataclass(frozen=True)
class RetentionOutcome:
    hub: str  # the hub's name, or "No hub"
    rule: str
    count: int
    period: str


def batches(queryset, batch_size: int, act: Callable[[list[int]], int]) -> int:
    """Run `act(pks)` in its own transaction for each batch of `queryset`'s rows until none is left.
    `act` returns how many it dealt with; a batch that deals with none ends the loop (so a row that
    some rule keeps selecting but cannot change never loops forever)."""
    done = 0
    while True:
        with transaction.atomic():
            pks = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not pks:
                return done
            changed = act(pks)
        done += changed
        if changed == 0:
            return done


def retention_apply(*, now: dt.datetime | None = None, dry_run: bool = False,
                    batch_size: int | None = None) -> list[RetentionOutcome]:
    """Apply every rule to every hub (and to rows of no hub); returns what each did, or would do."""
    now = now or timezone.now()
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    outcomes = []
    hubs: list[Hub | None] = [*Hub.objects.order_by("name"), None]
    for hub in hubs:
        periods = retention_periods(hub)
        for rule in RULES:
            if rule.scope == "deployment" and hub is not None:
                continue
            count = rule.apply(hub=hub, now=now, dry_run=dry_run, batch_size=batch_size)
            outcomes.append(RetentionOutcome(hub=hub.name if hub else "No hub", rule=rule.name, count=count,
                                             period=rule.describe(periods)))
    if not dry_run:
        log.info("Retention applied: %s", {f"{o.hub}/{o.rule}": o.count for o in outcomes if o.count})
    return outcomes


# --- The kernel's rules ----------------------------------------------------------------------------

def retention_clear_email_content(*, hub, now, dry_run, batch_size) -> int:
    """Emails keep their content (the context the templates render) only while it may be needed:
    until sent, and for a failed one while staff may resend it. After the period the row stays (to,
    template, dates, status: the record that an email went) and its content is emptied."""
    days = retention_periods(hub).email_days
    cutoff = retention_cutoff(now=now, days=days)
    rows = (OutboundEmail.objects.filter(hub=hub, created_at__lt=cutoff,
                                         status__in=[OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED])
            .exclude(context={}))
    if dry_run:
        return rows.count()
    return batches(rows, batch_size, lambda pks: OutboundEmail.objects.filter(pk__in=pks).update(context={}))


def retention_delete_sign_in_rows(*, hub, now, dry_run, batch_size) -> int:
    """Emailed links (sign-in, invitations, referral and download links: the rate limits count them)
    and wrong staff passwords go after RETENTION_SIGN_IN_DAYS: past their expiry for a link, past
    their writing for a failure."""
    cutoff = retention_cutoff(now=now, days=settings.RETENTION_SIGN_IN_DAYS)
    links = EmailLink.objects.filter(expires_at__lt=cutoff)
    failures = StaffSignInFailure.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return links.count() + failures.count()
    deleted = batches(links, batch_size, lambda pks: EmailLink.objects.filter(pk__in=pks).delete()[0])
    return deleted + batches(failures, batch_size,
                              lambda pks: StaffSignInFailure.objects.filter(pk__in=pks).delete()[0])


def retention_delete_expired_exports(*, hub, now, dry_run, batch_size) -> int:
    """A subject access archive's file goes when its link expires; the row stays as the audit."""
    rows = DataExport.objects.filter(expires_at__lt=now).exclude(file="")
    if dry_run:
        return rows.count()

    def act(pks):
        exports = list(DataExport.objects.select_for_update().filter(pk__in=pks).exclude(file=""))
        files = [export.file for export in exports]
        changed = DataExport.objects.filter(pk__in=[e.pk for e in exports]).update(
            file="", status=DataExport.Status.EXPIRED)
        transaction.on_commit(lambda: [storage_delete(f.storage, f.name) for f in files])
        return changed

    return batches(rows, batch_size, act)


def storage_delete(storage, name: str) -> None:
    """Delete a stored file; one that cannot be deleted is logged (the row no longer points to it)."""
    try:
        storage.delete(name)
    except STORAGE_ERRORS as error:
        log.error("Could not delete the stored file %s: %s", name, error)


register_rule(RetentionRule(
    "email content removed", retention_clear_email_content,
    describe=lambda p: f"{p.email_days} days after the email was written"))
register_rule(RetentionRule(
    "sign-in links and failed sign-ins deleted", retention_delete_sign_in_rows, scope="deployment",
    describe=lambda p: f"{p.sign_in_days} days after the link expired or the sign-in failed"))
register_rule(RetentionRule(
    "expired data downloads deleted", retention_delete_expired_exports, scope="deployment",
    describe=lambda p: "when the download link expires"))
