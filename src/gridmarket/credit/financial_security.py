"""Posting and releasing financial security (rulebook §6).

Accepted security is an irrevocable standby letter of credit (issuer,
amount, expiry) or a cash deposit. The credit analyst records it when it
arrives; it counts from its effective date (``holdings.counts_on``). A
letter of credit stops counting on its expiry date by itself. Releasing
security hands it back: refused while the SC's liability needs it, i.e. when
the ACL without it would fall below the current EAL.

Each change recomputes the SC's credit, so posting enough security meets an
open collateral call at once.

Example::

    post_financial_security(session, analyst, 7, SecurityForm(
        kind=SecurityKind.LETTER_OF_CREDIT, amount_usd=Decimal("2000000"),
        instrument_reference="SBLC-2020-0117", issuer="First Sierra Bank",
        expires_on=date(2021, 6, 30)), parameters, clock)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.accounts import current_eal, lock_credit_account
from gridmarket.credit.eal import recompute_credit
from gridmarket.credit.holdings import counts_on
from gridmarket.credit.limits import aggregate_credit_limit
from gridmarket.credit.models import EalTrigger, FinancialSecurity, SecurityKind
from gridmarket.credit.money import require_cents, usd
from gridmarket.credit.visibility import credit_coordinator
from gridmarket.dates import IsoDate
from gridmarket.errors import Conflict, InvalidInput, NotFound


class SecurityForm(BaseModel):
    """A letter of credit or cash deposit as the analyst records it."""

    model_config = ConfigDict(extra="forbid")

    kind: SecurityKind
    amount_usd: Decimal
    instrument_reference: str = Field(min_length=1, max_length=100)
    """The LC number or the deposit's bank reference."""
    issuer: str | None = Field(default=None, max_length=200)
    effective_on: IsoDate | None = None
    """First day it counts; today when not given."""
    expires_on: IsoDate | None = None


def post_financial_security(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    form: SecurityForm,
    parameters: MarketParameters,
    clock: Clock,
) -> FinancialSecurity:
    """Record security received for the SC and recompute its credit.

    Example::

        post_financial_security(session, analyst, 7, SecurityForm(
            kind=SecurityKind.CASH_DEPOSIT, amount_usd=Decimal("250000"),
            instrument_reference="WIRE 88213"), parameters, clock)
    """
    coordinator = credit_coordinator(session, actor, coordinator_id, Action.MANAGE_CREDIT)
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    effective = form.effective_on or today
    _check(form, effective)
    lock_credit_account(session, coordinator.id)
    security = FinancialSecurity(
        scheduling_coordinator_id=coordinator.id,
        kind=form.kind,
        amount_usd=require_cents(form.amount_usd, field="amount_usd", allow_zero=False),
        issuer=form.issuer.strip() if form.issuer else None,
        instrument_reference=form.instrument_reference.strip(),
        effective_on=effective,
        expires_on=form.expires_on,
        posted_at=clock.now(),
        posted_by_id=actor.person_id,
    )
    session.add(security)
    session.flush()
    recompute_credit(
        session,
        coordinator.id,
        trigger=EalTrigger.FINANCIAL_SECURITY,
        as_of=today,
        parameters=parameters,
        clock=clock,
    )
    record_audit(
        session,
        actor=actor,
        action="credit.security.post",
        object_type="financial_security",
        object_id=str(security.id),
        details={
            "scheduling_coordinator_id": coordinator.id,
            "kind": security.kind.value,
            "amount_usd": str(security.amount_usd),
            "effective_on": effective.isoformat(),
            "expires_on": security.expires_on.isoformat() if security.expires_on else None,
        },
        clock=clock,
    )
    return security


def _check(form: SecurityForm, effective: date) -> None:
    if form.kind == SecurityKind.LETTER_OF_CREDIT:
        if not form.issuer or not form.issuer.strip():
            raise InvalidInput("a letter of credit names its issuing bank", field="issuer")
        if form.expires_on is None:
            raise InvalidInput("a letter of credit has an expiry date", field="expires_on")
        if form.expires_on <= effective:
            raise InvalidInput(
                f"the letter of credit expires on {form.expires_on}, "
                f"not after its effective date {effective}",
                field="expires_on",
            )
    elif form.expires_on is not None:
        raise InvalidInput("a cash deposit does not expire", field="expires_on")


def release_financial_security(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    security_id: int,
    reason: str,
    parameters: MarketParameters,
    clock: Clock,
) -> FinancialSecurity:
    """Return security to the SC from today on, unless its liability still needs it.

    Example::

        release_financial_security(session, analyst, 7, 12, "replaced by SBLC-2021-0003",
                                   parameters, clock)
    """
    coordinator = credit_coordinator(session, actor, coordinator_id, Action.MANAGE_CREDIT)
    if not reason.strip():
        raise InvalidInput("say why the security is released", field="reason")
    account = lock_credit_account(session, coordinator.id)
    security = session.get(FinancialSecurity, security_id)
    if security is None or security.scheduling_coordinator_id != coordinator.id:
        raise NotFound(f"no financial security {security_id} of this SC", field="security_id")
    if security.released_on is not None:
        raise Conflict(f"financial security {security_id} was released on {security.released_on}")
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    if counts_on(security, today):
        acl = aggregate_credit_limit(session, coordinator.id, today, parameters.credit).acl_usd
        eal = current_eal(account)
        if acl - security.amount_usd < eal:
            raise Conflict(
                f"releasing {usd(security.amount_usd)} would leave the ACL at "
                f"{usd(acl - security.amount_usd)}, below the EAL of {usd(eal)}"
            )
    security.released_on = today
    security.released_at = clock.now()
    security.released_by_id = actor.person_id
    security.release_reason = reason.strip()
    session.flush()
    recompute_credit(
        session,
        coordinator.id,
        trigger=EalTrigger.FINANCIAL_SECURITY,
        as_of=today,
        parameters=parameters,
        clock=clock,
    )
    record_audit(
        session,
        actor=actor,
        action="credit.security.release",
        object_type="financial_security",
        object_id=str(security.id),
        details={"released_on": today.isoformat(), "reason": security.release_reason},
        clock=clock,
    )
    return security
