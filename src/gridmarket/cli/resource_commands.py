"""`gridmarket transfers|master-file|certifications|loss-eligibility ...`.

Daily jobs (``transfers apply-due``, ``certifications notices``) run as the
system. Commands that act for a person take ``--as EMAIL``: they run with that
person's roles and SCIDs, through the same access policy as the API.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import acting_person, trade_day_option, transaction
from gridmarket.config import get_settings
from gridmarket.participants import loss_eligibility
from gridmarket.resources import certifications, master_file, transfer_documents, transfers
from gridmarket.resources.models import CertificationKind, Resource, TransferStatus
from gridmarket.resources.uploads import UploadedFile

transfers_app = typer.Typer(help="Resource transfers between SCIDs.", no_args_is_help=True)
master_file_app = typer.Typer(help="Master File maintenance and history.", no_args_is_help=True)
certifications_app = typer.Typer(
    help="Revenue meter and telemetry certification of resources.", no_args_is_help=True
)
loss_app = typer.Typer(help="Marginal-loss adjustment eligibility.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

AS_OPTION = typer.Option(..., "--as", help="E-mail of the person acting.")


def register_resource_commands(app: typer.Typer) -> None:
    """Add this module's command groups to the ``gridmarket`` command line."""
    app.add_typer(transfers_app, name="transfers")
    app.add_typer(master_file_app, name="master-file")
    app.add_typer(certifications_app, name="certifications")
    app.add_typer(loss_app, name="loss-eligibility")


def _calendar() -> MarketCalendar:
    return MarketCalendar(get_settings().market_parameters())


# --- transfers --------------------------------------------------------------------------


@transfers_app.command("apply-due")
def apply_due(
    on: str | None = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD); default today."),
) -> None:
    """Switch the assignments of approved transfers effective on or before the date."""
    calendar = _calendar()
    day = trade_day_option(on, calendar)
    with transaction() as session:
        done = transfers.apply_due_transfers(session, day)
        lines = [
            f"transfer {t.id}: {', '.join(i.resource.resource_id for i in t.items)} "
            f"now with SCID {t.to_scid.code} from {t.effective_date}"
            for t in done
        ]
    for line in lines:
        console.print(line)
    console.print(f"{len(lines)} transfer(s) applied for {day}")


@transfers_app.command("list")
def list_transfers(
    email: str = AS_OPTION,
    status: TransferStatus | None = typer.Option(None, "--status", help="Only this status."),
) -> None:
    """The transfers the person may see, newest first."""
    with transaction() as session:
        rows = [
            (
                str(t.id),
                t.kind.value,
                t.status.value,
                ", ".join(i.resource.resource_id for i in t.items),
                t.from_scid.code,
                t.to_scid.code,
                t.effective_date.isoformat(),
                ", ".join(s.value for s in transfers.missing_slots(t)) or "-",
            )
            for t in transfers.list_transfers(session, acting_person(session, email), status=status)
        ]
    table = Table(title="Resource transfers")
    for column in ("id", "kind", "status", "resources", "from", "to", "effective", "missing"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@transfers_app.command("letters")
def write_letters(
    transfer_id: int = typer.Argument(..., help="Transfer request number."),
    out: Path = typer.Option(Path("."), "--out", help="Folder to write the PDFs to."),
    email: str = AS_OPTION,
) -> None:
    """Generate the letters of empty slots, then write every document of the transfer."""
    with transaction() as session:
        actor = acting_person(session, email)
        attached = transfer_documents.generate_transfer_letters(
            session, actor, transfer_id, params=_calendar().params
        )
        files = [(a.document.filename, a.document.content) for a in attached]
    out.mkdir(parents=True, exist_ok=True)
    for filename, content in files:
        (out / filename).write_bytes(content)
        console.print(f"wrote {out / filename}")


@transfers_app.command("approve")
def approve(transfer_id: int = typer.Argument(...), email: str = AS_OPTION) -> None:
    """The ISO approves a transfer whose documents are complete."""
    with transaction() as session:
        transfer = transfers.approve_transfer(
            session, acting_person(session, email), transfer_id, calendar=_calendar()
        )
        effective = transfer.effective_date
    console.print(f"transfer {transfer_id} approved, effective {effective}")


@transfers_app.command("reject")
def reject(
    transfer_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    email: str = AS_OPTION,
) -> None:
    """The ISO rejects a transfer, with its reason."""
    with transaction() as session:
        transfers.reject_transfer(session, acting_person(session, email), transfer_id, reason)
    console.print(f"transfer {transfer_id} rejected")


# --- Master File ------------------------------------------------------------------------


@master_file_app.command("set")
def set_fields(
    resource_id: str = typer.Argument(..., help="Master File resource ID."),
    assignments: list[str] = typer.Argument(..., help="FIELD=VALUE pairs, e.g. p_max_mw=22."),
    effective: str = typer.Option(..., "--effective", help="Effective date (YYYY-MM-DD)."),
    reason: str = typer.Option(..., "--reason"),
    email: str = AS_OPTION,
) -> None:
    """Change Master File fields of a resource; each change is kept in its history."""
    changes: dict[str, str] = {}
    for assignment in assignments:
        field, separator, value = assignment.partition("=")
        if not separator:
            errors.print(f"[bold red]error:[/bold red] {assignment!r} is not FIELD=VALUE")
            raise typer.Exit(code=2)
        changes[field.strip()] = value
    effective_from = trade_day_option(effective, _calendar())
    with transaction() as session:
        rows = master_file.update_resource(
            session, acting_person(session, email), resource_id, changes, effective_from, reason
        )
        lines = [f"{r.field}: {r.old_value} -> {r.new_value}" for r in rows]
    for line in lines or ["nothing changed"]:
        console.print(line)


@master_file_app.command("history")
def history(resource_id: str = typer.Argument(..., help="Master File resource ID.")) -> None:
    """The Master File change history and SCID assignments of a resource."""
    with transaction() as session:
        changes = master_file.resource_history(session, resource_id)
        table = Table(title=f"{resource_id}: Master File changes")
        for column in ("effective", "field", "old", "new", "reason", "changed at (UTC)"):
            table.add_column(column)
        for c in changes:
            table.add_row(
                c.effective_from.isoformat(),
                c.field,
                c.old_value or "",
                c.new_value or "",
                c.reason,
                c.changed_at.isoformat(timespec="seconds"),
            )
        assignments = Table(title=f"{resource_id}: SCID assignments")
        for column in ("SCID", "from (UTC)", "to (UTC)"):
            assignments.add_column(column)
        for a in transfers.assignment_history(session, resource_id):
            assignments.add_row(
                a.scid.code,
                a.effective_from_utc.isoformat(),
                a.effective_to_utc.isoformat() if a.effective_to_utc else "open",
            )
    console.print(table)
    console.print(assignments)


# --- certifications ------------------------------------------------------------------------


@certifications_app.command("notices")
def notices(
    on: str | None = typer.Option(None, "--date", help="Today's date (YYYY-MM-DD); default today."),
) -> None:
    """Notify SCs of certifications expiring within the warning period or expired (once each)."""
    calendar = _calendar()
    day = trade_day_option(on, calendar)
    with transaction() as session:
        raised = certifications.raise_certification_notices(session, day, calendar=calendar)
        subjects = [notice.subject for notice in raised]
    for subject in subjects:
        console.print(subject)
    console.print(f"{len(subjects)} notice(s) raised for {day}")


@certifications_app.command("missing")
def missing(
    on: str | None = typer.Option(None, "--date", help="Trade date (YYYY-MM-DD); default today."),
) -> None:
    """Resources that lack a required certification on the date (their bids are invalid)."""
    calendar = _calendar()
    day = trade_day_option(on, calendar)
    with transaction() as session:
        reasons = [
            reason
            for resource in session.scalars(select(Resource).order_by(Resource.resource_id))
            for reason in certifications.bid_eligibility(
                session, resource, day, params=calendar.params
            )
        ]
    for reason in reasons:
        console.print(reason)
    console.print(f"{len(reasons)} missing certification(s) on {day}")


@certifications_app.command("record")
def record(
    resource_id: str = typer.Argument(...),
    kind: CertificationKind = typer.Argument(...),
    certified_on: str = typer.Option(..., "--certified-on"),
    expires_on: str | None = typer.Option(
        None, "--expires-on", help="Default: the configured validity."
    ),
    evidence: Path | None = typer.Option(None, "--evidence", help="PDF evidence.", exists=True),
    email: str = AS_OPTION,
) -> None:
    """Record a revenue meter or telemetry certification."""
    calendar = _calendar()
    upload = UploadedFile(evidence.name, evidence.read_bytes()) if evidence else None
    with transaction() as session:
        certification = certifications.record_certification(
            session,
            acting_person(session, email),
            resource_id,
            kind,
            trade_day_option(certified_on, calendar),
            trade_day_option(expires_on, calendar) if expires_on else None,
            evidence=upload,
            params=calendar.params,
        )
        until = certification.expires_on
    console.print(f"{resource_id}: {kind.value} certified until {until}")


# --- marginal-loss adjustment eligibility ---------------------------------------------------


@loss_app.command("eligible")
def eligible(scid: str = typer.Argument(...), on: str = typer.Argument(...)) -> None:
    """The resources and contracts of SCID eligible for the adjustment on a trade date."""
    day = trade_day_option(on, _calendar())
    with transaction() as session:
        labels = loss_eligibility.eligible_on(session, scid, day)
    for label in labels:
        console.print(label)
    console.print(f"{len(labels)} eligible for {scid} on {day}")


@loss_app.command("approve")
def approve_loss(
    application_id: int = typer.Argument(...),
    effective_on: str = typer.Option(..., "--effective"),
    expires_on: str = typer.Option(..., "--expires"),
    email: str = AS_OPTION,
) -> None:
    """The ISO approves an application for a window of trade dates (expiry excluded)."""
    calendar = _calendar()
    with transaction() as session:
        loss_eligibility.approve_loss_eligibility(
            session,
            acting_person(session, email),
            application_id,
            effective_on=trade_day_option(effective_on, calendar),
            expires_on=trade_day_option(expires_on, calendar),
        )
    console.print(f"application {application_id} approved")


@loss_app.command("reject")
def reject_loss(
    application_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    email: str = AS_OPTION,
) -> None:
    """The ISO rejects an application, with its reason."""
    with transaction() as session:
        loss_eligibility.reject_loss_eligibility(
            session, acting_person(session, email), application_id, reason
        )
    console.print(f"application {application_id} rejected")
