"""Meter data over HTTP: JSON and CSV, rejected rows in the answer, SC isolation, audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.metering.meter_world import AFTER_DAY, TRADE_DATE, build_meter_world, end_of

from gridmarket.access.audit import AuditEntry
from gridmarket.access.models import Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import AccessRules, MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work


@dataclass
class Api:
    client: TestClient
    engine: Engine
    scid: str
    other_scid: str
    gen: str
    load: str
    trader: dict[str, str]
    reader: dict[str, str]
    other_trader: dict[str, str]


@pytest.fixture
def api(engine: Engine, database_url: str, access_rules: AccessRules,
        access_world_factory: Callable[[Session], AccessWorld]) -> Iterator[Api]:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        mw = build_meter_world(session, world)
        people = {}
        for name, org, role, scid in (
            ("trader", mw.organisation, Role.TRADER, mw.scid),
            ("reader", mw.organisation, Role.READ_ONLY, mw.scid),
            ("other", mw.other_organisation, Role.TRADER, mw.other_scid),
        ):
            person = world.person(org, role, scids=(scid,))
            people[name] = {"Authorization": f"Bearer {world.api_token(person)}"}
        ids = (mw.scid.code, mw.other_scid.code, mw.gen.resource_id, mw.load.resource_id)
    parameters = MarketParameters(access=access_rules.model_copy(
        update={"upload_limit_bytes": 4096}))
    app = create_app(Settings(database_url=database_url, market=parameters))
    app.state.clock = FixedClock(AFTER_DAY)
    with TestClient(app) as client:
        yield Api(client, engine, *ids, people["trader"], people["reader"], people["other"])


def refusals(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.outcome != "ok")) or 0


def body(api: Api, *records: dict[str, object], scid: str | None = None) -> dict[str, object]:
    return {"scid": scid or api.scid, "trade_date": TRADE_DATE.isoformat(),
            "records": list(records)}


def gen_record(api: Api, n: int, value: str) -> dict[str, object]:
    return {**record_stub(api.gen, "GENERATOR", "GEN"), "interval_end_utc":
            end_of(n).isoformat(), "value": value}


def record_stub(resource_id: str, resource_type: str, measurement: str) -> dict[str, object]:
    return {"resource_id": resource_id, "resource_type": resource_type,
            "measurement": measurement, "unit": "MWh", "interval_minutes": 5}


def test_json_submission_answers_with_every_rejected_row_and_stores_the_rest(api: Api) -> None:
    response = api.client.post("/api/v1/meter-data", headers=api.trader, json=body(
        api, gen_record(api, 1, "2"), gen_record(api, 2, "-1"), gen_record(api, 3, "99")))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["status"] == "PARTIALLY_ACCEPTED" and answer["version"] == 1
    assert answer["deadline"] == "INITIAL"
    assert [(r["row"], r["resource_id"]) for r in answer["rejected"]] == [(2, api.gen),
                                                                          (3, api.gen)]
    shown = api.client.get(f"/api/v1/meter-data/submissions/{answer['submission_id']}",
                           headers=api.reader)
    assert shown.status_code == 200 and shown.json()["rejected"] == answer["rejected"]
    listed = api.client.get("/api/v1/meter-data", headers=api.reader,
                            params={"scid": api.scid, "trade_date": TRADE_DATE.isoformat()})
    assert listed.status_code == 200
    values = listed.json()["values"]
    assert [(v["resource_id"], v["mwh"], v["interval_start_pt"]) for v in values] == [
        (api.gen, "2.000000", "2020-05-12T00:00:00-07:00")]


def test_nothing_acceptable_is_422_with_every_reason(api: Api) -> None:
    response = api.client.post("/api/v1/meter-data", headers=api.trader,
                               json=body(api, gen_record(api, 1, "-1"), {"value": "1"}))
    assert response.status_code == 422
    assert [p["row"] for p in response.json()["problems"]] == [1, 2]


def test_csv_upload_reports_rows_and_lines_and_the_size_limit(api: Api) -> None:
    text = ("RESOURCE_ID,RESOURCE_TYPE,MEASUREMENT_TYPE,UNIT,INTERVAL_MINUTES,INTERVAL_END_UTC,"
            "VALUE\n"
            f"{api.load},LOAD,LOAD,MWh,60,{end_of(1, 60).isoformat()},90\n"
            f"{api.load},LOAD,LOAD,MWh,60,{end_of(2, 60).isoformat()},900\n")
    form = {"scid": api.scid, "trade_date": TRADE_DATE.isoformat()}
    response = api.client.post("/api/v1/meter-data/upload", headers=api.trader, data=form,
                               files={"file": ("sqmd.csv", text.encode(), "text/csv")})
    assert response.status_code == 201, response.text
    [rejected] = response.json()["rejected"]
    assert (rejected["row"], rejected["line"]) == (2, 3) and "exceeds Pmax" in rejected["reason"]
    assert response.json()["values_stored"] == 12 and response.json()["source_format"] == "csv"
    too_big = api.client.post("/api/v1/meter-data/upload", headers=api.trader, data=form,
                              files={"file": ("sqmd.csv", b"x" * 5000, "text/csv")})
    assert too_big.status_code == 422 and "upload limit" in too_big.json()["detail"]


def test_another_scs_meter_data_is_not_found_and_the_attempt_audited(api: Api) -> None:
    created = api.client.post("/api/v1/meter-data", headers=api.trader,
                              json=body(api, gen_record(api, 1, "2")))
    submission_id = created.json()["submission_id"]
    for method, path, kwargs in (
        ("GET", "/api/v1/meter-data", {"params": {"scid": api.scid,
                                                  "trade_date": TRADE_DATE.isoformat()}}),
        ("GET", f"/api/v1/meter-data/submissions/{submission_id}", {}),
        ("GET", "/api/v1/meter-data/submissions/999999999", {}),
        ("POST", "/api/v1/meter-data", {"json": body(api, gen_record(api, 2, "1"))}),
    ):
        before = refusals(api.engine)
        response = api.client.request(method, path, headers=api.other_trader, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 404, (path, response.text)
        assert refusals(api.engine) == before + 1, path
    reader = api.client.post("/api/v1/meter-data", headers=api.reader,
                             json=body(api, gen_record(api, 2, "1")))
    assert reader.status_code == 403
    assert api.client.post("/api/v1/meter-data", json=body(api)).status_code == 401
