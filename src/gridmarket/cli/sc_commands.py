"""`gridmarket sc ...`: scheduling coordinators, their applications and obligations."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import acting_person, trade_day_option, transaction
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.participants import applications, certification, lifecycle, obligations, standing
from gridmarket.participants.models import ScApplication, SchedulingCoordinator
from gridmarket.participants.notices import notices_for
from gridmarket.participants.queries import registry

sc_app = typer.Typer(
    help="Scheduling coordinators: registry, applications, obligations.", no_args_is_help=True
)
console = Console()
AS_OPTION = typer.Option(..., "--as", help="E-mail of the person acting.")


@sc_app.command("list")
def list_coordinators() -> None:
    """The SC registry: status, SCIDs and resources represented."""
    with transaction() as session:
        table = Table(title="Scheduling coordinators")
        for column in ("legal name", "status", "SCIDs", "resources"):
            table.add_column(column)
        for sc in registry(session):
            table.add_row(sc.legal_name, sc.status, ", ".join(sc.scids), str(sc.resources_assigned))
    console.print(table)


@sc_app.command("applications")
def list_applications() -> None:
    """Applications with their status and completeness-review due date."""
    with transaction() as session:
        table = Table(title="SC applications")
        for column in ("id", "legal name", "status", "received", "review due", "fee"):
            table.add_column(column)
        for application in session.scalars(select(ScApplication).order_by(ScApplication.id)):
            table.add_row(
                str(application.id),
                application.legal_name,
                application.scheduling_coordinator.status.value,
                application.received_at.date().isoformat(),
                application.completeness_due_on.isoformat(),
                "paid" if application.fee_paid_at else "due",
            )
    console.print(table)


@sc_app.command("history")
def history(coordinator_id: int) -> None:
    """Every status change of an SC: who, when and why."""
    with transaction() as session:
        coordinator = session.get(SchedulingCoordinator, coordinator_id)
        if coordinator is None:
            console.print(f"[red]error:[/red] no scheduling coordinator {coordinator_id}")
            raise typer.Exit(code=1)
        table = Table(title=coordinator.legal_name)
        for column in ("at (UTC)", "from", "to", "by person", "reason"):
            table.add_column(column)
        for step in lifecycle.history(session, coordinator):
            table.add_row(
                step.at.isoformat(timespec="seconds"),
                step.from_status.value if step.from_status else "",
                step.to_status.value,
                str(step.actor_id or "system"),
                step.reason,
            )
    console.print(table)


@sc_app.command("notices")
def notices(coordinator_id: int) -> None:
    """Notices to an SC, newest first."""
    with transaction() as session:
        for notice in notices_for(session, coordinator_id):
            console.print(
                f"[bold]{notice.created_at:%Y-%m-%d}[/bold] {notice.subject}\n  {notice.body}"
            )


@sc_app.command("run-daily")
def run_daily(
    on: str | None = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD); default today."),
) -> None:
    """The daily obligations job: notices, suspensions, lapsed applications (idempotent)."""
    parameters = get_settings().market_parameters()
    day = trade_day_option(on, MarketCalendar(parameters))
    with transaction() as session:
        report = obligations.run_daily_obligations(session, day, parameters, SystemClock())
    console.print(
        f"{day}: {len(report.notices)} notice(s), {len(report.suspended)} suspension(s), "
        f"{len(report.lapsed)} lapsed application(s)"
    )
    for line in [*report.notices, *report.suspended, *report.lapsed]:
        console.print(f"  {line}")


@sc_app.command("start-review")
def start_review(application_id: int, acting: str = AS_OPTION) -> None:
    """Start the completeness review of an application."""
    with transaction() as session:
        applications.start_review(
            session, acting_person(session, acting), application_id, SystemClock()
        )
    console.print(f"application {application_id}: under review")


@sc_app.command("accept")
def accept(application_id: int, acting: str = AS_OPTION) -> None:
    """Find an application complete (its fee must have been received)."""
    with transaction() as session:
        applications.accept_application(
            session, acting_person(session, acting), application_id, SystemClock()
        )
    console.print(f"application {application_id}: accepted")


@sc_app.command("incomplete")
def incomplete(
    application_id: int,
    reason: str = typer.Option(..., help="What is missing."),
    acting: str = AS_OPTION,
) -> None:
    """Find an application incomplete, saying what is missing."""
    with transaction() as session:
        applications.mark_incomplete(
            session, acting_person(session, acting), application_id, reason, SystemClock()
        )
    console.print(f"application {application_id}: incomplete ({reason})")


@sc_app.command("certify")
def certify(application_id: int, acting: str = AS_OPTION) -> None:
    """Certify an applicant whose checklist is complete; prints the SCID granted."""
    parameters = get_settings().market_parameters()
    with transaction() as session:
        scid = certification.certify(
            session, acting_person(session, acting), application_id, parameters, SystemClock()
        )
        code = scid.code
    console.print(f"application {application_id}: certified with SCID {code}")


@sc_app.command("reinstate")
def reinstate(coordinator_id: int, acting: str = AS_OPTION) -> None:
    """Reinstate a suspended SC once every suspension trigger is cured."""
    parameters = get_settings().market_parameters()
    today = MarketCalendar(parameters).trade_date_of(SystemClock().now())
    with transaction() as session:
        standing.reinstate(
            session,
            acting_person(session, acting),
            coordinator_id,
            today,
            parameters,
            SystemClock(),
        )
    console.print(f"scheduling coordinator {coordinator_id}: reinstated")


@sc_app.command("terminate")
def terminate(
    coordinator_id: int, reason: str = typer.Option(..., help="Why."), acting: str = AS_OPTION
) -> None:
    """Terminate an SC's agreement (no resource assigned, nothing owed)."""
    with transaction() as session:
        standing.terminate(
            session, acting_person(session, acting), coordinator_id, reason, SystemClock()
        )
    console.print(f"scheduling coordinator {coordinator_id}: terminated")
