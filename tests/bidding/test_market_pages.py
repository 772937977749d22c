"""Market pages: an SC's bids raw and clean, public prices with a price map, the run list."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.bidding.bid_world import (
    CALENDAR,
    BidWorld,
    bid_set,
    energy_bid,
)
from tests.web_helpers import log_in, nav_labels, refusals, text_of

from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.markets.parameters import record_parameters
from gridmarket.markets.run_models import (
    MarketAward,
    MarketKind,
    MarketPrice,
    MarketRun,
    RunStatus,
)
from gridmarket.resources.models import AggregatedNode, Resource

PRICE_DAY = date(2020, 9, 1)
AWARD_DAY = date(2019, 9, 10)
"""A day no other test runs a DAM for: the test database is shared by the whole session."""


def test_an_sc_sees_its_bids_raw_and_clean_and_not_another_scs(
    client: TestClient, world: BidWorld
) -> None:
    submitted = client.post("/api/v1/bids", headers=world.trader, json=bid_set(
        world.scid, energy_bid(world.unit, range(1, 3), segments=[("30", "20"), ("50", "1500")])))
    bid_id = submitted.json()["bids"][0]["bid_id"]
    log_in(client, world.emails["trader"])
    listing = client.get("/bids", params={"scid": world.scid, "trade_date": "2020-07-15"})
    assert listing.status_code == 200 and f'href="/bids/{bid_id}"' in listing.text
    assert "Conditionally modified" in listing.text and "PRICE_CAPPED_AT_SOFT_CAP" in listing.text
    page = client.get(f"/bids/{bid_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert '"price": "1500"' in text and '"price": "1000"' in text  # raw, clean
    assert page.text.count('class="curve"') == 2
    assert "Day-ahead award of" in page.text  # the bid leads to its result
    client.cookies.clear()
    log_in(client, world.emails["other_trader"])
    assert client.get(f"/bids/{bid_id}").status_code == 404
    assert client.get("/bids", params={"scid": world.scid,
                                       "trade_date": "2020-07-15"}).status_code == 404


def _published_prices(engine: Engine) -> int:
    start = datetime(2020, 9, 1, 7, tzinfo=UTC)
    with unit_of_work(make_session_factory(engine)) as session:
        run = MarketRun(market=MarketKind.DAM, trade_date=PRICE_DAY, status=RunStatus.COMPLETED,
                        started_at=start, finished_at=start,
                        parameter_set_id=record_parameters(session, MarketParameters()).id)
        session.add(run)
        session.flush()
        for hour in range(24):
            for node, energy in (("DLAP_AREA1-APND", 20), ("DLAP_AREA2-APND", 30)):
                session.add(MarketPrice(
                    run_id=run.id, node=node, interval_start_utc=start + timedelta(hours=hour),
                    lmp_usd_per_mwh=Decimal(energy + hour) + Decimal("1.5"),
                    energy_usd_per_mwh=Decimal(energy + hour), congestion_usd_per_mwh=Decimal("1"),
                    loss_usd_per_mwh=Decimal("0.5")))
        return run.id


def test_prices_are_public_and_drawn_per_load_aggregation_point(
    client: TestClient, engine: Engine
) -> None:
    empty = client.get("/prices", params={"trade_date": "2020-09-02"})
    assert empty.status_code == 200 and "No published DAM prices" in empty.text
    _published_prices(engine)
    page = client.get("/prices", params={"trade_date": PRICE_DAY.isoformat()})
    assert page.status_code == 200
    assert len(re.findall(r'<path d="M[^"]+" class="line series-', page.text)) == 2  # per DLAP
    assert "DLAP_AREA2-APND" in page.text and "<td>HE24</td>" in page.text
    assert '<td class="num">54.50</td>' in page.text  # area 2, HE24: 30 + 23 + 1 + 0.5


def test_the_run_list_is_for_everyone_logged_in_and_details_for_the_iso(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    run_id = _published_prices(engine)
    log_in(client, world.emails["trader"])
    assert f"<td>{run_id}</td>" in client.get("/market-runs").text
    assert client.get(f"/market-runs/{run_id}").status_code == 403
    client.cookies.clear()
    log_in(client, world.emails["operator"])
    details = client.get(f"/market-runs/{run_id}")
    assert details.status_code == 200 and "gridmarket market replay" in details.text


def _published_awards(engine: Engine, world: BidWorld) -> int:
    """A DAM run awarding the SC's unit 30 MW in HE1-HE12 and the other SC's unit 40 MW."""
    start = CALENDAR.trade_day_start_utc(AWARD_DAY)
    with unit_of_work(make_session_factory(engine)) as session:
        unit = session.scalars(select(Resource).where(Resource.resource_id == world.unit)).one()
        unit.aggregated_node_id = session.scalars(
            select(AggregatedNode.id).where(AggregatedNode.name == world.node)).one()
        run = MarketRun(market=MarketKind.DAM, trade_date=AWARD_DAY,
                        status=RunStatus.COMPLETED, started_at=start, finished_at=start,
                        parameter_set_id=record_parameters(session, MarketParameters()).id)
        session.add(run)
        session.flush()
        for hour in range(24):
            instant = start + timedelta(hours=hour)
            for resource, scid, mw in ((world.unit, world.scid, 30 if hour < 12 else 0),
                                       (world.other_unit, world.other_scid, 40)):
                session.add(MarketAward(
                    run_id=run.id, resource_id=resource, scid=scid, interval_start_utc=instant,
                    energy_mw=Decimal(mw), reg_up_mw=Decimal("5") if mw else Decimal(0),
                    reg_down_mw=Decimal(0), spin_mw=Decimal(0), non_spin_mw=Decimal(0),
                    committed=bool(mw), started=hour == 0))
            session.add(MarketPrice(
                run_id=run.id, node=world.node, interval_start_utc=instant,
                lmp_usd_per_mwh=Decimal(20 + hour), energy_usd_per_mwh=Decimal(20 + hour),
                congestion_usd_per_mwh=Decimal(0), loss_usd_per_mwh=Decimal(0)))
        return run.id


def test_an_sc_sees_its_day_ahead_awards_at_their_price_and_not_another_scs(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    day = {"trade_date": AWARD_DAY.isoformat()}
    client.app.state.clock.set(  # type: ignore[attr-defined]
        CALENDAR.dam_close(AWARD_DAY) - timedelta(hours=2))
    log_in(client, world.emails["trader"])
    assert "Awards" in nav_labels(client.get("/").text)
    before = client.get("/awards", params={"scid": world.scid, **day})
    assert before.status_code == 200
    assert "has not published yet" in text_of(before.text)
    # The clock is the morning before the trade date: the page opens on today until
    # tomorrow's DAM publishes, then on tomorrow.
    assert "market for Mon 09 Sep 2019 has not published" in text_of(client.get("/awards").text)
    run_id = _published_awards(engine, world)
    assert "awarded" in text_of(client.get("/awards").text)
    assert "for Tue 10 Sep 2019" in text_of(client.get("/awards").text)

    page = text_of(client.get("/awards", params={"scid": world.scid, **day}).text)
    assert f"run {run_id}" in page
    # 30 MW for 12 hours at $20..$31: 360 MWh worth 30 × (20 + ... + 31) = $9,180.00.
    assert f"{world.unit} {world.node} 360.000 12 $9,180.00" in page
    assert "HE1 30.000 20.00 $600.00 5.000 0.000 0.000 0.000 yes" in page
    assert "HE13 0.000 32.00 $0.00 0.000 0.000 0.000 0.000 no" in page
    charts = client.get("/awards", params={"scid": world.scid, **day}).text
    assert f'id="award-chart-title">Energy award of {world.unit}<' in charts
    assert 'id="price-chart-title">Day-ahead LMP at ' in charts
    assert world.other_unit not in page

    audited = refusals(engine)
    assert client.get("/awards", params={"scid": world.other_scid, **day}).status_code == 404
    assert refusals(engine) == audited + 1

    log_in(client, world.emails["operator"])
    iso = text_of(client.get("/awards", params={"scid": world.other_scid, **day}).text)
    assert f"{world.other_unit} 960.000 24" in iso  # no node: no price, no value
