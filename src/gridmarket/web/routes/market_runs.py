"""Market runs: the list, one run, and the market operator's actions on them.

The operator closes the day-ahead market or a real-time hour, runs the DAM
(IFM, RUC) or a real-time market (FMM, RTD), re-runs a failed DAM and replays a
run, through the same service functions as ``POST /api/v1/markets/...`` and
``POST /api/v1/market-runs``. A refusal is shown beside the form it came from,
in the service's words; a run opens its page (a run takes a few seconds).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep, SettingsDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.markets import operations, results
from gridmarket.markets.replay import ReplayReport, replay_run
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus
from gridmarket.markets.runs import rerun_market_run
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt, parse_date, parse_int, text
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]



def _runs_page(request: Request, session: Session, viewer: Viewer, parameters: MarketParameters,
               clock: Clock, *, values: dict[str, str] | None = None,
               problems: dict[str, Problem] | None = None) -> Response:
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    shown = {"close_date": str(today + timedelta(days=1)), "close_hour": "",
             "run_date": str(today + timedelta(days=1)), "market": "DAM"}
    shown.update(values or {})
    problem = next(iter((problems or {}).values()), None)
    return render(request, "market_runs.html", {
        "runs": results.list_runs(session, viewer.principal),
        "may_run": viewer.may(Action.RUN_MARKET), "values": shown,
        "problems": problems or {}, "markets": operations.RUN_MARKETS,
    }, viewer=viewer, status_code=problem.status_code if problem else 200)


@router.get("/market-runs")
def runs_page(request: Request, viewer: ViewerDep, session: SessionDep,
              parameters: ParametersDep, clock: ClockDep) -> Response:
    """The latest market runs and their status; the operator's forms for the ISO's operators."""
    return _runs_page(request, session, viewer, parameters, clock)


@router.post("/market-runs/close")
def close_market(request: Request, viewer: ViewerDep, session: SessionDep,
                 parameters: ParametersDep, clock: ClockDep, form: CheckedForm) -> Response:
    """Close the DAM of a trade date, or one real-time hour of it when an hour is given."""
    authorize(viewer.principal, Action.RUN_MARKET)
    values = {"close_date": text(form, "close_date"), "close_hour": text(form, "close_hour")}

    def work() -> str:
        day = parse_date(values["close_date"], "close_date")
        hour = parse_int(values["close_hour"], "close_hour") if values["close_hour"] else None
        report = operations.close_market(session, viewer.principal, day, hour,
                                         parameters=parameters, clock=clock)
        done = (f"Real-time hour HE{hour} of {day} closed" if hour
                else f"The day-ahead market of {day} closed")
        counted = ", ".join(f"{count} {status.lower()}"
                            for status, count in sorted(report.statuses.items()))
        return f"{done}: bids {counted or 'none pending'}."

    outcome = attempt(session, work)
    if isinstance(outcome, Problem):
        return _runs_page(request, session, viewer, parameters, clock, values=values,
                          problems={"close": outcome})
    return see_other(request, "/market-runs", outcome)


@router.post("/market-runs")
def start_run(request: Request, viewer: ViewerDep, session: SessionDep, settings: SettingsDep,
              parameters: ParametersDep, clock: ClockDep, form: CheckedForm) -> Response:
    """Run the DAM (IFM, RUC) or a real-time market (FMM, RTD) of a trade date, then open it."""
    authorize(viewer.principal, Action.RUN_MARKET)
    values = {"run_date": text(form, "run_date"), "market": text(form, "market")}

    def work() -> MarketRun:
        return operations.start_run(session, viewer.principal,
                                    parse_date(values["run_date"], "run_date"), values["market"],
                                    parameters=parameters, data_dir=settings.data_dir,
                                    clock=clock)

    outcome = attempt(session, work)
    if isinstance(outcome, Problem):
        return _runs_page(request, session, viewer, parameters, clock, values=values,
                          problems={"run": outcome})
    return see_other(request, f"/market-runs/{outcome.id}", _ran(outcome))


def _ran(run: MarketRun) -> str:
    said = f"{run.market.value} run {run.id} of {run.trade_date} {run.status.value.lower()}"
    return f"{said}: {run.failure_reason}" if run.failure_reason else f"{said}."


def _run_page(request: Request, session: Session, viewer: Viewer, run_id: int,
              calendar: MarketCalendar, *, problem: Problem | None = None,
              replay: ReplayReport | None = None) -> Response:
    run = results.run_details(session, viewer.principal, run_id)
    may_run = viewer.may(Action.RUN_MARKET)
    context: dict[str, Any] = {
        "run": run, "timings": json.loads(run.timings_json or "{}"),
        "consistency": json.loads(run.consistency_json or "{}"),
        "carried_forward": json.loads(run.carried_forward_json or "[]"),
        "started": _as_text(run.started_at), "finished": _as_text(run.finished_at),
        "may_rerun": may_run and run.market is MarketKind.DAM
        and run.status is RunStatus.FAILED,
        "rerun_deadline": calendar.dam_rerun_deadline(run.trade_date),
        "may_replay": may_run and run.status is RunStatus.COMPLETED,
        "problem": problem, "replay": replay,
    }
    return render(request, "market_run.html", context, viewer=viewer,
                  status_code=problem.status_code if problem else 200)


@router.get("/market-runs/{run_id}")
def run_page(request: Request, run_id: int, viewer: ViewerDep, session: SessionDep,
             parameters: ParametersDep) -> Response:
    """A run's timings, consistency report, failure reason and digests (ISO)."""
    return _run_page(request, session, viewer, run_id, MarketCalendar(parameters))


@router.post("/market-runs/{run_id}/rerun")
def rerun(request: Request, run_id: int, viewer: ViewerDep, session: SessionDep,
          settings: SettingsDep, parameters: ParametersDep, clock: ClockDep,
          form: CheckedForm) -> Response:
    """Re-run a failed DAM before its deadline (after it the service cancels the DAM)."""
    authorize(viewer.principal, Action.RUN_MARKET)
    outcome = attempt(session, lambda: rerun_market_run(
        session, run_id, parameters=parameters, data_dir=settings.data_dir, clock=clock,
        requested_by_person_id=viewer.principal.person_id))
    if isinstance(outcome, Problem):
        return _run_page(request, session, viewer, run_id, MarketCalendar(parameters),
                         problem=outcome)
    return see_other(request, f"/market-runs/{outcome.id}", _ran(outcome))


@router.post("/market-runs/{run_id}/replay")
def replay(request: Request, run_id: int, viewer: ViewerDep, session: SessionDep,
           parameters: ParametersDep, form: CheckedForm) -> Response:
    """Solve a completed run's stored input again and show how it compares (stores nothing)."""
    authorize(viewer.principal, Action.RUN_MARKET)
    results.run_details(session, viewer.principal, run_id)
    outcome = attempt(session, lambda: replay_run(session, run_id))
    calendar = MarketCalendar(parameters)
    if isinstance(outcome, Problem):
        return _run_page(request, session, viewer, run_id, calendar, problem=outcome)
    return _run_page(request, session, viewer, run_id, calendar, replay=outcome)


def _as_text(instant: datetime | None) -> str:
    return instant.isoformat() if instant else ""
