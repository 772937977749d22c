"""An SC's unsecured credit limit and participation requirements, from its stored profile.

The UCL basis is the SC's own tangible net worth and rating, or — while a
parent guarantee is in force and gives more — the guarantor's. A guarantee
supports unsecured credit only: it is not financial security, and the
minimum participation requirements look at the SC's own figures. An SC in an
affiliate group shares the cap with the group (``unsecured.share_cap``).
An SC without a profile has no unsecured credit and has not shown that it
meets the participation requirements.

Example::

    working = unsecured_credit_limit(session, coordinator_id=7, as_of=date(2020, 7, 1),
                                     rules=MarketParameters().credit)
    working.ucl_usd, working.explanation
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.config import CreditRules
from gridmarket.credit.models import CreditProfile
from gridmarket.credit.money import ZERO, usd
from gridmarket.credit.unsecured import rating_percent, share_cap, uncapped_ucl

OWN = "OWN"
PARENT_GUARANTEE = "PARENT_GUARANTEE"


@dataclass(frozen=True)
class UclBasis:
    """Whose figures one SC's uncapped UCL is computed from."""

    source: str
    """``OWN`` or ``PARENT_GUARANTEE``."""
    tangible_net_worth_usd: Decimal
    rating: str | None
    percent: Decimal
    uncapped_usd: Decimal


@dataclass(frozen=True)
class UclWorking:
    """The UCL of one SC and every figure it came from."""

    coordinator_id: int
    basis: UclBasis | None
    """``None`` when the SC has no credit profile."""
    affiliate_group: str | None
    group_uncapped_usd: Decimal
    """The uncapped UCLs of the SC and its affiliates, added up (its own when alone)."""
    cap_usd: Decimal
    ucl_usd: Decimal
    explanation: str

    def as_inputs(self) -> dict[str, Any]:
        """The working as JSON-ready inputs, for the record of an ACL computation."""
        basis = self.basis
        return {
            "basis": basis.source if basis else None,
            "tangible_net_worth_usd": str(basis.tangible_net_worth_usd) if basis else None,
            "rating": basis.rating if basis else None,
            "rating_percent": str(basis.percent) if basis else None,
            "uncapped_ucl_usd": str(basis.uncapped_usd) if basis else "0",
            "affiliate_group": self.affiliate_group,
            "group_uncapped_ucl_usd": str(self.group_uncapped_usd),
            "cap_usd": str(self.cap_usd),
            "ucl_usd": str(self.ucl_usd),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class ParticipationCheck:
    """The minimum participation requirements: met, or the extra security they call for."""

    met: bool
    tangible_net_worth_usd: Decimal
    total_assets_usd: Decimal
    required_security_usd: Decimal
    explanation: str


def credit_profile(session: Session, coordinator_id: int) -> CreditProfile | None:
    """The SC's credit profile, if the ISO has one on file."""
    return session.get(CreditProfile, coordinator_id)


def ucl_basis(profile: CreditProfile, as_of: date, rules: CreditRules) -> UclBasis:
    """The SC's own figures, or its guarantor's when a guarantee in force gives more.

    Example::

        ucl_basis(profile, date(2020, 7, 1), rules).source   # 'PARENT_GUARANTEE'
    """
    own = UclBasis(
        OWN,
        profile.tangible_net_worth_usd,
        profile.rating,
        rating_percent(profile.rating, rules),
        uncapped_ucl(profile.tangible_net_worth_usd, profile.rating, rules),
    )
    if not _guarantee_in_force(profile, as_of):
        return own
    assert profile.guarantor_tangible_net_worth_usd is not None
    guaranteed = UclBasis(
        PARENT_GUARANTEE,
        profile.guarantor_tangible_net_worth_usd,
        profile.guarantor_rating,
        rating_percent(profile.guarantor_rating, rules),
        uncapped_ucl(profile.guarantor_tangible_net_worth_usd, profile.guarantor_rating, rules),
    )
    return guaranteed if guaranteed.uncapped_usd > own.uncapped_usd else own


def _guarantee_in_force(profile: CreditProfile, as_of: date) -> bool:
    if profile.guarantor_name is None or profile.guarantor_tangible_net_worth_usd is None:
        return False
    return profile.guarantee_expires_on is None or as_of < profile.guarantee_expires_on


def unsecured_credit_limit(
    session: Session, coordinator_id: int, as_of: date, rules: CreditRules
) -> UclWorking:
    """The SC's UCL on ``as_of``: its uncapped UCL, capped alone or with its affiliates.

    Example::

        unsecured_credit_limit(session, 7, date(2020, 7, 1), rules).ucl_usd
        # Decimal('33333333.33') for the larger of two affiliates at $40M and $20M uncapped
    """
    cap = rules.unsecured_credit_cap_usd
    profile = credit_profile(session, coordinator_id)
    if profile is None:
        return UclWorking(
            coordinator_id, None, None, ZERO, cap, ZERO, "no credit profile on file: UCL $0.00"
        )
    basis = ucl_basis(profile, as_of, rules)
    whose = "guarantor's" if basis.source == PARENT_GUARANTEE else "own"
    rated = basis.rating or "unrated"
    line = (
        f"{whose} tangible net worth {usd(basis.tangible_net_worth_usd)} × {basis.percent}% "
        f"({rated}) = {usd(basis.uncapped_usd)}"
    )
    if profile.affiliate_group is None:
        ucl = share_cap({coordinator_id: basis.uncapped_usd}, cap)[coordinator_id]
        capped = " capped" if basis.uncapped_usd > cap else ""
        explanation = f"{line}; UCL = min(cap {usd(cap)}, uncapped){capped} = {usd(ucl)}"
        return UclWorking(coordinator_id, basis, None, basis.uncapped_usd, cap, ucl, explanation)
    members = session.scalars(
        select(CreditProfile).where(CreditProfile.affiliate_group_id == profile.affiliate_group_id)
    ).all()
    uncapped = {
        m.scheduling_coordinator_id: ucl_basis(m, as_of, rules).uncapped_usd for m in members
    }
    total = sum(uncapped.values(), Decimal(0))
    ucl = share_cap(uncapped, cap)[coordinator_id]
    group = profile.affiliate_group.name
    if total > cap:
        sharing = (
            f"the group's uncapped UCLs total {usd(total)} > cap {usd(cap)}, so the cap is shared "
            f"pro rata: {usd(cap)} × {usd(basis.uncapped_usd)} ÷ {usd(total)} = {usd(ucl)}"
        )
    else:
        sharing = f"the group's uncapped UCLs total {usd(total)} ≤ cap {usd(cap)}: UCL {usd(ucl)}"
    explanation = f"{line}; affiliate group {group!r} ({len(members)} SCs): {sharing}"
    return UclWorking(coordinator_id, basis, group, total, cap, ucl, explanation)


def participation_requirements(
    profile: CreditProfile | None, rules: CreditRules
) -> ParticipationCheck:
    """TNW ≥ $1M or total assets ≥ $10M; otherwise $500k of security is required on top.

    Example::

        >>> from gridmarket.config import CreditRules
        >>> participation_requirements(None, CreditRules()).required_security_usd
        Decimal('500000')
    """
    tnw = profile.tangible_net_worth_usd if profile else ZERO
    assets = profile.total_assets_usd if profile else ZERO
    minimum_tnw, minimum_assets = rules.min_tangible_net_worth_usd, rules.min_total_assets_usd
    if profile is not None and (tnw >= minimum_tnw or assets >= minimum_assets):
        reason = "tangible net worth" if tnw >= minimum_tnw else "total assets"
        return ParticipationCheck(
            True, tnw, assets, ZERO, f"met on {reason} (TNW {usd(tnw)}, assets {usd(assets)})"
        )
    extra = rules.extra_security_if_below_minimum_usd
    shown = (
        "no credit profile on file"
        if profile is None
        else (
            f"TNW {usd(tnw)} < {usd(minimum_tnw)} and "
            f"total assets {usd(assets)} < {usd(minimum_assets)}"
        )
    )
    return ParticipationCheck(
        False, tnw, assets, extra, f"not met ({shown}): {usd(extra)} of security is held for them"
    )


__all__ = [
    "OWN",
    "PARENT_GUARANTEE",
    "ParticipationCheck",
    "UclBasis",
    "UclWorking",
    "credit_profile",
    "participation_requirements",
    "ucl_basis",
    "unsecured_credit_limit",
]
