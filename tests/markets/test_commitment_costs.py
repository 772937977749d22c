"""Start-up and minimum-load costs entering the market: registered, proxy, capped."""

from __future__ import annotations

from decimal import Decimal

from gridmarket.bidding.schema import CostBasis
from gridmarket.config import BidRules
from gridmarket.markets.bid_offers import UnitFacts, commitment_costs
from gridmarket.resources.models import MeteringType, Resource, ResourceType


def _unit(min_load_usd_per_hour: str) -> UnitFacts:
    resource = Resource(
        resource_id="X", name="X", resource_type=ResourceType.GENERATOR, category="Gas CT",
        fuel="NG", p_min_mw=Decimal("10"), p_max_mw=Decimal("50"),
        ramp_rate_mw_per_min=Decimal("5"), min_up_hours=1, min_down_hours=1,
        startup_cost_usd=Decimal("1000"), min_load_cost_usd_per_hour=Decimal(min_load_usd_per_hour),
        metering_type=MeteringType.ISO_METERED, telemetry_required=True, is_variable=False)
    return UnitFacts(resource=resource, bus_id="1", generator=None)


def test_registered_costs_enter_as_registered_below_the_cap() -> None:
    assert commitment_costs(_unit("300"), CostBasis.REGISTERED, BidRules()) == (1000.0, 300.0)


def test_minimum_load_cost_is_capped_at_2000_per_mwh_of_pmin() -> None:
    # 10 MW Pmin × $2,000/MWh = $20,000/h.
    assert commitment_costs(_unit("25000"), CostBasis.REGISTERED, BidRules()) == (1000.0, 20000.0)
    lower = BidRules(min_load_cost_cap_usd_per_mwh=Decimal("100"))
    assert commitment_costs(_unit("25000"), CostBasis.REGISTERED, lower)[1] == 1000.0
