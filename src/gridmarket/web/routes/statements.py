"""Settlement statement pages: an SC's statements, lines by charge code, bill determinants."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gridmarket.access.policy import Action
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.settlement.codes import COUNTED_UNITS, NAMES
from gridmarket.settlement.disputes import why_not_disputable
from gridmarket.settlement.models import SettlementStatementLine
from gridmarket.settlement.statements import diff_statements, line_detail
from gridmarket.settlement.views import visible_line, visible_statement, visible_statements
from gridmarket.web.rendering import render
from gridmarket.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)

DETAIL_ROWS_SHOWN = 300


@router.get("/statements")
def statements_page(request: Request, viewer: ViewerDep, session: SessionDep,
                    trade_date: date | None = None) -> Response:
    """Every statement version the viewer may see, newest trade date first."""
    statements = visible_statements(session, viewer.principal, trade_date=trade_date)
    return render(request, "statements.html", {
        "statements": statements, "trade_date": trade_date,
        "may_see_runs": viewer.is_iso and viewer.may(Action.RUN_SETTLEMENT),
    }, viewer=viewer)


@router.get("/statements/{statement_id}")
def statement_page(request: Request, statement_id: int, viewer: ViewerDep, session: SessionDep,
                   against: int | None = None) -> Response:
    """A statement's lines grouped by charge code, with a version difference on request."""
    statement = visible_statement(session, viewer.principal, statement_id)
    by_code: dict[str, list[SettlementStatementLine]] = defaultdict(list)
    for line in statement.lines:
        by_code[line.charge_code].append(line)
    codes = [(code, lines, sum((li.amount_usd for li in lines), Decimal(0)))
             for code, lines in sorted(by_code.items())]
    changes = None
    if against is not None:
        visible_statement(session, viewer.principal, against)
        changes = diff_statements(session, against, statement_id)
    return render(request, "statement.html", {"statement": statement, "codes": codes,
                                              "names": NAMES, "units": COUNTED_UNITS,
                                              "changes": changes,
                                              "against": against}, viewer=viewer)


@router.get("/statements/{statement_id}/lines/{line_id}")
def line_page(request: Request, statement_id: int, line_id: int, viewer: ViewerDep,
              session: SessionDep, parameters: ParametersDep, clock: ClockDep) -> Response:
    """One line with its bill determinants and the interval rows it sums; a way to dispute it."""
    line = visible_line(session, viewer.principal, statement_id, line_id)
    rows = line_detail(session, line)
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    return render(request, "statement_line.html", {
        "may_dispute": viewer.may(Action.SUBMIT_DISPUTE) and line.statement.account_kind == "SC",
        "dispute_refusal": why_not_disputable(line.statement, today, parameters),
        "line": line, "statement": line.statement, "units": COUNTED_UNITS,
        "determinants": json.loads(line.determinants_json or "{}"),
        "rows": rows[:DETAIL_ROWS_SHOWN], "row_count": len(rows),
        "columns": list(rows[0]) if rows else [],
    }, viewer=viewer)
