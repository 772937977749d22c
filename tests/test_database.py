"""The schema, its migrations and the shared column types, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from gridmarket.access.models import Organisation, OrganisationKind
from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.db.migrate import current_revisions, head_revisions, is_modelled
from gridmarket.db.models import Base
from gridmarket.markets.models import MarketParameterSet
from gridmarket.markets.parameters import load_parameters, record_parameters


def test_migrations_reach_head_and_match_the_models(database_url: str, engine: Engine) -> None:
    assert current_revisions(database_url) == head_revisions()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": is_modelled})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_instants_round_trip_as_aware_utc(db_session: Session) -> None:
    pacific = timezone(timedelta(hours=-7))
    created = datetime(2020, 7, 15, 10, 0, tzinfo=pacific)
    db_session.add(Organisation(name="Clock Co", kind=OrganisationKind.SC, created_at=created))
    db_session.flush()
    db_session.expire_all()
    stored = db_session.scalars(select(Organisation).where(Organisation.name == "Clock Co")).one()
    assert stored.created_at == datetime(2020, 7, 15, 17, 0, tzinfo=UTC)
    assert stored.created_at.tzinfo is not None


def test_naive_datetimes_are_refused(db_session: Session) -> None:
    db_session.add(
        Organisation(name="Naive Co", kind=OrganisationKind.SC, created_at=datetime(2020, 1, 1))
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db_session.flush()


def test_market_parameters_are_stored_once_and_reload_exactly(db_session: Session) -> None:
    parameters = MarketParameters()
    first = record_parameters(db_session, parameters)
    second = record_parameters(db_session, MarketParameters())
    assert first.id == second.id
    assert load_parameters(db_session, first.id) == parameters
    assert load_parameters(db_session, first.id).bids.bid_segment_fee_usd == Decimal("0.005")


def test_changed_parameters_get_a_new_version(db_session: Session) -> None:
    default = record_parameters(db_session, MarketParameters())
    changed = MarketParameters.model_validate({"bids": {"soft_cap_usd_per_mwh": "900"}})
    stored = record_parameters(db_session, changed)
    assert stored.id != default.id
    assert load_parameters(db_session, stored.id).bids.soft_cap_usd_per_mwh == Decimal("900")
    assert db_session.scalars(select(MarketParameterSet)).all()


def test_two_runs_storing_the_same_new_parameters_at_once_share_one_set(
        engine: Engine) -> None:
    """Two market runs starting together (two workers) with parameters not stored yet."""
    changed = MarketParameters.model_validate({"bids": {"soft_cap_usd_per_mwh": "987.5"}})
    factory = make_session_factory(engine)
    stored_by_second: list[int] = []

    def second_run() -> None:
        with unit_of_work(factory) as session:
            stored_by_second.append(record_parameters(session, changed).id)

    with unit_of_work(factory) as first:
        stored = record_parameters(first, changed).id
        second = threading.Thread(target=second_run)
        second.start()
        time.sleep(0.5)  # the second run finds no stored set and waits on the first's row
    second.join(timeout=30)
    assert stored_by_second == [stored]
    with unit_of_work(factory) as session:
        assert session.scalars(select(MarketParameterSet.id).where(
            MarketParameterSet.fingerprint == changed.fingerprint())).all() == [stored]


def test_organisation_names_are_unique(db_session: Session) -> None:
    db_session.add(Organisation(name="Twin", kind=OrganisationKind.SC))
    db_session.flush()
    db_session.add(Organisation(name="Twin", kind=OrganisationKind.SC))
    with pytest.raises(IntegrityError):
        db_session.flush()
