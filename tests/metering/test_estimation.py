"""ISO collection, estimates at a deadline, the demo SQMD, and the loss factor settlement reads."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.metering.meter_world import (
    CALENDAR,
    PARAMETERS,
    TRADE_DATE,
    MeterWorld,
    build_meter_world,
    clock_at,
    end_of,
    publish_rtd,
    record,
)

from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict
from gridmarket.metering.estimation import estimate_missing
from gridmarket.metering.iso_collection import (
    collect_iso_meter_data,
    demo_sqmd_records,
    deviation_factor,
)
from gridmarket.metering.models import MeterDeadline
from gridmarket.metering.queries import SETTLEMENT_SCHEMA, settlement_meter_values
from gridmarket.metering.sqmd import SqmdSubmission, submit_sqmd

EXPECTED = Decimal("2.5")  # 30 MW for 5 minutes
AFTER_INITIAL = CALENDAR.trade_day_end_utc(CALENDAR.sqmd_initial_deadline(TRADE_DATE))


@pytest.fixture
def mw(db_session: Session, access_world: AccessWorld) -> MeterWorld:
    world = build_meter_world(db_session, access_world)
    publish_rtd(db_session, TRADE_DATE, [world.gen, world.iso_gen], world.scid.code)
    return world


def frame_of(session: Session, world: MeterWorld, **kwargs: object) -> pl.DataFrame:
    return settlement_meter_values(session, TRADE_DATE, parameters=PARAMETERS,
                                   scid=world.scid.code, **kwargs)  # type: ignore[arg-type]


def test_the_iso_collects_iso_metered_resources_with_a_deterministic_deviation(
    db_session: Session, mw: MeterWorld
) -> None:
    first = collect_iso_meter_data(db_session, TRADE_DATE, parameters=PARAMETERS,
                                   clock=clock_at())
    assert first.values_stored == 288 and list(first.submissions) == [mw.scid.code]
    frame = frame_of(db_session, mw)
    assert set(frame["resource_id"]) == {mw.iso_gen.resource_id}  # SC-metered units are not
    assert set(frame["source"]) == {"ISO"}
    values = frame["mwh"].to_list()
    assert all(EXPECTED * Decimal("0.985") <= v <= EXPECTED * Decimal("1.025") for v in values)
    assert len(set(values)) > 100  # it deviates
    mean = sum(values) / len(values)
    assert EXPECTED < mean < EXPECTED * Decimal("1.01")  # the small upward bias
    start = CALENDAR.trade_day_start_utc(TRADE_DATE)
    assert values[0] == (EXPECTED * deviation_factor(mw.iso_gen.resource_id, start)).quantize(
        Decimal("0.000001"))
    second = collect_iso_meter_data(db_session, TRADE_DATE, parameters=PARAMETERS,
                                    clock=clock_at())
    again = frame_of(db_session, mw)
    assert again["mwh"].to_list() == values  # the same readings, as version 2
    assert set(again["version"]) == {2} and second.submissions != first.submissions


def test_missing_values_are_estimated_at_the_deadline_and_a_later_submission_replaces_them(
    db_session: Session, mw: MeterWorld
) -> None:
    submit_sqmd(db_session, mw.trader, SqmdSubmission(
        scid=mw.scid.code, trade_date=TRADE_DATE,
        records=[record(mw.gen, end_of(1, 60), "29", minutes=60)]),
        source_format="json", parameters=PARAMETERS, clock=clock_at())
    with pytest.raises(Conflict, match="has not passed"):
        estimate_missing(db_session, TRADE_DATE, MeterDeadline.INITIAL, parameters=PARAMETERS,
                         clock=clock_at(AFTER_INITIAL - timedelta(microseconds=1)))
    report = estimate_missing(db_session, TRADE_DATE, MeterDeadline.INITIAL,
                              parameters=PARAMETERS, clock=clock_at(AFTER_INITIAL))
    frame = frame_of(db_session, mw)
    gen = frame.filter(resource_id=mw.gen.resource_id)
    assert gen.height == 288
    assert gen.filter(estimated=False)["metered_mwh"].sum() == Decimal("29")
    estimated = gen.filter(estimated=True)
    assert estimated.height == 288 - 12 and set(estimated["mwh"]) == {EXPECTED}
    iso = frame.filter(resource_id=mw.iso_gen.resource_id)
    assert iso.height == 288 and iso["estimated"].all()  # no ISO collection ran
    load = frame.filter(resource_id=mw.load.resource_id)
    assert load.height == 288 and load["estimated"].all() and set(load["measurement"]) == {"LOAD"}
    assert all(v > 0 for v in load["metered_mwh"])
    assert report.values_stored >= 3 * 288 - 12
    # A second estimate run fills nothing of this SC's: nothing is missing any more.
    rerun = estimate_missing(db_session, TRADE_DATE, MeterDeadline.FINAL, parameters=PARAMETERS,
                             clock=clock_at(CALENDAR.trade_day_end_utc(
                                 CALENDAR.sqmd_final_deadline(TRADE_DATE))))
    assert mw.scid.code not in rerun.submissions
    # Final SQMD, after the initial deadline, replaces the estimates it covers.
    late = submit_sqmd(db_session, mw.trader, SqmdSubmission(
        scid=mw.scid.code, trade_date=TRADE_DATE,
        records=[record(mw.gen, end_of(2, 60), "31", minutes=60)]),
        source_format="json", parameters=PARAMETERS, clock=clock_at(AFTER_INITIAL))
    assert late.submission.deadline is MeterDeadline.FINAL
    gen = frame_of(db_session, mw).filter(resource_id=mw.gen.resource_id)
    assert gen.filter(estimated=False)["metered_mwh"].sum() == Decimal("60")
    assert gen.filter(estimated=True).height == 288 - 24


def test_estimates_need_a_published_rtd_run(db_session: Session, mw: MeterWorld) -> None:
    with pytest.raises(Conflict, match="no published RTD"):
        estimate_missing(db_session, TRADE_DATE + timedelta(days=1), MeterDeadline.INITIAL,
                         parameters=PARAMETERS, clock=clock_at(AFTER_INITIAL + timedelta(days=9)))


def test_the_demo_sqmd_of_an_sc_is_accepted_whole(db_session: Session, mw: MeterWorld) -> None:
    records = demo_sqmd_records(db_session, TRADE_DATE, mw.scid.code, parameters=PARAMETERS)
    by_resource = {r["resource_id"] for r in records}
    assert by_resource == {mw.gen.resource_id, mw.load.resource_id}  # SC-metered only
    assert len(records) == 2 * 24
    result = submit_sqmd(db_session, mw.trader, SqmdSubmission(
        scid=mw.scid.code, trade_date=TRADE_DATE, records=records),
        source_format="json", parameters=PARAMETERS, clock=clock_at())
    assert result.rejected == []
    assert result.submission.values_stored == 2 * 288
    five = demo_sqmd_records(db_session, TRADE_DATE, mw.scid.code, parameters=PARAMETERS,
                             interval_minutes=5)
    hourly_gen = sum(Decimal(r["value"]) for r in records
                     if r["resource_id"] == mw.gen.resource_id)
    assert hourly_gen == sum(Decimal(r["value"]) for r in five
                             if r["resource_id"] == mw.gen.resource_id)


def test_sc_metered_load_is_scaled_by_the_loss_factor_before_settlement(
    db_session: Session, mw: MeterWorld
) -> None:
    submit_sqmd(db_session, mw.trader, SqmdSubmission(
        scid=mw.scid.code, trade_date=TRADE_DATE,
        records=[record(mw.load, end_of(1), "10.000001"), record(mw.gen, end_of(1), "3")]),
        source_format="json", parameters=PARAMETERS, clock=clock_at())
    collect_iso_meter_data(db_session, TRADE_DATE, parameters=PARAMETERS, clock=clock_at())
    frame = frame_of(db_session, mw)
    assert frame.schema == pl.Schema(SETTLEMENT_SCHEMA)
    load = frame.filter(resource_id=mw.load.resource_id).row(0, named=True)
    assert load["metered_mwh"] == Decimal("10.000001")
    assert load["loss_factor_applied"] == Decimal("1.02")
    assert load["mwh"] == Decimal("10.200001")  # 10.20000102 rounded half-even to 1e-6
    gen = frame.filter(resource_id=mw.gen.resource_id).row(0, named=True)
    assert (gen["mwh"], gen["loss_factor_applied"]) == (Decimal("3"), Decimal("1"))
    iso = frame.filter(resource_id=mw.iso_gen.resource_id)
    assert set(iso["loss_factor_applied"]) == {Decimal("1")}
    custom = MarketParameters.model_validate({"metering": {"distribution_loss_factor": "1.05"}})
    scaled = settlement_meter_values(db_session, TRADE_DATE, parameters=custom,
                                     scid=mw.scid.code).filter(resource_id=mw.load.resource_id)
    assert scaled["mwh"].to_list() == [Decimal("10.500001")]
    per_resource = frame_of(db_session, mw, loss_factors={mw.load.resource_id: Decimal("1.01")})
    assert per_resource.filter(resource_id=mw.load.resource_id)["mwh"].to_list() == [
        Decimal("10.100001")]
