"""Bid intake over HTTP: statuses, replacement, cancellation, idempotency, isolation, close."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.bidding.bid_world import (
    DAM_CLOSE,
    TRADE_DATE,
    BidWorld,
    bid_set,
    energy_bid,
)

from gridmarket.bidding.formats import render_csv, render_xml
from gridmarket.bidding.models import Bid, BidSegmentFee
from gridmarket.bidding.schema import BidSet
from gridmarket.clock import FixedClock
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus
from gridmarket.resources.models import Resource

MS = timedelta(milliseconds=1)


def submit(client: TestClient, headers: dict[str, str], body: dict[str, Any],
           key: str | None = None) -> Any:
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/bids", json=body, headers={**headers, **extra})


def only_bid(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    [bid] = response.json()["bids"]
    return dict(bid)


def bids_of(engine: Engine, scid: str) -> list[Bid]:
    with Session(engine) as session:
        return list(session.scalars(select(Bid).join(Scid, Scid.id == Bid.scid_id)
                                    .where(Scid.code == scid).order_by(Bid.id)))


def test_a_valid_bid_is_conditionally_valid_and_shows_raw_next_to_clean(
    client: TestClient, world: BidWorld
) -> None:
    bid = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    assert bid["status"] == "CONDITIONALLY_VALID"
    assert bid["reasons"] == [] and bid["hours"] == list(range(1, 25))
    shown = client.get(f"/api/v1/bids/{bid['bid_id']}", headers=world.reader).json()
    assert shown["raw"]["hours"][0]["segments"] == [{"mw": "30", "price": "25"},
                                                   {"mw": "50", "price": "30"}]
    assert shown["clean"] == shown["raw"]
    listed = client.get("/api/v1/bids", headers=world.reader,
                        params={"scid": world.scid, "trade_date": "2020-07-15"}).json()
    assert [b["bid_id"] for b in listed] == [bid["bid_id"]]


INVALID_CASES = {
    "too many segments": (
        dict(segments=[(str(11 + 3 * i), str(20 + i)) for i in range(11)]), "TOO_MANY_SEGMENTS"),
    "breakpoints not increasing": (dict(segments=[("30", "20"), ("30", "25")]),
                                   "MW_NOT_INCREASING"),
    "first breakpoint at Pmin": (dict(segments=[("10", "20")]), "MW_NOT_INCREASING"),
    "above Pmax": (dict(segments=[("30", "20"), ("60", "25")]), "MW_OUT_OF_RANGE"),
    "below the floor": (dict(segments=[("30", "-150.01")]), "PRICE_BELOW_FLOOR"),
    "above the hard cap": (dict(segments=[("30", "2000.01")]), "PRICE_ABOVE_HARD_CAP"),
    "decreasing supply prices": (dict(segments=[("30", "40"), ("50", "39.99")]),
                                 "PRICE_NOT_MONOTONIC"),
    "self-schedule above Pmax": (dict(self_schedule_mw="50.5", self_schedule_type="PT"),
                                 "SELF_SCHEDULE_OUT_OF_RANGE"),
    "RMR type without contract": (dict(self_schedule_mw="20", self_schedule_type="RMR"),
                                  "SELF_SCHEDULE_TYPE_NOT_ALLOWED"),
}


@pytest.mark.parametrize("case", sorted(INVALID_CASES))
def test_each_content_rule_makes_the_bid_invalid_with_its_reason_code(
    client: TestClient, world: BidWorld, case: str
) -> None:
    fields, code = INVALID_CASES[case]
    fields = dict(fields)
    segments = fields.pop("segments", None)
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 3), segments=segments, **fields))
    bid = only_bid(submit(client, world.trader, body))
    assert bid["status"] == "INVALID"
    assert code in {r["code"] for r in bid["reasons"]}, bid["reasons"]
    assert all(r["hour"] in (1, 2) for r in bid["reasons"] if r["code"] == code)


def test_a_price_above_the_soft_cap_is_capped_and_the_bid_conditionally_modified(
    client: TestClient, world: BidWorld
) -> None:
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 2),
                                          segments=[("30", "900"), ("50", "1500")]))
    bid = only_bid(submit(client, world.trader, body))
    assert bid["status"] == "CONDITIONALLY_MODIFIED"
    assert [r["code"] for r in bid["reasons"]] == ["PRICE_CAPPED_AT_SOFT_CAP"]
    shown = client.get(f"/api/v1/bids/{bid['bid_id']}", headers=world.trader).json()
    assert shown["raw"]["hours"][0]["segments"][1]["price"] == "1500"
    assert shown["clean"]["hours"][0]["segments"][1]["price"] == "1000"


def test_ancillary_offers_only_for_certified_products(client: TestClient, world: BidWorld) -> None:
    def offer(resource: str, product: str, mw: str = "10") -> dict[str, Any]:
        return {"kind": "ANCILLARY", "resource": resource, "hours": [
            {"hour": 1, "offers": [{"product": product, "mw": mw, "price": "5"}]}]}

    accepted = only_bid(submit(client, world.trader, bid_set(world.scid, offer(world.unit,
                                                                                 "REG_UP"))))
    assert accepted["status"] == "CONDITIONALLY_VALID"
    refused = only_bid(submit(client, world.trader, bid_set(world.scid, offer(world.unit,
                                                                                "NON_SPIN"))))
    assert [r["code"] for r in refused["reasons"]] == ["AS_NOT_CERTIFIED"]
    too_big = only_bid(submit(client, world.trader, bid_set(world.scid,
                                                            offer(world.unit, "SPIN", "41"))))
    assert [r["code"] for r in too_big["reasons"]] == ["AS_MW_OUT_OF_RANGE"]


def test_a_bid_for_another_scs_resource_or_an_unknown_one_is_invalid(
    client: TestClient, world: BidWorld
) -> None:
    response = submit(client, world.trader, bid_set(
        world.scid, energy_bid(world.other_unit, range(1, 2)), energy_bid("NO SUCH", range(1, 2))))
    codes = [[r["code"] for r in b["reasons"]] for b in response.json()["bids"]]
    assert codes == [["RESOURCE_NOT_REPRESENTED"], ["RESOURCE_UNKNOWN"]]


def test_a_structurally_bad_set_is_rejected_whole_with_every_problem_and_nothing_stored(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 2)),
                   {"kind": "ENERGY", "resource": world.unit,
                    "hours": [{"hour": 26, "segments": [{"mw": "x", "price": "1"}]}]})
    response = submit(client, world.trader, body)
    assert response.status_code == 422
    where = {p["where"] for p in response.json()["problems"]}
    assert {"bids[1].hours[0].hour", "bids[1].hours[0].segments[0].mw"} <= where
    assert bids_of(engine, world.scid) == []


def test_an_hour_the_trade_date_does_not_have_rejects_the_whole_set(
    client: TestClient, world: BidWorld, engine: Engine, clock: FixedClock
) -> None:
    spring = date(2020, 3, 8)
    clock.set(CALENDAR_CLOSE(spring) - timedelta(hours=1))
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 24)),
                   energy_bid(world.unit, range(24, 25)), trade_date=spring)
    response = submit(client, world.trader, body)
    assert response.status_code == 422
    assert "HE24 does not exist" in response.json()["detail"]
    assert bids_of(engine, world.scid) == []
    fall = date(2020, 11, 1)
    clock.set(CALENDAR_CLOSE(fall) - timedelta(hours=1))
    bid = only_bid(submit(client, world.trader,
                          bid_set(world.scid, energy_bid(world.unit, range(1, 26)),
                                  trade_date=fall)))
    assert bid["hours"][-1] == 25


def CALENDAR_CLOSE(day: date) -> datetime:
    from tests.bidding.bid_world import CALENDAR

    return CALENDAR.dam_close(day)


@pytest.mark.parametrize(("trade_date", "close_utc"), [
    (TRADE_DATE, datetime(2020, 7, 14, 17, tzinfo=UTC)),
    (date(2020, 3, 9), datetime(2020, 3, 8, 17, tzinfo=UTC)),   # close on the spring DST day
    (date(2020, 11, 2), datetime(2020, 11, 1, 18, tzinfo=UTC)),  # close on the fall DST day
    (date(2020, 3, 8), datetime(2020, 3, 7, 18, tzinfo=UTC)),   # bids for the 23-hour day
])
def test_dam_bids_are_accepted_until_one_millisecond_before_close(
    client: TestClient, world: BidWorld, clock: FixedClock, trade_date: date,
    close_utc: datetime,
) -> None:
    assert CALENDAR_CLOSE(trade_date) == close_utc
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 3)), trade_date=trade_date)
    clock.set(close_utc - MS)
    assert submit(client, world.trader, body).status_code == 201
    for instant in (close_utc, close_utc + MS):
        clock.set(instant)
        refused = submit(client, world.trader, body)
        assert refused.status_code == 409
        assert "closed at" in refused.json()["detail"]


def test_dam_bids_open_seven_days_ahead(client: TestClient, world: BidWorld,
                                         clock: FixedClock) -> None:
    opens = CALENDAR_OPEN(TRADE_DATE)
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 2)))
    clock.set(opens - MS)
    assert submit(client, world.trader, body).status_code == 409
    clock.set(opens)
    assert submit(client, world.trader, body).status_code == 201


def CALENDAR_OPEN(day: date) -> datetime:
    from tests.bidding.bid_world import CALENDAR

    return CALENDAR.dam_open(day)


def test_real_time_bids_close_hour_by_hour_75_minutes_ahead(
    client: TestClient, world: BidWorld, clock: FixedClock
) -> None:
    # HE10 of 15 July starts 09:00 PDT = 16:00 UTC; it closes at 14:45 UTC.
    close_he10 = datetime(2020, 7, 15, 14, 45, tzinfo=UTC)
    clock.set(close_he10 - MS)
    body = bid_set(world.scid, energy_bid(world.unit, range(10, 12)), market="RTM")
    assert submit(client, world.trader, body).status_code == 201
    clock.set(close_he10)
    refused = submit(client, world.trader, body)
    assert refused.status_code == 409 and "HE10" in refused.json()["detail"]
    later = bid_set(world.scid, energy_bid(world.unit, range(11, 12)), market="RTM")
    assert submit(client, world.trader, later).status_code == 201


def test_the_same_idempotency_key_returns_the_first_result_and_stores_one_submission(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 3)))
    first = submit(client, world.trader, body, key="order-1")
    again = submit(client, world.trader, body, key="order-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(bids_of(engine, world.scid)) == 1
    changed = bid_set(world.scid, energy_bid(world.unit, range(1, 4)))
    conflict = submit(client, world.trader, changed, key="order-1")
    assert conflict.status_code == 409
    assert "different body" in conflict.json()["detail"]
    assert len(bids_of(engine, world.scid)) == 1


def test_a_newer_bid_replaces_the_hours_it_covers_then_the_whole_older_bid(
    client: TestClient, world: BidWorld
) -> None:
    first = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    second = only_bid(submit(client, world.trader,
                             bid_set(world.scid, energy_bid(world.unit, range(1, 13), price="20"))))
    assert second["replaced_bid_ids"] == []
    older = client.get(f"/api/v1/bids/{first['bid_id']}", headers=world.trader).json()
    assert older["status"] == "CONDITIONALLY_VALID"
    assert older["active_hours"] == list(range(13, 25))
    assert [h["hour"] for h in older["clean"]["hours"]] == list(range(13, 25))
    third = only_bid(submit(client, world.trader,
                            bid_set(world.scid, energy_bid(world.unit, price="22"))))
    assert sorted(third["replaced_bid_ids"]) == [first["bid_id"], second["bid_id"]]
    obsolete = client.get(f"/api/v1/bids/{first['bid_id']}", headers=world.trader).json()
    assert obsolete["status"] == "OBSOLETE" and obsolete["clean"] is None


def test_an_invalid_bid_replaces_nothing(client: TestClient, world: BidWorld) -> None:
    good = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    bad = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(
        world.unit, segments=[("30", "-500")]))))
    assert bad["status"] == "INVALID"
    kept = client.get(f"/api/v1/bids/{good['bid_id']}", headers=world.trader).json()
    assert kept["status"] == "CONDITIONALLY_VALID" and kept["active_hours"] == list(range(1, 25))


def test_cancellation_before_close_only(client: TestClient, world: BidWorld,
                                        clock: FixedClock) -> None:
    bid = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    cancelled = client.delete(f"/api/v1/bids/{bid['bid_id']}", headers=world.trader)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    again = client.delete(f"/api/v1/bids/{bid['bid_id']}", headers=world.trader)
    assert again.status_code == 409
    late = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    clock.set(DAM_CLOSE)
    refused = client.delete(f"/api/v1/bids/{late['bid_id']}", headers=world.trader)
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]


def test_another_sc_neither_sees_nor_touches_the_bids(client: TestClient,
                                                        world: BidWorld) -> None:
    bid = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    path = f"/api/v1/bids/{bid['bid_id']}"
    assert client.get(path, headers=world.other_trader).status_code == 404
    assert client.delete(path, headers=world.other_trader).status_code == 404
    listed = client.get("/api/v1/bids", headers=world.other_trader,
                        params={"scid": world.scid, "trade_date": "2020-07-15"})
    assert listed.status_code == 404
    as_other = submit(client, world.other_trader, bid_set(world.scid, energy_bid(world.unit)))
    assert as_other.status_code == 404
    read_only = submit(client, world.reader, bid_set(world.scid, energy_bid(world.unit)))
    assert read_only.status_code == 403


def test_a_suspended_sc_may_not_bid(client: TestClient, world: BidWorld, engine: Engine) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        coordinator = session.scalars(
            select(SchedulingCoordinator).join(Scid).where(Scid.code == world.scid)).one()
        coordinator.status = ScStatus.SUSPENDED
    response = submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit)))
    assert response.status_code == 409 and "suspended" in response.json()["detail"]


def test_virtual_bids_need_credit_and_cancellation_frees_it(
    client: TestClient, world: BidWorld
) -> None:
    virtual = {"kind": "VIRTUAL", "location": world.node, "side": "DEMAND",
               "hours": [{"hour": 1, "segments": [{"mw": "5", "price": "40"}]}]}
    bid = only_bid(submit(client, world.trader, bid_set(world.scid, virtual)))
    assert bid["status"] == "INVALID"
    assert bid["credit"]["bidCreditStatus"] == "FAILED"
    assert [r["code"] for r in bid["reasons"]] == ["CREDIT_INSUFFICIENT"]
    tiny = {**virtual, "hours": [{"hour": 1, "segments": [{"mw": "0.5", "price": "40"}]}]}
    assert [r["code"] for r in only_bid(submit(client, world.trader,
                                               bid_set(world.scid, tiny)))["reasons"]] == [
        "VIRTUAL_BELOW_MIN_MW"]
    real_time = only_bid(submit(client, world.trader, bid_set(world.scid, virtual,
                                                              market="RTM")))
    assert "VIRTUAL_DAM_ONLY" in {r["code"] for r in real_time["reasons"]}


def test_inter_sc_trades_match_on_equal_terms_and_stay_unmatched_otherwise(
    client: TestClient, world: BidWorld, clock: FixedClock
) -> None:
    def trade(counterparty: str, direction: str, mw: str) -> dict[str, Any]:
        return {"kind": "TRADE", "counterparty": counterparty, "location": world.node,
                "product": "ENERGY", "direction": direction,
                "hours": [{"hour": h, "mw": mw} for h in (1, 2)]}

    sale = only_bid(submit(client, world.trader,
                           bid_set(world.scid, trade(world.other_scid, "SELL", "25"))))
    assert sale["status"] == "CONDITIONALLY_VALID"
    wrong = only_bid(submit(client, world.other_trader,
                            bid_set(world.other_scid, trade(world.scid, "BUY", "24"))))
    assert wrong["status"] == "CONDITIONALLY_VALID" and wrong["matched_bid_id"] is None
    purchase = only_bid(submit(client, world.other_trader,
                               bid_set(world.other_scid, trade(world.scid, "BUY", "25"))))
    assert purchase["status"] == "MATCHED" and purchase["matched_bid_id"] == sale["bid_id"]
    assert purchase["replaced_bid_ids"] == [wrong["bid_id"]]
    shown = client.get(f"/api/v1/bids/{sale['bid_id']}", headers=world.trader).json()
    assert shown["status"] == "MATCHED"
    self_trade = only_bid(submit(client, world.trader,
                                 bid_set(world.scid, trade(world.scid, "SELL", "1"))))
    assert [r["code"] for r in self_trade["reasons"]] == ["TRADE_WITH_ITSELF"]


def test_close_makes_bids_valid_counts_segment_fees_and_voids_unmatched_trades(
    client: TestClient, world: BidWorld, clock: FixedClock, engine: Engine
) -> None:
    valid = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    capped = only_bid(submit(client, world.other_trader, bid_set(
        world.other_scid, energy_bid(world.other_unit, segments=[("30", "1200")]))))
    lonely = only_bid(submit(client, world.trader, bid_set(world.scid, {
        "kind": "TRADE", "counterparty": world.other_scid, "location": world.node,
        "product": "ENERGY", "direction": "SELL", "hours": [{"hour": 1, "mw": "5"}]})))
    path = f"/api/v1/markets/DAM/{TRADE_DATE}/close"
    assert client.post(path, headers=world.operator).status_code == 409  # not yet
    assert client.post(path, headers=world.trader).status_code == 403
    clock.set(DAM_CLOSE + timedelta(hours=1, seconds=1))  # after the trade deadline too
    report = client.post(path, headers=world.operator)
    assert report.status_code == 200, report.text
    assert report.json()["unmatched_trades"] >= 1
    assert client.get(f"/api/v1/bids/{valid['bid_id']}", headers=world.trader
                      ).json()["status"] == "VALID"
    assert client.get(f"/api/v1/bids/{capped['bid_id']}", headers=world.other_trader
                      ).json()["status"] == "MODIFIED"
    assert client.get(f"/api/v1/bids/{lonely['bid_id']}", headers=world.trader
                      ).json()["status"] == "UNMATCHED"
    with Session(engine) as session:
        fee = session.scalars(select(BidSegmentFee).join(Scid, Scid.id == BidSegmentFee.scid_id)
                              .where(Scid.code == world.scid)).one()
    assert fee.segment_count == 48
    assert fee.fee_usd == Decimal("0.005") * 48


def test_close_offers_unbid_ra_capacity_at_the_default_energy_bid(
    client: TestClient, world: BidWorld, clock: FixedClock, engine: Engine
) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        unit = session.scalars(select(Resource).where(Resource.resource_id == world.unit)).one()
        unit.ra_capacity_mw = Decimal("30")
    morning = bid_set(world.scid, energy_bid(world.unit, range(1, 13)))
    only_bid(submit(client, world.trader, morning))
    clock.set(DAM_CLOSE)
    assert client.post(f"/api/v1/markets/DAM/{TRADE_DATE}/close",
                       headers=world.operator).status_code == 200
    generated = [b for b in bids_of(engine, world.scid) if b.is_generated]
    assert len(generated) == 1
    shown = client.get(f"/api/v1/bids/{generated[0].id}", headers=world.trader).json()
    assert shown["active_hours"] == list(range(13, 25)) and shown["status"] == "VALID"
    # 9,000 Btu/kWh × gas price × 1.1 up to the 30 MW of RA capacity.
    [segment] = shown["clean"]["hours"][0]["segments"]
    assert Decimal(segment["mw"]) == 30



def test_the_same_bid_set_uploads_as_csv_and_as_xml(client: TestClient, world: BidWorld) -> None:
    body = BidSet.model_validate(bid_set(world.scid, energy_bid(world.unit, range(1, 3))))
    for name, data in (("bids.csv", render_csv(body)), ("bids.xml", render_xml(body))):
        response = client.post("/api/v1/bids/upload", headers=world.trader,
                               files={"file": (name, data, "text/plain")})
        assert response.status_code == 201, response.text
        assert response.json()["bids"][0]["status"] == "CONDITIONALLY_VALID"
    broken = render_csv(body).replace(b",30,", b",thirty,", 1)
    refused = client.post("/api/v1/bids/upload", headers=world.trader,
                          files={"file": ("bids.csv", broken, "text/csv")})
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert problem["line"] == 2 and "mw" in problem["where"]
    unknown = client.post("/api/v1/bids/upload", headers=world.trader,
                          files={"file": ("bids.txt", b"x", "text/plain")})
    assert unknown.status_code == 422 and unknown.json()["field"] == "format"


def test_real_time_bids_become_clean_when_their_hour_closes(
    client: TestClient, world: BidWorld, clock: FixedClock
) -> None:
    close_he10 = datetime(2020, 7, 15, 14, 45, tzinfo=UTC)
    clock.set(close_he10 - timedelta(hours=1))
    bid = only_bid(submit(client, world.trader, bid_set(
        world.scid, energy_bid(world.unit, range(10, 12)), market="RTM")))
    path = f"/api/v1/markets/RTM/{TRADE_DATE}/hours/10/close"
    assert client.post(path, headers=world.trader).status_code == 403
    early = client.post(path, headers=world.operator)
    assert early.status_code == 409 and "close at" in early.json()["detail"]
    clock.set(close_he10)
    closed = client.post(path, headers=world.operator)
    assert closed.status_code == 200, closed.text
    assert closed.json()["statuses"].get("VALID", 0) >= 1
    shown = client.get(f"/api/v1/bids/{bid['bid_id']}", headers=world.trader).json()
    assert shown["status"] == "VALID" and shown["clean"] is not None


def test_only_the_operator_starts_a_market_run_and_real_time_needs_a_dam(
    client: TestClient, world: BidWorld
) -> None:
    body = {"market": "RTD", "trade_date": "2020-08-03"}
    assert client.post("/api/v1/market-runs", json=body, headers=world.trader).status_code == 403
    refused = client.post("/api/v1/market-runs", json=body, headers=world.operator)
    assert refused.status_code == 409 and "no published DAM" in refused.json()["detail"]


def test_a_dam_run_for_a_day_without_forecasts_fails_with_the_reason(
    client: TestClient, world: BidWorld
) -> None:
    body = {"market": "DAM", "trade_date": "2031-07-15"}
    run = client.post("/api/v1/market-runs", json=body, headers=world.operator)
    assert run.status_code == 201, run.text
    assert run.json()["status"] == "FAILED"
    assert "outside the RTS-GMLC data" in run.json()["failure_reason"]


def test_a_bid_of_an_sc_suspended_before_close_is_invalid_at_close(
    client: TestClient, world: BidWorld, clock: FixedClock, engine: Engine
) -> None:
    bid = only_bid(submit(client, world.trader, bid_set(world.scid, energy_bid(world.unit))))
    with unit_of_work(make_session_factory(engine)) as session:
        coordinator = session.scalars(
            select(SchedulingCoordinator).join(Scid).where(Scid.code == world.scid)).one()
        coordinator.status = ScStatus.SUSPENDED
    clock.set(DAM_CLOSE)
    assert client.post(f"/api/v1/markets/DAM/{TRADE_DATE}/close",
                       headers=world.operator).status_code == 200
    shown = client.get(f"/api/v1/bids/{bid['bid_id']}", headers=world.trader).json()
    assert shown["status"] == "INVALID" and shown["clean"] is None
    assert [r["code"] for r in shown["reasons"]] == ["SC_NOT_ACTIVE"]


def test_a_bid_set_is_checked_without_storing_anything(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    body = bid_set(world.scid, energy_bid(world.unit, range(1, 3)),
                   energy_bid(world.unit, range(3, 4), segments=[("30", "25"), ("20", "1500")]))
    checked = client.post("/api/v1/bids/validate", json=body, headers=world.trader)
    assert checked.status_code == 200, checked.text
    answer = checked.json()
    assert answer["stored"] is False
    assert [(b["index"], b["status"]) for b in answer["bids"]] == [
        (0, "CONDITIONALLY_VALID"), (1, "INVALID")]
    assert {r["code"] for r in answer["bids"][1]["reasons"]} == {
        "MW_NOT_INCREASING", "PRICE_CAPPED_AT_SOFT_CAP"}
    assert bids_of(engine, world.scid) == []
    # The same refusals as on submission: another SC's SCID, a malformed set.
    other = client.post("/api/v1/bids/validate", json=body, headers=world.other_trader)
    assert other.status_code == 404
    malformed = client.post("/api/v1/bids/validate", headers=world.trader,
                            json={**body, "market": "HASP"})
    assert malformed.status_code == 422
    assert client.post("/api/v1/bids/validate", json=body).status_code == 401
