"""Reading meter data: the interface settlement uses, and an SCID's data for the API.

:func:`settlement_meter_values` is **the** interface the settlement engine
reads. One row per resource and 5-minute interval of the trade date: the
current (latest stored) value, whatever its source, with SC-metered load
scaled by the distribution loss factor.

Columns (polars types):

=====================  ================  =========================================
column                 type              content
=====================  ================  =========================================
resource_id            Utf8              Master File resource ID
scid                   Utf8              SCID representing it in the interval
interval_start_utc     Datetime(us,UTC)  start of the 5-minute interval
measurement            Utf8              ``GEN`` (delivered) or ``LOAD`` (taken)
mwh                    Decimal(38, 6)    metered MWh × loss factor (≥ 0 normally)
metered_mwh            Decimal(38, 6)    the MWh as metered/estimated
loss_factor_applied    Decimal(38, 6)    the factor used (1 when none applies)
estimated              Boolean           source ESTIMATED
source                 Utf8              ``SC``, ``ISO`` or ``ESTIMATED``
submission_id          Int64             the submission the value came from
version                Int64             its version for (SCID, trade date)
=====================  ================  =========================================

``mwh`` = ``metered_mwh × loss_factor_applied`` rounded half-even to 1e-6.
The factor applies to LOAD values of SC-metered resources only; it is
``MarketParameters.metering.distribution_loss_factor`` unless
``loss_factors`` names one for the resource.

Example::

    frame = settlement_meter_values(session, date(2020, 7, 15), parameters=params)
    frame.filter(pl.col("measurement") == "LOAD")["mwh"].sum()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.errors import NotVisible
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.metering.models import (
    Measurement,
    MeterDataSubmission,
    MeterSource,
    MeterValue,
)
from gridmarket.metering.split import QUANTUM
from gridmarket.metering.sqmd import submission_view
from gridmarket.participants.models import Scid
from gridmarket.resources.models import MeteringType, Resource
from gridmarket.resources.queries import visible_resource_filter

DECIMAL = pl.Decimal(38, 6)
SETTLEMENT_SCHEMA: dict[str, Any] = {
    "resource_id": pl.Utf8,
    "scid": pl.Utf8,
    "interval_start_utc": pl.Datetime("us", "UTC"),
    "measurement": pl.Utf8,
    "mwh": DECIMAL,
    "metered_mwh": DECIMAL,
    "loss_factor_applied": DECIMAL,
    "estimated": pl.Boolean,
    "source": pl.Utf8,
    "submission_id": pl.Int64,
    "version": pl.Int64,
}
ONE = Decimal(1)


def settlement_meter_values(
    session: Session,
    trade_date: date,
    *,
    parameters: MarketParameters | None = None,
    loss_factors: Mapping[str, Decimal] | None = None,
    scid: str | None = None,
) -> pl.DataFrame:
    """The current meter value of every resource and 5-minute interval of ``trade_date``.

    See the module doc for the columns. ``scid`` narrows to one SCID.

    Example::

        frame = settlement_meter_values(session, date(2020, 3, 8))
        frame.height  # resources × 276 on the spring daylight-saving day
    """
    parameters = parameters or MarketParameters()
    calendar = MarketCalendar(parameters)
    default_factor = parameters.metering.distribution_loss_factor
    overrides = dict(loss_factors or {})
    query = (
        select(MeterValue.resource_id, MeterValue.scid, MeterValue.interval_start_utc,
               MeterValue.measurement, MeterValue.mwh, MeterValue.source,
               MeterValue.submission_id, MeterDataSubmission.version, Resource.metering_type)
        .join(MeterDataSubmission, MeterDataSubmission.id == MeterValue.submission_id)
        .outerjoin(Resource, Resource.resource_id == MeterValue.resource_id)
        .where(
            MeterValue.superseded.is_(False),
            MeterValue.interval_start_utc >= calendar.trade_day_start_utc(trade_date),
            MeterValue.interval_start_utc < calendar.trade_day_end_utc(trade_date),
        )
        .order_by(MeterValue.resource_id, MeterValue.interval_start_utc)
    )
    if scid is not None:
        query = query.where(MeterValue.scid == scid)
    rows = []
    for (resource_id, code, start, measurement, mwh, source, submission_id, version,
         metering_type) in session.execute(query):
        factor = ONE
        if measurement is Measurement.LOAD and metering_type is MeteringType.SC_METERED:
            factor = overrides.get(resource_id, default_factor)
        rows.append((
            resource_id, code, start, measurement.value,
            (mwh * factor).quantize(QUANTUM, rounding=ROUND_HALF_EVEN), mwh.quantize(QUANTUM),
            factor.quantize(QUANTUM), source is MeterSource.ESTIMATED, source.value,
            submission_id, version,
        ))
    return pl.DataFrame(rows, schema=SETTLEMENT_SCHEMA, orient="row")


@dataclass(frozen=True)
class MeterDataView:
    scid: str
    trade_date: date
    submissions: list[dict[str, Any]]
    values: list[dict[str, Any]]


def visible_submission(
    session: Session, principal: Principal, submission_id: int
) -> tuple[MeterDataSubmission, str]:
    """Submission ``submission_id`` and its SCID; another SC's is NotVisible (404, audited)."""
    row = session.execute(
        select(MeterDataSubmission, Scid.code)
        .join(Scid, Scid.id == MeterDataSubmission.scid_id)
        .where(MeterDataSubmission.id == submission_id)
    ).one_or_none()
    if row is None:
        raise NotVisible(f"no meter data submission {submission_id}", actor=principal,
                         action=Action.VIEW_METER_DATA.value,
                         object_type="meter_data_submission", object_id=str(submission_id))
    authorize(principal, Action.VIEW_METER_DATA, scid=row[1])
    return row[0], row[1]


def submission_history(
    session: Session, principal: Principal, scid: str, *, limit: int = 500
) -> list[MeterDataSubmission]:
    """Every meter data version of an SCID, newest trade date first, newest version first.

    Another SC's SCID is NotVisible (404, audited).

    Example::

        [(s.trade_date, s.version) for s in submission_history(session, trader, "MPPA")]
    """
    authorize(principal, Action.VIEW_METER_DATA, scid=scid)
    return list(session.scalars(
        select(MeterDataSubmission)
        .join(Scid, Scid.id == MeterDataSubmission.scid_id)
        .where(Scid.code == scid)
        .order_by(MeterDataSubmission.trade_date.desc(), MeterDataSubmission.version.desc())
        .limit(limit)
    ))


def sc_metered_resources(
    session: Session, principal: Principal, scid: str, at: datetime
) -> list[Resource]:
    """The SC-metered resources ``scid`` represents at ``at``: those it submits SQMD for.

    Example::

        [r.resource_id for r in sc_metered_resources(session, trader, "MPPA", now)]
    """
    authorize(principal, Action.VIEW_METER_DATA, scid=scid)
    # The resources a grantee of this SCID alone would see (a filter, never None for them).
    represented = visible_resource_filter(
        replace(principal, is_iso=False, scids=frozenset({scid})), at)
    assert represented is not None
    return list(session.scalars(
        select(Resource)
        .where(Resource.metering_type == MeteringType.SC_METERED, represented)
        .order_by(Resource.resource_id)
    ))


def meter_data_of(
    session: Session, principal: Principal, scid: str, trade_date: date,
    parameters: MarketParameters,
) -> MeterDataView:
    """An SCID's submissions of ``trade_date`` and its current 5-minute values (PT shown too)."""
    authorize(principal, Action.VIEW_METER_DATA, scid=scid)
    submissions = session.execute(
        select(MeterDataSubmission)
        .join(Scid, Scid.id == MeterDataSubmission.scid_id)
        .where(Scid.code == scid, MeterDataSubmission.trade_date == trade_date)
        .order_by(MeterDataSubmission.version)
    ).scalars()
    frame = settlement_meter_values(session, trade_date, parameters=parameters, scid=scid)
    zone = MarketCalendar(parameters).timezone
    values = [
        {
            "resource_id": row["resource_id"],
            "interval_start_utc": _iso(row["interval_start_utc"]),
            "interval_start_pt": row["interval_start_utc"].astimezone(zone).isoformat(),
            "measurement": row["measurement"],
            "metered_mwh": str(row["metered_mwh"]),
            "mwh": str(row["mwh"]),
            "loss_factor_applied": str(row["loss_factor_applied"]),
            "source": row["source"],
            "submission_id": row["submission_id"],
            "version": row["version"],
        }
        for row in frame.iter_rows(named=True)
    ]
    return MeterDataView(scid, trade_date, [submission_view(s, scid) for s in submissions],
                         values)


def _iso(instant: datetime) -> str:
    return instant.isoformat()
