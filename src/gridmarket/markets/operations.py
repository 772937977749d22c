"""The market operator's actions, each audited: close a market, start a run.

The API and the operator's pages both call these; the scheduler's jobs call
the closing and running functions directly (no person acts there).

Example::

    report = close_market(session, operator, date(2020, 7, 15), parameters=parameters,
                          clock=clock)                      # the DAM
    run = start_run(session, operator, date(2020, 7, 15), "RTD", parameters=parameters,
                    data_dir=data_dir, clock=clock)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.bidding import close
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import InvalidInput
from gridmarket.markets.run_models import MarketRun
from gridmarket.markets.runs import run_day_ahead, run_real_time

RUN_MARKETS = ("DAM", "FMM", "RTD")


def close_market(session: Session, operator: Principal, trade_date: date,
                 hour_ending: int | None = None, *, parameters: MarketParameters,
                 clock: Clock) -> close.CloseReport:
    """Close the DAM of ``trade_date``, or its real-time hour ``hour_ending`` when given."""
    authorize(operator, Action.RUN_MARKET)
    if hour_ending is None:
        report = close.close_day_ahead(session, trade_date, parameters=parameters, clock=clock)
        market = f"DAM/{trade_date}"
    else:
        report = close.close_real_time_hour(session, trade_date, hour_ending,
                                            parameters=parameters, clock=clock)
        market = f"RTM/{trade_date}/HE{hour_ending}"
    record_audit(session, actor=operator, action="market.close", object_type="market",
                 object_id=market, clock=clock, details=report.statuses)
    return report


def start_run(session: Session, operator: Principal, trade_date: date, market: str, *,
              parameters: MarketParameters, data_dir: Path, clock: Clock) -> MarketRun:
    """Run the DAM (IFM, RUC) or a real-time market (FMM, RTD); COMPLETED or FAILED."""
    authorize(operator, Action.RUN_MARKET)
    if market not in RUN_MARKETS:
        raise InvalidInput(f"choose a market: {', '.join(RUN_MARKETS)}", field="market")
    if market == "DAM":
        run = run_day_ahead(session, trade_date, parameters=parameters, data_dir=data_dir,
                            clock=clock, requested_by_person_id=operator.person_id)
    else:
        run = run_real_time(session, trade_date, market, parameters=parameters,
                            data_dir=data_dir, clock=clock,
                            requested_by_person_id=operator.person_id)
    record_audit(session, actor=operator, action="market.run", object_type="market_run",
                 object_id=str(run.id), clock=clock,
                 details={"market": market, "trade_date": trade_date.isoformat(),
                          "status": run.status.value})
    return run
