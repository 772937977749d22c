"""The home page shows the loaded market: network, SCs and the next day-ahead deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridmarket.api.app import create_app
from gridmarket.config import Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.demo.scenario import seed_demo_participants


def test_home_page_lists_network_and_coordinators(rts_loaded: Engine, database_url: str) -> None:
    with unit_of_work(make_session_factory(rts_loaded)) as session:
        seed_demo_participants(session, datetime(2020, 6, 1, tzinfo=UTC).date())
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        page = client.get("/")
        css = client.get("/static/gridmarket.css")
    assert page.status_code == 200
    assert "RTS-GMLC: 73 pricing nodes, 120 branches." in page.text
    assert "Desert Thermal Generation" in page.text and "DTGN" in page.text
    assert "Day-ahead market for" in page.text
    assert css.status_code == 200
