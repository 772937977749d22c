"""A small market day built by hand or at random, as engine inputs (no database).

Example::

    day = MarketDay.random(random.Random(1), trade_date=date(2020, 7, 15))
    inputs = day.inputs()
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from gridmarket.calendar import MarketCalendar
from gridmarket.settlement.inputs import SettlementInputs, interval_grid

CALENDAR = MarketCalendar()


def d(value: str | int) -> Decimal:
    return Decimal(str(value))


@dataclass
class MarketDay:
    """Rows of every input of one trade date (Decimals, aware UTC datetimes)."""

    trade_date: date
    resources: list[dict[str, Any]] = field(default_factory=list)
    da_awards: list[dict[str, Any]] = field(default_factory=list)
    fmm_schedules: list[dict[str, Any]] = field(default_factory=list)
    rtd_dispatch: list[dict[str, Any]] = field(default_factory=list)
    prices: list[dict[str, Any]] = field(default_factory=list)
    virtuals: list[dict[str, Any]] = field(default_factory=list)
    meter: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    segment_fees: list[dict[str, Any]] = field(default_factory=list)
    scid_charges: list[dict[str, Any]] = field(default_factory=list)
    loss_eligible: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hours(self) -> list[Any]:
        return [i.start_utc for i in CALENDAR.intervals(self.trade_date, "DAM")]

    @property
    def fmm(self) -> list[Any]:
        return [i.start_utc for i in CALENDAR.intervals(self.trade_date, "FMM")]

    @property
    def rtd(self) -> list[Any]:
        return [i.start_utc for i in CALENDAR.intervals(self.trade_date, "RTD")]

    def inputs(self) -> SettlementInputs:
        return SettlementInputs.of(
            intervals=interval_grid(CALENDAR, [self.trade_date]),
            resources=[{"trade_date": self.trade_date, **r} for r in self.resources],
            da_awards=self.da_awards, fmm_schedules=self.fmm_schedules,
            rtd_dispatch=self.rtd_dispatch, prices=self.prices, virtuals=self.virtuals,
            meter=self.meter, trades=self.trades, segment_fees=self.segment_fees,
            scid_charges=self.scid_charges, loss_eligible=self.loss_eligible)

    def flat_prices(self, node: str, market: str, energy: str, congestion: str = "0",
                    loss: str = "0") -> None:
        """The same price parts at ``node`` in every interval of ``market``."""
        instants = {"DAM": self.hours, "FMM": self.fmm, "RTD": self.rtd}[market]
        for start in instants:
            self.prices.append({"market": market, "node": node, "interval_start_utc": start,
                                "lmp": d(energy) + d(congestion) + d(loss), "energy": d(energy),
                                "congestion": d(congestion), "loss": d(loss)})

    def meter_all(self, resource_id: str, scid: str, measurement: str, mwh: str) -> None:
        for start in self.rtd:
            self.meter.append({"resource_id": resource_id, "scid": scid,
                               "interval_start_utc": start, "measurement": measurement,
                               "mwh": d(mwh), "estimated": False})

    @classmethod
    def random(cls, rng: random.Random, trade_date: date, *, scids: int = 3, units: int = 4,
               loads: int = 2, nodes: int = 3, virtuals: int = 2, trades: int = 1,
               subhourly: bool = True) -> MarketDay:
        """A random day: schedules, prices by part, meter values, virtuals and trades."""
        day = cls(trade_date)
        codes = [f"S{n:03d}" for n in range(scids)]
        node_names = [f"N{n}" for n in range(nodes)]

        def money(low: int, high: int) -> Decimal:
            return Decimal(rng.randint(low * 10**6, high * 10**6)).scaleb(-6)

        for market, instants in (("DAM", day.hours), ("FMM", day.fmm), ("RTD", day.rtd)):
            for node in [*node_names, "DLAP"]:
                for start in instants:
                    e, c, lo = money(-20, 120), money(-15, 15), money(-5, 5)
                    day.prices.append({"market": market, "node": node,
                                       "interval_start_utc": start, "lmp": e + c + lo,
                                       "energy": e, "congestion": c, "loss": lo})
        resources = []
        for n in range(units):
            resources.append((f"G{n}", rng.choice(codes), rng.choice(node_names), "GEN"))
        for n in range(loads):
            resources.append((f"L{n}", codes[n % scids], "DLAP", "LOAD"))
        for rid, scid, node, kind in resources:
            day.resources.append({"resource_id": rid, "scid": scid, "node": node})
            sign = 1 if kind == "GEN" else -1
            da = {h: sign * money(0, 200) for h in day.hours}
            for h, mw in da.items():
                day.da_awards.append({"resource_id": rid, "interval_start_utc": h,
                                      "energy_mw": mw})
            fmm: dict[Any, Decimal] = {}
            if subhourly and rng.random() < 0.8:
                for i, start in enumerate(day.fmm):
                    if rng.random() < 0.9:
                        fmm[start] = da[day.hours[i // 4]] + sign * money(-20, 20)
                        day.fmm_schedules.append({"resource_id": rid,
                                                  "interval_start_utc": start,
                                                  "dispatch_mw": fmm[start]})
            for i, start in enumerate(day.rtd):
                base = fmm.get(day.fmm[i // 3], da[day.hours[i // 12]])
                if subhourly and rng.random() < 0.8:
                    mw = base + sign * money(-5, 5)
                    day.rtd_dispatch.append({"resource_id": rid, "interval_start_utc": start,
                                             "dispatch_mw": mw,
                                             "expected_energy_mwh": (mw / 12).quantize(
                                                 Decimal("0.000001"))})
                value = (abs(base) / 12 + money(-1, 1)).quantize(Decimal("0.000001"))
                day.meter.append({"resource_id": rid, "scid": scid, "interval_start_utc": start,
                                  "measurement": kind, "mwh": max(value, Decimal(0)),
                                  "estimated": rng.random() < 0.05})
            if rng.random() < 0.5:
                day.loss_eligible.append({"trade_date": trade_date, "scid": scid,
                                          "resource_id": rid})
        for _ in range(virtuals):
            location = rng.choice([*node_names, "DLAP"])
            scid = rng.choice(codes)
            for h in rng.sample(day.hours, k=min(6, len(day.hours))):
                day.virtuals.append({"scid": scid, "location": location,
                                     "interval_start_utc": h, "mw": money(-50, 50)})
        for _ in range(trades):
            seller, buyer = rng.sample(codes, k=2) if scids > 1 else (codes[0], codes[0])
            for h in rng.sample(day.hours, k=3):
                day.trades.append({"seller_scid": seller, "buyer_scid": buyer,
                                   "location": "DLAP", "interval_start_utc": h,
                                   "mw": money(1, 30)})
        for scid in codes:
            day.segment_fees.append({"trade_date": trade_date, "scid": scid, "market": "DAM",
                                     "segment_count": rng.randint(0, 500)})
            if trade_date.day == 1:
                day.scid_charges.append({"trade_date": trade_date, "scid": scid})
        return day
