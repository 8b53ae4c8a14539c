"""The matcher: an inquiry in, ranked partners and resources out, each with the reasons it was chosen.

Ranking (documented for hub staff in signposting/README.md):

- An inquiry's needs are the support it asked for plus the one its kind of help implies
  (KIND_NEEDS: "I need help with information governance" needs information governance).
- A partner is a candidate when it is active, takes referrals from the inquiry's hub (listed for
  the hub, or national), and has an active service sharing at least one need or theme with the
  inquiry. A resource is a candidate when it is offered (active, before its review date and
  deadline), national or the hub's own, and shares at least one need or theme.
- Points: each shared need 3, each shared theme 2, the innovation's type listed 1, its stage listed
  1, and 1 for being local (a partner listed for its hubs rather than a national one; a resource of
  the hub rather than a national one). A partner's tags are the union over its matching services.
- Then the hub's routing rules whose conditions the inquiry meets: "exclude" removes the partner or
  resource whatever else applies; "add" suggests it even without a tag match, with the rule's weight
  (10 by default) on top; "boost" adds the weight to one that already matched. A rule never suggests
  an inactive partner, one that does not serve the hub, or a resource that is no longer offered.
- Order: points, then the number of shared needs, then name. Ties are therefore stable.

Bounded work: three queries whatever the directory's size (the hub's rules, candidate services with
their partners, candidate resources), and a fourth only when a rule adds a partner that did not match
on tags (does it serve the hub?). Candidates are found by SQL on the tag index, so only rows sharing a
tag with the inquiry are read; rows are read straight from the cursor and made into matches only for
the few that are shown.
"""

import heapq
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from hubportal.taxonomy import (
    InnovationType,
    KindOfHelp,
    Stage,
    SupportNeed,
    Theme,
    is_local_theme,
    theme_lookup,
)
from partners.models import (
    PARTNER_TYPE_PLURALS,
    Partner,
    PartnerService,
    PartnerType,
    ServiceStatus,
)

from .models import Resource, RoutingRule, offered_resources

NEED_POINTS = 3
THEME_POINTS = 2
TYPE_POINTS = 1
STAGE_POINTS = 1
LOCAL_POINTS = 1

# The support need each kind of help implies (a new idea implies none by itself).
KIND_NEEDS = {
    KindOfHelp.NEW_IDEA: (),
    KindOfHelp.ADOPT_PROVEN: (SupportNeed.ADOPTION,),
    KindOfHelp.PROBLEM: (SupportNeed.PARTNERS,),
    KindOfHelp.EVALUATION: (SupportNeed.EVALUATION,),
    KindOfHelp.FUNDING: (SupportNeed.FUNDING,),
    KindOfHelp.PROCUREMENT: (SupportNeed.PROCUREMENT,),
    KindOfHelp.INFORMATION_GOVERNANCE: (SupportNeed.INFORMATION_GOVERNANCE,),
    KindOfHelp.DIGITAL: (SupportNeed.DIGITAL,),
    KindOfHelp.PPIE: (SupportNeed.PPIE,),
    KindOfHelp.PROJECT_MANAGEMENT: (SupportNeed.PROJECT_MANAGEMENT,),
}

_NEED_LABELS = dict(SupportNeed.choices)
_THEME_LABELS = dict(Theme.choices)
_TYPE_LABELS = dict(InnovationType.choices)
_STAGE_LABELS = dict(Stage.choices)
_NEED_ORDER = {code: i for i, code in enumerate(SupportNeed.values)}
_THEME_ORDER = {code: i for i, code in enumerate(Theme.values)}
_PARTNER_TYPE_LABELS = dict(PartnerType.choices)
_RESOURCE_KIND_LABELS = dict(Resource.Kind.choices)


@dataclass
class Profile:
    """What the matcher reads from an inquiry, and the tags (as in tag_index) it looks for."""

    hub_id: int | None
    hub_name: str
    needs: frozenset
    themes: frozenset
    innovation_type: str
    stage: str
    # Code -> label of the themes it may name: national, and (issue 10) the hub's own priorities.
    theme_names: dict = field(default_factory=lambda: _THEME_LABELS)

    @classmethod
    def of(cls, inquiry):
        needs = set(inquiry.support_needed or ()) | set(KIND_NEEDS.get(inquiry.kind_of_help, ()))
        names = _THEME_LABELS
        if inquiry.hub_id and any(is_local_theme(t) for t in inquiry.themes or ()):
            names = theme_lookup(inquiry.hub)  # one query, only for an inquiry that chose a local priority
        return cls(hub_id=inquiry.hub_id, hub_name=inquiry.hub.name if inquiry.hub_id else "",
                   needs=frozenset(n for n in needs if n in _NEED_LABELS),
                   themes=frozenset(t for t in (inquiry.themes or ()) if t in names),
                   innovation_type=inquiry.innovation_type or "", stage=inquiry.stage or "", theme_names=names)

    def __post_init__(self):
        self.need_tags = frozenset(f"need:{c}" for c in self.needs)
        self.theme_tags = frozenset(f"theme:{c}" for c in self.themes)
        self.type_tag = f"type:{self.innovation_type}"
        self.stage_tag = f"stage:{self.stage}"

    def tag_filter(self):
        query = Q()
        for tag in sorted(self.need_tags | self.theme_tags):
            query |= Q(tag_index__contains=f"|{tag}|")
        return query


@dataclass
class _Tags:
    """The inquiry's tags an item (or a partner's services together) shares, as "need:x" strings."""

    needs: set = field(default_factory=set)
    themes: set = field(default_factory=set)
    has_type: bool = False
    has_stage: bool = False

    def add(self, tag_index, profile):
        tags = set(tag_index.split("|"))
        needs, themes = profile.need_tags & tags, profile.theme_tags & tags
        if not (needs or themes):
            return False
        self.needs |= needs
        self.themes |= themes
        self.has_type = self.has_type or profile.type_tag in tags
        self.has_stage = self.has_stage or profile.stage_tag in tags
        return True

    @property
    def matched(self):
        return bool(self.needs or self.themes)

    def points(self):
        return (NEED_POINTS * len(self.needs) + THEME_POINTS * len(self.themes)
                + TYPE_POINTS * self.has_type + STAGE_POINTS * self.has_stage)

    def codes(self):
        return (frozenset(t.partition(":")[2] for t in self.needs),
                frozenset(t.partition(":")[2] for t in self.themes))

    def reasons(self, profile):
        needs, themes = self.codes()
        reasons = []
        if needs:
            reasons.append("Helps with " + "; ".join(_NEED_LABELS[c] for c in sorted(needs, key=_NEED_ORDER.get)))
        if themes:
            # National themes in their order, then the hub's own priorities by name.
            ordered = sorted(themes, key=lambda c: (_THEME_ORDER.get(c, len(_THEME_ORDER)), profile.theme_names[c]))
            reasons.append("Works on " + "; ".join(profile.theme_names[c] for c in ordered))
        if self.has_type:
            reasons.append(f"Works with this type of innovation: {_TYPE_LABELS[profile.innovation_type]}")
        if self.has_stage:
            reasons.append(f"Helps at this stage: {_STAGE_LABELS[profile.stage]}")
        return reasons


@dataclass
class PartnerMatch:
    partner_id: int
    public_id: UUID | None
    name: str
    kind: str
    score: int = 0
    reasons: list = field(default_factory=list)
    services: list = field(default_factory=list)
    needs: frozenset = frozenset()
    themes: frozenset = frozenset()
    rules: list = field(default_factory=list)
    is_local: bool = False
    tags: _Tags | None = None
    # (service name, who can use it) for each matching service with eligibility text: staff read it
    # beside the suggestion before referring (issue 10).
    eligibility: list = field(default_factory=list)

    @property
    def kind_label(self):
        return _PARTNER_TYPE_LABELS.get(self.kind, self.kind)

    @property
    def kind_plural(self):
        return PARTNER_TYPE_PLURALS.get(self.kind, self.kind_label)


@dataclass
class ResourceMatch:
    resource_id: int
    public_id: UUID | None
    title: str
    url: str = ""
    kind: str = ""
    summary: str = ""
    provider: str = ""
    deadline: date | None = None
    score: int = 0
    reasons: list = field(default_factory=list)
    needs: frozenset = frozenset()
    rules: list = field(default_factory=list)
    is_local: bool = False
    tags: _Tags | None = None

    @property
    def kind_label(self):
        return _RESOURCE_KIND_LABELS.get(self.kind, self.kind)


@dataclass
class Excluded:
    name: str
    rule: str


@dataclass
class MatchResult:
    profile: Profile
    partners: list = field(default_factory=list)
    resources: list = field(default_factory=list)
    excluded: list = field(default_factory=list)


def _rows(queryset):
    """A values_list query's rows straight from the cursor, skipping Django's per-row converters (which
    cost more than the matching itself). Callers convert the few values they show (_uuid, _date)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _uuid(value):
    return value if isinstance(value, UUID) or value is None else UUID(value)


def _date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _top(entries, limit):
    """entries: (sort key tuple, item). The best `limit` (all, when None), best first."""
    if limit is None:
        return [item for _key, item in sorted(entries, key=lambda e: e[0])]
    return [item for _key, item in heapq.nsmallest(limit, entries, key=lambda e: e[0])]


# --- Partners ----------------------------------------------------------------------------------------

def _partner_candidates(profile):
    if not (profile.needs or profile.themes):
        return {}
    listed_for_hub = Partner.hubs.through.objects.filter(hub_id=profile.hub_id).values("partner_id")
    rows = _rows(
        PartnerService.objects.filter(profile.tag_filter(), status=ServiceStatus.ACTIVE, partner__is_active=True)
        .filter(Q(partner_id__in=listed_for_hub) | Q(partner__serves_all_hubs=True))
        .order_by()
        .values_list("partner_id", "partner__public_id", "partner__name", "partner__kind", "partner__serves_all_hubs",
                     "name", "tag_index", "eligibility_description")
    )
    need_tags, theme_tags, type_tag, stage_tag = (profile.need_tags, profile.theme_tags, profile.type_tag,
                                                  profile.stage_tag)
    matches = {}
    for partner_id, public_id, name, kind, national, service_name, tag_text, eligibility in rows:
        tags = set(tag_text.split("|"))
        needs, themes = need_tags & tags, theme_tags & tags
        if not (needs or themes):
            continue
        match = matches.get(partner_id)
        if match is None:
            matches[partner_id] = PartnerMatch(
                partner_id, public_id, name, kind, is_local=not national, services=[service_name],
                tags=_Tags(set(needs), set(themes), type_tag in tags, stage_tag in tags),
                eligibility=[(service_name, eligibility)] if eligibility else [])
            continue
        found = match.tags
        found.needs |= needs
        found.themes |= themes
        found.has_type = found.has_type or type_tag in tags
        found.has_stage = found.has_stage or stage_tag in tags
        match.services.append(service_name)
        if eligibility:
            match.eligibility.append((service_name, eligibility))
    for match in matches.values():
        match.score = match.tags.points() + (LOCAL_POINTS if match.is_local else 0)
    return matches


def _listed_for_hub(partner_ids, hub_id):
    if not partner_ids:
        return set()
    return set(Partner.hubs.through.objects.filter(hub_id=hub_id, partner_id__in=partner_ids)
               .values_list("partner_id", flat=True))


def _apply_partner_rules(rules, matches, excluded, hub_id):
    partner_rules = [r for r in rules if r.partner_id]
    excluded_ids = set()
    for rule in partner_rules:
        if rule.action == RoutingRule.Action.EXCLUDE:
            matches.pop(rule.partner_id, None)
            excluded_ids.add(rule.partner_id)
            excluded.append(Excluded(rule.partner.name, rule.name))
    # Whether a partner to add (that did not match on tags) takes this hub's referrals: one query, and
    # only when a rule adds such a partner.
    to_add = {r.partner_id for r in partner_rules if r.action == RoutingRule.Action.ADD
              and r.partner_id not in matches and r.partner_id not in excluded_ids and not r.partner.serves_all_hubs}
    listed = _listed_for_hub(to_add, hub_id)
    for rule in partner_rules:
        if rule.action == RoutingRule.Action.EXCLUDE or rule.partner_id in excluded_ids:
            continue
        partner = rule.partner
        match = matches.get(rule.partner_id)
        referable = partner.is_active and (partner.serves_all_hubs or partner.pk in listed)
        if rule.action == RoutingRule.Action.ADD and match is None and referable:
            match = matches[rule.partner_id] = PartnerMatch(partner.pk, partner.public_id, partner.name,
                                                            partner.kind, is_local=not partner.serves_all_hubs)
        if match is None:
            continue  # a boost only moves up what already matched
        match.score += rule.weight
        match.rules.append(rule.name)


def _rank_partners(matches, limit):
    return _top([((-m.score, -len(m.tags.needs) if m.tags else 0, m.name.lower(), m.partner_id), m)
                 for m in matches.values()], limit)


def _finish_partners(partners, profile):
    """Write the shown partners' reasons."""
    for match in partners:
        match.public_id = _uuid(match.public_id)
        reasons = [f"Hub rule: {name}" for name in match.rules]
        if match.tags is not None:
            match.services = sorted(set(match.services))
            match.eligibility = sorted(set(match.eligibility))
            match.needs, match.themes = match.tags.codes()
            reasons += match.tags.reasons(profile)
            reasons.append(f"Takes referrals from {profile.hub_name}" if match.is_local
                           else "A national organisation that takes referrals from every hub")
            reasons.append("Through: " + "; ".join(match.services))
        match.reasons = reasons
    return partners


# --- Resources ---------------------------------------------------------------------------------------

_RESOURCE_COLUMNS = ("pk", "public_id", "title", "url", "kind", "summary", "provider", "deadline", "hub_id",
                     "tag_index")


def _resource_candidates(profile, today):
    """{pk: [score, shared needs, row]}: plain rows while ranking; matches only for those shown."""
    if not (profile.needs or profile.themes):
        return {}
    rows = _rows(
        offered_resources(today).filter(Q(hub__isnull=True) | Q(hub_id=profile.hub_id)).filter(profile.tag_filter())
        .order_by().values_list(*_RESOURCE_COLUMNS)
    )
    need_tags, theme_tags, type_tag, stage_tag = (profile.need_tags, profile.theme_tags, profile.type_tag,
                                                  profile.stage_tag)
    found = {}
    for row in rows:
        tags = set(row[9].split("|"))
        needs, themes = need_tags & tags, theme_tags & tags
        if not (needs or themes):
            continue
        score = (NEED_POINTS * len(needs) + THEME_POINTS * len(themes) + TYPE_POINTS * (type_tag in tags)
                 + STAGE_POINTS * (stage_tag in tags) + LOCAL_POINTS * (row[8] is not None))
        found[row[0]] = [score, len(needs), row, []]
    return found


def _apply_resource_rules(rules, found, today, excluded):
    resource_rules = [r for r in rules if r.resource_id]
    excluded_ids = set()
    for rule in resource_rules:
        if rule.action == RoutingRule.Action.EXCLUDE:
            found.pop(rule.resource_id, None)
            excluded_ids.add(rule.resource_id)
            excluded.append(Excluded(rule.resource.title, rule.name))
    for rule in resource_rules:
        if rule.action == RoutingRule.Action.EXCLUDE or rule.resource_id in excluded_ids:
            continue
        resource = rule.resource
        entry = found.get(rule.resource_id)
        if rule.action == RoutingRule.Action.ADD and entry is None and resource.is_offered(today):
            row = tuple(getattr(resource, column) for column in _RESOURCE_COLUMNS[:-1]) + ("",)
            entry = found[rule.resource_id] = [0, 0, row, []]
        if entry is None:
            continue
        entry[0] += rule.weight
        entry[3].append(rule.name)


def _finish_resources(found, profile, limit):
    """Rank the candidates and make matches, with their reasons, of the ones shown."""
    ranked = _top([((-score, -needs, row[2].lower(), pk), (score, row, rules))
                   for pk, (score, needs, row, rules) in found.items()], limit)
    resources = []
    for score, row, rules in ranked:
        pk, public_id, title, url, kind, summary, provider, deadline, hub_id, tag_text = row
        match = ResourceMatch(pk, _uuid(public_id), title, url, kind, summary, provider, _date(deadline),
                              score=score, rules=rules, is_local=hub_id is not None)
        reasons = [f"Hub rule: {name}" for name in rules]
        if tag_text:
            tags = _Tags()
            tags.add(tag_text, profile)
            match.tags, match.needs = tags, tags.codes()[0]
            reasons += tags.reasons(profile)
            if match.is_local:
                reasons.append(f"From {profile.hub_name}")
        if match.deadline:
            reasons.append(f"Deadline {match.deadline:%-d %B %Y}")
        match.reasons = reasons
        resources.append(match)
    return resources


def _rules(profile):
    rules = (RoutingRule.objects.filter(hub_id=profile.hub_id, is_active=True)
             .select_related("partner", "resource").order_by("pk"))
    return [rule for rule in rules if rule.applies_to(needs=profile.needs, themes=profile.themes,
                                                       innovation_type=profile.innovation_type,
                                                       stage=profile.stage)]


def inquiry_match(*, inquiry, partner_limit=10, resource_limit=10, partners=True, resources=True, today=None):
    """Ranked partners and resources for an inquiry, with reasons. Reads only; see the module's rules."""
    profile = Profile.of(inquiry)
    result = MatchResult(profile=profile)
    if profile.hub_id is None:
        return result
    today = today or timezone.localdate()
    rules = _rules(profile)
    if partners:
        matches = _partner_candidates(profile)
        _apply_partner_rules(rules, matches, result.excluded, profile.hub_id)
        result.partners = _finish_partners(_rank_partners(matches, partner_limit), profile)
    if resources:
        found = _resource_candidates(profile, today)
        _apply_resource_rules(rules, found, today, result.excluded)
        result.resources = _finish_resources(found, profile, resource_limit)
    return result
