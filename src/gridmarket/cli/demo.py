"""`gridmarket demo`: the demo market on the RTS-GMLC system, then the UI."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import transaction
from gridmarket.cli.demo_market import run_market_day
from gridmarket.cli.load_commands import console, load_rts_gmlc_into_database, print_import_summary
from gridmarket.cli.serve import serve
from gridmarket.config import get_settings
from gridmarket.demo.credit import seed_demo_credit
from gridmarket.demo.scenario import DEMO_PASSWORD, seed_demo_participants, set_demo_passwords
from gridmarket.participants.queries import registry
from gridmarket.resources.certifications import certify_demo_resources


def demo(
    trade_date: str = typer.Option("2020-07-15", "--date", help="Trade date to run (YYYY-MM-DD)."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Exit when the day is done."),
    port: int = typer.Option(8000, help="Port of the UI."),
    password: str = typer.Option(
        DEMO_PASSWORD,
        envvar="GRIDMARKET_DEMO_PASSWORD",
        help="Password of the demo people (set once, where none is set yet).",
    ),
) -> None:
    """Load RTS-GMLC, certify the demo SCs, run the market day TRADE_DATE; then serve the UI."""
    try:
        day = date.fromisoformat(trade_date)
    except ValueError as error:
        console.print(f"[red]error:[/red] --date {trade_date!r}: {error}")
        raise typer.Exit(code=2) from error
    settings = get_settings()
    calendar = MarketCalendar(settings.market_parameters())
    console.print(
        f"[bold]gridmarket demo[/bold] — trade date {day} ({calendar.hours_in_day(day)} hours)"
    )
    console.print(f"database: {settings.database_url}")
    summary = load_rts_gmlc_into_database(day, day)
    print_import_summary(summary)

    certified_on = calendar.add_business_days(day, -30)
    with transaction() as session:
        seed_demo_participants(session, certified_on)
        set_demo_passwords(session, password, settings.market_parameters().access)
        certify_demo_resources(session, certified_on)
        seed_demo_credit(session, certified_on, settings.market_parameters())
        coordinators = registry(session)
    table = Table(title="Scheduling coordinators")
    for column in ("legal name", "status", "SCIDs", "resources"):
        table.add_column(column)
    for sc in coordinators:
        table.add_row(sc.legal_name, sc.status, ", ".join(sc.scids), str(sc.resources_assigned))
    console.print(table)

    deadlines = Table(title=f"Day-ahead market for {day}")
    deadlines.add_column("deadline")
    deadlines.add_column("Pacific time")
    for deadline in calendar.deadlines_for(day):
        if deadline.hour_ending is None:
            local = deadline.instant_utc.astimezone(calendar.timezone)
            deadlines.add_row(deadline.name, local.strftime("%Y-%m-%d %H:%M %Z"))
    console.print(deadlines)

    run_market_day(settings, day, summary.model_name)

    console.print(
        "log in as admin@iso.example (ISO), certification@iso.example, or e.g. "
        "uaa@desert.example / trader@desert.example (SC), with the demo password "
        "(GRIDMARKET_DEMO_PASSWORD, default in the README)"
    )
    if no_serve:
        return
    console.print(f"serving the UI at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    serve(host="127.0.0.1", port=port, workers=1)
