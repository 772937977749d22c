"""The settlement engine: a plain-Python reference, neutrality, DST days, missing reads."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.settlement.day import MarketDay
from tests.settlement.reference import reference_settlement

from gridmarket.settlement import codes
from gridmarket.settlement.engine import (
    EngineParameters,
    MissingMeterData,
    SettlementResult,
    settle,
)

FEE, SCID = Decimal("0.005"), Decimal("1000")
PARAMS = EngineParameters(FEE, SCID)


def sc_amounts(result: SettlementResult) -> dict[tuple[str, str, str, str], Decimal]:
    lines = result.lines.filter(pl.col("account_kind") == "SC")
    return {(r["account"], r["charge_code"], r["component"], r["subject"]): r["amount_usd"]
            for r in lines.iter_rows(named=True) if r["amount_usd"] != 0}


def assert_neutral(result: SettlementResult) -> None:
    assert set(result.totals().values()) == {Decimal("0.00")}
    by_account = result.lines.group_by("account").agg(pl.col("amount_usd").sum())
    for account, amount in by_account.iter_rows():
        if account in codes.POOL_ACCOUNTS:
            assert amount == 0, account


def test_engine_matches_the_plain_python_reference_to_the_cent() -> None:
    day = MarketDay.random(random.Random(7), date(2020, 7, 1))
    result = settle(day.inputs(), PARAMS)
    expected = {k: v for k, v in reference_settlement(day, FEE, SCID).items() if v != 0}
    assert sc_amounts(result) == expected
    assert_neutral(result)


@pytest.mark.parametrize("trade_date, intervals", [(date(2020, 3, 8), 276),
                                                   (date(2020, 11, 1), 300)])
def test_dst_days_settle_every_interval(trade_date: date, intervals: int) -> None:
    day = MarketDay.random(random.Random(3), trade_date, units=2, loads=1)
    result = settle(day.inputs(), PARAMS)
    uie = result.lines.filter(pl.col("charge_code") == "6475", pl.col("account_kind") == "SC")
    assert set(uie["intervals"].to_list()) == {intervals}
    assert len(day.hours) == intervals // 12
    expected = {k: v for k, v in reference_settlement(day, FEE, SCID).items() if v != 0}
    assert sc_amounts(result) == expected
    assert_neutral(result)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), scids=st.integers(1, 4), units=st.integers(0, 4),
       loads=st.integers(1, 3), virtuals=st.integers(0, 3), trades=st.integers(0, 2),
       trade_date=st.sampled_from([date(2020, 7, 1), date(2020, 7, 15), date(2020, 3, 8),
                                   date(2020, 11, 1), date(2020, 12, 31)]))
def test_every_random_market_day_nets_to_zero(seed: int, scids: int, units: int, loads: int,
                                              virtuals: int, trades: int,
                                              trade_date: date) -> None:
    day = MarketDay.random(random.Random(seed), trade_date, scids=scids, units=units,
                           loads=loads, virtuals=virtuals, trades=trades if scids > 1 else 0)
    result = settle(day.inputs(), PARAMS)
    assert_neutral(result)
    expected = {k: v for k, v in reference_settlement(day, FEE, SCID).items() if v != 0}
    assert sc_amounts(result) == expected


def _one_load_day(trade_date: date = date(2020, 7, 15)) -> MarketDay:
    day = MarketDay(trade_date)
    day.resources.append({"resource_id": "L1", "scid": "LSEA", "node": "DLAP"})
    for h in day.hours:
        day.da_awards.append({"resource_id": "L1", "interval_start_utc": h,
                              "energy_mw": Decimal("-12")})
    for market in ("DAM", "FMM", "RTD"):
        day.flat_prices("DLAP", market, "30", "2", "1")
    day.meter_all("L1", "LSEA", "LOAD", "1")
    return day


def test_a_missing_meter_read_is_refused_by_default_and_named() -> None:
    day = _one_load_day()
    last = day.rtd[-1]  # the last interval of the day
    day.meter = [m for m in day.meter if m["interval_start_utc"] != last]
    with pytest.raises(MissingMeterData) as refused:
        settle(day.inputs(), PARAMS)
    assert refused.value.missing["interval_start_utc"].to_list() == [last]


def test_a_missing_meter_read_settles_at_expected_energy_and_says_so() -> None:
    day = _one_load_day()
    last = day.rtd[-1]
    day.meter = [m for m in day.meter if m["interval_start_utc"] != last]
    result = settle(day.inputs(), EngineParameters(FEE, SCID, missing_meter="use_expected"))
    assert result.missing_reads.height == 1
    uie = result.lines.filter(pl.col("charge_code") == "6475",
                              pl.col("account_kind") == "SC").row(0, named=True)
    assert '"missing_reads":1' in uie["determinants"]
    # Load 12 MW expected 1 MWh per interval, metered 1 MWh: no UIE in any interval.
    assert uie["amount_usd"] == Decimal("0.00")
    assert_neutral(result)


def test_statement_lines_keep_their_bill_determinants() -> None:
    day = MarketDay.random(random.Random(5), date(2020, 7, 15))
    result = settle(day.inputs(), PARAMS)
    for row in result.lines.iter_rows(named=True):
        assert row["determinants"].startswith("{") and "formula" in row["determinants"]
