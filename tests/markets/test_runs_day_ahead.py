"""Day-ahead runs from bids: publish only on success, rerun, cancellation, replay, tampering."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from tests.markets.market_helpers import TRADE_DATE, small_market

from gridmarket.clock import FixedClock
from gridmarket.config import ClearingRules, MarketParameters
from gridmarket.credit.reference_prices import unregister_price_history_provider
from gridmarket.errors import Conflict
from gridmarket.markets.input_store import pack_input, sha256, unpack_input
from gridmarket.markets.replay import replay_run
from gridmarket.markets.run_models import MarketKind, MarketPrice, MarketRun, RunStatus
from gridmarket.markets.runs import rerun_market_run, run_counts, run_day_ahead
from gridmarket.participants.models import Notice

BEFORE_DEADLINE = FixedClock(datetime(2020, 7, 14, 18, tzinfo=UTC))  # 11:00 PT on T-1
AFTER_DEADLINE = FixedClock(datetime(2020, 7, 14, 20, 30, tzinfo=UTC))  # 13:30 PT on T-1
PARAMETERS = MarketParameters()
TIMING_OUT = MarketParameters(clearing=ClearingRules(time_limit_seconds=1e-6))


@pytest.fixture(autouse=True)
def _no_price_provider_left() -> Iterator[None]:
    yield
    unregister_price_history_provider()


@pytest.fixture
def session(db_session: Session, rts_loaded: Engine) -> Session:
    small_market(db_session)
    return db_session


def _run(session: Session, data_dir: Path, parameters: MarketParameters = PARAMETERS,
         clock: FixedClock = BEFORE_DEADLINE) -> MarketRun:
    return run_day_ahead(session, TRADE_DATE, parameters=parameters, data_dir=data_dir,
                         clock=clock)


def test_a_completed_dam_publishes_awards_prices_and_a_ruc_run(
    session: Session, data_dir: Path
) -> None:
    run = _run(session, data_dir)
    assert run.status is RunStatus.COMPLETED, run.failure_reason
    counts = run_counts(session, run.id)
    assert counts["award"] > 0 and counts["price"] > 0 and counts["virtual_award"] == 24
    assert counts["reserve_price"] > 0
    ruc = session.scalar(select(MarketRun).where(MarketRun.parent_run_id == run.id))
    assert ruc is not None and ruc.market is MarketKind.RUC and ruc.status is RunStatus.COMPLETED
    assert run_counts(session, ruc.id)["award"] > 0
    # Every published price row: LMP = energy + congestion + loss, exactly.
    for price in session.scalars(select(MarketPrice).where(MarketPrice.run_id == run.id)):
        total = price.energy_usd_per_mwh + price.congestion_usd_per_mwh + price.loss_usd_per_mwh
        assert price.lmp_usd_per_mwh == total, price.node
    nodes = set(session.scalars(select(MarketPrice.node).where(MarketPrice.run_id == run.id)))
    assert {"DLAP_AREA1-APND", "ABEL_1_N101"} <= nodes
    with pytest.raises(Conflict):
        _run(session, data_dir)  # published once per day


def test_the_stored_input_round_trips_exactly(session: Session, data_dir: Path) -> None:
    run = _run(session, data_dir)
    assert run.input_blob is not None
    assert sha256(run.input_blob) == run.input_sha256
    inp, extras = unpack_input(run.input_blob)
    assert pack_input(inp, extras) == run.input_blob


def test_a_failed_run_publishes_nothing_and_notices_every_sc(
    session: Session, data_dir: Path
) -> None:
    run = _run(session, data_dir, TIMING_OUT)
    assert run.status is RunStatus.FAILED
    assert "Time limit" in (run.failure_reason or "")
    assert run_counts(session, run.id) == dict.fromkeys(run_counts(session, run.id), 0)
    assert session.scalar(select(func.count()).select_from(MarketRun)
                          .where(MarketRun.parent_run_id == run.id)) == 0
    notice = session.scalar(select(Notice).where(Notice.kind == "MARKET_RUN_FAILED"))
    assert notice is not None and notice.scheduling_coordinator_id is None


def test_a_failed_dam_is_rerun_before_the_deadline(session: Session, data_dir: Path) -> None:
    failed = _run(session, data_dir, TIMING_OUT)
    rerun = rerun_market_run(session, failed.id, parameters=PARAMETERS, data_dir=data_dir,
                             clock=BEFORE_DEADLINE)
    assert rerun.status is RunStatus.COMPLETED
    assert rerun.rerun_of_id == failed.id
    with pytest.raises(Conflict):
        rerun_market_run(session, failed.id, parameters=PARAMETERS, data_dir=data_dir,
                         clock=BEFORE_DEADLINE)


def test_after_the_rerun_deadline_the_dam_is_cancelled(session: Session, data_dir: Path) -> None:
    failed = _run(session, data_dir, TIMING_OUT)
    cancelled = rerun_market_run(session, failed.id, parameters=PARAMETERS, data_dir=data_dir,
                                 clock=AFTER_DEADLINE)
    assert cancelled.status is RunStatus.CANCELLED
    assert "cancelled" in (cancelled.failure_reason or "")
    assert run_counts(session, cancelled.id) == dict.fromkeys(run_counts(session, failed.id), 0)
    notice = session.scalar(select(Notice).where(Notice.kind == "DAM_CANCELLED"))
    assert notice is not None and notice.scheduling_coordinator_id is None
    with pytest.raises(Conflict):
        _run(session, data_dir)


def test_replay_is_identical_and_finds_a_tampered_price(session: Session, data_dir: Path) -> None:
    run = _run(session, data_dir)
    report = replay_run(session, run.id)
    assert report.identical, report.differences
    assert report.rows_compared == sum(run_counts(session, run.id).values())
    row = session.scalars(select(MarketPrice).where(MarketPrice.run_id == run.id)
                          .order_by(MarketPrice.id)).first()
    assert row is not None
    session.execute(update(MarketPrice).where(MarketPrice.id == row.id)
                    .values(lmp_usd_per_mwh=row.lmp_usd_per_mwh + 1))
    tampered = replay_run(session, run.id)
    assert not tampered.identical
    assert tampered.replay_digest == tampered.recorded_digest  # the solve is still the same
    assert tampered.stored_digest != tampered.recorded_digest
    assert any(row.node in line for line in tampered.differences)


def test_a_day_without_supply_bids_fails_with_the_reason(session: Session,
                                                         data_dir: Path) -> None:
    run = run_day_ahead(session, TRADE_DATE + timedelta(days=3), parameters=PARAMETERS,
                        data_dir=data_dir, clock=BEFORE_DEADLINE)
    assert run.status is RunStatus.FAILED
    assert "no supply bids" in (run.failure_reason or "")


def test_a_day_outside_the_forecast_data_fails_with_the_reason(session: Session,
                                                               data_dir: Path) -> None:
    run = run_day_ahead(session, date(2031, 7, 15), parameters=PARAMETERS,
                        data_dir=data_dir, clock=BEFORE_DEADLINE)
    assert run.status is RunStatus.FAILED
    assert "is outside the RTS-GMLC data" in (run.failure_reason or "")
