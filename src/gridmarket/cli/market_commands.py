"""`gridmarket market ...`: run the DAM and real time, list runs, replay a run.

Example::

    gridmarket market run-dam --date 2020-07-15
    gridmarket market run-rt --date 2020-07-15 --market RTD
    gridmarket market replay 42
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import trade_day_option, transaction
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.markets.replay import replay_run
from gridmarket.markets.run_models import MarketRun, RunStatus
from gridmarket.markets.runs import rerun_market_run, run_day_ahead, run_real_time

market_app = typer.Typer(help="Market runs: DAM, real time, replay.", no_args_is_help=True)
console = Console()

STATUS_STYLE = {RunStatus.COMPLETED: "green", RunStatus.FAILED: "red",
                RunStatus.CANCELLED: "yellow", RunStatus.RUNNING: "cyan"}


def _show(run: MarketRun) -> None:
    style = STATUS_STYLE[run.status]
    console.print(f"{run.market.value} run [bold]{run.id}[/bold] for {run.trade_date}: "
                  f"[{style}]{run.status.value}[/{style}]")
    if run.failure_reason:
        console.print(f"  reason: {run.failure_reason}")
    console.print(f"  timings: {run.timings_json}")


@market_app.command("run-dam")
def run_dam(date: str = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD).")) -> None:
    """Run the DAM (IFM, RUC) of a trade date from its clean bids and publish the results."""
    settings = get_settings()
    parameters = settings.market_parameters()
    trade_date = trade_day_option(date, MarketCalendar(parameters))
    with transaction() as session:
        run = run_day_ahead(session, trade_date, parameters=parameters,
                            data_dir=settings.data_dir, clock=SystemClock(),
                            progress=lambda message: console.print(f"  {message}"))
        _show(run)


@market_app.command("rerun")
def rerun(run_id: int) -> None:
    """Re-run a failed DAM run (after the rerun deadline the DAM is cancelled instead)."""
    settings = get_settings()
    with transaction() as session:
        run = rerun_market_run(session, run_id, parameters=settings.market_parameters(),
                               data_dir=settings.data_dir, clock=SystemClock())
        _show(run)


@market_app.command("run-rt")
def run_rt(
    date: str = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD)."),
    market: str = typer.Option("RTD", "--market", help="FMM or RTD."),
) -> None:
    """Dispatch every FMM or RTD interval of a trade date from the published DAM."""
    settings = get_settings()
    parameters = settings.market_parameters()
    trade_date = trade_day_option(date, MarketCalendar(parameters))
    with transaction() as session, Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    ) as bar:
        task = bar.add_task(f"{market.upper()} {trade_date}", total=None)
        run = run_real_time(
            session, trade_date, market.upper(), parameters=parameters,
            data_dir=settings.data_dir, clock=SystemClock(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
        bar.stop()
        _show(run)
        if run.carried_forward_json != "[]":
            console.print(f"  [yellow]carried forward:[/yellow] {run.carried_forward_json}")


@market_app.command("runs")
def runs(limit: int = typer.Option(20, help="How many of the latest runs.")) -> None:
    """List the latest market runs."""
    with transaction() as session:
        rows = session.scalars(select(MarketRun).order_by(MarketRun.id.desc()).limit(limit))
        table = Table("id", "market", "trade date", "status", "started (UTC)", "reason")
        for run in rows:
            style = STATUS_STYLE[run.status]
            table.add_row(str(run.id), run.market.value, str(run.trade_date),
                          f"[{style}]{run.status.value}[/{style}]",
                          run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                          (run.failure_reason or "")[:60])
        console.print(table)


@market_app.command("replay")
def replay(run_id: int) -> None:
    """Solve a run's stored input again and compare with its published results."""
    with transaction() as session:
        report = replay_run(session, run_id)
    if report.identical:
        console.print(f"run {run_id} ({report.market}): [bold green]identical[/bold green] "
                      f"({report.rows_compared} rows, digest {report.recorded_digest[:16]})")
        return
    console.print(f"run {run_id} ({report.market}): [bold red]different[/bold red]")
    console.print(f"  input intact: {report.input_intact}")
    console.print(f"  recorded digest {report.recorded_digest[:16]}, replay "
                  f"{report.replay_digest[:16]}, stored rows {report.stored_digest[:16]}")
    for line in report.differences:
        console.print(f"  {line}", markup=False)
    raise typer.Exit(code=1)
