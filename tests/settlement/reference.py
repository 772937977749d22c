"""An independent settlement in plain Python: Decimal and Fraction loops, no Polars.

Returns {(account, charge_code, component, subject): amount in cents as Decimal} for
the SC lines, computed straight from the rulebook formulas on a :class:`MarketDay`.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from tests.settlement.day import CALENDAR, MarketDay

Key = tuple[str, str, str, str]


def cents(value: Fraction) -> Decimal:
    hundredths = value * 100
    whole = hundredths.numerator // hundredths.denominator
    rest = hundredths - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return Decimal(whole).scaleb(-2).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def reference_settlement(day: MarketDay, fee_rate: Decimal, scid_charge: Decimal
                         ) -> dict[Key, Decimal]:
    hours = [i.start_utc for i in CALENDAR.intervals(day.trade_date, "DAM")]
    fmms = [i.start_utc for i in CALENDAR.intervals(day.trade_date, "FMM")]
    rtds = [i.start_utc for i in CALENDAR.intervals(day.trade_date, "RTD")]
    price: dict[tuple[str, str, Any], dict[str, Decimal]] = {
        (p["market"], p["node"], p["interval_start_utc"]): p for p in day.prices}
    node = {r["resource_id"]: r["node"] for r in day.resources}
    scid = {r["resource_id"]: r["scid"] for r in day.resources}
    da = {(a["resource_id"], a["interval_start_utc"]): a["energy_mw"] for a in day.da_awards}
    fmm = {(a["resource_id"], a["interval_start_utc"]): a["dispatch_mw"]
           for a in day.fmm_schedules}
    rtd = {(a["resource_id"], a["interval_start_utc"]): a for a in day.rtd_dispatch}
    meter: dict[tuple[str, Any], dict[str, Decimal]] = defaultdict(
        lambda: {"GEN": Decimal(0), "LOAD": Decimal(0)})
    for m in day.meter:
        meter[(m["resource_id"], m["interval_start_utc"])][m["measurement"]] += m["mwh"]
    eligible = {(e["scid"], e["resource_id"]) for e in day.loss_eligible}
    exact: dict[Key, Fraction] = defaultdict(Fraction)
    rt_cong, rt_loss = Fraction(0), Fraction(0)
    demand: dict[str, Fraction] = defaultdict(Fraction)

    for rid in node:
        sc = scid[rid]
        for h in hours:
            mw = da.get((rid, h), Decimal(0))
            q = Fraction(-mw)  # MWh for one hour, supply negative
            p = price.get(("DAM", node[rid], h)) if mw else None
            if p is not None:
                for part, name in (("energy", "ENERGY"), ("congestion", "CONGESTION"),
                                   ("loss", "LOSS")):
                    exact[(sc, "6011", name, rid)] += q * Fraction(p[part])
                if (sc, rid) in eligible:
                    exact[(sc, "ML_ADJ", "LOSS", rid)] -= q * Fraction(p["loss"])
        for n, f in enumerate(fmms):
            da_mw = da.get((rid, hours[n // 4]), Decimal(0))
            f_mw = fmm.get((rid, f), da_mw)
            q = Fraction(-(f_mw - da_mw)) / 4
            if q:
                p = price[("FMM", node[rid], f)]
                exact[(sc, "6460", "TOTAL", rid)] += q * Fraction(p["lmp"])
                rt_cong += q * Fraction(p["congestion"])
                rt_loss += q * Fraction(p["loss"])
        for n, t in enumerate(rtds):
            da_mw = da.get((rid, hours[n // 12]), Decimal(0))
            f_mw = fmm.get((rid, fmms[n // 3]), da_mw)
            inst = rtd.get((rid, t))
            r_mw = inst["dispatch_mw"] if inst else f_mw
            expected = Fraction(inst["expected_energy_mwh"]) if inst else Fraction(r_mw) / 12
            read = meter[(rid, t)]
            metered = Fraction(read["GEN"] - read["LOAD"])
            demand[sc] += Fraction(read["LOAD"])
            p = price[("RTD", node[rid], t)]
            q1 = -Fraction(r_mw - f_mw) / 12
            q2 = -(metered - expected)
            if q1:
                exact[(sc, "6470", "TOTAL", rid)] += q1 * Fraction(p["lmp"])
            exact[(sc, "6475", "TOTAL", rid)] += q2 * Fraction(p["lmp"])
            rt_cong += (q1 + q2) * Fraction(p["congestion"])
            rt_loss += (q1 + q2) * Fraction(p["loss"])
    for v in day.virtuals:
        h = v["interval_start_utc"]
        p = price[("DAM", v["location"], h)]
        for part, name in (("energy", "ENERGY"), ("congestion", "CONGESTION"), ("loss", "LOSS")):
            exact[(v["scid"], "6011", name, v["location"])] += -Fraction(v["mw"]) * Fraction(
                p[part])
        for k in range(4):
            f = fmms[hours.index(h) * 4 + k]
            pf = price[("FMM", v["location"], f)]
            q = Fraction(v["mw"]) / 4
            exact[(v["scid"], "6473", "TOTAL", v["location"])] += q * Fraction(pf["lmp"])
            rt_cong += q * Fraction(pf["congestion"])
            rt_loss += q * Fraction(pf["loss"])
    for t in day.trades:
        p = Fraction(price[("DAM", t["location"], t["interval_start_utc"])]["lmp"])
        mw = Fraction(t["mw"])
        exact[(t["seller_scid"], "IST", "TOTAL", f"{t['location']}/{t['buyer_scid']}")] -= mw * p
        exact[(t["buyer_scid"], "IST", "TOTAL", f"{t['location']}/{t['seller_scid']}")] += mw * p
    for f in day.segment_fees:
        exact[(f["scid"], "4515", "TOTAL", f["market"])] += f["segment_count"] * Fraction(fee_rate)
    for c in day.scid_charges:
        exact[(c["scid"], "SCID_FEE", "TOTAL", c["scid"])] += Fraction(scid_charge)

    lines = {key: cents(value) for key, value in exact.items()}
    lines = {k: v for k, v in lines.items()
             if v or k[1] in ("6475", "4515", "SCID_FEE") or exact[k]}

    def total(code: str, *components: str) -> Decimal:
        return sum((v for k, v in lines.items() if k[1] == code and k[2] in components),
                   Decimal("0.00"))

    rt = sum((total(c, "TOTAL") for c in ("6460", "6470", "6475", "6473")), Decimal("0.00"))
    pc, pl_ = cents(rt_cong), cents(rt_loss)
    pools = {"IFM_CONG": total("6011", "CONGESTION"),
             "IFM_LOSS": total("6011", "ENERGY", "LOSS") + total("ML_ADJ", "LOSS"),
             "6774": pc, "6985": pl_, "6477": rt - pc - pl_}
    total_demand = sum(demand.values(), Fraction(0))
    for code, pool in pools.items():
        if not pool:
            continue
        target = -int(pool * 100)
        shares = {s: Fraction(target) * d / total_demand for s, d in demand.items() if d > 0}
        floors = {s: v.numerator // v.denominator for s, v in shares.items()}
        left = target - sum(floors.values())
        order = sorted(shares, key=lambda s: (-(shares[s] - floors[s]), s))
        for rank, s in enumerate(order):
            lines[(s, code, "TOTAL", s)] = Decimal(floors[s] + (1 if rank < left else 0)) / 100
    return lines
