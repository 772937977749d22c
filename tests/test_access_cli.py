"""`gridmarket users ...` and `gridmarket audit verify` on a fresh database of each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gridmarket.access.tokens import resolve_token
from gridmarket.cli.main import app
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade

runner = CliRunner()


@pytest.fixture
def cli_database_url(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, otherwise empty database the CLI points at, with cheap password hashing."""
    upgrade(empty_database_url)
    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("GRIDMARKET_MARKET__ACCESS__PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("GRIDMARKET_MARKET__ACCESS__PASSWORD_MEMORY_KIB", "64")
    monkeypatch.setenv("GRIDMARKET_MARKET__ACCESS__PASSWORD_PARALLELISM", "1")
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


def _create_admin(email: str = "admin@iso.example") -> None:
    result = runner.invoke(
        app, ["users", "create-iso-admin", email, "--password-stdin"], input="a long passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert f"ISO administrator {email} created" in result.output


def test_create_iso_admin_then_token_then_verify(cli_database_url: str) -> None:
    _create_admin()
    result = runner.invoke(
        app, ["users", "token", "admin@iso.example", "--name", "ops", "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("gmk_")
    engine = make_engine(cli_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            assert resolve_token(session, secret, clock=SystemClock()).name == "ops"
    finally:
        engine.dispose()

    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    # organisation.create, person.create, token.create
    assert "audit chain intact: 3 entries" in verified.output


def test_create_iso_admin_refuses_a_short_password_and_a_taken_email(
    cli_database_url: str,
) -> None:
    short = runner.invoke(
        app, ["users", "create-iso-admin", "a@iso.example", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    _create_admin("a@iso.example")
    again = runner.invoke(
        app,
        ["users", "create-iso-admin", "a@iso.example", "--password-stdin"],
        input="a long passphrase\n",
    )
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_token_longer_than_a_year_is_refused(cli_database_url: str) -> None:
    _create_admin()
    result = runner.invoke(
        app, ["users", "token", "admin@iso.example", "--name", "x", "--days", "400"]
    )
    assert result.exit_code == 1
    assert "1 to 365 days" in result.output


def test_audit_verify_exits_1_naming_the_edited_entry(cli_database_url: str) -> None:
    _create_admin()
    engine = make_engine(cli_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE audit_entry SET object_id = 'forged' WHERE sequence = 2")
            )
    finally:
        engine.dispose()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "audit chain broken at entry 2: edited" in result.output
