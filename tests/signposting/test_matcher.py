"""The matcher on a fixed directory: who is suggested, in what order, and why."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from signposting.matcher import inquiry_match
from signposting.selectors import instant_signposting, instant_signposting_for_email
from tests.factories import SubmittedFactory
from tests.partners.factories import (
    PartnerFactory,
    PartnerServiceFactory,
    ResourceFactory,
    RoutingRuleFactory,
)

TODAY = timezone.localdate()


@pytest.fixture
def directory(hub, other_hub):
    """Dorset's partners (and some that must never be suggested to Dorset), and resources."""
    wessex = PartnerFactory(name="Health Innovation Wessex", kind="hin", hubs=[hub])
    PartnerServiceFactory(partner=wessex, name="Real-world evaluation", support_needs=["evaluation"], stages=["piloted"])
    PartnerServiceFactory(partner=wessex, name="Adoption and spread", support_needs=["adoption"],
                          themes=["health_inequalities"])
    university = PartnerFactory(name="Bournemouth University", kind="university", hubs=[hub])
    PartnerServiceFactory(partner=university, name="Evaluation partnerships", support_needs=["evaluation"])
    nihr = PartnerFactory(name="NIHR Research Support Service", kind="research", serves_all_hubs=True)
    PartnerServiceFactory(partner=nihr, name="Research design advice", support_needs=["evaluation", "funding"])
    ig_team = PartnerFactory(name="NHS Dorset Information Governance team", kind="nhs", hubs=[hub])
    PartnerServiceFactory(partner=ig_team, name="DPIA advice", support_needs=["information_governance"])
    manchester = PartnerFactory(name="Health Innovation Manchester", kind="hin", hubs=[other_hub])
    PartnerServiceFactory(partner=manchester, name="Evaluation", support_needs=["evaluation", "funding"])
    retired = PartnerFactory(name="Retired partner", kind="vcse", hubs=[hub], is_active=False)
    PartnerServiceFactory(partner=retired, name="Evaluation", support_needs=["evaluation", "funding"])
    defunct = PartnerFactory(name="Defunct service partner", kind="vcse", hubs=[hub])
    PartnerServiceFactory(partner=defunct, name="Old evaluation", support_needs=["evaluation"], status="defunct")

    resources = {
        "guidance": ResourceFactory(title="Evaluation guidance", support_needs=["evaluation"]),
        "call": ResourceFactory(title="Dorset small grants", kind="funding_call", hub=hub, support_needs=["funding"],
                                deadline=TODAY + timedelta(days=10)),
        "inequalities": ResourceFactory(title="Core20PLUS5", support_needs=["evaluation"],
                                        themes=["health_inequalities"]),
        "manchester": ResourceFactory(title="Manchester checklist", hub=other_hub, support_needs=["evaluation"]),
        "unreviewed": ResourceFactory(title="Out of date toolkit", support_needs=["evaluation"],
                                      review_due_on=TODAY - timedelta(days=1)),
        "closed": ResourceFactory(title="Closed call", kind="funding_call", support_needs=["funding"],
                                  deadline=TODAY - timedelta(days=1)),
        "inactive": ResourceFactory(title="Withdrawn guidance", support_needs=["evaluation"], is_active=False),
    }
    return {"wessex": wessex, "university": university, "nihr": nihr, "ig_team": ig_team,
            "manchester": manchester, "resources": resources}


@pytest.fixture
def evaluation_inquiry(hub, submitter):
    return SubmittedFactory(submitter=submitter, hub=hub, kind_of_help="evaluation",
                            support_needed=["evaluation", "funding"], themes=["health_inequalities"],
                            stage="piloted", innovation_type="digital")


def _names(matches):
    return [m.name for m in matches]


@pytest.mark.django_db
def test_it_ranks_partners_by_shared_needs_themes_stage_and_locality(directory, evaluation_inquiry):
    result = inquiry_match(inquiry=evaluation_inquiry)
    # Wessex: evaluation 3 + inequalities 2 + stage 1 + local 1 = 7; NIHR: evaluation and funding 6,
    # national; Bournemouth: evaluation 3 + local 1 = 4.
    assert _names(result.partners) == ["Health Innovation Wessex", "NIHR Research Support Service",
                                       "Bournemouth University"]
    assert [m.score for m in result.partners] == [7, 6, 4]


@pytest.mark.django_db
def test_it_says_why_each_partner_was_chosen(directory, evaluation_inquiry):
    wessex, nihr, _ = inquiry_match(inquiry=evaluation_inquiry).partners
    assert wessex.reasons == [
        "Helps with Evaluation and evidence",
        "Works on Reducing health inequalities",
        "Helps at this stage: Piloted or tested on a small scale",
        "Takes referrals from Dorset Innovation Hub",
        "Through: Adoption and spread; Real-world evaluation",
    ]
    assert wessex.public_id == directory["wessex"].public_id
    assert nihr.reasons == [
        "Helps with Evaluation and evidence; Funding and bid writing",
        "A national organisation that takes referrals from every hub",
        "Through: Research design advice",
    ]
    assert nihr.needs == {"evaluation", "funding"}


@pytest.mark.django_db
def test_it_never_suggests_an_inactive_partner_a_defunct_service_or_another_hubs_partner(directory,
                                                                                        evaluation_inquiry):
    names = _names(inquiry_match(inquiry=evaluation_inquiry).partners)
    assert "Health Innovation Manchester" not in names
    assert "Retired partner" not in names
    assert "Defunct service partner" not in names


@pytest.mark.django_db
def test_the_kind_of_help_counts_as_a_need(directory, hub, submitter):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, kind_of_help="information_governance",
                               support_needed=[], themes=[])
    assert _names(inquiry_match(inquiry=inquiry).partners) == ["NHS Dorset Information Governance team"]


@pytest.mark.django_db
def test_an_inquiry_sharing_no_tag_with_the_directory_gets_no_suggestion(directory, hub, submitter):
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, kind_of_help="new_idea", support_needed=[], themes=[])
    result = inquiry_match(inquiry=inquiry)
    assert result.partners == [] and result.resources == []


@pytest.mark.django_db
def test_a_hub_rule_adds_a_partner_first_even_without_a_tag_match(directory, hub, evaluation_inquiry):
    RoutingRuleFactory(hub=hub, name="Every Dorset inquiry about evaluation also goes to the IG team",
                       action="add", partner=directory["ig_team"], support_needs=["evaluation"], weight=20)
    first = inquiry_match(inquiry=evaluation_inquiry).partners[0]
    assert first.name == "NHS Dorset Information Governance team"
    assert first.score == 20
    assert first.reasons == ["Hub rule: Every Dorset inquiry about evaluation also goes to the IG team"]
    assert first.public_id == directory["ig_team"].public_id


@pytest.mark.django_db
def test_the_dorset_ig_rule_puts_the_ig_team_first_for_every_ig_question(directory, hub, submitter):
    RoutingRuleFactory(hub=hub, name="Every IG question in Dorset goes to the ICB's IG team", action="add",
                       partner=directory["ig_team"], support_needs=["information_governance"], weight=20)
    inquiry = SubmittedFactory(submitter=submitter, hub=hub, kind_of_help="evaluation",
                               support_needed=["evaluation", "information_governance"], themes=[])
    first = inquiry_match(inquiry=inquiry).partners[0]
    assert first.name == "NHS Dorset Information Governance team"
    assert first.score == 20 + 3 + 1
    assert first.reasons[0] == "Hub rule: Every IG question in Dorset goes to the ICB's IG team"
    assert "Helps with Information governance and data protection" in first.reasons


@pytest.mark.django_db
def test_a_hub_rule_boosts_a_matching_partner(directory, hub, evaluation_inquiry):
    RoutingRuleFactory(hub=hub, name="Prefer our university for evaluation", action="boost",
                       partner=directory["university"], support_needs=["evaluation"], weight=5)
    partners = inquiry_match(inquiry=evaluation_inquiry).partners
    assert _names(partners)[0] == "Bournemouth University"
    assert partners[0].score == 9
    assert partners[0].reasons[0] == "Hub rule: Prefer our university for evaluation"


@pytest.mark.django_db
def test_a_boost_never_suggests_a_partner_that_did_not_match(directory, hub, evaluation_inquiry):
    RoutingRuleFactory(hub=hub, name="Boost IG", action="boost", partner=directory["ig_team"], weight=50)
    assert "NHS Dorset Information Governance team" not in _names(inquiry_match(inquiry=evaluation_inquiry).partners)


@pytest.mark.django_db
def test_a_hub_rule_excludes_a_partner_whatever_else_applies(directory, hub, evaluation_inquiry):
    RoutingRuleFactory(hub=hub, name="Wessex is full until April", action="exclude", partner=directory["wessex"])
    RoutingRuleFactory(hub=hub, name="Add Wessex", action="add", partner=directory["wessex"])
    result = inquiry_match(inquiry=evaluation_inquiry)
    assert "Health Innovation Wessex" not in _names(result.partners)
    assert [(e.name, e.rule) for e in result.excluded] == [("Health Innovation Wessex", "Wessex is full until April")]


@pytest.mark.django_db
def test_rules_of_another_hub_inactive_rules_and_unmet_conditions_change_nothing(directory, hub, other_hub,
                                                                                evaluation_inquiry):
    RoutingRuleFactory(hub=other_hub, name="Manchester's", action="exclude", partner=directory["wessex"])
    RoutingRuleFactory(hub=hub, name="Inactive", action="exclude", partner=directory["wessex"], is_active=False)
    RoutingRuleFactory(hub=hub, name="Procurement only", action="exclude", partner=directory["wessex"],
                       support_needs=["procurement"])
    assert _names(inquiry_match(inquiry=evaluation_inquiry).partners)[0] == "Health Innovation Wessex"


@pytest.mark.django_db
def test_a_rule_never_adds_a_partner_that_cannot_take_the_referral(directory, hub, evaluation_inquiry):
    RoutingRuleFactory(hub=hub, name="Add Manchester", action="add", partner=directory["manchester"])
    assert "Health Innovation Manchester" not in _names(inquiry_match(inquiry=evaluation_inquiry).partners)


@pytest.mark.django_db
def test_it_offers_only_current_resources_national_or_the_hubs_own(directory, evaluation_inquiry):
    resources = inquiry_match(inquiry=evaluation_inquiry).resources
    # Core20PLUS5: evaluation 3 + inequalities 2; Dorset grants: funding 3 + local 1; guidance: 3.
    assert [r.title for r in resources] == ["Core20PLUS5", "Dorset small grants", "Evaluation guidance"]
    call = resources[1]
    assert call.reasons == ["Helps with Funding and bid writing", "From Dorset Innovation Hub",
                            f"Deadline {TODAY + timedelta(days=10):%-d %B %Y}"]
    assert call.url == directory["resources"]["call"].url
    assert call.kind_label == "Funding call"


@pytest.mark.django_db
def test_a_hub_rule_can_add_and_exclude_resources(directory, hub, evaluation_inquiry):
    toolkit = ResourceFactory(title="Dorset IG checklist", hub=hub, support_needs=["information_governance"])
    RoutingRuleFactory(hub=hub, name="Everyone gets the IG checklist", action="add", partner=None, resource=toolkit)
    RoutingRuleFactory(hub=hub, name="Not the national guidance", action="exclude", partner=None,
                       resource=directory["resources"]["guidance"])
    titles = [r.title for r in inquiry_match(inquiry=evaluation_inquiry).resources]
    assert titles[0] == "Dorset IG checklist"
    assert "Evaluation guidance" not in titles


@pytest.mark.django_db
def test_the_matcher_issues_the_same_few_queries_whatever_the_directory_size(directory, hub, evaluation_inquiry):
    RoutingRuleFactory(hub=hub, name="Add IG", action="add", partner=directory["ig_team"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            result = inquiry_match(inquiry=evaluation_inquiry)
        return len(queries), result

    small, _ = count()
    for n in range(40):
        partner = PartnerFactory(name=f"Extra partner {n}", hubs=[hub])
        PartnerServiceFactory(partner=partner, support_needs=["evaluation"])
        ResourceFactory(title=f"Extra resource {n}", support_needs=["funding"])
    large, result = count()
    assert small == large <= 6
    assert len(result.partners) == 10 and len(result.resources) == 10


@pytest.mark.django_db
def test_instant_signposting_gives_resources_with_why_and_kinds_of_partner(directory, evaluation_inquiry):
    signposting = instant_signposting(inquiry=evaluation_inquiry)
    assert [(r.title, r.kind, r.why) for r in signposting.resources] == [
        ("Core20PLUS5", "Guidance", "Helps with Evaluation and evidence"),
        ("Dorset small grants", "Funding call", "Helps with Funding and bid writing"),
        ("Evaluation guidance", "Guidance", "Helps with Evaluation and evidence"),
    ]
    assert signposting.partner_kinds == ["Health Innovation Networks", "Research bodies", "Universities"]
    assert instant_signposting_for_email(inquiry=evaluation_inquiry) == [
        {"title": "Core20PLUS5", "url": directory["resources"]["inequalities"].url},
        {"title": "Dorset small grants", "url": directory["resources"]["call"].url},
        {"title": "Evaluation guidance", "url": directory["resources"]["guidance"].url},
    ]


@pytest.mark.django_db
def test_instant_signposting_never_shows_hub_rules_to_the_submitter(directory, hub, evaluation_inquiry):
    toolkit = ResourceFactory(title="Dorset IG checklist", hub=hub, support_needs=["information_governance"])
    RoutingRuleFactory(hub=hub, name="Internal: push our checklist", action="add", partner=None, resource=toolkit)
    signposting = instant_signposting(inquiry=evaluation_inquiry)
    assert signposting.resources[0].title == "Dorset IG checklist"
    assert signposting.resources[0].why == "Recommended by your innovation hub"


@pytest.mark.django_db
def test_the_instant_signposting_fragment_renders_nhsuk_markup(directory, evaluation_inquiry):
    from django.template.loader import render_to_string

    html = render_to_string("signposting/_instant_signposting.html",
                            {"signposting": instant_signposting(inquiry=evaluation_inquiry)})
    assert "Help you can use today" in html
    assert f'href="{directory["resources"]["call"].url}"' in html
    assert "nhsuk-inset-text" in html and "Universities" in html
    assert render_to_string("signposting/_instant_signposting.html",
                            {"signposting": instant_signposting(inquiry=SubmittedFactory(
                                hub=evaluation_inquiry.hub, kind_of_help="new_idea", support_needed=[],
                                themes=[]))}).strip() == ""
    text = render_to_string("signposting/_instant_signposting_email.txt",
                            {"signposting_resources": instant_signposting_for_email(inquiry=evaluation_inquiry)})
    assert "Help you can use today" in text and directory["resources"]["call"].url in text


@pytest.mark.django_db
def test_the_matcher_issues_the_same_queries_on_a_directory_five_times_larger(hub):
    """Issue 13: the bench's random directory (rules of every kind on partners and resources), at two
    sizes; every sample inquiry costs the same number of queries at both."""
    import random

    from devtools.bench_matcher import build_directory, sample_inquiries

    def counts(size):
        rng = random.Random(13)
        hubs = build_directory(rng, partners=size, resources=4 * size)
        counted = []
        for inquiry in sample_inquiries(rng, hubs, count=8):
            with CaptureQueriesContext(connection) as queries:
                result = inquiry_match(inquiry=inquiry)
            counted.append(len(queries))
            assert result.partners and result.resources
        return counted

    small = counts(50)  # a tenth of the bench's sizes: 50 partners, 100 services, 200 resources
    large = counts(250)
    assert small == large
    assert set(small) == {4}


def _expected(inquiry, today):
    """The module's ranking rules (without hub rules), worked out in Python from tag_index, for the
    partners and resources the matcher should show: [(name, points)], best first, 10 of each. Resources
    come from offered_resources(), whose conditions the matcher's SQL repeats."""
    from django.db.models import Q

    from partners.models import Partner
    from signposting.matcher import Profile
    from signposting.models import offered_resources

    profile = Profile.of(inquiry)

    def shared(tags):
        return profile.need_tags & tags, profile.theme_tags & tags

    partners = []
    for partner in Partner.objects.filter(is_active=True).prefetch_related("services", "hubs"):
        if not (partner.serves_all_hubs or inquiry.hub in partner.hubs.all()):
            continue
        needs, themes, has_type, has_stage = set(), set(), False, False
        for service in partner.services.all():
            tags = set(service.tag_index.split("|"))
            if service.status != "active" or not any(shared(tags)):
                continue
            needs |= shared(tags)[0]
            themes |= shared(tags)[1]
            has_type = has_type or profile.type_tag in tags
            has_stage = has_stage or profile.stage_tag in tags
        if needs or themes:
            score = 3 * len(needs) + 2 * len(themes) + has_type + has_stage + (not partner.serves_all_hubs)
            partners.append(((-score, -len(needs), partner.name.lower(), partner.pk), (partner.name, score)))
    resources = []
    for resource in offered_resources(today).filter(Q(hub=None) | Q(hub=inquiry.hub)):
        tags = set(resource.tag_index.split("|"))
        needs, themes = shared(tags)
        if needs or themes:
            score = (3 * len(needs) + 2 * len(themes) + (profile.type_tag in tags) + (profile.stage_tag in tags)
                     + (resource.hub_id is not None))
            resources.append(((-score, -len(needs), resource.title.lower(), resource.pk), (resource.title, score)))
    return [row for _key, row in sorted(partners)[:10]], [row for _key, row in sorted(resources)[:10]]


@pytest.mark.django_db
def test_it_ranks_a_random_directory_as_the_rules_say_with_national_and_local_themes():
    """Issue 13: the ranking queries test national tags as bits of tag_bits and a hub's own themes with
    LIKE on tag_index; on the bench's random directory (with some of a hub's own themes added), every
    sample inquiry gets what the rules, worked out from tag_index in Python, say."""
    import random

    from devtools.bench_matcher import build_directory, sample_inquiries
    from hubportal.models import HubTheme
    from partners.models import PartnerService
    from signposting.models import Resource, RoutingRule

    rng = random.Random(2024)
    hubs = build_directory(rng, partners=60, resources=240)
    RoutingRule.objects.all().delete()  # rules are tested above; here the points alone decide
    local = [HubTheme.objects.create(hub=hub, code=f"local-{hub.code.lower()}-frailty", label=f"Frailty {hub.code}")
             for hub in hubs]
    for item in [*rng.sample(list(PartnerService.objects.all()), 40), *rng.sample(list(Resource.objects.all()), 80)]:
        item.themes = [*item.themes, rng.choice(local).code]
        item.save()
    inquiries = sample_inquiries(rng, hubs, count=12)
    for inquiry in inquiries[:6]:
        inquiry.themes = [*inquiry.themes, f"local-{inquiry.hub.code.lower()}-frailty"]

    for inquiry in inquiries:
        result = inquiry_match(inquiry=inquiry, today=TODAY)
        partners, resources = _expected(inquiry, TODAY)
        assert [(m.name, m.score) for m in result.partners] == partners
        assert [(r.title, r.score) for r in result.resources] == resources
        assert partners and resources


@pytest.mark.django_db
def test_the_ranking_queries_test_national_tags_as_bits_and_a_hubs_own_theme_with_like(hub, submitter):
    from hubportal.models import HubTheme

    HubTheme.objects.create(hub=hub, code="local-dor-frailty", label="Frailty")
    PartnerServiceFactory(partner=PartnerFactory(hubs=[hub]), support_needs=["funding"], themes=["local-dor-frailty"])
    ResourceFactory(support_needs=["funding"], themes=["local-dor-frailty"])

    def ranking_sql(**fields):
        inquiry = SubmittedFactory(submitter=submitter, hub=hub, kind_of_help="funding", stage="idea",
                                   innovation_type="digital", **fields)
        with CaptureQueriesContext(connection) as queries:
            result = inquiry_match(inquiry=inquiry)
        assert len(result.partners) == len(result.resources) == 1
        return [q["sql"] for q in queries if "AS score" in q["sql"]]

    national = ranking_sql(support_needed=["evaluation"], themes=["core20"])
    assert len(national) == 2
    assert all("tag_bits &" in sql and "LIKE" not in sql for sql in national)
    own = ranking_sql(support_needed=["evaluation"], themes=["local-dor-frailty"])
    assert all("tag_bits &" in sql and "LIKE '%|theme:local-dor-frailty|%'" in sql for sql in own)
