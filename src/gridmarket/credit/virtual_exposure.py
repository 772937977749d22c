"""Virtual bid exposure: what a virtual bid puts at risk, and the EAL component that adds it up.

Exposure of a virtual bid = bid MW × the location's reference price, rounded
up to the cent once. The EAL component is the sum of the SC's active credit
reservations: outstanding virtual bids plus cleared virtual positions not yet
on a statement. The same sum is registered with ``participants.standing`` as
an amount still owed, so an SC cannot be terminated while it holds any.

Example::

    quote = virtual_bid_exposure(session, "DLAP_AREA1-APND", Decimal("25"), date(2020, 7, 15),
                                 MarketParameters().credit)
    quote.exposure_usd   # Decimal('1250.00') at the $50/MWh default
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.config import CreditRules, MarketParameters
from gridmarket.credit.components import (
    ComponentAmount,
    EalComponentCode,
    register_eal_provider,
)
from gridmarket.credit.models import CreditReservation, ReservationKind, ReservationStatus
from gridmarket.credit.money import ZERO, liability_cents, usd
from gridmarket.credit.reference_prices import ReferencePrice, reference_price
from gridmarket.errors import InvalidInput
from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.participants.standing import register_amount_owed


@dataclass(frozen=True)
class ExposureQuote:
    """The exposure of a virtual bid and the figures behind it."""

    location: str
    mw: Decimal
    reference: ReferencePrice
    exposure_usd: Decimal

    @property
    def basis(self) -> str:
        """E.g. ``25 MW × $50/MWh (default ...) = $1,250.00``."""
        return (
            f"{self.mw} MW × ${self.reference.price_usd_per_mwh}/MWh at {self.location} "
            f"({self.reference.method}) = {usd(self.exposure_usd)}"
        )


def virtual_bid_exposure(
    session: Session,
    location: str,
    mw: Decimal,
    as_of: date,
    rules: CreditRules | None = None,
) -> ExposureQuote:
    """The credit a virtual bid of ``mw`` at ``location`` needs: MW × reference price.

    Example::

        virtual_bid_exposure(session, "ABEL_1_N101", Decimal("10.5"), date(2020, 7, 15))
        # exposure_usd Decimal('525.00') at the $50/MWh default
    """
    if not mw.is_finite() or mw <= 0:
        raise InvalidInput("the MW of a virtual bid is a positive quantity", field="mw")
    price = reference_price(session, location, as_of, rules)
    exposure = liability_cents(mw * price.price_usd_per_mwh)
    return ExposureQuote(location, mw, price, exposure)


def active_exposure(
    session: Session, coordinator_id: int
) -> dict[ReservationKind, tuple[int, Decimal]]:
    """Count and total of the SC's active reservations, by kind."""
    # Summed here, not in SQL: SQLite would add the amounts as binary floats.
    rows = session.execute(
        select(CreditReservation.kind, CreditReservation.exposure_usd).where(
            CreditReservation.scheduling_coordinator_id == coordinator_id,
            CreditReservation.status == ReservationStatus.ACTIVE,
        )
    ).all()
    counts = dict.fromkeys(ReservationKind, 0)
    totals = dict.fromkeys(ReservationKind, ZERO)
    for kind, exposure in rows:
        counts[kind] += 1
        totals[kind] += exposure
    return {kind: (counts[kind], totals[kind].quantize(ZERO)) for kind in ReservationKind}


@register_eal_provider(EalComponentCode.VIRTUAL_BID_EXPOSURE, name="credit.virtual_exposure")
def virtual_exposure_component(
    session: Session, coordinator: SchedulingCoordinator, as_of: date, parameters: MarketParameters
) -> ComponentAmount:
    """Outstanding virtual bid exposure + cleared virtual position exposure, from reservations."""
    totals = active_exposure(session, coordinator.id)
    bids, bid_total = totals[ReservationKind.VIRTUAL_BID]
    positions, position_total = totals[ReservationKind.CLEARED_VIRTUAL_POSITION]
    total = bid_total + position_total
    return ComponentAmount(
        total,
        f"Σ exposure of {bids} outstanding virtual bids {usd(bid_total)} + Σ exposure of "
        f"{positions} cleared virtual positions {usd(position_total)} = {usd(total)}; "
        "each exposure = MW × reference price",
        {
            "outstanding_virtual_bids": bids,
            "outstanding_virtual_bid_exposure_usd": str(bid_total),
            "cleared_virtual_positions": positions,
            "cleared_virtual_position_exposure_usd": str(position_total),
        },
    )


@register_amount_owed
def unsettled_virtual_exposure(session: Session, coordinator: SchedulingCoordinator) -> Decimal:
    """Exposure of virtual bids and positions not yet on a statement: blocks termination.

    Settlement reports what is invoiced or stated; this is what is not yet, so
    the two never count the same dollar twice.
    """
    return sum((total for _, total in active_exposure(session, coordinator.id).values()), ZERO)
