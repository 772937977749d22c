"""Test helpers: Master File resources of one's own, assigned to a SCID, and small PDFs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from uuid import uuid4

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.participants.models import Scid
from gridmarket.resources.models import MeteringType, Resource, ResourceAssignment, ResourceType

ASSIGNED_SINCE = datetime(2020, 1, 1, 8, tzinfo=UTC)
TINY_PDF = b"%PDF-1.4\n% signed letter\n%%EOF\n"


def make_resource(session: Session, prefix: str = "UNIT", **overrides: Any) -> Resource:
    """A 50 MW ISO-metered gas unit with a unique CAISO-style ID (with a space)."""
    fields: dict[str, Any] = {
        "resource_id": f"{prefix}_{uuid4().hex[:6].upper()} 1",
        "name": "Test unit",
        "resource_type": ResourceType.GENERATOR,
        "category": "Gas CT",
        "fuel": "NG",
        "p_min_mw": Decimal("10"),
        "p_max_mw": Decimal("50"),
        "ramp_rate_mw_per_min": Decimal("5"),
        "min_up_hours": 1,
        "min_down_hours": 1,
        "startup_cost_usd": Decimal("1000"),
        "min_load_cost_usd_per_hour": Decimal("200"),
        "ra_capacity_mw": Decimal("50"),
        "metering_type": MeteringType.ISO_METERED,
        "telemetry_required": True,
    }
    fields.update(overrides)
    resource = Resource(**fields)
    session.add(resource)
    session.flush()
    return resource


def assign(
    session: Session, resource: Resource, scid: Scid, since: datetime = ASSIGNED_SINCE
) -> ResourceAssignment:
    """Make ``scid`` represent ``resource`` from ``since`` (closing an open assignment)."""
    current = session.scalar(
        select(ResourceAssignment).where(
            ResourceAssignment.resource_pk == resource.id,
            ResourceAssignment.effective_to_utc.is_(None),
        )
    )
    if current is not None:
        current.effective_to_utc = max(current.effective_from_utc, since)
        session.flush()
    assignment = ResourceAssignment(
        resource_pk=resource.id, scid_id=scid.id, effective_from_utc=since
    )
    session.add(assignment)
    session.flush()
    return assignment


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, page after page."""
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def migrated(database_url: str) -> str:
    """Bring an empty database to the current schema (tests that commit use their own)."""
    upgrade(database_url)
    return database_url


@contextmanager
def committed(database_url: str) -> Iterator[Session]:
    """One committed unit of work on ``database_url``; the engine is closed afterwards."""
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
