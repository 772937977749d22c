"""Public prices: LMPs of a day, the price map of one interval with its binding branches,
and the system load of the day ahead against real time."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.calendar import MarketCalendar
from gridmarket.errors import NotFound
from gridmarket.markets import results
from gridmarket.markets.forecasts import area_load_forecast
from gridmarket.markets.models import ForecastHorizon
from gridmarket.markets.run_models import MarketBindingBranch, MarketKind, MarketPrice
from gridmarket.markets.runs import published_run
from gridmarket.network.models import Branch, NetworkModel
from gridmarket.resources.queries import list_pricing_nodes
from gridmarket.web.charts import BusPoint, Link, line_chart, network_map
from gridmarket.web.rendering import render
from gridmarket.web.viewer import OptionalViewer

router = APIRouter(include_in_schema=False)

LOW_COLOUR = (11, 92, 173)
HIGH_COLOUR = (181, 71, 11)
ZERO_COLOUR = (125, 125, 125)
"""Congestion colours diverge from grey at zero (3:1 against white, as the other two)."""
PRICE_MARKETS = (MarketKind.DAM, MarketKind.FMM, MarketKind.RTD)


class ColourBy(enum.StrEnum):
    """What colours the buses of the price map."""

    LMP = "lmp"
    MCC = "mcc"

    @property
    def label(self) -> str:
        return "LMP" if self is ColourBy.LMP else "congestion part (MCC)"

    def value_of(self, price: MarketPrice) -> Decimal:
        return price.lmp_usd_per_mwh if self is ColourBy.LMP else price.congestion_usd_per_mwh


@router.get("/prices")
def prices_page(request: Request, viewer: OptionalViewer, session: SessionDep,
                parameters: ParametersDep, trade_date: date | None = None,
                market: MarketKind = MarketKind.DAM, interval: int = 0,
                colour: ColourBy = ColourBy.LMP) -> Response:
    """Public prices of a day: DLAP prices, the price map of one interval, the system load."""
    day = trade_date or results.latest_published_trade_date(session)
    calendar = MarketCalendar(parameters)
    context: dict[str, object] = {
        "trade_date": day, "market": market.value, "run": None, "colour": colour.value,
        "colours": [(c.value, c.label) for c in ColourBy],
        "markets": [k.value for k in PRICE_MARKETS],
        "load": _load_chart(session, calendar, day) if day else None,
    }
    try:
        run, rows = results.public_prices(session, market, day) if day else (None, [])
    except NotFound:
        run, rows = None, []
    if run is None or not rows:
        return render(request, "prices.html", context, viewer=viewer)
    context["run"] = run
    instants = sorted({r.interval_start_utc for r in rows})
    interval = min(max(interval, 0), len(instants) - 1)
    minutes = calendar.interval_minutes(market.interval_market)
    labels = [calendar.interval_containing(i, minutes).label for i in instants]
    by_node: dict[str, list[MarketPrice]] = defaultdict(list)
    for row in rows:
        by_node[row.node].append(row)
    dlaps = sorted(n for n in by_node if n.endswith("-APND"))
    chart = line_chart([(n, [float(r.lmp_usd_per_mwh) for r in by_node[n]]) for n in dlaps],
                       labels, every=max(len(labels) // 12, 1))
    at = instants[interval]
    binding = results.binding_branches(session, run.id, at)
    context.update({
        "chart": chart, "dlaps": dlaps, "labels": labels, "interval": interval,
        "interval_label": labels[interval], "instant": at, "binding": binding,
        "table": [(labels[k], [by_node[n][k] for n in dlaps]) for k in range(len(instants))],
        "price_map": _price_map(session, {n: rs[interval] for n, rs in by_node.items()},
                                colour, binding),
        "carried_forward": sum(1 for r in rows if r.carried_forward and r.node == dlaps[0])
        if dlaps else 0,
    })
    return render(request, "prices.html", context, viewer=viewer)


def _price_map(session: Session, at: dict[str, MarketPrice], colour: ColourBy,
               binding: Sequence[MarketBindingBranch]) -> dict[str, object] | None:
    """The network with each bus coloured by its LMP or MCC, binding branches marked."""
    model = session.scalars(select(NetworkModel).order_by(NetworkModel.id)).first()
    if model is None:
        return None
    nodes = [n for n in list_pricing_nodes(session)
             if n.latitude is not None and n.longitude is not None and n.name in at]
    if not nodes:
        return None
    values = {n.bus_number: float(colour.value_of(at[n.name])) for n in nodes}
    low, high = min(values.values()), max(values.values())
    middle: float | None = None
    if colour is ColourBy.MCC:
        # Congestion raises or lowers a price: a scale symmetric around zero shows which.
        widest = max(abs(low), abs(high))
        low, high, middle = 0.0 - widest, widest, 0.0  # 0.0 - 0.0 is 0.0, not -0.0
    buses = [BusPoint(n.bus_number, _bus_label(n.name, at[n.name]), n.area, n.latitude or 0.0,
                      n.longitude or 0.0) for n in nodes]
    branches = session.scalars(select(Branch).where(Branch.network_model_id == model.id)).all()
    links = [Link(b.uid, b.from_bus, b.to_bus, "transformer" if b.is_transformer else "ac")
             for b in branches]
    return {"map": network_map(buses, links),
            "colours": {bus: _colour(v, low, high, middle) for bus, v in values.items()},
            "low": low, "high": high, "middle": middle, "title": colour.label,
            "low_colour": _colour(low, low, high), "high_colour": _colour(high, low, high),
            "middle_colour": _colour(0.0, -1.0, 1.0, 0.0),
            "binding": {b.branch: _branch_label(b) for b in binding}}


def _bus_label(node: str, price: MarketPrice) -> str:
    return (f"{node}: LMP ${price.lmp_usd_per_mwh:.2f} = energy {price.energy_usd_per_mwh:.2f}"
            f" + congestion {price.congestion_usd_per_mwh:.2f} + losses "
            f"{price.loss_usd_per_mwh:.2f}")


def _branch_label(branch: MarketBindingBranch) -> str:
    return (f"{branch.branch}: binding, flow {branch.flow_mw:,.1f} MW of a "
            f"{branch.limit_mw:,.1f} MW limit, shadow price "
            f"${branch.shadow_price_usd_per_mwh:,.2f}/MWh")


def _colour(value: float, low: float, high: float, middle: float | None = None) -> str:
    """Blue at ``low`` to orange at ``high``; through grey at ``middle`` when one is given."""
    share = 0.5 if high <= low else (value - low) / (high - low)
    start, end = LOW_COLOUR, HIGH_COLOUR
    if middle is not None:
        start, end = (LOW_COLOUR, ZERO_COLOUR) if share < 0.5 else (ZERO_COLOUR, HIGH_COLOUR)
        share = share * 2 if share < 0.5 else share * 2 - 1
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(start, end, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _load_chart(session: Session, calendar: MarketCalendar, day: date) -> dict[str, object] | None:
    """System load per hour: the day-ahead forecast, the load the DAM cleared, and the
    real-time forecast (RTD's, as an hourly mean)."""
    hours = calendar.intervals(day, "DAM")
    start, end = hours[0].start_utc, hours[-1].end_utc
    lines: list[tuple[str, dict[datetime, Decimal]]] = []
    for name, horizon in (("Day-ahead forecast", ForecastHorizon.DAY_AHEAD),
                          ("Real-time forecast (hourly mean)", ForecastHorizon.REAL_TIME)):
        by_area = area_load_forecast(session, calendar, horizon, "DAM", start, end)
        total: dict[datetime, Decimal] = defaultdict(Decimal)
        for forecasts in by_area.values():
            for instant, mw in forecasts.items():
                total[instant] += mw
        lines.append((name, total))
    dam = published_run(session, day, MarketKind.DAM)
    if dam is not None:
        lines.insert(1, ("DAM cleared load", results.cleared_load_mw(session, dam.id)))
    # A line is drawn only where it covers the whole day; a gap is not a zero.
    lines = [(name, values) for name, values in lines
             if all(h.start_utc in values for h in hours)]
    if not lines:
        return None
    labels = [h.label for h in hours]
    table = [(h.label, [values[h.start_utc] for _, values in lines]) for h in hours]
    series = [(name, [float(values[h.start_utc]) for h in hours]) for name, values in lines]
    return {"chart": line_chart(series, labels, every=2), "names": [n for n, _ in lines],
            "table": table}
