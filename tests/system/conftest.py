"""System tests: the application as it is deployed, on PostgreSQL, under load and faults.

Run them alone with ``pytest tests/system`` (or ``pytest -m system``). They
need PostgreSQL (``GRIDMARKET_TEST_POSTGRES_URL``) and fail without it; a run
narrowed to SQLite (``GRIDMARKET_TEST_BACKENDS=sqlite``) skips them.

The demo market is seeded once per session into a database that the tests
copy (``CREATE DATABASE ... TEMPLATE``), so each test starts from the same
market without seeding it again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.conftest import BACKENDS, POSTGRES_ADMIN_URL, fresh_postgres_database

from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.demo.load import BidMarket, issue_api_tokens, prepare_bid_market

TRADE_DATE = date(2020, 7, 15)
ROLE_EMAILS = {
    "SC trader": "trader@desert.example",
    "SC user access administrator": "uaa@desert.example",
    "SC settlement analyst": "settlements@desert.example",
    "ISO market operator": "operator@iso.example",
    "ISO administrator": "admin@iso.example",
}
"""People of the demo cast the tests act as, by what they are."""


@dataclass(frozen=True)
class SeededMarket:
    database: str
    market: BidMarket
    tokens: dict[str, str]
    """Bearer secrets by the roles of :data:`ROLE_EMAILS`."""


def _database_name(suffix: str) -> str:
    return f"gridmarket_system_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}{suffix}"


def _admin(statement: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def database_url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def seeded_market() -> Iterator[SeededMarket]:
    """The RTS-GMLC Master File, the demo cast with credit, bid bodies and API tokens."""
    if "postgresql" not in BACKENDS:
        pytest.skip("system tests run on PostgreSQL (GRIDMARKET_TEST_BACKENDS excludes it)")
    name = _database_name("")
    url = fresh_postgres_database(name)
    market = prepare_bid_market(url, TRADE_DATE)
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            secrets = issue_api_tokens(session, list(ROLE_EMAILS.values()),
                                       FixedClock(market.clock), MarketParameters().access)
    finally:
        engine.dispose()
    yield SeededMarket(name, market, {role: secrets[email] for role, email in ROLE_EMAILS.items()})
    drop_database(name)


@contextmanager
def market_copy(seeded: SeededMarket, suffix: str) -> Iterator[str]:
    """A copy of the seeded market's database for one test (module); its URL."""
    name = _database_name(suffix)
    drop_database(name)
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{seeded.database}"')
    try:
        yield database_url(name)
    finally:
        drop_database(name)
