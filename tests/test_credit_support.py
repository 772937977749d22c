"""Builders shared by the credit tests: an ISO credit analyst, SCs with SCIDs, profiles, security.

Every figure the tests check is worked out by hand in the test that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from sqlalchemy.orm import Session
from tests.people import make_organisation, make_person

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.principal import Principal
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.credit.components import (
    EAL_PROVIDERS,
    ComponentAmount,
    EalComponentCode,
    Provider,
)
from gridmarket.credit.financial_security import SecurityForm, post_financial_security
from gridmarket.credit.models import FinancialSecurity, SecurityKind
from gridmarket.credit.profiles import CreditProfileForm, set_credit_profile
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus

PARAMS = MarketParameters()


def pacific_noon(day: date) -> FixedClock:
    """Noon in California (19:00 UTC in summer, 20:00 in winter is still the same trade date)."""
    return FixedClock(datetime(day.year, day.month, day.day, 19, tzinfo=UTC))


@dataclass
class CreditWorld:
    session: Session
    analyst: Principal
    coordinator: SchedulingCoordinator
    scid: Scid
    trader: Principal
    outsider: Principal
    """A trader of another SC."""


def certified_sc(session: Session, name: str | None = None) -> tuple[SchedulingCoordinator, Scid]:
    organisation = make_organisation(session, OrganisationKind.SC, name)
    coordinator = SchedulingCoordinator(
        organisation_id=organisation.id,
        legal_name=organisation.name,
        status=ScStatus.CERTIFIED,
        # Certified after 30 April: its first officer certification is due next year, so
        # no other suspension trigger holds in the 2020 scenarios.
        certified_on=date(2020, 6, 1),
    )
    scid = Scid(
        code=f"C{uuid4().hex[:5].upper()}",
        scheduling_coordinator=coordinator,
        granted_on=date(2020, 6, 1),
    )
    session.add_all([coordinator, scid])
    session.flush()
    return coordinator, scid


def credit_world(session: Session) -> CreditWorld:
    iso = make_organisation(session, OrganisationKind.ISO)
    analyst = make_person(session, iso, Role.CREDIT_ANALYST)
    coordinator, scid = certified_sc(session)
    trader = make_person(session, coordinator.organisation, Role.TRADER)
    other, _ = certified_sc(session)
    outsider = make_person(session, other.organisation, Role.TRADER)
    return CreditWorld(session, analyst, coordinator, scid, trader, outsider)


def profile(
    world: CreditWorld,
    coordinator: SchedulingCoordinator | None = None,
    *,
    tnw: str = "20000000",
    assets: str = "60000000",
    rating: str | None = "BBB-",
    on: date = date(2020, 6, 30),
    **extra: object,
) -> None:
    """Set a profile; by default TNW $20M rated BBB- (UCL $300,000), participation met."""
    form = CreditProfileForm.model_validate(
        {
            "tangible_net_worth_usd": tnw,
            "total_assets_usd": assets,
            "rating": rating,
            "financials_as_of": "2019-12-31",
            **extra,
        }
    )
    target = coordinator or world.coordinator
    set_credit_profile(world.session, world.analyst, target.id, form, PARAMS, pacific_noon(on))


def cash(
    world: CreditWorld,
    amount: str,
    *,
    on: date = date(2020, 6, 30),
    coordinator: SchedulingCoordinator | None = None,
) -> FinancialSecurity:
    target = coordinator or world.coordinator
    form = SecurityForm(
        kind=SecurityKind.CASH_DEPOSIT,
        amount_usd=Decimal(amount),
        instrument_reference=f"WIRE {uuid4().hex[:6]}",
    )
    return post_financial_security(
        world.session, world.analyst, target.id, form, PARAMS, pacific_noon(on)
    )


def letter_of_credit(
    world: CreditWorld, amount: str, expires_on: date, *, on: date = date(2020, 6, 30)
) -> FinancialSecurity:
    form = SecurityForm(
        kind=SecurityKind.LETTER_OF_CREDIT,
        amount_usd=Decimal(amount),
        instrument_reference=f"SBLC-{uuid4().hex[:6]}",
        issuer="First Sierra Bank",
        expires_on=expires_on,
    )
    return post_financial_security(
        world.session, world.analyst, world.coordinator.id, form, PARAMS, pacific_noon(on)
    )


def fixed_provider(amount: str, formula: str = "test figure") -> Provider:
    """A provider answering the same net amount for every SC."""

    def provide(
        session: Session, coordinator: SchedulingCoordinator, as_of: date, p: MarketParameters
    ) -> ComponentAmount:
        return ComponentAmount(Decimal(amount), formula, {"amount": amount})

    return provide


@contextmanager
def providers(**by_code: Provider) -> Iterator[None]:
    """Register providers by component code name for the block, then restore the registry."""
    with ExitStack() as stack:
        for code, provider in by_code.items():
            stack.enter_context(
                EAL_PROVIDERS.replaced(
                    EalComponentCode[code], provider, name=f"test.{code.lower()}"
                )
            )
        yield


SETTLEMENT_COMPONENTS = (
    EalComponentCode.UNPAID_INVOICES,
    EalComponentCode.UNINVOICED_STATEMENTS,
    EalComponentCode.ESTIMATED_UNSTATED_DAYS,
    EalComponentCode.ESTIMATED_FEES,
)


@contextmanager
def credit_alone() -> Iterator[None]:
    """Without settlement's EAL providers for the block: credit's own rules, isolated.

    Billing registers providers for invoices, statements, estimates and fees when
    it is imported; the credit tests state their figures without them.
    """
    saved = {code: EAL_PROVIDERS.provider_for(code) for code in SETTLEMENT_COMPONENTS}
    for code in SETTLEMENT_COMPONENTS:
        EAL_PROVIDERS.unregister(code)
    try:
        yield
    finally:
        for code, registered in saved.items():
            EAL_PROVIDERS.unregister(code)
            if registered is not None:
                EAL_PROVIDERS.register(code, registered.provider, name=registered.name)
