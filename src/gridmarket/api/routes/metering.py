"""Meter data: SCs submit SQMD (JSON or CSV) and read their SCIDs' meter data.

* ``POST /api/v1/meter-data``: an :class:`~gridmarket.metering.sqmd.SqmdSubmission`.
* ``POST /api/v1/meter-data/upload``: the same as a CSV file (form fields
  ``scid``, ``trade_date``, ``file``), at most ``access.upload_limit_bytes``.
* ``GET /api/v1/meter-data?scid=&trade_date=``: the SCID's submissions and
  current 5-minute values.
* ``GET /api/v1/meter-data/submissions/{submission_id}``: one submission with
  every rejected record.

Another SC's SCID or submission is answered 404 and the attempt audited.

Example::

    POST /api/v1/meter-data
    {"scid": "MPPA", "trade_date": "2020-07-15", "records": [{"resource_id": "LOAD_AREA1",
     "resource_type": "LOAD", "measurement": "LOAD", "unit": "MWh", "interval_minutes": 60,
     "interval_end_utc": "2020-07-15T08:00:00Z", "value": "1203.25"}]}
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from sqlalchemy.orm import Session

from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, require
from gridmarket.dates import IsoDate
from gridmarket.errors import InvalidInput
from gridmarket.metering import queries
from gridmarket.metering.sqmd import SqmdResult, SqmdSubmission, submission_view, submit_sqmd
from gridmarket.metering.sqmd_csv import submit_sqmd_csv

router = APIRouter(prefix="/api/v1", tags=["meter data"])

Submitter = Annotated[Principal, Depends(require(Action.SUBMIT_METER_DATA))]
Viewer = Annotated[Principal, Depends(require(Action.VIEW_METER_DATA))]


async def _body_within_limit(request: Request, parameters: ParametersDep) -> None:
    limit = parameters.access.upload_limit_bytes
    body = await request.body()
    if len(body) > limit:
        raise InvalidInput(f"body of {len(body)} bytes exceeds the upload limit of {limit} bytes",
                           field="body")


def _answer(session: Session, result: SqmdResult) -> dict[str, Any]:
    answer = result.response()
    session.commit()
    return answer


@router.post("/meter-data", status_code=status.HTTP_201_CREATED)
def submit_meter_data(
    principal: Submitter, _limit: Annotated[None, Depends(_body_within_limit)],
    submission: SqmdSubmission, session: SessionDep, parameters: ParametersDep, clock: ClockDep,
) -> dict[str, Any]:
    """Submit SQMD records (JSON). 201 with every rejected record and its row; 422 if none fit."""
    return _answer(session, submit_sqmd(session, principal, submission, source_format="json",
                                        parameters=parameters, clock=clock))


@router.post("/meter-data/upload", status_code=status.HTTP_201_CREATED)
def upload_meter_data(
    principal: Submitter, session: SessionDep, parameters: ParametersDep, clock: ClockDep,
    file: Annotated[UploadFile, File()], scid: Annotated[str, Form()],
    trade_date: Annotated[IsoDate, Form()],
) -> dict[str, Any]:
    """Submit SQMD as a CSV file (layout: docs/metering.md), at most the upload limit."""
    data = file.file.read(parameters.access.upload_limit_bytes + 1)
    return _answer(session, submit_sqmd_csv(session, principal, scid, trade_date, data,
                                            parameters=parameters, clock=clock))


@router.get("/meter-data")
def list_meter_data(
    principal: Viewer, session: SessionDep, parameters: ParametersDep, scid: str,
    trade_date: IsoDate,
) -> dict[str, Any]:
    """An SCID's meter data of a trade date: submissions (versions) and current values."""
    view = queries.meter_data_of(session, principal, scid, trade_date, parameters)
    return {"scid": view.scid, "trade_date": view.trade_date.isoformat(),
            "submissions": view.submissions, "values": view.values}


@router.get("/meter-data/submissions/{submission_id}")
def get_submission(submission_id: int, principal: Viewer, session: SessionDep) -> dict[str, Any]:
    """One submission: version, deadline, counts, and every rejected record with its reason."""
    submission, scid = queries.visible_submission(session, principal, submission_id)
    return submission_view(submission, scid)
