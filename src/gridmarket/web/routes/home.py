"""The home page: the market at a glance, or the logged-in person's own desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmarket.access.policy import Action
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import Deadline, MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.eal import ACTIVE_STATUSES
from gridmarket.network.models import Branch, NetworkModel
from gridmarket.participants import checklist
from gridmarket.participants.models import ScApplication, SchedulingCoordinator
from gridmarket.participants.notices import notices_for
from gridmarket.participants.queries import application_queue, registry
from gridmarket.resources.models import PricingNode, Resource, TransferStatus
from gridmarket.resources.transfers import list_transfers
from gridmarket.web.alerts import iso_alerts, notice_page, sc_alerts
from gridmarket.web.rendering import render
from gridmarket.web.viewer import OptionalViewer, Viewer

router = APIRouter(include_in_schema=False)

DEADLINE_LABELS = {
    "dam_open": "Day-ahead bids open",
    "dam_close": "Day-ahead bids close",
    "ist_dam_close": "Day-ahead inter-SC trades close",
    "dam_results": "Day-ahead results published",
    "dam_rerun_deadline": "Day-ahead re-run deadline",
    "rt_bid_close": "Real-time bids close",
    "ist_rt_close": "Real-time inter-SC trades close",
}


@dataclass(frozen=True)
class ShownDeadline:
    label: str
    instant_utc: datetime


def _label(deadline: Deadline) -> str:
    kind = deadline.name.rsplit("_HE", 1)[0] if deadline.hour_ending else deadline.name
    label = DEADLINE_LABELS.get(kind, deadline.name.replace("_", " "))
    return f"{label} for HE{deadline.hour_ending:02d}" if deadline.hour_ending else label


def day_ahead_deadlines(
    calendar: MarketCalendar, now: datetime
) -> tuple[date, list[ShownDeadline]]:
    """The next trade date whose day-ahead deadlines are still ahead, and those deadlines."""
    today = calendar.trade_date_of(now)
    for ahead in (1, 2):
        trade_date = today + timedelta(days=ahead)
        upcoming = [
            ShownDeadline(_label(d), d.instant_utc)
            for d in calendar.deadlines_for(trade_date)
            if d.hour_ending is None and d.instant_utc > now
        ]
        if upcoming:
            return trade_date, upcoming
    return today + timedelta(days=2), []


def real_time_deadlines(
    calendar: MarketCalendar, now: datetime, count: int = 6
) -> list[ShownDeadline]:
    """The next ``count`` real-time bid and trade deadlines."""
    today = calendar.trade_date_of(now)
    upcoming = [
        d
        for day in (today, today + timedelta(days=1))
        for d in calendar.deadlines_for(day)
        if d.hour_ending is not None and d.instant_utc > now
    ]
    return [ShownDeadline(_label(d), d.instant_utc) for d in upcoming[:count]]


def _market_overview(session: Session) -> dict[str, object]:
    resources_by_type = {
        resource_type.value: count
        for resource_type, count in session.execute(
            select(Resource.resource_type, func.count()).group_by(Resource.resource_type)
        )
    }
    return {
        "network": session.scalars(select(NetworkModel)).first(),
        "pricing_nodes": session.scalar(select(func.count()).select_from(PricingNode)) or 0,
        "branches": session.scalar(select(func.count()).select_from(Branch)) or 0,
        "resources_by_type": dict(sorted(resources_by_type.items())),
    }


def _desk(session: Session, viewer: Viewer, parameters: MarketParameters,
          clock: Clock) -> dict[str, object]:
    """What the person's home page shows beyond the deadlines."""
    desk: dict[str, object] = {}
    if viewer.is_iso:
        if viewer.may(Action.REVIEW_APPLICATION):
            desk["queue"] = application_queue(session, open_only=True)
        if viewer.may(Action.APPROVE_TRANSFER):
            desk["pending_transfers"] = list_transfers(
                session, viewer.principal, status=TransferStatus.SUBMITTED
            )
        desk["coordinators"] = registry(session)
        desk["alerts"] = iso_alerts(session, viewer, parameters, clock)
        return desk
    if viewer.coordinator_id is not None:
        coordinator = session.get(SchedulingCoordinator, viewer.coordinator_id)
        desk["coordinator"] = coordinator
        desk["notices"] = [(n, notice_page(n.kind, viewer.coordinator_id))
                           for n in notices_for(session, viewer.coordinator_id)[:5]]
        if coordinator is not None and coordinator.status in ACTIVE_STATUSES:
            desk["alerts"] = sc_alerts(session, viewer, parameters, clock)
    if viewer.application_id is not None:
        application = session.get(ScApplication, viewer.application_id)
        assert application is not None
        desk["application"] = application
        desk["outstanding"] = checklist.outstanding_items(application)
    return desk


@router.get("/")
def home(
    request: Request,
    viewer: OptionalViewer,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> Response:
    """The market overview for visitors; the person's desk once logged in."""
    calendar = MarketCalendar(parameters)
    now = clock.now()
    trade_date, day_ahead = day_ahead_deadlines(calendar, now)
    context: dict[str, object] = {
        "next_trade_date": trade_date,
        "day_ahead": day_ahead,
        "real_time": real_time_deadlines(calendar, now),
        "now": now,
    }
    if viewer is None:
        context.update(_market_overview(session), coordinators=registry(session))
        return render(request, "home.html", context, viewer=None)
    year = calendar.trade_date_of(now).year
    officer_due = calendar.officer_certification_due(year)
    if calendar.trade_date_of(now) > officer_due:
        officer_due = calendar.officer_certification_due(year + 1)
    context.update(_desk(session, viewer, parameters, clock),
                   officer_certification_due=officer_due)
    return render(request, "desk.html", context, viewer=viewer)
