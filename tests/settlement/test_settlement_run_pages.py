"""The settlement runs page: each trade date's runs and the neutrality check, ISO staff only."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.settlement.day import MarketDay
from tests.web_helpers import PASSWORD, log_in, nav_labels, text_of

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.settlement.models import SettlementRun, SettlementStatement
from gridmarket.settlement.run_views import settlement_days
from gridmarket.settlement.statements import settle_trade_date

DAY = date(2031, 8, 6)
"""A day no other test settles (the test database is shared by the whole session)."""
CLOCK = FixedClock(datetime(2031, 8, 20, 12, tzinfo=UTC))


@pytest.fixture
def setting(engine: Engine, access_world_factory: Callable[[Session], AccessWorld],
            database_url: str, access_parameters: MarketParameters
            ) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        analyst = world.person(iso, Role.SETTLEMENT_ANALYST_ISO, password=PASSWORD)
        operator = world.person(iso, Role.MARKET_OPERATOR, password=PASSWORD)
        organisation, [scid] = world.scheduling_coordinator()
        sc_analyst = world.person(organisation, Role.SETTLEMENT_ANALYST, scids=(scid,),
                                  password=PASSWORD)
        if session.scalar(select(SettlementRun.id).where(SettlementRun.trade_date == DAY)) is None:
            day = MarketDay.random(random.Random(11), DAY, scids=2, units=2, loads=1, virtuals=1)
            settle_trade_date(session, day.inputs(), trade_date=DAY,
                              parameters=MarketParameters(), clock=CLOCK)
        facts = {"analyst": analyst.email, "operator": operator.email,
                 "sc_analyst": sc_analyst.email, "principal": world.principal(analyst)}
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = CLOCK
    with TestClient(app) as client:
        yield client, facts


def test_iso_settlement_staff_see_each_days_runs_and_a_neutral_sum(
    setting: tuple[TestClient, dict[str, Any]]
) -> None:
    client, facts = setting
    log_in(client, facts["analyst"])
    assert "Settlement runs" in nav_labels(client.get("/").text)
    assert 'href="/settlement-runs"' in client.get("/statements").text
    page = client.get("/settlement-runs", params={"trade_date": str(DAY)})
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Initial" in shown and "Published" in shown
    neutrality = shown.split("Neutrality", 1)[1]
    assert "v1 Initial" in neutrality and "$0.00 Balanced" in neutrality
    assert "Not neutral" not in shown


def test_a_statement_total_changed_afterwards_is_flagged(
    setting: tuple[TestClient, dict[str, Any]], engine: Engine
) -> None:
    _, facts = setting
    with Session(engine) as session:
        statement = session.scalars(select(SettlementStatement)
                                    .where(SettlementStatement.trade_date == DAY)).first()
        assert statement is not None
        # Bypassing the ORM guard on published statements, as a stray UPDATE would.
        session.execute(update(SettlementStatement)
                        .where(SettlementStatement.id == statement.id)
                        .values(total_usd=statement.total_usd + Decimal("0.01")))
        [day] = settlement_days(session, facts["principal"], trade_date=DAY)
        session.rollback()
    assert [(c.version, c.total_usd, c.balanced) for c in day.checks] == [
        (1, Decimal("0.01"), False)]


def test_sc_people_and_market_operators_may_not_see_settlement_runs(
    setting: tuple[TestClient, dict[str, Any]]
) -> None:
    client, facts = setting
    for email in (facts["sc_analyst"], facts["operator"]):
        log_in(client, email)
        assert "Settlement runs" not in nav_labels(client.get("/").text)
        assert client.get("/settlement-runs").status_code == 403
    assert 'href="/settlement-runs"' not in client.get("/statements").text
