"""How fast is the matcher on a large directory? `manage.py bench_matcher` prints bench_matcher().

Issue 13's targets: a median of at most 10 ms a call on a directory of 500 partners, 1,000 services
and 2,000 resources, and at most 20 ms at five times that (2,500 / 5,000 / 10,000). bench_matcher()
builds each size in turn in the current database, inside a transaction that is rolled back at the
end (so sizes never mix and nothing is left behind), with four hubs, random (seeded) tags and a few
routing rules of every kind per hub, then times the matcher on sample inquiries.

Wall-clock and this thread's CPU time are both reported, with the machine's load average: on a busy
machine the wall clock waits for a CPU (on SQLite the database's work is in the CPU time; on
PostgreSQL it is in another process). The query count is the most per call over every sample
inquiry, so a size that needs more queries shows.
"""

import os
import random
import statistics
import string
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, KindOfHelp, Stage, SupportNeed, Theme
from intake.models import Inquiry
from partners.models import Partner, PartnerService, PartnerType
from signposting.matcher import inquiry_match
from signposting.models import Resource, RoutingRule


@dataclass(frozen=True)
class DirectorySize:
    name: str
    partners: int
    services_per_partner: int
    resources: int
    target_ms: float

    @property
    def services(self):
        return self.partners * self.services_per_partner


SIZES = (
    DirectorySize("x1", partners=500, services_per_partner=2, resources=2000, target_ms=10),
    DirectorySize("x5", partners=2500, services_per_partner=2, resources=10000, target_ms=20),
)


def _some(rng, choices, low, high):
    return rng.sample(list(choices.values), rng.randint(low, high))


def _free_codes(count):
    taken = set(Hub.objects.values_list("code", flat=True))
    codes = ("Z" + a + b for a in string.ascii_uppercase for b in string.ascii_uppercase)
    return [c for c in codes if c not in taken][:count]


def build_directory(rng, *, partners, services_per_partner=2, resources, hub_count=4):
    """A random directory (seeded by rng) of the given size over `hub_count` new hubs; returns the hubs.

    About 1 partner in 25 is national and 1 in 40 inactive; resources are a third national, with
    review dates and deadlines spread either side of today. Each hub gets a partner rule of every
    action and a resource rule of every action, so every branch of the matcher is exercised.
    """
    today = timezone.localdate()
    hubs = [Hub.objects.create(name=f"Bench hub {code}", code=code, slug=f"bench-{code.lower()}",
                               email=f"bench-{code.lower()}@example.nhs.uk") for code in _free_codes(hub_count)]
    partner_rows = Partner.objects.bulk_create(
        # Names are unique: the new hubs' code keeps them apart from any directory already there.
        (Partner(name=f"Bench partner {hubs[0].code} {n:05d}", kind=rng.choice(PartnerType.values),
                 serves_all_hubs=n % 25 == 0, is_active=n % 40 != 0)
         for n in range(partners)), batch_size=2000)
    Partner.hubs.through.objects.bulk_create(
        (Partner.hubs.through(partner_id=p.pk, hub_id=h.pk)
         for p in partner_rows for h in rng.sample(hubs, rng.randint(1, min(2, len(hubs))))), batch_size=2000)
    services = []
    for partner in partner_rows:
        for n in range(services_per_partner):
            service = PartnerService(partner=partner, name=f"Service {n}",
                                     support_needs=_some(rng, SupportNeed, 1, 3), themes=_some(rng, Theme, 0, 2),
                                     innovation_types=_some(rng, InnovationType, 0, 2), stages=_some(rng, Stage, 0, 2),
                                     eligibility_description=rng.choice(["", "", "NHS organisations in the region"]))
            service.refresh_tag_index()
            services.append(service)
    PartnerService.objects.bulk_create(services, batch_size=2000)
    resource_rows = []
    for n in range(resources):
        resource = Resource(title=f"Bench resource {n:05d}", url=f"https://example.org/r/{n}",
                            kind=rng.choice(Resource.Kind.values), hub=rng.choice([None, None, *hubs]),
                            summary="A short summary of what this resource offers to innovators.",
                            support_needs=_some(rng, SupportNeed, 1, 2), themes=_some(rng, Theme, 0, 2),
                            innovation_types=_some(rng, InnovationType, 0, 1), stages=_some(rng, Stage, 0, 1),
                            review_due_on=today + timedelta(days=rng.randint(-30, 300)),
                            deadline=rng.choice([None, None, None, today + timedelta(days=rng.randint(-10, 60))]))
        resource.refresh_tag_index()  # bulk_create skips save(), which keeps tag_index and tag_bits
        resource_rows.append(resource)
    resource_rows = Resource.objects.bulk_create(resource_rows, batch_size=2000)
    for hub in hubs:
        own = [r for r in resource_rows if r.hub_id in (None, hub.pk)]
        for action in RoutingRule.Action.values:
            RoutingRule.objects.create(hub=hub, name=f"Bench partner {action}", action=action,
                                       partner=rng.choice(partner_rows), support_needs=_some(rng, SupportNeed, 1, 2))
            RoutingRule.objects.create(hub=hub, name=f"Bench resource {action}", action=action,
                                       resource=rng.choice(own), support_needs=_some(rng, SupportNeed, 1, 2))
    if connection.vendor == "postgresql":
        # Fresh statistics, as a live directory has, so the plans are the ones production would get
        # (ANALYZE is transactional: rolled back with the rows).
        with connection.cursor() as cursor:
            for model in (Partner, Partner.hubs.through, PartnerService, Resource, RoutingRule):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return hubs


def sample_inquiries(rng, hubs, count=20):
    """Unsaved inquiries (the matcher reads only their fields and hub)."""
    return [
        Inquiry(hub=rng.choice(hubs), kind_of_help=rng.choice(KindOfHelp.values),
                support_needed=_some(rng, SupportNeed, 1, 3), themes=_some(rng, Theme, 0, 2),
                innovation_type=rng.choice(InnovationType.values), stage=rng.choice(Stage.values))
        for _ in range(count)
    ]


def _percentile(sorted_values, share):
    return sorted_values[max(0, int(len(sorted_values) * share) - 1)]


def _vacuum_directory():
    """Each size's rows are rolled back, which leaves them as dead rows that every later scan reads
    until a VACUUM removes them. Where autovacuum is off (or has not come round yet) repeated runs got
    slower and slower, so clear them first. Only possible outside a transaction (not in tests)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (Hub, Partner, Partner.hubs.through, PartnerService, Resource, RoutingRule):
            cursor.execute(f"VACUUM {model._meta.db_table}")


def _bench_size(size, *, repeats, seed):
    rng = random.Random(seed)
    _vacuum_directory()
    with transaction.atomic():
        hubs = build_directory(rng, partners=size.partners, services_per_partner=size.services_per_partner,
                               resources=size.resources)
        inquiries = sample_inquiries(rng, hubs)
        queries = []
        for inquiry in inquiries:  # warms caches (connection, query compilation) and counts queries
            with CaptureQueriesContext(connection) as captured:
                inquiry_match(inquiry=inquiry)
            queries.append(len(captured.captured_queries))
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
        load_after = os.getloadavg()[0]
        transaction.set_rollback(True)
    timings.sort()
    cpu_timings.sort()
    return {
        "size": size.name,
        "database": connection.vendor,
        "partners": size.partners,
        "services": size.services,
        "resources": size.resources,
        "calls": repeats,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        "max_ms": round(timings[-1], 2),
        "cpu_median_ms": round(statistics.median(cpu_timings), 2),
        "cpu_p95_ms": round(_percentile(cpu_timings, 0.95), 2),
        "queries": max(queries),
        "queries_min": min(queries),
        # Other work on the machine inflates wall-clock times; the CPU times above are this thread's own.
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
        "target_ms": size.target_ms,
        "partners_suggested_mean": round(statistics.mean(partners_found), 1),
        "resources_suggested_mean": round(statistics.mean(resources_found), 1),
    }


def bench_matcher(repeats=200, seed=4, sizes=SIZES):
    """Figures for the matcher at each directory size: a list of dicts (size, partners, services,
    resources, median_ms, p95_ms, queries, ...), one per size, each built and rolled back in turn."""
    return [_bench_size(size, repeats=repeats, seed=seed) for size in sizes]
