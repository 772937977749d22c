"""A unit of work aborted by a real deadlock or serialization failure runs again and succeeds."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmarket.access.models import Organisation, OrganisationKind
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.retry import is_concurrency_conflict, run_in_transaction


def _two_organisations(engine: Engine) -> tuple[int, int]:
    with unit_of_work(make_session_factory(engine)) as session:
        first = Organisation(name="Deadlock A", kind=OrganisationKind.SC)
        second = Organisation(name="Deadlock B", kind=OrganisationKind.SC)
        session.add_all([first, second])
        session.flush()
        return first.id, second.id


def _rename(session: Session, organisation_id: int, name: str) -> None:
    session.execute(text("UPDATE organisation SET name = :name WHERE id = :id"),
                    {"name": name, "id": organisation_id})


def _run_both(work: Callable[[str], None]) -> None:
    threads = [threading.Thread(target=work, args=(who,)) for who in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_a_deadlock_victim_is_run_again(postgres_engine: Engine) -> None:
    first, second = _two_organisations(postgres_engine)
    factory = make_session_factory(postgres_engine)
    both_hold_one = threading.Barrier(2, timeout=20)
    attempts = {"left": 0, "right": 0}
    conflicts: list[BaseException] = []
    outcome: dict[str, str] = {}

    def work(who: str) -> None:
        # Each locks one row, waits for the other to hold the other row, then asks for it:
        # PostgreSQL aborts one of the two (40P01); run again, it finds the row free.
        order = (first, second) if who == "left" else (second, first)

        def transaction(session: Session) -> None:
            attempts[who] += 1
            _rename(session, order[0], f"{who} 1")
            if attempts[who] == 1:
                both_hold_one.wait()
            _rename(session, order[1], f"{who} 2")

        try:
            run_in_transaction(factory, transaction, sleep=lambda _s: None)
            outcome[who] = "committed"
        except Exception as error:  # pragma: no cover - reported by the assertion below
            conflicts.append(error)

    _run_both(work)
    assert conflicts == []
    assert outcome == {"left": "committed", "right": "committed"}
    assert sorted(attempts.values()) == [1, 2]  # the victim ran twice, the other once
    with unit_of_work(factory) as session:
        names = set(session.scalars(select(Organisation.name).where(
            Organisation.id.in_([first, second]))))
    # The one run again committed last: both rows carry its names.
    assert names in ({"left 1", "left 2"}, {"right 1", "right 2"})


def test_a_serialization_failure_is_run_again(postgres_engine: Engine) -> None:
    first, _ = _two_organisations(postgres_engine)
    engine = make_engine(postgres_engine.url.render_as_string(hide_password=False),
                         isolation_level="REPEATABLE READ")
    factory = make_session_factory(engine)
    both_read = threading.Barrier(2, timeout=20)
    attempts = {"left": 0, "right": 0}
    errors: list[BaseException] = []

    def work(who: str) -> None:
        # Both read the row in their snapshot, then both change it: the second to
        # write waits for the first to commit, then fails (40001); run again, it
        # reads the committed row and appends to it.
        def transaction(session: Session) -> None:
            attempts[who] += 1
            name = session.scalar(select(Organisation.name).where(Organisation.id == first))
            if attempts[who] == 1:
                both_read.wait()
            _rename(session, first, f"{name}+{who}")

        try:
            run_in_transaction(factory, transaction, sleep=lambda _s: None)
        except Exception as error:  # pragma: no cover - reported by the assertion below
            errors.append(error)

    try:
        _run_both(work)
    finally:
        engine.dispose()
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]
    with unit_of_work(make_session_factory(postgres_engine)) as session:
        name = session.scalar(select(Organisation.name).where(Organisation.id == first))
    assert name in ("Deadlock A+left+right", "Deadlock A+right+left")  # no update lost


def test_other_errors_are_not_retried(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    factory = make_session_factory(engine)
    calls = []

    def duplicate(session: Session) -> None:
        calls.append(1)
        session.add_all([Organisation(name="Twin", kind=OrganisationKind.SC),
                         Organisation(name="Twin", kind=OrganisationKind.SC)])
        session.flush()

    try:
        with pytest.raises(IntegrityError) as raised:
            run_in_transaction(factory, duplicate, sleep=lambda _s: None)
        assert not is_concurrency_conflict(raised.value)
        assert calls == [1]
        with unit_of_work(factory) as session:
            assert session.scalars(select(Organisation).where(
                Organisation.name == "Twin")).all() == []
    finally:
        engine.dispose()
