"""`gridmarket db ...`: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from gridmarket.config import get_settings
from gridmarket.db import migrate

db_app = typer.Typer(help="Database schema: migrations.", no_args_is_help=True)
console = Console()


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    url = get_settings().database_url
    migrate.upgrade(url, revision)
    revisions = ", ".join(sorted(migrate.current_revisions(url))) or "empty"
    console.print(f"database at revision [bold]{revisions}[/bold]")


@db_app.command("current")
def current() -> None:
    """Print the database's current revision."""
    revisions = migrate.current_revisions(get_settings().database_url)
    console.print(", ".join(sorted(revisions)) or "empty")
