"""The settlement engine: rulebook §8 charge codes for one or more trade dates, from frames.

Pure and vectorised (Polars): no database, no clock. Every quantity and price
is an exact decimal; inside, they are integers of 1e-6 (``Decimal(38, 6)``'s
physical ``Int128``), products integers of 1e-12, so nothing is ever a binary
float. Quantities are kept in MW·minutes (MW × interval minutes; a meter's MWh
× 60), so a 5-minute interval needs no division by 12; a line's amount is
``Σ q·p / 60`` rounded half-even to cents **once**, at the line.

Granularity: one statement line per trade date, account, charge code,
component and subject (a resource, a virtual location, a trade, a market or
the SC itself). The interval-level rows behind each line are returned too
(``detail``), so a reader can recompute every line (see
:mod:`gridmarket.settlement.drilldown`).

Neutrality: for every trade date the SC lines and the ISO's clearing-account
lines sum to exactly $0.00, and every pool account (congestion, loss,
imbalance, trades) nets to exactly $0.00; :func:`settle` raises
:class:`UnbalancedSettlement` otherwise.

Example::

    result = settle(inputs, EngineParameters(bid_segment_fee_usd=Decimal("0.005"),
                                             scid_monthly_charge_usd=Decimal("1000")))
    result.lines.filter(pl.col("account") == "DTGA")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Literal

import polars as pl

from gridmarket.errors import DomainError, InvalidInput
from gridmarket.settlement import codes
from gridmarket.settlement.inputs import SettlementInputs

MissingMeterPolicy = Literal["refuse", "use_expected"]
MICRO = 10**6
CENT_DIVISOR = 60 * 10**10
"""Σ q·p is in 1e-12 $·(min/h): divide by 60 (minutes) and 1e10 (1e-12 → cents)."""
I128 = pl.Int128()
KEY = ["trade_date", "account", "charge_code", "component", "subject_kind", "subject"]
EXTRA = ["metered_mm", "expected_mm", "missing", "estimated"]


class SettlementError(DomainError):
    """The inputs cannot be settled as given."""

    http_status = 422


class MissingMeterData(SettlementError):
    """Meter reads are missing for intervals that must settle (policy ``refuse``)."""

    def __init__(self, missing: pl.DataFrame) -> None:
        self.missing = missing
        sample = ", ".join(f"{r['resource_id']}@{r['interval_start_utc']:%Y-%m-%dT%H:%MZ}"
                           for r in missing.head(5).iter_rows(named=True))
        super().__init__(f"{missing.height} meter read(s) missing (e.g. {sample}); "
                         "settle with missing_meter='use_expected' or load the reads",
                         field="meter")


class MissingPrice(SettlementError):
    """A quantity needs a price that was not published."""


class UnbalancedSettlement(SettlementError):
    """The lines of a trade date do not sum to $0.00 (never stored)."""

    http_status = 500


@dataclass(frozen=True)
class EngineParameters:
    """The rulebook parameters the engine uses.

    Example::

        >>> EngineParameters(Decimal("0.005"), Decimal("1000")).missing_meter
        'refuse'
    """

    bid_segment_fee_usd: Decimal
    scid_monthly_charge_usd: Decimal
    missing_meter: MissingMeterPolicy = "refuse"


@dataclass
class SettlementResult:
    """Statement lines of every account (SCs and ISO) and the detail behind them.

    ``lines`` columns: trade_date, account, account_kind (SC/ISO), charge_code,
    component, subject_kind, subject, quantity_mwh, price_usd_per_mwh,
    amount_usd (cents), amount_unrounded_usd (6 dp), intervals, determinants (JSON).
    """

    lines: pl.DataFrame
    detail: dict[str, pl.DataFrame]
    missing_reads: pl.DataFrame
    pools: dict[date, dict[str, Decimal]] = field(default_factory=dict)

    def totals(self) -> dict[date, Decimal]:
        """Sum of every line per trade date (each must be exactly 0.00)."""
        frame = self.lines.group_by("trade_date").agg(pl.col("amount_usd").sum())
        return {row[0]: Decimal(row[1]) for row in frame.iter_rows()}


# --- integer helpers ----------------------------------------------------------------------


def _micro(column: str) -> pl.Expr:
    """A ``Decimal(38, 6)`` column as its integer of 1e-6."""
    return pl.col(column).cast(pl.Decimal(38, 6)).to_physical().cast(I128)


def _div_half_even(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """``numerator / denominator`` rounded half-even to an integer (exact, Int128)."""
    den = denominator if isinstance(denominator, pl.Expr) else pl.lit(denominator, dtype=I128)
    sign = pl.when(den < 0).then(pl.lit(-1, dtype=I128)).otherwise(pl.lit(1, dtype=I128))
    n, d = numerator * sign, den * sign
    q = n // d
    twice = (n - q * d) * 2
    up = (twice > d) | ((twice == d) & (q % 2 != 0))
    return pl.when(d == 0).then(pl.lit(0, dtype=I128)).otherwise(
        q + pl.when(up).then(pl.lit(1, dtype=I128)).otherwise(pl.lit(0, dtype=I128)))


def _as_decimal(expr: pl.Expr, scale: int) -> pl.Expr:
    """An integer of 10^-scale as ``Decimal(38, scale)``."""
    return expr.cast(pl.Decimal(38, 0)).cast(pl.Decimal(38, scale)) / (10**scale)


def round_cents(value: Decimal | Fraction) -> Decimal:
    """Half-even to cents, the one rounding of a statement line.

    Example::

        >>> round_cents(Decimal("1.005")), round_cents(Fraction(-1, 8))
        (Decimal('1.00'), Decimal('-0.12'))
    """
    if isinstance(value, Fraction):
        cents = Fraction(value * 100)
        whole, rest = divmod(cents.numerator, cents.denominator)
        twice = 2 * rest
        if twice > cents.denominator or (twice == cents.denominator and whole % 2):
            whole += 1
        return Decimal(whole).scaleb(-2)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


# --- input preparation --------------------------------------------------------------------


def _hours(intervals: pl.DataFrame) -> pl.DataFrame:
    return intervals.select("trade_date", "hour_start_utc").unique()


def _fmm(intervals: pl.DataFrame) -> pl.DataFrame:
    return intervals.select("trade_date", "fmm_start_utc", "hour_start_utc").unique()


def _priced(frame: pl.DataFrame, prices: pl.DataFrame, market: str, node: str, at: str,
            parts: bool) -> pl.DataFrame:
    """Join the market's price at (node, interval); refuse a missing price."""
    columns = ["lmp", "energy", "congestion", "loss"] if parts else ["lmp"]
    table = prices.filter(pl.col("market") == market).select(
        pl.col("node").alias(node), pl.col("interval_start_utc").alias(at),
        *[_micro(c).alias(f"p_{c}") for c in columns])
    joined = frame.join(table, on=[node, at], how="left")
    gaps = joined.filter(pl.col("p_lmp").is_null())
    if gaps.height:
        first = gaps.row(0, named=True)
        raise MissingPrice(f"{gaps.height} {market} price(s) missing, e.g. at {first[node]} "
                           f"{first[at]:%Y-%m-%dT%H:%MZ}", field="prices")
    return joined


def _lines_frame(frame: pl.DataFrame, code: str, component: str, kind: str, subject: str,
                 price: str, q: str = "q") -> pl.DataFrame:
    """Interval rows → the common shape (key, q, num, extras) of one charge code."""
    extras = [pl.col(c) if c in frame.columns else pl.lit(0, dtype=I128).alias(c) for c in EXTRA]
    return frame.select(
        "trade_date", pl.col("scid").alias("account"), pl.lit(code).alias("charge_code"),
        pl.lit(component).alias("component"), pl.lit(kind).alias("subject_kind"),
        pl.col(subject).alias("subject"), pl.col(q).alias("q"),
        (pl.col(q) * pl.col(price)).alias("num"), *[e.cast(I128) for e in extras],
    )


# --- the computation ----------------------------------------------------------------------


def settle(inputs: SettlementInputs, parameters: EngineParameters) -> SettlementResult:
    """Compute every charge code of every trade date in ``inputs``; balanced or raise.

    Example::

        result = settle(inputs, EngineParameters(Decimal("0.005"), Decimal("1000")))
        assert set(result.totals().values()) == {Decimal("0.00")}
    """
    resources = inputs.resources
    _known_resources(inputs)
    hours, fmm_slots = _hours(inputs.intervals), _fmm(inputs.intervals)

    # Day-ahead: resource schedules and virtual awards, per hour (q in MW·min, supply −).
    da = (inputs.da_awards.rename({"interval_start_utc": "hour_start_utc"})
          .join(hours, on="hour_start_utc")
          .join(resources, on=["trade_date", "resource_id"])
          .with_columns((_micro("energy_mw") * -60).alias("q"), _micro("energy_mw").alias("da"))
          .filter(pl.col("q") != 0))
    da = _priced(da, inputs.prices, "DAM", "node", "hour_start_utc", parts=True)
    virtual_da = (inputs.virtuals.rename({"interval_start_utc": "hour_start_utc"})
                  .join(hours, on="hour_start_utc")
                  .with_columns((_micro("mw") * -60).alias("q")).filter(pl.col("q") != 0))
    virtual_da = _priced(virtual_da, inputs.prices, "DAM", "location", "hour_start_utc",
                         parts=True)
    parts: list[pl.DataFrame] = []
    for component, price in ((codes.ENERGY, "p_energy"), (codes.CONGESTION, "p_congestion"),
                             (codes.LOSS, "p_loss")):
        parts.append(_lines_frame(da, codes.DA_ENERGY, component, "RESOURCE", "resource_id",
                                  price))
        parts.append(_lines_frame(virtual_da, codes.DA_ENERGY, component, "VIRTUAL", "location",
                                  price))
    eligible = da.join(inputs.loss_eligible, on=["trade_date", "scid", "resource_id"])
    parts.append(_lines_frame(eligible.with_columns((pl.col("p_loss") * -1).alias("p_refund")),
                              codes.LOSS_ADJUSTMENT, codes.LOSS, "RESOURCE", "resource_id",
                              "p_refund"))

    # Inter-SC trades: seller −MWh, buyer +MWh at the DA LMP of the location.
    trades = (inputs.trades.rename({"interval_start_utc": "hour_start_utc"})
              .join(hours, on="hour_start_utc"))
    trade_rows = pl.concat([
        trades.select("trade_date", "hour_start_utc", "location",
                      pl.col("seller_scid").alias("scid"),
                      (pl.col("location") + "/" + pl.col("buyer_scid")).alias("subject"),
                      (_micro("mw") * -60).alias("q")),
        trades.select("trade_date", "hour_start_utc", "location",
                      pl.col("buyer_scid").alias("scid"),
                      (pl.col("location") + "/" + pl.col("seller_scid")).alias("subject"),
                      (_micro("mw") * 60).alias("q")),
    ]).filter(pl.col("q") != 0)
    trade_rows = _priced(trade_rows, inputs.prices, "DAM", "location", "hour_start_utc",
                         parts=False)
    parts.append(_lines_frame(trade_rows, codes.INTER_SC_TRADE, codes.TOTAL, "TRADE", "subject",
                              "p_lmp"))

    # FMM: schedule (DA where no FMM instruction) per 15 minutes.
    da_mw = inputs.da_awards.select("resource_id", pl.col("interval_start_utc")
                                    .alias("hour_start_utc"), _micro("energy_mw").alias("da"))
    fmm_mw = inputs.fmm_schedules.select("resource_id", pl.col("interval_start_utc")
                                         .alias("fmm_start_utc"), _micro("dispatch_mw")
                                         .alias("fmm_raw"))
    grid15 = (resources.join(fmm_slots, on="trade_date")
              .join(da_mw, on=["resource_id", "hour_start_utc"], how="left")
              .join(fmm_mw, on=["resource_id", "fmm_start_utc"], how="left")
              .with_columns(pl.col("da").fill_null(0))
              .with_columns(pl.col("fmm_raw").fill_null(pl.col("da")).alias("fmm")))
    fmm_rows = grid15.with_columns(((pl.col("da") - pl.col("fmm")) * 15).alias("q")).filter(
        pl.col("q") != 0)
    fmm_rows = _priced(fmm_rows, inputs.prices, "FMM", "node", "fmm_start_utc", parts=True)
    parts.append(_lines_frame(fmm_rows, codes.FMM_INSTRUCTED, codes.TOTAL, "RESOURCE",
                              "resource_id", "p_lmp"))
    liquidation = (inputs.virtuals.rename({"interval_start_utc": "hour_start_utc"})
                   .join(fmm_slots, on="hour_start_utc")
                   .with_columns((_micro("mw") * 15).alias("q")).filter(pl.col("q") != 0))
    liquidation = _priced(liquidation, inputs.prices, "FMM", "location", "fmm_start_utc",
                          parts=True)
    parts.append(_lines_frame(liquidation, codes.VIRTUAL_LIQUIDATION, codes.TOTAL, "VIRTUAL",
                              "location", "p_lmp"))

    # RTD and uninstructed imbalance per 5 minutes.
    rtd = inputs.rtd_dispatch.select(
        "resource_id", "interval_start_utc", _micro("dispatch_mw").alias("rtd_raw"),
        (_micro("expected_energy_mwh") * 60).alias("expected_raw"))
    meter = inputs.meter.group_by("resource_id", "interval_start_utc").agg(
        (pl.when(pl.col("measurement") == "GEN").then(_micro("mwh")).otherwise(0)).sum()
        .alias("gen"),
        (pl.when(pl.col("measurement") == "LOAD").then(_micro("mwh")).otherwise(0)).sum()
        .alias("load"),
        pl.col("estimated").any().alias("is_estimated"),
    )
    grid5 = (resources.join(inputs.intervals.select("trade_date", "interval_start_utc",
                                                    "fmm_start_utc"), on="trade_date")
             .join(grid15.select("resource_id", "fmm_start_utc", "fmm"),
                   on=["resource_id", "fmm_start_utc"], how="left")
             .join(rtd, on=["resource_id", "interval_start_utc"], how="left")
             .join(meter, on=["resource_id", "interval_start_utc"], how="left")
             .with_columns(pl.col("rtd_raw").fill_null(pl.col("fmm")).alias("rtd"),
                           pl.col("gen").is_null().alias("is_missing")))
    grid5 = grid5.with_columns(
        pl.col("expected_raw").fill_null(pl.col("rtd") * 5).alias("expected_mm"))
    missing = grid5.filter(pl.col("is_missing")).select("trade_date", "resource_id", "scid",
                                                        "interval_start_utc")
    if missing.height and parameters.missing_meter == "refuse":
        raise MissingMeterData(missing)
    grid5 = grid5.with_columns(
        pl.when(pl.col("is_missing")).then(pl.col("expected_mm"))
        .otherwise((pl.col("gen") - pl.col("load")) * 60).alias("metered_mm"),
        pl.when(pl.col("is_missing"))
        .then(pl.max_horizontal(pl.col("expected_mm") * -1, pl.lit(0, dtype=I128)))
        .otherwise(pl.col("load") * 60).alias("demand_mm"),
    ).with_columns(
        ((pl.col("fmm") - pl.col("rtd")) * 5).alias("q_rtd"),
        (pl.col("expected_mm") - pl.col("metered_mm")).alias("q_uie"),
        pl.col("is_missing").cast(I128).alias("missing"),
        pl.col("is_estimated").fill_null(False).cast(I128).alias("estimated"),
    )
    demand = grid5.group_by("trade_date", "scid").agg(pl.col("demand_mm").sum())
    rt_rows = grid5.filter((pl.col("q_rtd") != 0) | (pl.col("q_uie") != 0)
                           | (pl.col("missing") != 0) | (pl.col("estimated") != 0))
    rt_rows = _priced(rt_rows, inputs.prices, "RTD", "node", "interval_start_utc", parts=True)
    parts.append(_lines_frame(rt_rows.filter(pl.col("q_rtd") != 0), codes.RTD_INSTRUCTED,
                              codes.TOTAL, "RESOURCE", "resource_id", "p_lmp", q="q_rtd"))
    parts.append(_lines_frame(rt_rows, codes.RT_UNINSTRUCTED, codes.TOTAL, "RESOURCE",
                              "resource_id", "p_lmp", q="q_uie"))

    # Real-time pool parts (congestion, loss) from the same quantities, exact.
    rt_parts = pl.concat([
        fmm_rows.select("trade_date", pl.col("q") * pl.col("p_congestion"),
                        (pl.col("q") * pl.col("p_loss")).alias("l")),
        liquidation.select("trade_date", pl.col("q") * pl.col("p_congestion"),
                           (pl.col("q") * pl.col("p_loss")).alias("l")),
        rt_rows.select("trade_date", (pl.col("q_rtd") + pl.col("q_uie")).alias("q")
                       * pl.col("p_congestion"),
                       ((pl.col("q_rtd") + pl.col("q_uie")) * pl.col("p_loss")).alias("l")),
    ]).group_by("trade_date").agg(pl.col("q").sum().alias("c"), pl.col("l").sum())

    interval_lines = _finish(pl.concat(parts).group_by(KEY).agg(
        pl.col("q").sum(), pl.col("num").sum(), pl.len().alias("intervals"),
        *[pl.col(c).sum() for c in EXTRA]))
    fee_lines = _fee_lines(inputs, parameters)
    sc_lines = pl.concat([interval_lines, fee_lines], how="vertical_relaxed")
    allocation_lines, pools = _allocations(sc_lines, rt_parts, demand)
    sc_lines = pl.concat([sc_lines, allocation_lines], how="vertical_relaxed")
    lines = pl.concat([sc_lines, _iso_lines(sc_lines)], how="vertical_relaxed").sort(
        "trade_date", "account", "charge_code", "component", "subject_kind", "subject")
    check_balanced(lines)
    detail = {
        "da": pl.concat([
            da.select("trade_date", "scid", pl.lit("RESOURCE").alias("subject_kind"),
                      pl.col("resource_id").alias("subject"), "hour_start_utc", "q", "p_lmp",
                      "p_energy", "p_congestion", "p_loss"),
            virtual_da.select("trade_date", "scid", pl.lit("VIRTUAL").alias("subject_kind"),
                              pl.col("location").alias("subject"), "hour_start_utc", "q",
                              "p_lmp", "p_energy", "p_congestion", "p_loss"),
        ]),
        "fmm": pl.concat([
            fmm_rows.select("trade_date", "scid", pl.lit("RESOURCE").alias("subject_kind"),
                            pl.col("resource_id").alias("subject"), "fmm_start_utc", "da",
                            "fmm", "q", "p_lmp"),
            liquidation.select("trade_date", "scid", pl.lit("VIRTUAL").alias("subject_kind"),
                               pl.col("location").alias("subject"), "fmm_start_utc",
                               pl.lit(0, dtype=I128).alias("da"),
                               pl.lit(0, dtype=I128).alias("fmm"), "q", "p_lmp"),
        ]),
        "rtd": rt_rows.select("trade_date", "scid", pl.col("resource_id").alias("subject"),
                              "interval_start_utc", "fmm", "rtd", "expected_mm", "metered_mm",
                              "missing", "estimated", "q_rtd", "q_uie", "p_lmp"),
        "trades": trade_rows.select("trade_date", "scid", "subject", "hour_start_utc", "q",
                                    "p_lmp"),
    }
    return SettlementResult(lines=lines, detail=detail, missing_reads=missing, pools=pools)


def _known_resources(inputs: SettlementInputs) -> None:
    known = inputs.resources.select("resource_id").unique()
    for name, frame in (("da_awards", inputs.da_awards), ("fmm_schedules", inputs.fmm_schedules),
                        ("rtd_dispatch", inputs.rtd_dispatch), ("meter", inputs.meter)):
        unknown = frame.join(known, on="resource_id", how="anti")["resource_id"].unique()
        if unknown.len():
            raise InvalidInput(f"resource(s) without a SCID and node on the day: "
                               f"{', '.join(sorted(unknown.to_list())[:5])}", field=name)


def _finish(grouped: pl.DataFrame) -> pl.DataFrame:
    """Aggregated interval rows → statement lines: round once, price, determinants."""
    cents = _div_half_even(pl.col("num"), CENT_DIVISOR)
    return grouped.with_columns(
        pl.lit("SC").alias("account_kind"),
        _as_decimal(_div_half_even(pl.col("q"), 60), 6).alias("quantity_mwh"),
        _as_decimal(_div_half_even(pl.col("num"), pl.col("q")), 6).alias("price_usd_per_mwh"),
        _as_decimal(cents, 2).alias("amount_usd"),
        _as_decimal(_div_half_even(pl.col("num"), 60 * MICRO), 6).alias("amount_unrounded_usd"),
        pl.concat_str(
            pl.lit('{"formula":"'), pl.col("charge_code").replace_strict(codes.FORMULAS),
            pl.lit('","intervals":'), pl.col("intervals").cast(pl.String),
            pl.lit(',"sum_q_mw_min":"'), _as_decimal(pl.col("q"), 6).cast(pl.String),
            pl.lit('","sum_q_x_price_mw_min_usd_per_mwh":"'),
            _as_decimal(pl.col("num"), 12).cast(pl.String),
            pl.lit('","amount_usd":"sum_q_x_price / 60, half-even to cents"'),
            pl.when(pl.col("charge_code") == codes.RT_UNINSTRUCTED).then(pl.concat_str(
                pl.lit(',"metered_mwh":"'),
                _as_decimal(_div_half_even(pl.col("metered_mm"), 60), 6).cast(pl.String),
                pl.lit('","expected_mwh":"'),
                _as_decimal(_div_half_even(pl.col("expected_mm"), 60), 6).cast(pl.String),
                pl.lit('","missing_reads":'), pl.col("missing").cast(pl.String),
                pl.lit(',"estimated_reads":'), pl.col("estimated").cast(pl.String),
            )).otherwise(pl.lit("")),
            pl.lit("}"),
        ).alias("determinants"),
    ).select(*LINE_COLUMNS)


LINE_COLUMNS = ["trade_date", "account", "account_kind", "charge_code", "component",
                "subject_kind", "subject", "quantity_mwh", "price_usd_per_mwh", "amount_usd",
                "amount_unrounded_usd", "intervals", "determinants"]
LINE_SCHEMA = {"trade_date": pl.Date(), "account": pl.String(), "account_kind": pl.String(),
               "charge_code": pl.String(), "component": pl.String(),
               "subject_kind": pl.String(), "subject": pl.String(),
               "quantity_mwh": pl.Decimal(38, 6), "price_usd_per_mwh": pl.Decimal(38, 6),
               "amount_usd": pl.Decimal(38, 2), "amount_unrounded_usd": pl.Decimal(38, 6),
               "intervals": pl.UInt32(), "determinants": pl.String()}


def _rows_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=LINE_SCHEMA) if rows else pl.DataFrame(schema=LINE_SCHEMA)


def _json(values: dict[str, object]) -> str:
    import json

    return json.dumps({k: str(v) if isinstance(v, Decimal | Fraction) else v
                       for k, v in values.items()}, separators=(",", ":"))


def _line(trade_date: date, account: str, code: str, component: str, kind: str, subject: str,
          quantity: Decimal, price: Decimal, exact: Decimal | Fraction,
          determinants: dict[str, object], account_kind: str = "SC") -> dict[str, object]:
    unrounded = Decimal(exact.numerator) / Decimal(exact.denominator) if isinstance(
        exact, Fraction) else exact
    return {"trade_date": trade_date, "account": account, "account_kind": account_kind,
            "charge_code": code, "component": component, "subject_kind": kind,
            "subject": subject, "quantity_mwh": quantity, "price_usd_per_mwh": price,
            "amount_usd": round_cents(exact),
            "amount_unrounded_usd": unrounded.quantize(Decimal("0.000001"), ROUND_HALF_EVEN),
            "intervals": 0,
            "determinants": _json({"formula": codes.FORMULAS[code], **determinants})}


def _fee_lines(inputs: SettlementInputs, parameters: EngineParameters) -> pl.DataFrame:
    rows: list[dict[str, object]] = []
    rate = parameters.bid_segment_fee_usd
    for day, scid, market, count in inputs.segment_fees.sort(
            "trade_date", "scid", "market").iter_rows():
        rows.append(_line(day, scid, codes.BID_SEGMENT_FEE, codes.TOTAL, "MARKET", market,
                          Decimal(count), rate, count * rate,
                          {"segment_count": count, "rate_usd": rate}))
    charge = parameters.scid_monthly_charge_usd
    for day, scid in inputs.scid_charges.unique().sort("trade_date", "scid").iter_rows():
        rows.append(_line(day, scid, codes.SCID_CHARGE, codes.TOTAL, "SCID", scid, Decimal(1),
                          charge, charge, {"month": f"{day:%Y-%m}", "monthly_charge_usd": charge}))
    return _rows_frame(rows)


def _allocations(sc_lines: pl.DataFrame, rt_parts: pl.DataFrame,
                 demand: pl.DataFrame) -> tuple[pl.DataFrame, dict[date, dict[str, Decimal]]]:
    """The five pools of each trade date, returned to SCs pro rata to measured demand."""
    sums = sc_lines.group_by("trade_date", "charge_code", "component").agg(
        pl.col("amount_usd").sum())
    by_day: dict[date, dict[tuple[str, str], Decimal]] = {}
    for day, code, component, amount in sums.iter_rows():
        by_day.setdefault(day, {})[(code, component)] = Decimal(amount)
    parts = {day: (Fraction(c, CENT_DIVISOR), Fraction(lo, CENT_DIVISOR))
             for day, c, lo in rt_parts.iter_rows()}
    demand_by_day: dict[date, dict[str, int]] = {}
    for day, scid, mm in demand.iter_rows():
        demand_by_day.setdefault(day, {})[scid] = int(mm)
    rows: list[dict[str, object]] = []
    pools: dict[date, dict[str, Decimal]] = {}
    for day in sorted(set(by_day) | set(parts)):
        amounts = by_day.get(day, {})

        def total(*keys: tuple[str, str], amounts: dict[tuple[str, str], Decimal] = amounts
                  ) -> Decimal:
            return sum((amounts.get(k, Decimal(0)) for k in keys), Decimal("0.00"))

        rt_total = total(*[(code, codes.TOTAL) for code in codes.RT_CODES])
        congestion, loss = parts.get(day, (Fraction(0), Fraction(0)))
        rt_congestion = round_cents(congestion / 100)
        rt_loss = round_cents(loss / 100)
        day_pools = {
            codes.IFM_CONGESTION_ALLOCATION: total((codes.DA_ENERGY, codes.CONGESTION)),
            codes.IFM_LOSS_ALLOCATION: total((codes.DA_ENERGY, codes.ENERGY),
                                             (codes.DA_ENERGY, codes.LOSS),
                                             (codes.LOSS_ADJUSTMENT, codes.LOSS)),
            codes.RT_CONGESTION_OFFSET: rt_congestion,
            codes.RT_LOSS_OFFSET: rt_loss,
            codes.RT_IMBALANCE_OFFSET: rt_total - rt_congestion - rt_loss,
        }
        pools[day] = day_pools
        shares = {scid: mm for scid, mm in demand_by_day.get(day, {}).items() if mm > 0}
        for code, pool in day_pools.items():
            rows.extend(_allocate(day, code, pool, shares))
    return _rows_frame(rows), pools


def _allocate(day: date, code: str, pool: Decimal, demand_mm: dict[str, int]
              ) -> list[dict[str, object]]:
    """Return ``pool`` (cents) to SCs pro rata to measured demand; largest remainder."""
    if pool == 0:
        return []
    total_mm = sum(demand_mm.values())
    if total_mm == 0:
        raise SettlementError(f"{day}: no measured demand to allocate the {code} pool of "
                              f"${pool} to", field="meter")
    target = -int(pool * 100)  # cents paid out (negative: the SCs are paid)
    exact = {scid: Fraction(target * mm, total_mm) for scid, mm in demand_mm.items()}
    floors = {scid: value.numerator // value.denominator for scid, value in exact.items()}
    leftover = target - sum(floors.values())
    order = sorted(exact, key=lambda s: (-(exact[s] - floors[s]), s))
    extra = {scid: 1 if rank < leftover else 0 for rank, scid in enumerate(order)}
    price = (-pool * 60 * MICRO / total_mm).quantize(Decimal("0.000001"), ROUND_HALF_EVEN)
    rows = []
    for scid in sorted(exact):
        cents = floors[scid] + extra[scid]
        line = _line(day, scid, code, codes.TOTAL, "DEMAND", scid,
                     Decimal(demand_mm[scid]) / 60 / MICRO, price, Fraction(cents, 100), {
                         "pool_usd": pool,
                         "demand_mwh": Decimal(demand_mm[scid]) / 60 / MICRO,
                         "total_demand_mwh": Decimal(total_mm) / 60 / MICRO,
                         "exact_share_usd": Decimal(exact[scid].numerator)
                         / Decimal(exact[scid].denominator) / 100,
                         "rounding_adjustment_cents": extra[scid],
                         "rounding": "largest remainder: the pool's cents are paid out exactly",
                     })
        rows.append(line)
    return rows


def _iso_lines(sc_lines: pl.DataFrame) -> pl.DataFrame:
    """Each SC line's counterpart in the ISO clearing account of its code."""
    accounts = (pl.when((pl.col("charge_code") == codes.DA_ENERGY)
                        & (pl.col("component") == codes.CONGESTION))
                .then(pl.lit(codes.ISO_CONGESTION))
                .otherwise(pl.col("charge_code").replace_strict(codes.CLEARING_ACCOUNT)))
    grouped = (sc_lines.with_columns(accounts.alias("account"))
               .group_by("trade_date", "account", "charge_code", "component")
               .agg((pl.col("quantity_mwh").sum() * -1).alias("quantity_mwh"),
                    (pl.col("amount_usd").sum() * -1).alias("amount_usd"),
                    (pl.col("amount_unrounded_usd").sum() * -1).alias("amount_unrounded_usd"),
                    pl.len().alias("sc_lines")))
    return grouped.select(
        "trade_date", "account", pl.lit("ISO").alias("account_kind"), "charge_code",
        "component", pl.lit("ACCOUNT").alias("subject_kind"), pl.lit("").alias("subject"),
        pl.col("quantity_mwh").cast(pl.Decimal(38, 6)),
        pl.lit(None, dtype=pl.Decimal(38, 6)).alias("price_usd_per_mwh"),
        pl.col("amount_usd").cast(pl.Decimal(38, 2)),
        pl.col("amount_unrounded_usd").cast(pl.Decimal(38, 6)),
        pl.lit(0, dtype=pl.UInt32).alias("intervals"),
        pl.concat_str(pl.lit('{"formula":"−Σ SC lines of the code","sc_lines":'),
                      pl.col("sc_lines").cast(pl.String), pl.lit("}")).alias("determinants"),
    )


def check_balanced(lines: pl.DataFrame) -> None:
    """Raise :class:`UnbalancedSettlement` unless every trade date and pool nets to $0.00.

    Example::

        check_balanced(result.lines)   # returns quietly when neutral
    """
    days = lines.group_by("trade_date").agg(pl.col("amount_usd").sum().alias("total")).filter(
        pl.col("total") != 0)
    if days.height:
        raise UnbalancedSettlement(f"lines do not net to $0.00: {days.rows()}")
    pools = (lines.filter(pl.col("account").is_in(list(codes.POOL_ACCOUNTS)))
             .group_by("trade_date", "account").agg(pl.col("amount_usd").sum().alias("total"))
             .filter(pl.col("total") != 0))
    if pools.height:
        raise UnbalancedSettlement(f"ISO clearing accounts do not net to $0.00: {pools.rows()}")
