"""A small metering world: two SCs, SC- and ISO-metered resources, a published RTD run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import assign, make_resource

from gridmarket.access.models import Organisation, Role
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.markets.parameters import record_parameters
from gridmarket.markets.run_models import DispatchInstruction, MarketKind, MarketRun, RunStatus
from gridmarket.participants.models import Scid
from gridmarket.resources.models import MeteringType, Resource, ResourceType

TRADE_DATE = date(2020, 5, 12)
CALENDAR = MarketCalendar()
DAY_START = CALENDAR.trade_day_start_utc(TRADE_DATE)
AFTER_DAY = datetime(2020, 5, 14, 16, tzinfo=UTC)
"""Two days after the trade day: before the initial deadline (2020-05-19)."""
PARAMETERS = MarketParameters()
DISPATCH_MW = Decimal("30")


@dataclass
class MeterWorld:
    scid: Scid
    other_scid: Scid
    trader: Principal
    analyst: Principal
    reader: Principal
    other_trader: Principal
    gen: Resource
    """SC-metered generator of ``scid``, Pmax 50 MW."""
    load: Resource
    """SC-metered load of ``scid``, Pmax 120 MW."""
    iso_gen: Resource
    """ISO-metered generator of ``scid``, Pmax 50 MW."""
    other_gen: Resource
    """SC-metered generator of ``other_scid``."""
    organisation: Organisation
    other_organisation: Organisation


def build_meter_world(session: Session, world: AccessWorld) -> MeterWorld:
    org_a, [scid_a] = world.scheduling_coordinator()
    org_b, [scid_b] = world.scheduling_coordinator()
    gen = make_resource(session, "SCG", metering_type=MeteringType.SC_METERED)
    load = make_resource(session, "SCL", resource_type=ResourceType.LOAD, category="Load",
                         p_min_mw=Decimal(0), p_max_mw=Decimal("120"),
                         metering_type=MeteringType.SC_METERED)
    iso_gen = make_resource(session, "ISOG")
    other_gen = make_resource(session, "OTHG", metering_type=MeteringType.SC_METERED)
    for resource in (gen, load, iso_gen):
        assign(session, resource, scid_a)
    assign(session, other_gen, scid_b)
    return MeterWorld(
        scid=scid_a, other_scid=scid_b,
        trader=world.principal(world.person(org_a, Role.TRADER, scids=(scid_a,))),
        analyst=world.principal(world.person(org_a, Role.SETTLEMENT_ANALYST, scids=(scid_a,))),
        reader=world.principal(world.person(org_a, Role.READ_ONLY, scids=(scid_a,))),
        other_trader=world.principal(world.person(org_b, Role.TRADER, scids=(scid_b,))),
        gen=gen, load=load, iso_gen=iso_gen, other_gen=other_gen,
        organisation=org_a, other_organisation=org_b,
    )


def publish_rtd(session: Session, trade_date: date, units: list[Resource], scid: str,
                mw: Decimal = DISPATCH_MW) -> MarketRun:
    """A completed RTD run dispatching every unit at ``mw`` in every 5-minute interval."""
    run = MarketRun(market=MarketKind.RTD, trade_date=trade_date, status=RunStatus.COMPLETED,
                    started_at=AFTER_DAY, finished_at=AFTER_DAY,
                    parameter_set_id=record_parameters(session, PARAMETERS).id)
    session.add(run)
    session.flush()
    rows = [
        {"run_id": run.id, "resource_id": unit.resource_id, "scid": scid,
         "interval_start_utc": interval.start_utc, "interval_minutes": 5, "dispatch_mw": mw,
         "expected_energy_mwh": (mw / 12).quantize(Decimal("0.000001")),
         "carried_forward": False}
        for unit in units
        for interval in CALENDAR.intervals(trade_date, 5)
    ]
    session.execute(insert(DispatchInstruction), rows)
    return run


def record(resource: Resource, end: datetime, value: str, *, minutes: int = 5,
           **overrides: Any) -> dict[str, Any]:
    """One SQMD record as JSON would carry it."""
    fields: dict[str, Any] = {
        "resource_id": resource.resource_id,
        "resource_type": resource.resource_type.value,
        "measurement": "LOAD" if resource.resource_type is ResourceType.LOAD else "GEN",
        "unit": "MWh",
        "interval_minutes": minutes,
        "interval_end_utc": end.isoformat(),
        "value": value,
    }
    fields.update(overrides)
    return fields


def end_of(n: int, minutes: int = 5, day_start: datetime = DAY_START) -> datetime:
    """The end of the ``n``-th (from 1) interval of ``minutes`` of the trade day."""
    return day_start + timedelta(minutes=minutes * n)


def clock_at(instant: datetime = AFTER_DAY) -> FixedClock:
    return FixedClock(instant)
