"""Market pages: an SC's bids and day-ahead awards (runs: ``market_runs``, prices: ``prices``)."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gridmarket.access.policy import Action
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.bidding import views
from gridmarket.calendar import MarketCalendar
from gridmarket.markets import award_views
from gridmarket.web.charts import LineChart, cost_curve_chart, line_chart
from gridmarket.web.rendering import render
from gridmarket.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)


@router.get("/bids")
def bids_page(request: Request, viewer: ViewerDep, session: SessionDep, clock: ClockDep,
              parameters: ParametersDep, scid: str | None = None,
              trade_date: date | None = None) -> Response:
    """The bids of one of the viewer's SCIDs for a trade date, with status and reasons."""
    chosen = scid or (viewer.scids[0] if viewer.scids else None)
    day = trade_date or MarketCalendar(parameters).trade_date_of(clock.now())
    bids = views.list_bids(session, viewer.principal, chosen, day) if chosen else []
    return render(request, "bids.html", {"bids": bids, "scid": chosen, "trade_date": day,
                                         "scids": viewer.scids,
                                         "may_bid": viewer.may(Action.SUBMIT_BIDS)},
                  viewer=viewer)


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


@router.get("/awards")
def awards_page(request: Request, viewer: ViewerDep, session: SessionDep, clock: ClockDep,
                parameters: ParametersDep, scid: str | None = None,
                trade_date: date | None = None, resource: str | None = None) -> Response:
    """An SCID's day-ahead awards for a trade date: per resource, then one resource by hour."""
    chosen = scid.strip().upper() if scid else (viewer.scids[0] if viewer.scids else None)
    calendar = MarketCalendar(parameters)
    day = trade_date or award_views.awards_day(session, calendar.trade_date_of(clock.now()))
    awards = (award_views.day_ahead_awards(session, viewer.principal, chosen, day, calendar)
              if chosen else None)
    shown = None
    charts = {}
    if awards and awards.resources:
        shown = next((r for r in awards.resources if r.resource_id == resource),
                     awards.resources[0])
        charts = _hourly_charts(shown)
    return render(request, "awards.html", {"awards": awards, "shown": shown, "scid": chosen,
                                           "trade_date": day, "scids": viewer.scids,
                                           **charts}, viewer=viewer)


def _hourly_charts(shown: award_views.ResourceAwards) -> dict[str, LineChart | None]:
    """The resource's energy award by hour, and the day-ahead LMP it is paid at."""
    labels = [f"HE{h.hour_ending}" for h in shown.hours]
    energy = [("Day-ahead award (MW)", [float(h.energy_mw) for h in shown.hours])]
    if all(h.rt_expected_mwh is not None for h in shown.hours):
        energy.append(("Real-time expected energy (MWh)",
                       [float(h.rt_expected_mwh or 0) for h in shown.hours]))
    prices = [float(h.lmp_usd_per_mwh) for h in shown.hours if h.lmp_usd_per_mwh is not None]
    return {
        "award_chart": line_chart(energy, labels, every=2, height=240),
        # An hour without a published price leaves the price chart out.
        "price_chart": line_chart([("Day-ahead LMP ($/MWh)", prices)], labels, every=2,
                                  height=240) if len(prices) == len(labels) else None,
    }
