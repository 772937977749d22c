"""Credit notices to an SC: utilisation warnings and collateral calls.

Each notice has a natural key, so the daily job and the credit checks can
raise it as often as they like and the SC gets it once: a utilisation
warning once per SC and day, a collateral call notice once per call.

Example::

    if reaches_warning(eal, acl, rules.utilisation_warning_ratio):
        notify_utilisation(session, coordinator_id, date(2020, 7, 1), eal, acl)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from gridmarket.credit.models import CollateralCall
from gridmarket.credit.money import usd
from gridmarket.participants.models import Notice
from gridmarket.participants.notices import raise_notice

UTILISATION_WARNING = "CREDIT_UTILISATION_WARNING"
COLLATERAL_CALL = "COLLATERAL_CALL"
COLLATERAL_CALL_MET = "COLLATERAL_CALL_MET"
CREDIT_NOTICE_KINDS = (UTILISATION_WARNING, COLLATERAL_CALL, COLLATERAL_CALL_MET)

UTILISATION_PLACES = Decimal("0.000001")


def utilisation(eal_usd: Decimal, acl_usd: Decimal) -> Decimal | None:
    """EAL ÷ ACL to six places, for display; ``None`` when the ACL is not positive.

    Example::

        >>> utilisation(Decimal("900000"), Decimal("1000000"))
        Decimal('0.900000')
    """
    if acl_usd <= 0:
        return None
    return (eal_usd / acl_usd).quantize(UTILISATION_PLACES)


def reaches_warning(eal_usd: Decimal, acl_usd: Decimal, ratio: Decimal) -> bool:
    """EAL at or above ``ratio`` of a positive ACL, not yet above it (that is a call), exactly.

    Example::

        >>> reaches_warning(Decimal("900000.00"), Decimal("1000000.00"), Decimal("0.90"))
        True
        >>> reaches_warning(Decimal("899999.99"), Decimal("1000000.00"), Decimal("0.90"))
        False
    """
    return acl_usd > 0 and ratio * acl_usd <= eal_usd <= acl_usd


def at_or_above_warning(eal_usd: Decimal, acl_usd: Decimal, ratio: Decimal) -> bool:
    """EAL at or above ``ratio`` of the ACL, or above the ACL (whatever its sign), exactly.

    What the credit monitor highlights: a utilisation warning, or a call.

    Example::

        >>> at_or_above_warning(Decimal("1200000.00"), Decimal("1000000.00"), Decimal("0.90"))
        True
        >>> at_or_above_warning(Decimal("0.00"), Decimal("-500000.00"), Decimal("0.90"))
        True
    """
    return eal_usd > acl_usd or (acl_usd > 0 and eal_usd >= ratio * acl_usd)


def notify_utilisation(
    session: Session, coordinator_id: int, day: date, eal_usd: Decimal, acl_usd: Decimal
) -> Notice:
    """Warn the SC that it uses 90% or more of its credit (once a day)."""
    share = utilisation(eal_usd, acl_usd) or Decimal(0)
    return raise_notice(
        session,
        scheduling_coordinator_id=coordinator_id,
        kind=UTILISATION_WARNING,
        subject=f"Credit utilisation {share * 100:.1f}% of your aggregate credit limit",
        body=(
            f"On {day} your estimated aggregate liability is {usd(eal_usd)} against an "
            f"aggregate credit limit of {usd(acl_usd)}. Above the limit, a collateral call "
            "is issued; new virtual bids beyond the available credit are rejected."
        ),
        dedupe_key=f"credit-utilisation:{coordinator_id}:{day.isoformat()}",
    )


def notify_call_issued(session: Session, call: CollateralCall) -> Notice:
    """Tell the SC to post security by the due date."""
    return raise_notice(
        session,
        scheduling_coordinator_id=call.scheduling_coordinator_id,
        kind=COLLATERAL_CALL,
        subject=(
            f"Collateral call: post {usd(call.amount_usd)} of financial security by {call.due_on}"
        ),
        body=(
            f"On {call.issued_on} your estimated aggregate liability {usd(call.eal_usd)} "
            f"exceeded your aggregate credit limit {usd(call.acl_usd)} by {usd(call.amount_usd)}. "
            f"Post financial security (or reduce your liability) by the end of {call.due_on}; "
            "otherwise you will be suspended from bidding and trading."
        ),
        dedupe_key=f"collateral-call:{call.id}",
    )


def notify_call_met(session: Session, call: CollateralCall) -> Notice:
    """Tell the SC its collateral call is satisfied."""
    late = call.met_on is not None and call.met_on > call.due_on
    return raise_notice(
        session,
        scheduling_coordinator_id=call.scheduling_coordinator_id,
        kind=COLLATERAL_CALL_MET,
        subject=f"Collateral call of {call.issued_on} met",
        body=(
            f"Your aggregate credit limit covers your estimated aggregate liability again "
            f"(on {call.met_on}{', after the due date' if late else ''})."
            + (" You may ask the ISO to reinstate you." if call.suspended_at else "")
        ),
        dedupe_key=f"collateral-call-met:{call.id}",
    )
