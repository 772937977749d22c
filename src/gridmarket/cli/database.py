"""The command line's way into the database: one unit of work, errors as messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from gridmarket.access.errors import AccessError
from gridmarket.access.principal import Principal, load_principal
from gridmarket.access.service import find_person_by_email
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import SystemClock
from gridmarket.config import get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.errors import DomainError

errors = Console(stderr=True)


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work on the configured database; the engine is closed afterwards.

    A domain or access error rolls everything back, is printed without a
    traceback, and exits with status 1.
    """
    engine = make_engine(get_settings().database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    except DomainError as error:
        errors.print(f"[bold red]error:[/bold red] {error}")
        raise typer.Exit(code=1) from error
    except AccessError as error:
        errors.print(f"[bold red]refused:[/bold red] {error.detail}")
        raise typer.Exit(code=1) from error
    finally:
        engine.dispose()


def acting_person(session: Session, email: str) -> Principal:
    """The person named by ``--as EMAIL``, as a principal: commands act as someone."""
    return load_principal(session, find_person_by_email(session, email).id)


def trade_day_option(value: str | None, calendar: MarketCalendar) -> date:
    """A ``--date`` option: YYYY-MM-DD, or today's trade date in market time when omitted."""
    if value is None:
        return calendar.trade_date_of(SystemClock().now())
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        errors.print(f"[bold red]error:[/bold red] {value!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(code=2) from error
