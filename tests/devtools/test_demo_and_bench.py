"""The demo directory (idempotent, realistic) and the matcher benchmark."""

import pytest

from devtools import demo_directory as demo
from devtools.bench_matcher import bench_matcher
from hubportal.models import Hub
from partners.models import Partner, PartnerContact, PartnerService
from signposting.matcher import inquiry_match
from signposting.models import Resource, RoutingRule
from tests.factories import HubFactory, SubmittedFactory


@pytest.fixture
def demo_hubs(db):
    return {code: HubFactory(code=code, slug=slug, name=name) for code, slug, name in [
        ("BDC", "bradford-district-craven", "Bradford District & Craven Innovation Hub"),
        ("CAP", "cambridgeshire-peterborough", "Cambridgeshire & Peterborough Innovation Hub"),
        ("DOR", "dorset", "Dorset Innovation Hub"),
        ("MAN", "manchester", "Manchester Innovation Hub"),
    ]}


def _counts():
    return [m.objects.count() for m in (Partner, PartnerService, PartnerContact, Resource, RoutingRule)]


@pytest.mark.django_db
def test_the_demo_loads_a_directory_for_every_hub_and_loading_again_changes_nothing(demo_hubs):
    first = demo.load()
    counts = _counts()
    assert demo.load() == first
    assert _counts() == counts
    assert first["rules"] == 4
    for hub in demo_hubs.values():
        kinds = set(Partner.objects.filter(hubs=hub).values_list("kind", flat=True))
        assert {"hin", "university", "council", "vcse", "ppie", "nhs"} <= kinds, hub.code
        assert Resource.objects.filter(hub=hub).exists()
    assert Resource.objects.filter(kind="funding_call", deadline__isnull=False).count() >= 4


@pytest.mark.django_db
def test_in_the_demo_every_dorset_ig_question_goes_to_the_icbs_ig_team_first(demo_hubs):
    demo.load()
    inquiry = SubmittedFactory(hub=demo_hubs["DOR"], kind_of_help="digital",
                               support_needed=["information_governance"], themes=[])
    first = inquiry_match(inquiry=inquiry).partners[0]
    assert first.name == "NHS Dorset Information Governance team"
    assert first.reasons[0] == "Hub rule: Every information governance question in Dorset goes to NHS Dorset's IG team"


@pytest.mark.django_db
def test_the_demo_skips_hubs_that_do_not_exist(db):
    HubFactory(code="DOR", slug="dorset", name="Dorset Innovation Hub")
    result = demo.load()
    assert result["rules"] == 1
    assert not Resource.objects.filter(title="Bradford digital inclusion toolkit").exists()


@pytest.mark.django_db
def test_the_benchmark_reports_figures_and_leaves_nothing_behind(hub):
    from devtools.bench_matcher import DirectorySize

    before = (Hub.objects.count(), Partner.objects.count(), Resource.objects.count())
    sizes = (DirectorySize("small", 50, 2, 200, target_ms=10), DirectorySize("large", 250, 2, 1000, target_ms=20))
    small, large = bench_matcher(repeats=5, sizes=sizes)
    assert [(f["size"], f["partners"], f["services"], f["resources"], f["calls"]) for f in (small, large)] == [
        ("small", 50, 100, 200, 5), ("large", 250, 500, 1000, 5)]
    assert small["queries"] == large["queries"] <= 6
    for figures in (small, large):
        assert figures["median_ms"] > 0 and figures["p95_ms"] >= figures["median_ms"]
        assert figures["partners_suggested_mean"] > 0
    assert (Hub.objects.count(), Partner.objects.count(), Resource.objects.count()) == before
