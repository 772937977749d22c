"""The market operator's pages: close, run, re-run and replay markets through forms."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.bidding.bid_world import BidWorld, build_world
from tests.conftest import AccessWorld
from tests.markets.market_helpers import small_market
from tests.web_helpers import csrf, log_in, text_of

from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.credit.reference_prices import unregister_price_history_provider
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.markets.run_models import MarketKind, MarketRun

RUN_DAY = date(2020, 8, 19)
"""A day no other test runs a DAM for (the test database is shared by the whole session)."""
UNCLEARABLE_DAY = date(2031, 9, 16)
"""Outside the RTS-GMLC data: a DAM of this day fails, quickly."""
CLOCK = datetime(2020, 8, 18, 18, tzinfo=UTC)
"""11:00 PT on the day before RUN_DAY: its DAM has closed, the re-run deadline not passed."""


@pytest.fixture(autouse=True)
def _no_price_provider_left() -> Iterator[None]:
    yield
    unregister_price_history_provider()


@pytest.fixture
def world(engine: Engine, rts_loaded: Engine,
          access_world_factory: Callable[[Session], AccessWorld]) -> BidWorld:
    with unit_of_work(make_session_factory(engine)) as session:
        return build_world(session, access_world_factory)


@pytest.fixture
def client(database_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = FixedClock(CLOCK)
    with TestClient(app) as test_client:
        yield test_client


def _post(client: TestClient, url: str, **fields: str) -> object:
    token = csrf(client.get("/market-runs").text)
    return client.post(url, data={"csrf_token": token, **fields}, follow_redirects=False)


def _run_id(location: str) -> int:
    match = re.fullmatch(r"/market-runs/(\d+)", location)
    assert match, location
    return int(match.group(1))


def test_the_operator_closes_runs_and_replays_a_dam_through_the_forms(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        small_market(session, trade_date=RUN_DAY)
    log_in(client, world.emails["operator"])
    page = client.get("/market-runs")
    assert "Close a market" in page.text and "Run a market" in page.text

    closed = _post(client, "/market-runs/close", close_date=str(RUN_DAY), close_hour="")
    assert closed.status_code == 303 and closed.headers["location"] == "/market-runs"
    assert f"The day-ahead market of {RUN_DAY} closed" in client.get("/market-runs").text

    ran = _post(client, "/market-runs", run_date=str(RUN_DAY), market="DAM")
    assert ran.status_code == 303
    run_id = _run_id(ran.headers["location"])
    run_page = client.get(ran.headers["location"])
    assert run_page.status_code == 200
    assert f"DAM run {run_id}" in text_of(run_page.text) and "Completed" in run_page.text
    assert "Re-run" not in run_page.text  # only a failed DAM is re-run

    replayed = _post(client, f"/market-runs/{run_id}/replay")
    shown = text_of(replayed.text)
    assert replayed.status_code == 200 and "Replay: identical" in shown
    with Session(engine) as session:
        run = session.get(MarketRun, run_id)
        assert run is not None and run.result_sha256 in shown
        ruc = session.scalar(select(MarketRun).where(MarketRun.parent_run_id == run_id))
        assert ruc is not None and ruc.market is MarketKind.RUC

    again = _post(client, "/market-runs", run_date=str(RUN_DAY), market="DAM")
    assert again.status_code == 409
    assert f"the DAM of {RUN_DAY} is completed (run {run_id})" in html.unescape(again.text)


def test_a_failed_dam_is_re_run_from_its_page(client: TestClient, world: BidWorld) -> None:
    log_in(client, world.emails["operator"])
    ran = _post(client, "/market-runs", run_date=str(UNCLEARABLE_DAY), market="DAM")
    assert ran.status_code == 303
    failed = client.get(ran.headers["location"])
    assert "Failed" in failed.text and "outside the RTS-GMLC data" in failed.text
    failed_id = _run_id(ran.headers["location"])
    assert f'action="/market-runs/{failed_id}/rerun"' in failed.text
    assert "/replay" not in failed.text  # a failed run published nothing to compare

    rerun = _post(client, f"/market-runs/{failed_id}/rerun")
    assert rerun.status_code == 303
    rerun_id = _run_id(rerun.headers["location"])
    assert rerun_id != failed_id
    assert f'href="/market-runs/{failed_id}"' in client.get(rerun.headers["location"]).text
    refused = _post(client, f"/market-runs/{failed_id}/rerun")
    assert refused.status_code == 409
    assert f"already followed by run {rerun_id}" in html.unescape(refused.text)


def test_refusals_show_the_services_message_beside_the_form(
    client: TestClient, world: BidWorld
) -> None:
    log_in(client, world.emails["operator"])
    early = _post(client, "/market-runs/close", close_date="2020-08-25", close_hour="")
    assert early.status_code == 409
    assert "the DAM for 2020-08-25 closes at 2020-08-24T17:00:00+00:00" in early.text
    assert 'value="2020-08-25"' in early.text  # what was typed is kept
    no_dam = _post(client, "/market-runs", run_date="2020-08-24", market="RTD")
    assert no_dam.status_code == 409
    assert "no published DAM for 2020-08-24" in no_dam.text
    bad_date = _post(client, "/market-runs", run_date="24/08/2020", market="FMM")
    assert bad_date.status_code == 422 and "enter a date as YYYY-MM-DD" in bad_date.text


def test_an_sc_trader_sees_no_forms_and_may_not_post(client: TestClient, world: BidWorld) -> None:
    log_in(client, world.emails["trader"])
    page = client.get("/market-runs")
    assert page.status_code == 200 and "Run a market" not in page.text
    assert 'action="/market-runs/close"' not in page.text
    assert _post(client, "/market-runs", run_date=str(UNCLEARABLE_DAY),
                 market="DAM").status_code == 403
    assert _post(client, "/market-runs/close", close_date=str(RUN_DAY),
                 close_hour="").status_code == 403
    assert _post(client, "/market-runs/1/replay").status_code == 403
    assert _post(client, "/market-runs/1/rerun").status_code == 403
    log_in(client, world.emails["operator"])
    forged = client.post("/market-runs", data={"run_date": str(UNCLEARABLE_DAY), "market": "DAM"},
                         follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token: nothing is run
