"""The demo's market day on the command line: bids, DAM close and clearing, real time, summary."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

from rich.progress import Progress, TaskID
from rich.table import Table
from sqlalchemy import select

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import transaction
from gridmarket.cli.load_commands import console, progress_bar
from gridmarket.clock import FixedClock
from gridmarket.config import Settings
from gridmarket.demo.market_day import (
    collect_meter_data,
    submit_and_close,
    submit_real_time_and_close,
)
from gridmarket.demo.summary import RunSummary, summarise
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus
from gridmarket.markets.runs import published_run, run_day_ahead, run_real_time
from gridmarket.metering.estimation import estimate_missing
from gridmarket.metering.models import MeterDeadline
from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.settlement.invoicing import run_invoices
from gridmarket.settlement.service import run_settlement
from gridmarket.settlement.store import latest_statements

STATEMENT_HOUR = timedelta(hours=18)
"""Statements are published in the afternoon of their publication date (UTC)."""


def run_market_day(settings: Settings, day: date, model_name: str) -> None:
    """Bid, close, clear the DAM, run FMM and RTD through the day, print what happened."""
    began = time.perf_counter()
    parameters = settings.market_parameters()
    calendar = MarketCalendar(parameters)
    with progress_bar() as progress:
        task = progress.add_task("bids", total=None)
        report = submit_and_close(
            settings, day, model_name,
            on_bid_set=lambda scid, n: progress.update(
                task, advance=1, description=f"bids: {scid} submitted {n}"))
    _print_bidding(report.submitted, report.closed)
    clock = FixedClock(calendar.dam_close(day) + (calendar.dam_results(day)
                                                  - calendar.dam_close(day)) / 2)
    runs: list[MarketRun] = []
    with transaction() as session:
        dam = published_run(session, day, MarketKind.DAM)
        if dam is None:
            with console.status("DAM: IFM then RUC") as status:
                dam = run_day_ahead(session, day, parameters=parameters,
                                    data_dir=settings.data_dir, clock=clock,
                                    progress=lambda step: status.update(f"DAM: {step}"))
        runs.append(dam)
    if dam.status is not RunStatus.COMPLETED:
        console.print(f"[red]DAM run {dam.id} failed:[/red] {dam.failure_reason}")
        return
    real_time = submit_real_time_and_close(settings, day, model_name)
    console.print(f"real-time bids: {real_time.submitted}; hours closed: {real_time.closed}")
    for market in ("FMM", "RTD"):
        with transaction() as session:
            existing = published_run(session, day, MarketKind(market))
            if existing is None:
                with progress_bar() as progress:
                    task = progress.add_task(market, total=None)

                    def advance(done: int, total: int, task: TaskID = task,
                                bar: Progress = progress) -> None:
                        bar.update(task, completed=done, total=total)

                    existing = run_real_time(session, day, market, parameters=parameters,
                                             data_dir=settings.data_dir, clock=clock,
                                             progress=advance)
            runs.append(existing)
    with transaction() as session:
        for run in runs:
            _print_run(summarise(session, session.merge(run), calendar))
    metering = collect_meter_data(settings, day)
    console.print(f"meter data: the ISO collected {metering.iso_values:,} values; SQMD "
                  + ", ".join(f"{scid} {counts['accepted']:,} accepted, {counts['rejected']} "
                              "rejected" for scid, counts in sorted(metering.submitted.items())))
    _settle(settings, day)
    console.print(f"market day {day} done in {time.perf_counter() - began:.1f} s")


def _print_bidding(submitted: dict[str, dict[str, int]], closed: dict[str, object]) -> None:
    table = Table(title="Bids submitted through the API")
    for column in ("SCID", "bids by status"):
        table.add_column(column)
    for scid, statuses in sorted(submitted.items()):
        table.add_row(scid, ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    console.print(table)
    console.print(f"DAM closed: {closed.get('statuses')}, generated bids "
                  f"{closed.get('generated_bids')}, unmatched trades "
                  f"{closed.get('unmatched_trades')}")


def _print_run(summary: RunSummary) -> None:
    table = Table(title=f"{summary.market} run {summary.run_id} ({summary.status}): "
                        f"{summary.energy_mwh:,.0f} MWh, {summary.starts} start-ups"
                        + (f", {summary.carried_forward} intervals carried forward"
                           if summary.carried_forward else ""))
    for column in ("node", "mean LMP", "min", "max", "congestion", "losses"):
        table.add_column(column, justify="right" if column != "node" else "left")
    for prices in [*summary.aggregated, *summary.most_congested]:
        table.add_row(prices.node, f"{prices.mean_lmp:.2f}", f"{prices.min_lmp:.2f}",
                      f"{prices.max_lmp:.2f}", f"{prices.mean_congestion:.2f}",
                      f"{prices.mean_loss:.2f}")
    console.print(table)
    if summary.seconds:
        console.print("timings (s): " + ", ".join(f"{k} {v:.2f}"
                                                   for k, v in sorted(summary.seconds.items())))


def _settle(settings: Settings, day: date) -> None:
    """The initial statement of the day (on its T+9B publication date) for every account."""
    parameters = settings.market_parameters()
    calendar = MarketCalendar(parameters)
    initial = calendar.statement_schedule(day)[0]
    clock = FixedClock(calendar.trade_day_start_utc(initial.publication_date) + STATEMENT_HOUR)
    with transaction() as session:
        if not latest_statements(session, day):
            estimated = estimate_missing(session, day, MeterDeadline.INITIAL,
                                         parameters=parameters, clock=clock)
            # What neither the meters nor the estimates cover (the battery is not
            # dispatched in real time) settles at its expected energy, counted on the run.
            run = run_settlement(session, day, parameters=parameters, clock=clock,
                                 missing_meter="use_expected")
            console.print(f"meter values estimated at the T+5B deadline: "
                          f"{estimated.values_stored:,}; reads settled at expected energy: "
                          f"{run.missing_reads:,}")
        statements = latest_statements(session, day)
        table = Table(title=f"Settlement statements for {day} "
                            f"(published {initial.publication_date})")
        for column in ("account", "statement", "lines", "amount (+ pays, − is paid)"):
            table.add_column(column, justify="left" if column != "lines" else "right")
        for account, statement in sorted(statements.items()):
            table.add_row(account, f"{statement.kind} v{statement.version}",
                          str(statement.line_count), f"{statement.total_usd:,.2f}")
        total = sum((s.total_usd for s in statements.values()), Decimal(0))
        console.print(table)
        console.print(f"all accounts together: ${total:,.2f} (the market nets to zero)")
    _invoice(settings, initial.publication_date)


def _invoice(settings: Settings, published: date) -> None:
    """The weekly invoice run after the statement's publication, an invoice per SC."""
    parameters = settings.market_parameters()
    calendar = MarketCalendar(parameters)
    invoice_date = calendar.next_invoice_date(published)
    clock = FixedClock(calendar.trade_day_start_utc(invoice_date) + STATEMENT_HOUR)
    with transaction() as session:
        run = run_invoices(session, invoice_date, parameters=parameters, clock=clock)
        names = dict(session.execute(select(SchedulingCoordinator.id,
                                            SchedulingCoordinator.legal_name)).all())
        table = Table(title=f"Invoices of {invoice_date} (due "
                            f"{calendar.invoice_due_date(invoice_date)})")
        for column in ("scheduling coordinator", "invoice", "amount", "status"):
            table.add_column(column, justify="right" if column == "amount" else "left")
        for invoice in run.invoices:
            table.add_row(names.get(invoice.scheduling_coordinator_id, "?"), str(invoice.id),
                          f"{invoice.total_usd:,.2f}", invoice.status)
        console.print(table)
