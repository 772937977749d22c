"""Bid intake: receive a bid set, validate it, check credit, store it, all or nothing.

Order of work for one submission (one transaction):

1. The submitter must hold ``SUBMIT_BIDS`` for the bid set's SCID.
2. An idempotency key already used by the organisation returns the first
   result when the body is byte-for-byte the same (SHA-256), and is refused
   when it differs.
3. The SC must be certified (a suspended SC may not bid).
4. Every hour must exist on the trade date and still be open (else the whole
   set is Rejected: nothing stored, an error says which bid and hour).
   :func:`check_bid_set` runs steps 1, 3, 4 and 5 (but for credit) and stores nothing.
5. Each bid's content is validated (Conditionally Valid, Conditionally
   Modified, Invalid); a virtual bid's exposure is reserved against the SC's
   credit (``bidCreditStatus``), or the bid is Invalid for insufficient credit.
6. Each accepted bid replaces the hours of older live bids with the same
   key (Obsolete once no hour is left); an inter-SC trade is matched with the
   counterparty's side when the terms agree.
7. One audit entry records the submission; the response is stored with it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.bidding import deadlines, storage
from gridmarket.bidding.facts import location_facts, resource_facts
from gridmarket.bidding.models import PENDING_STATUSES, Bid, BidStatus, BidSubmission
from gridmarket.bidding.schema import (
    AncillaryBid,
    BidKind,
    BidSet,
    EnergyBid,
    TradeBid,
    VirtualBid,
    bid_location,
)
from gridmarket.bidding.validation import (
    AnyBid,
    Finding,
    LocationFacts,
    Outcome,
    Reason,
    validate_bid,
)
from gridmarket.bidding.validation import segment_count as count_segments
from gridmarket.clock import Clock, as_utc
from gridmarket.config import MarketParameters
from gridmarket.credit.reservations import release_credit, reserve_credit
from gridmarket.credit.virtual_exposure import virtual_bid_exposure
from gridmarket.errors import Conflict, NotFound
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus

NO_LOCATIONS = LocationFacts(nodes=frozenset())


class IdempotencyConflict(Conflict):
    """The idempotency key was used before for a different bid set."""


@dataclass(frozen=True)
class SubmissionOutcome:
    response: dict[str, Any]
    replayed: bool
    """True when an earlier submission with the same key and body is returned."""


def previous_submission(
    session: Session, principal: Principal, idempotency_key: str | None, body_sha256: str
) -> SubmissionOutcome | None:
    """The stored result of an earlier submission with this key, if any.

    Raises :class:`IdempotencyConflict` when the key was used with another body.
    """
    if idempotency_key is None:
        return None
    earlier = session.scalars(
        select(BidSubmission).where(
            BidSubmission.organisation_id == principal.organisation_id,
            BidSubmission.idempotency_key == idempotency_key,
        )
    ).one_or_none()
    if earlier is None:
        return None
    if earlier.body_sha256 != body_sha256:
        raise IdempotencyConflict(
            f"idempotency key {idempotency_key!r} was used for submission {earlier.id} "
            "with a different body; use a new key for a new bid set",
            field="Idempotency-Key",
        )
    return SubmissionOutcome(json.loads(earlier.response_json), replayed=True)


def submit_bid_set(
    session: Session,
    principal: Principal,
    bid_set: BidSet,
    *,
    body_sha256: str,
    source_format: str,
    idempotency_key: str | None,
    parameters: MarketParameters,
    clock: Clock,
) -> SubmissionOutcome:
    """Accept ``bid_set`` (or return the earlier result of the same idempotency key).

    Example::

        outcome = submit_bid_set(session, trader, bid_set, body_sha256=digest,
                                 source_format="json", idempotency_key="k-1",
                                 parameters=parameters, clock=clock)
        outcome.response["bids"][0]["status"]   # 'CONDITIONALLY_VALID'
    """
    authorize(principal, Action.SUBMIT_BIDS, scid=bid_set.scid)
    earlier = previous_submission(session, principal, idempotency_key, body_sha256)
    if earlier is not None:
        return earlier
    now = as_utc(clock.now())
    scid_id = _active_scid(session, bid_set.scid)
    _require_on_time(bid_set, parameters, now)
    submission = BidSubmission(
        organisation_id=principal.organisation_id,
        scid_id=scid_id,
        person_id=principal.person_id,
        idempotency_key=idempotency_key,
        body_sha256=body_sha256,
        source_format=source_format,
        market=bid_set.market,
        trade_date=bid_set.trade_date,
        received_at=now,
        response_json="",
    )
    # Core statements on the session's connection, not the unit of work: the
    # submission and its bids are written once and (but for virtual bids and trades)
    # never changed in this transaction. A concurrent use of the same key fails
    # here, before any work.
    connection = session.connection()
    submission.id = connection.execute(_INSERT_SUBMISSION,
                                       storage.row_of(submission)).scalar_one()
    outcomes = _validate_all(session, bid_set, parameters)
    results = [
        _store(session, submission, scid_id, bid_set, content, outcome, parameters, clock, now)
        for content, outcome in zip(bid_set.bids, outcomes, strict=True)
    ]
    response = _response(submission, bid_set, results)
    submission.response_json = json.dumps(response)
    connection.execute(_STORE_RESPONSE, {"submission_id": submission.id,
                                         "response_json": submission.response_json})
    statuses = Counter(r["status"] for r in results)
    # Everything else is written first: the audit entry takes the chain head, which
    # stays locked until the commit, so the entry is the last statement before it.
    record_audit(
        session, actor=principal, action="bid.submit", object_type="bid_submission",
        object_id=str(submission.id), clock=clock,
        details={"scid": bid_set.scid, "market": bid_set.market.value,
                 "trade_date": bid_set.trade_date.isoformat(), "bids": len(results),
                 "statuses": dict(sorted(statuses.items()))},
    )
    return SubmissionOutcome(response, replayed=False)


def check_bid_set(
    session: Session,
    principal: Principal,
    bid_set: BidSet,
    *,
    parameters: MarketParameters,
    clock: Clock,
) -> list[Outcome]:
    """Validate ``bid_set`` as :func:`submit_bid_set` does, and store nothing.

    The same checks in the same order (access, the SC's standing, hours open,
    content); a refusal raises as on submission. A virtual bid's credit is
    reserved only when it is submitted, so it is not checked here.

    Example::

        outcomes = check_bid_set(session, trader, bid_set, parameters=parameters, clock=clock)
        [provisional_status(o) for o in outcomes]   # [BidStatus.CONDITIONALLY_VALID]
    """
    authorize(principal, Action.SUBMIT_BIDS, scid=bid_set.scid)
    _active_scid(session, bid_set.scid)
    _require_on_time(bid_set, parameters, as_utc(clock.now()))
    return _validate_all(session, bid_set, parameters)


def provisional_status(outcome: Outcome) -> BidStatus:
    """A bid's status before market close: conditionally valid, modified, or invalid."""
    if outcome.invalid:
        return BidStatus.INVALID
    if outcome.modified:
        return BidStatus.CONDITIONALLY_MODIFIED
    return BidStatus.CONDITIONALLY_VALID


_SUBMISSIONS = cast(Table, BidSubmission.__table__)
_BIDS = cast(Table, Bid.__table__)
_INSERT_SUBMISSION = insert(_SUBMISSIONS).returning(_SUBMISSIONS.c.id)
_STORE_RESPONSE = (
    update(_SUBMISSIONS)
    .where(_SUBMISSIONS.c.id == bindparam("submission_id"))
    .values(response_json=bindparam("response_json"))
)
_INSERT_BID = insert(_BIDS).returning(_BIDS.c.id)

_SCID_WITH_STATUS = (
    select(Scid.id, SchedulingCoordinator.status)
    .join(SchedulingCoordinator, SchedulingCoordinator.id == Scid.scheduling_coordinator_id)
    .where(Scid.code == bindparam("code"))
)


def _active_scid(session: Session, code: str) -> int:
    """The SCID's primary key, if its scheduling coordinator may bid."""
    row = session.connection().execute(_SCID_WITH_STATUS, {"code": code}).one_or_none()
    if row is None:
        raise NotFound(f"no SCID {code!r}", field="scid")
    scid_id, status = row
    if status != ScStatus.CERTIFIED:
        raise Conflict(f"the scheduling coordinator of {code} is {status.lower()}: it may not "
                       "bid or trade", field="scid")
    return int(scid_id)


def _require_on_time(bid_set: BidSet, parameters: MarketParameters, now: datetime) -> None:
    calendar = deadlines.calendar_of(parameters)
    for index, bid in enumerate(bid_set.bids):
        hours = [h.hour for h in bid.hours]
        where = f"bids[{index}] ({bid.kind} {bid_location(bid)})"
        deadlines.require_hours_in_day(calendar, bid_set.trade_date, hours, where)
        deadlines.require_open(calendar, now, bid_set.market, bid.kind, bid_set.trade_date,
                               hours, where)


def _validate_all(session: Session, bid_set: BidSet, parameters: MarketParameters) -> list[Outcome]:
    resource_ids = [b.resource for b in bid_set.bids if isinstance(b, EnergyBid | AncillaryBid)]
    facts = resource_facts(session, resource_ids, bid_set.trade_date, parameters)
    # Only virtual bids and trades are at a node; energy and AS bids need no node list.
    locations = location_facts(
        session, with_scids=any(isinstance(b, TradeBid) for b in bid_set.bids)
    ) if any(isinstance(b, VirtualBid | TradeBid) for b in bid_set.bids) else NO_LOCATIONS
    return [
        validate_bid(bid, scid=bid_set.scid, market=bid_set.market, rules=parameters.bids,
                     resource=facts.get(bid.resource)
                     if isinstance(bid, EnergyBid | AncillaryBid) else None,
                     locations=locations)
        for bid in bid_set.bids
    ]


def _store(
    session: Session,
    submission: BidSubmission,
    scid_id: int,
    bid_set: BidSet,
    content: AnyBid,
    outcome: Outcome,
    parameters: MarketParameters,
    clock: Clock,
    now: datetime,
) -> dict[str, Any]:
    mask = storage.content_mask(content)
    bid = Bid(
        submission_id=submission.id, scid_id=scid_id, kind=BidKind(content.kind),
        market=bid_set.market, trade_date=bid_set.trade_date, location=bid_location(content),
        variant=storage.variant_of(content), hours_mask=mask, active_hours_mask=mask,
        status=provisional_status(outcome),
        raw_json=content.model_dump_json(), segment_count=count_segments(content),
        created_at=now, status_changed_at=now,
    )
    bid.resource_pk = outcome.resource_pk
    # Findings and clean content go in with the insert (one statement, not two).
    storage.set_findings(bid, outcome.findings)
    storage.set_clean(bid, outcome.clean)
    if isinstance(content, VirtualBid | TradeBid):
        # Credit and matching may still change these: kept in the unit of work.
        session.add(bid)
        session.flush()
    else:
        # Energy and AS bids are final once written: one Core insert.
        bid.id = session.connection().execute(_INSERT_BID, storage.row_of(bid)).scalar_one()
    credit = None
    if isinstance(content, VirtualBid) and not outcome.invalid:
        credit = _reserve_virtual(session, bid, bid_set.scid, content, parameters, clock)
        if credit["bidCreditStatus"] != "PASSED":
            outcome.findings.append(Finding(
                Reason.CREDIT_INSUFFICIENT,
                f"exposure ${credit['exposure']} exceeds available credit "
                f"${credit['availableCredit']} by ${credit['shortfall']}"))
            outcome.clean = None
            storage.set_status(bid, BidStatus.INVALID, now)
            storage.set_findings(bid, outcome.findings)
            storage.set_clean(bid, outcome.clean)
    replaced: list[int] = []
    if bid.status in PENDING_STATUSES:
        replaced = replace_older(session, bid, bid_set.scid, now, clock)
        if isinstance(content, TradeBid):
            match_trade(session, bid, bid_set.scid, content, now)
    return {
        "bid_id": bid.id, "kind": bid.kind.value, "location": bid.location,
        "hours": [h.hour for h in content.hours], "status": bid.status.value,
        "reasons": storage.findings_of(bid), "replaced_bid_ids": replaced,
        "matched_bid_id": bid.matched_bid_id, "credit": credit,
    }


def credit_reference(bid: Bid) -> str:
    return f"BID-{bid.id}"


def virtual_mw(content: VirtualBid) -> Decimal:
    """The MW a virtual bid could clear over all its hours: its credit basis."""
    return sum((h.segments[-1].mw for h in content.hours), Decimal(0))


def _reserve_virtual(
    session: Session, bid: Bid, scid: str, content: VirtualBid, parameters: MarketParameters,
    clock: Clock,
) -> dict[str, Any]:
    today = deadlines.calendar_of(parameters).trade_date_of(clock.now())
    quote = virtual_bid_exposure(session, content.location, virtual_mw(content), today,
                                 parameters.credit)
    check = reserve_credit(session, scid, quote.exposure_usd, credit_reference(bid),
                           trade_date=bid.trade_date, basis=quote.basis,
                           parameters=parameters, clock=clock)
    if check.passed:
        bid.credit_reference = credit_reference(bid)
    return check.as_message()


def replace_older(session: Session, bid: Bid, scid: str, now: datetime, clock: Clock) -> list[int]:
    """Take ``bid``'s hours away from older live bids of the same key; return those obsoleted."""
    obsoleted = []
    for older in storage.live_rivals(session, bid):
        older.active_hours_mask &= ~bid.hours_mask
        if older.active_hours_mask:
            content = storage.clean_content(older)
            storage.set_clean(older, content)
            continue
        storage.set_status(older, BidStatus.OBSOLETE, now)
        older.clean_json = None
        release_bid_credit(session, older, scid, f"replaced by bid {bid.id}", clock)
        unmatch(session, older)
        obsoleted.append(older.id)
    return obsoleted


def release_bid_credit(session: Session, bid: Bid, scid: str, reason: str, clock: Clock) -> None:
    if bid.credit_reference:
        release_credit(session, scid, bid.credit_reference, reason, clock=clock)
        bid.credit_reference = None


def match_trade(session: Session, bid: Bid, scid: str, content: TradeBid, now: datetime) -> None:
    """Match a trade with a waiting counterparty trade of the same terms, if there is one."""
    counterparty = session.scalar(select(Scid.id).where(Scid.code == content.counterparty))
    wanted = storage.trade_variant(content.product.value, storage.OPPOSITE[content.direction],
                                   scid)
    candidates = session.scalars(
        select(Bid).where(
            Bid.scid_id == counterparty, Bid.kind == BidKind.TRADE,
            Bid.trade_date == bid.trade_date, Bid.market == bid.market,
            Bid.location == bid.location, Bid.variant == wanted,
            Bid.status.in_(PENDING_STATUSES), Bid.matched_bid_id.is_(None),
        ).order_by(Bid.id).with_for_update()
    )
    terms = [(h.hour, h.mw) for h in content.hours]
    for other in candidates:
        other_content = storage.raw_content(other)
        if not isinstance(other_content, TradeBid):
            continue
        if other.active_hours_mask == other.hours_mask and \
                [(h.hour, h.mw) for h in other_content.hours] == terms:
            for side, partner in ((bid, other), (other, bid)):
                side.matched_bid_id = partner.id
                storage.set_status(side, BidStatus.MATCHED, now)
            return


def unmatch(session: Session, bid: Bid) -> None:
    """A matched trade that goes away leaves its counterparty waiting for a new match."""
    if bid.matched_bid_id is None:
        return
    partner = session.get(Bid, bid.matched_bid_id)
    if partner is not None and partner.status == BidStatus.MATCHED:
        partner.matched_bid_id = None
        storage.set_status(partner, BidStatus.CONDITIONALLY_VALID, partner.status_changed_at)
    bid.matched_bid_id = None


def _response(submission: BidSubmission, bid_set: BidSet, results: list[dict[str, Any]]
              ) -> dict[str, Any]:
    return {
        "submission_id": submission.id,
        "idempotency_key": submission.idempotency_key,
        "received_at": as_utc(submission.received_at).isoformat(),
        "scid": bid_set.scid,
        "market": bid_set.market.value,
        "trade_date": bid_set.trade_date.isoformat(),
        "bids": results,
    }
