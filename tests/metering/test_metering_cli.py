"""`gridmarket metering collect-iso` and `estimate` on a database of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import AccessWorld
from tests.metering.meter_world import PARAMETERS, TRADE_DATE, build_meter_world, publish_rtd
from tests.resource_helpers import committed, migrated
from typer.testing import CliRunner

from gridmarket.cli.main import app
from gridmarket.clock import FixedClock
from gridmarket.config import AccessRules, get_settings
from gridmarket.metering.queries import settlement_meter_values

runner = CliRunner()


@pytest.fixture
def cli_url(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", migrated(empty_database_url))
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


def test_collect_then_estimate_fills_the_day(cli_url: str, access_rules: AccessRules,
                                             access_clock: FixedClock) -> None:
    with committed(cli_url) as session:
        world = build_meter_world(session, AccessWorld(session, access_rules, access_clock))
        publish_rtd(session, TRADE_DATE, [world.gen, world.iso_gen], world.scid.code)
        scid, iso_gen = world.scid.code, world.iso_gen.resource_id
    collected = runner.invoke(app, ["metering", "collect-iso", "--date", TRADE_DATE.isoformat()])
    assert collected.exit_code == 0, collected.output
    assert "288 five-minute values" in collected.output
    estimated = runner.invoke(app, ["metering", "estimate", "--date", TRADE_DATE.isoformat(),
                                    "--deadline", "initial"])
    assert estimated.exit_code == 0, estimated.output
    with committed(cli_url) as session:
        frame = settlement_meter_values(session, TRADE_DATE, parameters=PARAMETERS, scid=scid)
    assert frame.height == 3 * 288
    assert frame.filter(resource_id=iso_gen)["source"].unique().to_list() == ["ISO"]
    wrong = runner.invoke(app, ["metering", "estimate", "--date", TRADE_DATE.isoformat(),
                                "--deadline", "later"])
    assert wrong.exit_code == 2
