"""The directory as Open Referral UK (HSDS 3.0 API) JSON: organizations, services and taxonomy.

Only what an open directory shows: organisations, their services, and the taxonomy their services are
tagged with. Partner contacts (named people) are left out; the organisation's general email is in.
Ids are the records' public UUIDs, stable across exports. Lists are paginated as the ORUK API's Page.
"""

import math
import uuid

from django.conf import settings
from django.db.models import Prefetch

from hubportal.models import Hub
from hubportal.taxonomy import InnovationType, Stage, SupportNeed, Theme

from .models import Partner, PartnerService, PartnerType, ServiceStatus

ORUK_VERSION = "3.0"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
_NAMESPACE = uuid.UUID("6f1d2c47-5d2e-4f5b-9a53-0c3e0b7f6a10")

# Our taxonomies, as ORUK taxonomy ids: (id, name, description, choices, tag prefix in tag_index)
TAXONOMIES = [
    ("support-need", "Support needs", "What a service helps innovators with.", SupportNeed, "need"),
    ("theme", "Priority themes", "NHS and system priority themes a service works on.", Theme, "theme"),
    ("innovation-type", "Innovation types", "Kinds of innovation a service works with.", InnovationType, "type"),
    ("stage", "Innovation stages", "How far along an innovation is.", Stage, "stage"),
    ("partner-type", "Partner organisation types", "What kind of organisation a partner is.", PartnerType, None),
]
_SERVICE_TAXONOMIES = {"support-need": "support_needs", "theme": "themes",
                       "innovation-type": "innovation_types", "stage": "stages"}
HUB_TAXONOMY = ("innovation-hub", "Innovation hubs", "The innovation hubs an organisation takes referrals from.")


class BadParameter(ValueError):
    pass


def _taxonomy_uuid(slug):
    return str(uuid.uuid5(_NAMESPACE, f"taxonomy/{slug}"))


def _term_id(taxonomy_slug, code):
    # HSDS 3.0 ids are UUIDs: the same term always gets the same one, derived from its readable id.
    return str(uuid.uuid5(_NAMESPACE, f"term/{taxonomy_slug}:{code}"))


# Required by HSDS 3.0 even when empty (an organization's description).
_ALWAYS = {"description"}


def _present(data):
    """HSDS 3.0 types optional fields as strings, not nullable: an absent value is left out, never
    null (and never "", which is no email address or URL)."""
    return {key: value for key, value in data.items() if key in _ALWAYS or value not in (None, "")}


def _taxonomy(slug, name, description):
    taxonomy_id = _taxonomy_uuid(slug)
    return {"id": taxonomy_id, "name": name, "description": description,
            "uri": f"{settings.SITE_URL}/oruk/taxonomies/{taxonomy_id}", "version": "1"}


def _term(taxonomy_slug, code, label):
    return {"id": _term_id(taxonomy_slug, code), "code": code, "name": label, "description": label,
            "taxonomy": taxonomy_slug, "language": "en", "taxonomy_id": _taxonomy_uuid(taxonomy_slug)}


def _all_taxonomies():
    """(slug, name, description) of every taxonomy we publish."""
    return [(t[0], t[1], t[2]) for t in TAXONOMIES] + [HUB_TAXONOMY]


def taxonomy_slug(taxonomy_id):
    """Our readable name of a taxonomy from its id (a UUID), or from the name itself, which the
    export used as its id before it followed HSDS 3.0; None for neither."""
    for slug, _name, _description in _all_taxonomies():
        if taxonomy_id in (slug, _taxonomy_uuid(slug)):
            return slug
    return None


def taxonomy_list():
    return [_taxonomy(*t) for t in _all_taxonomies()]


def taxonomy_detail(taxonomy_id):
    slug = taxonomy_slug(taxonomy_id)
    return next((t for t in taxonomy_list() if t["id"] == _taxonomy_uuid(slug)), None) if slug else None


def taxonomy_term_list(*, taxonomy_id=None):
    slug = taxonomy_slug(taxonomy_id) if taxonomy_id else None
    if taxonomy_id and slug is None:
        return []
    terms = []
    for tid, _name, _description, choices, _prefix in TAXONOMIES:
        if slug in (None, tid):
            terms += [_term(tid, code, label) for code, label in choices.choices]
    if slug in (None, HUB_TAXONOMY[0]):
        terms += [_term(HUB_TAXONOMY[0], hub.slug, hub.name) for hub in Hub.objects.order_by("name")]
    return terms


def _term_reference(term_id):
    """(taxonomy slug, code) of a term from its id (a UUID) or its older readable id "<taxonomy>:<code>"."""
    readable, _, code = term_id.partition(":")
    if code:
        return readable, code
    for tid, _name, _description, choices, _prefix in TAXONOMIES:
        for choice in choices.values:
            if _term_id(tid, choice) == term_id:
                return tid, choice
    for hub_slug in Hub.objects.values_list("slug", flat=True):
        if _term_id(HUB_TAXONOMY[0], hub_slug) == term_id:
            return HUB_TAXONOMY[0], hub_slug
    return None, None


def taxonomy_term_detail(term_id):
    slug, code = _term_reference(term_id)
    if slug is None:
        return None
    return next((t for t in taxonomy_term_list(taxonomy_id=slug) if t["code"] == code), None)


def _attribute(link_entity, link_id, taxonomy_id, code, label):
    term_id = _term_id(taxonomy_id, code)
    return {"id": str(uuid.uuid5(_NAMESPACE, f"{link_id}/{taxonomy_id}:{code}")), "link_id": str(link_id),
            "link_type": taxonomy_id, "link_entity": link_entity, "taxonomy_term_id": term_id,
            "taxonomy_term": _term(taxonomy_id, code, label)}


def organization_json(partner, *, services=None):
    data = _present({
        "id": str(partner.public_id), "name": partner.name, "alternate_name": partner.alternate_name,
        "description": partner.description, "email": partner.email, "website": partner.website,
        "uri": f"{settings.SITE_URL}/oruk/organizations/{partner.public_id}",
        "attributes": [_attribute("organization", partner.public_id, "partner-type", partner.kind,
                                  partner.get_kind_display())]
        + [_attribute("organization", partner.public_id, HUB_TAXONOMY[0], hub.slug, hub.name)
           for hub in partner.hubs.all()],
        "metadata": [],
    })
    if services is not None:
        data["services"] = [service_json(s, partner=partner, nested=False) for s in services]
    return data


def service_json(service, *, partner=None, nested=True):
    partner = partner or service.partner
    labels = {tid: dict(choices.choices) for tid, _n, _d, choices, _p in TAXONOMIES}
    attributes = []
    for tid, field in _SERVICE_TAXONOMIES.items():
        attributes += [_attribute("service", service.public_id, tid, code, labels[tid].get(code, code))
                       for code in getattr(service, field)]
    status = service.status if partner.is_active else ServiceStatus.INACTIVE
    data = _present({
        "id": str(service.public_id), "organization_id": str(partner.public_id), "name": service.name,
        "description": service.description, "url": service.url,
        "email": service.email, "status": status,
        "eligibility_description": service.eligibility_description,
        "assured_date": service.assured_on.isoformat() if service.assured_on else None,
        "assurer_email": service.assurer_email,
        "last_modified": service.updated_at.isoformat(),
        "service_areas": ([{"id": str(uuid.uuid5(_NAMESPACE, f"{service.public_id}/area")),
                            "service_id": str(service.public_id), "name": service.area_served,
                            "description": service.area_served}] if service.area_served else []),
        "attributes": attributes,
        "metadata": [],
    })
    if nested:
        data["organization"] = organization_json(partner)
    return data


def page(items_queryset, *, page_number, per_page, to_json):
    """An ORUK Page: total_items, total_pages, page_number, size, first_page, last_page, empty, contents."""
    total = len(items_queryset) if isinstance(items_queryset, list) else items_queryset.count()
    total_pages = max(1, math.ceil(total / per_page))
    start = (page_number - 1) * per_page
    # A page past the last is empty without asking the database: an OFFSET of ?page=10**30 is larger
    # than any integer SQLite or PostgreSQL accepts, and used to be a server error.
    window = items_queryset[start:start + per_page] if start < total else []
    contents = [to_json(item) for item in window]
    return {"total_items": total, "total_pages": total_pages, "page_number": page_number,
            "size": len(contents), "first_page": page_number == 1, "last_page": page_number >= total_pages,
            "empty": total == 0, "contents": contents}


def read_paging(params):
    try:
        page_number = int(params.get("page", 1))
        per_page = int(params.get("per_page", DEFAULT_PER_PAGE))
    except ValueError:
        raise BadParameter("page and per_page must be whole numbers") from None
    if page_number < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise BadParameter(f"page must be 1 or more and per_page between 1 and {MAX_PER_PAGE}")
    return page_number, per_page


def organizations_queryset():
    return Partner.objects.prefetch_related("hubs").order_by("name", "pk")


def organization_detail(public_id):
    partner = Partner.objects.prefetch_related(
        "hubs", Prefetch("services", queryset=PartnerService.objects.order_by("name"))).get(public_id=public_id)
    return organization_json(partner, services=list(partner.services.all()))


def services_queryset(params):
    services = PartnerService.objects.select_related("partner").prefetch_related("partner__hubs")
    term = params.get("taxonomy_term_id")
    if term:
        taxonomy_id, code = _term_reference(term)
        prefix = {t[0]: t[4] for t in TAXONOMIES}.get(taxonomy_id)
        if not prefix:
            raise BadParameter("taxonomy_term_id must be a term of support-need, theme, innovation-type or stage")
        services = services.filter(tag_index__contains=f"|{prefix}:{code}|")
    organization = params.get("organization_id")
    if organization:
        try:
            services = services.filter(partner__public_id=uuid.UUID(organization))
        except ValueError:
            raise BadParameter("organization_id must be an organization's id") from None
    return services.order_by("partner__name", "name", "pk")


def api_info():
    return {
        "version": ORUK_VERSION,
        "profile": "https://openreferraluk.org",
        "openapi_url": "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json",
        "description": f"{settings.SERVICE_NAME}: the directory of partner organisations that innovation "
                       f"hubs refer innovators to, and the services they offer.",
        "publisher": {"name": settings.SERVICE_NAME, "website": settings.SITE_URL},
    }
