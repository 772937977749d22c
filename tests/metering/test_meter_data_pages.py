"""Meter data pages: an SC uploads SQMD as a CSV file and reads what became of each record."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.metering.meter_world import AFTER_DAY, TRADE_DATE, build_meter_world, end_of
from tests.web_helpers import PASSWORD, csrf, log_in, refusals, text_of

from gridmarket.access.models import Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import AccessRules, MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.metering.models import MeterDataSubmission
from gridmarket.participants.models import Scid

UPLOAD_LIMIT_BYTES = 4096
HEADER = "RESOURCE_ID,RESOURCE_TYPE,MEASUREMENT_TYPE,UNIT,INTERVAL_MINUTES,INTERVAL_END_UTC,VALUE\n"


@dataclass
class Site:
    client: TestClient
    engine: Engine
    scid: str
    other_scid: str
    load: str
    gen: str
    trader: str
    reader: str
    other_trader: str


@pytest.fixture
def site(engine: Engine, database_url: str, access_rules: AccessRules,
         access_world_factory: Callable[[Session], AccessWorld]) -> Iterator[Site]:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        mw = build_meter_world(session, world)
        emails = [world.person(org, role, scids=(scid,), password=PASSWORD).email
                  for org, role, scid in ((mw.organisation, Role.TRADER, mw.scid),
                                          (mw.organisation, Role.READ_ONLY, mw.scid),
                                          (mw.other_organisation, Role.TRADER, mw.other_scid))]
        ids = (mw.scid.code, mw.other_scid.code, mw.load.resource_id, mw.gen.resource_id)
    parameters = MarketParameters(access=access_rules.model_copy(
        update={"upload_limit_bytes": UPLOAD_LIMIT_BYTES}))
    app = create_app(Settings(database_url=database_url, market=parameters))
    app.state.clock = FixedClock(AFTER_DAY)
    with TestClient(app) as client:
        yield Site(client, engine, *ids, *emails)


def _upload(site: Site, csv_text: str, scid: str | None = None) -> Response:
    form = site.client.get("/meter-data/upload")
    assert form.status_code == 200, form.text
    return site.client.post(
        "/meter-data/upload",
        data={"csrf_token": csrf(form.text), "scid": scid or site.scid,
              "trade_date": TRADE_DATE.isoformat()},
        files={"file": ("sqmd.csv", csv_text.encode(), "text/csv")}, follow_redirects=False)


def _versions(engine: Engine, scid: str) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(MeterDataSubmission)
                              .join(Scid, Scid.id == MeterDataSubmission.scid_id)
                              .where(Scid.code == scid)) or 0


def _rows(site: Site, *values: str) -> str:
    """One 60-minute load record per value, for hours ending 1, 2, ..."""
    return HEADER + "".join(f"{site.load},LOAD,LOAD,MWh,60,{end_of(n, 60).isoformat()},{v}\n"
                            for n, v in enumerate(values, start=1))


def test_an_upload_stores_the_good_records_and_lists_every_rejected_one(site: Site) -> None:
    log_in(site.client, site.trader)
    form = site.client.get(f"/meter-data/upload?scid={site.scid}")
    # The SCID's SC-metered resources are named on the form; the ISO-metered one is not.
    assert site.load in form.text and site.gen in form.text
    answer = _upload(site, _rows(site, "90", "900", "-5"))
    assert answer.status_code == 303
    page = site.client.get(answer.headers["location"])
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Version 1 of" in text and "1 record(s) accepted, 2 rejected" in text
    assert "Records accepted 1 (12 five-minute values)" in text
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td class="num">(\d+)</td><td>([^<]*)</td>'
                      r"<td>([^<]*)</td></tr>", page.text)
    assert [(row, line, resource) for row, line, resource, _ in rows] == [
        ("2", "3", site.load), ("3", "4", site.load)]
    assert "exceeds Pmax" in rows[0][3] and "negative load" in rows[1][3]

    listing = site.client.get("/meter-data")
    assert listing.status_code == 200
    listed = text_of(listing.text)
    assert f"Every version of {site.scid}" in listed
    assert "Version 1 latest SC (CSV)" in listed and "Initial statement 1 2 12" in listed


def test_a_file_with_no_acceptable_record_stores_nothing_and_says_why_for_each(
        site: Site) -> None:
    log_in(site.client, site.trader)
    answer = _upload(site, _rows(site, "-1", "abc"))
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "Every record was rejected; nothing was stored" in text
    assert "all 2 meter data records were rejected" in text
    assert "negative load" in text and "value" in text
    assert _versions(site.engine, site.scid) == 0
    assert "No meter data yet" in site.client.get("/meter-data").text


def test_a_file_over_the_limit_or_without_its_header_is_refused_beside_the_file_field(
        site: Site) -> None:
    log_in(site.client, site.trader)
    too_big = _upload(site, _rows(site, "1") + "x" * UPLOAD_LIMIT_BYTES)
    assert too_big.status_code == 422
    assert f"file exceeds the upload limit of {UPLOAD_LIMIT_BYTES} bytes" in too_big.text
    assert 'id="f-file-error"' in too_big.text
    bad_header = _upload(site, "RESOURCE,VALUE\nX,1\n")
    assert bad_header.status_code == 422
    assert "unknown column &#39;RESOURCE&#39;" in bad_header.text
    assert _versions(site.engine, site.scid) == 0


def test_the_upload_needs_the_forms_token_and_a_role_that_may_submit(site: Site) -> None:
    log_in(site.client, site.trader)
    forged = site.client.post("/meter-data/upload", data={"scid": site.scid,
                                                          "trade_date": TRADE_DATE.isoformat()},
                              files={"file": ("sqmd.csv", _rows(site, "1").encode(), "text/csv")})
    assert forged.status_code == 403
    log_in(site.client, site.reader)
    assert site.client.get("/meter-data").status_code == 200
    assert site.client.get("/meter-data/upload").status_code == 403
    assert _versions(site.engine, site.scid) == 0


def test_another_sc_sees_none_of_it_and_cannot_upload_for_it(site: Site) -> None:
    log_in(site.client, site.trader)
    stored = _upload(site, _rows(site, "90"))
    submission = stored.headers["location"]
    log_in(site.client, site.other_trader)
    for path in (f"/meter-data?scid={site.scid}", submission,
                 f"/meter-data/upload?scid={site.scid}"):
        before = refusals(site.engine)
        response = site.client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text and site.load not in response.text
        assert refusals(site.engine) == before + 1, path
    before = refusals(site.engine)
    posted = _upload(site, _rows(site, "90", "91"), scid=site.scid)
    assert posted.status_code == 404
    assert refusals(site.engine) == before + 1
    assert _versions(site.engine, site.scid) == 1
    own = site.client.get("/meter-data")
    assert f"Every version of {site.other_scid}" in text_of(own.text)
    assert site.scid not in own.text


def test_anyone_not_logged_in_is_sent_to_the_login_page(site: Site) -> None:
    for path in ("/meter-data", "/meter-data/upload", "/meter-data/submissions/1"):
        response = site.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
