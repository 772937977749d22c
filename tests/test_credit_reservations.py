"""The virtual bid credit check: reference price, exposure, reserve, reject, release."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.people import make_organisation, make_person
from tests.test_credit_support import (
    PARAMS,
    CreditWorld,
    cash,
    credit_world,
    letter_of_credit,
    pacific_noon,
    profile,
)

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.credit.models import CreditAccount, EalComputation, EalTrigger
from gridmarket.credit.notices import UTILISATION_WARNING
from gridmarket.credit.reference_prices import (
    PricePair,
    nearest_rank_percentile,
    reference_price,
    register_price_history_provider,
    unregister_price_history_provider,
)
from gridmarket.credit.reservations import (
    FAILED,
    PASSED,
    CreditCheck,
    release_credit,
    reserve_credit,
)
from gridmarket.credit.virtual_exposure import virtual_bid_exposure
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants import standing
from gridmarket.participants.models import Notice

JULY_15 = date(2020, 7, 15)
# 20 hourly |DA − RT| differences at one node, sorted here for the reader:
# the 95th percentile by nearest rank is the ⌈0.95 × 20⌉ = 19th smallest: $47.90.
DIFFERENCES = [
    "0.50", "1.25", "2.00", "2.75", "3.10", "4.40", "5.00", "5.55", "6.80", "7.20",
    "8.35", "9.00", "10.10", "12.60", "15.00", "18.25", "22.40", "31.75", "47.90", "120.00",
]  # fmt: skip


@pytest.fixture
def world(db_session: Session) -> CreditWorld:
    w = credit_world(db_session)
    profile(w, rating=None)  # UCL 0, participation met
    cash(w, "10000")  # ACL $10,000.00
    return w


@pytest.fixture
def price_history() -> Iterator[list[tuple[str, date, date]]]:
    """A provider with DIFFERENCES at node ABEL_1_N101 (shuffled, DA above and below RT)."""
    calls: list[tuple[str, date, date]] = []
    shuffled = random.Random(7).sample(DIFFERENCES, len(DIFFERENCES))

    def history(session: Session, location: str, first: date, last: date) -> Sequence[PricePair]:
        calls.append((location, first, last))
        if location != "ABEL_1_N101":
            return []
        start = datetime(first.year, first.month, first.day, 7, tzinfo=UTC)
        return [
            PricePair(
                start + timedelta(hours=hour),
                Decimal("30") + (Decimal(d) if hour % 2 else -Decimal(d)),
                Decimal("30"),
            )
            for hour, d in enumerate(shuffled)
        ]

    register_price_history_provider(history)
    yield calls
    unregister_price_history_provider()


def _reserve(world: CreditWorld, amount: str, reference: str, day: date = JULY_15) -> CreditCheck:
    return reserve_credit(
        world.session,
        world.scid.code,
        Decimal(amount),
        reference,
        parameters=PARAMS,
        clock=pacific_noon(day),
    )


def test_reference_price_is_the_95th_percentile_of_da_rt_differences(
    db_session: Session, price_history: list[tuple[str, date, date]]
) -> None:
    price = reference_price(db_session, "ABEL_1_N101", JULY_15, PARAMS.credit)
    assert price.price_usd_per_mwh == Decimal("47.90")
    assert price.sample_size == 20
    # The last 30 days before the check: 15 June to 14 July.
    assert price_history == [("ABEL_1_N101", date(2020, 6, 15), date(2020, 7, 14))]
    assert "95th percentile (nearest rank) of 20 hourly" in price.method


def test_reference_price_is_50_dollars_without_history(
    db_session: Session, price_history: list[tuple[str, date, date]]
) -> None:
    price = reference_price(db_session, "DLAP_AREA1-APND", JULY_15, PARAMS.credit)
    assert (price.price_usd_per_mwh, price.sample_size) == (Decimal("50"), 0)
    assert price.method.startswith("default $50/MWh")


def test_reference_price_is_50_dollars_when_no_market_prices_exist(db_session: Session) -> None:
    price = reference_price(db_session, "ABEL_1_N101", JULY_15, PARAMS.credit)
    assert price.price_usd_per_mwh == Decimal("50")


def test_nearest_rank_percentile_by_hand() -> None:
    values = [Decimal(v) for v in DIFFERENCES]
    assert nearest_rank_percentile(values, Decimal(95)) == Decimal("47.90")  # rank 19 of 20
    assert nearest_rank_percentile(values, Decimal(50)) == Decimal("7.20")  # rank 10
    assert nearest_rank_percentile(values, Decimal(100)) == Decimal("120.00")
    assert nearest_rank_percentile([Decimal(3)], Decimal(95)) == Decimal(3)


def test_exposure_is_bid_mw_times_reference_price_rounded_up_to_the_cent(
    db_session: Session, price_history: list[tuple[str, date, date]]
) -> None:
    # 12.5 MW × $47.90 = $598.75 exactly.
    quote = virtual_bid_exposure(db_session, "ABEL_1_N101", Decimal("12.5"), JULY_15, PARAMS.credit)
    assert quote.exposure_usd == Decimal("598.75")
    # 1.001 MW × $47.90 = $47.9479 → $47.95 (a liability rounds up).
    quote = virtual_bid_exposure(
        db_session, "ABEL_1_N101", Decimal("1.001"), JULY_15, PARAMS.credit
    )
    assert quote.exposure_usd == Decimal("47.95")
    # Without history: 25 MW × $50 = $1,250.00.
    quote = virtual_bid_exposure(db_session, "NOWHERE", Decimal("25"), JULY_15, PARAMS.credit)
    assert quote.exposure_usd == Decimal("1250.00")
    assert quote.basis.startswith("25 MW × $50/MWh at NOWHERE")
    with pytest.raises(InvalidInput):
        virtual_bid_exposure(db_session, "NOWHERE", Decimal("0"), JULY_15, PARAMS.credit)


def test_a_bid_within_available_credit_passes_and_is_held(world: CreditWorld) -> None:
    check = _reserve(world, "6000.00", "VB-1")
    assert check.bid_credit_status == PASSED
    assert (check.available_credit_usd, check.remaining_credit_usd) == (
        Decimal("10000.00"),
        Decimal("4000.00"),
    )
    assert check.shortfall_usd == 0 and check.reservation_id is not None


def test_a_bid_beyond_available_credit_fails_with_its_shortfall(world: CreditWorld) -> None:
    _reserve(world, "6000.00", "VB-1")
    # $4,000.00 left; a $4,000.01 bid is short by one cent.
    check = _reserve(world, "4000.01", "VB-2")
    assert check.bid_credit_status == FAILED
    assert check.shortfall_usd == Decimal("0.01")
    assert check.reservation_id is None
    assert check.as_message() == {
        "bidCreditStatus": "FAILED",
        "reference": "VB-2",
        "exposure": "4000.01",
        "availableCredit": "4000.00",
        "shortfall": "0.01",
    }
    # Exactly the credit left passes.
    assert _reserve(world, "4000.00", "VB-3").bid_credit_status == PASSED
    assert _reserve(world, "0.01", "VB-4").shortfall_usd == Decimal("0.01")


def test_released_credit_is_available_again(world: CreditWorld) -> None:
    _reserve(world, "10000.00", "VB-1")
    assert not _reserve(world, "1.00", "VB-2").passed
    released = release_credit(world.session, world.scid.code, "VB-1", "bid cancelled")
    assert released.release_reason == "bid cancelled"
    assert _reserve(world, "10000.00", "VB-1").passed  # the same bid may be held again
    with pytest.raises(NotFound):
        release_credit(world.session, world.scid.code, "VB-9", "never reserved")


def test_a_bid_holds_credit_once(world: CreditWorld) -> None:
    _reserve(world, "10.00", "VB-1")
    with pytest.raises(Conflict, match="already reserved"):
        _reserve(world, "10.00", "VB-1")


def test_exposure_must_be_whole_cents_and_the_scid_must_exist(world: CreditWorld) -> None:
    with pytest.raises(InvalidInput, match="exact to the cent"):
        _reserve(world, "10.001", "VB-1")
    with pytest.raises(InvalidInput, match="no SCID"):
        reserve_credit(world.session, "ZZZZ", Decimal("1"), "VB-1", parameters=PARAMS)


def test_the_first_check_computes_the_eal_of_an_sc_never_computed(db_session: Session) -> None:
    world = credit_world(db_session)  # no profile, no security: ACL −$500,000
    check = _reserve(world, "1.00", "VB-1")
    assert check.bid_credit_status == FAILED
    assert check.available_credit_usd == Decimal("-500000.00")
    assert check.shortfall_usd == Decimal("500001.00")
    computation = db_session.scalars(
        select(EalComputation).where(
            EalComputation.scheduling_coordinator_id == world.coordinator.id
        )
    ).one()
    assert computation.trigger == EalTrigger.CREDIT_CHECK


def test_an_expired_letter_of_credit_no_longer_backs_bids_from_its_expiry_date(
    world: CreditWorld,
) -> None:
    # ACL $10,000 cash + LC $5,000 until 15 July (exclusive) = $15,000 on 14 July.
    letter_of_credit(world, "5000", expires_on=JULY_15)
    assert _reserve(world, "12000.00", "VB-1", day=date(2020, 7, 14)).passed
    # On 15 July the LC no longer counts, even before the daily job: ACL $10,000.
    check = _reserve(world, "1.00", "VB-2", day=JULY_15)
    assert check.available_credit_usd == Decimal("-2000.00")
    assert check.shortfall_usd == Decimal("2001.00")
    account = world.session.get(CreditAccount, world.coordinator.id)
    assert account is not None and account.acl_usd == Decimal("10000.00")


def test_crossing_90_percent_utilisation_sends_one_warning_a_day(world: CreditWorld) -> None:
    def warnings() -> int:
        return (
            world.session.scalar(
                select(func.count())
                .select_from(Notice)
                .where(
                    Notice.scheduling_coordinator_id == world.coordinator.id,
                    Notice.kind == UTILISATION_WARNING,
                )
            )
            or 0
        )

    _reserve(world, "8999.99", "VB-1")  # 89.9999%: no warning
    assert warnings() == 0
    _reserve(world, "0.01", "VB-2")  # $9,000.00 of $10,000.00 = 90%
    assert warnings() == 1
    _reserve(world, "500.00", "VB-3")  # same day: no second notice
    assert warnings() == 1


def test_an_sc_holding_virtual_exposure_cannot_be_terminated(world: CreditWorld) -> None:
    _reserve(world, "1234.56", "VB-1")
    iso = make_organisation(world.session, OrganisationKind.ISO)
    specialist = make_person(world.session, iso, Role.CERTIFICATION_SPECIALIST)
    clock = pacific_noon(JULY_15)
    with pytest.raises(Conflict, match=r"\$1,234\.56 is still unpaid"):
        standing.terminate(world.session, specialist, world.coordinator.id, "leaving", clock)
    release_credit(world.session, world.scid.code, "VB-1", "bid cancelled")
    standing.terminate(world.session, specialist, world.coordinator.id, "leaving", clock)
