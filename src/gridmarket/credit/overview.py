"""Reading credit: "my credit" for an SC, and the credit monitor across SCs for the ISO.

The overview shows the figures as of today: the UCL with its working, the
minimum participation requirements, every financial security (and whether it
counts today), the ACL, the EAL now (the last computation's components other
than virtual bids, plus every reservation held since), the available credit
and utilisation, the last EAL computation with its components, the
collateral calls (open and met) and the credit notices.

Example::

    overview = credit_overview(session, trader, 7, parameters, clock)
    overview.available_credit_usd, overview.utilisation
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.accounts import current_eal
from gridmarket.credit.calls import calls_of, open_call
from gridmarket.credit.eal import ACTIVE_STATUSES, computation_history, latest_computation
from gridmarket.credit.holdings import counts_on, securities_of
from gridmarket.credit.limits import CreditLimit, aggregate_credit_limit
from gridmarket.credit.models import (
    CollateralCall,
    CreditAccount,
    CreditProfile,
    CreditReservation,
    EalComputation,
    FinancialSecurity,
    ReservationKind,
)
from gridmarket.credit.notices import CREDIT_NOTICE_KINDS, utilisation
from gridmarket.credit.reference_prices import ReferencePrice, reference_price
from gridmarket.credit.reservations import active_reservations
from gridmarket.credit.ucl import credit_profile
from gridmarket.credit.virtual_exposure import active_exposure
from gridmarket.credit.visibility import credit_coordinator, own_coordinator
from gridmarket.errors import NotFound
from gridmarket.participants.models import Notice, SchedulingCoordinator
from gridmarket.resources.models import AggregatedNode, PricingNode

NOTICES_SHOWN = 20
CALLS_SHOWN = 20
MAX_HISTORY = 100


@dataclass(frozen=True)
class HeldSecurity:
    security: FinancialSecurity
    counts_today: bool


@dataclass(frozen=True)
class CreditOverview:
    """An SC's whole credit position today."""

    coordinator: SchedulingCoordinator
    as_of: date
    profile: CreditProfile | None
    limit: CreditLimit
    securities: list[HeldSecurity]
    eal_usd: Decimal
    available_credit_usd: Decimal
    utilisation: Decimal | None
    outstanding_virtual_bids: tuple[int, Decimal]
    cleared_virtual_positions: tuple[int, Decimal]
    last_computation: EalComputation | None
    open_call: CollateralCall | None
    collateral_calls: Sequence[CollateralCall]
    """The latest calls, open or met, newest first."""
    notices: Sequence[Notice]

    @property
    def shortfall_usd(self) -> Decimal:
        """How much security would cure an open call now (EAL − ACL, at least zero)."""
        return max(Decimal("0.00"), self.eal_usd - self.limit.acl_usd)


def credit_overview(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    parameters: MarketParameters,
    clock: Clock,
) -> CreditOverview:
    """The SC's credit position, for its own people and ISO staff (404 for another SC).

    Example::

        credit_overview(session, analyst, 7, parameters, clock).limit.acl_usd
    """
    coordinator = credit_coordinator(session, actor, coordinator_id, Action.VIEW_CREDIT)
    return _overview(session, coordinator, parameters, clock)


def my_credit(
    session: Session, actor: Principal, parameters: MarketParameters, clock: Clock
) -> CreditOverview:
    """The credit position of the caller's own SC.

    Example::

        my_credit(session, trader, parameters, clock).available_credit_usd
    """
    return _overview(session, own_coordinator(session, actor), parameters, clock)


def _overview(
    session: Session,
    coordinator: SchedulingCoordinator,
    parameters: MarketParameters,
    clock: Clock,
) -> CreditOverview:
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    limit = aggregate_credit_limit(session, coordinator.id, today, parameters.credit)
    eal = current_eal(session.get(CreditAccount, coordinator.id))
    exposure = active_exposure(session, coordinator.id)
    notices = session.scalars(
        select(Notice)
        .where(
            Notice.scheduling_coordinator_id == coordinator.id,
            Notice.kind.in_(CREDIT_NOTICE_KINDS),
        )
        .order_by(Notice.id.desc())
        .limit(NOTICES_SHOWN)
    ).all()
    return CreditOverview(
        coordinator=coordinator,
        as_of=today,
        profile=credit_profile(session, coordinator.id),
        limit=limit,
        securities=[
            HeldSecurity(s, counts_on(s, today)) for s in securities_of(session, coordinator.id)
        ],
        eal_usd=eal,
        available_credit_usd=limit.acl_usd - eal,
        utilisation=utilisation(eal, limit.acl_usd),
        outstanding_virtual_bids=exposure[ReservationKind.VIRTUAL_BID],
        cleared_virtual_positions=exposure[ReservationKind.CLEARED_VIRTUAL_POSITION],
        last_computation=latest_computation(session, coordinator.id),
        open_call=open_call(session, coordinator.id),
        collateral_calls=calls_of(session, coordinator.id, limit=CALLS_SHOWN),
        notices=notices,
    )


@dataclass(frozen=True)
class MonitorRow:
    """One SC on the ISO's credit monitor."""

    coordinator_id: int
    legal_name: str
    status: str
    ucl_usd: Decimal
    financial_security_usd: Decimal
    acl_usd: Decimal
    eal_usd: Decimal
    available_credit_usd: Decimal
    utilisation: Decimal | None
    open_call: CollateralCall | None
    last_computed_at: str | None


def credit_monitor(
    session: Session, actor: Principal, parameters: MarketParameters, clock: Clock
) -> list[MonitorRow]:
    """Every certified or suspended SC's credit today, most utilised first (credit analyst).

    Example::

        [(row.legal_name, row.utilisation) for row in credit_monitor(session, analyst, p, clock)]
    """
    authorize(actor, Action.MANAGE_CREDIT)
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    coordinators = session.scalars(
        select(SchedulingCoordinator)
        .where(SchedulingCoordinator.status.in_(ACTIVE_STATUSES))
        .order_by(SchedulingCoordinator.legal_name)
    ).all()
    rows = []
    for coordinator in coordinators:
        limit = aggregate_credit_limit(session, coordinator.id, today, parameters.credit)
        account = session.get(CreditAccount, coordinator.id)
        eal = current_eal(account)
        computation = latest_computation(session, coordinator.id)
        rows.append(
            MonitorRow(
                coordinator_id=coordinator.id,
                legal_name=coordinator.legal_name,
                status=coordinator.status.value,
                ucl_usd=limit.ucl.ucl_usd,
                financial_security_usd=limit.financial_security_usd,
                acl_usd=limit.acl_usd,
                eal_usd=eal,
                available_credit_usd=limit.acl_usd - eal,
                utilisation=utilisation(eal, limit.acl_usd),
                open_call=open_call(session, coordinator.id),
                last_computed_at=computation.computed_at.isoformat() if computation else None,
            )
        )
    return sorted(rows, key=_attention_first)


def _attention_first(row: MonitorRow) -> tuple[bool, Decimal]:
    """Open calls first, then by utilisation; EAL above a non-positive ACL counts as the highest."""
    if row.utilisation is not None:
        pressure = row.utilisation
    else:
        pressure = Decimal("Infinity") if row.eal_usd > row.acl_usd else Decimal(-1)
    return (row.open_call is None, -pressure)


def computations_of(
    session: Session, actor: Principal, coordinator_id: int, limit: int
) -> Sequence[EalComputation]:
    """The SC's EAL computations, newest first, each with its components.

    Example::

        [c.eal_usd for c in computations_of(session, trader, 7, limit=5)]
    """
    coordinator = credit_coordinator(session, actor, coordinator_id, Action.VIEW_CREDIT)
    return computation_history(session, coordinator.id, limit=max(1, min(limit, MAX_HISTORY)))


def reservations_of(
    session: Session, actor: Principal, coordinator_id: int
) -> Sequence[CreditReservation]:
    """The SC's reservations holding credit now: outstanding virtual bids, cleared positions.

    Example::

        [(r.reference, r.exposure_usd) for r in reservations_of(session, trader, 7)]
    """
    coordinator = credit_coordinator(session, actor, coordinator_id, Action.VIEW_CREDIT)
    return active_reservations(session, coordinator.id)


def location_reference_price(
    session: Session,
    actor: Principal,
    location: str,
    as_of: date | None,
    parameters: MarketParameters,
    clock: Clock,
) -> ReferencePrice:
    """The reference price of a pricing node or aggregated node (default: as of today).

    Example::

        location_reference_price(session, trader, "DLAP_AREA1-APND", None, p, clock)
    """
    authorize(actor, Action.VIEW_CREDIT)
    known = session.scalar(select(PricingNode.id).where(PricingNode.name == location))
    if known is None:
        known = session.scalar(select(AggregatedNode.id).where(AggregatedNode.name == location))
    if known is None:
        raise NotFound(f"no pricing node or aggregated node {location!r}", field="location")
    day = as_of or MarketCalendar(parameters).trade_date_of(clock.now())
    return reference_price(session, location, day, parameters.credit)
