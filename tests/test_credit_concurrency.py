"""1,000 virtual bid credit checks at once from one SC: no overdraft, no lost update.

Sixteen threads, each with its own session and transaction, submit 1,000
reservations of $500.00 to $5,000.00 against an ACL of $1,000,000.00 —
enough for roughly a third of them. On PostgreSQL the SC's credit account
row is locked (``SELECT ... FOR UPDATE``) from reading the available credit
to recording the reservation; SQLite serialises the writers (busy timeout,
and a retry if a lock wait still times out). Either way:

* the accepted exposure never exceeds the available credit;
* replaying the accepted checks in the order they took the lock, each saw
  exactly the ACL less every earlier acceptance (no lost update);
* the credit left at the end is smaller than the smallest rejected bid (a bid
  is refused only when it truly did not fit).
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from tests.resource_helpers import committed, migrated
from tests.test_credit_support import PARAMS, cash, credit_world, pacific_noon, profile

from gridmarket.credit.eal import recompute_credit
from gridmarket.credit.models import (
    CreditAccount,
    CreditReservation,
    EalTrigger,
    ReservationStatus,
)
from gridmarket.credit.reservations import CreditCheck, reserve_credit
from gridmarket.db.engine import make_engine, make_session_factory

BIDS = 1000
WORKERS = 16
ACL = Decimal("1000000.00")
TIME_LIMIT_SECONDS = 45
DAY = date(2020, 7, 1)


def test_concurrent_credit_checks_never_overdraw_and_never_refuse_a_bid_that_fits(
    empty_database_url: str,
) -> None:
    url = migrated(empty_database_url)
    with committed(url) as session:
        world = credit_world(session)
        profile(world, rating=None)  # UCL 0, participation met
        cash(world, str(ACL))
        scid, coordinator_id = world.scid.code, world.coordinator.id
    rng = random.Random(2020)
    exposures = [Decimal(rng.randint(50_000, 500_000)) / 100 for _ in range(BIDS)]
    engine = make_engine(url, pool_size=WORKERS, max_overflow=0)
    factory = make_session_factory(engine)
    clock = pacific_noon(DAY)

    def submit(index: int) -> CreditCheck:
        for attempt in range(20):
            with factory() as session:
                try:
                    check = reserve_credit(
                        session,
                        scid,
                        exposures[index],
                        f"VB-{index:04d}",
                        parameters=PARAMS,
                        clock=clock,
                    )
                    session.commit()
                    return check
                except OperationalError:
                    # SQLite: a lock wait ran past the busy timeout; nothing was written.
                    session.rollback()
                    time.sleep(0.01 * (attempt + 1))
        raise AssertionError(f"bid {index} could not get the database lock")

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            checks = list(pool.map(submit, range(BIDS)))
        elapsed = time.monotonic() - started
        with factory() as session:
            account = session.get_one(CreditAccount, coordinator_id)
            held = session.scalars(
                select(CreditReservation)
                .where(
                    CreditReservation.scheduling_coordinator_id == coordinator_id,
                    CreditReservation.status == ReservationStatus.ACTIVE,
                )
                .order_by(CreditReservation.id)
            ).all()
            reserved_on_account = account.reserved_exposure_usd
            computation = recompute_credit(
                session,
                coordinator_id,
                trigger=EalTrigger.MANUAL,
                as_of=DAY,
                parameters=PARAMS,
                clock=clock,
            )
            session.commit()
    finally:
        engine.dispose()

    accepted = [c for c in checks if c.passed]
    rejected = [c for c in checks if not c.passed]
    accepted_total = sum((c.exposure_usd for c in accepted), Decimal(0))
    left = ACL - accepted_total
    print(
        f"\n{engine.dialect.name}: {BIDS} checks by {WORKERS} threads in {elapsed:.1f} s; "
        f"{len(accepted)} accepted (${accepted_total:,.2f}), {len(rejected)} rejected; "
        f"${left:,.2f} left, smallest rejected ${min(c.exposure_usd for c in rejected):,.2f}"
    )
    assert elapsed < TIME_LIMIT_SECONDS
    assert len(accepted) + len(rejected) == BIDS and accepted and rejected
    # Never more than the credit available.
    assert accepted_total <= ACL
    # No needless rejection: what is left would not fit any rejected bid.
    assert left < min(c.exposure_usd for c in rejected)
    for check in rejected:
        assert check.shortfall_usd == check.exposure_usd - check.available_credit_usd
    # No lost update: in lock order, each acceptance saw the ACL less all earlier ones.
    by_lock_order = sorted(accepted, key=lambda c: c.reservation_id or 0)
    running = ACL
    for check in by_lock_order:
        assert check.available_credit_usd == running
        running -= check.exposure_usd
    # What is stored agrees: the rows, the account's running total, a fresh EAL.
    assert [r.reference for r in held] == [c.reference for c in by_lock_order]
    assert sum((r.exposure_usd for r in held), Decimal(0)) == accepted_total
    assert reserved_on_account == accepted_total
    assert computation.eal_usd == accepted_total
    assert computation.available_credit_usd == left
