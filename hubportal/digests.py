"""Digests: one email per person per period, with what they need to know, or nothing at all.

Each app registers a builder per audience in its AppConfig.ready(). A builder gets the period and
returns {person: context} for the people who should get that audience's digest (a User, or anything
with `pk` and `email`, such as a partner contact), computing shared parts once per hub, so a run costs
a bounded number of queries per recipient. This module owns the period, the unsubscribe link and the
outbox rows; the outbox key names audience, person and period, so running a period twice (or twice
at once) sends nothing new.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import User
from .outbox import outbound_email_queue
from .workdays import LONDON

UNSUBSCRIBE_SALT = "digest-unsubscribe"
# Unsubscribe links are signed, not stored: they can do one harmless, repeatable thing for one person.
UNSUBSCRIBE_MAX_AGE = dt.timedelta(days=90)

# What a person gets when they have not chosen (User.digest_frequency blank), per audience.
DEFAULT_FREQUENCY = {"staff": User.Digest.WEEKLY, "partner": User.Digest.WEEKLY, "submitter": User.Digest.NONE}


@dataclass(frozen=True)
class Period:
    frequency: str
    start: dt.datetime
    end: dt.datetime
    key: str
    label: str


def digest_period(frequency, today):
    """The period that ends at the start of `today` (London): yesterday, or the seven days before."""
    end = dt.datetime.combine(today, dt.time.min, tzinfo=LONDON)
    if frequency == User.Digest.DAILY:
        day = today - dt.timedelta(days=1)
        return Period(frequency, end - dt.timedelta(days=1), end, day.isoformat(), f"{day:%-d %B %Y}")
    first = today - dt.timedelta(days=7)
    year, week, _ = first.isocalendar()
    return Period(frequency, end - dt.timedelta(days=7), end, f"{year}-W{week:02d}",
                  f"{first:%-d %B} to {today - dt.timedelta(days=1):%-d %B %Y}")


def wants(user, audience, frequency):
    return (user.digest_frequency or DEFAULT_FREQUENCY[audience]) == frequency


_builders = {}


def _unsubscribe_user(pk):
    """Users (staff, submitters) unsubscribe by choosing no digest; returns their address, or None."""
    from .services import user_set_digest_frequency

    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        return None
    user_set_digest_frequency(user=user, frequency=User.Digest.NONE)
    return user.email


def register(audience, template, builder, unsubscribe=_unsubscribe_user):
    """builder(period) -> {person: context}; `template` is the email's template name; `unsubscribe(pk)`
    stops this audience's digests for a person and returns their address (None if there is none)."""
    _builders[audience] = (template, builder, unsubscribe)


def unsubscribe_url(person, audience="staff"):
    token = signing.dumps({"a": audience, "p": person.pk}, salt=UNSUBSCRIBE_SALT)
    return settings.SITE_URL + reverse("hubportal:digest_unsubscribe", args=[token])


def unsubscribe_target(token):
    """(audience, person pk) that a one-click unsubscribe token names, or None if tampered or too old."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("a") not in _builders:
        return None
    return data["a"], data.get("p")


def unsubscribe(audience, pk):
    return _builders[audience][2](pk)


def digests_send(*, frequency, today, dry_run=False, audiences=None):
    """Queue this period's digests. Returns [(audience, user, context)] of those sent (or that would be)."""
    period = digest_period(frequency, today)
    sent = []
    for audience, (template, builder, _unsubscribe) in _builders.items():
        if audiences and audience not in audiences:
            continue
        for person, context in builder(period).items():
            sent.append((audience, person, context))
            if dry_run:
                continue
            outbound_email_queue(
                key=f"digest:{audience}:{person.pk}:{period.frequency}:{period.key}",
                to=person.email,
                template=template,
                hub=context.pop("reply_hub", None),
                context={**context, "period_label": period.label, "frequency": period.frequency,
                         "unsubscribe_url": unsubscribe_url(person, audience),
                         "preferences_url": settings.SITE_URL + reverse("hubportal:account")},
            )
    return sent
