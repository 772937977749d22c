"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL must be reachable (``GRIDMARKET_TEST_POSTGRES_URL``, default the
local server's ``test`` database); if it is not, the tests fail rather than
skip. ``GRIDMARKET_TEST_BACKENDS=sqlite`` narrows a local run to SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gridmarket.config import MarketParameters, get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.resources.rts_import import import_rts_gmlc

POSTGRES_ADMIN_URL = os.environ.get(
    "GRIDMARKET_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test"
)
BACKENDS = os.environ.get("GRIDMARKET_TEST_BACKENDS", "sqlite,postgresql").split(",")

_skipped_reports: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped_reports.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI must not pass with tests silently skipped (e.g. for a missing service).
    if _skipped_reports and os.environ.get("GRIDMARKET_FAIL_ON_SKIP"):
        print(f"\n{len(_skipped_reports)} test(s) skipped; skips are failures here:")
        for nodeid in _skipped_reports:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _fresh_postgres_database(name: str) -> str:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({error}). Start it or set "
            "GRIDMARKET_TEST_BACKENDS=sqlite for a SQLite-only run.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return get_settings().data_dir


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated database, one per backend for the whole test session."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'gridmarket.sqlite'}"
    elif request.param == "postgresql":
        url = _fresh_postgres_database(f"gridmarket_test_{worker}")
    else:
        raise ValueError(f"unknown backend {request.param!r} in GRIDMARKET_TEST_BACKENDS")
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database (no migrations) for tests that set one up from scratch."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return _fresh_postgres_database(f"gridmarket_empty_{worker}")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test, commits included."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def rts_loaded(engine: Engine, data_dir: Path) -> Engine:
    """The RTS-GMLC Master File, imported once per database backend."""
    with unit_of_work(make_session_factory(engine)) as session:
        import_rts_gmlc(session, data_dir / "rts-gmlc", MarketParameters())
    return engine
