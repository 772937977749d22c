"""Market runs and their results: runs, awards, dispatch, public prices, DAM rerun.

Thin: the confidentiality rules live in :mod:`gridmarket.markets.results`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep, SettingsDep
from gridmarket.api.security import ClockDep, require
from gridmarket.dates import IsoDate
from gridmarket.markets import operations, results
from gridmarket.markets.run_models import MarketKind, MarketRun
from gridmarket.markets.runs import rerun_market_run

router = APIRouter(prefix="/api/v1", tags=["market results"])

Viewer = Annotated[Principal, Depends(require(Action.VIEW_MARKET_RESULTS))]
Operator = Annotated[Principal, Depends(require(Action.RUN_MARKET))]


class RunSummaryOut(BaseModel):
    id: int
    market: str
    trade_date: date
    status: str


class RunOut(RunSummaryOut):
    failure_reason: str | None
    started_at: datetime
    finished_at: datetime | None
    timings: dict[str, Any]
    consistency: dict[str, Any]
    carried_forward: list[Any]
    parameter_set_id: int
    network_model_id: int | None
    input_sha256: str | None
    result_sha256: str | None
    parent_run_id: int | None
    rerun_of_id: int | None


class AwardOut(BaseModel):
    resource_id: str
    scid: str | None
    interval_start_utc: datetime
    energy_mw: Decimal
    reg_up_mw: Decimal
    reg_down_mw: Decimal
    spin_mw: Decimal
    non_spin_mw: Decimal
    committed: bool
    started: bool


class DispatchOut(BaseModel):
    resource_id: str
    scid: str | None
    interval_start_utc: datetime
    interval_minutes: int
    dispatch_mw: Decimal
    expected_energy_mwh: Decimal
    carried_forward: bool


class PriceOut(BaseModel):
    node: str
    interval_start_utc: datetime
    lmp_usd_per_mwh: Decimal
    energy_usd_per_mwh: Decimal
    congestion_usd_per_mwh: Decimal
    loss_usd_per_mwh: Decimal
    carried_forward: bool


class PricesOut(BaseModel):
    run_id: int
    market: str
    trade_date: date
    prices: list[PriceOut]


def _summary(run: MarketRun) -> RunSummaryOut:
    return RunSummaryOut(id=run.id, market=run.market.value, trade_date=run.trade_date,
                         status=run.status.value)


def _details(run: MarketRun) -> RunOut:
    return RunOut(
        **_summary(run).model_dump(),
        failure_reason=run.failure_reason,
        started_at=run.started_at,
        finished_at=run.finished_at,
        timings=json.loads(run.timings_json or "{}"),
        consistency=json.loads(run.consistency_json or "{}"),
        carried_forward=json.loads(run.carried_forward_json or "[]"),
        parameter_set_id=run.parameter_set_id,
        network_model_id=run.network_model_id,
        input_sha256=run.input_sha256,
        result_sha256=run.result_sha256,
        parent_run_id=run.parent_run_id,
        rerun_of_id=run.rerun_of_id,
    )


@router.get("/market-runs", response_model=list[RunSummaryOut])
def list_market_runs(session: SessionDep, principal: Viewer, trade_date: IsoDate | None = None,
                     market: MarketKind | None = None) -> list[RunSummaryOut]:
    """Market runs, newest first (SCs: the list; ISO staff: details per run)."""
    return [_summary(run) for run in results.list_runs(session, principal,
                                                       trade_date=trade_date, market=market)]


@router.get("/market-runs/{run_id}", response_model=RunOut)
def get_market_run(run_id: int, session: SessionDep, principal: Viewer) -> RunOut:
    """Status, timings, consistency report and failure reason of a run (ISO staff)."""
    return _details(results.run_details(session, principal, run_id))


@router.get("/market-runs/{run_id}/awards", response_model=list[AwardOut])
def get_awards(run_id: int, session: SessionDep, principal: Viewer,
               scid: str | None = None) -> list[AwardOut]:
    """Awards of the run: an SC sees those of its own SCIDs only."""
    return [AwardOut.model_validate(row, from_attributes=True)
            for row in results.visible_awards(session, principal, run_id, scid)]


@router.get("/market-runs/{run_id}/dispatch", response_model=list[DispatchOut])
def get_dispatch(run_id: int, session: SessionDep, principal: Viewer,
                 scid: str | None = None) -> list[DispatchOut]:
    """Real-time dispatch instructions: an SC sees those of its own SCIDs only."""
    return [DispatchOut.model_validate(row, from_attributes=True)
            for row in results.visible_dispatch(session, principal, run_id, scid)]


@router.get("/prices", response_model=PricesOut,
            responses={404: {"description": "No published prices for that day (or node)"}})
def get_prices(session: SessionDep, trade_date: IsoDate, market: MarketKind = MarketKind.DAM,
               node: str | None = None) -> PricesOut:
    """Published prices of a market and trade date (public, no login)."""
    run, rows = results.public_prices(session, market, trade_date, node)
    return PricesOut(run_id=run.id, market=run.market.value, trade_date=run.trade_date,
                     prices=[PriceOut.model_validate(r, from_attributes=True) for r in rows])


@router.post("/market-runs/{run_id}/rerun", response_model=RunOut)
def rerun(run_id: int, session: SessionDep, principal: Operator, settings: SettingsDep,
          parameters: ParametersDep, clock: ClockDep) -> RunOut:
    """Re-run a failed DAM run (market operator); after the deadline the DAM is cancelled."""
    run = rerun_market_run(session, run_id, parameters=parameters, data_dir=settings.data_dir,
                           clock=clock, requested_by_person_id=principal.person_id)
    session.commit()
    return _details(run)


class RunRequest(BaseModel):
    market: Literal["DAM", "FMM", "RTD"]
    trade_date: IsoDate


@router.post("/market-runs", response_model=RunOut, status_code=201)
def start_run(body: RunRequest, session: SessionDep, principal: Operator,
              settings: SettingsDep, parameters: ParametersDep, clock: ClockDep) -> RunOut:
    """Run the DAM (IFM, RUC) or a real-time market (FMM, RTD) of a trade date (operator).

    The answer is the run, COMPLETED or FAILED with its reason; a failed run publishes nothing.
    """
    run = operations.start_run(session, principal, body.trade_date, body.market,
                               parameters=parameters, data_dir=settings.data_dir, clock=clock)
    session.commit()
    return _details(run)


class HourCloseOut(BaseModel):
    trade_date: date
    hour: int
    statuses: dict[str, int]
    segments_by_scid: dict[str, int]
    unmatched_trades: int


@router.post("/markets/RTM/{trade_date}/hours/{hour}/close", response_model=HourCloseOut)
def close_real_time_hour(trade_date: IsoDate, hour: Annotated[int, Path(ge=1, le=25)],
                         session: SessionDep, principal: Operator, parameters: ParametersDep,
                         clock: ClockDep) -> HourCloseOut:
    """Close real-time bidding for one hour: its pending RTM bids become clean or Invalid."""
    report = operations.close_market(session, principal, trade_date, hour,
                                     parameters=parameters, clock=clock)
    session.commit()
    return HourCloseOut(trade_date=trade_date, hour=hour, statuses=report.statuses,
                        segments_by_scid=report.segments_by_scid,
                        unmatched_trades=report.unmatched_trades)
