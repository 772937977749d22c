"""Settlement-quality meter data (SQMD) submitted by SCs: records, validation, storage.

An SC submits the meter data of its **SC-metered** resources for one SCID
and trade date, as JSON (:class:`SqmdSubmission`) or a CSV file
(:mod:`gridmarket.metering.sqmd_csv`). Each record (rulebook §9) names the
SCID, resource, resource type, measurement (GEN/LOAD), unit (MWh), interval
length (5, 15 or 60 minutes), interval end (UTC, optionally also PT) and the
value. 15- and 60-minute values are split evenly into 5-minute values
(:func:`gridmarket.metering.split.split_evenly`, exact).

**Per-record acceptance.** Every record is checked on its own; a bad record
never stops the good ones. The answer lists every rejected record with its
row (record number from 1, in the order submitted; for CSV also the file
line) and the reason, and the accepted records are stored in the same
transaction (the submission as a whole is stored or not at all). If no record
is acceptable nothing is stored and the answer is 422 with every reason.
After the final deadline (T+52B) the whole submission is refused (409).

Example::

    result = submit_sqmd(session, principal, SqmdSubmission(scid="MPPA",
                         trade_date=date(2020, 7, 15), records=[{...}, ...]),
                         source_format="json", parameters=params, clock=clock)
    result.response()["rejected"]  # [{"row": 2, "resource_id": ..., "reason": ...}]
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.dates import IsoDate
from gridmarket.errors import InvalidInput, NotFound
from gridmarket.metering.models import Measurement, MeterDataSubmission, MeterSource
from gridmarket.metering.split import five_minute_starts, has_at_most_six_places, split_evenly
from gridmarket.metering.storage import (
    Assignment,
    PendingValue,
    assignments_between,
    deadline_for,
    lock_scid,
    new_submission,
    scid_at,
    store_values,
)
from gridmarket.resources.models import MeteringType, Resource, ResourceType

UNIT = "MWh"
GEN_TYPES = frozenset({ResourceType.GENERATOR, ResourceType.IMPORT_TIE})
LOAD_TYPES = frozenset(
    {ResourceType.LOAD, ResourceType.EXPORT_TIE, ResourceType.PARTICIPATING_LOAD}
)
"""Storage may report either measurement (GEN discharging, LOAD charging)."""
ROW_ERROR = "__row_error__"
"""Key of a record a file reader could not read (the value is the reason)."""


class SqmdRecord(BaseModel):
    """One SQMD record (rulebook §9). ``value`` is MWh over the interval, exactly as sent.

    Example::

        >>> r = SqmdRecord(resource_id="LOAD_AREA1", resource_type="LOAD", measurement="LOAD",
        ...                interval_minutes=60, interval_end_utc="2020-07-15T08:00:00Z",
        ...                value="1200.5")
        >>> r.value, r.unit
        (Decimal('1200.5'), 'MWh')
    """

    model_config = ConfigDict(extra="forbid")

    scid: str | None = None
    """The SCID of the record; when given it must be the submission's."""
    resource_id: str
    resource_type: ResourceType
    measurement: Measurement
    unit: str = UNIT
    interval_minutes: int
    interval_end_utc: datetime
    """Any offset is accepted (``Z``, ``-07:00``); a naive time is refused."""
    interval_end_pt: datetime | None = None
    """Optional, for people: must be the same instant as ``interval_end_utc``."""
    value: Decimal


class SqmdSubmission(BaseModel):
    """An SQMD submission: one SCID, one trade date, records checked one by one."""

    model_config = ConfigDict(extra="forbid")

    scid: str
    trade_date: IsoDate
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class Rejection:
    """A rejected record: where (row, and CSV line) and why."""

    row: int
    resource_id: str | None
    reason: str
    line: int | None = None


@dataclass
class SqmdResult:
    submission: MeterDataSubmission
    scid: str
    rejected: list[Rejection] = field(default_factory=list)

    def response(self) -> dict[str, Any]:
        """The JSON answer: the submission, its counts and every rejected record."""
        return submission_view(self.submission, self.scid)


class MeterDataRejected(InvalidInput):
    """No record of the submission could be accepted: 422 with every reason."""

    def __init__(self, problems: list[Rejection]) -> None:
        super().__init__(f"all {len(problems)} meter data records were rejected", field="records")
        self.problems = problems


@dataclass(frozen=True)
class _Context:
    scid: str
    trade_date: date
    day_start: datetime
    day_end: datetime
    now: datetime
    resources: dict[str, Resource]
    assignments: dict[int, list[Assignment]]
    parameters: MarketParameters


def submit_sqmd(
    session: Session,
    principal: Principal,
    submission: SqmdSubmission,
    *,
    source_format: str,
    parameters: MarketParameters,
    clock: Clock,
    lines: list[int] | None = None,
) -> SqmdResult:
    """Validate every record, store the accepted ones as a new version and audit it.

    See the module doc. ``lines`` gives the CSV file line of each record, for the answer.
    Raises NotVisible (404) for a SCID the principal may not act for,
    Conflict (409) after the final deadline, MeterDataRejected (422) when no
    record is acceptable.
    """
    authorize(principal, Action.SUBMIT_METER_DATA, scid=submission.scid)
    scid = lock_scid(session, submission.scid)
    if scid is None:
        raise NotFound(f"no SCID {submission.scid!r}", field="scid")
    calendar = MarketCalendar(parameters)
    now = clock.now()
    deadline = deadline_for(calendar, submission.trade_date, now)
    if not submission.records:
        raise InvalidInput("the submission has no records", field="records")
    context = _context(session, submission, calendar, now, parameters)
    pending: list[PendingValue] = []
    rejected: list[Rejection] = []
    taken: dict[tuple[str, datetime], int] = {}
    for row, raw in enumerate(submission.records, start=1):
        line = lines[row - 1] if lines else None
        outcome = _check(raw, row, context, taken)
        if isinstance(outcome, str):
            rejected.append(Rejection(row, _resource_of(raw), outcome, line))
        else:
            pending.extend(outcome)
    accepted = len(submission.records) - len(rejected)
    if accepted == 0:
        raise MeterDataRejected(rejected)
    stored = new_submission(
        session, scid, submission.trade_date, source=MeterSource.SC,
        source_format=source_format, deadline=deadline, person_id=principal.person_id,
        clock=clock, records_accepted=accepted, rejections=[asdict(r) for r in rejected],
    )
    store_values(session, stored, pending)
    record_audit(session, actor=principal, action="meter_data.submit",
                 object_type="meter_data_submission", object_id=str(stored.id), clock=clock,
                 details={"scid": scid.code, "trade_date": submission.trade_date.isoformat(),
                          "version": stored.version, "accepted": stored.records_accepted,
                          "rejected": stored.records_rejected})
    return SqmdResult(stored, scid.code, rejected)


def _context(
    session: Session, submission: SqmdSubmission, calendar: MarketCalendar, now: datetime,
    parameters: MarketParameters,
) -> _Context:
    ids = {r for raw in submission.records if (r := _resource_of(raw))}
    resources = {
        r.resource_id: r
        for r in session.scalars(select(Resource).where(Resource.resource_id.in_(ids)))
    }
    start = calendar.trade_day_start_utc(submission.trade_date)
    end = calendar.trade_day_end_utc(submission.trade_date)
    return _Context(
        scid=submission.scid, trade_date=submission.trade_date, day_start=start, day_end=end,
        now=now, resources=resources,
        assignments=assignments_between(session, start, end, [r.id for r in resources.values()]),
        parameters=parameters,
    )


def _resource_of(raw: Any) -> str | None:
    value = raw.get("resource_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _check(
    raw: Any, row: int, ctx: _Context, taken: dict[tuple[str, datetime], int]
) -> str | list[PendingValue]:
    """The record's 5-minute values, or the reason it is rejected."""
    if not isinstance(raw, dict):
        return "a record must be an object with the SQMD fields"
    if ROW_ERROR in raw:
        return str(raw[ROW_ERROR])
    try:
        record = SqmdRecord.model_validate(raw)
    except ValidationError as error:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in error.errors()
        )
    reason = _check_fields(record, ctx)
    if reason is not None:
        return reason
    resource = ctx.resources.get(record.resource_id)
    if resource is None:
        return f"unknown resource {record.resource_id!r}: not in the Master File"
    reason = _check_resource(record, resource, ctx)
    if reason is not None:
        return reason
    end = record.interval_end_utc.astimezone(UTC)
    starts = five_minute_starts(end, record.interval_minutes)
    for start in starts:
        held = scid_at(ctx.assignments.get(resource.id, []), start)
        if held is None or held.scid != ctx.scid:
            return (f"resource {record.resource_id} is not represented by SCID {ctx.scid} "
                    f"in the interval starting {start.isoformat()}")
    reason = _check_value(record, resource, ctx)
    if reason is not None:
        return reason
    for start in starts:
        earlier = taken.get((resource.resource_id, start))
        if earlier is not None:
            return f"overlaps row {earlier} (same resource and interval)"
    for start in starts:
        taken[(resource.resource_id, start)] = row
    shares = split_evenly(record.value, len(starts))
    return [
        PendingValue(resource.resource_id, ctx.scid, start, share, record.measurement, row)
        for start, share in zip(starts, shares, strict=True)
    ]


def _check_fields(record: SqmdRecord, ctx: _Context) -> str | None:
    if record.scid is not None and record.scid != ctx.scid:
        return f"record SCID {record.scid} is not the submission's SCID {ctx.scid}"
    if record.unit != UNIT:
        return f"unit must be {UNIT}, not {record.unit!r}"
    allowed = ctx.parameters.metering.allowed_interval_minutes
    if record.interval_minutes not in allowed:
        return (f"interval length {record.interval_minutes} min is not allowed "
                f"({', '.join(str(m) for m in allowed)})")
    end_utc = record.interval_end_utc
    if end_utc.tzinfo is None:
        return "interval_end_utc needs a time zone (e.g. 2020-07-15T08:00:00Z)"
    if record.interval_end_pt is not None and (
        record.interval_end_pt.tzinfo is None or record.interval_end_pt != end_utc
    ):
        return "interval_end_pt is not the same instant as interval_end_utc"
    end = end_utc.astimezone(UTC)
    start = end - timedelta(minutes=record.interval_minutes)
    if start < ctx.day_start or end > ctx.day_end:
        return f"the interval ending {end.isoformat()} is outside trade date {ctx.trade_date}"
    if (end - ctx.day_start) % timedelta(minutes=record.interval_minutes):
        return (f"interval end {end.isoformat()} is not on a {record.interval_minutes}-minute "
                "boundary of the trade day")
    if end > ctx.now:
        return f"the interval ending {end.isoformat()} has not ended yet"
    return None


def _check_resource(record: SqmdRecord, resource: Resource, ctx: _Context) -> str | None:
    if resource.metering_type is not MeteringType.SC_METERED:
        return (f"resource {resource.resource_id} is ISO-metered: the ISO collects its "
                "meter data")
    if record.resource_type is not resource.resource_type:
        return (f"resource type {record.resource_type.value} does not match the Master File "
                f"({resource.resource_type.value})")
    if resource.resource_type in GEN_TYPES and record.measurement is not Measurement.GEN:
        return f"a {resource.resource_type.value} resource is measured as GEN"
    if resource.resource_type in LOAD_TYPES and record.measurement is not Measurement.LOAD:
        return f"a {resource.resource_type.value} resource is measured as LOAD"
    return None


def _check_value(record: SqmdRecord, resource: Resource, ctx: _Context) -> str | None:
    value = record.value
    if not has_at_most_six_places(value):
        return f"value {value} has more than 6 decimal places (MWh to 1e-6)"
    if value < 0:
        # Generation below zero is a rulebook rejection; a negative load is refused too,
        # because settlement reads GEN and LOAD as separate quantities ≥ 0.
        kind = "generation" if record.measurement is Measurement.GEN else "load"
        return f"negative {kind} {value} MWh (report delivery as GEN, consumption as LOAD)"
    tolerance = ctx.parameters.metering.pmax_tolerance_ratio
    # Compared in MWh × 60, so the limit is exact (5/60 h is not a finite decimal).
    limit_times_60 = resource.p_max_mw * record.interval_minutes * (1 + tolerance)
    if value * 60 > limit_times_60:
        limit = (limit_times_60 / 60).quantize(Decimal("0.000001"))
        return (f"value {value} MWh exceeds Pmax {resource.p_max_mw.normalize():f} MW × "
                f"{record.interval_minutes} min by more than "
                f"{(tolerance * 100).normalize():f}% (limit {limit.normalize():f} MWh)")
    return None


def submission_view(submission: MeterDataSubmission, scid: str) -> dict[str, Any]:
    """A submission as the API shows it.

    Example::

        submission_view(submission, "MPPA")["status"]  # "ACCEPTED" or "PARTIALLY_ACCEPTED"
    """
    rejected = json.loads(submission.rejections_json)
    status = "ACCEPTED" if not rejected else "PARTIALLY_ACCEPTED"
    return {
        "submission_id": submission.id,
        "scid": scid,
        "trade_date": submission.trade_date.isoformat(),
        "version": submission.version,
        "source": submission.source.value,
        "source_format": submission.source_format,
        "deadline": submission.deadline.value,
        "received_at": submission.received_at.isoformat(),
        "status": status,
        "records_accepted": submission.records_accepted,
        "records_rejected": submission.records_rejected,
        "values_stored": submission.values_stored,
        "rejected": rejected,
    }
