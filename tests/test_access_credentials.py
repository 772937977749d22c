"""Credentials: argon2id passwords, API tokens stored hashed, expiring within a year, revocable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmarket.access.errors import InvalidAccessRequest, NotAuthenticated
from gridmarket.access.models import AccessToken, OrganisationKind, Role
from gridmarket.access.passwords import check_password_rules, hash_password, verify_password
from gridmarket.access.tokens import create_api_token, resolve_token, secret_sha256
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import AccessRules, MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work

if TYPE_CHECKING:
    from tests.conftest import AccessWorld

WorldFactory = Callable[[Session], "AccessWorld"]


def test_password_is_stored_as_an_argon2id_hash_and_verifies(access_rules: AccessRules) -> None:
    stored = hash_password("correct horse battery staple", access_rules)
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery staple", access_rules).matches
    assert not verify_password(stored, "Correct horse battery staple", access_rules).matches
    assert not verify_password("not a hash", "anything", access_rules).matches


def test_password_hashed_with_old_settings_is_rehashed_on_verification(
    access_rules: AccessRules,
) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash("a long passphrase")
    check = verify_password(old, "a long passphrase", access_rules)
    assert check.matches and check.new_hash is not None
    assert verify_password(check.new_hash, "a long passphrase", access_rules).new_hash is None


def test_passwords_shorter_than_the_minimum_are_refused() -> None:
    with pytest.raises(InvalidAccessRequest, match="at least 12 characters"):
        check_password_rules("short", AccessRules())


def test_api_token_lifetime_above_365_days_is_refused(access_world: AccessWorld) -> None:
    iso = access_world.organisation(OrganisationKind.ISO)
    person = access_world.person(iso, Role.MARKET_OPERATOR)
    with pytest.raises(InvalidAccessRequest, match="1 to 365 days; 366 days was asked"):
        create_api_token(
            access_world.session,
            person.id,
            name="too long",
            lifetime_days=366,
            rules=access_world.rules,
            clock=access_world.clock,
            actor=None,
        )


def test_api_token_is_stored_only_as_its_sha256(access_world: AccessWorld) -> None:
    iso = access_world.organisation(OrganisationKind.ISO)
    person = access_world.person(iso, Role.MARKET_OPERATOR)
    secret = access_world.api_token(person, lifetime_days=365)
    stored = access_world.session.scalars(
        select(AccessToken).where(AccessToken.person_id == person.id)
    ).one()
    assert stored.secret_sha256 == secret_sha256(secret)
    assert secret not in (stored.secret_sha256, stored.prefix, stored.name)
    assert stored.expires_at - stored.created_at == timedelta(days=365)


def test_token_stops_working_when_it_expires(access_world: AccessWorld) -> None:
    iso = access_world.organisation(OrganisationKind.ISO)
    secret = access_world.api_token(access_world.person(iso, Role.CREDIT_ANALYST), 1)
    clock = FixedClock(access_world.clock.now())
    clock.advance(timedelta(days=1, seconds=-1))
    assert resolve_token(access_world.session, secret, clock=clock)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(NotAuthenticated, match="expired"):
        resolve_token(access_world.session, secret, clock=clock)


@pytest.fixture
def client(
    database_url: str, access_parameters: MarketParameters, access_clock: FixedClock
) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = access_clock
    with TestClient(app) as test_client:
        yield test_client


def _committed_person_with_token(
    engine: Engine, make_world: WorldFactory, lifetime_days: int = 30
) -> str:
    with unit_of_work(make_session_factory(engine)) as session:
        world = make_world(session)
        trader_org, scids = world.scheduling_coordinator()
        person = world.person(trader_org, Role.TRADER, scids=tuple(scids))
        return world.api_token(person, lifetime_days)


def test_expired_token_is_a_401_asking_for_a_bearer_token(
    client: TestClient, engine: Engine, access_world_factory: WorldFactory, access_clock: FixedClock
) -> None:
    secret = _committed_person_with_token(engine, access_world_factory, lifetime_days=1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    access_clock.advance(timedelta(days=1))
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "expired" in response.json()["detail"]


def test_revoked_token_is_refused_on_the_very_next_request(
    client: TestClient, engine: Engine, access_world_factory: WorldFactory, access_clock: FixedClock
) -> None:
    secret = _committed_person_with_token(engine, access_world_factory)
    headers = {"Authorization": f"Bearer {secret}"}
    created = client.post(
        "/api/v1/me/tokens", json={"name": "bidding bot", "lifetime_days": 90}, headers=headers
    )
    assert created.status_code == 201
    bot_secret = created.json()["token"]
    bot_headers = {"Authorization": f"Bearer {bot_secret}"}
    assert client.get("/api/v1/me", headers=bot_headers).status_code == 200

    listed = client.get("/api/v1/me/tokens", headers=headers).json()
    assert "token" not in listed[0]
    assert {t["name"] for t in listed} >= {"bidding bot"}

    revoked = client.delete(f"/api/v1/me/tokens/{created.json()['id']}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = client.get("/api/v1/me", headers=bot_headers)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_token_creation_over_the_maximum_lifetime_is_a_clear_422(
    client: TestClient, engine: Engine, access_world_factory: WorldFactory, access_clock: FixedClock
) -> None:
    secret = _committed_person_with_token(engine, access_world_factory)
    response = client.post(
        "/api/v1/me/tokens",
        json={"name": "forever", "lifetime_days": 3650},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 422
    assert "365 days" in response.json()["detail"]


def test_missing_or_malformed_credentials_are_401(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    malformed = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert malformed.status_code == 401
    assert malformed.headers["WWW-Authenticate"] == "Bearer"
    unknown = client.get("/api/v1/me", headers={"Authorization": "Bearer gmk_nothing"})
    assert unknown.status_code == 401


def test_a_person_cannot_revoke_someone_elses_token(
    client: TestClient, engine: Engine, access_world_factory: WorldFactory, access_clock: FixedClock
) -> None:
    mine = _committed_person_with_token(engine, access_world_factory)
    theirs = _committed_person_with_token(engine, access_world_factory)
    with Session(engine) as session:
        their_token = session.scalars(
            select(AccessToken).where(AccessToken.secret_sha256 == secret_sha256(theirs))
        ).one()
    response = client.delete(
        f"/api/v1/me/tokens/{their_token.id}", headers={"Authorization": f"Bearer {mine}"}
    )
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {theirs}"}).is_success
