"""Unsecured credit limit rules, worked by hand (rulebook §6); no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmarket.config import CreditRules
from gridmarket.credit.money import credit_cents, liability_cents, require_cents
from gridmarket.credit.unsecured import normalise_rating, rating_percent, share_cap, uncapped_ucl
from gridmarket.errors import InvalidInput

RULES = CreditRules()
CAP = Decimal("50000000")


@pytest.mark.parametrize(
    ("rating", "ucl"),
    [
        ("AAA", "7500000.000"),  # $100M × 7.5%
        ("AA", "6500000.000"),  # × 6.5%
        ("A", "5000000.000"),  # × 5.0%
        ("BBB+", "4000000.000"),  # × 4.0%
        ("BBB", "2500000.000"),  # × 2.5%
        ("BBB-", "1500000.000"),  # × 1.5%
        ("BB+", "0"),  # below investment grade
        ("B", "0"),
        (None, "0"),  # unrated
    ],
)
def test_ucl_is_tangible_net_worth_times_the_rating_percentage(
    rating: str | None, ucl: str
) -> None:
    assert uncapped_ucl(Decimal("100000000"), rating, RULES) == Decimal(ucl)


def test_a_modifier_the_table_does_not_list_takes_its_base_rating() -> None:
    # AA- and AA+ are in the AA tier (6.5%), A+ and A- in the A tier (5.0%).
    assert rating_percent("AA-", RULES) == Decimal("6.5")
    assert rating_percent("AA+", RULES) == Decimal("6.5")
    assert rating_percent("A+", RULES) == Decimal("5.0")
    # BBB+ and BBB- have their own rows; BB+ has no base in the table.
    assert rating_percent("BBB+", RULES) == Decimal("4.0")
    assert rating_percent("BB+", RULES) == Decimal("0")
    strict = CreditRules(rating_modifier_falls_back_to_base=False)
    assert rating_percent("AA-", strict) == Decimal("0")


def test_ratings_are_normalised_and_nonsense_is_refused() -> None:
    assert normalise_rating(" bbb\u2212") == "BBB-"  # the rulebook's typographic minus
    assert normalise_rating("") is None
    for bad in ("AAA+", "Baa3", "A++", "X"):
        with pytest.raises(InvalidInput):
            normalise_rating(bad)


def test_ucl_is_capped_at_50_million() -> None:
    # $800M × 7.5% = $60M > cap.
    uncapped = uncapped_ucl(Decimal("800000000"), "AAA", RULES)
    assert uncapped == Decimal("60000000.000")
    assert share_cap({"solo": uncapped}, CAP) == {"solo": Decimal("50000000.00")}


def test_ucl_is_rounded_down_to_the_cent_once() -> None:
    # $1,234,567.89 × 2.5% = $30,864.19725 → $30,864.19 (credit rounds down).
    uncapped = uncapped_ucl(Decimal("1234567.89"), "BBB", RULES)
    assert uncapped == Decimal("30864.19725")
    assert share_cap({"x": uncapped}, CAP) == {"x": Decimal("30864.19")}


def test_negative_tangible_net_worth_gives_no_unsecured_credit() -> None:
    assert uncapped_ucl(Decimal("-5000000"), "AAA", RULES) == 0


def test_affiliates_share_the_cap_pro_rata_to_their_uncapped_ucl() -> None:
    # A: $600M × 5.0% = $30M; B: $400M × 6.5% = $26M; C: $50M × 2.5% = $1.25M.
    # Together $57.25M > $50M, so each gets $50M × own ÷ $57.25M, rounded down:
    #   A 26,200,873.362… → 26,200,873.36; B 22,707,423.580… → 22,707,423.58;
    #   C 1,091,703.056… → 1,091,703.05. Sum 49,999,999.99 ≤ cap.
    uncapped = {
        "A": uncapped_ucl(Decimal("600000000"), "A", RULES),
        "B": uncapped_ucl(Decimal("400000000"), "AA", RULES),
        "C": uncapped_ucl(Decimal("50000000"), "BBB", RULES),
    }
    shares = share_cap(uncapped, CAP)
    assert shares == {
        "A": Decimal("26200873.36"),
        "B": Decimal("22707423.58"),
        "C": Decimal("1091703.05"),
    }
    assert sum(shares.values()) == Decimal("49999999.99")


def test_affiliates_under_the_cap_keep_their_own_ucl() -> None:
    # $20M + $26M = $46M ≤ $50M: nothing to share.
    shares = share_cap({"A": Decimal("20000000"), "B": Decimal("26000000")}, CAP)
    assert shares == {"A": Decimal("20000000.00"), "B": Decimal("26000000.00")}


@given(
    st.lists(
        st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=8,
    )
)
def test_shares_never_exceed_the_cap_nor_the_uncapped_ucl(amounts: list[Decimal]) -> None:
    shares = share_cap(dict(enumerate(amounts)), CAP)
    assert sum(shares.values()) <= CAP
    for member, amount in enumerate(amounts):
        assert 0 <= shares[member] <= amount
        assert shares[member] == shares[member].quantize(Decimal("0.01"))


def test_credit_rounds_down_and_liabilities_round_up_to_the_cent() -> None:
    assert credit_cents(Decimal("0.019")) == Decimal("0.01")
    assert liability_cents(Decimal("0.011")) == Decimal("0.02")
    assert liability_cents(Decimal("-0.019")) == Decimal("-0.01")
    with pytest.raises(InvalidInput, match="not exact to the cent"):
        require_cents(Decimal("10.005"), field="amount_usd")
