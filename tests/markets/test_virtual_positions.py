"""After the DAM, cleared virtual bids hold credit as a cleared position, not as bids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.markets.market_helpers import TRADE_DATE, small_market
from tests.people import make_organisation, make_person

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.bidding.models import Bid
from gridmarket.bidding.schema import BidKind
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.credit.financial_security import SecurityForm, post_financial_security
from gridmarket.credit.models import ReservationKind, SecurityKind
from gridmarket.credit.money import liability_cents
from gridmarket.credit.reference_prices import unregister_price_history_provider
from gridmarket.credit.reservations import active_reservations, reserve_credit
from gridmarket.markets.run_models import MarketVirtualAward, RunStatus
from gridmarket.markets.runs import run_day_ahead

CLOCK = FixedClock(datetime(2020, 7, 14, 18, tzinfo=UTC))
PARAMETERS = MarketParameters()


@pytest.fixture(autouse=True)
def _no_price_provider_left() -> Iterator[None]:
    yield
    unregister_price_history_provider()


def test_a_cleared_virtual_bid_becomes_a_cleared_position(
    db_session: Session, rts_loaded: Engine, data_dir: Path
) -> None:
    market = small_market(db_session)
    trader = market.b
    iso = make_organisation(db_session, OrganisationKind.ISO)
    analyst = make_person(db_session, iso, Role.CREDIT_ANALYST)
    # Without a credit profile, participation needs $500,000 of security first.
    post_financial_security(
        db_session, analyst, trader.coordinator.id,
        SecurityForm(kind=SecurityKind.CASH_DEPOSIT, amount_usd=Decimal("600000"),
                     instrument_reference="WIRE 7"), PARAMETERS, CLOCK)
    bid = db_session.scalars(select(Bid).where(Bid.scid_id == trader.scid.id,
                                               Bid.kind == BidKind.VIRTUAL)).one()
    check = reserve_credit(db_session, trader.scid.code, Decimal("12000.00"), f"BID-{bid.id}",
                           trade_date=TRADE_DATE, parameters=PARAMETERS, clock=CLOCK)
    assert check.passed
    bid.credit_reference = check.reference

    run = run_day_ahead(db_session, TRADE_DATE, parameters=PARAMETERS, data_dir=data_dir,
                        clock=CLOCK)

    assert run.status is RunStatus.COMPLETED
    [position] = active_reservations(db_session, trader.coordinator.id)
    assert position.kind is ReservationKind.CLEARED_VIRTUAL_POSITION
    assert position.reference == f"POS-{TRADE_DATE}-{trader.scid.code}"
    # The MW cleared over the day (at most 10 MW × 24 h) at the $50/MWh default reference price.
    cleared = sum(abs(mw) for mw in db_session.scalars(
        select(MarketVirtualAward.mw).where(MarketVirtualAward.run_id == run.id)))
    assert 0 < cleared <= 240
    assert position.exposure_usd == liability_cents(cleared * 50)
    assert bid.credit_reference is None
