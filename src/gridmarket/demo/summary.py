"""Figures of a market day for the demo's closing summary: prices, congestion, totals."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.markets.run_models import DispatchInstruction, MarketAward, MarketPrice, MarketRun

CONGESTED_NODES_SHOWN = 5


@dataclass(frozen=True)
class NodePrices:
    node: str
    mean_lmp: float
    min_lmp: float
    max_lmp: float
    mean_congestion: float
    mean_loss: float


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    market: str
    status: str
    seconds: dict[str, float]
    aggregated: list[NodePrices]
    """Prices at the aggregated nodes (DLAPs)."""
    most_congested: list[NodePrices]
    """Pricing nodes with the largest mean |congestion part|."""
    energy_mwh: float
    """Energy scheduled or dispatched from supply (generation, imports, discharge)."""
    starts: int
    carried_forward: int


def summarise(session: Session, run: MarketRun, calendar: MarketCalendar) -> RunSummary:
    """Prices by node over the day, the most congested nodes, energy and start-ups."""
    by_node: dict[str, list[tuple[Decimal, Decimal, Decimal]]] = defaultdict(list)
    for node, lmp, congestion, loss in session.execute(
        select(MarketPrice.node, MarketPrice.lmp_usd_per_mwh, MarketPrice.congestion_usd_per_mwh,
               MarketPrice.loss_usd_per_mwh).where(MarketPrice.run_id == run.id)
    ):
        by_node[node].append((lmp, congestion, loss))
    nodes = [_node_prices(node, values) for node, values in sorted(by_node.items())]
    hours = calendar.interval_minutes(run.market.interval_market) / 60
    energy = 0.0
    starts = 0
    for mw, started in session.execute(
        select(MarketAward.energy_mw, MarketAward.started).where(MarketAward.run_id == run.id)
    ):
        energy += max(float(mw), 0.0) * hours  # supply only; loads are negative
        starts += int(bool(started))
    for (expected,) in session.execute(
        select(DispatchInstruction.expected_energy_mwh).where(DispatchInstruction.run_id == run.id)
    ):
        energy += max(float(expected), 0.0)
    return RunSummary(
        run_id=run.id, market=run.market.value, status=run.status.value,
        seconds={k: float(v) for k, v in json.loads(run.timings_json or "{}").items()},
        aggregated=[n for n in nodes if n.node.endswith("-APND")],
        most_congested=sorted((n for n in nodes if not n.node.endswith("-APND")),
                              key=lambda n: -abs(n.mean_congestion))[:CONGESTED_NODES_SHOWN],
        energy_mwh=energy, starts=starts,
        carried_forward=len(json.loads(run.carried_forward_json or "[]")),
    )


def _node_prices(node: str, values: list[tuple[Decimal, Decimal, Decimal]]) -> NodePrices:
    lmps = [float(v[0]) for v in values]
    return NodePrices(node, fmean(lmps), min(lmps), max(lmps),
                      fmean(float(v[1]) for v in values), fmean(float(v[2]) for v in values))
