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

Bounded work (issue 13): four queries whatever the directory's size and the rules (the hub's rules,
with whether each rule's partner takes the hub's referrals; candidate partners scored and ranked by
the database, only the `limit` shown returned; the shown partners' matching services, for the
reasons; candidate resources scored and ranked the same way). The points above are written once as
SQL (_shared, _bonus), and the Python that is left works on the few rows shown.
"""

import heapq
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from django.db import connection
from django.db.models import DEFERRED
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
from partners.fields import TAG_BITS
from partners.models import (
    PARTNER_TYPE_PLURALS,
    Partner,
    PartnerService,
    PartnerType,
    ServiceStatus,
)

from .models import Resource, RoutingRule

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


def _top(entries, limit):
    """entries: (sort key tuple, item). The best `limit` (all, when None), best first."""
    if limit is None:
        return [item for _key, item in sorted(entries, key=lambda e: e[0])]
    return [item for _key, item in heapq.nsmallest(limit, entries, key=lambda e: e[0])]


# --- Ranking in SQL ----------------------------------------------------------------------------------
#
# The database scores and orders the candidates and returns only the `limit` best, so the work in
# Python is the same for 50 services or 50,000. The points are the module's rules written as SQL: a
# test per tag (_has), summed. The two ranking queries are SQL text, standard enough for SQLite and
# PostgreSQL: built with the ORM, compiling a CASE per tag three times cost more CPU than the old
# Python loop on a 500-partner directory (issue 13, docs/benchmarks.md).
#
# A national tag is one bit of the row's tag_bits (partners.fields.TAG_BITS), tested with `&`; a hub's
# own priority theme, which has no bit, is a LIKE on tag_index. The test runs on every row the other
# conditions leave (a typical inquiry's tags are shared by a third to a half of them, so no index
# would narrow the scan), and the LIKE per tag was most of the matcher's time (docs/decisions.md).

def _like(tag):
    """A LIKE pattern finding "|tag|" in tag_index (escaped as Django's `contains` does)."""
    escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%|{escaped}|%"


def _has(alias, tag):
    """(SQL, params): true when the row (of table `alias`) holds the tag."""
    bit = TAG_BITS.get(tag)
    if bit is None:
        return f"{alias}.tag_index LIKE %s ESCAPE '\\'", [_like(tag)]
    return f"({alias}.tag_bits & %s) <> 0", [bit]


def _shares(alias, tag, per_group):
    """SQL for 1 when the row holds the tag, else 0. per_group: over a partner's services (GROUP BY
    partner), where a tag counts once however many of its services list it."""
    test, params = _has(alias, tag)
    sql = f"CASE WHEN {test} THEN 1 ELSE 0 END"
    return (f"MAX({sql})" if per_group else sql), params


def _total(alias, tags, per_group):
    parts, params = [], []
    for tag in sorted(tags):
        sql, more = _shares(alias, tag, per_group)
        parts.append(sql)
        params += more
    return ("(" + " + ".join(parts) + ")" if parts else "0"), params


def _score(profile, alias, *, per_group, local, bonus_column, bonus):
    """(SQL, params) of the points, and of the number of shared needs (the second sort key)."""
    needs, need_params = _total(alias, profile.need_tags, per_group)
    themes, theme_params = _total(alias, profile.theme_tags, per_group)
    has_type, type_params = _shares(alias, profile.type_tag, per_group) if profile.innovation_type else ("0", [])
    has_stage, stage_params = _shares(alias, profile.stage_tag, per_group) if profile.stage else ("0", [])
    bonus_sql, bonus_params = "0", []
    if bonus:  # the hub's add and boost rules' weights for the items they name
        bonus_sql = f"CASE {bonus_column} " + " ".join("WHEN %s THEN %s" for _ in bonus) + " ELSE 0 END"
        bonus_params = [value for item in bonus.items() for value in item]
    score = (f"{NEED_POINTS} * {needs} + {THEME_POINTS} * {themes} + {TYPE_POINTS} * {has_type} "
             f"+ {STAGE_POINTS} * {has_stage} + CASE WHEN {local} THEN {LOCAL_POINTS} ELSE 0 END + {bonus_sql}")
    return (score, need_params + theme_params + type_params + stage_params + bonus_params), (needs, need_params)


def _tag_where(alias, profile):
    """(SQL, params): the row shares a need or a theme with the inquiry. One `&` with every such tag's
    bit, then a LIKE for each of the inquiry's own-priority themes."""
    tags = sorted(profile.need_tags | profile.theme_tags)
    mask = sum(TAG_BITS.get(tag, 0) for tag in tags)
    tests, params = ([f"({alias}.tag_bits & %s) <> 0"], [mask]) if mask else ([], [])
    for tag in tags:
        if tag not in TAG_BITS:
            test, more = _has(alias, tag)
            tests.append(test)
            params += more
    return "(" + " OR ".join(tests) + ")", params


def _not_in(column, ids):
    ids = sorted(ids)
    return (f" AND {column} NOT IN ({', '.join(['%s'] * len(ids))})", ids) if ids else ("", [])


def _in(column, ids):
    ids = sorted(ids)
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _name_order(column):
    """The name as the Python tie-break orders it (str.lower(), then code points). PostgreSQL's
    linguistic collations skip spaces and punctuation, so compare the lowered name byte by byte (UTF-8
    keeps code point order); SQLite compares bytes already."""
    return f'LOWER({column}) COLLATE "C"' if connection.vendor == "postgresql" else f"LOWER({column})"


def _fetch(sql, params, limit):
    if limit is not None:
        sql, params = sql + " LIMIT %s", [*params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _uuid(value):
    return value if isinstance(value, UUID) or value is None else UUID(value)


def _date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


# --- Hub rules ---------------------------------------------------------------------------------------

@dataclass
class _RuleEffects:
    """What a hub's applicable rules do to one kind of target (partners or resources)."""

    excluded_ids: set = field(default_factory=set)
    # For a target that matched on tags every add and boost rule applies: their weights summed, and
    # their names in rule order.
    bonus: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    live: list = field(default_factory=list)  # the add and boost rules, in rule order


def _rule_effects(rules, target, excluded, label):
    effects = _RuleEffects()
    mine = [rule for rule in rules if getattr(rule, f"{target}_id")]
    for rule in mine:
        if rule.action == RoutingRule.Action.EXCLUDE:
            effects.excluded_ids.add(getattr(rule, f"{target}_id"))
            excluded.append(Excluded(label(rule), rule.name))
    for rule in mine:
        pk = getattr(rule, f"{target}_id")
        if rule.action == RoutingRule.Action.EXCLUDE or pk in effects.excluded_ids:
            continue
        effects.live.append(rule)
        effects.bonus[pk] = effects.bonus.get(pk, 0) + rule.weight
        effects.names.setdefault(pk, []).append(rule.name)
    return effects


def _added_without_tags(effects, target, ranked_ids, can_add):
    """Targets an add rule suggests although they are not among the ranked rows: {pk: (rule, score,
    names)}. In rule order, an add rule creates the suggestion (when can_add(rule)), and later add and
    boost rules add to it; a boost before it found nothing to move up.

    A target missing from the ranked rows either shares no tag (it belongs here) or ranked below the
    `limit` shown. In the second case its tag score (2 or more, plus every rule's weight) beats the
    score it gets here, which is then below every row shown: merged and cut to `limit`, it drops out.
    """
    added = {}
    for rule in effects.live:
        pk = getattr(rule, f"{target}_id")
        if pk in ranked_ids:
            continue
        entry = added.get(pk)
        if entry is None and rule.action == RoutingRule.Action.ADD and can_add(rule):
            entry = added[pk] = [rule, 0, []]
        if entry is None:
            continue  # a boost only moves up what already matched
        entry[1] += rule.weight
        entry[2].append(rule.name)
    return added


# The columns _rules reads of each rule, and of its partner or resource: what the matcher uses.
_RULE_FIELDS = ("id", "hub_id", "name", "action", "weight", "support_needs", "themes", "innovation_types", "stages",
                "partner_id", "resource_id")
_RULE_PARTNER_FIELDS = ("id", "public_id", "name", "kind", "is_active", "serves_all_hubs")
_RULE_RESOURCE_FIELDS = ("id", "public_id", "title", "url", "kind", "summary", "provider", "deadline", "hub_id",
                         "is_active", "review_due_on")


def _instance(model, names, values):
    """A model instance from the named columns of a row, each value converted by its field as the ORM
    does; the fields not named are deferred (read from the database if ever used)."""
    row = {}
    for name, value in zip(names, values, strict=True):
        field = model._meta.get_field(name)
        from_db = getattr(field, "from_db_value", None)
        row[field.attname] = from_db(value, None, connection) if from_db else field.to_python(value)
    return model.from_db(connection.alias, list(row),
                         [row.get(field.attname, DEFERRED) for field in model._meta.concrete_fields])


def _rules(profile):
    """The hub's active rules whose conditions the inquiry meets, with their partner and resource, and
    whether the partner takes this hub's referrals (so an add rule needs no query of its own).

    SQL text, as the ranking queries: the ORM's compiling of this join cost more CPU than the rest of
    the matcher on a small directory (issue 13)."""
    columns = ", ".join([*(f"r.{name}" for name in _RULE_FIELDS), *(f"p.{name}" for name in _RULE_PARTNER_FIELDS),
                         *(f"o.{name}" for name in _RULE_RESOURCE_FIELDS)])
    sql = (
        f"SELECT {columns}, EXISTS (SELECT 1 FROM {_table(Partner.hubs.through)} h "  # noqa: S608
        "WHERE h.partner_id = r.partner_id AND h.hub_id = r.hub_id) "
        f"FROM {_table(RoutingRule)} r LEFT JOIN {_table(Partner)} p ON p.id = r.partner_id "
        f"LEFT JOIN {_table(Resource)} o ON o.id = r.resource_id WHERE r.hub_id = %s AND r.is_active ORDER BY r.id"
    )
    rules = []
    partner_at, resource_at = len(_RULE_FIELDS), len(_RULE_FIELDS) + len(_RULE_PARTNER_FIELDS)
    for row in _fetch(sql, [profile.hub_id], None):
        rule = _instance(RoutingRule, _RULE_FIELDS, row[:partner_at])
        if not rule.applies_to(needs=profile.needs, themes=profile.themes,
                               innovation_type=profile.innovation_type, stage=profile.stage):
            continue
        if rule.partner_id:
            rule.partner = _instance(Partner, _RULE_PARTNER_FIELDS, row[partner_at:resource_at])
        if rule.resource_id:
            rule.resource = _instance(Resource, _RULE_RESOURCE_FIELDS, row[resource_at:-1])
        rule.partner_listed = bool(row[-1])
        rules.append(rule)
    return rules


# --- Partners ----------------------------------------------------------------------------------------

def _ranked_partner_rows(profile, effects, limit):
    """The best `limit` candidate partners, ranked by the database: (id, name, kind, national, score)."""
    if not (profile.needs or profile.themes):
        return []
    (score, score_params), (needs, need_params) = _score(
        profile, "s", per_group=True, local="NOT p.serves_all_hubs", bonus_column="s.partner_id",
        bonus=effects.bonus)
    tags, tag_params = _tag_where("s", profile)
    excluded, excluded_params = _not_in("s.partner_id", effects.excluded_ids)
    # Only our own column names and SQL go into the text; every value is a parameter.
    sql = (
        f"SELECT s.partner_id, p.name, p.kind, p.serves_all_hubs, {score} AS score, "  # noqa: S608
        f"{needs} AS shared_needs "
        f"FROM {_table(PartnerService)} s INNER JOIN {_table(Partner)} p ON p.id = s.partner_id "
        f"WHERE s.status = %s AND p.is_active AND {tags} AND (p.serves_all_hubs OR s.partner_id IN "
        f"(SELECT h.partner_id FROM {_table(Partner.hubs.through)} h WHERE h.hub_id = %s)){excluded} "
        "GROUP BY s.partner_id, p.name, p.kind, p.serves_all_hubs "
        f"ORDER BY score DESC, shared_needs DESC, {_name_order('p.name')}, s.partner_id"
    )
    params = [*score_params, *need_params, ServiceStatus.ACTIVE.value, *tag_params, profile.hub_id,
              *excluded_params]
    return [row[:5] for row in _fetch(sql, params, limit)]


def _describe_partners(matches, profile):
    """The matching services of the partners shown (one query): their names, eligibility and tags."""
    if not matches:
        return
    tags, tag_params = _tag_where("s", profile)
    shown, shown_params = _in("s.partner_id", matches)
    sql = (
        "SELECT s.partner_id, p.public_id, s.name, s.tag_index, s.eligibility_description "  # noqa: S608
        f"FROM {_table(PartnerService)} s INNER JOIN {_table(Partner)} p ON p.id = s.partner_id "
        f"WHERE {shown} AND s.status = %s AND {tags}"
    )
    for partner_id, public_id, name, tag_text, eligibility in _fetch(
            sql, [*shown_params, ServiceStatus.ACTIVE.value, *tag_params], None):
        match = matches[partner_id]
        if not match.tags.add(tag_text, profile):
            continue
        match.public_id = _uuid(public_id)
        match.services.append(name)
        if eligibility:
            match.eligibility.append((name, eligibility))


def _partners(profile, rules, limit, excluded):
    effects = _rule_effects(rules, "partner", excluded, lambda rule: rule.partner.name)
    matches = {
        partner_id: PartnerMatch(partner_id, None, name, kind, score=score, is_local=not national, tags=_Tags(),
                                 rules=list(effects.names.get(partner_id, ())))
        for partner_id, name, kind, national, score in _ranked_partner_rows(profile, effects, limit)
    }
    _describe_partners(matches, profile)
    added = _added_without_tags(
        effects, "partner", matches,
        can_add=lambda rule: rule.partner.is_active and (rule.partner.serves_all_hubs or rule.partner_listed))
    for partner_id, (rule, score, names) in added.items():
        partner = rule.partner
        matches[partner_id] = PartnerMatch(partner_id, partner.public_id, partner.name, partner.kind, score=score,
                                           rules=names, is_local=not partner.serves_all_hubs)
    return _finish_partners(_rank_partners(matches, limit), profile)


def _rank_partners(matches, limit):
    return _top([((-m.score, -len(m.tags.needs) if m.tags else 0, m.name.lower(), m.partner_id), m)
                 for m in matches.values()], limit)


def _finish_partners(partners, profile):
    """Write the shown partners' reasons."""
    for match in partners:
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


def _ranked_resource_rows(profile, effects, today, limit):
    """The best `limit` candidate resources, ranked by the database: _RESOURCE_COLUMNS, then the score.
    Candidates are offered (active, before the review date and the deadline: models.offered_resources),
    national or the hub's own, sharing a need or a theme."""
    if not (profile.needs or profile.themes):
        return []
    (score, score_params), (needs, need_params) = _score(
        profile, "r", per_group=False, local="r.hub_id IS NOT NULL", bonus_column="r.id",
        bonus=effects.bonus)
    tags, tag_params = _tag_where("r", profile)
    excluded, excluded_params = _not_in("r.id", effects.excluded_ids)
    day = connection.ops.adapt_datefield_value(today)
    # Only our own column names and SQL go into the text; every value is a parameter. The conditions
    # are those of models.offered_resources(), which this must follow.
    sql = (
        "SELECT r.id, r.public_id, r.title, r.url, r.kind, r.summary, r.provider, r.deadline, r.hub_id, "  # noqa: S608
        f"r.tag_index, {score} AS score, {needs} AS shared_needs FROM {_table(Resource)} r "
        "WHERE r.is_active AND r.review_due_on >= %s AND (r.deadline IS NULL OR r.deadline >= %s) "
        f"AND (r.hub_id IS NULL OR r.hub_id = %s) AND {tags}{excluded} "
        f"ORDER BY score DESC, shared_needs DESC, {_name_order('r.title')}, r.id"
    )
    params = [*score_params, *need_params, day, day, profile.hub_id, *tag_params, *excluded_params]
    return [(pk, _uuid(public_id), title, url, kind, summary, provider, _date(deadline), hub_id, tag_text, score)
            for pk, public_id, title, url, kind, summary, provider, deadline, hub_id, tag_text, score, _needs
            in _fetch(sql, params, limit)]


def _resources(profile, rules, today, limit, excluded):
    effects = _rule_effects(rules, "resource", excluded, lambda rule: rule.resource.title)
    found = {}
    for *row, score in _ranked_resource_rows(profile, effects, today, limit):
        tags = _Tags()
        tags.add(row[9], profile)
        found[row[0]] = (score, len(tags.needs), tuple(row), list(effects.names.get(row[0], ())), tags)
    added = _added_without_tags(effects, "resource", found, can_add=lambda rule: rule.resource.is_offered(today))
    for pk, (rule, score, names) in added.items():
        row = tuple(getattr(rule.resource, column) for column in _RESOURCE_COLUMNS[:-1]) + ("",)
        found[pk] = (score, 0, row, names, None)
    return _finish_resources(found, profile, limit)


def _finish_resources(found, profile, limit):
    """Rank the candidates and make matches, with their reasons, of the ones shown."""
    ranked = _top([((-score, -needs, row[2].lower(), pk), (score, row, rules, tags))
                   for pk, (score, needs, row, rules, tags) in found.items()], limit)
    resources = []
    for score, row, rules, tags in ranked:
        pk, public_id, title, url, kind, summary, provider, deadline, hub_id, _tag_text = row
        match = ResourceMatch(pk, public_id, title, url, kind, summary, provider, deadline,
                              score=score, rules=rules, is_local=hub_id is not None)
        reasons = [f"Hub rule: {name}" for name in rules]
        if tags is not None:
            match.tags, match.needs = tags, tags.codes()[0]
            reasons += tags.reasons(profile)
            if match.is_local:
                reasons.append(f"From {profile.hub_name}")
        if match.deadline:
            reasons.append(f"Deadline {match.deadline:%-d %B %Y}")
        match.reasons = reasons
        resources.append(match)
    return resources


def inquiry_match(*, inquiry, partner_limit=10, resource_limit=10, partners=True, resources=True, today=None):
    """Ranked partners and resources for an inquiry, with reasons. Reads only; see the module's rules."""
    profile = Profile.of(inquiry)
    result = MatchResult(profile=profile)
    if profile.hub_id is None:
        return result
    today = today or timezone.localdate()
    rules = _rules(profile)
    if partners:
        result.partners = _partners(profile, rules, partner_limit, result.excluded)
    if resources:
        result.resources = _resources(profile, rules, today, resource_limit, result.excluded)
    return result
