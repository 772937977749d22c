"""The command line: migrations, the RTS-GMLC load, the demo, and clear errors."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gridmarket.cli.main import app
from gridmarket.config import get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import head_revisions
from gridmarket.markets.models import ForecastHorizon, ForecastKind, ForecastValue
from gridmarket.markets.run_models import MarketRun
from gridmarket.participants.models import Scid
from gridmarket.resources.models import Resource, ResourceAssignment
from gridmarket.settlement.store import latest_statements

runner = CliRunner()


@pytest.fixture
def cli_database_url(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI pointed at a new empty database, on each backend."""
    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


def test_db_upgrade_reports_the_revision(cli_database_url: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert all(revision in result.output for revision in head_revisions())


def test_demo_no_serve_certifies_eight_scs_and_assigns_every_resource(
    cli_database_url: str,
) -> None:
    result = runner.invoke(app, ["demo", "--date", "2020-07-15", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Desert Thermal Generation" in result.output
    with unit_of_work(make_session_factory(make_engine(cli_database_url))) as session:
        assert session.scalar(select(func.count()).select_from(Scid)) == 8
        unassigned = session.scalar(
            select(func.count())
            .select_from(Resource)
            .where(~Resource.id.in_(select(ResourceAssignment.resource_pk)))
        )
        assert unassigned == 0
        # The market day ran through the API and was settled, netting to zero.
        assert {run.market.value: run.status.value for run in session.scalars(
            select(MarketRun))} == {"DAM": "COMPLETED", "RUC": "COMPLETED",
                                    "FMM": "COMPLETED", "RTD": "COMPLETED"}
        statements = latest_statements(session, date(2020, 7, 15))
        assert {"DTGN", "MPPA", "CVGT", "ISO_FEES"} <= set(statements)
        assert sum(s.total_usd for s in statements.values()) == 0
    assert "all accounts together: $0.00" in result.output
    again = runner.invoke(app, ["demo", "--date", "2020-07-15", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
    with unit_of_work(make_session_factory(make_engine(cli_database_url))) as session:
        # Resubmitted bid sets replay their idempotency keys; nothing runs twice.
        assert session.scalar(select(func.count()).select_from(MarketRun)) == 4


def test_load_stores_forecasts_for_each_day_including_dst_days(cli_database_url: str) -> None:
    result = runner.invoke(app, ["load", "rts-gmlc", "--from", "2020-03-08", "--to", "2020-03-08"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["load", "rts-gmlc", "--from", "2020-11-01"])
    assert result.exit_code == 0, result.output
    with unit_of_work(make_session_factory(make_engine(cli_database_url))) as session:

        def area_1_values(horizon: ForecastHorizon) -> int:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(ForecastValue)
                    .where(
                        ForecastValue.horizon == horizon,
                        ForecastValue.kind == ForecastKind.AREA_LOAD,
                        ForecastValue.object_id == "1",
                    )
                )
                or 0
            )

        # 23 + 25 hourly values and 276 + 300 five-minute values.
        assert area_1_values(ForecastHorizon.DAY_AHEAD) == 48
        assert area_1_values(ForecastHorizon.REAL_TIME) == 576


def test_a_bad_date_is_a_clear_error_not_a_traceback(cli_database_url: str) -> None:
    result = runner.invoke(app, ["demo", "--date", "2020-02-30", "--no-serve"])
    assert result.exit_code == 2
    assert "--date '2020-02-30'" in result.output


def test_a_corrupt_source_file_is_named_and_nothing_is_loaded(
    cli_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    shutil.copytree(
        get_settings().data_dir / "rts-gmlc" / "SourceData", data / "rts-gmlc" / "SourceData"
    )
    branch_csv = data / "rts-gmlc" / "SourceData" / "branch.csv"
    branch_csv.write_text(
        branch_csv.read_text().replace("A1,101,102,0.003,0.014", "A1,101,102,0.003,x")
    )
    monkeypatch.setenv("GRIDMARKET_DATA_DIR", str(data))
    get_settings.cache_clear()
    result = runner.invoke(app, ["load", "rts-gmlc"])
    assert result.exit_code == 2
    assert "branch.csv row 2, column 'X'" in result.output
    with unit_of_work(make_session_factory(make_engine(cli_database_url))) as session:
        assert session.scalar(select(func.count()).select_from(Resource)) == 0


def test_sc_commands_show_the_registry_and_run_the_daily_job(cli_database_url: str) -> None:
    assert runner.invoke(app, ["demo", "--date", "2020-07-15", "--no-serve"]).exit_code == 0
    listed = runner.invoke(app, ["sc", "list"])
    assert (
        listed.exit_code == 0 and "Canyon Renewables" in listed.output and "CNRW" in listed.output
    )
    daily = runner.invoke(app, ["sc", "run-daily", "--date", "2020-07-15"])
    assert daily.exit_code == 0, daily.output
    assert "2020-07-15:" in daily.output
    again = runner.invoke(app, ["sc", "run-daily", "--date", "2020-07-15"])
    assert again.output.splitlines()[0] == daily.output.splitlines()[0]


def test_sc_commands_refuse_an_unknown_actor_clearly(cli_database_url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["sc", "accept", "1", "--as", "nobody@nowhere.example"])
    assert result.exit_code == 1
    assert "nobody@nowhere.example" in result.output


def test_demo_scs_have_credit_so_the_daily_credit_job_calls_no_collateral(
    cli_database_url: str,
) -> None:
    assert runner.invoke(app, ["demo", "--date", "2020-07-15", "--no-serve"]).exit_code == 0
    daily = runner.invoke(app, ["credit", "run-daily", "--date", "2020-07-15"])
    assert daily.exit_code == 0, daily.output
    assert "8 SC(s) computed" in daily.output
    assert "collateral calls issued: 0" in daily.output
