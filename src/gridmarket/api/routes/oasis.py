"""Public prices and load forecasts in the ISO's public API format: ``GET /oasisapi/SingleZip``
(no login).

Thin: the query, the reports and the files live in :mod:`gridmarket.publication`.
Every answer is ``200`` with a ZIP, errors included, as OASIS answers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.publication.oasis import single_zip_file
from gridmarket.publication.oasis_files import ZIP_MEDIA_TYPE, pack_zip

router = APIRouter(tags=["public data"])


@router.get("/oasisapi/SingleZip", response_class=Response,
            responses={200: {"content": {ZIP_MEDIA_TYPE: {}},
                             "description": "A ZIP holding one CSV or XML file"}})
def single_zip(request: Request, session: SessionDep, parameters: ParametersDep,
               clock: ClockDep) -> Response:
    """Published prices or the load forecast as an OASIS report (``queryname``,
    ``market_run_id``, ``version``, ``startdatetime``, ``enddatetime``, ``resultformat=6``
    for CSV; ``node`` / ``grp_type``, ``anc_type`` / ``anc_region``, ``tac_area_name`` /
    ``execution_type``)."""
    answer = single_zip_file(session, request.query_params, calendar=MarketCalendar(parameters),
                             max_days=parameters.publication.max_request_days, now=clock.now())
    return Response(pack_zip(answer.name, answer.content), media_type=ZIP_MEDIA_TYPE,
                    headers={"Content-Disposition": f"inline; filename={answer.name}.zip;"})
