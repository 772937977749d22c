"""Market runs: build the input from bids, store it, solve, publish only on success.

Day-ahead (:func:`run_day_ahead`): IFM then RUC (rulebook §7). The complete
input is stored first (:mod:`~gridmarket.markets.input_store`); a failed
build or solve (:class:`~gridmarket.clearing.ClearingFailed`,
:class:`~gridmarket.clearing.InputError`, :class:`~gridmarket.errors.InvalidInput`,
a solver time-out) marks the run FAILED with its reason and publishes
nothing. On success the awards and prices are written in one savepoint
(all rows or none), the RUC is recorded as a run of its own (its
``parent_run_id`` is the DAM run), credit is recomputed for every SC and the
price history for reference prices is registered.

A failed DAM may be re-run by the operator (:func:`rerun_market_run`) until
``MarketCalendar.dam_rerun_deadline`` (13:00 PT on T−1); after it the DAM of
the day is CANCELLED and all energy settles in real time. Every disruption
(failure, cancellation, a carried-forward real-time interval) is noticed to
all SCs.

Real time (:func:`run_real_time`): FMM or RTD from the commitment of the
published DAM (and its RUC), RTM bids (DAM bids carry over), the ISO's
real-time forecasts; every interval dispatched, failed intervals carried
forward and flagged (:mod:`~gridmarket.markets.realtime_dispatch`).

Example::

    run = run_day_ahead(session, date(2020, 7, 15), parameters=params,
                        data_dir=settings.data_dir, clock=SystemClock())
    run.status  # RunStatus.COMPLETED
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.clearing import (
    ClearingFailed,
    ClearingInput,
    ClearingResult,
    InputError,
    clear_day_ahead,
)
from gridmarket.clearing.ruc import ruc_clearing_input
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.eal import recompute_all
from gridmarket.credit.models import EalTrigger
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.markets.bid_case import MarketCase, day_ahead_case, real_time_case
from gridmarket.markets.input_store import pack_input, sha256
from gridmarket.markets.parameters import record_parameters
from gridmarket.markets.price_history import ensure_price_history_provider
from gridmarket.markets.publication import PublishedRows, published_rows
from gridmarket.markets.realtime_dispatch import Progress, dispatch_day
from gridmarket.markets.run_models import (
    DispatchInstruction,
    MarketAward,
    MarketKind,
    MarketPrice,
    MarketReservePrice,
    MarketRun,
    MarketVirtualAward,
    RunStatus,
)
from gridmarket.markets.solved_day import PublicationMap, SolvedDay
from gridmarket.markets.virtual_positions import record_virtual_positions
from gridmarket.network.csv_tables import RtsDataError
from gridmarket.participants.notices import raise_notice

RUN_FAILURES = (ClearingFailed, InputError, InvalidInput, RtsDataError)
"""A run that meets one of these fails with its reason (e.g. no RTS-GMLC forecast for the day)."""
MAP_EXTRA = "publication_map"
COMMITMENT_EXTRA = "commitment"
INITIAL_OUTPUT_EXTRA = "initial_output_mw"
INSERT_BATCH_ROWS = 20_000
TABLE_MODELS: dict[str, type[Any]] = {
    "award": MarketAward,
    "price": MarketPrice,
    "reserve_price": MarketReservePrice,
    "virtual_award": MarketVirtualAward,
    "dispatch": DispatchInstruction,
}
RunStep = Callable[[str], None]


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def step(self, name: str, began: float) -> None:
        self.seconds[name] = round(time.perf_counter() - began, 3)


def pack_case(case: MarketCase, inp: ClearingInput | None = None,
              mapping: PublicationMap | None = None,
              extras: dict[str, np.ndarray] | None = None) -> bytes:
    """The run's stored input: the clearing input, its publication map and extras."""
    mapping = mapping or PublicationMap.of(case)
    return pack_input(inp or case.input,
                      {MAP_EXTRA: np.array(mapping.to_json()), **(extras or {})})


def _new_run(session: Session, market: MarketKind, trade_date: date, parameters: MarketParameters,
             clock: Clock, **links: int | None) -> MarketRun:
    run = MarketRun(
        market=market,
        trade_date=trade_date,
        status=RunStatus.RUNNING,
        started_at=clock.now(),
        parameter_set_id=record_parameters(session, parameters).id,
        solver_options_json=json.dumps(parameters.clearing.model_dump(mode="json"),
                                       sort_keys=True),
        **links,
    )
    session.add(run)
    session.flush()
    return run


def _notice_all(session: Session, run: MarketRun, kind: str, subject: str, body: str) -> None:
    raise_notice(session, scheduling_coordinator_id=None, kind=kind, subject=subject, body=body,
                 dedupe_key=f"market-run:{kind.lower()}:{run.id}")


def _fail(session: Session, run: MarketRun, reason: str, clock: Clock, timer: _Timer) -> None:
    run.status = RunStatus.FAILED
    run.failure_reason = reason
    run.finished_at = clock.now()
    run.timings_json = json.dumps(timer.seconds, sort_keys=True)
    _notice_all(session, run, "MARKET_RUN_FAILED",
                f"{run.market.value} run {run.id} for {run.trade_date} failed",
                f"The {run.market.value} run for trade date {run.trade_date} failed and "
                f"published nothing: {reason}")
    session.flush()


def publish(session: Session, run: MarketRun, rows: PublishedRows) -> None:
    """Insert every row of ``rows`` for ``run`` in one savepoint (all or none)."""
    with session.begin_nested():
        for table, model in TABLE_MODELS.items():
            batch = [{**row, "run_id": run.id} for row in rows.tables[table]]
            for offset in range(0, len(batch), INSERT_BATCH_ROWS):
                session.execute(insert(model), batch[offset:offset + INSERT_BATCH_ROWS])


def _consistency(result: ClearingResult) -> dict[str, Any]:
    report = result.consistency
    stats = result.statistics
    return {
        "ok": report.ok,
        "violations": [f"{f.check}: {f.element} period {f.period}: {f.detail}"
                       for f in report.violations[:50]],
        "violation_count": len(report.violations),
        "explained_count": len(report.explained),
        "max_balance_residual_mw": report.max_balance_residual_mw,
        "max_price_mismatch_usd_per_mwh": report.max_price_mismatch_usd_per_mwh,
        "relaxations": result.relaxations.any,
        "objective_usd": stats.objective_usd,
        "mip_gap": stats.mip_gap,
        "status": stats.status,
    }


def _after_success(session: Session, trade_date: date, parameters: MarketParameters,
                   clock: Clock) -> None:
    ensure_price_history_provider()
    recompute_all(session, trigger=EalTrigger.MARKET_RUN,
                  as_of=MarketCalendar(parameters).trade_date_of(clock.now()),
                  parameters=parameters, clock=clock)


def _day_runs(session: Session, trade_date: date, market: MarketKind) -> list[MarketRun]:
    return list(session.scalars(select(MarketRun).where(
        MarketRun.trade_date == trade_date, MarketRun.market == market,
        MarketRun.replay_of_id.is_(None)).order_by(MarketRun.id)))


def published_run(session: Session, trade_date: date, market: MarketKind) -> MarketRun | None:
    """The completed (published) run of ``market`` for ``trade_date``, if any."""
    return next((r for r in reversed(_day_runs(session, trade_date, market))
                 if r.status is RunStatus.COMPLETED), None)


def run_day_ahead(
    session: Session,
    trade_date: date,
    *,
    parameters: MarketParameters,
    data_dir: Path,
    clock: Clock,
    progress: RunStep | None = None,
    rerun_of_id: int | None = None,
    requested_by_person_id: int | None = None,
) -> MarketRun:
    """Run the DAM (IFM, then RUC) of ``trade_date`` from its clean bids.

    Returns the run, COMPLETED or FAILED; raises :class:`Conflict` if the DAM
    of the day is already published or cancelled.
    """
    step = progress or (lambda _message: None)
    for earlier in _day_runs(session, trade_date, MarketKind.DAM):
        if earlier.status in (RunStatus.COMPLETED, RunStatus.CANCELLED, RunStatus.RUNNING):
            raise Conflict(f"the DAM of {trade_date} is {earlier.status.value.lower()} "
                           f"(run {earlier.id})", field="trade_date")
    timer = _Timer()
    run = _new_run(session, MarketKind.DAM, trade_date, parameters, clock,
                   rerun_of_id=rerun_of_id, requested_by_person_id=requested_by_person_id)
    began = time.perf_counter()
    try:
        step("building the input from bids")
        case = day_ahead_case(session, trade_date, parameters, data_dir)
        run.network_model_id = case.network_model_id
        blob = pack_case(case)
        run.input_blob, run.input_sha256 = blob, sha256(blob)
        timer.step("build_input", began)
        began = time.perf_counter()
        step("integrated forward market")
        ifm = clear_day_ahead(case.input)
        timer.step("ifm", began)
        began = time.perf_counter()
        step("residual unit commitment")
        assert case.forecast_demand_mw is not None
        ruc_input = ruc_clearing_input(case.input, ifm, case.forecast_demand_mw)
        ruc = clear_day_ahead(ruc_input)
        timer.step("ruc", began)
    except RUN_FAILURES as error:
        _fail(session, run, str(error), clock, timer)
        return run
    began = time.perf_counter()
    step("publishing awards and prices")
    mapping = PublicationMap.of(case)
    rows = published_rows(case.input, mapping, SolvedDay.from_result(ifm))
    publish(session, run, rows)
    ruc_run = _new_run(session, MarketKind.RUC, trade_date, parameters, clock,
                       parent_run_id=run.id)
    ruc_map = replace(mapping, virtual_rows=[])
    ruc_blob = pack_case(case, ruc_input, ruc_map)
    ruc_rows = published_rows(ruc_input, ruc_map, SolvedDay.from_result(ruc), prices=False)
    publish(session, ruc_run, ruc_rows)
    ruc_run.input_blob, ruc_run.input_sha256 = ruc_blob, sha256(ruc_blob)
    ruc_run.network_model_id = case.network_model_id
    ruc_run.result_sha256 = ruc_rows.digest()
    ruc_run.consistency_json = json.dumps(_consistency(ruc), sort_keys=True)
    ruc_run.timings_json = json.dumps({"ruc": timer.seconds["ruc"]})
    ruc_run.status, ruc_run.finished_at = RunStatus.COMPLETED, clock.now()
    timer.step("publish", began)
    run.result_sha256 = rows.digest()
    run.consistency_json = json.dumps(_consistency(ifm), sort_keys=True)
    run.timings_json = json.dumps(timer.seconds, sort_keys=True)
    run.status, run.finished_at = RunStatus.COMPLETED, clock.now()
    session.flush()
    record_virtual_positions(session, run, parameters=parameters, clock=clock)
    _after_success(session, trade_date, parameters, clock)
    return run


def rerun_market_run(
    session: Session,
    run_id: int,
    *,
    parameters: MarketParameters,
    data_dir: Path,
    clock: Clock,
    requested_by_person_id: int | None = None,
    progress: RunStep | None = None,
) -> MarketRun:
    """Re-run the failed DAM run ``run_id``; after the rerun deadline, cancel the DAM instead.

    Returns the new run: COMPLETED or FAILED, or CANCELLED when the deadline
    has passed (every SC is noticed that the DAM is cancelled).
    """
    failed = session.get(MarketRun, run_id)
    if failed is None:
        raise NotFound(f"no market run {run_id}", field="run_id")
    if failed.market is not MarketKind.DAM or failed.status is not RunStatus.FAILED:
        raise Conflict(f"run {run_id} is a {failed.status.value.lower()} "
                       f"{failed.market.value} run: only a failed DAM run can be re-run",
                       field="run_id")
    later = [r for r in _day_runs(session, failed.trade_date, MarketKind.DAM) if r.id > run_id]
    if later:
        raise Conflict(f"run {run_id} was already followed by run {later[-1].id}",
                       field="run_id")
    deadline = MarketCalendar(parameters).dam_rerun_deadline(failed.trade_date)
    if clock.now() >= deadline:
        return cancel_day_ahead(session, failed, parameters=parameters, clock=clock,
                                requested_by_person_id=requested_by_person_id)
    return run_day_ahead(session, failed.trade_date, parameters=parameters, data_dir=data_dir,
                         clock=clock, progress=progress, rerun_of_id=failed.id,
                         requested_by_person_id=requested_by_person_id)


def cancel_day_ahead(session: Session, failed: MarketRun, *, parameters: MarketParameters,
                     clock: Clock, requested_by_person_id: int | None = None) -> MarketRun:
    """Record that the DAM of ``failed.trade_date`` is cancelled (rerun deadline passed)."""
    deadline = MarketCalendar(parameters).dam_rerun_deadline(failed.trade_date)
    now = clock.now()
    reason = (f"the DAM rerun deadline {deadline.isoformat()} has passed without a result: "
              f"the DAM of {failed.trade_date} is cancelled and all energy settles in real time")
    run = MarketRun(market=MarketKind.DAM, trade_date=failed.trade_date,
                    status=RunStatus.CANCELLED, failure_reason=reason, started_at=now,
                    finished_at=now, parameter_set_id=record_parameters(session, parameters).id,
                    rerun_of_id=failed.id, requested_by_person_id=requested_by_person_id)
    session.add(run)
    session.flush()
    _notice_all(session, run, "DAM_CANCELLED", f"DAM for {failed.trade_date} cancelled", reason)
    return run


def _day_ahead_commitment(session: Session, dam: MarketRun, units: list[str],
                          case: MarketCase) -> tuple[np.ndarray, np.ndarray]:
    """``(unit, interval)`` commitment and the first hour's DAM output, from published awards."""
    ruc = session.scalar(select(MarketRun).where(MarketRun.parent_run_id == dam.id,
                                                 MarketRun.market == MarketKind.RUC,
                                                 MarketRun.status == RunStatus.COMPLETED))
    run_ids = [dam.id] + ([ruc.id] if ruc is not None else [])
    rows = session.execute(select(MarketAward.resource_id, MarketAward.interval_start_utc,
                                  MarketAward.committed, MarketAward.energy_mw,
                                  MarketAward.run_id)
                           .where(MarketAward.run_id.in_(run_ids))).all()
    position = {u: i for i, u in enumerate(units)}
    starts = case.interval_start_utc
    n_hours = (starts[-1] - starts[0]) // timedelta(hours=1) + 1
    hourly = np.zeros((len(units), n_hours), dtype=bool)
    first_output = np.zeros(len(units))
    for resource, instant, committed, energy, run_id in rows:
        i = position.get(resource)
        if i is None:
            continue
        hour = (instant - starts[0]) // timedelta(hours=1)
        if 0 <= hour < n_hours:
            hourly[i, hour] |= committed
            if hour == 0 and run_id == dam.id:
                first_output[i] = float(energy)
    period_hour = [(t - starts[0]) // timedelta(hours=1) for t in starts]
    commitment = hourly[:, period_hour]
    variable = np.array([case.is_variable.get(u, False) for u in units], dtype=bool)
    # Units without a commitment decision (variable resources) are on whenever offered.
    commitment |= variable[:, None] & case.input.units.available
    commitment &= case.input.units.available
    # A unit on in the first interval (e.g. committed by RUC only) starts at least at Pmin.
    first_output = np.where(commitment[:, 0],
                            np.maximum(first_output, case.input.units.p_min_mw[:, 0]), 0.0)
    return commitment, first_output


def run_real_time(
    session: Session,
    trade_date: date,
    market: str = "RTD",
    *,
    parameters: MarketParameters,
    data_dir: Path,
    clock: Clock,
    progress: Progress | None = None,
    requested_by_person_id: int | None = None,
) -> MarketRun:
    """Run the FMM or RTD of ``trade_date`` from the published DAM's commitment."""
    kind = MarketKind(market)
    if kind not in (MarketKind.FMM, MarketKind.RTD):
        raise InvalidInput(f"market must be FMM or RTD, not {market!r}", field="market")
    dam = published_run(session, trade_date, MarketKind.DAM)
    if dam is None:
        raise Conflict(f"no published DAM for {trade_date}: real time needs its commitment",
                       field="trade_date")
    minutes = MarketCalendar(parameters).interval_minutes(kind.interval_market)
    timer = _Timer()
    run = _new_run(session, kind, trade_date, parameters, clock, parent_run_id=dam.id,
                   requested_by_person_id=requested_by_person_id)
    began = time.perf_counter()
    try:
        case = real_time_case(session, trade_date, parameters, data_dir,
                              interval_minutes=minutes)
        run.network_model_id = case.network_model_id
        units = case.input.units.unit_ids.tolist()
        commitment, first_output = _day_ahead_commitment(session, dam, units, case)
        blob = pack_case(case, extras={COMMITMENT_EXTRA: commitment,
                                       INITIAL_OUTPUT_EXTRA: first_output})
        run.input_blob, run.input_sha256 = blob, sha256(blob)
        timer.step("build_input", began)
        began = time.perf_counter()
        outcome = dispatch_day(case.input, commitment, first_output, progress=progress)
        timer.step("dispatch", began)
    except RUN_FAILURES as error:
        _fail(session, run, str(error), clock, timer)
        return run
    began = time.perf_counter()
    rows = published_rows(case.input, PublicationMap.of(case), outcome.day, dispatch=True)
    publish(session, run, rows)
    timer.step("publish", began)
    timer.seconds["build_model"] = round(outcome.build_seconds, 3)
    timer.seconds["mean_interval"] = round(float(np.mean(outcome.seconds)), 4)
    timer.seconds["max_interval"] = round(float(np.max(outcome.seconds)), 4)
    run.carried_forward_json = json.dumps(
        [{"interval": k, "interval_start_utc": case.interval_start_utc[k].isoformat(),
          "reason": reason} for k, reason in sorted(outcome.failures.items())])
    run.result_sha256 = rows.digest()
    run.consistency_json = json.dumps({"intervals": case.input.periods.count,
                                       "carried_forward": len(outcome.failures)})
    run.timings_json = json.dumps(timer.seconds, sort_keys=True)
    run.status, run.finished_at = RunStatus.COMPLETED, clock.now()
    if outcome.failures:
        first = min(outcome.failures)
        _notice_all(session, run, "RT_INTERVALS_CARRIED_FORWARD",
                    f"{kind.value} {trade_date}: {len(outcome.failures)} interval(s) carried "
                    "forward",
                    f"{len(outcome.failures)} {kind.value} interval(s) of {trade_date} failed and "
                    f"carry forward the last valid prices and dispatch (first at "
                    f"{case.interval_start_utc[first].isoformat()}): "
                    f"{outcome.failures[first]}")
    session.flush()
    _after_success(session, trade_date, parameters, clock)
    return run


def run_counts(session: Session, run_id: int) -> dict[str, int]:
    """Rows published by ``run_id`` per table (for reports and tests)."""
    return {
        table: session.scalar(select(func.count()).select_from(model)
                              .where(model.run_id == run_id)) or 0
        for table, model in TABLE_MODELS.items()
    }
