"""`gridmarket load ...`: import public test systems into the Master File."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import transaction
from gridmarket.config import get_settings
from gridmarket.db.migrate import upgrade
from gridmarket.markets.forecasts import load_rts_gmlc_forecasts, trade_days
from gridmarket.network.csv_tables import RtsDataError
from gridmarket.network.queries import network_model
from gridmarket.resources.rts_import import (
    ImportSummary,
    ModelAlreadyLoadedError,
    import_rts_gmlc,
)

load_app = typer.Typer(help="Import public test systems.", no_args_is_help=True)
console = Console()

DEFAULT_TRADE_DATE = date(2020, 7, 15)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def load_rts_gmlc_into_database(first: date, last: date) -> ImportSummary:
    """Migrate, import the RTS-GMLC Master File, then forecasts for trade days first..last."""
    settings = get_settings()
    calendar = MarketCalendar(settings.market_parameters())
    days = trade_days(first, last)
    upgrade(settings.database_url)
    with progress_bar() as progress:
        task = progress.add_task("Master File", total=1 + len(days))
        with transaction() as session:
            summary = import_rts_gmlc(
                session,
                settings.rts_gmlc_dir,
                settings.market_parameters(),
                progress=lambda step: progress.update(task, description=f"Master File: {step}"),
            )
        progress.update(task, advance=1)
        for day in days:
            progress.update(task, description=f"forecasts {day.isoformat()}")
            with transaction() as session:
                model = network_model(session, summary.model_name)
                load_rts_gmlc_forecasts(session, model, settings.rts_gmlc_dir, day, calendar)
            progress.update(task, advance=1)
    return summary


def print_import_summary(summary: ImportSummary) -> None:
    table = Table(
        title=f"{summary.model_name} ({'loaded' if summary.created else 'already loaded'})"
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, count in (
        ("pricing nodes", summary.pricing_nodes),
        ("load aggregation points", summary.aggregated_nodes),
        ("branches", summary.branches),
        ("HVDC links", summary.dc_lines),
        ("resources", summary.resources),
    ):
        table.add_row(label, str(count))
    console.print(table)


@load_app.command("rts-gmlc")
def load_rts_gmlc(
    first: str = typer.Option(
        DEFAULT_TRADE_DATE.isoformat(), "--from", help="First trade date of forecasts (YYYY-MM-DD)."
    ),
    last: str = typer.Option(
        None, "--to", help="Last trade date of forecasts (default: the first)."
    ),
) -> None:
    """Import the RTS-GMLC network and Master File, and forecasts for trade days FROM..TO."""
    try:
        first_day = date.fromisoformat(first)
        last_day = date.fromisoformat(last) if last else first_day
        summary = load_rts_gmlc_into_database(first_day, last_day)
    except (RtsDataError, ModelAlreadyLoadedError, ValueError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=2) from error
    print_import_summary(summary)
