"""`gridmarket settlement ...`: settle a trade date, list statements, diff two versions.

Example::

    gridmarket settlement run --date 2020-07-15
    gridmarket settlement statements --date 2020-07-15
    gridmarket settlement diff 12 40
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import trade_day_option, transaction
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.settlement.models import SettlementStatement
from gridmarket.settlement.service import run_settlement
from gridmarket.settlement.statements import diff_statements

settlement_app = typer.Typer(help="Settlement: runs, statements, version diffs.",
                             no_args_is_help=True)
console = Console()


@settlement_app.command("run")
def run(
    date: str = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD)."),
    kind: str = typer.Option(None, "--kind", help="initial, recalculation, ... (default: next)."),
    use_expected: bool = typer.Option(
        False, "--use-expected", help="Settle a missing meter read at its expected energy."),
) -> None:
    """Settle a trade date from its published runs and meter data; store the statements."""
    parameters = get_settings().market_parameters()
    trade_date = trade_day_option(date, MarketCalendar(parameters))
    with transaction() as session:
        stored = run_settlement(session, trade_date, parameters=parameters, clock=SystemClock(),
                                kind=kind,
                                missing_meter="use_expected" if use_expected else "refuse")
        console.print(f"settlement run [bold]{stored.id}[/bold] {stored.kind} {trade_date}: "
                      f"{stored.status}, {stored.line_count} lines, total {stored.total_usd}, "
                      f"missing reads {stored.missing_reads}")


@settlement_app.command("statements")
def statements(date: str = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD).")
               ) -> None:
    """List the statements of a trade date, every version."""
    trade_date = trade_day_option(date, MarketCalendar(get_settings().market_parameters()))
    table = Table("id", "account", "kind", "version", "total USD", "lines", "published")
    with transaction() as session:
        for s in session.scalars(select(SettlementStatement)
                                 .where(SettlementStatement.trade_date == trade_date)
                                 .order_by(SettlementStatement.account,
                                           SettlementStatement.version)):
            table.add_row(str(s.id), s.account, s.kind, str(s.version), str(s.total_usd),
                          str(s.line_count), s.publication_date.isoformat())
    console.print(table)


@settlement_app.command("diff")
def diff(before_id: int, after_id: int) -> None:
    """Line-by-line changes between two versions of one account's statement."""
    table = Table("code", "part", "subject", "status", "before USD", "after USD", "change USD")
    with transaction() as session:
        for c in diff_statements(session, before_id, after_id):
            table.add_row(c.charge_code, c.component, f"{c.subject_kind} {c.subject}", c.status,
                          str(c.before_amount_usd or ""), str(c.after_amount_usd or ""),
                          str(c.change_usd))
    console.print(table)
