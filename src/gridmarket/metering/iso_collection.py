"""Meter data the ISO collects itself, and the demo SCs' SQMD, both derived from RTD.

There are no physical meters here, so a meter reading is simulated as the
RTD expected energy of the interval times a **deviation factor**::

    factor = 1 + BIAS + DEVIATION × u,   u ∈ [−1, 1]

with ``BIAS`` = +0.5 % (meters read a little above dispatch on average) and
``DEVIATION`` = 2 %. ``u`` is deterministic: the first 8 bytes of
SHA-256(``seed|resource|interval start``) scaled to [−1, 1], so the same
resource and interval always read the same, run after run. Readings are
rounded half-even to 1e-6 MWh. Storage charging (negative expected energy)
is metered as LOAD.

* :func:`collect_iso_meter_data` stores readings of the **ISO-metered**
  resources (source ISO), one submission per SCID.
* :func:`demo_sqmd_records` makes the SQMD records an SC would submit for its
  **SC-metered** resources (loads from their RTD consumption, see
  :mod:`gridmarket.metering.rtd_energy`), in 5-, 15- or 60-minute records.

Example::

    report = collect_iso_meter_data(session, date(2020, 7, 15), parameters=params, clock=clock)
    report.values_stored  # e.g. 44_064
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.metering.models import Measurement, MeterSource
from gridmarket.metering.rtd_energy import rtd_energy
from gridmarket.metering.split import QUANTUM
from gridmarket.metering.storage import (
    PendingValue,
    assignments_between,
    deadline_label,
    lock_scid,
    new_submission,
    scid_at,
    store_values,
)
from gridmarket.resources.models import MeteringType, Resource, ResourceType

DEVIATION = Decimal("0.02")
BIAS = Decimal("0.005")
DEFAULT_SEED = 20200715
TWO_POW_64 = Decimal(2**64)


@dataclass
class CollectionReport:
    trade_date: date
    submissions: dict[str, int] = field(default_factory=dict)
    """Submission id per SCID."""
    values_stored: int = 0


def deviation_factor(resource_id: str, interval_start_utc: datetime, seed: int = DEFAULT_SEED
                     ) -> Decimal:
    """The meter's deterministic factor over RTD expected energy, in [0.985, 1.025].

    Example::

        >>> from datetime import UTC
        >>> f = deviation_factor("101_STEAM_3", datetime(2020, 7, 15, 7, tzinfo=UTC))
        >>> Decimal("0.985") <= f <= Decimal("1.025")
        True
    """
    digest = hashlib.sha256(f"{seed}|{resource_id}|{interval_start_utc.isoformat()}".encode())
    unit = Decimal(int.from_bytes(digest.digest()[:8], "big")) / TWO_POW_64  # [0, 1)
    return (1 + BIAS + DEVIATION * (2 * unit - 1)).quantize(Decimal("0.000001"))


def metered(expected_mwh: Decimal, resource_id: str, start: datetime, seed: int = DEFAULT_SEED
            ) -> tuple[Decimal, Measurement]:
    """A simulated reading of ``expected_mwh``: (MWh ≥ 0 with GEN, or LOAD for charging).

    Example::

        >>> from datetime import UTC
        >>> metered(Decimal("0"), "G", datetime(2020, 7, 15, 7, tzinfo=UTC))
        (Decimal('0.000000'), <Measurement.GEN: 'GEN'>)
    """
    measurement = Measurement.LOAD if expected_mwh < 0 else Measurement.GEN
    value = abs(expected_mwh) * deviation_factor(resource_id, start, seed)
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN), measurement


def collect_iso_meter_data(
    session: Session,
    trade_date: date,
    *,
    parameters: MarketParameters,
    clock: Clock,
    seed: int = DEFAULT_SEED,
) -> CollectionReport:
    """Store the ISO's meter readings of every ISO-metered resource in the RTD run.

    A new collection is a new version: its values supersede the previous ones.
    It is labelled INITIAL or FINAL by when it runs; the ISO's own data is
    never refused for lateness. Conflict if no RTD run is published.
    """
    calendar = MarketCalendar(parameters)
    deadline = deadline_label(calendar, trade_date, clock.now())
    energy = rtd_energy(session, trade_date, calendar)
    resources = {
        r.resource_id: r
        for r in session.scalars(
            select(Resource).where(Resource.resource_id.in_(list(energy.units)),
                                   Resource.metering_type == MeteringType.ISO_METERED)
        )
    }
    start, end = calendar.trade_day_start_utc(trade_date), calendar.trade_day_end_utc(trade_date)
    assignments = assignments_between(session, start, end, [r.id for r in resources.values()])
    by_scid: dict[str, list[PendingValue]] = defaultdict(list)
    for resource_id, resource in sorted(resources.items()):
        for instant, (expected, _scid) in sorted(energy.units[resource_id].items()):
            held = scid_at(assignments.get(resource.id, []), instant)
            if held is None:
                continue
            mwh, measurement = metered(expected, resource_id, instant, seed)
            by_scid[held.scid].append(
                PendingValue(resource_id, held.scid, instant, mwh, measurement, None))
    report = CollectionReport(trade_date)
    for code, values in sorted(by_scid.items()):
        scid = lock_scid(session, code)
        assert scid is not None
        submission = new_submission(session, scid, trade_date, source=MeterSource.ISO,
                                    source_format="iso", deadline=deadline, person_id=None,
                                    clock=clock, records_accepted=len(values))
        report.values_stored += store_values(session, submission, values)
        report.submissions[code] = submission.id
    return report


def demo_sqmd_records(
    session: Session,
    trade_date: date,
    scid: str,
    *,
    parameters: MarketParameters,
    interval_minutes: int = 60,
    seed: int = DEFAULT_SEED,
) -> list[dict[str, Any]]:
    """SQMD records (JSON-ready) for the SC-metered resources of ``scid`` from RTD.

    Each 5-minute reading is simulated as in :func:`metered`; ``interval_minutes``
    (5, 15 or 60) sums them into longer records. Pass the result as
    ``SqmdSubmission(scid=scid, trade_date=trade_date, records=...)``.

    Example::

        records = demo_sqmd_records(session, date(2020, 7, 15), "MPPA", parameters=params)
        records[0]["measurement"]  # 'LOAD'
    """
    calendar = MarketCalendar(parameters)
    energy = rtd_energy(session, trade_date, calendar)
    start, end = calendar.trade_day_start_utc(trade_date), calendar.trade_day_end_utc(trade_date)
    candidates = set(energy.units) | set(energy.loads)
    resources = list(session.scalars(
        select(Resource).where(Resource.resource_id.in_(candidates),
                               Resource.metering_type == MeteringType.SC_METERED)
        .order_by(Resource.resource_id)
    ))
    assignments = assignments_between(session, start, end, [r.id for r in resources])
    records: list[dict[str, Any]] = []
    for resource in resources:
        readings = _readings(resource, energy.units, energy.loads, seed)
        for interval in calendar.intervals(trade_date, interval_minutes):
            steps = [interval.start_utc + timedelta(minutes=5 * k)
                     for k in range(interval_minutes // 5)]
            held = [scid_at(assignments.get(resource.id, []), s) for s in steps]
            if any(h is None or h.scid != scid for h in held) or steps[0] not in readings:
                continue
            records.append(_record(resource, interval.end_utc, interval_minutes,
                                   [readings.get(s, (Decimal(0), None)) for s in steps], scid))
    return records


def _readings(
    resource: Resource,
    units: dict[str, dict[datetime, tuple[Decimal, str | None]]],
    loads: dict[str, dict[datetime, Decimal]],
    seed: int,
) -> dict[datetime, tuple[Decimal, Measurement | None]]:
    if resource.resource_type is ResourceType.LOAD:
        return {s: (metered(v, resource.resource_id, s, seed)[0], Measurement.LOAD)
                for s, v in loads.get(resource.resource_id, {}).items()}
    out: dict[datetime, tuple[Decimal, Measurement | None]] = {}
    for s, (expected, _scid) in units.get(resource.resource_id, {}).items():
        out[s] = metered(expected, resource.resource_id, s, seed)
    return out


def _record(resource: Resource, end_utc: datetime, minutes: int,
            readings: list[tuple[Decimal, Measurement | None]], scid: str) -> dict[str, Any]:
    measurement = (Measurement.LOAD if resource.resource_type is ResourceType.LOAD
                   else Measurement.GEN)
    if resource.resource_type is ResourceType.STORAGE:
        # Net over the interval: discharging as GEN, charging as LOAD.
        net = sum((v if m is not Measurement.LOAD else -v for v, m in readings), Decimal(0))
        measurement = Measurement.GEN if net >= 0 else Measurement.LOAD
        value = abs(net)
    else:
        value = sum((v for v, _m in readings), Decimal(0))
    return {
        "scid": scid,
        "resource_id": resource.resource_id,
        "resource_type": resource.resource_type.value,
        "measurement": measurement.value,
        "unit": "MWh",
        "interval_minutes": minutes,
        "interval_end_utc": end_utc.isoformat(),
        "value": str(value.quantize(QUANTUM)),
    }
