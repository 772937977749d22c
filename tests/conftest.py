"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL must be reachable (``GRIDMARKET_TEST_POSTGRES_URL``, default the
local server's ``test`` database; see ``tests/databases.py``); if it is not,
the tests fail rather than skip. ``GRIDMARKET_TEST_BACKENDS=sqlite`` narrows a
local run to SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.databases import BACKENDS, fresh_postgres_database

from gridmarket.config import MarketParameters, get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.resources.rts_import import import_rts_gmlc

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
        url = fresh_postgres_database(f"gridmarket_test_{worker}")
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
    return fresh_postgres_database(f"gridmarket_empty_{worker}")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end, commits included."""
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


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test, commits included."""
    yield from rolled_back_session(engine)


@pytest.fixture(scope="session")
def rts_loaded(engine: Engine, data_dir: Path) -> Engine:
    """The RTS-GMLC Master File, imported once per database backend."""
    with unit_of_work(make_session_factory(engine)) as session:
        import_rts_gmlc(session, data_dir / "rts-gmlc", MarketParameters())
    return engine


# --- Access: organisations, people, SCIDs and credentials for tests -----------------------

from collections.abc import Callable  # noqa: E402
from datetime import UTC, date, datetime  # noqa: E402
from uuid import uuid4  # noqa: E402

from gridmarket.access.models import (  # noqa: E402
    Organisation,
    OrganisationKind,
    PasswordCredential,
    Person,
    Role,
    RoleGrant,
    ScidGrant,
)
from gridmarket.access.passwords import hash_password  # noqa: E402
from gridmarket.access.principal import Principal, load_principal  # noqa: E402
from gridmarket.access.tokens import create_api_token  # noqa: E402
from gridmarket.clock import FixedClock  # noqa: E402
from gridmarket.config import AccessRules  # noqa: E402
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus  # noqa: E402

ACCESS_TEST_START = datetime(2020, 7, 1, 16, 0, tzinfo=UTC)


class AccessWorld:
    """Builds organisations, people, SCIDs and tokens for tests, with unique names.

    Writes go to ``session``; the caller decides whether they are committed.
    """

    def __init__(self, session: Session, rules: AccessRules, clock: FixedClock) -> None:
        self.session = session
        self.rules = rules
        self.clock = clock

    def organisation(self, kind: OrganisationKind, name: str | None = None) -> Organisation:
        organisation = Organisation(name=name or f"{kind.value} {uuid4().hex[:10]}", kind=kind)
        self.session.add(organisation)
        self.session.flush()
        return organisation

    def scheduling_coordinator(self, scid_count: int = 1) -> tuple[Organisation, list[Scid]]:
        """A certified SC organisation with ``scid_count`` SCIDs of its own."""
        organisation = self.organisation(OrganisationKind.SC)
        coordinator = SchedulingCoordinator(
            organisation=organisation,
            legal_name=organisation.name,
            status=ScStatus.CERTIFIED,
            certified_on=date(2020, 6, 1),
        )
        scids = [
            Scid(
                code=f"T{uuid4().hex[:6].upper()}",
                scheduling_coordinator=coordinator,
                granted_on=date(2020, 6, 1),
            )
            for _ in range(scid_count)
        ]
        self.session.add_all([coordinator, *scids])
        self.session.flush()
        return organisation, scids

    def person(
        self,
        organisation: Organisation,
        *roles: Role,
        scids: tuple[Scid, ...] = (),
        password: str | None = None,
    ) -> Person:
        person = Person(
            organisation_id=organisation.id,
            email=f"p{uuid4().hex[:12]}@{organisation.kind.value.lower()}.example",
            display_name="Test person",
            roles=[RoleGrant(role=role) for role in roles],
        )
        self.session.add(person)
        self.session.flush()
        for scid in scids:
            self.session.add(ScidGrant(person_id=person.id, scid_id=scid.id))
        if password is not None:
            self.session.add(
                PasswordCredential(
                    person_id=person.id,
                    password_hash=hash_password(password, self.rules),
                    changed_at=self.clock.now(),
                    failed_logins=0,
                )
            )
        self.session.flush()
        return person

    def principal(self, person: Person) -> Principal:
        return load_principal(self.session, person.id)

    def api_token(self, person: Person, lifetime_days: int = 30) -> str:
        """A bearer secret for ``person`` (created as if by an operator)."""
        issued = create_api_token(
            self.session,
            person.id,
            name="test",
            lifetime_days=lifetime_days,
            rules=self.rules,
            clock=self.clock,
            actor=None,
        )
        return issued.secret


@pytest.fixture(scope="session")
def access_rules() -> AccessRules:
    """The access rules with cheap argon2 settings, so hashing does not slow the tests."""
    return AccessRules(password_time_cost=1, password_memory_kib=64, password_parallelism=1)


@pytest.fixture(scope="session")
def access_parameters(access_rules: AccessRules) -> MarketParameters:
    return MarketParameters(access=access_rules)


@pytest.fixture
def access_clock() -> FixedClock:
    return FixedClock(ACCESS_TEST_START)


@pytest.fixture
def access_world(
    db_session: Session, access_rules: AccessRules, access_clock: FixedClock
) -> AccessWorld:
    """An :class:`AccessWorld` writing into the rolled-back ``db_session``."""
    return AccessWorld(db_session, access_rules, access_clock)


@pytest.fixture
def access_world_factory(
    access_rules: AccessRules, access_clock: FixedClock
) -> Callable[[Session], AccessWorld]:
    """Make an :class:`AccessWorld` over any session, e.g. one that commits for API tests."""
    return lambda session: AccessWorld(session, access_rules, access_clock)


# --- Credit tests state their figures without settlement's EAL providers ---------------

TESTS_DIR = Path(__file__).parent

from tests.test_credit_support import credit_alone  # noqa: E402


@pytest.fixture(autouse=True)
def _credit_tests_alone(request: pytest.FixtureRequest) -> Iterator[None]:
    """In ``tests/test_credit_*.py``, EAL without the providers billing registers on import."""
    path = request.path
    if not (path.parent == TESTS_DIR and path.name.startswith("test_credit")):
        yield
        return
    with credit_alone():
        yield
