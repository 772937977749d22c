"""The public price map: buses coloured by LMP or by its congestion part, for any interval of
DAM, FMM or RTD, binding branches marked with their shadow price, and the system load chart.

Each test publishes its own runs on its own trade dates (the session's databases are shared).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from gridmarket.api.app import create_app
from gridmarket.calendar import MarketCalendar, MarketName
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.markets.models import ForecastHorizon, ForecastKind, ForecastValue
from gridmarket.markets.parameters import record_parameters
from gridmarket.markets.run_models import (
    MarketAward,
    MarketBindingBranch,
    MarketKind,
    MarketPrice,
    MarketRun,
    RunStatus,
)
from gridmarket.network.models import Branch, NetworkModel
from gridmarket.resources.queries import list_pricing_nodes

CAL = MarketCalendar()
NOW = datetime(2019, 6, 1, tzinfo=UTC)
NAMES: dict[MarketKind, MarketName] = {
    MarketKind.DAM: "DAM", MarketKind.FMM: "FMM", MarketKind.RTD: "RTD"}
LOW, ZERO, HIGH = "#0b5cad", "#7d7d7d", "#b5470b"
INTERVALS = 30
"""Intervals published per test run (enough to choose one, few enough to stay quick)."""


@pytest.fixture
def client(database_url: str, rts_loaded: Engine) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url))
    app.state.clock = FixedClock(NOW)
    with TestClient(app) as test_client:
        yield test_client


def _first_branch(session: Session) -> Branch:
    model_id = session.scalar(select(NetworkModel.id).order_by(NetworkModel.id))
    branch = session.scalars(select(Branch).where(Branch.network_model_id == model_id)
                             .order_by(Branch.uid)).first()
    assert branch is not None
    return branch


def _congestion(position: int) -> Decimal:
    """The first bus is congested down, the second up, every other bus not at all."""
    return {0: Decimal("-8"), 1: Decimal("6")}.get(position, Decimal("0"))


def _publish(engine: Engine, market: MarketKind, day: date, binding_at: int) -> tuple[
        list[str], str]:
    """A completed run with prices at every bus and one branch binding at ``binding_at``.

    Returns the bus names (by bus number) and the binding branch's id.
    """
    with unit_of_work(make_session_factory(engine)) as session:
        run = MarketRun(market=market, trade_date=day, status=RunStatus.COMPLETED,
                        started_at=NOW, finished_at=NOW,
                        parameter_set_id=record_parameters(session, MarketParameters()).id)
        session.add(run)
        session.flush()
        nodes = [n.name for n in list_pricing_nodes(session) if n.latitude is not None]
        rows = []
        for interval in CAL.intervals(day, NAMES[market])[:INTERVALS]:
            for position, node in enumerate(nodes):
                energy = Decimal("30") + interval.index
                congestion = _congestion(position)
                rows.append({"run_id": run.id, "node": node,
                             "interval_start_utc": interval.start_utc,
                             "lmp_usd_per_mwh": energy + congestion,
                             "energy_usd_per_mwh": energy, "congestion_usd_per_mwh": congestion,
                             "loss_usd_per_mwh": Decimal("0")})
        session.execute(insert(MarketPrice), rows)
        branch = _first_branch(session)
        session.add(MarketBindingBranch(
            run_id=run.id, branch=branch.uid,
            interval_start_utc=CAL.intervals(day, NAMES[market])[binding_at].start_utc,
            flow_mw=Decimal("-175"), limit_mw=Decimal("175"),
            shadow_price_usd_per_mwh=Decimal("12.5")))
        return nodes, branch.uid


def _fill(page: str, node: str) -> str:
    match = re.search(r'fill="(#[0-9a-f]{6})" class="bus"><title>' + re.escape(node) + ":", page)
    assert match, node
    return match.group(1)


@pytest.mark.parametrize(("market", "day"), [
    (MarketKind.DAM, date(2019, 5, 1)), (MarketKind.FMM, date(2019, 5, 2)),
    (MarketKind.RTD, date(2019, 5, 3))])
def test_buses_are_coloured_by_congestion_and_binding_branches_marked(
    client: TestClient, engine: Engine, market: MarketKind, day: date
) -> None:
    nodes, branch = _publish(engine, market, day, binding_at=7)
    label = CAL.intervals(day, NAMES[market])[7].label
    page = client.get("/prices", params={"trade_date": day.isoformat(), "market": market.value,
                                         "interval": "7", "colour": "mcc"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"Price map at {label}, buses coloured by congestion part (MCC)" in text
    assert (_fill(text, nodes[0]), _fill(text, nodes[1]), _fill(text, nodes[2])) == (
        LOW, "#a75428", ZERO)  # -8 is the widest: +6 is three quarters of the way to orange
    assert "-$8.00/MWh (most negative congestion part (MCC))" in text
    assert "$0.00/MWh (no congestion)" in text
    title = (f"{branch}: binding, flow -175.0 MW of a 175.0 MW limit, "
             "shadow price $12.50/MWh")
    assert re.search(r'class="link link--(ac|transformer) link--binding" data-binding="'
                     + re.escape(branch) + r'"><title>' + re.escape(title), text)
    assert text.count("data-binding=") == 1
    table = text[text.index('id="binding-branches"'):]
    assert f"<td>{branch}</td>" in table and '<td class="num">12.50</td>' in table
    quiet = client.get("/prices", params={"trade_date": day.isoformat(), "market": market.value,
                                          "interval": "8", "colour": "mcc"})
    assert "data-binding=" not in quiet.text
    assert "No branch was at its limit" in quiet.text


def test_buses_are_coloured_by_lmp_from_lowest_to_highest(
    client: TestClient, engine: Engine
) -> None:
    day = date(2019, 5, 4)
    nodes, _ = _publish(engine, MarketKind.DAM, day, binding_at=0)
    page = html.unescape(client.get("/prices", params={
        "trade_date": day.isoformat(), "interval": "2", "colour": "lmp"}).text)
    assert "buses coloured by LMP" in page
    assert (_fill(page, nodes[0]), _fill(page, nodes[1])) == (LOW, HIGH)  # $24 and $38
    assert "$24.00/MWh (lowest LMP)" in page and "$38.00/MWh (highest LMP)" in page
    assert "(no congestion)" not in page


def test_an_unknown_colouring_is_a_clear_400_page(client: TestClient) -> None:
    page = client.get("/prices", params={"colour": "heat"})
    assert page.status_code == 400
    assert "colour" in page.text


def test_the_system_load_chart_sets_day_ahead_against_real_time(
    client: TestClient, engine: Engine
) -> None:
    day = date(2019, 5, 5)
    _publish(engine, MarketKind.DAM, day, binding_at=0)
    hours = CAL.intervals(day, "DAM")
    with unit_of_work(make_session_factory(engine)) as session:
        model_id = session.scalar(select(NetworkModel.id).order_by(NetworkModel.id))
        run_id = session.scalar(select(MarketRun.id).where(MarketRun.trade_date == day))
        rows = []
        for area in ("1", "2", "3"):
            for hour in hours:
                rows.append({"network_model_id": model_id, "horizon": ForecastHorizon.DAY_AHEAD,
                             "kind": ForecastKind.AREA_LOAD, "object_id": area,
                             "interval_start_utc": hour.start_utc, "interval_minutes": 60,
                             "value_mw": 1000.0 + hour.index})
                for five in CAL.intervals(day, "RTD")[hour.index * 12:(hour.index + 1) * 12]:
                    rows.append({"network_model_id": model_id,
                                 "horizon": ForecastHorizon.REAL_TIME,
                                 "kind": ForecastKind.AREA_LOAD, "object_id": area,
                                 "interval_start_utc": five.start_utc, "interval_minutes": 5,
                                 "value_mw": 1010.0 + hour.index + (five.interval_in_hour - 6.5)})
                session.add(MarketAward(
                    run_id=run_id, resource_id=f"LOAD_AREA{area}", scid=None,
                    interval_start_utc=hour.start_utc, energy_mw=Decimal("-990"),
                    reg_up_mw=0, reg_down_mw=0, spin_mw=0, non_spin_mw=0, committed=True,
                    started=False))
        session.execute(insert(ForecastValue), rows)
    page = client.get("/prices", params={"trade_date": day.isoformat()})
    section = html.unescape(page.text[page.text.index('id="load-heading"'):])
    assert len(re.findall(r'<path d="M[^"]+" class="line series-', section)) == 3
    for name in ("Day-ahead forecast (MW)", "DAM cleared load (MW)",
                 "Real-time forecast (hourly mean) (MW)"):
        assert f'<th scope="col" class="num">{name}</th>' in section
    # HE3: 3 × 1002 forecast, 3 × 990 cleared, 3 × 1012 real time (the mean of 12 values).
    assert ('<tr><td>HE03</td><td class="num">3,006.0</td><td class="num">2,970.0</td>'
            '<td class="num">3,036.0</td></tr>') in section
