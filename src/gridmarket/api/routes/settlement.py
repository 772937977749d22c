"""Settlement: run a trade date (ISO), statements, line drill-down, version diff, CSV, PDF.

Thin: the confidentiality rules live in :mod:`gridmarket.settlement.views`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, require
from gridmarket.dates import IsoDate
from gridmarket.settlement import statements, views
from gridmarket.settlement.models import SettlementRun, SettlementStatement
from gridmarket.settlement.service import run_settlement

router = APIRouter(prefix="/api/v1/settlement", tags=["settlement"])

Viewer = Annotated[Principal, Depends(require(Action.VIEW_STATEMENTS))]
Analyst = Annotated[Principal, Depends(require(Action.RUN_SETTLEMENT))]


class RunBody(BaseModel):
    kind: str | None = None
    """initial, recalculation, recalculation_11m …; default: the next one due."""
    missing_meter: Literal["refuse", "use_expected"] = "refuse"


class RunOut(BaseModel):
    id: int
    trade_date: date
    kind: str
    status: str
    line_count: int
    total_usd: Decimal
    missing_reads: int
    pools: dict[str, Any]


class StatementOut(BaseModel):
    id: int
    account: str
    account_kind: str
    trade_date: date
    kind: str
    version: int
    publication_date: date
    published_at: datetime
    total_usd: Decimal
    line_count: int
    content_sha256: str
    is_disputable: bool
    dispute_deadline: date | None
    supersedes_id: int | None


class LineOut(BaseModel):
    id: int
    charge_code: str
    component: str
    subject_kind: str
    subject: str
    quantity_mwh: Decimal
    price_usd_per_mwh: Decimal | None
    amount_usd: Decimal
    amount_unrounded_usd: Decimal
    intervals: int
    determinants: dict[str, Any]


class StatementDetailOut(StatementOut):
    lines: list[LineOut]


class LineDetailOut(LineOut):
    interval_rows: list[dict[str, Any]]


class ChangeOut(BaseModel):
    charge_code: str
    component: str
    subject_kind: str
    subject: str
    status: str
    before_quantity_mwh: Decimal | None
    after_quantity_mwh: Decimal | None
    before_amount_usd: Decimal | None
    after_amount_usd: Decimal | None
    change_usd: Decimal


def _statement(statement: SettlementStatement) -> StatementOut:
    return StatementOut.model_validate(statement, from_attributes=True)


def _line(line: Any) -> LineOut:
    return LineOut(id=line.id, charge_code=line.charge_code, component=line.component,
                   subject_kind=line.subject_kind, subject=line.subject,
                   quantity_mwh=line.quantity_mwh, price_usd_per_mwh=line.price_usd_per_mwh,
                   amount_usd=line.amount_usd, amount_unrounded_usd=line.amount_unrounded_usd,
                   intervals=line.intervals, determinants=json.loads(line.determinants_json))


def _run(run: SettlementRun) -> RunOut:
    return RunOut(id=run.id, trade_date=run.trade_date, kind=run.kind, status=run.status,
                  line_count=run.line_count, total_usd=run.total_usd,
                  missing_reads=run.missing_reads, pools=json.loads(run.pools_json))


@router.post("/trade-dates/{trade_date}/run", response_model=RunOut, status_code=201)
def run(trade_date: IsoDate, body: RunBody, session: SessionDep, principal: Analyst,
        parameters: ParametersDep, clock: ClockDep) -> RunOut:
    """Settle a trade date and publish the next statement version (ISO settlement staff)."""
    stored = run_settlement(session, trade_date, parameters=parameters, clock=clock,
                            kind=body.kind, missing_meter=body.missing_meter,
                            requested_by_person_id=principal.person_id)
    record_audit(session, actor=principal, action="settlement.run", object_type="settlement_run",
                 object_id=str(stored.id), clock=clock,
                 details={"trade_date": trade_date.isoformat(), "kind": stored.kind,
                          "status": stored.status})
    session.commit()
    return _run(stored)


@router.get("/statements", response_model=list[StatementOut])
def list_statements(session: SessionDep, principal: Viewer, trade_date: IsoDate | None = None,
                    account: str | None = None) -> list[StatementOut]:
    """Statements the caller may see (an SC: its own SCIDs'), newest first."""
    return [_statement(s) for s in views.visible_statements(
        session, principal, trade_date=trade_date, account=account)]


@router.get("/statements/{statement_id}", response_model=StatementDetailOut)
def get_statement(statement_id: int, session: SessionDep, principal: Viewer
                  ) -> StatementDetailOut:
    """A statement with its lines and their bill determinants."""
    statement = views.visible_statement(session, principal, statement_id)
    return StatementDetailOut(**_statement(statement).model_dump(), lines=[
        _line(line) for line in statements.statement_lines(session, statement.id)])


@router.get("/statements/{statement_id}/lines/{line_id}", response_model=LineDetailOut)
def get_line(statement_id: int, line_id: int, session: SessionDep,
             principal: Viewer) -> LineDetailOut:
    """One line with the interval rows behind it (quantity, price, amount per interval)."""
    line = views.visible_line(session, principal, statement_id, line_id)
    return LineDetailOut(**_line(line).model_dump(),
                         interval_rows=statements.line_detail(session, line))


@router.get("/statements/{statement_id}/diff", response_model=list[ChangeOut])
def diff(statement_id: int, against: int, session: SessionDep,
         principal: Viewer) -> list[ChangeOut]:
    """Line-by-line changes from version ``against`` to this statement."""
    views.visible_statement(session, principal, statement_id)
    views.visible_statement(session, principal, against)
    return [ChangeOut(**{k: getattr(c, k) for k in ChangeOut.model_fields})
            for c in statements.diff_statements(session, against, statement_id)]


@router.get("/statements/{statement_id}/csv", response_class=PlainTextResponse)
def download_csv(statement_id: int, session: SessionDep, principal: Viewer) -> Response:
    """The statement as CSV (one row per line, determinants as JSON)."""
    statement = views.visible_statement(session, principal, statement_id)
    name = f"statement_{statement.account}_{statement.trade_date}_v{statement.version}.csv"
    return Response(statements.statement_csv(session, statement), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/statements/{statement_id}/pdf")
def download_pdf(statement_id: int, session: SessionDep, principal: Viewer) -> Response:
    """The statement as PDF."""
    statement = views.visible_statement(session, principal, statement_id)
    name = f"statement_{statement.account}_{statement.trade_date}_v{statement.version}.pdf"
    return Response(statements.statement_pdf(session, statement), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
