"""Versioned market parameters: every run points at the exact set it used."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridmarket.config import MarketParameters
from gridmarket.markets.models import MarketParameterSet


def record_parameters(session: Session, parameters: MarketParameters) -> MarketParameterSet:
    """Store ``parameters`` once (keyed by fingerprint) and return the stored set.

    Example::

        stored = record_parameters(session, MarketParameters())
        assert load_parameters(session, stored.id) == MarketParameters()
    """
    fingerprint = parameters.fingerprint()
    stored = select(MarketParameterSet).where(MarketParameterSet.fingerprint == fingerprint)
    existing = session.scalar(stored)
    if existing is not None:
        return existing
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    # Two runs storing the same new set at once: the second waits for the first's row,
    # inserts nothing, and uses it.
    session.execute(insert(MarketParameterSet).values(
        fingerprint=fingerprint, body_json=parameters.canonical_json(),
    ).on_conflict_do_nothing(index_elements=["fingerprint"]))
    return session.scalars(stored).one()


def load_parameters(session: Session, parameter_set_id: int) -> MarketParameters:
    """The parameters stored under ``parameter_set_id``, exactly as they were used."""
    stored = session.get(MarketParameterSet, parameter_set_id)
    if stored is None:
        raise LookupError(f"no market parameter set with id {parameter_set_id}")
    return MarketParameters.model_validate_json(stored.body_json)
