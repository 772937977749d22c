"""Every reason code of content validation, on the pure checks (no database).

The table below has one case per :class:`Reason`; a test checks none is missing,
so a new rule cannot be added without a case that shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from gridmarket.bidding.schema import AncillaryProduct, BidSet, MarketType
from gridmarket.bidding.validation import (
    LocationFacts,
    Outcome,
    Reason,
    ResourceFacts,
    validate_bid,
)
from gridmarket.config import BidRules

RULES = BidRules()
UNIT = ResourceFacts(
    resource_id="GEN 1", pk=1, is_demand=False, p_min_mw=Decimal(10), p_max_mw=Decimal(50),
    represented_by="SCA", is_rmr=False, is_demand_response=False,
    certified_products=frozenset({AncillaryProduct.REG_UP, AncillaryProduct.SPIN}),
    verified_cost_above_soft_cap=False)
LOAD = ResourceFacts(
    resource_id="LOAD 1", pk=2, is_demand=True, p_min_mw=Decimal(0), p_max_mw=Decimal(100),
    represented_by="SCA", is_rmr=False, is_demand_response=False,
    certified_products=frozenset(), verified_cost_above_soft_cap=False)
DEMAND_RESPONSE = ResourceFacts(
    resource_id="DR 1", pk=3, is_demand=False, p_min_mw=Decimal(0), p_max_mw=Decimal(20),
    represented_by="SCA", is_rmr=False, is_demand_response=True,
    certified_products=frozenset({AncillaryProduct.NON_SPIN}),
    verified_cost_above_soft_cap=False)
LOCATIONS = LocationFacts(nodes=frozenset({"NODE_1", "DLAP_1"}),
                          active_scids=frozenset({"SCA", "SCB"}))


def energy(*segments: tuple[str, str], resource: str = "GEN 1", **hour: Any) -> dict[str, Any]:
    return {"kind": "ENERGY", "resource": resource, "hours": [
        {"hour": 1, "segments": [{"mw": m, "price": p} for m, p in segments], **hour}]}


def ancillary(product: str, mw: str = "10", price: str = "5", resource: str = "GEN 1"
              ) -> dict[str, Any]:
    return {"kind": "ANCILLARY", "resource": resource, "hours": [
        {"hour": 1, "offers": [{"product": product, "mw": mw, "price": price}]}]}


def virtual(mw: str = "5", location: str = "NODE_1") -> dict[str, Any]:
    return {"kind": "VIRTUAL", "location": location, "side": "SUPPLY",
            "hours": [{"hour": 1, "segments": [{"mw": mw, "price": "30"}]}]}


def trade(counterparty: str = "SCB", mw: str = "5", location: str = "NODE_1"
          ) -> dict[str, Any]:
    return {"kind": "TRADE", "counterparty": counterparty, "location": location,
            "product": "ENERGY", "direction": "SELL", "hours": [{"hour": 1, "mw": mw}]}


def check(bid: dict[str, Any], *, market: str = "DAM", facts: ResourceFacts | None = UNIT,
          scid: str = "SCA") -> Outcome:
    content = BidSet.model_validate({"scid": scid, "market": market,
                                     "trade_date": "2020-07-15", "bids": [bid]}).bids[0]
    return validate_bid(content, scid=scid, market=MarketType(market), rules=RULES,
                        resource=facts, locations=LOCATIONS)


CASES: dict[Reason, Callable[[], Outcome]] = {
    Reason.RESOURCE_UNKNOWN: lambda: check(energy(("30", "20")), facts=None),
    Reason.RESOURCE_NOT_REPRESENTED: lambda: check(energy(("30", "20")), scid="SCB"),
    Reason.CERTIFICATION_MISSING: lambda: check(energy(("30", "20")), facts=UNIT.__class__(
        **{**UNIT.__dict__, "ineligible_reasons": ("GEN 1: no telemetry certification",)})),
    Reason.SC_NOT_ACTIVE: lambda: Outcome(),  # decided at close; see test_close_* (API tests)
    Reason.TOO_MANY_SEGMENTS: lambda: check(energy(*[(str(11 + i), "20") for i in range(11)])),
    Reason.MW_NOT_INCREASING: lambda: check(energy(("30", "20"), ("25", "21"))),
    Reason.MW_OUT_OF_RANGE: lambda: check(energy(("51", "20"))),
    Reason.PRICE_BELOW_FLOOR: lambda: check(energy(("30", "-151"))),
    Reason.PRICE_ABOVE_HARD_CAP: lambda: check(energy(("30", "2001"))),
    Reason.PRICE_CAPPED_AT_SOFT_CAP: lambda: check(energy(("30", "1500"))),
    Reason.PRICE_NOT_MONOTONIC: lambda: check(energy(("30", "20"), ("40", "19"))),
    Reason.SELF_SCHEDULE_OUT_OF_RANGE: lambda: check(energy(
        self_schedule_mw="60", self_schedule_type="PT")),
    Reason.SELF_SCHEDULE_TYPE_NOT_ALLOWED: lambda: check(energy(
        self_schedule_mw="20", self_schedule_type="RMR")),
    Reason.AS_NOT_CERTIFIED: lambda: check(ancillary("SPIN", resource="DR 1"),
                                           facts=DEMAND_RESPONSE),
    Reason.AS_MW_OUT_OF_RANGE: lambda: check(ancillary("REG_UP", mw="41")),
    Reason.AS_PRICE_OUT_OF_RANGE: lambda: check(ancillary("REG_UP", price="-1")),
    Reason.VIRTUAL_DAM_ONLY: lambda: check(virtual(), market="RTM", facts=None),
    Reason.VIRTUAL_BELOW_MIN_MW: lambda: check(virtual(mw="0.9"), facts=None),
    Reason.LOCATION_UNKNOWN: lambda: check(virtual(location="NOWHERE"), facts=None),
    Reason.CREDIT_INSUFFICIENT: lambda: Outcome(),  # the credit check; see the API tests
    Reason.TRADE_COUNTERPARTY_UNKNOWN: lambda: check(trade("SCZ"), facts=None),
    Reason.TRADE_WITH_ITSELF: lambda: check(trade("SCA"), facts=None),
    Reason.TRADE_MW_NOT_POSITIVE: lambda: check(trade(mw="0"), facts=None),
}
DECIDED_ELSEWHERE = {Reason.SC_NOT_ACTIVE, Reason.CREDIT_INSUFFICIENT}


def test_every_reason_code_has_a_case() -> None:
    assert set(CASES) == set(Reason)


@pytest.mark.parametrize("reason", sorted(set(Reason) - DECIDED_ELSEWHERE))
def test_each_rule_gives_its_reason_code(reason: Reason) -> None:
    outcome = CASES[reason]()
    assert reason in {f.code for f in outcome.findings}, outcome.findings
    if reason is Reason.PRICE_CAPPED_AT_SOFT_CAP:
        assert outcome.modified and not outcome.invalid and outcome.clean is not None
    else:
        assert outcome.invalid and outcome.clean is None


def test_a_demand_curve_must_not_rise_and_starts_from_zero() -> None:
    falling = check(energy(("40", "50"), ("80", "30"), resource="LOAD 1"), facts=LOAD)
    assert falling.findings == []
    rising = check(energy(("40", "30"), ("80", "50"), resource="LOAD 1"), facts=LOAD)
    assert [f.code for f in rising.findings] == [Reason.PRICE_NOT_MONOTONIC]


def test_a_verified_cost_above_the_soft_cap_lets_the_price_stand() -> None:
    verified = UNIT.__class__(**{**UNIT.__dict__, "verified_cost_above_soft_cap": True})
    outcome = check(energy(("30", "1500")), facts=verified)
    assert outcome.findings == [] and outcome.clean is not None
