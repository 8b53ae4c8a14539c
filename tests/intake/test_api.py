"""The figures API for an ICS's BI tool: the metrics page's figures as JSON behind an API token, a
paginated weekly series, and an OpenAPI description kept true by a maintained validator."""

import datetime as dt
import re

import jsonschema
import pytest
import time_machine
from django.urls import URLPattern, get_resolver, reverse
from openapi_spec_validator import validate as validate_openapi

from hubportal.api_tokens import api_token_create, api_token_revoke
from hubportal.models import ApiTokenEvent
from hubportal.workdays import LONDON
from intake.api import openapi_document
from intake.metrics import hub_metrics
from intake.rollups import rollups_available
from tests.conftest import sign_in_staff
from tests.intake.test_metrics import PERIOD, TODAY, board_data  # noqa: F401 - the fixture

NOW = dt.datetime.combine(TODAY, dt.time(12), tzinfo=LONDON)
METRICS = "/api/v1/hubs/dorset/metrics"
WEEKLY = "/api/v1/hubs/dorset/metrics/weekly"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def token(hub, hub_lead):
    return api_token_create(hub=hub, name="ICS Power BI", days=90, by=hub_lead).raw_token


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def schema(name):
    """A component schema of our OpenAPI description, as a JSON Schema (Draft 2020-12) to validate with."""
    return {**openapi_document(), "$ref": f"#/components/schemas/{name}"}


def check(instance, name):
    validator = jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert errors == []


# --- The figures -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_it_serves_the_metrics_pages_figures_from_the_same_selector(client, hub, board_data, token):  # noqa: F811
    response = client.get(METRICS, **bearer(token))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    check(data, "Metrics")
    page = hub_metrics(hub=hub)
    assert data["inquiries_sent"] == page.total == 6
    assert data["first_response"] == {"median_working_days": 1.5, "inquiries": 4}
    assert data["decision"] == {"median_working_days": 6, "inquiries": 3}
    assert data["triage_target"] == {"working_days": 5, "within": 3, "late": 1, "missed": 1,
                                     "share_within_percent": 60.0}
    by_key = {b["key"]: b for b in data["breakdowns"]}
    assert [(f["label"], f["value"]) for f in by_key["funnel"]["figures"]] == [
        (f.label, f.value) for f in page.funnel.figures]
    assert {f["code"]: f["value"] for f in by_key["themes"]["figures"]}["digital_inclusion"] == 3
    assert data["value_report"]["available"] is False


@pytest.mark.django_db
def test_it_carries_no_personal_data_nor_free_text(client, hub, board_data, token):  # noqa: F811
    body = client.get(METRICS, **bearer(token)).content.decode()
    weekly = client.get(WEEKLY, **bearer(token)).content.decode()

    for text in (body, weekly):
        for secret in ("Dorset County Hospital", "NHS Dorset", "HYPERLINK", "@", "Jo Bloggs"):
            assert secret not in text
    assert "organisation" not in {b["key"] for b in client.get(METRICS, **bearer(token)).json()["breakdowns"]}


@pytest.mark.django_db
def test_a_period_narrows_the_figures_and_a_bad_one_is_a_400_saying_why(client, hub, board_data, token):  # noqa: F811
    narrowed = client.get(METRICS, {"from": "2025-06-01", "to": "2025-06-30"}, **bearer(token)).json()
    bad_date = client.get(METRICS, {"from": "2025-02-30"}, **bearer(token))
    backwards = client.get(WEEKLY, {"from": "2025-06-01", "to": "2025-05-01"}, **bearer(token))
    future = client.get(METRICS, {"to": "2025-07-01"}, **bearer(token))

    assert narrowed["inquiries_sent"] == 2 and narrowed["period"] == {"from": "2025-06-01", "to": "2025-06-30"}
    assert bad_date.status_code == 400
    assert bad_date.json()["error"] == "“From” must be a real date"
    assert bad_date.json()["errors"] == {"from": ["“From” must be a real date"]}
    check(bad_date.json(), "Error")
    assert backwards.status_code == 400 and "“To” must be the same as or after “From”" in backwards.json()["error"]
    assert future.status_code == 400 and "today or in the past" in future.json()["error"]


@pytest.mark.django_db
def test_the_weekly_series_is_paginated_with_next_and_previous_links(client, hub, board_data, token):  # noqa: F811
    first = client.get(WEEKLY, {"page_size": 3}, **bearer(token)).json()
    check(first, "WeeklyPage")
    # From the week of the first inquiry (Wednesday 21 May 2025) to this week (30 June): 7 weeks.
    assert (first["count"], first["pages"], first["page"], first["previous"]) == (7, 3, 1, None)
    assert first["results"] == [{"week_beginning": "2025-05-19", "inquiries": 4},
                                {"week_beginning": "2025-05-26", "inquiries": 0},
                                {"week_beginning": "2025-06-02", "inquiries": 1}]
    assert first["next"] == "http://testserver/api/v1/hubs/dorset/metrics/weekly?page_size=3&page=2"

    last = client.get(first["next"].replace("page=2", "page=3"), **bearer(token)).json()
    assert last["results"] == [{"week_beginning": "2025-06-30", "inquiries": 1}]
    assert last["next"] is None and last["previous"].endswith("page_size=3&page=2")
    everything = client.get(WEEKLY, **bearer(token)).json()
    assert sum(w["inquiries"] for w in everything["results"]) == 6 and everything["pages"] == 1


@pytest.mark.django_db
def test_the_page_size_is_capped_and_a_page_past_the_end_is_a_404(client, hub, board_data, token, settings):  # noqa: F811
    settings.API_MAX_PAGE_SIZE = 260
    too_big = client.get(WEEKLY, {"page_size": 261}, **bearer(token))
    not_a_number = client.get(WEEKLY, {"page": "two"}, **bearer(token))
    past_the_end = client.get(WEEKLY, {"page": 2}, **bearer(token))

    assert too_big.status_code == 400 and too_big.json()["error"] == "“page_size” must be a whole number from 1 to 260"
    assert not_a_number.status_code == 400
    assert past_the_end.status_code == 404 and past_the_end.json()["error"] == "There is 1 page"


@pytest.mark.django_db
def test_the_figures_take_a_fixed_number_of_queries(client, hub, board_data, token, django_assert_num_queries):  # noqa: F811
    # The token, its use recorded (an UPDATE and an audit row), then the queries of hub_metrics: six
    # counted live, four from the rollups on PostgreSQL (issue 13).
    figures = 4 if rollups_available() else 6
    with django_assert_num_queries(3 + figures):
        assert client.get(METRICS, **bearer(token)).status_code == 200
    # Within five minutes the use is not recorded again: the token and the figures only.
    with django_assert_num_queries(1 + figures):
        assert client.get(METRICS, **bearer(token)).status_code == 200
    # The token, the hub's first inquiry, and one grouped count per page of weeks.
    with django_assert_num_queries(3):
        assert client.get(WEEKLY, **bearer(token)).status_code == 200


# --- Who may read them ---------------------------------------------------------------------------------

def _refused(response, error=None):
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api"')
    if error:
        assert f'error="{error}"' in challenge
    assert "inquiries_sent" not in response.content.decode()
    return response.json()["error"]


@pytest.mark.django_db
def test_without_a_token_it_answers_401_even_to_a_signed_in_hub_lead(client, hub, hub_lead, board_data):  # noqa: F811
    sign_in_staff(client, hub_lead)

    message = _refused(client.get(METRICS))

    assert message == "This API needs an API token: Authorization: Bearer <token>"
    assert 'error=' not in client.get(METRICS)["WWW-Authenticate"]  # RFC 6750: no error when none was sent
    _refused(client.get(METRICS, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz"))


@pytest.mark.django_db
def test_a_wrong_expired_or_revoked_token_answers_401_and_says_which(client, hub, hub_lead, board_data):  # noqa: F811
    short = api_token_create(hub=hub, name="short", days=1, by=hub_lead)
    revoked = api_token_create(hub=hub, name="old", days=90, by=hub_lead)
    api_token_revoke(hub=hub, public_id=revoked.token.public_id, by=hub_lead)

    assert _refused(client.get(METRICS, **bearer("hfd_wrong")), "invalid_token") == "The API token is not recognised"
    assert "revoked" in _refused(client.get(METRICS, **bearer(revoked.raw_token)), "invalid_token")
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert "expired" in _refused(client.get(WEEKLY, **bearer(short.raw_token)), "invalid_token")
    assert not ApiTokenEvent.objects.filter(kind="used").exists()


@pytest.mark.django_db
def test_a_token_in_the_address_is_refused_and_never_looked_up(client, hub, board_data, token):  # noqa: F811
    for name in ("access_token", "token"):
        _refused(client.get(METRICS, {name: token}), "invalid_request")

    assert not ApiTokenEvent.objects.filter(kind="used").exists()


@pytest.mark.django_db
def test_a_token_of_another_hub_gets_404_for_this_hubs_figures(client, hub, other_hub, other_hub_lead, board_data):  # noqa: F811
    manchester = api_token_create(hub=other_hub, name="Manchester BI", days=90, by=other_hub_lead).raw_token

    for url in (METRICS, WEEKLY, "/api/v1/hubs/no-such-hub/metrics"):
        response = client.get(url, **bearer(manchester))
        assert response.status_code == 404
        assert response.json() == {"error": "No such hub for this token"}
    assert client.get("/api/v1/hubs/manchester/metrics", **bearer(manchester)).json()["inquiries_sent"] == 1


@pytest.mark.django_db
def test_a_good_request_records_the_use_on_the_token(client, hub, board_data, token):  # noqa: F811
    client.get(METRICS, REMOTE_ADDR="192.0.2.10", **bearer(token))

    event = ApiTokenEvent.objects.get(kind="used")
    assert (event.ip, event.detail, event.at) == ("192.0.2.10", METRICS, NOW)
    assert event.token.last_used_at == NOW


# --- The OpenAPI description ------------------------------------------------------------------------

def _api_routes():
    """The API's URL patterns as OpenAPI paths: api/v1/hubs/<slug:hub_slug>/metrics -> /api/v1/hubs/{hub}/metrics."""
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)
            else:
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
    return sorted("/" + re.sub(r"<(?:\w+:)?hub_slug>", "{hub}", route)
                  for route in walk(get_resolver().url_patterns) if route.startswith("api/v1/"))


def test_the_openapi_description_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)  # raises on any error


def test_every_api_url_is_described_and_nothing_else():
    assert _api_routes() == sorted(openapi_document()["paths"])


@pytest.mark.django_db
def test_every_described_path_answers_as_described(client, hub, board_data, token):  # noqa: F811
    document = client.get(reverse("intake:api_openapi")).json()
    assert document == openapi_document()
    for path, item in document["paths"].items():
        response = client.get(path.replace("{hub}", "dorset"), **bearer(token))
        assert response.status_code == 200, path
        described = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        validator = jsonschema.Draft202012Validator({**document, **described},
                                                    format_checker=jsonschema.FormatChecker())
        assert [e.message for e in validator.iter_errors(response.json())] == [], path


@pytest.mark.django_db
def test_the_api_page_explains_tokens_and_power_bi(client):
    page = client.get(reverse("intake:api_index")).content.decode()

    assert "Authorization: Bearer" in page and "Power BI" in page
    assert reverse("intake:api_openapi") in page
