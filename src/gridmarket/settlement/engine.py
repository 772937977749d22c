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
from typing import Any, Literal

import numpy as np
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


# --- the integer index: trade dates, resources, instants ----------------------------------

STEP_US = 5 * 60 * 10**6
"""RTD, FMM and DA instants are whole multiples of 5 minutes apart (else: binary search)."""
LIMIT = 10**13
"""Largest |quantity| or |price| accepted, in 1e-6 (10 million MW, MWh or $/MWh): every
quantity in MW·min and every sum of a trade date stays inside Int64; products are Int128."""
NONE = np.iinfo(np.int64).min


def _instants(series: pl.Series) -> np.ndarray[Any, Any]:
    """UTC instants as int64 microseconds (a null matches nothing)."""
    return series.cast(pl.Datetime("us", "UTC")).to_physical().fill_null(NONE).to_numpy()


def _micro_np(frame: pl.DataFrame, column: str, name: str
              ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A decimal column as (int64 of 1e-6 with nulls as 0, not-null mask)."""
    physical = frame[column].cast(pl.Decimal(38, 6)).to_physical()
    if physical.len() and bool(((physical > LIMIT) | (physical < -LIMIT)).any()):
        raise InvalidInput(f"a value beyond ±{LIMIT // MICRO:,} is out of range",
                           field=f"{name}.{column}")
    return (physical.fill_null(0).cast(pl.Int64).to_numpy(),
            physical.is_not_null().to_numpy())


class _Axis:
    """The sorted instants of one granularity (RTD, FMM or DA hour) and their trade date."""

    def __init__(self, instants: np.ndarray[Any, Any], day: np.ndarray[Any, Any],
                 days: int) -> None:
        self.instants, self.day = instants, day
        if len(day) > 1 and bool((np.diff(day) < 0).any()):
            raise SettlementError("the trade dates' intervals overlap", field="intervals")
        self.start = np.searchsorted(day, np.arange(days), "left")
        self.count = np.searchsorted(day, np.arange(days), "right") - self.start
        self.local = np.arange(len(day), dtype=np.int64) - self.start[day]
        """Each slot's place within its trade date."""
        self.table: np.ndarray[Any, Any] | None = None
        if len(instants):
            offsets = instants - instants[0]
            if bool((offsets % STEP_US == 0).all()) and offsets[-1] // STEP_US < 10**7:
                self.table = np.full(offsets[-1] // STEP_US + 1, -1, dtype=np.int64)
                self.table[offsets // STEP_US] = np.arange(len(instants))

    def __len__(self) -> int:
        return len(self.instants)

    def index(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The slot of each instant, −1 where it is not one of the axis."""
        out = np.full(len(values), -1, dtype=np.int64)
        if not len(self.instants):
            return out
        if self.table is not None:
            step, rest = np.divmod(values - self.instants[0], STEP_US)
            ok = (rest == 0) & (step >= 0) & (step < len(self.table))
            return np.where(ok, self.table[np.where(ok, step, 0)], -1)
        slot = np.minimum(np.searchsorted(self.instants, values), len(self.instants) - 1)
        found = self.instants[slot] == values
        out[found] = slot[found]
        return out

    def series(self, slots: np.ndarray[Any, Any], name: str) -> pl.Series:
        return pl.Series(name, self.instants[slots]).cast(pl.Datetime("us", "UTC"))


def _axis(frame: pl.DataFrame, column: str, day_of: dict[int, int], days: int,
          what: str) -> _Axis:
    pairs = frame.select(pl.col("trade_date").to_physical().alias("d"),
                         pl.col(column).to_physical().alias("i")).unique().sort("i")
    if pairs["i"].n_unique() != pairs.height:
        raise InvalidInput(f"an {what} instant belongs to two trade dates", field="intervals")
    day = np.array([day_of[d] for d in pairs["d"].to_list()], dtype=np.int64)
    return _Axis(pairs["i"].to_numpy(), day, days)


@dataclass
class _Grid:
    """One row per (resource of the day, slot of its trade date), ordered by day, resource, slot."""

    axis: _Axis
    rr: np.ndarray[Any, Any]
    slot: np.ndarray[Any, Any]
    offset: np.ndarray[Any, Any]
    """The first row of each resource of the day (``rr``)."""
    lengths: np.ndarray[Any, Any]

    @classmethod
    def of(cls, axis: _Axis, rr_day: np.ndarray[Any, Any]) -> _Grid:
        lengths = axis.count[rr_day]
        offset = np.cumsum(lengths) - lengths
        rr = np.repeat(np.arange(len(rr_day), dtype=np.int64), lengths)
        slot = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(
            axis.start[rr_day] - offset, lengths)
        return cls(axis, rr, slot, offset, lengths)

    def __len__(self) -> int:
        return len(self.rr)

    def rows_in(self, other: _Grid, other_slot: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """For each row, the row of ``other`` of the same resource of the day at the slot
        ``other_slot[slot]`` (e.g. the FMM interval of an RTD interval)."""
        return np.repeat(other.offset, self.lengths) + other.axis.local[other_slot][self.slot]


class _Index:
    """Dense integer ids of the inputs: trade dates, resources, nodes and the three axes."""

    def __init__(self, inputs: SettlementInputs) -> None:
        intervals = inputs.intervals
        self.dates = intervals["trade_date"].unique().sort()
        day_of = {d: n for n, d in enumerate(self.dates.to_physical().to_list())}
        days = len(day_of)
        if intervals["interval_start_utc"].n_unique() != intervals.height:
            raise InvalidInput("an RTD interval is listed twice", field="intervals")
        self.rtd = _axis(intervals, "interval_start_utc", day_of, days, "RTD")
        self.fmm = _axis(intervals, "fmm_start_utc", day_of, days, "FMM")
        self.hours = _axis(intervals, "hour_start_utc", day_of, days, "hour")
        by_instant = intervals.sort("interval_start_utc")
        self.fmm_of_rtd = self.fmm.index(_instants(by_instant["fmm_start_utc"]))
        self.hour_of_rtd = self.hours.index(_instants(by_instant["hour_start_utc"]))
        pairs = intervals.select("fmm_start_utc", "hour_start_utc").unique()
        if pairs.height != len(self.fmm):
            raise InvalidInput("an FMM interval lies in two hours", field="intervals")
        self.hour_of_fmm = np.empty(len(self.fmm), dtype=np.int64)
        self.hour_of_fmm[self.fmm.index(_instants(pairs["fmm_start_utc"]))] = self.hours.index(
            _instants(pairs["hour_start_utc"]))

        resources = inputs.resources
        self.names = resources["resource_id"].drop_nulls().unique().sort()
        self.enum = pl.Enum(self.names)
        on_days = resources.filter(pl.col("trade_date").is_in(self.dates.implode())).sort(
            "trade_date", "resource_id")
        if on_days.select("trade_date", "resource_id").is_duplicated().any():
            raise InvalidInput("a resource is listed twice for a trade date", field="resources")
        self.resources = on_days.select(
            "trade_date", "resource_id", "scid", "node",
            pl.col("resource_id").cast(self.enum).to_physical().cast(pl.Int64).alias("rid"))
        self.rr_day = np.array([day_of[d] for d in
                                on_days["trade_date"].to_physical().to_list()], dtype=np.int64)
        self.rr_rid = self.resources["rid"].to_numpy()
        self.rr_of = np.full(days * len(self.names), -1, dtype=np.int64)
        self.rr_of[self.rr_day * len(self.names) + self.rr_rid] = np.arange(on_days.height)
        self.every_day = on_days.height == days * len(self.names)
        self.by_rr = self.resources.with_row_index("rr").with_columns(pl.col("rr").cast(pl.Int64))
        """The resources of the day by their row number ``rr``."""
        nodes = pl.concat([inputs.prices["node"], resources["node"]]).drop_nulls().unique()
        self.nodes = pl.Enum(nodes.sort())
        self.node_count = nodes.len()
        self.rr_node = self.resources["node"].cast(self.nodes).to_physical().cast(
            pl.Int64).fill_null(-1).to_numpy()

    def resource_ids(self, frame: pl.DataFrame, name: str) -> np.ndarray[Any, Any]:
        """Resource ids of ``frame`` (−1 for null); an unknown resource is refused."""
        ids = frame["resource_id"].cast(self.enum, strict=False)
        unknown = frame.filter(ids.is_null() & frame["resource_id"].is_not_null())
        if unknown.height:
            names = sorted(unknown["resource_id"].unique().to_list())
            raise InvalidInput(f"resource(s) without a SCID and node on the day: "
                               f"{', '.join(names[:5])}", field=name)
        return ids.to_physical().cast(pl.Int64).fill_null(-1).to_numpy()

    def positions(self, grid: _Grid, rid: np.ndarray[Any, Any], slot: np.ndarray[Any, Any]
                  ) -> np.ndarray[Any, Any]:
        """Each input row's row of ``grid`` (−1: its resource is not settled that day)."""
        ok = (rid >= 0) & (slot >= 0)
        axis = grid.axis
        if self.every_day:  # every resource on every trade date: rr = day × R + rid
            day_first = grid.offset[np.arange(len(axis.count)) * len(self.names)]
            first = (day_first[axis.day] + axis.local)[slot]
            return np.where(ok, first + rid * axis.count[axis.day][slot], -1)
        rr = self.rr_of[(axis.day * len(self.names))[slot] + rid]
        return np.where(ok & (rr >= 0), grid.offset[rr] + axis.local[slot], -1)


def _scatter(size: int, position: np.ndarray[Any, Any], name: str,
             columns: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]
             ) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """Input rows → grid columns (value, present); one row per (resource, interval) at most."""
    ok = position >= 0
    at = position[ok]
    seen = np.zeros(size, dtype=bool)
    seen[at] = True
    if int(seen.sum()) != len(at):
        raise InvalidInput("more than one row for a resource and interval", field=name)
    out = {}
    for column, (values, valid) in columns.items():
        value = np.zeros(size, dtype=np.int64)
        present = np.zeros(size, dtype=bool)
        value[at] = values[ok]
        present[at] = valid[ok]
        out[column] = (value, present)
    return out


def _prices(index: _Index, prices: pl.DataFrame, market: str, axis: _Axis
            ) -> tuple[dict[str, np.ndarray[Any, Any]], np.ndarray[Any, Any]]:
    """The market's price parts as dense arrays over (node, slot), and where one exists."""
    table = prices.filter(pl.col("market") == market)
    node = table["node"].cast(index.nodes).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
    slot = axis.index(_instants(table["interval_start_utc"]))
    ok = (node >= 0) & (slot >= 0)
    key = node[ok] * len(axis) + slot[ok]
    size = index.node_count * len(axis)
    if np.bincount(key, minlength=size).max(initial=0) > 1:
        raise InvalidInput(f"two {market} prices for a node and interval", field="prices")
    parts: dict[str, np.ndarray[Any, Any]] = {}
    found = np.zeros(size, dtype=bool)
    for column in ("lmp", "energy", "congestion", "loss"):
        values, valid = _micro_np(table, column, "prices")
        parts[column] = np.zeros(size, dtype=np.int64)
        parts[column][key] = values[ok]
        if column == "lmp":
            found[key] = valid[ok]
    return parts, found


def _price_rows(index: _Index, prices: pl.DataFrame, market: str, axis: _Axis,
                rr: np.ndarray[Any, Any], slot: np.ndarray[Any, Any],
                columns: tuple[str, ...] = ("lmp", "energy", "congestion", "loss")
                ) -> dict[str, np.ndarray[Any, Any]]:
    """The price parts of the market at each row's node and slot; refuse a missing price."""
    parts, found = _prices(index, prices, market, axis)
    node = index.rr_node[rr]
    key = np.where(node >= 0, node * len(axis) + slot, 0)
    ok = found[key] & (node >= 0)
    if not bool(ok.all()):
        gaps = np.flatnonzero(~ok)
        first = int(gaps[0])
        at = axis.series(slot[first:first + 1], "at")[0]
        raise MissingPrice(f"{len(gaps)} {market} price(s) missing, e.g. at "
                           f"{index.resources['node'][int(rr[first])]} {at:%Y-%m-%dT%H:%MZ}",
                           field="prices")
    return {f"p_{column}": parts[column][key] for column in columns}


# --- small frames: virtual bids, trades (a few rows per hour) ------------------------------


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
        *[_micro(c).cast(pl.Int64).alias(f"p_{c}") for c in columns])
    joined = frame.join(table, on=[node, at], how="left")
    gaps = joined.filter(pl.col("p_lmp").is_null())
    if gaps.height:
        first = gaps.row(0, named=True)
        raise MissingPrice(f"{gaps.height} {market} price(s) missing, e.g. at {first[node]} "
                           f"{first[at]:%Y-%m-%dT%H:%MZ}", field="prices")
    return joined


def _lines_frame(frame: pl.DataFrame, code: str, component: str, kind: str, subject: str,
                 price: str, q: str = "q") -> pl.DataFrame:
    """Interval rows of a small source → one pre-summed row per line key of one charge code."""
    return frame.group_by(
        "trade_date", pl.col("scid").alias("account"), pl.col(subject).alias("subject"),
    ).agg(pl.col(q).cast(I128).sum().alias("q"),
          (pl.col(q).cast(I128) * pl.col(price)).sum().alias("num"),
          pl.len().alias("intervals")).select(
        "trade_date", "account", pl.lit(code).alias("charge_code"),
        pl.lit(component).alias("component"), pl.lit(kind).alias("subject_kind"), "subject",
        "q", "num", "intervals", *[pl.lit(0, dtype=I128).alias(c) for c in EXTRA])


def _per_resource(index: _Index, sums: pl.DataFrame, code: str, component: str,
                  num: str = "num", extras: bool = False) -> pl.DataFrame:
    """Sums per resource of the day (``rr``) → one pre-summed row per line key."""
    return sums.join(index.by_rr, on="rr").select(
        "trade_date", pl.col("scid").alias("account"), pl.lit(code).alias("charge_code"),
        pl.lit(component).alias("component"), pl.lit("RESOURCE").alias("subject_kind"),
        pl.col("resource_id").alias("subject"), "q", pl.col(num).alias("num"), "intervals",
        *[(pl.col(c) if extras else pl.lit(0)).cast(I128).alias(c) for c in EXTRA])


def _sums(frame: pl.LazyFrame, q: str, prices: dict[str, str],
          extras: tuple[str, ...] = ()) -> pl.LazyFrame:
    """Σ q, Σ q·p (Int128) and the interval count per resource of the day (rows sorted by rr)."""
    return frame.group_by("rr", maintain_order=True).agg(
        pl.col(q).cast(I128).sum().alias("q"),
        *[(pl.col(q).cast(I128) * pl.col(p)).sum().alias(name) for name, p in prices.items()],
        *[pl.col(c).cast(I128).sum() for c in extras],
        pl.len().alias("intervals"))


def _frame(columns: dict[str, np.ndarray[Any, Any]]) -> pl.DataFrame:
    return pl.DataFrame({name: pl.Series(name, values) for name, values in columns.items()})


# --- the computation ----------------------------------------------------------------------


GROUP_RESOURCE_INTERVALS = 1_500_000
"""About this many RTD resource-intervals are settled together (a few trade dates of a
large market). A month in one piece needs gigabytes of fresh memory, and touching it
first cost as much time as the computing itself; groups reuse the previous one's."""


def settle(inputs: SettlementInputs, parameters: EngineParameters, *,
           group_resource_intervals: int = GROUP_RESOURCE_INTERVALS) -> SettlementResult:
    """Compute every charge code of every trade date in ``inputs``; balanced or raise.

    Trade dates are independent, so a long period is settled a few consecutive
    trade dates at a time and the results are put together.

    Example::

        result = settle(inputs, EngineParameters(Decimal("0.005"), Decimal("1000")))
        assert set(result.totals().values()) == {Decimal("0.00")}
    """
    days = inputs.trade_dates()
    per_day = max(1, inputs.rtd_dispatch.height // max(1, len(days)))
    size = max(1, group_resource_intervals // per_day)
    if len(days) <= size:
        return _settle_together(inputs, parameters)
    groups = [inputs.for_days(days[start:start + size]) for start in range(0, len(days), size)]
    for name, frame in inputs.sources().items():
        if sum(getattr(group, name).height for group in groups) != frame.height:
            # Rows outside every trade date: the whole gets the engine's own answer.
            return _settle_together(inputs, parameters)
    return _combined([_settle_together(group, parameters) for group in groups])


def _combined(results: list[SettlementResult]) -> SettlementResult:
    """Results of consecutive groups of trade dates, in date order, as one."""
    detail = {
        name: pl.concat([r.detail[name] for r in results]).with_columns(
            pl.col("trade_date").set_sorted())
        for name in results[0].detail
    }
    return SettlementResult(
        lines=pl.concat([r.lines for r in results]).with_columns(
            pl.col("trade_date").set_sorted()),
        detail=detail,
        missing_reads=pl.concat([r.missing_reads for r in results]),
        pools={day: pool for r in results for day, pool in r.pools.items()},
    )


def _settle_together(inputs: SettlementInputs, parameters: EngineParameters
                     ) -> SettlementResult:
    index = _Index(inputs)
    hour_grid = _Grid.of(index.hours, index.rr_day)
    fmm_grid = _Grid.of(index.fmm, index.rr_day)
    rtd_grid = _Grid.of(index.rtd, index.rr_day)

    # The four resource sources on their grids (unknown resources refused first).
    da_rid = index.resource_ids(inputs.da_awards, "da_awards")
    fmm_rid = index.resource_ids(inputs.fmm_schedules, "fmm_schedules")
    rtd_rid = index.resource_ids(inputs.rtd_dispatch, "rtd_dispatch")
    meter_rid = index.resource_ids(inputs.meter, "meter")
    da_in = _scatter(len(hour_grid), index.positions(
        hour_grid, da_rid, index.hours.index(_instants(inputs.da_awards["interval_start_utc"]))),
        "da_awards", {"da": _micro_np(inputs.da_awards, "energy_mw", "da_awards")})
    fmm_in = _scatter(len(fmm_grid), index.positions(
        fmm_grid, fmm_rid, index.fmm.index(_instants(
            inputs.fmm_schedules["interval_start_utc"]))),
        "fmm_schedules", {"fmm": _micro_np(inputs.fmm_schedules, "dispatch_mw",
                                           "fmm_schedules")})
    rtd_in = _scatter(len(rtd_grid), index.positions(
        rtd_grid, rtd_rid, index.rtd.index(_instants(inputs.rtd_dispatch["interval_start_utc"]))),
        "rtd_dispatch", {"rtd": _micro_np(inputs.rtd_dispatch, "dispatch_mw", "rtd_dispatch"),
                         "expected": _micro_np(inputs.rtd_dispatch, "expected_energy_mwh",
                                               "rtd_dispatch")})

    # Day-ahead: resource schedules per hour (q in MW·min, supply −).
    da_value, da_present = da_in["da"]
    da_q = da_value * -60
    da_at = np.flatnonzero(da_present & (da_q != 0))
    da_rr, da_hour = hour_grid.rr[da_at], hour_grid.slot[da_at]
    da_prices = _price_rows(index, inputs.prices, "DAM", index.hours, da_rr, da_hour)
    da_rows = _frame({"rr": da_rr, "slot": da_hour, "q": da_q[da_at], **da_prices})
    hours = _hours(inputs.intervals)
    virtual_da = (inputs.virtuals.rename({"interval_start_utc": "hour_start_utc"})
                  .join(hours, on="hour_start_utc")
                  .with_columns((_micro("mw").cast(pl.Int64) * -60).alias("q"))
                  .filter(pl.col("q") != 0))
    virtual_da = _priced(virtual_da, inputs.prices, "DAM", "location", "hour_start_utc",
                         parts=True)

    # Inter-SC trades: seller −MWh, buyer +MWh at the DA LMP of the location.
    trades = (inputs.trades.rename({"interval_start_utc": "hour_start_utc"})
              .join(hours, on="hour_start_utc"))
    trade_rows = pl.concat([
        trades.select("trade_date", "hour_start_utc", "location",
                      pl.col("seller_scid").alias("scid"),
                      (pl.col("location") + "/" + pl.col("buyer_scid")).alias("subject"),
                      (_micro("mw").cast(pl.Int64) * -60).alias("q")),
        trades.select("trade_date", "hour_start_utc", "location",
                      pl.col("buyer_scid").alias("scid"),
                      (pl.col("location") + "/" + pl.col("seller_scid")).alias("subject"),
                      (_micro("mw").cast(pl.Int64) * 60).alias("q")),
    ]).filter(pl.col("q") != 0)
    trade_rows = _priced(trade_rows, inputs.prices, "DAM", "location", "hour_start_utc",
                         parts=False)

    # FMM: schedule (DA where no FMM instruction) per 15 minutes.
    da_filled = np.where(da_present, da_value, 0)
    fmm_da = da_filled[fmm_grid.rows_in(hour_grid, index.hour_of_fmm)]
    fmm_value, fmm_present = fmm_in["fmm"]
    fmm_mw = np.where(fmm_present, fmm_value, fmm_da)
    fmm_q = (fmm_da - fmm_mw) * 15
    fmm_at = np.flatnonzero(fmm_q != 0)
    fmm_rr, fmm_slot = fmm_grid.rr[fmm_at], fmm_grid.slot[fmm_at]
    fmm_prices = _price_rows(index, inputs.prices, "FMM", index.fmm, fmm_rr, fmm_slot,
                             ("lmp", "congestion", "loss"))
    fmm_rows = _frame({"rr": fmm_rr, "slot": fmm_slot, "da": fmm_da[fmm_at],
                       "fmm": fmm_mw[fmm_at], "q": fmm_q[fmm_at], **fmm_prices})
    liquidation = (inputs.virtuals.rename({"interval_start_utc": "hour_start_utc"})
                   .join(_fmm(inputs.intervals), on="hour_start_utc")
                   .with_columns((_micro("mw").cast(pl.Int64) * 15).alias("q"))
                   .filter(pl.col("q") != 0))
    liquidation = _priced(liquidation, inputs.prices, "FMM", "location", "fmm_start_utc",
                          parts=True)

    # RTD and uninstructed imbalance per 5 minutes.
    meter = inputs.meter
    meter_at = index.positions(rtd_grid, meter_rid,
                               index.rtd.index(_instants(meter["interval_start_utc"])))
    kept = meter_at >= 0
    size = len(rtd_grid)
    reads = np.bincount(meter_at[kept], minlength=size)
    mwh, _ = _micro_np(meter, "mwh", "meter")
    gen = np.zeros(size, dtype=np.int64)
    load = np.zeros(size, dtype=np.int64)
    measurement = meter["measurement"]
    estimated_rows = meter["estimated"].fill_null(False).to_numpy()
    is_estimated = np.zeros(size, dtype=bool)
    for target, kind in ((gen, "GEN"), (load, "LOAD")):
        rows = kept & (measurement == kind).fill_null(False).to_numpy()
        if reads.max(initial=0) <= 1:
            target[meter_at[rows]] = mwh[rows]
        else:
            np.add.at(target, meter_at[rows], mwh[rows])
    is_estimated[meter_at[kept & estimated_rows]] = True
    is_missing = reads == 0

    rtd_value, rtd_present = rtd_in["rtd"]
    expected_value, expected_present = rtd_in["expected"]
    grid5 = pl.DataFrame({
        "rr": rtd_grid.rr, "slot": rtd_grid.slot,
        "fmm": fmm_mw[rtd_grid.rows_in(fmm_grid, index.fmm_of_rtd)],
        "rtd_raw": rtd_value, "has_rtd": rtd_present, "expected_raw": expected_value,
        "has_expected": expected_present, "gen": gen, "load": load,
        "is_missing": is_missing, "is_estimated": is_estimated,
    }).with_columns(
        pl.when("has_rtd").then("rtd_raw").otherwise("fmm").alias("rtd"),
    ).with_columns(
        pl.when("has_expected").then(pl.col("expected_raw") * 60)
        .otherwise(pl.col("rtd") * 5).alias("expected_mm"),
    ).with_columns(
        pl.when("is_missing").then("expected_mm")
        .otherwise((pl.col("gen") - pl.col("load")) * 60).alias("metered_mm"),
        pl.when("is_missing").then((pl.col("expected_mm") * -1).clip(lower_bound=0))
        .otherwise(pl.col("load") * 60).alias("demand_mm"),
        ((pl.col("fmm") - pl.col("rtd")) * 5).alias("q_rtd"),
    ).with_columns((pl.col("expected_mm") - pl.col("metered_mm")).alias("q_uie"))
    missing_rr = grid5.filter("is_missing")
    missing = pl.DataFrame({
        "trade_date": index.resources["trade_date"].gather(missing_rr["rr"]),
        "resource_id": index.resources["resource_id"].gather(missing_rr["rr"]),
        "scid": index.resources["scid"].gather(missing_rr["rr"]),
        "interval_start_utc": index.rtd.series(missing_rr["slot"].to_numpy(),
                                               "interval_start_utc")})
    if missing.height and parameters.missing_meter == "refuse":
        raise MissingMeterData(missing)
    demand = (grid5.lazy().group_by("rr", maintain_order=True)
              .agg(pl.col("demand_mm").cast(I128).sum())
              .join(index.by_rr.lazy(), on="rr")
              .group_by("trade_date", "scid").agg(pl.col("demand_mm").sum()).collect())
    rt_rows = grid5.filter((pl.col("q_rtd") != 0) | (pl.col("q_uie") != 0)
                           | pl.col("is_missing") | pl.col("is_estimated")).select(
        "rr", "slot", "fmm", "rtd", "expected_mm", "metered_mm",
        pl.col("is_missing").cast(pl.Int64).alias("missing"),
        pl.col("is_estimated").cast(pl.Int64).alias("estimated"), "q_rtd", "q_uie")
    del grid5
    rt_prices = _price_rows(index, inputs.prices, "RTD", index.rtd, rt_rows["rr"].to_numpy(),
                            rt_rows["slot"].to_numpy(), ("lmp", "congestion", "loss"))
    rt_rows = rt_rows.with_columns(pl.Series(k, v) for k, v in rt_prices.items())

    # Sums per resource of the day: one plan, collected once.
    sorted_rr = pl.col("rr").set_sorted()
    da_lazy = da_rows.lazy().with_columns(sorted_rr)
    fmm_lazy = fmm_rows.lazy().with_columns(sorted_rr)
    rt_lazy = rt_rows.lazy().with_columns(sorted_rr)
    (da_sums, fmm_sums, rtd_sums, uie_sums, rt_pool) = pl.collect_all([
        _sums(da_lazy, "q", {"energy": "p_energy", "congestion": "p_congestion",
                             "loss": "p_loss"}),
        _sums(fmm_lazy, "q", {"num": "p_lmp", "c": "p_congestion", "l": "p_loss"}),
        _sums(rt_lazy.filter(pl.col("q_rtd") != 0), "q_rtd", {"num": "p_lmp"}),
        _sums(rt_lazy, "q_uie", {"num": "p_lmp"}, ("metered_mm", "expected_mm", "missing",
                                                   "estimated")),
        rt_lazy.group_by("rr", maintain_order=True).agg(
            ((pl.col("q_rtd") + pl.col("q_uie")).cast(I128) * pl.col("p_congestion")).sum()
            .alias("c"),
            ((pl.col("q_rtd") + pl.col("q_uie")).cast(I128) * pl.col("p_loss")).sum()
            .alias("l")),
    ])

    parts: list[pl.DataFrame] = []
    for component in (codes.ENERGY, codes.CONGESTION, codes.LOSS):
        parts.append(_per_resource(index, da_sums, codes.DA_ENERGY, component,
                                   num=component.lower()))
        parts.append(_lines_frame(virtual_da, codes.DA_ENERGY, component, "VIRTUAL", "location",
                                  f"p_{component.lower()}"))
    eligible = _per_resource(index, da_sums.with_columns(pl.col("loss") * -1),
                             codes.LOSS_ADJUSTMENT, codes.LOSS, num="loss").join(
        inputs.loss_eligible.select("trade_date", pl.col("scid").alias("account"),
                                    pl.col("resource_id").alias("subject")),
        on=["trade_date", "account", "subject"])
    parts.append(eligible)
    parts.append(_lines_frame(trade_rows, codes.INTER_SC_TRADE, codes.TOTAL, "TRADE", "subject",
                              "p_lmp"))
    parts.append(_per_resource(index, fmm_sums, codes.FMM_INSTRUCTED, codes.TOTAL))
    parts.append(_lines_frame(liquidation, codes.VIRTUAL_LIQUIDATION, codes.TOTAL, "VIRTUAL",
                              "location", "p_lmp"))
    parts.append(_per_resource(index, rtd_sums, codes.RTD_INSTRUCTED, codes.TOTAL))
    parts.append(_per_resource(index, uie_sums, codes.RT_UNINSTRUCTED, codes.TOTAL,
                               extras=True))

    # Real-time pool parts (congestion, loss) from the same quantities, exact.
    rr_dates = index.by_rr.select("rr", "trade_date")
    rt_parts = pl.concat([
        fmm_sums.select("rr", "c", "l"),
        rt_pool.select("rr", "c", "l"),
    ]).join(rr_dates, on="rr").select("trade_date", "c", "l")
    rt_parts = pl.concat([
        rt_parts,
        liquidation.select("trade_date", (pl.col("q").cast(I128) * pl.col("p_congestion"))
                           .alias("c"),
                           (pl.col("q").cast(I128) * pl.col("p_loss")).alias("l")),
    ]).group_by("trade_date").agg(pl.col("c").sum(), pl.col("l").sum())

    interval_lines = _finish(pl.concat(parts).group_by(KEY).agg(
        pl.col("q").sum(), pl.col("num").sum(),
        pl.col("intervals").sum().cast(pl.UInt32), *[pl.col(c).sum() for c in EXTRA]))
    fee_lines = _fee_lines(inputs, parameters)
    sc_lines = pl.concat([interval_lines, fee_lines], how="vertical_relaxed")
    allocation_lines, pools = _allocations(sc_lines, rt_parts, demand)
    sc_lines = pl.concat([sc_lines, allocation_lines], how="vertical_relaxed")
    lines = pl.concat([sc_lines, _iso_lines(sc_lines)], how="vertical_relaxed").sort(
        "trade_date", "account", "charge_code", "component", "subject_kind", "subject")
    check_balanced(lines)
    detail = _detail(index, da_rows, virtual_da, fmm_rows, liquidation, rt_rows, trade_rows)
    return SettlementResult(lines=lines, detail=detail, missing_reads=missing, pools=pools)


def _detail(index: _Index, da_rows: pl.DataFrame, virtual_da: pl.DataFrame,
            fmm_rows: pl.DataFrame, liquidation: pl.DataFrame, rt_rows: pl.DataFrame,
            trade_rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The interval rows behind the lines (integers of 1e-6), ordered by trade date."""
    resources = index.resources

    def keys(rows: pl.DataFrame, kind: bool = True) -> list[pl.Series]:
        rr = rows["rr"]
        return [resources["trade_date"].gather(rr), resources["scid"].gather(rr),
                *([pl.repeat("RESOURCE", rows.height, eager=True).alias("subject_kind")]
                  if kind else []),
                resources["resource_id"].gather(rr).alias("subject")]

    def slots(axis: _Axis, rows: pl.DataFrame, name: str, column: str = "slot") -> pl.Series:
        return axis.series(rows[column].to_numpy(), name)

    da = pl.DataFrame([*keys(da_rows), slots(index.hours, da_rows, "hour_start_utc"), da_rows["q"],
        da_rows["p_lmp"], da_rows["p_energy"], da_rows["p_congestion"], da_rows["p_loss"]])
    fmm = pl.DataFrame([*keys(fmm_rows), slots(index.fmm, fmm_rows, "fmm_start_utc"),
                        fmm_rows["da"], fmm_rows["fmm"], fmm_rows["q"], fmm_rows["p_lmp"]])
    rtd = pl.DataFrame([*keys(rt_rows, kind=False),
                        slots(index.rtd, rt_rows, "interval_start_utc"),
                        *[rt_rows[c] for c in ("fmm", "rtd", "expected_mm", "metered_mm",
                                               "missing", "estimated", "q_rtd", "q_uie",
                                               "p_lmp")]])
    return {
        "da": pl.concat([da, virtual_da.select(
            "trade_date", "scid", pl.lit("VIRTUAL").alias("subject_kind"),
            pl.col("location").alias("subject"), "hour_start_utc", "q", "p_lmp", "p_energy",
            "p_congestion", "p_loss")]).sort("trade_date", maintain_order=True),
        "fmm": pl.concat([fmm, liquidation.select(
            "trade_date", "scid", pl.lit("VIRTUAL").alias("subject_kind"),
            pl.col("location").alias("subject"), "fmm_start_utc",
            pl.lit(0, dtype=pl.Int64).alias("da"), pl.lit(0, dtype=pl.Int64).alias("fmm"), "q",
            "p_lmp")]).sort("trade_date", maintain_order=True),
        "rtd": rtd.with_columns(pl.col("trade_date").set_sorted()),
        "trades": trade_rows.select("trade_date", "scid", "subject", "hour_start_utc", "q",
                                    "p_lmp").sort("trade_date", maintain_order=True),
    }


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
