"""`gridmarket metering ...`: the ISO's meter data collection and estimates at a deadline.

Both run as the system (the ISO), on the system clock.

Example::

    gridmarket metering collect-iso --date 2020-07-15
    gridmarket metering estimate --date 2020-07-15 --deadline initial
"""

from __future__ import annotations

import typer
from rich.console import Console

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import trade_day_option, transaction
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.metering.estimation import estimate_missing
from gridmarket.metering.iso_collection import collect_iso_meter_data
from gridmarket.metering.models import MeterDeadline

metering_app = typer.Typer(help="Meter data: ISO collection, estimates.", no_args_is_help=True)
console = Console()


def _report(what: str, submissions: dict[str, int], values: int) -> None:
    console.print(f"{what}: [bold]{values}[/bold] five-minute values")
    for scid, submission_id in sorted(submissions.items()):
        console.print(f"  {scid}: submission {submission_id}")


@metering_app.command("collect-iso")
def collect_iso(date: str = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD).")) -> None:
    """Collect the meter data of ISO-metered resources (RTD expected energy + deviation)."""
    parameters = get_settings().market_parameters()
    trade_date = trade_day_option(date, MarketCalendar(parameters))
    with transaction() as session:
        report = collect_iso_meter_data(session, trade_date, parameters=parameters,
                                        clock=SystemClock())
        _report(f"ISO meter data of {trade_date}", report.submissions, report.values_stored)


@metering_app.command("estimate")
def estimate(
    date: str = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD)."),
    deadline: str = typer.Option(..., "--deadline", help="initial (T+5B) or final (T+52B)."),
) -> None:
    """Estimate every 5-minute value still missing once the deadline has passed."""
    parameters = get_settings().market_parameters()
    trade_date = trade_day_option(date, MarketCalendar(parameters))
    try:
        chosen = MeterDeadline(deadline.upper())
    except ValueError as error:
        Console(stderr=True).print("[bold red]error:[/bold red] --deadline is initial or final")
        raise typer.Exit(code=2) from error
    with transaction() as session:
        report = estimate_missing(session, trade_date, chosen, parameters=parameters,
                                  clock=SystemClock())
        _report(f"estimates of {trade_date} ({chosen.value.lower()})", report.submissions,
                report.values_stored)
