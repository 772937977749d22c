"""The hot paths of access: one-query authentication and the one-statement audit append."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, delete, event, func, select, update
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit, verify_audit_chain
from gridmarket.access.errors import NotAuthenticated
from gridmarket.access.models import (
    AccessToken,
    AuditEntry,
    OrganisationKind,
    Person,
    Role,
    RoleGrant,
    ScidGrant,
    TokenKind,
)
from gridmarket.access.tokens import authenticate, secret_sha256
from gridmarket.clock import FixedClock
from gridmarket.db.engine import make_session_factory, unit_of_work

if TYPE_CHECKING:
    from tests.conftest import AccessWorld


def test_authenticate_loads_the_person_roles_and_scids_in_one_query(
    access_world: AccessWorld, engine: Engine
) -> None:
    sc, scids = access_world.scheduling_coordinator(scid_count=2)
    trader = access_world.person(sc, Role.TRADER, Role.READ_ONLY, scids=tuple(scids))
    secret = access_world.api_token(trader)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        principal = authenticate(access_world.session, secret, kind=TokenKind.API,
                                 clock=access_world.clock)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert principal == access_world.principal(trader)
    assert principal.roles == frozenset({Role.TRADER, Role.READ_ONLY})
    assert principal.scids == frozenset(s.code for s in scids)
    assert not principal.is_iso


def test_authenticate_sees_grant_role_and_revocation_changes_at_once(
    access_world: AccessWorld,
) -> None:
    session, clock = access_world.session, access_world.clock
    iso = access_world.organisation(OrganisationKind.ISO)
    analyst = access_world.person(iso)
    secret = access_world.api_token(analyst)
    principal = authenticate(session, secret, kind=TokenKind.API, clock=clock)
    assert principal.is_iso and principal.roles == frozenset() and principal.scids == frozenset()

    session.add(RoleGrant(person_id=analyst.id, role=Role.CREDIT_ANALYST))
    session.flush()
    assert authenticate(session, secret, kind=TokenKind.API, clock=clock).roles == {
        Role.CREDIT_ANALYST}
    session.execute(delete(RoleGrant).where(RoleGrant.person_id == analyst.id))
    assert authenticate(session, secret, kind=TokenKind.API, clock=clock).roles == frozenset()

    with pytest.raises(NotAuthenticated, match="a api token is not accepted here"):
        authenticate(session, secret, kind=TokenKind.SESSION, clock=clock)
    session.execute(update(Person).where(Person.id == analyst.id).values(active=False))
    with pytest.raises(NotAuthenticated, match="deactivated"):
        authenticate(session, secret, kind=TokenKind.API, clock=clock)
    session.execute(update(AccessToken)
                    .where(AccessToken.secret_sha256 == secret_sha256(secret))
                    .values(revoked_at=clock.now()))
    with pytest.raises(NotAuthenticated, match="revoked"):
        authenticate(session, secret, kind=TokenKind.API, clock=clock)
    with pytest.raises(NotAuthenticated, match="unknown token"):
        authenticate(session, secret + "x", kind=TokenKind.API, clock=clock)
    later = FixedClock(clock.now() + timedelta(days=400))
    fresh = access_world.api_token(access_world.person(iso))
    with pytest.raises(NotAuthenticated, match="expired"):
        authenticate(session, fresh, kind=TokenKind.API, clock=later)


def test_a_scid_grant_removed_is_gone_on_the_next_authentication(
    access_world: AccessWorld,
) -> None:
    sc, scids = access_world.scheduling_coordinator()
    trader = access_world.person(sc, Role.TRADER, scids=tuple(scids))
    secret = access_world.api_token(trader)
    session, clock = access_world.session, access_world.clock
    assert authenticate(session, secret, kind=TokenKind.API, clock=clock).can_act_for(
        scids[0].code)
    session.execute(delete(ScidGrant).where(ScidGrant.person_id == trader.id))
    assert not authenticate(session, secret, kind=TokenKind.API, clock=clock).can_act_for(
        scids[0].code)


def test_many_writers_appending_many_entries_keep_one_unbroken_chain(engine: Engine) -> None:
    writers, each = 8, 25
    failures: list[BaseException] = []
    factory = make_session_factory(engine)
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(each):
                with unit_of_work(factory) as session:
                    record_audit(session, actor=None, action="test.many_writers",
                                 object_type="writer", object_id=f"{n}-{i}",
                                 details={"n": n, "i": i, "text": "prix ≥ 0 €"})
        except BaseException as error:  # reported below, from the main thread
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    with Session(engine) as session:
        result = verify_audit_chain(session)
        assert result.intact, result.message()
        written = session.scalar(select(func.count()).where(
            AuditEntry.action == "test.many_writers"))
    assert written == writers * each
