"""The virtual bid credit check: reserve a bid's exposure atomically, release it later.

The bidding area calls :func:`reserve_credit` for each virtual bid at its
credit check. Under the SC's credit account lock it compares the bid's
exposure with the available credit,

    available = ACL − EAL,   EAL = other components (last computation) + active reservations,

and either records a reservation (``bidCreditStatus`` PASSED) or refuses
with the shortfall, exposure − available (FAILED), nothing recorded. Because each check of an SC
holds the lock from reading the available credit to recording the
reservation, concurrent checks can neither overdraw the credit (lost update)
nor refuse a bid that would have fitted.

When a bid is cancelled, rejected or cleared, :func:`release_credit` frees
its reservation. A cleared bid becomes a cleared virtual position
(:func:`record_cleared_virtual_position`), held until the trade date's
statement is published (:func:`release_cleared_positions`).

Example::

    quote = virtual_bid_exposure(session, "DLAP_AREA1-APND", Decimal("20"), today, rules)
    check = reserve_credit(session, "PNYN", quote.exposure_usd, "VB-2020-07-02-0001",
                           trade_date=date(2020, 7, 2), basis=quote.basis)
    check.bid_credit_status   # 'PASSED' or 'FAILED'; check.shortfall_usd if FAILED
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock, SystemClock
from gridmarket.config import MarketParameters, get_settings
from gridmarket.credit.accounts import lock_credit_account
from gridmarket.credit.eal import recompute_credit
from gridmarket.credit.limits import aggregate_credit_limit
from gridmarket.credit.models import (
    CreditAccount,
    CreditReservation,
    EalTrigger,
    ReservationKind,
    ReservationStatus,
)
from gridmarket.credit.money import CENT, ZERO, require_cents
from gridmarket.credit.notices import notify_utilisation, reaches_warning
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.models import Scid

PASSED = "PASSED"
FAILED = "FAILED"
REFERENCE_MAX_LENGTH = 100


@dataclass(frozen=True)
class CreditCheck:
    """The answer to a credit check (``bidCreditStatus`` and the figures)."""

    bid_credit_status: str
    reference: str
    exposure_usd: Decimal
    available_credit_usd: Decimal
    """Available credit before this bid."""
    remaining_credit_usd: Decimal
    """Available credit after it (unchanged when the bid failed)."""
    shortfall_usd: Decimal
    """Exposure − available credit: how much more credit the bid needed; zero if it passed."""
    reservation_id: int | None

    @property
    def passed(self) -> bool:
        return self.bid_credit_status == PASSED

    def as_message(self) -> dict[str, Any]:
        """The check as the bid's status message carries it (camelCase, amounts as strings).

        Example::

            check.as_message()   # {'bidCreditStatus': 'FAILED', 'shortfall': '250.00', ...}
        """
        return {
            "bidCreditStatus": self.bid_credit_status,
            "reference": self.reference,
            "exposure": str(self.exposure_usd),
            "availableCredit": str(self.available_credit_usd),
            "shortfall": str(self.shortfall_usd),
        }


def reserve_credit(
    session: Session,
    scid: str,
    exposure_usd: Decimal,
    reference: str,
    *,
    trade_date: date | None = None,
    basis: str = "",
    parameters: MarketParameters | None = None,
    clock: Clock | None = None,
) -> CreditCheck:
    """Check a virtual bid's exposure against the SC's available credit and hold it if it fits.

    ``exposure_usd`` is whole cents (see ``virtual_bid_exposure``);
    ``reference`` names the bid and must not already hold credit. The
    caller commits: the SC's other checks wait for that commit.

    Example::

        check = reserve_credit(session, "PNYN", Decimal("1250.00"), "VB-17")
        check.bid_credit_status, check.shortfall_usd   # ('PASSED', Decimal('0.00'))
    """
    parameters = parameters or get_settings().market_parameters()
    clock = clock or SystemClock()
    exposure = require_cents(exposure_usd, field="exposure_usd")
    reference = _reference(reference)
    code = _scid(session, scid)
    account = lock_credit_account(session, code.scheduling_coordinator_id)
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    account = _current_account(session, account, today, parameters, clock)
    if _active(session, code.scheduling_coordinator_id, reference) is not None:
        raise Conflict(f"credit is already reserved for {reference!r}", field="reference")
    available = (
        account.acl_usd - account.base_liability_usd - account.reserved_exposure_usd
    ).quantize(CENT)
    if exposure > available:
        shortfall = exposure - available
        return CreditCheck(FAILED, reference, exposure, available, available, shortfall, None)
    reservation = _hold(
        session,
        account,
        code,
        ReservationKind.VIRTUAL_BID,
        reference,
        exposure,
        trade_date,
        basis,
        clock,
    )
    session.flush()
    eal = account.base_liability_usd + account.reserved_exposure_usd
    if reaches_warning(eal, account.acl_usd, parameters.credit.utilisation_warning_ratio):
        notify_utilisation(session, code.scheduling_coordinator_id, today, eal, account.acl_usd)
    return CreditCheck(
        PASSED, reference, exposure, available, available - exposure, ZERO, reservation.id
    )


def release_credit(
    session: Session, scid: str, reference: str, reason: str, *, clock: Clock | None = None
) -> CreditReservation:
    """Free the credit held for ``reference`` (bid cancelled, rejected, cleared; position settled).

    Example::

        release_credit(session, "PNYN", "VB-17", "cancelled before market close")
    """
    clock = clock or SystemClock()
    code = _scid(session, scid)
    account = lock_credit_account(session, code.scheduling_coordinator_id)
    reservation = _active(session, code.scheduling_coordinator_id, _reference(reference))
    if reservation is None:
        raise NotFound(f"no credit is reserved for {reference!r}", field="reference")
    _release(account, reservation, reason, clock)
    session.flush()
    return reservation


def record_cleared_virtual_position(
    session: Session,
    scid: str,
    reference: str,
    exposure_usd: Decimal,
    trade_date: date,
    *,
    cleared_bids: Sequence[str] = (),
    basis: str = "",
    clock: Clock | None = None,
) -> CreditReservation:
    """Replace the reservations of cleared bids by the cleared position's exposure.

    A cleared position is a fact, not a request: it is recorded even if it
    exceeds the available credit (the EAL computation after the market run
    then issues a collateral call).

    Example::

        record_cleared_virtual_position(session, "PNYN", "POS-2020-07-02-DLAP1",
                                        Decimal("900.00"), date(2020, 7, 2),
                                        cleared_bids=["VB-17", "VB-18"])
    """
    clock = clock or SystemClock()
    exposure = require_cents(exposure_usd, field="exposure_usd")
    reference = _reference(reference)
    code = _scid(session, scid)
    account = lock_credit_account(session, code.scheduling_coordinator_id)
    for bid in cleared_bids:
        held = _active(session, code.scheduling_coordinator_id, _reference(bid))
        if held is None:
            raise NotFound(f"no credit is reserved for cleared bid {bid!r}", field="cleared_bids")
        _release(account, held, f"cleared into position {reference}", clock)
    session.flush()
    if _active(session, code.scheduling_coordinator_id, reference) is not None:
        raise Conflict(f"credit is already reserved for {reference!r}", field="reference")
    position = _hold(
        session,
        account,
        code,
        ReservationKind.CLEARED_VIRTUAL_POSITION,
        reference,
        exposure,
        trade_date,
        basis,
        clock,
    )
    session.flush()
    return position


def release_cleared_positions(
    session: Session, trade_date: date, reason: str, *, clock: Clock | None = None
) -> int:
    """Release every cleared virtual position of ``trade_date`` (its statement is published).

    Example::

        release_cleared_positions(session, date(2020, 7, 2), "initial statement published")  # 12
    """
    clock = clock or SystemClock()
    holders = session.scalars(
        select(CreditReservation.scheduling_coordinator_id)
        .where(
            CreditReservation.kind == ReservationKind.CLEARED_VIRTUAL_POSITION,
            CreditReservation.status == ReservationStatus.ACTIVE,
            CreditReservation.trade_date == trade_date,
        )
        .distinct()
        .order_by(CreditReservation.scheduling_coordinator_id)
    ).all()
    released = 0
    for coordinator_id in holders:
        account = lock_credit_account(session, coordinator_id)
        positions = session.scalars(
            select(CreditReservation).where(
                CreditReservation.scheduling_coordinator_id == coordinator_id,
                CreditReservation.kind == ReservationKind.CLEARED_VIRTUAL_POSITION,
                CreditReservation.status == ReservationStatus.ACTIVE,
                CreditReservation.trade_date == trade_date,
            )
        ).all()
        for position in positions:
            _release(account, position, reason, clock)
            released += 1
    session.flush()
    return released


def active_reservations(session: Session, coordinator_id: int) -> Sequence[CreditReservation]:
    """The SC's reservations holding credit now, oldest first."""
    return session.scalars(
        select(CreditReservation)
        .where(
            CreditReservation.scheduling_coordinator_id == coordinator_id,
            CreditReservation.status == ReservationStatus.ACTIVE,
        )
        .order_by(CreditReservation.id)
    ).all()


def _current_account(
    session: Session,
    account: CreditAccount,
    today: date,
    parameters: MarketParameters,
    clock: Clock,
) -> CreditAccount:
    """The locked account with an EAL on record and an ACL valid today."""
    if account.last_computation_id is None:
        recompute_credit(
            session,
            account.scheduling_coordinator_id,
            trigger=EalTrigger.CREDIT_CHECK,
            as_of=today,
            parameters=parameters,
            clock=clock,
        )
        return account
    stale = account.acl_as_of is None or account.acl_as_of > today
    if account.acl_valid_until is not None and today >= account.acl_valid_until:
        stale = True
    if stale:
        # Security expired (or started) since the ACL was computed: it counts from today.
        limit = aggregate_credit_limit(
            session, account.scheduling_coordinator_id, today, parameters.credit
        )
        account.acl_usd = limit.acl_usd
        account.acl_as_of = today
        account.acl_valid_until = limit.valid_until
    return account


def _hold(
    session: Session,
    account: CreditAccount,
    code: Scid,
    kind: ReservationKind,
    reference: str,
    exposure: Decimal,
    trade_date: date | None,
    basis: str,
    clock: Clock,
) -> CreditReservation:
    now = clock.now()
    reservation = CreditReservation(
        scheduling_coordinator_id=code.scheduling_coordinator_id,
        scid_id=code.id,
        reference=reference,
        kind=kind,
        trade_date=trade_date,
        exposure_usd=exposure,
        basis=basis,
        status=ReservationStatus.ACTIVE,
        reserved_at=now,
    )
    session.add(reservation)
    account.reserved_exposure_usd += exposure
    account.updated_at = now
    return reservation


def _release(
    account: CreditAccount, reservation: CreditReservation, reason: str, clock: Clock
) -> None:
    now = clock.now()
    reservation.status = ReservationStatus.RELEASED
    reservation.released_at = now
    reservation.release_reason = reason
    account.reserved_exposure_usd -= reservation.exposure_usd
    account.updated_at = now


def _active(session: Session, coordinator_id: int, reference: str) -> CreditReservation | None:
    return session.scalar(
        select(CreditReservation).where(
            CreditReservation.scheduling_coordinator_id == coordinator_id,
            CreditReservation.reference == reference,
            CreditReservation.status == ReservationStatus.ACTIVE,
        )
    )


def _scid(session: Session, scid: str) -> Scid:
    code = session.scalar(select(Scid).where(Scid.code == scid))
    if code is None:
        raise InvalidInput(f"no SCID {scid!r}", field="scid")
    return code


def _reference(reference: str) -> str:
    cleaned = reference.strip()
    if not cleaned or len(cleaned) > REFERENCE_MAX_LENGTH:
        raise InvalidInput(
            f"name the bid in 1 to {REFERENCE_MAX_LENGTH} characters", field="reference"
        )
    return cleaned
