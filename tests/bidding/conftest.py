"""Fixtures of the bidding tests: the bid world and an app client on a clock before close."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.bidding.bid_world import BEFORE_CLOSE, BidWorld, build_world
from tests.conftest import AccessWorld

from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work


@pytest.fixture
def world(engine: Engine, access_world_factory: Callable[[Session], AccessWorld]) -> BidWorld:
    with unit_of_work(make_session_factory(engine)) as session:
        return build_world(session, access_world_factory)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(BEFORE_CLOSE)


@pytest.fixture
def client(database_url: str, access_parameters: MarketParameters, clock: FixedClock
           ) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = clock
    with TestClient(app) as test_client:
        yield test_client
