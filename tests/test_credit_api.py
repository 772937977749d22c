"""Credit over HTTP and on the command line: the analyst maintains, the SC reads its own only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import committed, migrated
from tests.test_credit_support import PARAMS, pacific_noon
from typer.testing import CliRunner

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.cli.main import app as cli
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings, get_settings
from gridmarket.credit.reservations import reserve_credit
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.resources.models import AggregatedNode, AggregatedNodeKind

NOW = datetime(2020, 7, 1, 19, tzinfo=UTC)  # noon on Wed 1 July 2020 in California


@dataclass
class Cast:
    coordinator_id: int
    scid: str
    analyst: dict[str, str]
    trader: dict[str, str]
    outsider: dict[str, str]


def _cast(session: Session, world_factory: Callable[[Session], AccessWorld]) -> Cast:
    world = world_factory(session)
    iso = world.organisation(OrganisationKind.ISO)
    analyst = world.person(iso, Role.CREDIT_ANALYST)
    organisation, [scid] = world.scheduling_coordinator()
    trader = world.person(organisation, Role.TRADER, scids=(scid,))
    other, [other_scid] = world.scheduling_coordinator()
    outsider = world.person(other, Role.TRADER, Role.USER_ACCESS_ADMINISTRATOR, scids=(other_scid,))
    node = AggregatedNode(
        name=f"DLAP_T{uuid4().hex[:6].upper()}-APND", kind=AggregatedNodeKind.DLAP
    )
    session.add(node)
    session.flush()
    return Cast(
        coordinator_id=scid.scheduling_coordinator_id,
        scid=scid.code,
        analyst={"Authorization": f"Bearer {world.api_token(analyst)}"},
        trader={"Authorization": f"Bearer {world.api_token(trader)}"},
        outsider={"Authorization": f"Bearer {world.api_token(outsider)}"},
    )


@pytest.fixture
def cast(engine: Engine, access_world_factory: Callable[[Session], AccessWorld]) -> Cast:
    with unit_of_work(make_session_factory(engine)) as session:
        return _cast(session, access_world_factory)


@pytest.fixture
def client(database_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = FixedClock(NOW)
    with TestClient(app) as test_client:
        yield test_client


def test_the_analyst_sets_up_credit_and_the_sc_sees_its_own(
    client: TestClient, cast: Cast, engine: Engine
) -> None:
    base = f"/api/v1/scheduling-coordinators/{cast.coordinator_id}/credit"
    profile = {
        "tangible_net_worth_usd": "20000000",
        "total_assets_usd": "60000000",
        "rating": "BBB-",
        "financials_as_of": "2019-12-31",
    }
    answer = client.put(f"{base}/profile", json=profile, headers=cast.analyst)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rating"] == "BBB-"
    letter = {
        "kind": "LETTER_OF_CREDIT",
        "amount_usd": "1000000",
        "instrument_reference": "SBLC-0117",
        "issuer": "First Sierra Bank",
        "expires_on": "2021-06-30",
    }
    posted = client.post(f"{base}/financial-security", json=letter, headers=cast.analyst)
    assert posted.status_code == 201, posted.text
    deposit = {"kind": "CASH_DEPOSIT", "amount_usd": "250000.50", "instrument_reference": "W-1"}
    cash_id = client.post(f"{base}/financial-security", json=deposit, headers=cast.analyst).json()[
        "id"
    ]
    with unit_of_work(make_session_factory(engine)) as session:
        reserve_credit(
            session,
            cast.scid,
            Decimal("2775.00"),
            "VB-1",
            parameters=PARAMS,
            clock=pacific_noon(date(2020, 7, 1)),
        )

    mine = client.get("/api/v1/credit/me", headers=cast.trader)
    assert mine.status_code == 200, mine.text
    credit = mine.json()
    # UCL $20M × 1.5% = $300,000; FS $1,250,000.50; ACL $1,550,000.50; EAL $2,775.00.
    assert credit["ucl"]["ucl_usd"] == "300000.00"
    assert credit["financial_security_usd"] == "1250000.50"
    assert credit["acl_usd"] == "1550000.50"
    assert credit["eal_usd"] == "2775.00"
    assert credit["available_credit_usd"] == "1547225.50"
    assert credit["virtual_exposure"]["outstanding_virtual_bids"] == 1
    assert credit["participation"]["met"] is True
    assert [c["code"] for c in credit["last_computation"]["components"]] == [
        "UNPAID_INVOICES",
        "UNINVOICED_STATEMENTS",
        "ESTIMATED_UNSTATED_DAYS",
        "VIRTUAL_BID_EXPOSURE",
        "ESTIMATED_FEES",
    ]
    assert client.get(base, headers=cast.trader).json() == credit

    recomputed = client.post(f"{base}/recompute", headers=cast.analyst)
    assert recomputed.status_code == 200, recomputed.text
    virtual = recomputed.json()["components"][3]
    assert (virtual["amount_usd"], virtual["provided"]) == ("2775.00", True)
    history = client.get(f"{base}/computations?limit=2", headers=cast.trader).json()
    assert [h["trigger"] for h in history] == ["MANUAL", "FINANCIAL_SECURITY"]
    held = client.get(f"{base}/reservations", headers=cast.trader).json()
    assert [(r["reference"], r["exposure_usd"]) for r in held] == [("VB-1", "2775.00")]

    released = client.post(
        f"{base}/financial-security/{cash_id}/release",
        json={"reason": "returned"},
        headers=cast.analyst,
    )
    assert released.status_code == 200, released.text
    assert released.json()["released_on"] == "2020-07-01"
    monitor = client.get("/api/v1/credit/monitor", headers=cast.analyst).json()
    row = next(r for r in monitor if r["scheduling_coordinator_id"] == cast.coordinator_id)
    assert (row["acl_usd"], row["eal_usd"]) == ("1300000.00", "2775.00")


def test_another_sc_and_sc_roles_are_refused(client: TestClient, cast: Cast) -> None:
    base = f"/api/v1/scheduling-coordinators/{cast.coordinator_id}/credit"
    assert client.get(base, headers=cast.outsider).status_code == 404
    assert client.get(f"{base}/computations", headers=cast.outsider).status_code == 404
    deposit = {"kind": "CASH_DEPOSIT", "amount_usd": "1", "instrument_reference": "W"}
    assert (
        client.post(f"{base}/financial-security", json=deposit, headers=cast.trader).status_code
        == 403
    )
    assert client.get("/api/v1/credit/monitor", headers=cast.trader).status_code == 403
    assert client.get("/api/v1/credit/me", headers=cast.analyst).status_code == 404
    assert client.get("/api/v1/credit/me").status_code == 401


def test_bad_figures_are_refused_with_the_field(client: TestClient, cast: Cast) -> None:
    base = f"/api/v1/scheduling-coordinators/{cast.coordinator_id}/credit"
    letter = {
        "kind": "LETTER_OF_CREDIT",
        "amount_usd": "10.005",
        "instrument_reference": "X",
        "issuer": "Bank",
        "expires_on": "2021-01-01",
    }
    answer = client.post(f"{base}/financial-security", json=letter, headers=cast.analyst)
    assert answer.status_code == 422
    assert answer.json()["field"] == "amount_usd"


@pytest.fixture
def node(engine: Engine) -> Iterator[str]:
    """An aggregated node, removed afterwards: other tests count the Master File's nodes."""
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        created = AggregatedNode(
            name=f"DLAP_T{uuid4().hex[:6].upper()}-APND", kind=AggregatedNodeKind.DLAP
        )
        session.add(created)
        session.flush()
        name, node_id = created.name, created.id
    yield name
    with unit_of_work(factory) as session:
        session.execute(delete(AggregatedNode).where(AggregatedNode.id == node_id))


def test_reference_price_of_a_location_is_the_default_without_price_history(
    client: TestClient, cast: Cast, node: str
) -> None:
    answer = client.get(
        "/api/v1/credit/reference-price",
        params={"location": node, "as_of": "2020-07-15"},
        headers=cast.trader,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["price_usd_per_mwh"] == "50"
    assert answer.json()["first_trade_date"] == "2020-06-15"
    unknown = client.get(
        "/api/v1/credit/reference-price", params={"location": "NOWHERE"}, headers=cast.trader
    )
    assert unknown.status_code == 404


runner = CliRunner()


@pytest.fixture
def cli_database(
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    access_world_factory: Callable[[Session], AccessWorld],
) -> Iterator[tuple[str, str, int]]:
    url = migrated(empty_database_url)
    with committed(url) as session:
        world = access_world_factory(session)
        analyst = world.person(world.organisation(OrganisationKind.ISO), Role.CREDIT_ANALYST)
        _, [scid] = world.scheduling_coordinator()
        email, coordinator_id = analyst.email, scid.scheduling_coordinator_id
    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url, email, coordinator_id
    get_settings.cache_clear()


def test_the_cli_runs_the_daily_job_and_the_analysts_commands(
    cli_database: tuple[str, str, int],
) -> None:
    _, email, coordinator_id = cli_database
    result = runner.invoke(
        cli,
        ["credit", "set-profile", str(coordinator_id), "--tangible-net-worth", "20000000",
         "--total-assets", "60000000", "--rating", "BBB-", "--financials-as-of", "2019-12-31",
         "--as", email],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "$20,000,000.00 × 1.5% (BBB-) = $300,000.00" in _text(result.output)
    result = runner.invoke(
        cli,
        ["credit", "post-security", str(coordinator_id), "--kind", "CASH_DEPOSIT",
         "--amount", "250000", "--reference", "WIRE 7", "--as", email],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["credit", "run-daily", "--date", "2020-07-01"])
    assert result.exit_code == 0, result.output
    assert "collateral calls issued: 0" in result.output
    again = runner.invoke(cli, ["credit", "run-daily", "--date", "2020-07-01"])
    assert again.exit_code == 0 and "suspended: 0" in again.output
    shown = runner.invoke(cli, ["credit", "show", str(coordinator_id), "--as", email])
    assert shown.exit_code == 0, shown.output
    # ACL = UCL $300,000 + FS $250,000.
    assert "participation security $0.00 = $550,000.00" in _text(shown.output)
    monitor = runner.invoke(cli, ["credit", "monitor", "--as", email])
    assert monitor.exit_code == 0, monitor.output
    refused = runner.invoke(
        cli,
        ["credit", "post-security", str(coordinator_id), "--kind", "LETTER_OF_CREDIT",
         "--amount", "1", "--reference", "X", "--as", email],
    )  # fmt: skip
    assert refused.exit_code == 1 and "issuing bank" in _text(refused.output)


def _text(output: str) -> str:
    """Command output with the terminal's line wrapping undone."""
    return " ".join(output.split())
