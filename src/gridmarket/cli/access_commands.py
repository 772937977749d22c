"""`gridmarket audit ...` and `gridmarket users ...`: the audit chain and first-start accounts."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from gridmarket.access.audit import verify_audit_chain
from gridmarket.access.errors import AccessError
from gridmarket.access.service import bootstrap_iso_admin, find_person_by_email
from gridmarket.access.tokens import create_api_token
from gridmarket.cli.database import transaction
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings

audit_app = typer.Typer(help="The audit log: verify its hash chain.", no_args_is_help=True)
users_app = typer.Typer(
    help="People: the first ISO administrator, API tokens.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)


@audit_app.command("verify")
def verify() -> None:
    """Check that no audit entry was edited, deleted or reordered; name the first that was."""
    with transaction() as session:
        result = verify_audit_chain(session)
    if result.intact:
        console.print(result.message())
        return
    errors.print(f"[bold red]{result.message()}[/bold red]")
    raise typer.Exit(code=1)


@users_app.command("create-iso-admin")
def create_iso_admin(
    email: str = typer.Argument(..., help="E-mail address of the new ISO administrator."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of standard input."
    ),
    name: str = typer.Option("ISO administrator", "--name", help="Display name."),
) -> None:
    """Create an ISO administrator (first start); the password is prompted for unless piped."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    rules = get_settings().market_parameters().access
    try:
        with transaction() as session:
            person = bootstrap_iso_admin(
                session, email, password, rules=rules, display_name=name, clock=SystemClock()
            )
            created = person.email
    except AccessError as error:
        errors.print(f"[bold red]{error.detail}[/bold red]")
        raise typer.Exit(code=1) from error
    console.print(f"ISO administrator [bold]{created}[/bold] created")


@users_app.command("token")
def token(
    email: str = typer.Argument(..., help="Whose token: the person's e-mail address."),
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. 'bidding bot'."),
    days: int = typer.Option(90, "--days", help="Days until it expires (at most a year)."),
) -> None:
    """Create an API token for a person and print it. It is shown this once only."""
    rules = get_settings().market_parameters().access
    try:
        with transaction() as session:
            person = find_person_by_email(session, email)
            issued = create_api_token(
                session,
                person.id,
                name=name,
                lifetime_days=days,
                rules=rules,
                clock=SystemClock(),
                actor=None,
            )
            secret, expires_at = issued.secret, issued.token.expires_at
    except AccessError as error:
        errors.print(f"[bold red]{error.detail}[/bold red]")
        raise typer.Exit(code=1) from error
    errors.print(
        f"token for {email}, expires {expires_at.isoformat()}; it will not be shown again:"
    )
    typer.echo(secret)
