"""Reading published market results, with the confidentiality rules of rulebook §5.

Prices are public. Awards and dispatch instructions are an SC's own: an SC's
people see only the rows of the SCIDs granted to them; asking for another
SC's SCID is answered as if it did not exist (404, audited). ISO staff see
everything. Run details (timings, consistency, failure reasons) are the
ISO's; SCs see the list of runs.

Example::

    awards = visible_awards(session, principal, run_id=42, scid="DTGA")
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmarket.access.errors import AccessDenied
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.errors import NotFound
from gridmarket.markets.run_models import (
    DispatchInstruction,
    MarketAward,
    MarketBindingBranch,
    MarketKind,
    MarketPrice,
    MarketRun,
    RunStatus,
)
from gridmarket.markets.runs import published_run
from gridmarket.resources.models import Resource, ResourceType


def _scids_for(principal: Principal, scid: str | None) -> Sequence[str] | None:
    """The SCIDs whose rows the caller gets (None: every row)."""
    authorize(principal, Action.VIEW_MARKET_RESULTS, scid=scid)
    if scid is not None:
        return [scid]
    return None if principal.is_iso else sorted(principal.scids)


def get_run(session: Session, run_id: int) -> MarketRun:
    run = session.get(MarketRun, run_id)
    if run is None:
        raise NotFound(f"no market run {run_id}", field="run_id")
    return run


def run_details(session: Session, principal: Principal, run_id: int) -> MarketRun:
    """A run with its timings, consistency report and failure reason: ISO staff only."""
    authorize(principal, Action.VIEW_MARKET_RESULTS)
    if not principal.is_iso:
        raise AccessDenied(
            f"{principal.email} may not view market run details: ISO staff only",
            actor=principal, action=Action.VIEW_MARKET_RESULTS.value,
            object_type="market_run", object_id=str(run_id),
        )
    return get_run(session, run_id)


def list_runs(session: Session, principal: Principal, *, trade_date: date | None = None,
              market: MarketKind | None = None, limit: int = 100) -> list[MarketRun]:
    """The latest runs (replays excluded), newest first."""
    authorize(principal, Action.VIEW_MARKET_RESULTS)
    query = select(MarketRun).where(MarketRun.replay_of_id.is_(None))
    if trade_date is not None:
        query = query.where(MarketRun.trade_date == trade_date)
    if market is not None:
        query = query.where(MarketRun.market == market)
    return list(session.scalars(query.order_by(MarketRun.id.desc()).limit(limit)))


def visible_awards(session: Session, principal: Principal, run_id: int,
                   scid: str | None = None) -> list[MarketAward]:
    """Awards of run ``run_id`` the caller may see (of ``scid`` if given)."""
    scids = _scids_for(principal, scid)
    get_run(session, run_id)
    query = select(MarketAward).where(MarketAward.run_id == run_id)
    if scids is not None:
        query = query.where(MarketAward.scid.in_(scids))
    return list(session.scalars(query.order_by(MarketAward.resource_id,
                                               MarketAward.interval_start_utc)))


def visible_dispatch(session: Session, principal: Principal, run_id: int,
                     scid: str | None = None) -> list[DispatchInstruction]:
    """Dispatch instructions of run ``run_id`` the caller may see (of ``scid`` if given)."""
    scids = _scids_for(principal, scid)
    get_run(session, run_id)
    query = select(DispatchInstruction).where(DispatchInstruction.run_id == run_id)
    if scids is not None:
        query = query.where(DispatchInstruction.scid.in_(scids))
    return list(session.scalars(query.order_by(DispatchInstruction.resource_id,
                                               DispatchInstruction.interval_start_utc)))


def public_prices(session: Session, market: MarketKind, trade_date: date,
                  node: str | None = None) -> tuple[MarketRun, list[MarketPrice]]:
    """Prices of the published run of ``market`` for ``trade_date`` (public data)."""
    run = published_run(session, trade_date, market)
    if run is None or run.status is not RunStatus.COMPLETED:
        raise NotFound(f"no published {market.value} prices for {trade_date}",
                       field="trade_date")
    query = select(MarketPrice).where(MarketPrice.run_id == run.id)
    if node is not None:
        query = query.where(MarketPrice.node == node)
    rows = list(session.scalars(query.order_by(MarketPrice.node,
                                               MarketPrice.interval_start_utc)))
    if node is not None and not rows:
        raise NotFound(f"no prices at node {node!r} in run {run.id}", field="node")
    return run, rows


def latest_published_trade_date(session: Session, market: MarketKind = MarketKind.DAM
                                ) -> date | None:
    """The latest trade date with a completed run of ``market`` (public prices default to it)."""
    return session.scalar(select(MarketRun.trade_date).where(
        MarketRun.market == market, MarketRun.status == RunStatus.COMPLETED,
        MarketRun.replay_of_id.is_(None)).order_by(MarketRun.trade_date.desc()).limit(1))


def binding_branches(session: Session, run_id: int,
                     interval_start_utc: datetime) -> list[MarketBindingBranch]:
    """Branches that bound run ``run_id`` in one interval, highest shadow price first (public)."""
    return list(session.scalars(select(MarketBindingBranch).where(
        MarketBindingBranch.run_id == run_id,
        MarketBindingBranch.interval_start_utc == interval_start_utc,
    ).order_by(MarketBindingBranch.shadow_price_usd_per_mwh.desc(), MarketBindingBranch.branch)))


def cleared_load_mw(session: Session, run_id: int) -> dict[datetime, Decimal]:
    """The load all SCs' load resources cleared in run ``run_id``, per interval (public total).

    Only the total over every SC is given (rulebook §5: aggregate load is
    public, an SC's own awards are not).
    """
    rows = session.execute(
        select(MarketAward.interval_start_utc, func.sum(MarketAward.energy_mw))
        .join(Resource, Resource.resource_id == MarketAward.resource_id)
        .where(MarketAward.run_id == run_id, Resource.resource_type == ResourceType.LOAD)
        .group_by(MarketAward.interval_start_utc)
    ).all()
    return {instant: -Decimal(total) for instant, total in rows}
