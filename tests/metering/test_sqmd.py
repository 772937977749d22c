"""SQMD submissions: every rejection rule with its row, exact splits, versions, deadlines, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
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
    record,
)
from tests.resource_helpers import assign

from gridmarket.access.errors import AccessDenied, NotVisible
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.metering.models import MeterDataSubmission, MeterDeadline, MeterValue
from gridmarket.metering.queries import settlement_meter_values
from gridmarket.metering.split import split_evenly
from gridmarket.metering.sqmd import (
    MeterDataRejected,
    SqmdResult,
    SqmdSubmission,
    submit_sqmd,
)
from gridmarket.metering.sqmd_csv import parse_sqmd_csv


@pytest.fixture
def mw(db_session: Session, access_world: AccessWorld) -> MeterWorld:
    return build_meter_world(db_session, access_world)


def submit(session: Session, world: MeterWorld, records: list[dict[str, object]],
           trade_date: date = TRADE_DATE, clock_instant: datetime | None = None,
           lines: list[int] | None = None) -> SqmdResult:
    return submit_sqmd(
        session, world.trader,
        SqmdSubmission(scid=world.scid.code, trade_date=trade_date, records=records),
        source_format="json", parameters=PARAMETERS,
        clock=clock_at(clock_instant) if clock_instant else clock_at(), lines=lines)


def values_of(session: Session, resource_id: str, current_only: bool = True) -> list[MeterValue]:
    query = select(MeterValue).where(MeterValue.resource_id == resource_id)
    if current_only:
        query = query.where(MeterValue.superseded.is_(False))
    return list(session.scalars(query.order_by(MeterValue.interval_start_utc, MeterValue.id)))


def test_every_bad_record_is_listed_with_its_row_and_the_good_ones_are_stored(
    db_session: Session, mw: MeterWorld
) -> None:
    gen, load = mw.gen, mw.load
    records = [
        record(gen, end_of(1), "4.375"),  # 1: exactly Pmax × 5 min × 1.05: accepted
        record(gen, end_of(2), "4.375001"),  # 2: over the tolerance
        record(gen, end_of(3), "-0.5"),  # 3: negative generation
        {**record(gen, end_of(4), "1"), "resource_id": "NO_SUCH_UNIT"},  # 4: unknown
        record(mw.other_gen, end_of(5), "1"),  # 5: another SC's resource
        record(gen, end_of(6) + timedelta(minutes=2), "1"),  # 6: not on a boundary
        record(gen, end_of(0), "1"),  # 7: ends at the day's start: outside the day
        record(gen, end_of(8), "1", unit="kWh"),  # 8: wrong unit
        record(mw.iso_gen, end_of(9), "1"),  # 9: ISO-metered
        record(gen, end_of(2, 30), "1", minutes=30),  # 10: length not allowed
        record(load, end_of(1, 60), "100.000001", minutes=60),  # 11: accepted, 12 values
        record(gen, end_of(1, 15), "1", minutes=15),  # 12: overlaps row 1
        {k: v for k, v in record(gen, end_of(13), "1").items() if k != "value"},  # 13
        record(gen, end_of(14), "1", measurement="LOAD"),  # 14: wrong measurement
        record(gen, end_of(15), "1.0000001"),  # 15: finer than 1e-6
        record(gen, end_of(16), "1", scid=mw.other_scid.code),  # 16: another record SCID
        record(gen, end_of(17), "1", resource_type="LOAD"),  # 17: type differs
        record(gen, end_of(18), "2", interval_end_pt="2020-05-12T01:35:00-07:00"),  # 18
        record(gen, end_of(19), "2",
               interval_end_pt=end_of(19).astimezone(CALENDAR.timezone).isoformat()),  # 19 ok
        record(load, end_of(20), "-1"),  # 20: negative load
    ]
    result = submit(db_session, mw, records)
    rejected = {r.row: r.reason for r in result.rejected}
    assert sorted(rejected) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 20]
    assert "exceeds Pmax" in rejected[2] and "limit 4.375 MWh" in rejected[2]
    assert "negative generation" in rejected[3]
    assert "unknown resource" in rejected[4]
    assert f"not represented by SCID {mw.scid.code}" in rejected[5]
    assert "boundary" in rejected[6]
    assert "outside trade date" in rejected[7]
    assert "unit must be MWh" in rejected[8]
    assert "ISO-metered" in rejected[9]
    assert "30 min is not allowed" in rejected[10]
    assert "overlaps row 1" in rejected[12]
    assert "value" in rejected[13] and "required" in rejected[13].lower()
    assert "measured as GEN" in rejected[14]
    assert "6 decimal places" in rejected[15]
    assert "not the submission's SCID" in rejected[16]
    assert "does not match the Master File" in rejected[17]
    assert "not the same instant" in rejected[18]
    assert "negative load" in rejected[20]
    submission = result.submission
    assert (submission.records_accepted, submission.records_rejected) == (3, 17)
    assert submission.values_stored == 1 + 12 + 1
    answer = result.response()
    assert answer["status"] == "PARTIALLY_ACCEPTED"
    assert [r["row"] for r in answer["rejected"]] == sorted(rejected)
    assert [v.mwh for v in values_of(db_session, gen.resource_id)] == [
        Decimal("4.375"), Decimal("2")]
    assert sum(v.mwh for v in values_of(db_session, load.resource_id)) == Decimal("100.000001")


def test_a_resource_transferred_mid_day_is_accepted_only_while_it_was_the_scs(
    db_session: Session, mw: MeterWorld
) -> None:
    noon = end_of(12, 60)
    assign(db_session, mw.gen, mw.other_scid, since=noon)
    result = submit(db_session, mw, [record(mw.gen, noon, "40", minutes=60),
                                     record(mw.gen, noon + timedelta(hours=1), "40",
                                            minutes=60)])
    assert [(r.row, "not represented" in r.reason) for r in result.rejected] == [(2, True)]


def test_when_no_record_fits_nothing_is_stored_and_every_reason_is_given(
    db_session: Session, mw: MeterWorld
) -> None:
    before = db_session.scalar(select(func.count()).select_from(MeterDataSubmission))
    with pytest.raises(MeterDataRejected) as refused:
        submit(db_session, mw, [record(mw.gen, end_of(1), "-1"), {"resource_id": 3}])
    assert [p.row for p in refused.value.problems] == [1, 2]
    assert db_session.scalar(select(func.count()).select_from(MeterDataSubmission)) == before
    with pytest.raises(InvalidInput, match="no records"):
        submit(db_session, mw, [])


@pytest.mark.parametrize(("value", "parts"), [("10.000001", 12), ("1", 3), ("-0.000005", 3),
                                              ("1234.567891", 12), ("0.000007", 12)])
def test_splits_are_exact_and_even(value: str, parts: int) -> None:
    shares = split_evenly(Decimal(value), parts)
    assert sum(shares) == Decimal(value)
    assert max(shares) - min(shares) <= Decimal("0.000001")
    assert shares == sorted(shares, reverse=Decimal(value) > 0)


def test_fifteen_and_sixty_minute_values_become_exact_five_minute_values(
    db_session: Session, mw: MeterWorld
) -> None:
    submit(db_session, mw, [record(mw.gen, end_of(1, 15), "1", minutes=15),
                            record(mw.gen, end_of(2, 60), "10.000001", minutes=60)])
    values = values_of(db_session, mw.gen.resource_id)
    assert [v.mwh for v in values[:3]] == [Decimal("0.333334"), Decimal("0.333333"),
                                           Decimal("0.333333")]
    hour = values[3:]
    assert len(hour) == 12 and sum(v.mwh for v in hour) == Decimal("10.000001")
    assert [v.mwh for v in hour] == [Decimal("0.833334")] * 5 + [Decimal("0.833333")] * 7
    assert hour[0].interval_start_utc == end_of(1, 60)


def test_every_version_is_kept_and_the_latest_is_used(db_session: Session, mw: MeterWorld
                                                      ) -> None:
    first = submit(db_session, mw, [record(mw.gen, end_of(1), "1"), record(mw.gen, end_of(2), "2")])
    second = submit(db_session, mw, [record(mw.gen, end_of(1), "3")])
    assert (first.submission.version, second.submission.version) == (1, 2)
    every = values_of(db_session, mw.gen.resource_id, current_only=False)
    assert [(v.mwh, v.superseded) for v in every] == [
        (Decimal("1"), True), (Decimal("3"), False), (Decimal("2"), False)]
    frame = settlement_meter_values(db_session, TRADE_DATE, parameters=PARAMETERS,
                                    scid=mw.scid.code)
    assert frame["mwh"].to_list() == [Decimal("3"), Decimal("2")]
    assert frame["version"].to_list() == [2, 1]
    assert frame["estimated"].to_list() == [False, False]


def test_deadlines_decide_the_statement_and_refuse_late_data(db_session: Session, mw: MeterWorld
                                                             ) -> None:
    initial = CALENDAR.sqmd_initial_deadline(TRADE_DATE)
    final = CALENDAR.sqmd_final_deadline(TRADE_DATE)
    last_minute = CALENDAR.trade_day_end_utc(initial) - timedelta(microseconds=1)
    assert submit(db_session, mw, [record(mw.gen, end_of(1), "1")],
                  clock_instant=last_minute).submission.deadline is MeterDeadline.INITIAL
    day_after = CALENDAR.trade_day_end_utc(initial)
    assert submit(db_session, mw, [record(mw.gen, end_of(1), "1")],
                  clock_instant=day_after).submission.deadline is MeterDeadline.FINAL
    end_of_final = CALENDAR.trade_day_end_utc(final)
    assert submit(db_session, mw, [record(mw.gen, end_of(1), "1")],
                  clock_instant=end_of_final - timedelta(microseconds=1)
                  ).submission.deadline is MeterDeadline.FINAL
    with pytest.raises(Conflict, match="final meter data deadline"):
        submit(db_session, mw, [record(mw.gen, end_of(1), "1")], clock_instant=end_of_final)


def test_an_interval_not_yet_over_is_rejected(db_session: Session, mw: MeterWorld) -> None:
    now = end_of(10)
    result = submit(db_session, mw, [record(mw.gen, end_of(10), "1"),
                                     record(mw.gen, end_of(11), "1")], clock_instant=now)
    assert [(r.row, "has not ended yet" in r.reason) for r in result.rejected] == [(2, True)]


@pytest.mark.parametrize(("day", "count"), [(date(2020, 3, 8), 276), (date(2020, 11, 1), 300),
                                            (date(2020, 5, 12), 288)])
def test_daylight_saving_days_have_their_intervals_and_the_last_one_counts(
    db_session: Session, mw: MeterWorld, day: date, count: int
) -> None:
    start = CALENDAR.trade_day_start_utc(day)
    clock = CALENDAR.trade_day_end_utc(day) + timedelta(days=1)
    records = [record(mw.gen, end_of(n, 5, start), "1") for n in range(1, count + 1)]
    records.append(record(mw.gen, end_of(count + 1, 5, start), "1"))  # the next day's first
    result = submit(db_session, mw, records, trade_date=day, clock_instant=clock)
    assert [(r.row, "outside trade date" in r.reason) for r in result.rejected] == [
        (count + 1, True)]
    frame = settlement_meter_values(db_session, day, parameters=PARAMETERS, scid=mw.scid.code)
    assert frame.height == count == len(CALENDAR.intervals(day, "RTD"))
    assert frame["interval_start_utc"].to_list()[-1] == (
        CALENDAR.trade_day_end_utc(day) - timedelta(minutes=5))
    hourly = [record(mw.load, end_of(n, 60, start), "60", minutes=60)
              for n in range(1, count // 12 + 1)]
    assert submit(db_session, mw, hourly, trade_date=day, clock_instant=clock).rejected == []
    loads = settlement_meter_values(db_session, day, parameters=PARAMETERS, scid=mw.scid.code
                                    ).filter(measurement="LOAD")
    assert loads.height == count and loads["metered_mwh"].sum() == Decimal(60 * (count // 12))


def test_only_the_scs_own_people_with_a_submitting_role_may_submit(
    db_session: Session, mw: MeterWorld
) -> None:
    body = SqmdSubmission(scid=mw.scid.code, trade_date=TRADE_DATE,
                          records=[record(mw.gen, end_of(1), "1")])
    with pytest.raises(NotVisible):
        submit_sqmd(db_session, mw.other_trader, body, source_format="json",
                    parameters=PARAMETERS, clock=clock_at())
    with pytest.raises(AccessDenied):
        submit_sqmd(db_session, mw.reader, body, source_format="json", parameters=PARAMETERS,
                    clock=clock_at())
    assert submit_sqmd(db_session, mw.analyst, body, source_format="json",
                       parameters=PARAMETERS, clock=clock_at()).rejected == []


def test_csv_records_keep_their_row_and_line(db_session: Session, mw: MeterWorld) -> None:
    text = (
        "SCID,RESOURCE_ID,RESOURCE_TYPE,MEASUREMENT_TYPE,UNIT,INTERVAL_MINUTES,"
        "INTERVAL_END_UTC,VALUE\n"
        f"{mw.scid.code},{mw.gen.resource_id},GENERATOR,GEN,MWh,5,{end_of(1).isoformat()},2\n"
        "\n"
        f"{mw.scid.code},{mw.gen.resource_id},GENERATOR,GEN,MWh,5,{end_of(2).isoformat()}\n"
        f"{mw.scid.code},{mw.gen.resource_id},GENERATOR,GEN,MWh,5,{end_of(3).isoformat()},-1\n"
    )
    records, lines = parse_sqmd_csv(text.encode())
    assert lines == [2, 4, 5]
    result = submit(db_session, mw, records, lines=lines)
    assert [(r.row, r.line) for r in result.rejected] == [(2, 4), (3, 5)]
    assert "cells" in result.rejected[0].reason
    with pytest.raises(InvalidInput, match="unknown column"):
        parse_sqmd_csv(b"RESOURCE,VALUE\nX,1\n")
    with pytest.raises(InvalidInput, match="missing column"):
        parse_sqmd_csv(b"RESOURCE_ID,VALUE\nX,1\n")


def test_interval_end_in_pacific_time_is_accepted(db_session: Session, mw: MeterWorld) -> None:
    pt = end_of(1).astimezone(CALENDAR.timezone)
    result = submit(db_session, mw, [record(mw.gen, pt, "1")])
    assert result.rejected == []
    assert values_of(db_session, mw.gen.resource_id)[0].interval_start_utc == datetime(
        2020, 5, 12, 7, tzinfo=UTC)


def test_a_file_not_readable_as_csv_is_refused_with_its_line() -> None:
    header = ("SCID,RESOURCE_ID,RESOURCE_TYPE,MEASUREMENT_TYPE,UNIT,INTERVAL_MINUTES,"
              "INTERVAL_END_UTC,VALUE")
    row = "MPPA,LOAD_AREA1,LOAD,LOAD,MWh,60,2020-07-15T08:00:00Z,1"
    with pytest.raises(InvalidInput, match=r"line 3 is not readable as CSV"):
        parse_sqmd_csv(f'{header}\n{row}\nMPPA,"LOAD\n'.encode())
    # A lone carriage return ends a line, as in files from older systems: no crash.
    records, lines = parse_sqmd_csv(f"{header}\r{row}\r{row}\r".encode())
    assert lines == [2, 3] and records[1]["value"] == "1"
