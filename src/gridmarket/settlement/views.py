"""Reading statements with the confidentiality rules of rulebook §5.

An SC's people see only the statements of their SCIDs; another SC's
statement is answered as if it did not exist (404, audited by the API edge).
ISO staff see every statement, the ISO accounts' included.

Example::

    statements = visible_statements(session, principal, trade_date=date(2020, 7, 15))
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.errors import NotVisible
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.settlement.models import SettlementStatement, SettlementStatementLine
from gridmarket.settlement.statements import get_statement


def visible_statement(session: Session, principal: Principal,
                      statement_id: int) -> SettlementStatement:
    """Statement ``statement_id`` if the caller may see it; else 404 (audited)."""
    authorize(principal, Action.VIEW_STATEMENTS)
    statement = session.get(SettlementStatement, statement_id)
    if statement is None or not (principal.is_iso or statement.account in principal.scids):
        raise NotVisible(f"no statement {statement_id} visible to {principal.email}",
                         actor=principal, action=Action.VIEW_STATEMENTS.value,
                         object_type="settlement_statement", object_id=str(statement_id))
    return get_statement(session, statement_id)


def visible_statements(session: Session, principal: Principal, *,
                       trade_date: date | None = None, account: str | None = None,
                       limit: int = 500) -> list[SettlementStatement]:
    """Statements the caller may see, newest first (of ``account`` if given)."""
    authorize(principal, Action.VIEW_STATEMENTS, scid=account)
    query = select(SettlementStatement)
    if trade_date is not None:
        query = query.where(SettlementStatement.trade_date == trade_date)
    if account is not None:
        query = query.where(SettlementStatement.account == account)
    elif not principal.is_iso:
        query = query.where(SettlementStatement.account.in_(sorted(principal.scids)))
    return list(session.scalars(query.order_by(SettlementStatement.trade_date.desc(),
                                               SettlementStatement.account,
                                               SettlementStatement.version.desc())
                                .limit(limit)))


def visible_line(session: Session, principal: Principal, statement_id: int,
                 line_id: int) -> SettlementStatementLine:
    """One line of a visible statement; another statement's line is 404."""
    statement = visible_statement(session, principal, statement_id)
    line = session.get(SettlementStatementLine, line_id)
    if line is None or line.statement_id != statement.id:
        raise NotVisible(f"no line {line_id} in statement {statement_id}", actor=principal,
                         action=Action.VIEW_STATEMENTS.value,
                         object_type="settlement_statement_line", object_id=str(line_id))
    return line
