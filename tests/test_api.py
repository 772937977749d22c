"""The HTTP API skeleton: health, OpenAPI, market parameters and the calendar."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work


@pytest.fixture
def client(database_url: str, access_clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url))
    app.state.clock = access_clock
    with TestClient(app) as test_client:
        yield test_client


def test_healthz_reports_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_healthz_says_unavailable_when_the_database_is_gone(tmp_path: object) -> None:
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_openapi_schema_is_versioned_under_api_v1(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "gridmarket"
    # The public price API keeps the ISO's own address, so its clients need only a new host.
    assert all(path.startswith(("/api/v1/", "/healthz", "/oasisapi/")) for path in schema["paths"])
    assert "/api/v1/resources/{resource_id}" in schema["paths"]


def test_market_parameters_show_their_fingerprint(client: TestClient) -> None:
    body = client.get("/api/v1/market-parameters").json()
    assert body["fingerprint"] == MarketParameters().fingerprint()
    assert body["bids"]["price_floor_usd_per_mwh"] == "-150"


def test_calendar_of_the_fall_daylight_saving_day_has_25_hours(client: TestClient) -> None:
    body = client.get("/api/v1/calendar/2020-11-01").json()
    assert body["hours"] == 25
    assert [i["label"] for i in body["intervals"]][-1] == "HE25"
    deadlines = {d["name"]: d for d in body["deadlines"]}
    # DAM for 1 Nov closes 10:00 PDT on 31 Oct.
    assert deadlines["dam_close"]["instant_utc"].startswith("2020-10-31T17:00:00")


def test_calendar_refuses_a_malformed_date_with_a_clear_error(client: TestClient) -> None:
    response = client.get("/api/v1/calendar/2020-13-01")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "trade_date"]


def test_a_date_written_as_a_number_is_refused_not_read_as_a_timestamp(
    client: TestClient,
) -> None:
    # Read as a Unix timestamp, 20200715 would be 1970-08-23.
    response = client.get("/api/v1/calendar/20200715")
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["path", "trade_date"]
    assert "write it YYYY-MM-DD" in problem["msg"]


def test_openapi_documents_the_error_answers_and_how_to_authenticate(
    client: TestClient,
) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"APIToken", "SessionCookie"}
    bids = schema["paths"]["/api/v1/bids"]["post"]
    assert bids["security"] == [{"APIToken": []}, {"SessionCookie": []}]
    assert {"400", "401", "403", "404", "409", "422"} <= set(bids["responses"])
    invalid = bids["responses"]["422"]["content"]["application/json"]["schema"]
    assert invalid == {"anyOf": [{"$ref": "#/components/schemas/ErrorOut"},
                                 {"$ref": "#/components/schemas/HTTPValidationError"}]}
    calendar = schema["paths"]["/api/v1/calendar/{trade_date}"]["get"]
    assert "security" not in calendar and "401" not in calendar["responses"]


@pytest.fixture
def iso_headers(
    engine: Engine, access_world_factory: Callable[[Session], AccessWorld]
) -> dict[str, str]:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        operator = world.person(world.organisation(OrganisationKind.ISO), Role.MARKET_OPERATOR)
        return {"Authorization": f"Bearer {world.api_token(operator)}"}


def test_the_master_file_needs_a_login(client: TestClient) -> None:
    assert client.get("/api/v1/resources").status_code == 401
    assert client.get("/api/v1/resources/101_STEAM_3").status_code == 401


def test_unknown_resource_is_a_404_naming_it(
    client: TestClient, iso_headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/resources/NO_SUCH_UNIT", headers=iso_headers)
    assert response.status_code == 404
    assert "NO_SUCH_UNIT" in response.json()["detail"]


def test_page_size_above_the_download_limit_is_refused(
    client: TestClient, iso_headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/resources", params={"limit": 200_001}, headers=iso_headers)
    assert response.status_code == 422
    assert "download limit" in response.json()["detail"]


def test_an_id_the_database_cannot_hold_is_bad_input_not_a_server_error(
    client: TestClient, iso_headers: dict[str, str], database_url: str
) -> None:
    response = client.get(f"/api/v1/transfers/{2**40}", headers=iso_headers)
    if database_url.startswith("postgresql"):  # Its ids are 32-bit integers.
        assert response.status_code == 422
        assert response.json()["detail"].startswith("a value does not fit its field")
    else:  # SQLite's hold 64 bits: there is simply no such transfer.
        assert response.status_code == 404
