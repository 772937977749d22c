"""An SC's day-ahead awards for one trade date, each hour beside the price it clears at.

What the SC's people check after the DAM publishes: which of their resources
were committed, how many MW each was awarded in each hour (energy and
ancillary services), and the day-ahead LMP at the node the resource settles
at (its load aggregation point, else its pricing node, as settlement prices
it). The value of an hour is the award times that LMP; the settlement
statement is what is actually paid.

Confidentiality is :mod:`gridmarket.markets.results`': another SC's SCID is
answered as if it did not exist (404, audited).

Example::

    awards = day_ahead_awards(session, trader, "DTGN", date(2020, 7, 15), calendar)
    awards.resources[0].energy_mwh   # Decimal('1824.000')
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.markets.results import visible_awards, visible_dispatch
from gridmarket.markets.run_models import MarketAward, MarketKind, MarketPrice, MarketRun
from gridmarket.markets.runs import published_run
from gridmarket.resources.models import AggregatedNode, PricingNode, Resource

CENT = Decimal("0.01")


@dataclass(frozen=True)
class AwardHour:
    hour_ending: int
    energy_mw: Decimal
    """Supply positive, demand negative."""
    reg_up_mw: Decimal
    reg_down_mw: Decimal
    spin_mw: Decimal
    non_spin_mw: Decimal
    committed: bool
    lmp_usd_per_mwh: Decimal | None
    """None when the run published no price at the resource's node."""
    rt_expected_mwh: Decimal | None = None
    """The hour's expected energy of the published RTD dispatch; None before it publishes."""

    @property
    def exact_value_usd(self) -> Decimal | None:
        """The hour's energy award at the day-ahead LMP (an hour is one hour long)."""
        if self.lmp_usd_per_mwh is None:
            return None
        return self.energy_mw * self.lmp_usd_per_mwh

    @property
    def value_usd(self) -> Decimal | None:
        exact = self.exact_value_usd
        return None if exact is None else exact.quantize(CENT)


@dataclass(frozen=True)
class ResourceAwards:
    resource_id: str
    node: str | None
    hours: list[AwardHour]

    @property
    def energy_mwh(self) -> Decimal:
        return sum((h.energy_mw for h in self.hours), Decimal(0))

    @property
    def committed_hours(self) -> int:
        return sum(1 for h in self.hours if h.committed)

    @property
    def value_usd(self) -> Decimal:
        """The day's value, rounded once (as a statement line is), not a sum of rounded hours."""
        return sum((h.exact_value_usd or Decimal(0) for h in self.hours), Decimal(0)).quantize(CENT)


@dataclass(frozen=True)
class DayAheadAwards:
    scid: str
    trade_date: date
    run: MarketRun | None
    """The published DAM run of the day; None before it publishes."""
    resources: list[ResourceAwards]


def day_ahead_awards(session: Session, principal: Principal, scid: str, trade_date: date,
                     calendar: MarketCalendar) -> DayAheadAwards:
    """The awards of ``scid`` in the published DAM of ``trade_date``, by resource and hour."""
    authorize(principal, Action.VIEW_MARKET_RESULTS, scid=scid)
    run = published_run(session, trade_date, MarketKind.DAM)
    if run is None:
        return DayAheadAwards(scid, trade_date, None, [])
    awards = visible_awards(session, principal, run.id, scid)
    nodes = _settlement_nodes(session, {a.resource_id for a in awards})
    prices = _prices(session, run.id, set(nodes.values()))
    real_time = _real_time_expected(session, principal, scid, trade_date, calendar)
    by_resource: dict[str, list[AwardHour]] = defaultdict(list)
    for award in awards:
        node = nodes.get(award.resource_id)
        hour = _hour(award, calendar, prices.get((node, award.interval_start_utc))
                     if node else None)
        if real_time is not None:
            hour = replace(hour, rt_expected_mwh=real_time.get(
                (award.resource_id, hour.hour_ending), Decimal(0)))
        by_resource[award.resource_id].append(hour)
    return DayAheadAwards(scid, trade_date, run, [
        ResourceAwards(resource_id, nodes.get(resource_id), hours)
        for resource_id, hours in sorted(by_resource.items())])


def awards_day(session: Session, today: date) -> date:
    """The trade date the awards page opens on: tomorrow once its DAM is published
    (awards come out the day before), else today."""
    tomorrow = today + timedelta(days=1)
    return tomorrow if published_run(session, tomorrow, MarketKind.DAM) else today


def _real_time_expected(session: Session, principal: Principal, scid: str, trade_date: date,
                        calendar: MarketCalendar) -> dict[tuple[str, int], Decimal] | None:
    """Expected energy of the published RTD by (resource, hour ending); None if none yet."""
    run = published_run(session, trade_date, MarketKind.RTD)
    if run is None:
        return None
    hourly: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for row in visible_dispatch(session, principal, run.id, scid):
        hour_ending = calendar.hour_ending_of(row.interval_start_utc)[1]
        hourly[(row.resource_id, hour_ending)] += row.expected_energy_mwh
    return hourly


def _hour(award: MarketAward, calendar: MarketCalendar, lmp: Decimal | None) -> AwardHour:
    return AwardHour(
        hour_ending=calendar.hour_ending_of(award.interval_start_utc)[1],
        energy_mw=award.energy_mw, reg_up_mw=award.reg_up_mw, reg_down_mw=award.reg_down_mw,
        spin_mw=award.spin_mw, non_spin_mw=award.non_spin_mw, committed=award.committed,
        lmp_usd_per_mwh=lmp)


def _settlement_nodes(session: Session, resource_ids: set[str]) -> dict[str, str]:
    """Where each resource is priced: its aggregated node, else its pricing node."""
    pnode, anode = aliased(PricingNode), aliased(AggregatedNode)
    rows = session.execute(
        select(Resource.resource_id, anode.name, pnode.name)
        .outerjoin(anode, anode.id == Resource.aggregated_node_id)
        .outerjoin(pnode, pnode.id == Resource.pricing_node_id)
        .where(Resource.resource_id.in_(sorted(resource_ids))))
    return {rid: aggregated or pricing for rid, aggregated, pricing in rows
            if aggregated or pricing}


def _prices(session: Session, run_id: int, nodes: set[str]
            ) -> dict[tuple[str, datetime], Decimal]:
    rows = session.execute(
        select(MarketPrice.node, MarketPrice.interval_start_utc, MarketPrice.lmp_usd_per_mwh)
        .where(MarketPrice.run_id == run_id, MarketPrice.node.in_(sorted(nodes))))
    return {(node, instant): lmp for node, instant, lmp in rows}
