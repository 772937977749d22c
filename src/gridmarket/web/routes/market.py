"""Market pages: public prices with a price map, an SC's bids, the ISO's market runs."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.bidding import views
from gridmarket.calendar import MarketCalendar
from gridmarket.errors import NotFound
from gridmarket.markets import results
from gridmarket.markets.run_models import MarketKind, MarketPrice
from gridmarket.network.models import Branch, NetworkModel
from gridmarket.resources.queries import list_pricing_nodes
from gridmarket.web.charts import BusPoint, Link, cost_curve_chart, line_chart, network_map
from gridmarket.web.rendering import render
from gridmarket.web.viewer import OptionalViewer, ViewerDep

router = APIRouter(include_in_schema=False)

LOW_COLOUR = (11, 92, 173)
HIGH_COLOUR = (181, 71, 11)


@router.get("/prices")
def prices_page(request: Request, viewer: OptionalViewer, session: SessionDep,
                parameters: ParametersDep, trade_date: date | None = None,
                market: MarketKind = MarketKind.DAM, interval: int = 0) -> Response:
    """Public prices of a day: DLAP prices over the day and the price map of one interval."""
    day = trade_date or results.latest_published_trade_date(session)
    context: dict[str, object] = {"trade_date": day, "market": market.value, "run": None,
                                  "markets": [k.value for k in (MarketKind.DAM, MarketKind.FMM,
                                                                MarketKind.RTD)]}
    try:
        run, rows = results.public_prices(session, market, day) if day else (None, [])
    except NotFound:
        run, rows = None, []
    if run is None or not rows:
        return render(request, "prices.html", context, viewer=viewer)
    context["run"] = run
    instants = sorted({r.interval_start_utc for r in rows})
    interval = min(max(interval, 0), len(instants) - 1)
    calendar = MarketCalendar(parameters)
    minutes = calendar.interval_minutes(market.interval_market)
    labels = [calendar.interval_containing(i, minutes).label for i in instants]
    by_node: dict[str, list[MarketPrice]] = defaultdict(list)
    for row in rows:
        by_node[row.node].append(row)
    dlaps = sorted(n for n in by_node if n.endswith("-APND"))
    chart = line_chart([(n, [float(r.lmp_usd_per_mwh) for r in by_node[n]]) for n in dlaps],
                       labels, every=max(len(labels) // 12, 1))
    at = instants[interval]
    context.update({
        "chart": chart, "dlaps": dlaps, "labels": labels, "interval": interval,
        "interval_label": labels[interval], "instant": at,
        "table": [(labels[k], [by_node[n][k] for n in dlaps]) for k in range(len(instants))],
        "price_map": _price_map(session, {n: rs[interval] for n, rs in by_node.items()}),
        "carried_forward": sum(1 for r in rows if r.carried_forward and r.node == dlaps[0])
        if dlaps else 0,
    })
    return render(request, "prices.html", context, viewer=viewer)


def _price_map(session: Session, at: dict[str, MarketPrice]) -> dict[str, object] | None:
    """The network with each bus coloured by its LMP at one interval."""
    model = session.scalars(select(NetworkModel).order_by(NetworkModel.id)).first()
    if model is None:
        return None
    nodes = [n for n in list_pricing_nodes(session)
             if n.latitude is not None and n.longitude is not None and n.name in at]
    if not nodes:
        return None
    lmps = [float(at[n.name].lmp_usd_per_mwh) for n in nodes]
    low, high = min(lmps), max(lmps)
    buses = [BusPoint(n.bus_number, _bus_label(n.name, at[n.name]), n.area, n.latitude or 0.0,
                      n.longitude or 0.0) for n in nodes]
    links = [Link(b.uid, b.from_bus, b.to_bus, "transformer" if b.is_transformer else "ac")
             for b in session.scalars(select(Branch).where(Branch.network_model_id == model.id))]
    colours = {n.bus_number: _colour(float(at[n.name].lmp_usd_per_mwh), low, high)
               for n in nodes}
    return {"map": network_map(buses, links), "colours": colours, "low": low, "high": high,
            "low_colour": _colour(low, low, high), "high_colour": _colour(high, low, high)}


def _bus_label(node: str, price: MarketPrice) -> str:
    return (f"{node}: LMP ${price.lmp_usd_per_mwh:.2f} = energy {price.energy_usd_per_mwh:.2f}"
            f" + congestion {price.congestion_usd_per_mwh:.2f} + losses "
            f"{price.loss_usd_per_mwh:.2f}")


def _colour(value: float, low: float, high: float) -> str:
    share = 0.5 if high <= low else (value - low) / (high - low)
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(LOW_COLOUR, HIGH_COLOUR,
                                                                   strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


@router.get("/bids")
def bids_page(request: Request, viewer: ViewerDep, session: SessionDep, clock: ClockDep,
              parameters: ParametersDep, scid: str | None = None,
              trade_date: date | None = None) -> Response:
    """The bids of one of the viewer's SCIDs for a trade date, with status and reasons."""
    chosen = scid or (viewer.scids[0] if viewer.scids else None)
    day = trade_date or MarketCalendar(parameters).trade_date_of(clock.now())
    bids = views.list_bids(session, viewer.principal, chosen, day) if chosen else []
    return render(request, "bids.html", {"bids": bids, "scid": chosen, "trade_date": day,
                                         "scids": viewer.scids}, viewer=viewer)


@router.get("/bids/{bid_id}")
def bid_page(request: Request, bid_id: int, viewer: ViewerDep, session: SessionDep) -> Response:
    """One bid: the raw bid next to the clean bid, each hour's curve drawn."""
    bid = views.get_bid(session, viewer.principal, bid_id)
    curves = []
    for label, content in (("Submitted", bid.raw), ("Clean", bid.clean)):
        hours = content.get("hours", []) if content else []
        if not hours or not hours[0].get("segments"):
            continue
        start, steps = 0.0, []
        for segment in hours[0]["segments"]:
            steps.append((start, float(segment["mw"]), float(segment["price"])))
            start = float(segment["mw"])
        curves.append((label, hours[0]["hour"], cost_curve_chart(steps, width=420, height=240)))
    return render(request, "bid.html", {"bid": bid, "curves": curves,
                                        "raw": json.dumps(bid.raw, indent=1),
                                        "clean": json.dumps(bid.clean, indent=1)
                                        if bid.clean else None}, viewer=viewer)


@router.get("/market-runs")
def runs_page(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    """The latest market runs and their status."""
    runs = results.list_runs(session, viewer.principal)
    return render(request, "market_runs.html", {"runs": runs}, viewer=viewer)


@router.get("/market-runs/{run_id}")
def run_page(request: Request, run_id: int, viewer: ViewerDep, session: SessionDep) -> Response:
    """A run's timings, consistency report, failure reason and published row counts (ISO)."""
    run = results.run_details(session, viewer.principal, run_id)
    return render(request, "market_run.html", {
        "run": run, "timings": json.loads(run.timings_json or "{}"),
        "consistency": json.loads(run.consistency_json or "{}"),
        "carried_forward": json.loads(run.carried_forward_json or "[]"),
        "started": _as_text(run.started_at), "finished": _as_text(run.finished_at),
    }, viewer=viewer)


def _as_text(instant: datetime | None) -> str:
    return instant.isoformat() if instant else ""

