"""Disputes of recalculation statements: submission in the window, ISO review, adjustment.

Rulebook §8: an SC disputes a **recalculation** statement (never the
initial one) within ``dispute_window_business_days`` (22) business days of its
publication, naming the trade date, hours, charge code, statement version,
amount claimed, reason and evidence. Day 22 is accepted; day 23 is refused,
with the deadline named. Only the statement's own SC may dispute it or see
the dispute (another SC gets 404, audited by the API edge).

The ISO decides: ACCEPTED (the amount claimed), PARTIALLY_ACCEPTED (a smaller
amount, with reasons) or REJECTED (with reasons). An accepted amount becomes a
:class:`~gridmarket.settlement.billing_models.DisputeAdjustment`: a
``DISPUTE_ADJ`` line of −amount on the SCID in the next statement of the trade
date (see :mod:`gridmarket.settlement.run_hooks`), which then bills through
the next invoice.

Example::

    dispute = submit_dispute(session, principal, DisputeRequest(
        statement_id=41, hours=[14, 15], charge_code="6475", amount_claimed_usd=Decimal("812.40"),
        reason="meter read of HE15 replaced"), evidence=UploadedFile("read.pdf", pdf),
        parameters=params, clock=clock)
    decide_dispute(session, iso_analyst, dispute.id, DisputeDecision("PARTIALLY_ACCEPTED",
                   Decimal("500.00"), "HE14 read stands"), parameters=params, clock=clock)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.errors import NotVisible
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import INITIAL_STATEMENT, MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.money import require_cents, usd
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.participants.documents import store_document
from gridmarket.participants.models import Scid
from gridmarket.resources.uploads import UploadedFile
from gridmarket.settlement.billing_models import Dispute, DisputeAdjustment, DisputeStatus
from gridmarket.settlement.models import SettlementStatement, SettlementStatementLine


@dataclass(frozen=True)
class DisputeRequest:
    """What an SC names when it disputes a statement (rulebook §8)."""

    statement_id: int
    hours: list[int]
    charge_code: str
    amount_claimed_usd: Decimal
    reason: str
    trade_date: date | None = None
    """If given, must be the statement's trade date."""


@dataclass(frozen=True)
class DisputeDecision:
    """The ISO's decision: ACCEPTED, PARTIALLY_ACCEPTED (with an amount) or REJECTED."""

    status: str
    amount_usd: Decimal | None
    reason: str


def _not_visible(principal: Principal, kind: str, object_id: int) -> NotVisible:
    return NotVisible(f"no {kind} {object_id} visible to {principal.email}", actor=principal,
                      action=f"billing.{kind}", object_type=f"billing_{kind}",
                      object_id=str(object_id))


def _disputable_statement(session: Session, principal: Principal,
                          statement_id: int) -> SettlementStatement:
    statement = session.get(SettlementStatement, statement_id)
    if statement is None or statement.account_kind != "SC" or not (
            principal.is_iso or statement.account in principal.scids):
        raise _not_visible(principal, "statement", statement_id)
    return statement


def dispute_deadline(statement: SettlementStatement, calendar: MarketCalendar) -> date:
    """The last day a statement may be disputed (its own record, else from its publication)."""
    return statement.dispute_deadline or calendar.dispute_deadline(statement.publication_date)


def why_not_disputable(statement: SettlementStatement, today: date,
                       parameters: MarketParameters) -> str | None:
    """Why ``statement`` cannot be disputed on ``today``; None while it can.

    Example::

        why_not_disputable(initial, date(2020, 9, 10), params)
        # 'statement 41 is the initial statement of 2020-08-26: only recalculation ...'
    """
    if statement.kind == INITIAL_STATEMENT or not statement.is_disputable:
        return (f"statement {statement.id} is the initial statement of {statement.trade_date}: "
                "only recalculation statements are disputable")
    deadline = dispute_deadline(statement, MarketCalendar(parameters))
    if today > deadline:
        return (f"the dispute window of statement {statement.id} closed on {deadline} "
                f"({parameters.settlement.dispute_window_business_days} business days after "
                f"its publication on {statement.publication_date})")
    return None


def submit_dispute(session: Session, principal: Principal, request: DisputeRequest, *,
                   evidence: UploadedFile, parameters: MarketParameters,
                   clock: Clock) -> Dispute:
    """Record a dispute of a recalculation statement of the caller's own SCID."""
    authorize(principal, Action.SUBMIT_DISPUTE)
    statement = _disputable_statement(session, principal, request.statement_id)
    calendar = MarketCalendar(parameters)
    refusal = why_not_disputable(statement, calendar.trade_date_of(clock.now()), parameters)
    if refusal is not None:
        raise Conflict(refusal, field="statement_id")
    deadline = dispute_deadline(statement, calendar)
    if request.trade_date is not None and request.trade_date != statement.trade_date:
        raise InvalidInput(f"statement {statement.id} is of {statement.trade_date}",
                           field="trade_date")
    hours_in_day = calendar.hours_in_day(statement.trade_date)
    hours = sorted(set(request.hours))
    if not hours or any(h < 1 or h > hours_in_day for h in hours):
        raise InvalidInput(f"hours must be hours ending 1–{hours_in_day} of "
                           f"{statement.trade_date}", field="hours")
    codes_on_statement = set(session.scalars(select(SettlementStatementLine.charge_code).where(
        SettlementStatementLine.statement_id == statement.id)))
    if request.charge_code not in codes_on_statement:
        raise InvalidInput(f"charge code {request.charge_code!r} is not on statement "
                           f"{statement.id}", field="charge_code")
    amount = require_cents(request.amount_claimed_usd, field="amount_claimed_usd",
                           allow_zero=False)
    reason = request.reason.strip()
    if not reason:
        raise InvalidInput("a dispute needs its reason", field="reason")
    coordinator_id = session.scalar(select(Scid.scheduling_coordinator_id).where(
        Scid.code == statement.account))
    if coordinator_id is None:
        raise InvalidInput(f"SCID {statement.account} has no SC", field="statement_id")
    document = store_document(session, filename=evidence.filename, content=evidence.content,
                              declared_type=evidence.content_type,
                              organisation_id=principal.organisation_id,
                              uploaded_by_id=principal.person_id, at=clock.now(),
                              rules=parameters.access)
    dispute = Dispute(statement_id=statement.id, account=statement.account,
                      scheduling_coordinator_id=coordinator_id,
                      trade_date=statement.trade_date, hours_json=json.dumps(hours),
                      charge_code=request.charge_code, amount_claimed_usd=amount, reason=reason,
                      evidence_document_id=document.id, status=DisputeStatus.SUBMITTED,
                      submitted_at=clock.now(), submitted_by_person_id=principal.person_id)
    session.add(dispute)
    session.flush()
    record_audit(session, actor=principal, action="billing.dispute.submit",
                 object_type="billing_dispute", object_id=str(dispute.id), clock=clock,
                 details={"statement_id": statement.id, "charge_code": request.charge_code,
                          "amount_claimed_usd": str(amount), "deadline": deadline.isoformat()})
    return dispute


def visible_dispute(session: Session, principal: Principal, dispute_id: int) -> Dispute:
    """Dispute ``dispute_id`` if the caller may see it (its SC's people, the ISO); else 404."""
    authorize(principal, Action.VIEW_INVOICES)
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or not (principal.is_iso or dispute.account in principal.scids):
        raise _not_visible(principal, "dispute", dispute_id)
    return dispute


def visible_disputes(session: Session, principal: Principal, *, status: str | None = None,
                     limit: int = 500) -> list[Dispute]:
    """Disputes the caller may see, newest first."""
    authorize(principal, Action.VIEW_INVOICES)
    query = select(Dispute)
    if not principal.is_iso:
        query = query.where(Dispute.account.in_(sorted(principal.scids)))
    if status is not None:
        query = query.where(Dispute.status == status)
    return list(session.scalars(query.order_by(Dispute.id.desc()).limit(limit)))


def decide_dispute(session: Session, principal: Principal, dispute_id: int,
                   decision: DisputeDecision, *, clock: Clock) -> Dispute:
    """The ISO's decision; an accepted amount is adjusted in the next statement of the date."""
    authorize(principal, Action.REVIEW_DISPUTE)
    dispute = visible_dispute(session, principal, dispute_id)
    if dispute.status != DisputeStatus.SUBMITTED:
        raise Conflict(f"dispute {dispute.id} was already decided ({dispute.status})",
                       field="dispute_id")
    status = DisputeStatus(decision.status)
    reason = decision.reason.strip()
    if status is DisputeStatus.ACCEPTED:
        amount = dispute.amount_claimed_usd
    elif status is DisputeStatus.REJECTED:
        amount = Decimal("0.00")
    elif status is DisputeStatus.PARTIALLY_ACCEPTED:
        amount = require_cents(decision.amount_usd or Decimal(0), field="amount_usd",
                               allow_zero=False)
        if amount >= dispute.amount_claimed_usd:
            raise InvalidInput(f"a partial acceptance is less than the "
                               f"{usd(dispute.amount_claimed_usd)} claimed", field="amount_usd")
    else:
        raise InvalidInput("decide ACCEPTED, PARTIALLY_ACCEPTED or REJECTED", field="status")
    if status is not DisputeStatus.ACCEPTED and not reason:
        raise InvalidInput("a rejection or partial acceptance needs its reasons", field="reason")
    dispute.status = status
    dispute.decision_amount_usd = amount
    dispute.decision_reason = reason or None
    dispute.decided_at = clock.now()
    dispute.decided_by_person_id = principal.person_id
    if amount > 0:
        session.add(DisputeAdjustment(dispute_id=dispute.id, account=dispute.account,
                                      trade_date=dispute.trade_date, amount_usd=-amount,
                                      created_at=clock.now()))
    session.flush()
    record_audit(session, actor=principal, action="billing.dispute.decide",
                 object_type="billing_dispute", object_id=str(dispute.id), clock=clock,
                 details={"status": status.value, "amount_usd": str(amount)})
    return dispute
