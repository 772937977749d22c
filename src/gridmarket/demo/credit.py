"""The demo SCs' creditworthiness: profiles and security, as a credit analyst records them.

Figures are invented for the demo but shaped like real participants: large
rated utilities live on unsecured credit, smaller generators post letters of
credit, the storage operator and the virtual trader post cash (the trader
also falls short of the minimum participation requirements).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.principal import load_principal
from gridmarket.access.service import find_person_by_email
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.credit.financial_security import SecurityForm, post_financial_security
from gridmarket.credit.models import CreditProfile, SecurityKind
from gridmarket.credit.profiles import CreditProfileForm, set_credit_profile
from gridmarket.participants.models import Scid

CREDIT_ANALYST_EMAIL = "credit@iso.example"
MILLION = Decimal(1_000_000)
# Long enough that the demo's letters of credit still count when it is browsed years later.
LETTER_OF_CREDIT_TERM_DAYS = 3650


@dataclass(frozen=True)
class DemoCredit:
    scid: str
    tangible_net_worth_musd: Decimal
    total_assets_musd: Decimal
    rating: str | None
    security: SecurityKind | None = None
    security_musd: Decimal = Decimal(0)


DEMO_CREDIT: tuple[DemoCredit, ...] = (
    DemoCredit("MPPA", Decimal(400), Decimal(1200), "AA"),
    DemoCredit("BESC", Decimal(250), Decimal(900), "A"),
    DemoCredit("CLPC", Decimal(600), Decimal(2100), "AA"),
    DemoCredit(
        "DTGN", Decimal(150), Decimal(700), "BBB", SecurityKind.LETTER_OF_CREDIT, Decimal(5)
    ),
    DemoCredit(
        "SPKR", Decimal(40), Decimal(160), "BBB-", SecurityKind.LETTER_OF_CREDIT, Decimal(2)
    ),
    DemoCredit("CNRW", Decimal(80), Decimal(350), None, SecurityKind.CASH_DEPOSIT, Decimal(3)),
    DemoCredit("ARSP", Decimal(5), Decimal(40), None, SecurityKind.CASH_DEPOSIT, Decimal(1)),
    DemoCredit("CVGT", Decimal("0.5"), Decimal(2), None, SecurityKind.CASH_DEPOSIT, Decimal("2.5")),
)


def seed_demo_credit(session: Session, as_of: date, parameters: MarketParameters) -> int:
    """Record each demo SC's credit profile and security once; returns how many were new.

    Example::

        seed_demo_credit(session, date(2020, 6, 1), MarketParameters())
    """
    analyst = load_principal(session, find_person_by_email(session, CREDIT_ANALYST_EMAIL).id)
    clock = FixedClock(datetime.combine(as_of, time(18), tzinfo=UTC))
    added = 0
    for spec in DEMO_CREDIT:
        scid = session.scalar(select(Scid).where(Scid.code == spec.scid))
        if scid is None:
            continue
        coordinator_id = scid.scheduling_coordinator_id
        if session.get(CreditProfile, coordinator_id) is not None:
            continue
        form = CreditProfileForm(
            tangible_net_worth_usd=spec.tangible_net_worth_musd * MILLION,
            total_assets_usd=spec.total_assets_musd * MILLION,
            rating=spec.rating,
            financials_as_of=as_of - timedelta(days=60),
        )
        set_credit_profile(session, analyst, coordinator_id, form, parameters, clock)
        if spec.security is not None:
            security = SecurityForm(
                kind=spec.security,
                amount_usd=spec.security_musd * MILLION,
                instrument_reference=f"DEMO-{spec.scid}-1",
                issuer="Western Trust Bank"
                if spec.security == SecurityKind.LETTER_OF_CREDIT
                else None,
                effective_on=as_of,
                expires_on=as_of + timedelta(days=LETTER_OF_CREDIT_TERM_DAYS)
                if spec.security == SecurityKind.LETTER_OF_CREDIT
                else None,
            )
            post_financial_security(session, analyst, coordinator_id, security, parameters, clock)
        added += 1
    return added
