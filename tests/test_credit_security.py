"""Financial security: letters of credit and cash deposits, posting, expiry and release."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session
from tests.test_credit_support import (
    PARAMS,
    CreditWorld,
    cash,
    credit_world,
    letter_of_credit,
    pacific_noon,
    profile,
)

from gridmarket.access.errors import AccessDenied, NotVisible
from gridmarket.credit.financial_security import (
    SecurityForm,
    post_financial_security,
    release_financial_security,
)
from gridmarket.credit.holdings import security_total
from gridmarket.credit.limits import aggregate_credit_limit
from gridmarket.credit.models import SecurityKind
from gridmarket.credit.overview import credit_overview, reservations_of
from gridmarket.credit.reservations import reserve_credit
from gridmarket.errors import Conflict, InvalidInput

JUNE_30 = date(2020, 6, 30)


@pytest.fixture
def world(db_session: Session) -> CreditWorld:
    w = credit_world(db_session)
    profile(w, rating=None)  # UCL 0, participation met: the ACL is the security alone
    return w


def _total(world: CreditWorld, day: date) -> Decimal:
    return security_total(world.session, world.coordinator.id, day)


def test_a_letter_of_credit_counts_until_the_day_before_its_expiry(world: CreditWorld) -> None:
    letter_of_credit(world, "1000000", expires_on=date(2020, 7, 15))
    assert _total(world, date(2020, 7, 14)) == Decimal("1000000.00")
    assert _total(world, date(2020, 7, 15)) == 0  # expired: no longer counts from its expiry date


def test_security_counts_from_its_effective_date(world: CreditWorld) -> None:
    form = SecurityForm(
        kind=SecurityKind.CASH_DEPOSIT,
        amount_usd=Decimal("400000"),
        instrument_reference="WIRE 1",
        effective_on=date(2020, 7, 3),
    )
    post_financial_security(
        world.session, world.analyst, world.coordinator.id, form, PARAMS, pacific_noon(JUNE_30)
    )
    assert _total(world, date(2020, 7, 2)) == 0
    assert _total(world, date(2020, 7, 3)) == Decimal("400000.00")


def test_cash_and_letters_of_credit_add_up_exactly_to_the_cent(world: CreditWorld) -> None:
    cash(world, "0.10")
    cash(world, "0.20")
    letter_of_credit(world, "1234567.89", expires_on=date(2021, 6, 30))
    assert _total(world, date(2020, 7, 1)) == Decimal("1234568.19")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"issuer": None}, "issuer"),
        ({"expires_on": None}, "expires_on"),
        ({"expires_on": date(2020, 6, 30)}, "expires_on"),  # not after the effective date
        ({"amount_usd": Decimal("100.001")}, "amount_usd"),
        ({"amount_usd": Decimal("0")}, "amount_usd"),
    ],
)
def test_a_letter_of_credit_needs_issuer_expiry_and_an_amount_in_cents(
    world: CreditWorld, changes: dict[str, object], field: str
) -> None:
    fields: dict[str, object] = {
        "kind": SecurityKind.LETTER_OF_CREDIT,
        "amount_usd": Decimal("1000"),
        "instrument_reference": "SBLC-1",
        "issuer": "First Sierra Bank",
        "expires_on": date(2021, 6, 30),
    }
    form = SecurityForm.model_validate({**fields, **changes})
    with pytest.raises(InvalidInput) as refused:
        post_financial_security(
            world.session, world.analyst, world.coordinator.id, form, PARAMS, pacific_noon(JUNE_30)
        )
    assert refused.value.field == field


def test_a_cash_deposit_does_not_expire(world: CreditWorld) -> None:
    form = SecurityForm(
        kind=SecurityKind.CASH_DEPOSIT,
        amount_usd=Decimal("1000"),
        instrument_reference="WIRE 2",
        expires_on=date(2021, 1, 1),
    )
    with pytest.raises(InvalidInput, match="does not expire"):
        post_financial_security(
            world.session, world.analyst, world.coordinator.id, form, PARAMS, pacific_noon(JUNE_30)
        )


def test_released_security_stops_counting_from_the_release_day(world: CreditWorld) -> None:
    deposit = cash(world, "500000")
    release_financial_security(
        world.session,
        world.analyst,
        world.coordinator.id,
        deposit.id,
        "returned on request",
        PARAMS,
        pacific_noon(date(2020, 7, 6)),
    )
    assert deposit.released_on == date(2020, 7, 6)
    assert _total(world, date(2020, 7, 5)) == Decimal("500000.00")
    assert _total(world, date(2020, 7, 6)) == 0
    with pytest.raises(Conflict, match="was released"):
        release_financial_security(
            world.session,
            world.analyst,
            world.coordinator.id,
            deposit.id,
            "again",
            PARAMS,
            pacific_noon(date(2020, 7, 6)),
        )


def test_security_backing_the_liability_cannot_be_released(world: CreditWorld) -> None:
    # ACL $500,000 (cash) + $100,000 (cash); EAL $150,000 of virtual bids.
    # Releasing the $500,000 would leave ACL $100,000 < EAL $150,000: refused.
    big = cash(world, "500000")
    small = cash(world, "100000")
    clock = pacific_noon(date(2020, 7, 1))
    assert reserve_credit(
        world.session, world.scid.code, Decimal("150000"), "VB-1", parameters=PARAMS, clock=clock
    ).passed
    with pytest.raises(Conflict, match=r"ACL at \$100,000.00, below the EAL of \$150,000.00"):
        release_financial_security(
            world.session, world.analyst, world.coordinator.id, big.id, "x", PARAMS, clock
        )
    # The $100,000 can go: ACL $500,000 still covers $150,000.
    release_financial_security(
        world.session, world.analyst, world.coordinator.id, small.id, "x", PARAMS, clock
    )
    limit = aggregate_credit_limit(
        world.session, world.coordinator.id, date(2020, 7, 1), PARAMS.credit
    )
    assert limit.acl_usd == Decimal("500000.00")


def test_only_the_credit_analyst_posts_or_releases_security(world: CreditWorld) -> None:
    form = SecurityForm(
        kind=SecurityKind.CASH_DEPOSIT, amount_usd=Decimal("1"), instrument_reference="W"
    )
    clock = pacific_noon(JUNE_30)
    with pytest.raises(AccessDenied):
        post_financial_security(
            world.session, world.trader, world.coordinator.id, form, PARAMS, clock
        )
    deposit = cash(world, "10")
    with pytest.raises(AccessDenied):
        release_financial_security(
            world.session, world.outsider, world.coordinator.id, deposit.id, "x", PARAMS, clock
        )


def test_another_sc_cannot_see_the_security_or_reservations(world: CreditWorld) -> None:
    with pytest.raises(NotVisible):
        reservations_of(world.session, world.outsider, world.coordinator.id)
    with pytest.raises(NotVisible):
        credit_overview(
            world.session, world.outsider, world.coordinator.id, PARAMS, pacific_noon(JUNE_30)
        )
