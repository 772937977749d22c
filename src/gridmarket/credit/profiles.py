"""The ISO credit analyst keeps each SC's credit profile.

A profile holds the figures of the SC's latest financial statements
(tangible net worth, total assets), its rating (or none), its affiliate
group (named; created on first use) and an optional parent guarantee (the
guarantor's name, tangible net worth and rating, and when it ends). A change
recomputes the credit of the SC and of every affiliate in its old and new
groups, since they share the cap.

Example::

    set_credit_profile(session, analyst, 7, CreditProfileForm(
        tangible_net_worth_usd=Decimal("300000000"), total_assets_usd=Decimal("900000000"),
        rating="A", financials_as_of=date(2019, 12, 31), affiliate_group="Pinyon Holdings"),
        parameters, clock)
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.accounts import lock_credit_accounts
from gridmarket.credit.eal import recompute_credit
from gridmarket.credit.models import AffiliateGroup, CreditProfile, EalTrigger
from gridmarket.credit.money import require_cents
from gridmarket.credit.unsecured import normalise_rating
from gridmarket.credit.visibility import credit_coordinator
from gridmarket.dates import IsoDate
from gridmarket.errors import InvalidInput


class CreditProfileForm(BaseModel):
    """What the credit analyst records about an SC's creditworthiness."""

    model_config = ConfigDict(extra="forbid")

    tangible_net_worth_usd: Decimal
    """May be negative; a negative figure gives no unsecured credit."""
    total_assets_usd: Decimal
    rating: str | None = None
    financials_as_of: IsoDate
    affiliate_group: str | None = Field(default=None, max_length=200)
    guarantor_name: str | None = Field(default=None, max_length=200)
    guarantor_tangible_net_worth_usd: Decimal | None = None
    guarantor_rating: str | None = None
    guarantee_expires_on: IsoDate | None = None


def set_credit_profile(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    form: CreditProfileForm,
    parameters: MarketParameters,
    clock: Clock,
) -> CreditProfile:
    """Create or replace the SC's credit profile and recompute the credit it affects.

    Example::

        profile = set_credit_profile(session, analyst, 7, form, parameters, clock)
    """
    coordinator = credit_coordinator(session, actor, coordinator_id, Action.MANAGE_CREDIT)
    fields = _validated(form)
    group = _group(session, form.affiliate_group, clock)
    profile = session.get(CreditProfile, coordinator.id)
    affected = {coordinator.id}
    if profile is not None and profile.affiliate_group_id is not None:
        affected |= _members(session, profile.affiliate_group_id)
    if group is not None:
        affected |= _members(session, group.id)
    # Lock the accounts before writing, so credit checks never see half a change.
    lock_credit_accounts(session, affected)
    if profile is None:
        profile = CreditProfile(scheduling_coordinator_id=coordinator.id)
        session.add(profile)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.affiliate_group = group
    profile.updated_at = clock.now()
    profile.updated_by_id = actor.person_id
    session.flush()
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    for member in sorted(affected):
        recompute_credit(
            session,
            member,
            trigger=EalTrigger.PROFILE,
            as_of=today,
            parameters=parameters,
            clock=clock,
        )
    record_audit(
        session,
        actor=actor,
        action="credit.profile.set",
        object_type="credit_profile",
        object_id=str(coordinator.id),
        details={
            **{k: str(v) if v is not None else None for k, v in fields.items()},
            "affiliate_group": group.name if group else None,
        },
        clock=clock,
    )
    return profile


def _validated(form: CreditProfileForm) -> dict[str, object]:
    tnw = form.tangible_net_worth_usd
    if not tnw.is_finite() or tnw != tnw.quantize(Decimal("0.01")):
        raise InvalidInput(f"{tnw} is not exact to the cent", field="tangible_net_worth_usd")
    has_guarantor = form.guarantor_name is not None and form.guarantor_name.strip() != ""
    guarantee_fields = (
        form.guarantor_tangible_net_worth_usd,
        form.guarantor_rating,
        form.guarantee_expires_on,
    )
    if not has_guarantor and any(value is not None for value in guarantee_fields):
        raise InvalidInput("name the guarantor of the parent guarantee", field="guarantor_name")
    if has_guarantor and form.guarantor_tangible_net_worth_usd is None:
        raise InvalidInput(
            "a parent guarantee needs the guarantor's tangible net worth",
            field="guarantor_tangible_net_worth_usd",
        )
    guarantor_tnw = form.guarantor_tangible_net_worth_usd
    return {
        "tangible_net_worth_usd": tnw.quantize(Decimal("0.01")),
        "total_assets_usd": require_cents(form.total_assets_usd, field="total_assets_usd"),
        "rating": normalise_rating(form.rating),
        "financials_as_of": form.financials_as_of,
        "guarantor_name": (form.guarantor_name or "").strip() or None,
        "guarantor_tangible_net_worth_usd": (
            require_cents(guarantor_tnw, field="guarantor_tangible_net_worth_usd")
            if guarantor_tnw is not None
            else None
        ),
        "guarantor_rating": normalise_rating(form.guarantor_rating, field="guarantor_rating"),
        "guarantee_expires_on": form.guarantee_expires_on,
    }


def _group(session: Session, name: str | None, clock: Clock) -> AffiliateGroup | None:
    if name is None or not name.strip():
        return None
    group = session.scalar(select(AffiliateGroup).where(AffiliateGroup.name == name.strip()))
    if group is None:
        group = AffiliateGroup(name=name.strip(), created_at=clock.now())
        session.add(group)
        session.flush()
    return group


def _members(session: Session, group_id: int) -> set[int]:
    return set(
        session.scalars(
            select(CreditProfile.scheduling_coordinator_id).where(
                CreditProfile.affiliate_group_id == group_id
            )
        )
    )
