"""Which financial security counts on a given day.

A letter of credit or cash deposit counts from its effective date up to, not
including, its expiry date (letters of credit) and its release date. So an
LC expiring on 15 July counts on 14 July and not on 15 July.

Example::

    total = security_total(session, coordinator_id=7, day=date(2020, 7, 15))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.credit.models import CreditProfile, FinancialSecurity
from gridmarket.credit.money import ZERO


def counts_on(security: FinancialSecurity, day: date) -> bool:
    """Whether ``security`` counts toward the ACL on ``day``.

    Example::

        counts_on(letter_expiring_15_july, date(2020, 7, 15))   # False
    """
    if day < security.effective_on:
        return False
    if security.expires_on is not None and day >= security.expires_on:
        return False
    return security.released_on is None or day < security.released_on


def securities_of(session: Session, coordinator_id: int) -> Sequence[FinancialSecurity]:
    """Every security ever posted for the SC, oldest first."""
    return session.scalars(
        select(FinancialSecurity)
        .where(FinancialSecurity.scheduling_coordinator_id == coordinator_id)
        .order_by(FinancialSecurity.id)
    ).all()


def security_total(session: Session, coordinator_id: int, day: date) -> Decimal:
    """The financial security that counts on ``day``, in dollars (whole cents)."""
    counting = (s.amount_usd for s in securities_of(session, coordinator_id) if counts_on(s, day))
    return sum(counting, ZERO)


def next_change_after(session: Session, coordinator_id: int, day: date) -> date | None:
    """The first day after ``day`` on which the ACL can change with no one acting.

    A security starts or stops counting, or a parent guarantee (its own or an
    affiliate's) ends. Credit
    checks recompute the ACL once this day comes.

    Example::

        next_change_after(session, 7, date(2020, 7, 1))   # date(2020, 7, 15): an LC expires
    """
    dates: list[date] = []
    for security in securities_of(session, coordinator_id):
        dates += [security.effective_on]
        dates += [d for d in (security.expires_on, security.released_on) if d is not None]
    dates += _guarantee_expiries(session, coordinator_id)
    future = [d for d in dates if d > day]
    return min(future) if future else None


def _guarantee_expiries(session: Session, coordinator_id: int) -> list[date]:
    """Guarantee expiries of the SC and, since they share the cap, of its affiliates."""
    profile = session.get(CreditProfile, coordinator_id)
    if profile is None:
        return []
    members = [profile]
    if profile.affiliate_group_id is not None:
        members = list(
            session.scalars(
                select(CreditProfile).where(
                    CreditProfile.affiliate_group_id == profile.affiliate_group_id
                )
            )
        )
    return [m.guarantee_expires_on for m in members if m.guarantee_expires_on is not None]
