"""Binding branches are published with each priced run: flow, limit and shadow price."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gridmarket.clearing import clear_day_ahead
from gridmarket.clearing.synthetic import two_bus_system
from gridmarket.markets.publication import published_rows
from gridmarket.markets.solved_day import PublicationMap, SolvedDay

START = datetime(2020, 7, 15, 7, tzinfo=UTC)


def _mapping(periods: int) -> PublicationMap:
    return PublicationMap(
        interval_start_utc=[(START + timedelta(hours=k)).isoformat() for k in range(periods)],
        interval_minutes=60, unit_scid={}, demand_resource=[], load_scid={}, virtual_rows=[],
        storage_scid={}, bus_node={"A": "NODE_A", "B": "NODE_B"})


def test_a_congested_line_is_published_with_its_flow_limit_and_shadow_price() -> None:
    inp = two_bus_system(limit_mw=100.0, n_periods=2)
    rows = published_rows(inp, _mapping(2), SolvedDay.from_result(clear_day_ahead(inp)))
    assert rows.tables["binding_branch"] == [
        {"branch": "AB", "interval_start_utc": START + timedelta(hours=k),
         "flow_mw": Decimal("100.000000"), "limit_mw": Decimal("100.000000"),
         "shadow_price_usd_per_mwh": Decimal("20.000000"), "carried_forward": False}
        for k in range(2)]
    # The shadow price is the congestion part's spread between the line's ends.
    prices = {r["node"]: r["congestion_usd_per_mwh"] for r in rows.tables["price"]
              if r["interval_start_utc"] == START}
    assert abs(prices["NODE_B"] - prices["NODE_A"]) == Decimal("20.000000")


def test_an_uncongested_network_publishes_no_binding_branch() -> None:
    inp = two_bus_system(limit_mw=500.0)
    rows = published_rows(inp, _mapping(1), SolvedDay.from_result(clear_day_ahead(inp)))
    assert rows.tables["binding_branch"] == []


def test_runs_without_prices_publish_no_binding_branch() -> None:
    inp = two_bus_system(limit_mw=100.0)
    rows = published_rows(inp, _mapping(1), SolvedDay.from_result(clear_day_ahead(inp)),
                          prices=False)
    assert rows.tables["binding_branch"] == []
