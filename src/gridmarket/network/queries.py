"""Read-side service functions of the network area."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.network.models import NetworkModel


def network_model(session: Session, name: str) -> NetworkModel:
    """The loaded network model called ``name``; LookupError if it is not loaded."""
    model = session.scalar(select(NetworkModel).where(NetworkModel.name == name))
    if model is None:
        raise LookupError(f"network model {name!r} is not loaded; run `gridmarket load rts-gmlc`")
    return model
