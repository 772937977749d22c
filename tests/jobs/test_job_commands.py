"""`gridmarket worker`, `gridmarket scheduler` and `gridmarket jobs` from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gridmarket.cli.main import app
from gridmarket.config import get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.jobs.models import JobRecord, JobStatus

runner = CliRunner()
MONDAY_MORNING = "2020-11-02T16:00:00Z"  # 08:00 PST, an invoice date
DUE_THAT_MORNING = {"credit_daily 2020-11-02": JobStatus.DONE,
                    "sc_obligations_daily 2020-11-02": JobStatus.DONE,
                    "invoice_run 2020-11-02": JobStatus.DONE}


def _use(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", url)
    monkeypatch.setenv("GRIDMARKET_FIXED_CLOCK", MONDAY_MORNING)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    upgrade(url)
    yield from _use(url, monkeypatch)


@pytest.fixture
def postgres_cli(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from _use(postgres_url, monkeypatch)


def _records(url: str) -> dict[str, JobStatus]:
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return {f"{r.kind} {r.key}": r.status for r in session.scalars(select(JobRecord))}
    finally:
        engine.dispose()


def test_on_sqlite_a_scheduler_tick_does_the_due_jobs_itself(sqlite_cli: str) -> None:
    result = runner.invoke(app, ["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert _records(sqlite_cli) == DUE_THAT_MORNING
    listed = runner.invoke(app, ["jobs", "list"])
    assert "credit_daily" in listed.output and "0 invoices" in listed.output
    again = runner.invoke(app, ["jobs", "queue", "credit_daily", "2020-11-02"])
    assert again.exit_code == 0, again.output
    assert "credit_daily 2020-11-02: taken (DONE" in again.output
    assert runner.invoke(app, ["scheduler", "--once"]).exit_code == 0
    assert _records(sqlite_cli) == DUE_THAT_MORNING


def test_on_sqlite_there_is_no_worker(sqlite_cli: str) -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "workers need PostgreSQL" in result.output


def test_on_postgresql_the_scheduler_queues_and_workers_work(postgres_cli: str) -> None:
    assert runner.invoke(app, ["scheduler", "--once"]).exit_code == 0
    assert _records(postgres_cli) == {}  # queued, not done
    result = runner.invoke(app, ["worker", "--queues", "credit,settlement", "--until-empty"])
    assert result.exit_code == 0, result.output
    assert _records(postgres_cli) == {key: status for key, status in DUE_THAT_MORNING.items()
                                      if not key.startswith("sc_obligations")}
    result = runner.invoke(app, ["worker", "--queues", "obligations", "--concurrency", "2",
                                 "--until-empty"])
    assert result.exit_code == 0, result.output
    assert _records(postgres_cli) == DUE_THAT_MORNING
    refused = runner.invoke(app, ["worker", "--queues", "market,nowhere"])
    assert refused.exit_code == 2 and "unknown queue(s) nowhere" in refused.output


def test_a_job_named_wrongly_is_refused(sqlite_cli: str) -> None:
    result = runner.invoke(app, ["jobs", "queue", "rt_hour_close", "2020-11-01", "26"])
    assert result.exit_code == 2
    assert "needs the hour ending (1 to 25), not '26'" in result.output
    result = runner.invoke(app, ["jobs", "queue", "rt_run", "2020-11-01", "DAM"])
    assert result.exit_code == 2 and "needs the market (FMM or RTD)" in result.output
