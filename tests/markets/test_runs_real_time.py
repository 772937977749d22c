"""Real-time runs: a whole RTD day, carry-forward of failed intervals, SC isolation of results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.markets.market_helpers import TRADE_DATE, SmallMarket, small_market

from gridmarket.access.errors import AccessDenied, NotVisible
from gridmarket.access.models import Role
from gridmarket.calendar import MarketCalendar
from gridmarket.clearing import ClearingFailed
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.credit.reference_prices import reference_price, unregister_price_history_provider
from gridmarket.errors import Conflict
from gridmarket.markets import realtime_dispatch, results
from gridmarket.markets.award_views import day_ahead_awards
from gridmarket.markets.replay import replay_run
from gridmarket.markets.run_models import (
    DispatchInstruction,
    MarketKind,
    MarketPrice,
    MarketRun,
    RunStatus,
)
from gridmarket.markets.runs import run_counts, run_day_ahead, run_real_time
from gridmarket.participants.models import Notice

CLOCK = FixedClock(datetime(2020, 7, 14, 18, tzinfo=UTC))
PARAMETERS = MarketParameters()
FAILING_INTERVAL = 10


@pytest.fixture(autouse=True)
def _no_price_provider_left() -> Iterator[None]:
    yield
    unregister_price_history_provider()


@pytest.fixture
def market(db_session: Session, rts_loaded: Engine, data_dir: Path) -> SmallMarket:
    world = small_market(db_session)
    dam = run_day_ahead(db_session, TRADE_DATE, parameters=PARAMETERS, data_dir=data_dir,
                        clock=CLOCK)
    assert dam.status is RunStatus.COMPLETED, dam.failure_reason
    return world


def _rt(session: Session, data_dir: Path, market: str) -> MarketRun:
    return run_real_time(session, TRADE_DATE, market, parameters=PARAMETERS, data_dir=data_dir,
                         clock=CLOCK)


def test_real_time_needs_a_published_dam(db_session: Session, rts_loaded: Engine,
                                         data_dir: Path) -> None:
    with pytest.raises(Conflict):
        _rt(db_session, data_dir, "FMM")


def test_a_whole_rtd_day_is_dispatched_and_replays_identically(
    db_session: Session, market: SmallMarket, data_dir: Path, access_world: AccessWorld
) -> None:
    run = _rt(db_session, data_dir, "RTD")
    assert run.status is RunStatus.COMPLETED, run.failure_reason
    assert json.loads(run.carried_forward_json) == []
    counts = run_counts(db_session, run.id)
    assert counts["dispatch"] == 288 * len(market.a_units + market.b_units)
    assert counts["price"] % 288 == 0
    instruction = db_session.scalars(select(DispatchInstruction)
                                     .where(DispatchInstruction.run_id == run.id)).first()
    assert instruction is not None and instruction.interval_minutes == 5
    assert abs(instruction.expected_energy_mwh - instruction.dispatch_mw / 12) < 1e-5
    report = replay_run(db_session, run.id)
    assert report.identical, report.differences
    # DA and RT prices now give the DLAP a price history for credit's reference price.
    reference = reference_price(db_session, "DLAP_AREA1-APND", TRADE_DATE.replace(day=16),
                                PARAMETERS.credit)
    assert reference.sample_size == 24
    # The SC's awards page shows each hour's expected energy of this dispatch.
    trader = access_world.principal(access_world.person(
        market.a.organisation, Role.TRADER, scids=(market.a.scid,)))
    unit = market.a_units[0]
    awards = day_ahead_awards(db_session, trader, market.a.scid.code, TRADE_DATE,
                              MarketCalendar(PARAMETERS))
    hours = next(r for r in awards.resources if r.resource_id == unit).hours
    dispatch = db_session.scalars(select(DispatchInstruction).where(
        DispatchInstruction.run_id == run.id, DispatchInstruction.resource_id == unit)
        .order_by(DispatchInstruction.interval_start_utc)).all()
    assert hours[0].rt_expected_mwh == sum(d.expected_energy_mwh for d in dispatch[:12])
    assert sum(h.rt_expected_mwh or 0 for h in hours) == sum(
        d.expected_energy_mwh for d in dispatch)


def test_a_failed_interval_carries_the_last_valid_result_forward(
    db_session: Session, market: SmallMarket, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solve_window = realtime_dispatch._solve_window

    def failing_window(*args: Any) -> Any:
        # Every window of the interval fails: its look-ahead and the interval alone.
        if args[3] == FAILING_INTERVAL:
            raise ClearingFailed("Infeasible", "forced by the test")
        return solve_window(*args)

    monkeypatch.setattr(realtime_dispatch, "_solve_window", failing_window)
    run = _rt(db_session, data_dir, "FMM")
    assert run.status is RunStatus.COMPLETED
    carried = json.loads(run.carried_forward_json)
    assert [c["interval"] for c in carried] == [FAILING_INTERVAL]
    prices = db_session.scalars(select(MarketPrice).where(
        MarketPrice.run_id == run.id, MarketPrice.node == "DLAP_AREA1-APND")
        .order_by(MarketPrice.interval_start_utc)).all()
    assert len(prices) == 96
    assert [p.carried_forward for p in prices].count(True) == 1
    assert prices[FAILING_INTERVAL].carried_forward
    assert prices[FAILING_INTERVAL].lmp_usd_per_mwh == prices[FAILING_INTERVAL - 1].lmp_usd_per_mwh
    dispatch = db_session.scalars(select(DispatchInstruction).where(
        DispatchInstruction.run_id == run.id, DispatchInstruction.carried_forward)).all()
    assert {d.interval_start_utc for d in dispatch} == {prices[FAILING_INTERVAL]
                                                         .interval_start_utc}
    notice = db_session.scalar(select(Notice).where(Notice.kind == "RT_INTERVALS_CARRIED_FORWARD"))
    assert notice is not None and notice.scheduling_coordinator_id is None


def test_an_sc_sees_only_its_own_awards(
    db_session: Session, market: SmallMarket, access_world: AccessWorld
) -> None:
    # This test's own DAM run: other tests commit runs of other days to the shared database.
    dam = db_session.scalars(select(MarketRun).where(
        MarketRun.market == MarketKind.DAM, MarketRun.trade_date == TRADE_DATE,
        MarketRun.status == RunStatus.COMPLETED).order_by(MarketRun.id.desc())).first()
    assert dam is not None
    trader_a = access_world.principal(access_world.person(
        market.a.organisation, Role.TRADER, scids=(market.a.scid,)))
    trader_b = access_world.principal(access_world.person(
        market.b.organisation, Role.TRADER, scids=(market.b.scid,)))
    own = results.visible_awards(db_session, trader_b, dam.id)
    assert own and {a.scid for a in own} == {market.b.scid.code}
    assert not {a.resource_id for a in own} & set(market.a_units)
    with pytest.raises(NotVisible):
        results.visible_awards(db_session, trader_b, dam.id, scid=market.a.scid.code)
    assert {a.scid for a in results.visible_awards(db_session, trader_a, dam.id)} == {
        market.a.scid.code}
    with pytest.raises(AccessDenied):
        results.run_details(db_session, trader_b, dam.id)
