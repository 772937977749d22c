"""`gridmarket credit ...`: the daily credit job, and the credit analyst's tools.

``run-daily`` runs as the system. Commands that act for a person take
``--as EMAIL`` and go through the same access policy as the API.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from gridmarket.access.principal import Principal, load_principal
from gridmarket.access.service import find_person_by_email
from gridmarket.calendar import MarketCalendar
from gridmarket.cli.database import transaction
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.credit import daily, financial_security, overview, profiles
from gridmarket.credit.eal import describe
from gridmarket.credit.financial_security import SecurityForm
from gridmarket.credit.models import SecurityKind
from gridmarket.credit.money import usd
from gridmarket.credit.profiles import CreditProfileForm

credit_app = typer.Typer(
    help="Credit: the daily job, profiles, financial security, the monitor.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)

AS_OPTION = typer.Option(..., "--as", help="E-mail of the person acting.")


def _principal(session: Session, email: str) -> Principal:
    return load_principal(session, find_person_by_email(session, email).id)


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        errors.print(f"[bold red]error:[/bold red] {name} {value!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(code=2) from error


def _optional_date(value: str | None, name: str) -> date | None:
    return None if value is None else _date(value, name)


def _money(value: str, name: str) -> Decimal:
    try:
        return Decimal(value.replace(",", ""))
    except InvalidOperation as error:
        errors.print(f"[bold red]error:[/bold red] {name} {value!r} is not an amount of dollars")
        raise typer.Exit(code=2) from error


def _optional_money(value: str | None, name: str) -> Decimal | None:
    return None if value is None else _money(value, name)


@credit_app.command("run-daily")
def run_daily(
    on: str | None = typer.Option(None, "--date", help="Day (YYYY-MM-DD); default today."),
) -> None:
    """Recompute every SC's EAL and ACL; warn at 90%; issue and meet calls; suspend if unmet."""
    parameters = get_settings().market_parameters()
    clock = SystemClock()
    day = _optional_date(on, "--date") or MarketCalendar(parameters).trade_date_of(clock.now())
    with transaction() as session:
        report = daily.run_daily_credit(session, day, parameters, clock)
    console.print(f"credit for {day}: {report.computed} SC(s) computed")
    for title, lines in (
        ("utilisation warnings", report.warnings),
        ("collateral calls issued", report.calls_issued),
        ("collateral calls met", report.calls_met),
        ("suspended", report.suspended),
    ):
        console.print(f"{title}: {len(lines)}")
        for line in lines:
            console.print(f"  {line}")


@credit_app.command("monitor")
def monitor(email: str = AS_OPTION) -> None:
    """Every active SC's credit, open calls and highest utilisation first."""
    parameters = get_settings().market_parameters()
    with transaction() as session:
        rows = overview.credit_monitor(
            session, _principal(session, email), parameters, SystemClock()
        )
        table = Table(title="Credit monitor")
        for column in ("SC", "status", "UCL", "FS", "ACL", "EAL", "available", "use", "call due"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row.legal_name,
                row.status,
                usd(row.ucl_usd),
                usd(row.financial_security_usd),
                usd(row.acl_usd),
                usd(row.eal_usd),
                usd(row.available_credit_usd),
                f"{row.utilisation * 100:.1f}%" if row.utilisation is not None else "-",
                row.open_call.due_on.isoformat() if row.open_call else "-",
            )
    console.print(table)


@credit_app.command("show")
def show(
    coordinator_id: int = typer.Argument(..., help="Scheduling coordinator number."),
    email: str = AS_OPTION,
) -> None:
    """One SC's credit: UCL working, security, ACL, EAL with components, calls."""
    parameters = get_settings().market_parameters()
    with transaction() as session:
        view = overview.credit_overview(
            session, _principal(session, email), coordinator_id, parameters, SystemClock()
        )
        lines = [
            f"{view.coordinator.legal_name} ({view.coordinator.status.value}), as of {view.as_of}",
            f"UCL: {view.limit.ucl.explanation}",
            f"participation requirements: {view.limit.participation.explanation}",
            *(
                f"security {h.security.id}: {h.security.kind.value} {usd(h.security.amount_usd)} "
                f"{h.security.instrument_reference} "
                f"({'counts' if h.counts_today else 'does not count'} today)"
                for h in view.securities
            ),
            view.limit.formula,
            f"EAL now {usd(view.eal_usd)}; available credit {usd(view.available_credit_usd)}",
        ]
        if view.last_computation is not None:
            lines.append(f"last computation {view.last_computation.computed_at.isoformat()}:")
            lines.append(f"  {describe(view.last_computation)}")
            lines += [
                f"  {c.title}: {usd(c.amount_usd)} — {c.formula}"
                for c in view.last_computation.components
            ]
        if view.open_call is not None:
            call = view.open_call
            lines.append(
                f"OPEN COLLATERAL CALL of {call.issued_on}: "
                f"{usd(call.amount_usd)} due {call.due_on}"
            )
    for line in lines:
        console.print(line)


@credit_app.command("set-profile")
def set_profile(
    coordinator_id: int = typer.Argument(..., help="Scheduling coordinator number."),
    tangible_net_worth: str = typer.Option(..., "--tangible-net-worth", help="Dollars."),
    total_assets: str = typer.Option(..., "--total-assets", help="Dollars."),
    financials_as_of: str = typer.Option(..., "--financials-as-of", help="YYYY-MM-DD."),
    rating: str | None = typer.Option(None, "--rating", help="E.g. A, BBB-; omit if unrated."),
    affiliate_group: str | None = typer.Option(None, "--affiliate-group"),
    guarantor: str | None = typer.Option(None, "--guarantor", help="Parent guarantor's name."),
    guarantor_tnw: str | None = typer.Option(None, "--guarantor-tangible-net-worth"),
    guarantor_rating: str | None = typer.Option(None, "--guarantor-rating"),
    guarantee_expires: str | None = typer.Option(None, "--guarantee-expires"),
    email: str = AS_OPTION,
) -> None:
    """Record an SC's credit profile; the UCL of the SC and its affiliates is recomputed."""
    parameters = get_settings().market_parameters()
    form = CreditProfileForm(
        tangible_net_worth_usd=_money(tangible_net_worth, "--tangible-net-worth"),
        total_assets_usd=_money(total_assets, "--total-assets"),
        financials_as_of=_date(financials_as_of, "--financials-as-of"),
        rating=rating,
        affiliate_group=affiliate_group,
        guarantor_name=guarantor,
        guarantor_tangible_net_worth_usd=_optional_money(
            guarantor_tnw, "--guarantor-tangible-net-worth"
        ),
        guarantor_rating=guarantor_rating,
        guarantee_expires_on=_optional_date(guarantee_expires, "--guarantee-expires"),
    )
    with transaction() as session:
        actor = _principal(session, email)
        profiles.set_credit_profile(session, actor, coordinator_id, form, parameters, SystemClock())
        view = overview.credit_overview(session, actor, coordinator_id, parameters, SystemClock())
        explanation = view.limit.ucl.explanation
    console.print(f"profile recorded; UCL: {explanation}")


@credit_app.command("post-security")
def post_security(
    coordinator_id: int = typer.Argument(..., help="Scheduling coordinator number."),
    kind: SecurityKind = typer.Option(..., "--kind"),
    amount: str = typer.Option(..., "--amount", help="Dollars, exact to the cent."),
    reference: str = typer.Option(..., "--reference", help="LC number or deposit reference."),
    issuer: str | None = typer.Option(None, "--issuer", help="Issuing bank of an LC."),
    effective: str | None = typer.Option(None, "--effective", help="YYYY-MM-DD; default today."),
    expires: str | None = typer.Option(None, "--expires", help="LC expiry, YYYY-MM-DD."),
    email: str = AS_OPTION,
) -> None:
    """Record a letter of credit or cash deposit received for an SC."""
    parameters = get_settings().market_parameters()
    form = SecurityForm(
        kind=kind,
        amount_usd=_money(amount, "--amount"),
        instrument_reference=reference,
        issuer=issuer,
        effective_on=_optional_date(effective, "--effective"),
        expires_on=_optional_date(expires, "--expires"),
    )
    with transaction() as session:
        posted = financial_security.post_financial_security(
            session, _principal(session, email), coordinator_id, form, parameters, SystemClock()
        )
        line = f"security {posted.id}: {posted.kind.value} {usd(posted.amount_usd)} recorded"
    console.print(line)


@credit_app.command("release-security")
def release_security(
    coordinator_id: int = typer.Argument(..., help="Scheduling coordinator number."),
    security_id: int = typer.Argument(..., help="Financial security number."),
    reason: str = typer.Option(..., "--reason"),
    email: str = AS_OPTION,
) -> None:
    """Hand security back from today (refused while the SC's liability needs it)."""
    parameters = get_settings().market_parameters()
    with transaction() as session:
        released = financial_security.release_financial_security(
            session,
            _principal(session, email),
            coordinator_id,
            security_id,
            reason,
            parameters,
            SystemClock(),
        )
        line = f"security {released.id} released on {released.released_on}"
    console.print(line)
