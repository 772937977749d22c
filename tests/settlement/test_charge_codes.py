"""Every charge code on a hand-worked day; the figures are worked out in the comments.

S1 owns generator G1 at N1 and a 5 MW supply virtual at N1; S2 owns load L1 at DLAP
(marginal-loss eligible). Everything happens in HE1 of 2020-07-01 (the first trade
date of the month, so the SCID charge applies). S1 sells S2 3 MW at DLAP in HE1.

Prices ($/MWh, energy/congestion/loss = LMP): DAM N1 30/2/1 = 33, DLAP 30/5/2 = 37;
FMM N1 35/4/1 = 40; RTD N1 44/5/1 = 50, DLAP 50/8/2 = 60.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from tests.settlement.day import MarketDay, d

from gridmarket.settlement.engine import EngineParameters, SettlementResult, settle


@pytest.fixture(scope="module")
def result() -> SettlementResult:
    day = MarketDay(date(2020, 7, 1))
    he1, fmm0, rtd = day.hours[0], day.fmm[0], day.rtd
    day.resources += [{"resource_id": "G1", "scid": "S1", "node": "N1"},
                      {"resource_id": "L1", "scid": "S2", "node": "DLAP"}]
    day.flat_prices("N1", "DAM", "30", "2", "1")
    day.flat_prices("DLAP", "DAM", "30", "5", "2")
    day.flat_prices("N1", "FMM", "35", "4", "1")
    day.flat_prices("DLAP", "FMM", "35", "4", "1")
    day.flat_prices("N1", "RTD", "44", "5", "1")
    day.flat_prices("DLAP", "RTD", "50", "8", "2")
    day.da_awards += [{"resource_id": "G1", "interval_start_utc": he1, "energy_mw": d(12)},
                      {"resource_id": "L1", "interval_start_utc": he1, "energy_mw": d(-12)}]
    day.fmm_schedules.append({"resource_id": "G1", "interval_start_utc": fmm0,
                              "dispatch_mw": d(18)})
    day.rtd_dispatch.append({"resource_id": "G1", "interval_start_utc": rtd[0],
                             "dispatch_mw": d(24), "expected_energy_mwh": d(2)})
    g1 = ["2.1", "1.5", "1.5"] + ["1"] * 9  # expected 2, 1.5, 1.5, then DA 12 MW = 1 MWh
    l1 = ["1"] * 11 + ["1.2"]
    for n, start in enumerate(rtd):
        day.meter.append({"resource_id": "G1", "scid": "S1", "interval_start_utc": start,
                          "measurement": "GEN", "mwh": d(g1[n]) if n < 12 else d(0),
                          "estimated": False})
        day.meter.append({"resource_id": "L1", "scid": "S2", "interval_start_utc": start,
                          "measurement": "LOAD", "mwh": d(l1[n]) if n < 12 else d(0),
                          "estimated": False})
    day.virtuals.append({"scid": "S1", "location": "N1", "interval_start_utc": he1,
                         "mw": d(5)})
    day.trades.append({"seller_scid": "S1", "buyer_scid": "S2", "location": "DLAP",
                       "interval_start_utc": he1, "mw": d(3)})
    day.segment_fees.append({"trade_date": day.trade_date, "scid": "S1", "market": "DAM",
                             "segment_count": 100})
    day.scid_charges.append({"trade_date": day.trade_date, "scid": "S1"})
    day.loss_eligible.append({"trade_date": day.trade_date, "scid": "S2", "resource_id": "L1"})
    return settle(day.inputs(), EngineParameters(Decimal("0.005"), Decimal("1000")))


def amount(result: SettlementResult, account: str, code: str, component: str = "TOTAL",
           subject: str | None = None) -> Decimal:
    lines = result.lines.filter(pl.col("account") == account, pl.col("charge_code") == code,
                                pl.col("component") == component)
    if subject is not None:
        lines = lines.filter(pl.col("subject") == subject)
    assert lines.height == 1, (account, code, component, subject, lines)
    return Decimal(lines["amount_usd"][0])


@pytest.mark.parametrize("account, code, component, subject, expected", [
    # 6011: G1 −12 MWh × 30 / 2 / 1; L1 +12 MWh × 30 / 5 / 2; virtual −5 MWh × 30 / 2 / 1.
    ("S1", "6011", "ENERGY", "G1", "-360.00"), ("S1", "6011", "CONGESTION", "G1", "-24.00"),
    ("S1", "6011", "LOSS", "G1", "-12.00"), ("S2", "6011", "ENERGY", "L1", "360.00"),
    ("S2", "6011", "CONGESTION", "L1", "60.00"), ("S2", "6011", "LOSS", "L1", "24.00"),
    ("S1", "6011", "ENERGY", "N1", "-150.00"),
    # 6460: −(18 − 12) MW × 0.25 h × 40 = −60.
    ("S1", "6460", "TOTAL", "G1", "-60.00"),
    # 6470: −(24 − 18) MW × 1/12 h × 50 = −25.
    ("S1", "6470", "TOTAL", "G1", "-25.00"),
    # 6475: G1 −(2.1 − 2) MWh × 50 = −5; L1 −(−1.2 − (−1)) MWh × 60 = +12.
    ("S1", "6475", "TOTAL", "G1", "-5.00"), ("S2", "6475", "TOTAL", "L1", "12.00"),
    # 6473: +5 MW × 0.25 h × 40 × 4 intervals = +200.
    ("S1", "6473", "TOTAL", "N1", "200.00"),
    # IST: 3 MWh × 37 (DLAP DA LMP): seller paid, buyer charged.
    ("S1", "IST", "TOTAL", "DLAP/S2", "-111.00"), ("S2", "IST", "TOTAL", "DLAP/S1", "111.00"),
    # 4515: 100 segments × $0.005; SCID charge $1,000 on the first day of the month.
    ("S1", "4515", "TOTAL", "DAM", "0.50"), ("S1", "SCID_FEE", "TOTAL", "S1", "1000.00"),
    # ML_ADJ: S2's eligible load refunded its loss part −(12 × 2) = −24.
    ("S2", "ML_ADJ", "LOSS", "L1", "-24.00"),
    # IFM congestion pool −24 + 60 − 10 = 26, all to S2 (the only measured demand).
    ("S2", "IFM_CONG", "TOTAL", "S2", "-26.00"),
    # IFM loss pool: energy (−360 + 360 − 150) + loss (−12 + 24 − 5) + ML_ADJ (−24) = −167.
    ("S2", "IFM_LOSS", "TOTAL", "S2", "167.00"),
    # RT congestion: 6460 −1.5×4, 6470 −0.5×5, 6475 −0.1×5 + 0.2×8, 6473 +5×4 = 12.60.
    ("S2", "6774", "TOTAL", "S2", "-12.60"),
    # RT loss: −1.5×1 − 0.5×1 − 0.1×1 + 0.2×2 + 5×1 = 3.30.
    ("S2", "6985", "TOTAL", "S2", "-3.30"),
    # 6477: RT total (−60 − 25 − 5 + 12 + 200 = 122) − 12.60 − 3.30 = 106.10.
    ("S2", "6477", "TOTAL", "S2", "-106.10"),
])
def test_hand_worked_charge_codes(result: SettlementResult, account: str, code: str,
                                  component: str, subject: str, expected: str) -> None:
    assert amount(result, account, code, component, subject) == Decimal(expected)


def test_iso_accounts_balance_the_day(result: SettlementResult) -> None:
    assert result.totals() == {date(2020, 7, 1): Decimal("0.00")}
    # ISO_FEES keeps the fees; the clearing accounts net to zero.
    assert amount(result, "ISO_FEES", "4515") == Decimal("-0.50")
    totals = dict(result.lines.group_by("account").agg(pl.col("amount_usd").sum()).iter_rows())
    assert totals["ISO_FEES"] == Decimal("-1000.50")
    for account in ("ISO_CONGESTION", "ISO_LOSS", "ISO_IMBALANCE", "ISO_TRADES"):
        assert totals[account] == 0
