"""Web login: session cookie, throttling and lockout, and every attempt in the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmarket.access.errors import AccountLocked, NotAuthenticated
from gridmarket.access.login import attempt_login
from gridmarket.access.models import AuditEntry, OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.api.security import SESSION_COOKIE
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work

if TYPE_CHECKING:
    from tests.conftest import AccessWorld

PASSWORD = "a long enough passphrase"


@pytest.fixture
def client(
    database_url: str, access_parameters: MarketParameters, access_clock: FixedClock
) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = access_clock
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def trader_email(engine: Engine, access_world_factory: Callable[[Session], AccessWorld]) -> str:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        organisation, scids = world.scheduling_coordinator()
        return world.person(organisation, Role.TRADER, scids=tuple(scids), password=PASSWORD).email


def _actions_for(engine: Engine, email: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.actor_email == email)
                .order_by(AuditEntry.sequence)
            )
        )


def test_login_sets_an_httponly_session_cookie_that_authenticates(
    client: TestClient, trader_email: str, engine: Engine
) -> None:
    response = client.post("/api/v1/auth/login", json={"email": trader_email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == trader_email
    assert response.json()["roles"] == ["TRADER"]
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=gms_")
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie

    assert client.get("/api/v1/me").json()["email"] == trader_email
    assert client.post("/api/v1/auth/logout").status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/me").status_code == 401
    assert _actions_for(engine, trader_email)[-2:] == ["auth.login", "auth.logout"]


def test_session_cookie_cannot_be_used_after_logout(client: TestClient, trader_email: str) -> None:
    client.post("/api/v1/auth/login", json={"email": trader_email, "password": PASSWORD})
    stolen = client.cookies[SESSION_COOKIE]
    client.post("/api/v1/auth/logout")
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/api/v1/me").status_code == 401


def test_session_token_is_not_accepted_as_a_bearer_api_token(
    client: TestClient, trader_email: str
) -> None:
    client.post("/api/v1/auth/login", json={"email": trader_email, "password": PASSWORD})
    session_secret = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {session_secret}"})
    assert response.status_code == 401


def test_wrong_password_and_unknown_email_get_the_same_answer_and_are_audited(
    client: TestClient, trader_email: str, engine: Engine
) -> None:
    wrong = client.post("/api/v1/auth/login", json={"email": trader_email, "password": "nope"})
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "nobody@nowhere.example", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong e-mail or password"}
    assert _actions_for(engine, trader_email) == ["auth.login_failed"]
    assert "auth.login_failed" in _actions_for(engine, "nobody@nowhere.example")


def test_five_failed_logins_within_15_minutes_lock_the_account_for_15_minutes(
    client: TestClient, trader_email: str, access_clock: FixedClock, engine: Engine
) -> None:
    for _ in range(4):
        bad = client.post("/api/v1/auth/login", json={"email": trader_email, "password": "x"})
        assert bad.status_code == 401
        access_clock.advance(timedelta(minutes=3))
    fifth = client.post("/api/v1/auth/login", json={"email": trader_email, "password": "x"})
    assert fifth.status_code == 429
    assert "locked until" in fifth.json()["detail"]
    assert int(fifth.headers["Retry-After"]) == 15 * 60 + 1

    # Locked: even the right password is refused, without being checked.
    access_clock.advance(timedelta(minutes=14, seconds=59))
    locked = client.post("/api/v1/auth/login", json={"email": trader_email, "password": PASSWORD})
    assert locked.status_code == 429

    access_clock.advance(timedelta(seconds=1))
    unlocked = client.post("/api/v1/auth/login", json={"email": trader_email, "password": PASSWORD})
    assert unlocked.status_code == 200
    actions = _actions_for(engine, trader_email)
    assert actions.count("auth.login_failed") == 5
    assert actions[-3:] == ["auth.lockout", "auth.login_locked", "auth.login"]


def test_failures_spread_beyond_the_window_do_not_lock(
    access_world: AccessWorld, access_clock: FixedClock
) -> None:
    organisation, _ = access_world.scheduling_coordinator()
    email = access_world.person(organisation, Role.READ_ONLY, password=PASSWORD).email
    rules = access_world.rules
    for _ in range(rules.max_failed_logins * 2):
        outcome = attempt_login(
            access_world.session, email, "wrong", rules=rules, clock=access_clock
        )
        assert type(outcome.error) is NotAuthenticated
        access_clock.advance(timedelta(minutes=rules.failed_login_window_minutes // 4 + 1))
    assert attempt_login(
        access_world.session, email, PASSWORD, rules=rules, clock=access_clock
    ).principal


def test_a_successful_login_resets_the_failure_count(
    access_world: AccessWorld, access_clock: FixedClock
) -> None:
    organisation = access_world.organisation(OrganisationKind.ISO)
    email = access_world.person(organisation, Role.CREDIT_ANALYST, password=PASSWORD).email
    rules, session = access_world.rules, access_world.session
    for _ in range(rules.max_failed_logins - 1):
        attempt_login(session, email, "wrong", rules=rules, clock=access_clock)
    assert attempt_login(session, email, PASSWORD, rules=rules, clock=access_clock).principal
    for _ in range(rules.max_failed_logins - 1):
        attempt_login(session, email, "wrong", rules=rules, clock=access_clock)
    last = attempt_login(session, email, "wrong", rules=rules, clock=access_clock)
    assert isinstance(last.error, AccountLocked)
    with pytest.raises(AccountLocked):
        last.raise_for_failure()
