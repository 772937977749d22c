"""The audit log: hash-chained, append-only, tamper-evident; refusals survive the request."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gridmarket.access.audit import (
    GENESIS_SHA256,
    canonical_json,
    entry_content,
    record_audit,
    record_refusal,
    verify_audit_chain,
)
from gridmarket.access.errors import NotVisible
from gridmarket.access.models import AuditEntry, Organisation, OrganisationKind, Person, Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work

if TYPE_CHECKING:
    from tests.conftest import AccessWorld

WorldFactory = Callable[[Session], "AccessWorld"]


def _append(session: Session, count: int, tag: str = "test.event") -> list[AuditEntry]:
    return [
        record_audit(
            session,
            actor=None,
            action=tag,
            object_type="thing",
            object_id=str(n),
            details={"n": n},
        )
        for n in range(count)
    ]


def test_each_entry_is_chained_by_sha256_to_the_one_before(db_session: Session) -> None:
    first, second = _append(db_session, 2)
    assert second.sequence == first.sequence + 1
    assert second.previous_sha256 == first.entry_sha256
    expected = hashlib.sha256(
        (first.entry_sha256 + canonical_json(entry_content(second))).encode()
    ).hexdigest()
    assert second.entry_sha256 == expected
    result = verify_audit_chain(db_session)
    assert result.intact, result.message()
    assert result.message() == f"audit chain intact: {second.sequence} entries"


def test_the_first_entry_links_to_the_genesis_hash(db_session: Session) -> None:
    _append(db_session, 1)
    first = db_session.get(AuditEntry, 1)
    assert first is not None and first.previous_sha256 == GENESIS_SHA256


def test_a_rolled_back_change_leaves_no_audit_entry(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        _append(session, 1, tag="test.rolled_back")
        raise RuntimeError("the change fails")
    with unit_of_work(factory) as session:
        count = session.scalar(select(func.count()).where(AuditEntry.action == "test.rolled_back"))
        assert count == 0
        assert verify_audit_chain(session).intact


@pytest.mark.parametrize(
    ("column", "value"),
    [("details_json", '{"n":99}'), ("actor_email", "someone.else@example.com"), ("outcome", "ok ")],
)
def test_verify_names_an_edited_entry(db_session: Session, column: str, value: str) -> None:
    entries = _append(db_session, 3)
    target = entries[1].sequence
    db_session.execute(
        text(f"UPDATE audit_entry SET {column} = :value WHERE sequence = :sequence"),
        {"value": value, "sequence": target},
    )
    result = verify_audit_chain(db_session)
    assert not result.intact
    assert result.first_bad_sequence == target
    assert f"entry {target}: edited" in result.message()


def test_verify_names_a_deleted_entry(db_session: Session) -> None:
    entries = _append(db_session, 3)
    target = entries[1].sequence
    db_session.execute(text("DELETE FROM audit_entry WHERE sequence = :s"), {"s": target})
    result = verify_audit_chain(db_session)
    assert result.first_bad_sequence == target
    assert f"entry {target} is missing (deleted)" in result.message()


def test_verify_names_a_deleted_last_entry(db_session: Session) -> None:
    entries = _append(db_session, 2)
    target = entries[-1].sequence
    db_session.execute(text("DELETE FROM audit_entry WHERE sequence = :s"), {"s": target})
    result = verify_audit_chain(db_session)
    assert result.first_bad_sequence == target
    assert "missing (deleted) at the end" in result.message()


def test_verify_names_swapped_entries(db_session: Session) -> None:
    entries = _append(db_session, 3)
    a, b = entries[0].sequence, entries[1].sequence
    for old, new in ((a, -1), (b, a), (-1, b)):
        db_session.execute(
            text("UPDATE audit_entry SET sequence = :new WHERE sequence = :old"),
            {"new": new, "old": old},
        )
    result = verify_audit_chain(db_session)
    assert result.first_bad_sequence == a
    assert f"entry {a}: out of order" in result.message()


def test_twenty_concurrent_writers_make_one_unbroken_chain(engine: Engine) -> None:
    writers = 20
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []
    factory = make_session_factory(engine)

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            with unit_of_work(factory) as session:
                record_audit(
                    session,
                    actor=None,
                    action="test.concurrent",
                    object_type="writer",
                    object_id=str(n),
                )
        except BaseException as error:  # reported below, from the main thread
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    with unit_of_work(factory) as session:
        result = verify_audit_chain(session)
        assert result.intact, result.message()
        written = session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "test.concurrent")
        ).all()
    assert sorted(written, key=int)[-writers:] == [str(n) for n in range(writers)]


# --- Through the HTTP API: refusals, logins and grants are logged ---------------------------


@pytest.fixture
def client(
    database_url: str, access_parameters: MarketParameters, access_clock: FixedClock
) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = access_clock
    with TestClient(app) as test_client:
        yield test_client


class Cast:
    """An ISO administrator, an SC with its UAA and a trader, and another SC; with tokens."""

    def __init__(self, engine: Engine, make_world: WorldFactory) -> None:
        with unit_of_work(make_session_factory(engine)) as session:
            world = make_world(session)
            iso = world.organisation(OrganisationKind.ISO)
            self.admin = world.person(iso, Role.ISO_ADMINISTRATOR, password="admin passphrase")
            sc, scids = world.scheduling_coordinator()
            self.uaa = world.person(sc, Role.USER_ACCESS_ADMINISTRATOR)
            self.trader = world.person(sc, Role.TRADER)
            self.scid = scids[0].code
            _, other_scids = world.scheduling_coordinator()
            self.other_scid = other_scids[0].code
            self.tokens = {person.id: world.api_token(person) for person in (self.uaa, self.trader)}

    def auth(self, person: Person) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[person.id]}"}


@pytest.fixture
def cast(engine: Engine, access_world_factory: WorldFactory) -> Cast:
    return Cast(engine, access_world_factory)


def _entries(engine: Engine, **where: object) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).order_by(AuditEntry.sequence)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return list(session.scalars(query))


def test_a_refused_grant_is_logged_even_though_the_request_failed(
    client: TestClient, cast: Cast, engine: Engine
) -> None:
    response = client.post(
        f"/api/v1/people/{cast.trader.id}/roles",
        json={"role": "USER_ACCESS_ADMINISTRATOR"},
        headers=cast.auth(cast.trader),
    )
    assert response.status_code == 403
    assert "USER_ACCESS_ADMINISTRATOR" in response.json()["detail"]
    refusals = _entries(engine, actor_person_id=cast.trader.id, outcome="denied")
    assert [e.action for e in refusals] == ["GRANT_SC_ACCESS"]
    assert "may not grant sc access" in refusals[0].details_json
    with Session(engine) as session:
        assert verify_audit_chain(session).intact


def test_another_scs_scid_grant_is_refused_with_a_clear_error_and_logged(
    client: TestClient, cast: Cast, engine: Engine
) -> None:
    response = client.post(
        f"/api/v1/people/{cast.trader.id}/scids",
        json={"scid": cast.other_scid},
        headers=cast.auth(cast.uaa),
    )
    assert response.status_code == 403
    assert "belongs to another scheduling coordinator" in response.json()["detail"]
    [refusal] = _entries(engine, actor_person_id=cast.uaa.id, outcome="denied")
    assert (refusal.object_type, refusal.object_id) == ("SCID", cast.other_scid)


def test_the_login_and_a_grant_appear_in_the_audit_log(client: TestClient, cast: Cast) -> None:
    granted = client.post(
        f"/api/v1/people/{cast.trader.id}/scids",
        json={"scid": cast.scid},
        headers=cast.auth(cast.uaa),
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["scids"] == [cast.scid]

    login = client.post(
        "/api/v1/auth/login", json={"email": cast.admin.email, "password": "admin passphrase"}
    )
    assert login.status_code == 200
    logins = client.get("/api/v1/audit", params={"actor": cast.admin.email}).json()
    assert [item["action"] for item in logins["items"]] == ["auth.login"]
    grants = client.get(
        "/api/v1/audit", params={"actor": cast.uaa.email, "action": "scid.grant"}
    ).json()
    assert grants["total"] == 1
    assert cast.scid in grants["items"][0]["details_json"]


def test_only_iso_administrators_read_the_audit_log(
    client: TestClient, cast: Cast, engine: Engine
) -> None:
    response = client.get("/api/v1/audit", headers=cast.auth(cast.uaa))
    assert response.status_code == 403
    assert [e.action for e in _entries(engine, actor_person_id=cast.uaa.id)] == ["VIEW_AUDIT_LOG"]


def test_audit_page_above_the_maximum_is_a_clear_422(client: TestClient, cast: Cast) -> None:
    client.post(
        "/api/v1/auth/login", json={"email": cast.admin.email, "password": "admin passphrase"}
    )
    response = client.get("/api/v1/audit", params={"limit": 1_000_000})
    assert response.status_code == 422
    assert "page maximum" in response.json()["detail"]


def test_a_refusal_is_kept_while_the_refused_change_is_rolled_back(engine: Engine) -> None:
    factory = make_session_factory(engine)
    name = f"doomed {engine.url.get_backend_name()} {threading.get_ident()}"
    with pytest.raises(NotVisible) as refused, unit_of_work(factory) as session:
        session.add(Organisation(name=name, kind=OrganisationKind.SC))
        session.flush()
        raise NotVisible("not yours", actor=None, action="test.refused", object_id="ZZZZ")
    entry = record_refusal(engine, refused.value.refusal)
    assert entry.outcome == "not_visible"
    with Session(engine) as session:
        assert session.scalar(select(Organisation).where(Organisation.name == name)) is None
    [stored] = _entries(engine, action="test.refused")
    assert (stored.object_id, stored.details_json) == ("ZZZZ", '{"reason":"not yours"}')


def test_probing_someone_elses_token_is_a_logged_404(
    client: TestClient, cast: Cast, engine: Engine
) -> None:
    [trader_token] = client.get("/api/v1/me/tokens", headers=cast.auth(cast.trader)).json()
    response = client.delete(f"/api/v1/me/tokens/{trader_token['id']}", headers=cast.auth(cast.uaa))
    assert response.status_code == 404
    [refusal] = _entries(engine, actor_person_id=cast.uaa.id, outcome="not_visible")
    assert (refusal.action, refusal.object_id) == ("token.revoke", str(trader_token["id"]))
