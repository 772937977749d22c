"""Run the Alembic migrations programmatically (``gridmarket db upgrade``)."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
JOB_QUEUE_PREFIX = "procrastinate_"
"""The job queue's tables (created by migration 0014 from procrastinate's own schema)."""


def is_modelled(name: str | None, type_: str, _parents: MutableMapping[Any, str | None]) -> bool:
    """Whether a database object is one of our models, for comparing schema and models.

    The job queue's tables belong to procrastinate, not to our metadata.

    Example::

        >>> is_modelled("procrastinate_jobs", "table", {})
        False
    """
    return not (type_ == "table" and name is not None and name.startswith(JOB_QUEUE_PREFIX))


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database at ``database_url`` up to ``revision`` (every head by default).

    Areas add their tables in their own revisions, which may branch from a
    common parent and are joined again by merge revisions.
    """
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_revisions(database_url: str) -> set[str]:
    """The revisions the database is at (one per head when branches are open)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def head_revisions() -> set[str]:
    """The heads of the migration scripts: a database at these is up to date."""
    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
