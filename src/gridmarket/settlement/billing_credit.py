"""Billing's part in credit and standing: four EAL providers, a suspension trigger, amount owed.

Registered on import (the API's billing routes and the ``gridmarket billing``
commands import this module). Net amounts are positive when the SC owes them:

* ``UNPAID_INVOICES``: Σ outstanding of invoices dated on or before the as-of
  date − the SC's credit balance.
* ``UNINVOICED_STATEMENTS``: Σ (latest published statement − already
  invoiced) per SCID and trade date.
* ``ESTIMATED_UNSTATED_DAYS``: per trade date ≤ as-of with a published DAM
  run and no published statement of the SCID, Σ −DA MW × DA LMP (hourly) +
  Σ −(RTD MW − DA MW) × interval hours × RTD LMP *(assumed estimate; cleared
  virtual positions are credit's own component)*.
* ``ESTIMATED_FEES``: bid segment fees of trade dates without a published
  statement + the SCID charge of the month's first day when not yet stated.

Suspension (rulebook §2): an invoice still unpaid more than
``settlement.overdue_suspension_business_days`` *(assumed: 2)* business days after
its due date. Termination is blocked while any invoice is unpaid.

Example::

    import gridmarket.settlement.billing_credit  # registers the providers and the checks
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.credit.components import ComponentAmount, EalComponentCode, register_eal_provider
from gridmarket.credit.money import ZERO, usd
from gridmarket.participants.models import SchedulingCoordinator, Scid
from gridmarket.participants.standing import register_amount_owed, register_suspension_check
from gridmarket.settlement.billing_models import Invoice, InvoiceStatus
from gridmarket.settlement.invoicing import pending_statements, scid_codes
from gridmarket.settlement.models import SettlementStatement
from gridmarket.settlement.payments import credit_balance


def unpaid_invoices(session: Session, coordinator_id: int, as_of: date | None = None
                    ) -> list[Invoice]:
    """The SC's invoices with something outstanding (dated on or before ``as_of``), oldest first."""
    query = select(Invoice).where(Invoice.scheduling_coordinator_id == coordinator_id,
                                  Invoice.status != InvoiceStatus.PAID)
    if as_of is not None:
        query = query.where(Invoice.invoice_date <= as_of)
    invoices = session.scalars(query.order_by(Invoice.due_date, Invoice.id)).all()
    return [i for i in invoices if i.outstanding_usd > 0]


@register_eal_provider(EalComponentCode.UNPAID_INVOICES, name="settlement.billing.invoices")
def unpaid_invoices_component(session: Session, coordinator: SchedulingCoordinator,
                              as_of: date, parameters: MarketParameters) -> ComponentAmount:
    """Σ outstanding of invoices issued on or before ``as_of``, less the SC's credit balance."""
    invoices = unpaid_invoices(session, coordinator.id, as_of)
    outstanding = sum((i.outstanding_usd for i in invoices), ZERO)
    credit = credit_balance(session, coordinator.id)
    return ComponentAmount(
        outstanding - credit,
        f"Σ outstanding of {len(invoices)} invoices {usd(outstanding)} − credit balance "
        f"{usd(credit)}",
        {"invoices": {str(i.id): str(i.outstanding_usd) for i in invoices},
         "credit_balance_usd": str(credit)})


@register_eal_provider(EalComponentCode.UNINVOICED_STATEMENTS,
                       name="settlement.billing.statements")
def uninvoiced_statements_component(session: Session, coordinator: SchedulingCoordinator,
                                    as_of: date, parameters: MarketParameters
                                    ) -> ComponentAmount:
    """Σ of each SCID and trade date's latest published statement less what was invoiced."""
    pending = pending_statements(session, coordinator.id)
    total = sum((p.difference_usd for p in pending), ZERO)
    return ComponentAmount(
        total,
        f"Σ (latest statement − invoiced) of {len(pending)} SCID trade dates = {usd(total)}",
        {f"{p.statement.account} {p.statement.trade_date}": str(p.difference_usd)
         for p in pending})


def _stated(session: Session, accounts: list[str], days: set[date]) -> set[tuple[str, date]]:
    if not accounts or not days:
        return set()
    return set(session.execute(
        select(SettlementStatement.account, SettlementStatement.trade_date).where(
            SettlementStatement.account.in_(accounts),
            SettlementStatement.trade_date.in_(sorted(days)),
            SettlementStatement.is_published.is_(True))))


def estimate_unstated_days(session: Session, accounts: list[str], as_of: date
                           ) -> dict[tuple[str, date], Decimal]:
    """Estimated amount per (SCID, trade date) traded in a published DAM but not yet stated."""
    from gridmarket.markets.run_models import (
        DispatchInstruction,
        MarketAward,
        MarketKind,
        MarketPrice,
        MarketRun,
        RunStatus,
    )
    from gridmarket.resources.models import AggregatedNode, PricingNode, Resource

    if not accounts:
        return {}
    runs: dict[tuple[date, MarketKind], int] = {}
    for run_id, day, market in session.execute(
            select(MarketRun.id, MarketRun.trade_date, MarketRun.market).where(
                MarketRun.status == RunStatus.COMPLETED, MarketRun.trade_date <= as_of,
                MarketRun.market.in_([MarketKind.DAM, MarketKind.RTD]))
            .order_by(MarketRun.id)):
        runs[(day, market)] = run_id  # the latest completed run of the day
    days = {day for day, market in runs if market is MarketKind.DAM}
    stated = _stated(session, accounts, days)
    estimates: dict[tuple[str, date], Decimal] = defaultdict(lambda: Decimal(0))
    pnode, anode = aliased(PricingNode), aliased(AggregatedNode)
    for day in sorted(days):
        wanted = [a for a in accounts if (a, day) not in stated]
        if not wanted:
            continue
        awards = session.execute(select(
            MarketAward.resource_id, MarketAward.scid, MarketAward.interval_start_utc,
            MarketAward.energy_mw).where(MarketAward.run_id == runs[(day, MarketKind.DAM)],
                                         MarketAward.scid.in_(wanted))).all()
        rtd_run = runs.get((day, MarketKind.RTD))
        instructions = [] if rtd_run is None else session.execute(select(
            DispatchInstruction.resource_id, DispatchInstruction.scid,
            DispatchInstruction.interval_start_utc, DispatchInstruction.interval_minutes,
            DispatchInstruction.dispatch_mw).where(
                DispatchInstruction.run_id == rtd_run,
                DispatchInstruction.scid.in_(wanted))).all()
        resources = {r for r, *_ in awards} | {r for r, *_ in instructions}
        if not resources:
            continue
        node_of = {rid: agg or pn for rid, pn, agg in session.execute(
            select(Resource.resource_id, pnode.name, anode.name)
            .outerjoin(pnode, pnode.id == Resource.pricing_node_id)
            .outerjoin(anode, anode.id == Resource.aggregated_node_id)
            .where(Resource.resource_id.in_(sorted(resources))))}

        nodes = sorted({n for n in node_of.values() if n})

        def prices(run_id: int, nodes: list[str] = nodes
                   ) -> dict[tuple[str | None, datetime], Decimal]:
            return {(node, at): lmp for node, at, lmp in session.execute(
                select(MarketPrice.node, MarketPrice.interval_start_utc,
                       MarketPrice.lmp_usd_per_mwh).where(
                    MarketPrice.run_id == run_id, MarketPrice.node.in_(nodes)))}

        da_prices = prices(runs[(day, MarketKind.DAM)])
        da_mw: dict[tuple[str, datetime], Decimal] = {}
        for rid, scid, at, mw in awards:
            da_mw[(rid, at)] = mw
            price = da_prices.get((node_of.get(rid), at), ZERO)
            estimates[(str(scid), day)] -= mw * price
        if rtd_run is not None:
            rt_prices = prices(rtd_run)
            for rid, scid, at, minutes, mw in instructions:
                hour = at.replace(minute=0, second=0, microsecond=0)
                change = mw - da_mw.get((rid, hour), ZERO)
                price = rt_prices.get((node_of.get(rid), at), ZERO)
                estimates[(str(scid), day)] -= change * price * minutes / 60
    return dict(estimates)


@register_eal_provider(EalComponentCode.ESTIMATED_UNSTATED_DAYS,
                       name="settlement.billing.estimates")
def unstated_days_component(session: Session, coordinator: SchedulingCoordinator,
                            as_of: date, parameters: MarketParameters) -> ComponentAmount:
    """DA energy and RT imbalance of published market runs not yet on a statement."""
    estimates = estimate_unstated_days(session, scid_codes(session, coordinator.id), as_of)
    total = sum(estimates.values(), Decimal(0))
    return ComponentAmount(
        total,
        f"{len(estimates)} SCID trade dates without a statement: Σ −DA MW × DA LMP + "
        f"Σ −(RTD MW − DA MW) × h × RTD LMP = {total:f}",
        {f"{scid} {day}": f"{amount:f}" for (scid, day), amount in sorted(estimates.items())})


@register_eal_provider(EalComponentCode.ESTIMATED_FEES, name="settlement.billing.fees")
def estimated_fees_component(session: Session, coordinator: SchedulingCoordinator,
                             as_of: date, parameters: MarketParameters) -> ComponentAmount:
    """Bid segment fees and the month's SCID charges not yet on a statement."""
    from gridmarket.bidding.models import BidSegmentFee

    scids = session.execute(select(Scid.code, Scid.granted_on).where(
        Scid.scheduling_coordinator_id == coordinator.id)).all()
    accounts = [code for code, _ in scids]
    fees = session.execute(select(Scid.code, BidSegmentFee.trade_date, BidSegmentFee.fee_usd)
                           .join(Scid, Scid.id == BidSegmentFee.scid_id)
                           .where(Scid.code.in_(accounts),
                                  BidSegmentFee.trade_date <= as_of)).all()
    first = as_of.replace(day=1)
    stated = _stated(session, accounts, {day for _, day, _ in fees} | {first})
    segment = sum((fee for code, day, fee in fees if (code, day) not in stated), ZERO)
    charge = parameters.settlement.scid_monthly_charge_usd
    charged = [code for code, granted in scids if granted <= first
               and (code, first) not in stated]
    total = segment + charge * len(charged)
    return ComponentAmount(
        total,
        f"bid segment fees not yet stated {usd(segment)} + {len(charged)} SCID charges of "
        f"{first:%Y-%m} × {usd(charge)} = {usd(total)}",
        {"bid_segment_fees_usd": str(segment), "scid_charges": charged})


@register_suspension_check
def invoice_unpaid_past_due(session: Session, coordinator: SchedulingCoordinator, today: date,
                            parameters: MarketParameters) -> str | None:
    """A reason when an invoice is unpaid more than the grace business days after its due date.

    Example::

        invoice_unpaid_past_due(session, coordinator, date(2020, 9, 25), params)
        # 'invoice 3 of 2020-09-14 unpaid: $1,200.00 outstanding, due 2020-09-21'
    """
    calendar = MarketCalendar(parameters)
    for invoice in unpaid_invoices(session, coordinator.id):
        limit = calendar.add_business_days(
            invoice.due_date, parameters.settlement.overdue_suspension_business_days)
        if today > limit:
            return (f"invoice {invoice.id} of {invoice.invoice_date} unpaid: "
                    f"{usd(invoice.outstanding_usd)} outstanding, due {invoice.due_date} "
                    f"(suspension after {limit})")
    return None


@register_amount_owed
def unpaid_invoiced_amount(session: Session, coordinator: SchedulingCoordinator) -> Decimal:
    """Σ outstanding of the SC's invoices: must be zero before termination."""
    return sum((i.outstanding_usd for i in unpaid_invoices(session, coordinator.id)), ZERO)

