"""Bids: submit a bid set (JSON, or a CSV/XML file), see bids raw and clean, cancel, close.

The JSON route reads the raw body: it is validated straight from bytes (the
first validation stage) and its SHA-256 binds the idempotency key. A repeated
``Idempotency-Key`` with the same body answers 200 with the first result and
``Idempotent-Replayed: true``; with another body, 409.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

import anyio
from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, require
from gridmarket.bidding import views
from gridmarket.bidding.cancellation import cancel_bid
from gridmarket.bidding.intake import (
    SubmissionOutcome,
    check_bid_set,
    previous_submission,
    provisional_status,
    submit_bid_set,
)
from gridmarket.bidding.models import BidStatus
from gridmarket.bidding.receipt import body_digest, parse_bid_file
from gridmarket.bidding.schema import BidSet, MarketType, bid_location
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.dates import IsoDate
from gridmarket.db.retry import retry_conflicts
from gridmarket.errors import InvalidInput
from gridmarket.markets import operations

router = APIRouter(prefix="/api/v1", tags=["bids"])

Bidder = Annotated[Principal, Depends(require(Action.SUBMIT_BIDS))]
Viewer = Annotated[Principal, Depends(require(Action.VIEW_BIDS))]
Operator = Annotated[Principal, Depends(require(Action.RUN_MARKET))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]

BID_SET_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BidSet"}}},
    }
}
EXTENSIONS = {"json": "json", "csv": "csv", "xml": "xml"}


class SubmissionOut(BaseModel):
    submission_id: int
    idempotency_key: str | None
    received_at: str
    scid: str
    market: str
    trade_date: str
    bids: list[dict[str, Any]]


class CheckedBidOut(BaseModel):
    index: int
    kind: str
    location: str
    hours: list[int]
    status: str
    """The status the bid would get now (``CONDITIONALLY_VALID``, ..., ``INVALID``)."""
    reasons: list[dict[str, Any]]


class CheckOut(BaseModel):
    scid: str
    market: str
    trade_date: str
    stored: bool
    """Always false: a check stores nothing."""
    bids: list[CheckedBidOut]


class CloseOut(BaseModel):
    market: str
    trade_date: date
    statuses: dict[str, int]
    generated_bids: int
    segments_by_scid: dict[str, int]
    unmatched_trades: int


def add_bid_set_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Put the bid set's JSON schema in the OpenAPI components (the body is read raw)."""
    schema = BidSet.model_json_schema(ref_template="#/components/schemas/{model}")
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["BidSet"] = schema
    return openapi


def _submit(
    session: Session, principal: Principal, body: bytes, file_format: str, key: str | None,
    parameters: MarketParameters, clock: Clock,
) -> SubmissionOutcome:
    digest = body_digest(body)
    earlier = previous_submission(session, principal, key, digest)
    if earlier is not None:
        return earlier
    bid_set = parse_bid_file(body, file_format)

    def attempt() -> SubmissionOutcome:
        try:
            outcome = submit_bid_set(session, principal, bid_set, body_sha256=digest,
                                     source_format=file_format, idempotency_key=key,
                                     parameters=parameters, clock=clock)
            session.commit()
            return outcome
        except DBAPIError:
            session.rollback()
            raise

    try:
        # Credit reservations and the audit chain lock rows another submission may hold.
        return retry_conflicts(attempt)
    except IntegrityError:
        # The same key arrived twice at once: the other request stored it first.
        session.rollback()
        earlier = previous_submission(session, principal, key, digest)
        if earlier is None:
            raise
        return earlier


SUBMIT_SLOTS = 4
"""Bid sets one server process works on at once; the others wait, holding nothing.

Submitting is mostly Python work, and its last step holds the audit chain head
until commit. With many submissions running in one process, the one holding
the head waits for the interpreter lock between its statements while every
other submission, in every process, waits for the head. A few at a time keep
the head moving.
"""
_SLOTS: dict[int, anyio.Semaphore] = {}


def _submit_slots() -> anyio.Semaphore:
    # One semaphore per event loop (a test client may run several loops in one process).
    loop = id(asyncio.get_running_loop())
    slots = _SLOTS.get(loop)
    if slots is None:
        slots = _SLOTS[loop] = anyio.Semaphore(SUBMIT_SLOTS)
    return slots


def _answer(outcome: SubmissionOutcome, response: Response) -> dict[str, Any]:
    if outcome.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.response


@router.post("/bids", status_code=status.HTTP_201_CREATED, response_model=SubmissionOut,
             openapi_extra=BID_SET_BODY)
async def submit_bids(
    request: Request, response: Response, principal: Bidder, session: SessionDep,
    parameters: ParametersDep, clock: ClockDep, idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Submit a bid set (JSON). 201 with each bid's status; 422 Rejected with every problem.

    Needs ``SUBMIT_BIDS`` (API token or session cookie), checked before the body's size.
    """
    body = await request.body()
    limit = parameters.access.upload_limit_bytes
    if len(body) > limit:
        raise InvalidInput(f"bid set of {len(body)} bytes exceeds the upload limit of "
                           f"{limit} bytes", field="body")
    async with _submit_slots():
        outcome = await run_in_threadpool(_submit, session, principal, body, "json",
                                          idempotency_key, parameters, clock)
    return _answer(outcome, response)


@router.post("/bids/upload", status_code=status.HTTP_201_CREATED, response_model=SubmissionOut)
async def upload_bids(
    response: Response, principal: Bidder, session: SessionDep, parameters: ParametersDep,
    clock: ClockDep, file: Annotated[UploadFile, File()],
    file_format: Annotated[str | None, Form(alias="format")] = None,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Submit a bid set as a CSV or XML (or JSON) file; the format comes from the file name."""
    limit = parameters.access.upload_limit_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"file exceeds the upload limit of {limit} bytes", field="file")
    chosen = (file_format or (file.filename or "").rsplit(".", 1)[-1]).lower()
    if chosen not in EXTENSIONS:
        raise InvalidInput("name the format (csv, xml or json) or use a .csv/.xml/.json file",
                           field="format")
    async with _submit_slots():
        outcome = await run_in_threadpool(_submit, session, principal, data, chosen,
                                          idempotency_key, parameters, clock)
    return _answer(outcome, response)


@router.post("/bids/validate", response_model=CheckOut, openapi_extra=BID_SET_BODY)
async def validate_bids(request: Request, principal: Bidder, session: SessionDep,
                        parameters: ParametersDep, clock: ClockDep) -> CheckOut:
    """Validate a bid set (JSON) as ``POST /bids`` would, and store nothing.

    200 with the status and reasons each bid would get now; 422 (Rejected) and
    409 (hours closed, SC not certified) as on submission. Credit for virtual
    bids is checked only on submission.
    """
    body = await request.body()
    limit = parameters.access.upload_limit_bytes
    if len(body) > limit:
        raise InvalidInput(f"bid set of {len(body)} bytes exceeds the upload limit of "
                           f"{limit} bytes", field="body")
    bid_set = parse_bid_file(body, "json")
    outcomes = await run_in_threadpool(check_bid_set, session, principal, bid_set,
                                       parameters=parameters, clock=clock)
    return CheckOut(
        scid=bid_set.scid, market=bid_set.market.value, trade_date=bid_set.trade_date.isoformat(),
        stored=False,
        bids=[CheckedBidOut(index=index, kind=bid.kind, location=bid_location(bid),
                            hours=[h.hour for h in bid.hours],
                            status=provisional_status(outcome).value,
                            reasons=[f.as_dict() for f in outcome.findings])
              for index, (bid, outcome) in enumerate(zip(bid_set.bids, outcomes, strict=True))])


@router.get("/bids", response_model=list[views.BidView])
def list_bids(
    principal: Viewer, session: SessionDep, scid: str, trade_date: IsoDate,
    market: MarketType | None = None,
    bid_status: Annotated[BidStatus | None, Query(alias="status")] = None,
) -> list[views.BidView]:
    """Bids of one of your SCIDs for a trade date, each with status, reasons, raw and clean."""
    return views.list_bids(session, principal, scid, trade_date, market=market,
                           status=bid_status)


@router.get("/bids/{bid_id}", response_model=views.BidView)
def get_bid(bid_id: int, principal: Viewer, session: SessionDep) -> views.BidView:
    """One bid: the raw bid as submitted next to the clean bid that enters the market."""
    return views.get_bid(session, principal, bid_id)


@router.delete("/bids/{bid_id}", response_model=views.BidView)
def cancel(bid_id: int, principal: Bidder, session: SessionDep, parameters: ParametersDep,
           clock: ClockDep) -> views.BidView:
    """Withdraw a bid before its market closes (status Cancelled)."""
    bid = cancel_bid(session, principal, bid_id, parameters=parameters, clock=clock)
    view = views.bid_view(bid)
    session.commit()
    return view


@router.post("/markets/DAM/{trade_date}/close", response_model=CloseOut)
def close_day_ahead(trade_date: IsoDate, principal: Operator, session: SessionDep,
                    parameters: ParametersDep, clock: ClockDep) -> CloseOut:
    """Close the day-ahead market: final validation, generated bids, segment fees."""
    report = operations.close_market(session, principal, trade_date, parameters=parameters,
                                     clock=clock)
    session.commit()
    return CloseOut(market=report.market.value, trade_date=report.trade_date,
                    statuses=report.statuses, generated_bids=report.generated_bids,
                    segments_by_scid=report.segments_by_scid,
                    unmatched_trades=report.unmatched_trades)
