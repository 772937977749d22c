"""Test databases on the PostgreSQL server of ``GRIDMARKET_TEST_POSTGRES_URL``.

PostgreSQL must be reachable; if it is not, the tests fail rather than skip.
``GRIDMARKET_TEST_BACKENDS=sqlite`` narrows a local run to SQLite.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "GRIDMARKET_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test"
)
BACKENDS = os.environ.get("GRIDMARKET_TEST_BACKENDS", "sqlite,postgresql").split(",")


def postgres_url(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def administer(*statements: str) -> None:
    """Run statements such as CREATE DATABASE (outside a transaction) on the test server."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except Exception as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({error}). Start it or set "
            "GRIDMARKET_TEST_BACKENDS=sqlite for a SQLite-only run.",
            pytrace=False,
        )
    finally:
        admin.dispose()


def fresh_postgres_database(name: str, template: str | None = None) -> str:
    """A new database ``name`` (empty, or a copy of ``template``); its URL."""
    copy = f' TEMPLATE "{template}"' if template else ""
    administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{copy}')
    return postgres_url(name)


def drop_postgres_database(name: str) -> None:
    administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
