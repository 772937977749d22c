"""The bid editor: an SC's trader enters an energy bid, checks it, and submits it.

Checking runs the intake's own checks without storing
(:func:`gridmarket.bidding.intake.check_bid_set`); submitting goes through
the same intake as ``POST /api/v1/bids`` (idempotent: the form carries its
key, so a second click returns the first bid). The page works without
script; ``static/bid_editor.js`` draws the curve as it is typed and asks
``/bids/new/check`` for the messages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.bidding.intake import check_bid_set, provisional_status, submit_bid_set
from gridmarket.bidding.schema import BidSet, MarketType, SelfScheduleType
from gridmarket.bidding.validation import Outcome
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import DomainError
from gridmarket.resources.queries import list_resources, visible_resource_filter
from gridmarket.web.bid_form import BidForm, finding_errors, segment_field
from gridmarket.web.charts import cost_curve_chart
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt, text
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]
MAX_RESOURCES_LISTED = 500
LABELS = {"scid": "SCID", "market": "Market", "trade_date": "Trade date",
          "resource": "Resource", "hour_from": "First hour", "hour_to": "Last hour",
          "segments": "Curve", "self_schedule_mw": "Self-schedule MW",
          "self_schedule_type": "Self-schedule type"}


@dataclass
class Checked:
    """The form's bid set and what the intake's checks say of it."""

    bid_set: BidSet | None
    errors: dict[str, str] = field(default_factory=dict)
    outcome: Outcome | None = None

    @property
    def acceptable(self) -> bool:
        """Parsed, on time, and not Invalid: the intake will store it with a status."""
        return (self.bid_set is not None and not self.errors and self.outcome is not None
                and not self.outcome.invalid)

    def summary(self) -> dict[str, Any] | None:
        if self.outcome is None:
            return None
        return {"status": provisional_status(self.outcome).value,
                "reasons": [f.as_dict() for f in self.outcome.findings]}


def _check(session: Session, viewer: Viewer, form: BidForm, parameters: MarketParameters,
           clock: Clock) -> Checked:
    bid_set, errors = form.bid_set()
    if bid_set is None:
        return Checked(None, errors)
    try:
        [outcome] = check_bid_set(session, viewer.principal, bid_set, parameters=parameters,
                                  clock=clock)
    except DomainError as error:
        session.rollback()
        # The SCID's standing, or hours that are closed or do not exist on the date.
        where = "scid" if error.field == "scid" else "hour_from"
        return Checked(bid_set, {where: error.message})
    return Checked(bid_set, finding_errors(outcome.findings), outcome)


def _page(request: Request, session: Session, viewer: Viewer, parameters: MarketParameters,
          clock: Clock, form: BidForm, key: str, checked: Checked | None = None,
          problem: Problem | None = None, status_code: int = 200) -> Response:
    errors = dict(checked.errors) if checked else {}
    if problem is not None:
        errors.setdefault(problem.field if problem.field in LABELS else "form", problem.message)
    labels = dict(LABELS)
    for index in range(1, form.rows + 1):
        labels[segment_field(index, "mw")] = f"Step {index} MW"
        labels[segment_field(index, "price")] = f"Step {index} price"
    resources = list_resources(
        session, visible=visible_resource_filter(viewer.principal, clock.now()),
        limit=MAX_RESOURCES_LISTED).items
    return render(request, "bid_new.html", {
        "values": form.values, "rows": range(1, form.rows + 1), "errors": errors,
        "labels": labels, "idempotency_key": key, "scids": [(s, s) for s in viewer.scids],
        "markets": [(m.value, m.value) for m in MarketType],
        "self_schedule_types": [(t.value, t.value) for t in SelfScheduleType],
        "resources": [r.resource_id for r in resources],
        "checked": checked.summary() if checked else None,
        "chart": _chart(form), "max_segments": parameters.bids.max_segments,
    }, viewer=viewer, status_code=status_code)


def _chart(form: BidForm) -> object:
    """The curve as typed, drawn from 0 MW (rows that are not numbers are left out)."""
    steps, start = [], 0.0
    for _, mw, price in form.segments():
        try:
            end, value = float(mw), float(price)
        except ValueError:
            continue
        steps.append((start, end, value))
        start = end
    return cost_curve_chart(steps, width=520, height=260)


@router.get("/bids/new")
def new_bid_page(request: Request, viewer: ViewerDep, session: SessionDep,
                 parameters: ParametersDep, clock: ClockDep, scid: str | None = None,
                 market: MarketType = MarketType.DAM, trade_date: date | None = None,
                 resource: str = "") -> Response:
    """An empty energy bid for one of the viewer's SCIDs (the next trade day, HE1-HE24)."""
    authorize(viewer.principal, Action.SUBMIT_BIDS)
    day = trade_date or MarketCalendar(parameters).trade_date_of(clock.now()) + timedelta(days=1)
    form = BidForm.read({"scid": scid or (viewer.scids[0] if viewer.scids else ""),
                         "market": market.value, "trade_date": day.isoformat(),
                         "resource": resource, "hour_from": "1", "hour_to": "24"},
                        rows=parameters.bids.max_segments)
    return _page(request, session, viewer, parameters, clock, form, uuid.uuid4().hex)


@router.post("/bids/new")
def submit_new_bid(request: Request, viewer: ViewerDep, session: SessionDep,
                   parameters: ParametersDep, clock: ClockDep, form: CheckedForm) -> Response:
    """Check the bid (``action=check``), or submit it and go to its page (``action=submit``)."""
    bid_form = BidForm.read(form, rows=parameters.bids.max_segments)
    key = text(form, "idempotency_key") or uuid.uuid4().hex
    checked = _check(session, viewer, bid_form, parameters, clock)
    if text(form, "action") != "submit" or not checked.acceptable:
        status = 422 if checked.errors else 200
        return _page(request, session, viewer, parameters, clock, bid_form, key, checked,
                     status_code=status)
    assert checked.bid_set is not None
    bid_set = checked.bid_set
    outcome = attempt(session, lambda: submit_bid_set(
        session, viewer.principal, bid_set, body_sha256=bid_form.digest(bid_set),
        source_format="form", idempotency_key=key, parameters=parameters, clock=clock))
    if isinstance(outcome, Problem):
        # A key used before for another bid (the form was sent, then changed): a new key.
        fresh = uuid.uuid4().hex if outcome.field == "Idempotency-Key" else key
        return _page(request, session, viewer, parameters, clock, bid_form, fresh, checked,
                     problem=outcome, status_code=outcome.status_code)
    [stored] = outcome.response["bids"]
    words = stored["status"].replace("_", " ").lower()
    return see_other(request, f"/bids/{stored['bid_id']}",
                     f"Bid {stored['bid_id']} stored: {words}.")


@router.post("/bids/new/check")
def check_new_bid(viewer: ViewerDep, session: SessionDep, parameters: ParametersDep,
                  clock: ClockDep, form: CheckedForm) -> JSONResponse:
    """The messages the form would show, by field, and the status the bid would get."""
    checked = _check(session, viewer, BidForm.read(form, rows=parameters.bids.max_segments),
                     parameters, clock)
    return JSONResponse({"errors": checked.errors, "checked": checked.summary()},
                        headers={"Cache-Control": "no-store"})
