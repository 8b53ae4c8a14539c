"""How fast is the matcher on a large directory? `manage.py bench_matcher` prints bench_matcher().

Builds, in the current database and inside a transaction that is rolled back at the end, four hubs,
500 partners with 1,000 services and 2,000 resources with random (seeded) tags and a few routing rules
per hub, then times the matcher on sample inquiries. The target is under 20 ms per call. Wall-clock and this thread's CPU
time are both reported, with the machine's load average: on a busy machine the wall clock waits for
a CPU (on SQLite the database's work is in the CPU time; on PostgreSQL it is in another process).
"""

import os
import random
import statistics
import string
import time
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, KindOfHelp, Stage, SupportNeed, Theme
from intake.models import Inquiry
from partners.fields import tag_index
from partners.models import Partner, PartnerService, PartnerType
from signposting.matcher import inquiry_match
from signposting.models import Resource, RoutingRule

PARTNERS = 500
SERVICES_PER_PARTNER = 2
RESOURCES = 2000
TARGET_MS = 20


def _some(rng, choices, low, high):
    return rng.sample(list(choices.values), rng.randint(low, high))


def _free_codes(count):
    taken = set(Hub.objects.values_list("code", flat=True))
    codes = ("Z" + a + b for a in string.ascii_uppercase for b in string.ascii_uppercase)
    return [c for c in codes if c not in taken][:count]


def _build(rng):
    today = timezone.localdate()
    hubs = [Hub.objects.create(name=f"Bench hub {code}", code=code, slug=f"bench-{code.lower()}",
                               email=f"bench-{code.lower()}@example.nhs.uk") for code in _free_codes(4)]
    partners = Partner.objects.bulk_create(
        Partner(name=f"Bench partner {n:04d}", kind=rng.choice(PartnerType.values), serves_all_hubs=n % 25 == 0,
                is_active=n % 40 != 0)
        for n in range(PARTNERS))
    Partner.hubs.through.objects.bulk_create(
        Partner.hubs.through(partner_id=p.pk, hub_id=h.pk)
        for p in partners for h in rng.sample(hubs, rng.randint(1, 2)))
    services = []
    for partner in partners:
        for n in range(SERVICES_PER_PARTNER):
            service = PartnerService(partner=partner, name=f"Service {n}",
                                     support_needs=_some(rng, SupportNeed, 1, 3), themes=_some(rng, Theme, 0, 2),
                                     innovation_types=_some(rng, InnovationType, 0, 2), stages=_some(rng, Stage, 0, 2))
            service.refresh_tag_index()
            services.append(service)
    PartnerService.objects.bulk_create(services)
    resources = []
    for n in range(RESOURCES):
        resource = Resource(title=f"Bench resource {n:04d}", url=f"https://example.org/r/{n}",
                            kind=rng.choice(Resource.Kind.values), hub=rng.choice([None, None, *hubs]),
                            support_needs=_some(rng, SupportNeed, 1, 2), themes=_some(rng, Theme, 0, 2),
                            innovation_types=_some(rng, InnovationType, 0, 1), stages=_some(rng, Stage, 0, 1),
                            review_due_on=today + timedelta(days=rng.randint(-30, 300)),
                            deadline=rng.choice([None, None, None, today + timedelta(days=rng.randint(-10, 60))]))
        resource.tag_index = tag_index(support_needs=resource.support_needs, themes=resource.themes,
                                       innovation_types=resource.innovation_types, stages=resource.stages)
        resources.append(resource)
    Resource.objects.bulk_create(resources)
    for hub in hubs:
        for action in RoutingRule.Action.values:
            RoutingRule.objects.create(hub=hub, name=f"Bench {action}", action=action,
                                       partner=rng.choice(partners), support_needs=_some(rng, SupportNeed, 1, 2))
    return hubs


def _inquiries(rng, hubs, count=20):
    return [
        Inquiry(hub=rng.choice(hubs), kind_of_help=rng.choice(KindOfHelp.values),
                support_needed=_some(rng, SupportNeed, 1, 3), themes=_some(rng, Theme, 0, 2),
                innovation_type=rng.choice(InnovationType.values), stage=rng.choice(Stage.values))
        for _ in range(count)
    ]


def bench_matcher(repeats=200, seed=4):
    """Figures for the matcher on a directory of 500 partners and 2,000 resources (rolled back after)."""
    rng = random.Random(seed)
    with transaction.atomic():
        hubs = _build(rng)
        inquiries = _inquiries(rng, hubs)
        for inquiry in inquiries[:5]:  # warm caches (connection, query compilation)
            inquiry_match(inquiry=inquiry)
        with CaptureQueriesContext(connection) as captured:
            result = inquiry_match(inquiry=inquiries[0])
        timings, cpu_timings, partners_found, resources_found = [], [], [], []
        load_before = os.getloadavg()[0]
        for n in range(repeats):
            inquiry = inquiries[n % len(inquiries)]
            started, cpu_started = time.perf_counter(), time.thread_time()
            result = inquiry_match(inquiry=inquiry)
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.thread_time() - cpu_started) * 1000)
            partners_found.append(len(result.partners))
            resources_found.append(len(result.resources))
        transaction.set_rollback(True)
    timings.sort()
    cpu_timings.sort()
    return {
        "database": connection.vendor,
        "partners": PARTNERS,
        "services": PARTNERS * SERVICES_PER_PARTNER,
        "resources": RESOURCES,
        "calls": repeats,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2),
        "max_ms": round(timings[-1], 2),
        "cpu_median_ms": round(statistics.median(cpu_timings), 2),
        "cpu_p95_ms": round(cpu_timings[max(0, int(len(cpu_timings) * 0.95) - 1)], 2),
        "queries_per_call": len(captured.captured_queries),
        # Other work on the machine inflates wall-clock times; the CPU times above are this thread's own.
        "load_average": round(max(load_before, os.getloadavg()[0]), 2),
        "target_ms": TARGET_MS,
        "partners_suggested_mean": round(statistics.mean(partners_found), 1),
        "resources_suggested_mean": round(statistics.mean(resources_found), 1),
    }
