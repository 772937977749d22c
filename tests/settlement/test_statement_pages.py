"""Statement pages: an SC reads its statements, lines and determinants; never another SC's."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.settlement.day import MarketDay

from gridmarket.access.models import Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.settlement.models import SettlementStatement
from gridmarket.settlement.statements import settle_trade_date

DAY = date(2031, 8, 1)
CLOCK = FixedClock(datetime(2031, 8, 14, 12, tzinfo=UTC))
PASSWORD = "correct horse battery staple"


def _renamed(day: MarketDay, names: dict[str, str]) -> MarketDay:
    for rows in (day.resources, day.da_awards, day.fmm_schedules, day.rtd_dispatch,
                 day.virtuals, day.meter, day.trades, day.segment_fees, day.scid_charges,
                 day.loss_eligible):
        for row in rows:
            for key in ("scid", "buyer", "seller"):
                if row.get(key) in names:
                    row[key] = names[row[key]]
    return day


@pytest.fixture
def setting(engine: Engine, access_world_factory: Callable[[Session], AccessWorld],
            database_url: str, access_parameters: MarketParameters
            ) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        org_a, [scid_a] = world.scheduling_coordinator()
        org_b, [scid_b] = world.scheduling_coordinator()
        alice = world.person(org_a, Role.SETTLEMENT_ANALYST, scids=(scid_a,), password=PASSWORD)
        bob = world.person(org_b, Role.SETTLEMENT_ANALYST, scids=(scid_b,), password=PASSWORD)
        existing = session.scalar(select(SettlementStatement.id)
                                  .where(SettlementStatement.trade_date == DAY).limit(1))
        if existing is None:
            day = _renamed(MarketDay.random(random.Random(5), DAY, scids=2, units=2, loads=1,
                                            virtuals=1),
                           {"S000": scid_a.code, "S001": scid_b.code})
            settle_trade_date(session, day.inputs(), trade_date=DAY,
                              parameters=MarketParameters(), clock=CLOCK)
        statements = {s.account: s.id for s in session.scalars(
            select(SettlementStatement).where(SettlementStatement.trade_date == DAY))}
        facts = {"a": scid_a.code, "alice": alice.email, "bob": bob.email,
                 "statements": statements}
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = CLOCK
    with TestClient(app) as client:
        yield client, facts


def _log_in(client: TestClient, email: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post("/login", data={"csrf_token": token.group(1), "email": email,
                                           "password": PASSWORD, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303


def test_an_sc_reads_its_statement_down_to_the_interval_rows(
    setting: tuple[TestClient, dict[str, Any]],
) -> None:
    client, facts = setting
    statements = facts["statements"]
    if facts["a"] not in statements:
        pytest.fail("the settled day has no statement for the SC")
    own = statements[facts["a"]]
    _log_in(client, facts["alice"])
    listing = client.get("/statements", params={"trade_date": DAY.isoformat()})
    assert listing.status_code == 200
    assert f'href="/statements/{own}"' in listing.text
    others = [sid for account, sid in statements.items() if account != facts["a"]]
    assert all(f'href="/statements/{sid}"' not in listing.text for sid in others)
    page = client.get(f"/statements/{own}")
    assert page.status_code == 200
    assert "Charge code 6011: Day-ahead energy, congestion, loss" in page.text
    # A fee counts segments or SCIDs, not MWh, at its own rate (not rounded to $0.00).
    fee = page.text.split('id="cc-4515"', 1)[1].split("</section>", 1)[0]
    assert '"num">Segments</th><th scope="col" class="num">$/segment</th>' in fee
    assert '<td class="num">0.005</td>' in fee
    scid_fee = page.text.split('id="cc-SCID_FEE"', 1)[1].split("</section>", 1)[0]
    assert '<td class="num">1</td>' in scid_fee and "$/SCID" in scid_fee
    line = re.search(rf'href="/statements/{own}/lines/(\d+)"', page.text)
    assert line
    detail = client.get(f"/statements/{own}/lines/{line.group(1)}")
    assert detail.status_code == 200 and "Bill determinants" in detail.text
    pdf = client.get(f"/api/v1/settlement/statements/{own}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.cookies.clear()
    _log_in(client, facts["bob"])
    assert client.get(f"/statements/{own}").status_code == 404
    assert client.get(f"/api/v1/settlement/statements/{own}/pdf").status_code == 404
