"""Databases for job tests: jobs commit, so each test gets a freshly migrated database.

The job queue exists on PostgreSQL only; ``postgres_url`` is skipped only in a
run narrowed to SQLite (``GRIDMARKET_TEST_BACKENDS=sqlite``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import rolled_back_session
from tests.databases import BACKENDS, fresh_postgres_database

from gridmarket.db.engine import make_engine
from gridmarket.db.migrate import upgrade


def _fresh(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    else:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        url = fresh_postgres_database(f"gridmarket_jobs_{worker}")
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new migrated database of each backend, for a test whose jobs commit."""
    return _fresh(request.param, tmp_path)


@pytest.fixture
def postgres_url(tmp_path: Path) -> str:
    """A new migrated PostgreSQL database, for the queue."""
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL left out by GRIDMARKET_TEST_BACKENDS")
    return _fresh("postgresql", tmp_path)


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_session(postgres_engine: Engine) -> Iterator[Session]:
    """A PostgreSQL session rolled back after the test."""
    yield from rolled_back_session(postgres_engine)
