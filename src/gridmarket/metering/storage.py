"""Writing meter data: versioned submissions, superseding values, who represented what.

Every batch of meter data — an SC's SQMD, the ISO's collection, the ISO's
estimates — is one :class:`MeterDataSubmission` with the next version of its
(SCID, trade date). Its 5-minute values supersede the current values of the
same (resource, interval); older versions stay in the table.

Example::

    submission = new_submission(session, scid, trade_date, source=MeterSource.ISO,
                                source_format="iso", deadline=MeterDeadline.INITIAL,
                                person_id=None, clock=clock)
    store_values(session, submission, [PendingValue("G1", "DTGN", start, Decimal("4.1"),
                                                    Measurement.GEN, None)])
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.errors import Conflict
from gridmarket.metering.models import (
    Measurement,
    MeterDataSubmission,
    MeterDeadline,
    MeterSource,
    MeterValue,
)
from gridmarket.participants.models import Scid
from gridmarket.resources.models import Resource, ResourceAssignment

UPDATE_BATCH = 500


@dataclass(frozen=True)
class PendingValue:
    """A 5-minute value about to be stored."""

    resource_id: str
    scid: str
    interval_start_utc: datetime
    mwh: Decimal
    measurement: Measurement
    source_row: int | None


@dataclass(frozen=True)
class Assignment:
    """One stretch of time a SCID represents a resource (``end`` None: still open)."""

    scid: str
    scid_id: int
    start: datetime
    end: datetime | None

    def covers(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


def deadline_for(calendar: MarketCalendar, trade_date: date, now: datetime) -> MeterDeadline:
    """Which statement data received ``now`` counts for; Conflict after the final deadline.

    A deadline is a business day: data received on it (market time) is on time.

    Example::

        >>> from datetime import UTC
        >>> deadline_for(MarketCalendar(), date(2020, 6, 1), datetime(2020, 6, 8, 20, tzinfo=UTC))
        <MeterDeadline.INITIAL: 'INITIAL'>
    """
    today = calendar.trade_date_of(now)
    if today <= calendar.sqmd_initial_deadline(trade_date):
        return MeterDeadline.INITIAL
    final = calendar.sqmd_final_deadline(trade_date)
    if today <= final:
        return MeterDeadline.FINAL
    raise Conflict(
        f"the final meter data deadline for {trade_date} was {final} (T+52B); "
        "meter data is no longer accepted",
        field="trade_date",
    )


def deadline_label(calendar: MarketCalendar, trade_date: date, now: datetime) -> MeterDeadline:
    """Like :func:`deadline_for` but never refusing: the ISO's own data counts after T+52B too.

    Example::

        >>> from datetime import UTC
        >>> deadline_label(MarketCalendar(), date(2020, 6, 1), datetime(2024, 1, 1, tzinfo=UTC))
        <MeterDeadline.FINAL: 'FINAL'>
    """
    if calendar.trade_date_of(now) <= calendar.sqmd_initial_deadline(trade_date):
        return MeterDeadline.INITIAL
    return MeterDeadline.FINAL


def lock_scid(session: Session, scid_code: str) -> Scid | None:
    """The SCID row, locked (PostgreSQL) so its submissions get versions one at a time."""
    query = select(Scid).where(Scid.code == scid_code).with_for_update()
    return session.scalars(query).one_or_none()


def new_submission(
    session: Session,
    scid: Scid,
    trade_date: date,
    *,
    source: MeterSource,
    source_format: str,
    deadline: MeterDeadline,
    person_id: int | None,
    clock: Clock,
    records_accepted: int = 0,
    rejections: Sequence[dict[str, Any]] = (),
) -> MeterDataSubmission:
    """A new submission with the next version of (SCID, trade date), flushed."""
    latest = session.scalar(
        select(func.max(MeterDataSubmission.version)).where(
            MeterDataSubmission.scid_id == scid.id, MeterDataSubmission.trade_date == trade_date
        )
    )
    submission = MeterDataSubmission(
        scid_id=scid.id,
        trade_date=trade_date,
        version=(latest or 0) + 1,
        source=source,
        source_format=source_format,
        deadline=deadline,
        person_id=person_id,
        received_at=clock.now(),
        records_accepted=records_accepted,
        records_rejected=len(rejections),
        values_stored=0,
        rejections_json=json.dumps(list(rejections), sort_keys=True),
    )
    session.add(submission)
    session.flush()
    return submission


def store_values(
    session: Session, submission: MeterDataSubmission, values: Sequence[PendingValue]
) -> int:
    """Supersede the current values of the same keys, then insert ``values``; returns the count.

    Example::

        store_values(session, submission, pending)  # 288 for a whole day of one resource
    """
    by_resource: dict[str, list[datetime]] = defaultdict(list)
    for value in values:
        by_resource[value.resource_id].append(value.interval_start_utc)
    for resource_id, starts in by_resource.items():
        for offset in range(0, len(starts), UPDATE_BATCH):
            session.execute(
                update(MeterValue)
                .where(
                    MeterValue.resource_id == resource_id,
                    MeterValue.interval_start_utc.in_(starts[offset : offset + UPDATE_BATCH]),
                    MeterValue.superseded.is_(False),
                )
                .values(superseded=True)
                .execution_options(synchronize_session=False)
            )
    if values:
        session.execute(
            insert(MeterValue),
            [
                {
                    "submission_id": submission.id,
                    "resource_id": v.resource_id,
                    "scid": v.scid,
                    "interval_start_utc": v.interval_start_utc,
                    "mwh": v.mwh,
                    "measurement": v.measurement,
                    "source": submission.source,
                    "source_row": v.source_row,
                    "superseded": False,
                }
                for v in values
            ],
        )
    submission.values_stored = len(values)
    session.flush()
    return len(values)


def assignments_between(
    session: Session, start: datetime, end: datetime, resource_pks: Iterable[int] | None = None
) -> dict[int, list[Assignment]]:
    """Every SCID assignment overlapping [start, end), by resource primary key."""
    query = (
        select(ResourceAssignment.resource_pk, Scid.code, Scid.id,
               ResourceAssignment.effective_from_utc, ResourceAssignment.effective_to_utc)
        .join(Scid, Scid.id == ResourceAssignment.scid_id)
        .where(
            ResourceAssignment.effective_from_utc < end,
            ResourceAssignment.effective_to_utc.is_(None)
            | (ResourceAssignment.effective_to_utc > start),
        )
    )
    if resource_pks is not None:
        query = query.where(ResourceAssignment.resource_pk.in_(list(resource_pks)))
    out: dict[int, list[Assignment]] = defaultdict(list)
    for pk, code, scid_id, since, until in session.execute(query):
        out[pk].append(Assignment(code, scid_id, since, until))
    return out


def scid_at(assignments: Sequence[Assignment], instant: datetime) -> Assignment | None:
    """The assignment covering ``instant``, if any.

    Example::

        >>> from datetime import UTC
        >>> a = Assignment("DTGN", 1, datetime(2020, 1, 1, tzinfo=UTC), None)
        >>> scid_at([a], datetime(2020, 7, 1, tzinfo=UTC)).scid
        'DTGN'
    """
    return next((a for a in assignments if a.covers(instant)), None)


def current_keys(
    session: Session, start: datetime, end: datetime
) -> set[tuple[str, datetime]]:
    """(resource, interval start) of every current value in [start, end)."""
    rows = session.execute(
        select(MeterValue.resource_id, MeterValue.interval_start_utc).where(
            MeterValue.superseded.is_(False),
            MeterValue.interval_start_utc >= start,
            MeterValue.interval_start_utc < end,
        )
    )
    return {(r, t) for r, t in rows}


def resources_by_pk(session: Session, pks: Iterable[int]) -> dict[int, Resource]:
    return {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(list(pks))))}
