"""The append-only audit log, each entry chained by SHA-256 to the one before.

An entry's hash is ``SHA-256(previous hash + canonical JSON of its content)``.
Editing an entry changes its hash; deleting one leaves a gap in the sequence
numbers and a broken link; moving one makes it point at the wrong predecessor.
:func:`verify_audit_chain` walks the chain and names the first bad entry.

Entries are written in the caller's transaction, so a change that is rolled
back leaves no entry. Refusals are the exception: the request that was refused
fails, so :func:`record_refusal` writes them in a transaction of their own.

Appending locks the chain head row: on PostgreSQL the row lock makes
concurrent writers wait their turn; on SQLite the write lock serialises them.
Either way the chain cannot fork. The lock lasts until the commit, so the
append is kept short: on PostgreSQL one statement locks the head, inserts the
entry (its hash computed by the server over the content serialised here) and
moves the head; callers make it the last statement before their commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Integer, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from gridmarket.access.errors import Refusal
from gridmarket.access.models import AuditChainHead, AuditEntry
from gridmarket.access.principal import Principal
from gridmarket.clock import Clock, SystemClock, as_utc
from gridmarket.db.base import UtcDateTime

GENESIS_SHA256 = "0" * 64
"""The "previous hash" of the first entry."""

CHAIN_HEAD_ID = 1

REFUSAL_LOCK_TIMEOUT_SECONDS = 10
"""How long :func:`record_refusal` waits for the chain head on PostgreSQL."""


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, non-JSON values (dates, decimals) as strings.

    Example::

        >>> canonical_json({"b": 1, "a": [2, 3]})
        '{"a":[2,3],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_content(entry: AuditEntry) -> dict[str, Any]:
    """The fields an entry's hash covers (all but its sequence number and hashes).

    The position of an entry is protected by the chain link, not by its
    sequence number, so a moved entry is reported as out of order.
    """
    return {
        "occurred_at": as_utc(entry.occurred_at).isoformat(timespec="microseconds"),
        "actor_person_id": entry.actor_person_id,
        "actor_email": entry.actor_email,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "outcome": entry.outcome,
        "details": entry.details_json,
    }


def entry_hash(previous_sha256: str, entry: AuditEntry) -> str:
    """SHA-256 (hex) over the previous hash and the canonical JSON of ``entry``."""
    payload = previous_sha256 + canonical_json(entry_content(entry))
    return hashlib.sha256(payload.encode()).hexdigest()


def record_audit(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any] | None = None,
    outcome: str = "ok",
    actor_email: str | None = None,
    clock: Clock | None = None,
) -> AuditEntry:
    """Append an entry to the audit log in the caller's transaction.

    ``actor`` is ``None`` for acts of the system or of an operator at the
    command line; ``actor_email`` then names who tried (e.g. a failed login).

    The caller's pending changes are flushed first, so that the chain head is
    taken by the last statement before the commit and held as briefly as
    possible; the returned entry is not added to the session (it is written).

    Example::

        record_audit(session, actor=admin, action="role.grant", object_type="person",
                     object_id="42", details={"role": "TRADER"})
    """
    entry = AuditEntry(
        occurred_at=as_utc((clock or SystemClock()).now()),
        actor_person_id=actor.person_id if actor else None,
        actor_email=actor.email if actor else actor_email,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        outcome=outcome,
        details_json=canonical_json(details or {}),
    )
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        appended = session.execute(_APPEND_POSTGRESQL, _values(entry, CHAIN_HEAD_ID)).one_or_none()
        if appended is not None:
            entry.sequence, entry.previous_sha256, entry.entry_sha256 = (
                int(appended[0]), str(appended[1]), str(appended[2]))
            return entry
    head = _lock_chain_head(session)
    entry.sequence = head[0] + 1
    entry.previous_sha256 = head[1]
    entry.entry_sha256 = entry_hash(entry.previous_sha256, entry)
    session.execute(insert(AuditEntry).values(_columns(entry)))
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == CHAIN_HEAD_ID)
        .values(last_sequence=entry.sequence, last_sha256=entry.entry_sha256)
    )
    return entry


_CONTENT_COLUMNS = ("occurred_at", "actor_person_id", "actor_email", "action", "object_type",
                    "object_id", "outcome", "details_json")


def _columns(entry: AuditEntry) -> dict[str, Any]:
    columns = {name: getattr(entry, name) for name in _CONTENT_COLUMNS}
    columns.update(sequence=entry.sequence, previous_sha256=entry.previous_sha256,
                   entry_sha256=entry.entry_sha256)
    return columns


def _values(entry: AuditEntry, head_id: int) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in _CONTENT_COLUMNS}
    values.update(head_id=head_id, content=canonical_json(entry_content(entry)))
    return values


# PostgreSQL appends in one statement: lock the head, insert the entry with its hash
# computed by the server from the previous hash and the content serialised here, and
# move the head. The lock is held from this statement to the commit, with no round
# trip (and no wait for the Python interpreter lock) in between.
_APPEND_POSTGRESQL = text("""
WITH head AS (
    SELECT last_sequence, last_sha256 FROM audit_chain_head WHERE id = :head_id FOR UPDATE
), entry AS (
    INSERT INTO audit_entry (sequence, occurred_at, actor_person_id, actor_email, action,
                             object_type, object_id, outcome, details_json,
                             previous_sha256, entry_sha256)
    SELECT last_sequence + 1, :occurred_at, :actor_person_id, :actor_email, :action,
           :object_type, :object_id, :outcome, :details_json, last_sha256,
           encode(sha256(convert_to(last_sha256 || CAST(:content AS text), 'UTF8')), 'hex')
    FROM head
    RETURNING sequence, previous_sha256, entry_sha256
)
UPDATE audit_chain_head SET last_sequence = entry.sequence, last_sha256 = entry.entry_sha256
FROM entry WHERE audit_chain_head.id = :head_id
RETURNING entry.sequence, entry.previous_sha256, entry.entry_sha256
""").bindparams(bindparam("occurred_at", type_=UtcDateTime()),
                bindparam("actor_person_id", type_=Integer()))


def _lock_chain_head(session: Session) -> tuple[int, str]:
    """Lock the chain head for this transaction and return (last sequence, last hash)."""
    # A no-op UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite)
    # before the head is read, so two writers never read the same head.
    locked = session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == CHAIN_HEAD_ID)
        .values(last_sequence=AuditChainHead.last_sequence)
        .returning(AuditChainHead.last_sequence, AuditChainHead.last_sha256)
    ).one_or_none()
    if locked is not None:
        return int(locked[0]), str(locked[1])
    # A schema built without the migrations has no head row yet: start it from
    # the last entry, if any.
    last = session.execute(
        select(AuditEntry.sequence, AuditEntry.entry_sha256)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    ).one_or_none()
    sequence, sha256 = (int(last[0]), str(last[1])) if last else (0, GENESIS_SHA256)
    session.execute(
        insert(AuditChainHead).values(id=CHAIN_HEAD_ID, last_sequence=sequence, last_sha256=sha256)
    )
    return sequence, sha256


def record_refusal(
    bind: Engine | sessionmaker[Session],
    refusal: Refusal,
    *,
    clock: Clock | None = None,
) -> AuditEntry:
    """Write a refused access check in its own short transaction.

    The refused request is rolled back; this entry must survive it. Call it
    after the request's own session is closed (the API's exception handlers
    do), so it never waits on a lock that session holds.

    Example::

        try:
            with unit_of_work(factory) as session:
                certify(session, principal, ...)   # raises AccessDenied; rolled back
        except AccessDenied as denied:
            record_refusal(engine, denied.refusal)
            raise
    """
    session = bind() if isinstance(bind, sessionmaker) else Session(bind, expire_on_commit=False)
    with session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            # Called by mistake inside a transaction that holds the chain head, this
            # would wait for itself forever; fail loudly instead.
            session.execute(text(f"SET LOCAL lock_timeout = '{REFUSAL_LOCK_TIMEOUT_SECONDS}s'"))
        entry = record_audit(
            session,
            actor=refusal.actor,
            action=refusal.action,
            object_type=refusal.object_type,
            object_id=refusal.object_id,
            details={"reason": refusal.reason, **refusal.details},
            outcome=refusal.outcome,
            clock=clock,
        )
    return entry


@dataclass(frozen=True)
class AuditVerification:
    """The result of walking the chain: intact, or the first bad entry and what is wrong."""

    entries: int
    first_bad_sequence: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def message(self) -> str:
        """One line for people: ``audit chain intact: N entries`` or the problem."""
        if self.intact:
            return f"audit chain intact: {self.entries} entries"
        return f"audit chain broken at entry {self.first_bad_sequence}: {self.problem}"


def verify_audit_chain(session: Session) -> AuditVerification:
    """Walk the audit log in sequence order and name the first edited, missing or moved entry.

    Example::

        result = verify_audit_chain(session)
        print(result.message())  # "audit chain intact: 1234 entries"
    """
    expected_sequence = 1
    previous_sha256 = GENESIS_SHA256
    count = 0
    entries = session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.sequence)
        .execution_options(yield_per=1000, populate_existing=True)
    )
    for entry in entries:
        if entry.sequence != expected_sequence:
            missing = _range_text(expected_sequence, entry.sequence - 1)
            return AuditVerification(
                count,
                expected_sequence,
                f"{missing} missing (deleted) before entry {entry.sequence}",
            )
        if entry_hash(entry.previous_sha256, entry) != entry.entry_sha256:
            return AuditVerification(
                count, entry.sequence, "edited: its content does not match its hash"
            )
        if entry.previous_sha256 != previous_sha256:
            return AuditVerification(
                count, entry.sequence, _broken_link(session, entry, expected_sequence)
            )
        previous_sha256 = entry.entry_sha256
        expected_sequence += 1
        count += 1
    return _check_head(session, count, previous_sha256)


def _broken_link(session: Session, entry: AuditEntry, position: int) -> str:
    predecessor = session.scalar(
        select(AuditEntry.sequence).where(AuditEntry.entry_sha256 == entry.previous_sha256)
    )
    if predecessor is not None and predecessor != position - 1:
        return (
            f"out of order: it was written after entry {predecessor} but now stands "
            f"at position {position}"
        )
    if predecessor is None and entry.previous_sha256 != GENESIS_SHA256:
        return "the entry it was chained to is missing (deleted or replaced)"
    return "it does not link to the entry before it"


def _check_head(session: Session, count: int, last_sha256: str) -> AuditVerification:
    head = session.execute(
        select(AuditChainHead.last_sequence, AuditChainHead.last_sha256).where(
            AuditChainHead.id == CHAIN_HEAD_ID
        )
    ).one_or_none()
    if head is None or (head[0] == count and head[1] == last_sha256):
        return AuditVerification(count)
    if head[0] > count:
        return AuditVerification(
            count, count + 1, f"{_range_text(count + 1, head[0])} missing (deleted) at the end"
        )
    return AuditVerification(
        count, head[0], "the chain head does not match the last entry (head edited)"
    )


def _range_text(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first}-{last} are"


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    total: int
    offset: int
    limit: int


def find_audit_entries(
    session: Session,
    *,
    actor_email: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> AuditPage:
    """One page of audit entries, newest first, filtered by actor, action and time.

    ``since`` is inclusive, ``until`` exclusive.

    Example::

        page = find_audit_entries(session, action="role.grant", limit=50)
    """
    query = select(AuditEntry)
    if actor_email is not None:
        query = query.where(AuditEntry.actor_email == actor_email)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= as_utc(since))
    if until is not None:
        query = query.where(AuditEntry.occurred_at < as_utc(until))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(AuditEntry.sequence.desc()).offset(offset).limit(limit)
    ).all()
    return AuditPage(items=list(items), total=total, offset=offset, limit=limit)
