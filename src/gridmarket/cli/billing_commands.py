"""`gridmarket billing ...`: the invoice and penalty jobs, payments, disputes.

Importing this module registers billing's EAL providers and standing checks.

Example::

    gridmarket billing invoice --date 2020-09-14
    gridmarket billing penalties --date 2020-09-23
    gridmarket billing pay --sc 7 --amount 1500.00 --reference "WIRE 0915"
    gridmarket billing disputes
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import trade_day_option, transaction
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.settlement import billing_credit as _billing_credit  # noqa: F401 - registers
from gridmarket.settlement.billing_models import Dispute
from gridmarket.settlement.invoicing import run_invoices
from gridmarket.settlement.payments import describe_payment, record_payment
from gridmarket.settlement.penalties import run_penalties

billing_app = typer.Typer(help="Billing: invoices, penalties, payments, disputes.",
                          no_args_is_help=True)
console = Console()


@billing_app.command("invoice")
def invoice(date: str = typer.Option(None, "--date", help="Invoice date (YYYY-MM-DD).")) -> None:
    """Issue the invoices of an invoice date (idempotent)."""
    parameters = get_settings().market_parameters()
    day = trade_day_option(date, MarketCalendar(parameters))
    table = Table("invoice", "SC", "date", "due", "total USD", "status")
    with transaction() as session:
        run = run_invoices(session, day, parameters=parameters, clock=SystemClock())
        for i in run.invoices:
            table.add_row(str(i.id), str(i.scheduling_coordinator_id), str(i.invoice_date),
                          str(i.due_date), str(i.total_usd), i.status)
    console.print(table)
    console.print(f"{run.created} invoice(s) created for {day}")


@billing_app.command("penalties")
def penalties(date: str = typer.Option(None, "--date", help="Day to accrue (YYYY-MM-DD).")
              ) -> None:
    """Accrue a day's late-payment penalties (charge code 5024; once per invoice and day)."""
    parameters = get_settings().market_parameters()
    day = trade_day_option(date, MarketCalendar(parameters))
    with transaction() as session:
        run = run_penalties(session, day, parameters=parameters, clock=SystemClock())
        for a in run.accruals:
            console.print(f"invoice {a.invoice_id}: {a.daily_rate} × {a.overdue_usd} = "
                          f"{a.amount_usd}")
        console.print(f"{len(run.accruals)} accrual(s) on {day}, total {run.total_usd}")


@billing_app.command("pay")
def pay(
    sc: int = typer.Option(..., "--sc", help="Scheduling coordinator id."),
    amount: str = typer.Option(..., "--amount", help="Dollars, exact to the cent."),
    reference: str = typer.Option(..., "--reference", help="The bank's reference."),
    received_at: str = typer.Option(None, "--received-at",
                                    help="ISO 8601 instant with offset (default: now)."),
) -> None:
    """Record a payment received from an SC; applied oldest invoice first."""
    try:
        dollars = Decimal(amount)
        when = datetime.fromisoformat(received_at) if received_at else SystemClock().now()
    except (InvalidOperation, ValueError) as error:
        raise typer.BadParameter(str(error)) from error
    if when.tzinfo is None:
        raise typer.BadParameter("--received-at needs a UTC offset")
    with transaction() as session:
        result = record_payment(session, sc, dollars, when, reference,
                                parameters=get_settings().market_parameters(),
                                clock=SystemClock())
        console.print(describe_payment(result))


@billing_app.command("disputes")
def disputes(status: str = typer.Option(None, "--status", help="SUBMITTED, ACCEPTED ...")
             ) -> None:
    """List disputes, newest first."""
    table = Table("id", "statement", "SCID", "trade date", "code", "claimed USD", "status",
                  "decided USD")
    with transaction() as session:
        query = select(Dispute).order_by(Dispute.id.desc())
        if status:
            query = query.where(Dispute.status == status)
        for d in session.scalars(query):
            table.add_row(str(d.id), str(d.statement_id), d.account, str(d.trade_date),
                          d.charge_code, str(d.amount_claimed_usd), d.status,
                          "" if d.decision_amount_usd is None else str(d.decision_amount_usd))
    console.print(table)
