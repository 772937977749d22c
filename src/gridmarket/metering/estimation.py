"""Estimating meter data missing at a deadline (rulebook §9).

Run once the deadline (T+5B initial, T+52B final) has passed. For every
resource of the published RTD run and every load resource, each 5-minute
interval of the trade day without a current value gets an estimate, marked
``ESTIMATED``:

* generators and storage: the RTD expected energy of the interval (storage
  charging as LOAD);
* loads: their share of the RTD net generation, by the real-time area load
  forecast (:mod:`gridmarket.metering.rtd_energy`).

An interval whose resource had no SCID then is skipped. Estimates are one
submission per SCID (source ESTIMATED, format ``estimate``). A later SQMD or
ISO collection for the interval supersedes the estimate like any older value;
an estimate never replaces a value, it only fills gaps.

Example::

    report = estimate_missing(session, date(2020, 7, 15), MeterDeadline.INITIAL,
                              parameters=params, clock=clock)
    report.values_stored  # intervals that were missing
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict
from gridmarket.metering.models import Measurement, MeterDeadline, MeterSource
from gridmarket.metering.rtd_energy import rtd_energy
from gridmarket.metering.storage import (
    PendingValue,
    assignments_between,
    current_keys,
    lock_scid,
    new_submission,
    scid_at,
    store_values,
)
from gridmarket.resources.models import Resource, ResourceType


@dataclass
class EstimationReport:
    trade_date: date
    deadline: MeterDeadline
    submissions: dict[str, int] = field(default_factory=dict)
    """Submission id per SCID."""
    values_stored: int = 0


def deadline_date(calendar: MarketCalendar, trade_date: date, deadline: MeterDeadline) -> date:
    """The business day of ``deadline`` for ``trade_date``.

    Example::

        >>> deadline_date(MarketCalendar(), date(2020, 6, 1), MeterDeadline.INITIAL)
        datetime.date(2020, 6, 8)
    """
    if deadline is MeterDeadline.INITIAL:
        return calendar.sqmd_initial_deadline(trade_date)
    return calendar.sqmd_final_deadline(trade_date)


def estimate_missing(
    session: Session,
    trade_date: date,
    deadline: MeterDeadline,
    *,
    parameters: MarketParameters,
    clock: Clock,
) -> EstimationReport:
    """Fill every missing 5-minute value of ``trade_date`` with an estimate (module doc).

    Conflict before the deadline has passed (data is still due then) or
    without a published RTD run.
    """
    calendar = MarketCalendar(parameters)
    due = deadline_date(calendar, trade_date, deadline)
    if calendar.trade_date_of(clock.now()) <= due:
        raise Conflict(f"the {deadline.value.lower()} meter data deadline of {trade_date} "
                       f"({due}) has not passed yet", field="deadline")
    energy = rtd_energy(session, trade_date, calendar)
    start, end = calendar.trade_day_start_utc(trade_date), calendar.trade_day_end_utc(trade_date)
    resources = list(session.scalars(
        select(Resource).where(
            Resource.resource_id.in_(list(energy.units))
            | (Resource.resource_type == ResourceType.LOAD)
        ).order_by(Resource.resource_id)
    ))
    assignments = assignments_between(session, start, end, [r.id for r in resources])
    locked = {code: lock_scid(session, code)
              for code in sorted({a.scid for held in assignments.values() for a in held})}
    present = current_keys(session, start, end)  # Read after the locks: no gap is filled twice.
    by_scid: dict[str, list[PendingValue]] = defaultdict(list)
    for resource in resources:
        unit = energy.units.get(resource.resource_id, {})
        load = energy.loads.get(resource.resource_id, {})
        for interval in calendar.intervals(trade_date, 5):
            instant = interval.start_utc
            if (resource.resource_id, instant) in present:
                continue
            held = scid_at(assignments.get(resource.id, []), instant)
            if held is None:
                continue
            if resource.resource_type is ResourceType.LOAD:
                mwh, measurement = load.get(instant, Decimal(0)), Measurement.LOAD
            else:
                expected = unit.get(instant, (Decimal(0), None))[0]
                measurement = Measurement.LOAD if expected < 0 else Measurement.GEN
                mwh = abs(expected)
            by_scid[held.scid].append(
                PendingValue(resource.resource_id, held.scid, instant, mwh, measurement, None))
    report = EstimationReport(trade_date, deadline)
    for code, values in sorted(by_scid.items()):
        scid = locked[code]
        assert scid is not None
        submission = new_submission(session, scid, trade_date, source=MeterSource.ESTIMATED,
                                    source_format="estimate", deadline=deadline,
                                    person_id=None, clock=clock, records_accepted=len(values))
        report.values_stored += store_values(session, submission, values)
        report.submissions[code] = submission.id
    return report
