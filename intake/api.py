"""The JSON API of a hub's figures, for an ICS's BI tool (Power BI's Web connector, for example).

Access: `api_token_view` (hubportal/api_tokens.py): an API token of the hub in the URL, sent as
`Authorization: Bearer <token>`; no session counts. The OpenAPI description and the /api/ page are
public: they describe the API and hold no figures.

What is exposed: the figures of the hub's metrics page, from the same selector (`hub_metrics`), and
the inquiries sent per week as a paginated series. No personal data: counts over fixed code lists
only. The metrics page's "Organisation" breakdown is left out on purpose: organisation names are free
text typed by submitters, which may carry a person's name, and these figures leave the hub's staff.
The value report (issue 11) does not exist yet, so the API says so rather than inventing it.
"""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from hubportal.api_tokens import api_error, api_token_view
from hubportal.db_router import reads_from_replica

from .metrics import hub_first_sent_on, hub_inquiries_per_week, hub_metrics
from .metrics_views import MetricsPeriodForm

API_VERSION = "1.0.0"
VALUE_REPORT_NOTE = ("The value report (benefits, gate decisions and follow-ups) is not built yet; it will "
                     "be added to this API when it is. Until then the API serves the metrics page's figures.")
LEFT_OUT_NOTE = ("The metrics page's organisation breakdown is not in the API: organisation names are "
                 "typed by submitters and may identify a person.")
# The breakdowns of hub_metrics that the API serves, in the page's order (organisation left out).
BREAKDOWNS = ("kind_of_help", "themes", "support_needed", "stage", "outcome", "status", "funnel")


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _period(request):
    """(from, to) from ?from=&to= (validated as on the metrics page), or a 400 response."""
    form = MetricsPeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        errors = {name: [str(e) for e in field_errors] for name, field_errors in form.errors.items()}
        message = "; ".join(e for field_errors in errors.values() for e in field_errors)
        return None, None, api_error(400, message, errors=errors)
    date_from, date_to = form.period()
    return date_from, date_to, None


def _whole_number(request, name, default, *, low, high):
    value = request.GET.get(name)
    if value in (None, ""):
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValueError(f"“{name}” must be a whole number from {low} to {high}")
    return int(value)


def _figures(breakdown):
    return [{"code": f.code, "label": f.label, "value": f.value} for f in breakdown.figures]


def metrics_json(metrics):
    """hub_metrics' figures as the API's Metrics object (see openapi_document)."""
    by_key = {b.key: b for b in [*metrics.breakdowns, metrics.outcomes, metrics.statuses, metrics.funnel]}
    target = metrics.target
    return {
        "hub": {"slug": metrics.hub.slug, "name": metrics.hub.name, "code": metrics.hub.code},
        "period": {"from": metrics.date_from.isoformat() if metrics.date_from else None,
                   "to": metrics.date_to.isoformat() if metrics.date_to else None},
        "generated_at": timezone.now().isoformat(),
        "inquiries_sent": metrics.total,
        "first_response": {"median_working_days": metrics.first_response.median,
                           "inquiries": metrics.first_response.count},
        "decision": {"median_working_days": metrics.decision.median, "inquiries": metrics.decision.count},
        "triage_target": {"working_days": target.working_days, "within": target.within, "late": target.late,
                          "missed": target.missed, "share_within_percent": target.share},
        "breakdowns": [{"key": key, "title": by_key[key].title, "note": by_key[key].note,
                        "figures": _figures(by_key[key])} for key in BREAKDOWNS],
        "value_report": {"available": False, "note": VALUE_REPORT_NOTE},
        "left_out": [LEFT_OUT_NOTE],
    }


# --- Views -----------------------------------------------------------------------------------------

@require_GET
@api_token_view
@reads_from_replica
def metrics(request, token):
    date_from, date_to, refusal = _period(request)
    if refusal:
        return refusal
    return _json(metrics_json(hub_metrics(hub=token.hub, date_from=date_from, date_to=date_to)))


@require_GET
@api_token_view
@reads_from_replica
def metrics_weekly(request, token):
    """Inquiries sent per week (weeks begin on Monday), oldest first, `page_size` weeks a page."""
    date_from, date_to, refusal = _period(request)
    if refusal:
        return refusal
    try:
        page_size = _whole_number(request, "page_size", settings.API_PAGE_SIZE, low=1,
                                  high=settings.API_MAX_PAGE_SIZE)
        page = _whole_number(request, "page", 1, low=1, high=10**6)
    except ValueError as bad:
        return api_error(400, str(bad))
    hub, today = token.hub, timezone.localdate()
    start = date_from or hub_first_sent_on(hub) or today
    end = date_to or today
    first_week = start - dt.timedelta(days=start.weekday())  # weeks begin on Monday
    last_week = end - dt.timedelta(days=end.weekday())
    weeks = (last_week - first_week).days // 7 + 1
    pages = max(1, math.ceil(weeks / page_size))
    if page > pages:
        return api_error(404, "There is 1 page" if pages == 1 else f"There are {pages} pages")
    page_first = first_week + dt.timedelta(weeks=(page - 1) * page_size)
    page_last = min(last_week, page_first + dt.timedelta(weeks=page_size - 1))
    figures = hub_inquiries_per_week(hub=hub, first_week=page_first, last_week=page_last,
                                     date_from=date_from, date_to=date_to)

    def link(number):
        query = {k: v for k, v in request.GET.items() if k in ("from", "to", "page_size")}
        return request.build_absolute_uri(f"{request.path}?{urlencode({**query, 'page': number})}")

    return _json({
        "hub": hub.slug,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "count": weeks, "page": page, "pages": pages, "page_size": page_size,
        "next": link(page + 1) if page < pages else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": [{"week_beginning": f.code, "inquiries": f.value} for f in figures],
    })


@require_GET
def openapi(request):
    response = _json(openapi_document())
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def index(request):
    return render(request, "intake/api_index.html", {
        "openapi_url": reverse("intake:api_openapi"), "value_report_note": VALUE_REPORT_NOTE,
        "left_out_note": LEFT_OUT_NOTE, "max_days": settings.API_TOKEN_MAX_DAYS,
        "default_days": settings.API_TOKEN_DEFAULT_DAYS, "page_size": settings.API_PAGE_SIZE,
        "max_page_size": settings.API_MAX_PAGE_SIZE, "site_url": settings.SITE_URL,
    })


# --- The OpenAPI 3.1 description -------------------------------------------------------------------
# Written as data, next to the views it describes; tests/intake/test_api.py validates it with
# openapi-spec-validator, checks every API URL is here and every path here answers as described.

def _nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}


def openapi_document():
    count = {"type": "integer", "minimum": 0}
    day = {"type": "string", "format": "date"}
    period_parameters = [
        {"name": "from", "in": "query", "required": False, "schema": day,
         "description": "Only inquiries sent on or after this London date (YYYY-MM-DD)."},
        {"name": "to", "in": "query", "required": False, "schema": day,
         "description": "Only inquiries sent on or before this London date (YYYY-MM-DD); not in the future."},
    ]
    hub_parameter = {"name": "hub", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": "The hub's short name, as in the portal's addresses (for example dorset)."}
    refusals = {
        "400": {"description": "A parameter is not valid; `error` says which and why.", **_error_content()},
        "401": {"description": "No token, or a token that is wrong, expired or revoked.",
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                                 "description": "Bearer realm=\"api\" (RFC 6750)."}},
                **_error_content()},
        "404": {"description": "No such hub for this token (a token reads only its own hub).",
                **_error_content()},
    }
    timing = {"type": "object", "required": ["median_working_days", "inquiries"], "properties": {
        "median_working_days": _nullable({"type": "number"}), "inquiries": count}}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": f"{settings.SERVICE_NAME}: figures API",
            "version": API_VERSION,
            "summary": "Read-only figures of one innovation hub, for business intelligence tools.",
            "description": ("A hub lead makes an API token on the hub's API tokens page; send it as "
                            "`Authorization: Bearer <token>`. Figures only, no personal data. "
                            + LEFT_OUT_NOTE + " " + VALUE_REPORT_NOTE),
        },
        "servers": [{"url": settings.SITE_URL}],
        "security": [{"apiToken": []}],
        "paths": {
            "/api/v1/hubs/{hub}/metrics": {
                "parameters": [hub_parameter],
                "get": {
                    "operationId": "getHubMetrics", "summary": "The hub's figures, as on its metrics page.",
                    "parameters": period_parameters,
                    "responses": {"200": {"description": "The figures.", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Metrics"}}}},
                        **refusals},
                },
            },
            "/api/v1/hubs/{hub}/metrics/weekly": {
                "parameters": [hub_parameter],
                "get": {
                    "operationId": "getHubInquiriesPerWeek",
                    "summary": "Inquiries sent per week, oldest first, one page at a time.",
                    "description": ("Without `from`, the series starts at the week of the hub's first "
                                    "inquiry; without `to`, it ends this week. Follow `next` for the rest."),
                    "parameters": [*period_parameters,
                                   {"name": "page", "in": "query", "required": False,
                                    "schema": {"type": "integer", "minimum": 1, "default": 1}},
                                   {"name": "page_size", "in": "query", "required": False,
                                    "schema": {"type": "integer", "minimum": 1,
                                               "maximum": settings.API_MAX_PAGE_SIZE,
                                               "default": settings.API_PAGE_SIZE},
                                    "description": "Weeks a page."}],
                    "responses": {"200": {"description": "One page of weeks.", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/WeeklyPage"}}}},
                        **refusals},
                },
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApiDescription", "summary": "This description.", "security": [],
                    "responses": {"200": {"description": "The OpenAPI 3.1 description of this API.",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                },
            },
        },
        "components": {
            "securitySchemes": {"apiToken": {
                "type": "http", "scheme": "bearer",
                "description": "An API token made by a hub lead; it reads only that hub's figures."}},
            "responses": {"Error": {"description": "A refusal.", **_error_content()}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {
                    "error": {"type": "string"},
                    "errors": {"type": "object", "additionalProperties": {"type": "array",
                                                                          "items": {"type": "string"}}}}},
                "Figure": {"type": "object", "required": ["code", "label", "value"], "additionalProperties": False,
                           "properties": {"code": {"type": "string"}, "label": {"type": "string"},
                                          "value": count}},
                "Metrics": {
                    "type": "object", "additionalProperties": False,
                    "required": ["hub", "period", "generated_at", "inquiries_sent", "first_response", "decision",
                                 "triage_target", "breakdowns", "value_report", "left_out"],
                    "properties": {
                        "hub": {"type": "object", "required": ["slug", "name", "code"], "properties": {
                            "slug": {"type": "string"}, "name": {"type": "string"}, "code": {"type": "string"}}},
                        "period": {"type": "object", "required": ["from", "to"], "properties": {
                            "from": _nullable(day), "to": _nullable(day)}},
                        "generated_at": {"type": "string", "format": "date-time"},
                        "inquiries_sent": count,
                        "first_response": timing,
                        "decision": timing,
                        "triage_target": {
                            "type": "object",
                            "required": ["working_days", "within", "late", "missed", "share_within_percent"],
                            "properties": {"working_days": count, "within": count, "late": count, "missed": count,
                                           "share_within_percent": _nullable({"type": "number"})}},
                        "breakdowns": {"type": "array", "items": {
                            "type": "object", "required": ["key", "title", "note", "figures"], "properties": {
                                "key": {"enum": list(BREAKDOWNS)}, "title": {"type": "string"},
                                "note": {"type": "string"},
                                "figures": {"type": "array", "items": {"$ref": "#/components/schemas/Figure"}}}}},
                        "value_report": {"type": "object", "required": ["available", "note"], "properties": {
                            "available": {"type": "boolean"}, "note": {"type": "string"}}},
                        "left_out": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "WeeklyPage": {
                    "type": "object", "additionalProperties": False,
                    "required": ["hub", "period", "count", "page", "pages", "page_size", "next", "previous",
                                 "results"],
                    "properties": {
                        "hub": {"type": "string"},
                        "period": {"type": "object", "required": ["from", "to"],
                                   "properties": {"from": day, "to": day}},
                        "count": {**count, "description": "Weeks in the whole series."},
                        "page": {"type": "integer", "minimum": 1},
                        "pages": {"type": "integer", "minimum": 1},
                        "page_size": {"type": "integer", "minimum": 1},
                        "next": _nullable({"type": "string", "format": "uri"}),
                        "previous": _nullable({"type": "string", "format": "uri"}),
                        "results": {"type": "array", "items": {
                            "type": "object", "required": ["week_beginning", "inquiries"],
                            "additionalProperties": False,
                            "properties": {"week_beginning": day, "inquiries": count}}},
                    },
                },
            },
        },
    }


def _error_content():
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
