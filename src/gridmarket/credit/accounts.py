"""The per-SC credit account row, and the lock that makes credit checks take turns.

Every change to an SC's credit position (a reservation, a release, an EAL
computation) first locks the SC's ``credit_account`` row. On PostgreSQL that
is ``SELECT ... FOR UPDATE`` on the row: checks of one SC queue, checks of
different SCs run side by side. SQLite has no row locks; the insert that
makes sure the row exists takes the database write lock instead, which
serialises every writer (the engine's busy timeout makes the others wait).

Lock order: take credit account locks (ascending SC id when several)
*before* anything that writes the audit log, which locks the audit chain head.

Example::

    account = lock_credit_account(session, coordinator_id=7)
    available = account.acl_usd - account.base_liability_usd - account.reserved_exposure_usd
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gridmarket.credit.models import CreditAccount
from gridmarket.credit.money import ZERO


def lock_credit_account(session: Session, coordinator_id: int) -> CreditAccount:
    """The SC's credit account, created if missing, locked until the transaction ends.

    Example::

        account = lock_credit_account(session, 7)   # other checks of SC 7 now wait
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # The first write of a SQLite transaction takes the database write lock.
        _create_if_missing(session, coordinator_id, sqlite_insert)
    account = _select_for_update(session, coordinator_id)
    if account is None:
        _create_if_missing(session, coordinator_id, postgresql_insert)
        account = _select_for_update(session, coordinator_id)
    assert account is not None
    return account


def _select_for_update(session: Session, coordinator_id: int) -> CreditAccount | None:
    # populate_existing: a row already in the session may be stale until locked and re-read.
    return session.scalars(
        select(CreditAccount)
        .where(CreditAccount.scheduling_coordinator_id == coordinator_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _create_if_missing(
    session: Session,
    coordinator_id: int,
    dialect_insert: Callable[[type[CreditAccount]], Any],
) -> None:
    statement = dialect_insert(CreditAccount).values(
        scheduling_coordinator_id=coordinator_id,
        acl_usd=ZERO,
        base_liability_usd=ZERO,
        reserved_exposure_usd=ZERO,
    )
    session.execute(statement.on_conflict_do_nothing())


def current_eal(account: CreditAccount | None) -> Decimal:
    """EAL now: the last computation's other components plus every active reservation.

    Example::

        current_eal(account)   # Decimal('425000.00')
    """
    if account is None:
        return ZERO
    return account.base_liability_usd + account.reserved_exposure_usd


def lock_credit_accounts(session: Session, coordinator_ids: Iterable[int]) -> list[CreditAccount]:
    """Lock several SCs' accounts in ascending SC id order, so two callers never deadlock.

    Example::

        lock_credit_accounts(session, [9, 7])   # locks 7, then 9
    """
    return [lock_credit_account(session, cid) for cid in sorted(set(coordinator_ids))]
