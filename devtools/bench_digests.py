"""The digest run's benchmark (make bench): 2,000 staff and partner recipients over the seeded data.

Everything it creates is rolled back at the end, so the bench database keeps only the seeded inquiries.
"""

import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from hubportal.digests import digests_send
from hubportal.models import Hub, HubMembership, OutboundEmail, User
from hubportal.outbox import outbound_email_send


class _Rollback(Exception):
    pass


def bench_digests(*, staff=1600, partner_contacts=400):
    """Time a weekly digest run for `staff` hub members and `partner_contacts` partner contacts.

    Returns figures: recipients, seconds to build and queue (the job), queries per recipient, and
    seconds for one worker to send every queued email (in-memory mail backend, so only our work counts).
    """
    from partners.models import Partner, PartnerContact
    from signposting.models import Referral

    figures = {}
    try:
        with transaction.atomic():
            hubs = list(Hub.objects.all())
            users = User.objects.bulk_create(
                User(email=f"bench.staff{n}@example.nhs.uk", full_name=f"Bench Staff {n}") for n in range(staff))
            HubMembership.objects.bulk_create(HubMembership(hub=hubs[n % len(hubs)], user=u) for n, u in enumerate(users))
            partners = list(Partner.objects.filter(is_active=True)[:max(1, partner_contacts // 4)])
            contacts = PartnerContact.objects.bulk_create(
                PartnerContact(partner=partners[n % len(partners)], name=f"Bench Contact {n}",
                               email=f"bench.contact{n}@example.org") for n in range(partner_contacts))
            _give_partners_waiting_referrals(partners, Referral)
            OutboundEmail.objects.filter(key__startswith="digest:").delete()

            started = time.monotonic()
            with CaptureQueriesContext(connection) as queries:
                sent = digests_send(frequency="weekly", today=timezone.localdate(), audiences=["staff", "partner"])
            figures["recipients"] = len(sent)
            figures["job_seconds"] = time.monotonic() - started
            figures["queries_per_recipient"] = len(queries) / max(len(sent), 1)
            figures["staff"], figures["contacts"] = len(users), len(contacts)

            ids = list(OutboundEmail.objects.filter(key__startswith="digest:").values_list("pk", flat=True))
            started = time.monotonic()
            per_email = []
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                for pk in ids:
                    one = time.monotonic()
                    outbound_email_send(email_id=pk)
                    per_email.append(time.monotonic() - one)
            figures["send_seconds"] = time.monotonic() - started
            figures["send_median_ms"] = statistics.median(per_email) * 1000 if per_email else 0
            raise _Rollback()
    except _Rollback:
        pass
    return figures


def _give_partners_waiting_referrals(partners, Referral):
    """One waiting referral per partner, so every partner contact has something in their digest."""
    from intake.models import Inquiry

    inquiries = list(Inquiry.objects.exclude(status="draft").filter(consent_share_with_partners=True)
                     .order_by("-submitted_at")[:len(partners)])
    sender = User.objects.filter(hub_memberships__isnull=False).first()
    Referral.objects.bulk_create(
        Referral(inquiry=inquiry, hub_id=inquiry.hub_id, partner=partner, sent_by=sender) for inquiry, partner in zip(inquiries, partners, strict=False))


def format_digest_figures(figures):
    return "\n".join([
        f"Digest run (weekly): {figures['recipients']:,} recipients ({figures['staff']:,} staff, "
        f"{figures['contacts']:,} partner contacts)",
        f"  building and queueing: {figures['job_seconds']:.1f} s, "
        f"{figures['queries_per_recipient']:.1f} queries per recipient",
        f"  one worker sending them all: {figures['send_seconds']:.1f} s "
        f"(median {figures['send_median_ms']:.1f} ms an email)",
        f"  total {figures['job_seconds'] + figures['send_seconds']:.1f} s against a target of 60 s",
    ])
