"""Content validation of bids (rulebook §4, second and third stages).

Each check gives reason codes (``docs/bidding.md`` lists them all). A bid
with any *invalidating* reason is Invalid; one whose content the ISO had to
change (a price capped at the soft cap) is Modified, and carries the changed
content as its clean bid; otherwise it is Valid as submitted. Before market
close the same outcome is *conditional*; at close the bid is validated again
against the Master File, certifications and the SC's standing of that moment.

The checks are pure functions of the bid and the facts about its resource or
location (:class:`ResourceFacts`, :class:`LocationFacts`), so they run the
same on receipt and at close, and are tested without a database.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from gridmarket.bidding.schema import (
    AncillaryBid,
    AncillaryProduct,
    EnergyBid,
    EnergyHour,
    MarketType,
    Segment,
    SelfScheduleType,
    TradeBid,
    VirtualBid,
)
from gridmarket.config import BidRules

AnyBid = EnergyBid | AncillaryBid | VirtualBid | TradeBid


class Reason(enum.StrEnum):
    """Reason codes. Those in :data:`MODIFYING` change the bid; all others invalidate it."""

    RESOURCE_UNKNOWN = "RESOURCE_UNKNOWN"
    RESOURCE_NOT_REPRESENTED = "RESOURCE_NOT_REPRESENTED"
    CERTIFICATION_MISSING = "CERTIFICATION_MISSING"
    SC_NOT_ACTIVE = "SC_NOT_ACTIVE"
    TOO_MANY_SEGMENTS = "TOO_MANY_SEGMENTS"
    MW_NOT_INCREASING = "MW_NOT_INCREASING"
    MW_OUT_OF_RANGE = "MW_OUT_OF_RANGE"
    PRICE_BELOW_FLOOR = "PRICE_BELOW_FLOOR"
    PRICE_ABOVE_HARD_CAP = "PRICE_ABOVE_HARD_CAP"
    PRICE_CAPPED_AT_SOFT_CAP = "PRICE_CAPPED_AT_SOFT_CAP"
    PRICE_NOT_MONOTONIC = "PRICE_NOT_MONOTONIC"
    SELF_SCHEDULE_OUT_OF_RANGE = "SELF_SCHEDULE_OUT_OF_RANGE"
    SELF_SCHEDULE_TYPE_NOT_ALLOWED = "SELF_SCHEDULE_TYPE_NOT_ALLOWED"
    AS_NOT_CERTIFIED = "AS_NOT_CERTIFIED"
    AS_MW_OUT_OF_RANGE = "AS_MW_OUT_OF_RANGE"
    AS_PRICE_OUT_OF_RANGE = "AS_PRICE_OUT_OF_RANGE"
    VIRTUAL_DAM_ONLY = "VIRTUAL_DAM_ONLY"
    VIRTUAL_BELOW_MIN_MW = "VIRTUAL_BELOW_MIN_MW"
    LOCATION_UNKNOWN = "LOCATION_UNKNOWN"
    CREDIT_INSUFFICIENT = "CREDIT_INSUFFICIENT"
    TRADE_COUNTERPARTY_UNKNOWN = "TRADE_COUNTERPARTY_UNKNOWN"
    TRADE_WITH_ITSELF = "TRADE_WITH_ITSELF"
    TRADE_MW_NOT_POSITIVE = "TRADE_MW_NOT_POSITIVE"


MODIFYING = frozenset({Reason.PRICE_CAPPED_AT_SOFT_CAP})


@dataclass(frozen=True)
class Finding:
    code: Reason
    message: str
    hour: int | None = None
    segment: int | None = None
    """The curve segment (from 1) a finding is about, for forms to place the message;
    not stored (the message names it)."""

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code.value, "hour": self.hour, "message": self.message}


@dataclass(frozen=True)
class ResourceFacts:
    """What validation needs to know of a Master File resource on the trade date."""

    resource_id: str
    pk: int
    is_demand: bool
    p_min_mw: Decimal
    p_max_mw: Decimal
    represented_by: str | None
    """SCID representing the resource on the trade date (None if nobody)."""
    is_rmr: bool
    is_demand_response: bool
    certified_products: frozenset[AncillaryProduct]
    verified_cost_above_soft_cap: bool
    """A registered cost above the soft cap, which lets offers above it stand."""
    ineligible_reasons: tuple[str, ...] = ()
    """Missing meter/telemetry certifications (bids are Invalid)."""


@dataclass(frozen=True)
class LocationFacts:
    """The pricing and aggregated nodes, and the SCIDs that may trade."""

    nodes: frozenset[str]
    active_scids: frozenset[str] = frozenset()


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    clean: AnyBid | None = None
    resource_pk: int | None = None

    @property
    def invalid(self) -> bool:
        return any(f.code not in MODIFYING for f in self.findings)

    @property
    def modified(self) -> bool:
        return any(f.code in MODIFYING for f in self.findings)


def validate_bid(
    bid: AnyBid,
    *,
    scid: str,
    market: MarketType,
    rules: BidRules,
    resource: ResourceFacts | None,
    locations: LocationFacts,
) -> Outcome:
    """Check ``bid``'s content; the outcome's ``clean`` is what would enter the market.

    Example::

        outcome = validate_bid(bid, scid="DTGA", market=MarketType.DAM, rules=rules,
                               resource=facts, locations=locations)
        outcome.invalid, [f.code for f in outcome.findings]
    """
    outcome = Outcome()
    if isinstance(bid, EnergyBid | AncillaryBid):
        if not _check_resource(bid.resource, scid, resource, outcome):
            return outcome
        assert resource is not None
        outcome.resource_pk = resource.pk
        if isinstance(bid, EnergyBid):
            outcome.clean = _check_energy(bid, resource, rules, outcome)
        else:
            _check_ancillary(bid, resource, rules, outcome)
            outcome.clean = bid
    elif isinstance(bid, VirtualBid):
        _check_virtual(bid, market, rules, locations, outcome)
        outcome.clean = bid
    else:
        _check_trade(bid, scid, locations, outcome)
        outcome.clean = bid
    if outcome.invalid:
        outcome.clean = None
    return outcome


def _check_resource(
    resource_id: str, scid: str, resource: ResourceFacts | None, outcome: Outcome
) -> bool:
    if resource is None:
        outcome.findings.append(Finding(Reason.RESOURCE_UNKNOWN,
                                        f"no resource {resource_id!r} in the Master File"))
        return False
    if resource.represented_by != scid:
        outcome.findings.append(Finding(
            Reason.RESOURCE_NOT_REPRESENTED,
            f"{resource_id} is not represented by SCID {scid} on the trade date"))
        return False
    for reason in resource.ineligible_reasons:
        outcome.findings.append(Finding(Reason.CERTIFICATION_MISSING, reason))
    return True


def _check_energy(
    bid: EnergyBid, resource: ResourceFacts, rules: BidRules, outcome: Outcome
) -> EnergyBid:
    clean_hours = []
    for hour in bid.hours:
        _check_self_schedule(hour, resource, outcome)
        start = Decimal(0) if resource.is_demand else resource.p_min_mw
        _check_curve(hour.segments, hour.hour, start, resource.p_max_mw, rules, outcome,
                     decreasing=resource.is_demand)
        segments = [
            _soft_capped(s, hour.hour, index, rules, resource.verified_cost_above_soft_cap,
                         outcome)
            for index, s in enumerate(hour.segments, start=1)
        ]
        changed = any(new is not old for new, old in zip(segments, hour.segments, strict=True))
        # Models are frozen: an hour nothing was capped in is its own clean copy.
        clean_hours.append(hour.model_copy(update={"segments": segments}) if changed else hour)
    return bid.model_copy(update={"hours": clean_hours})


def _check_self_schedule(hour: EnergyHour, resource: ResourceFacts, outcome: Outcome) -> None:
    if hour.self_schedule_mw is None:
        return
    if not Decimal(0) <= hour.self_schedule_mw <= resource.p_max_mw:
        outcome.findings.append(Finding(
            Reason.SELF_SCHEDULE_OUT_OF_RANGE,
            f"self-schedule {hour.self_schedule_mw} MW outside [0, {resource.p_max_mw}] MW",
            hour.hour))
    if hour.self_schedule_type == SelfScheduleType.RMR and not resource.is_rmr:
        outcome.findings.append(Finding(
            Reason.SELF_SCHEDULE_TYPE_NOT_ALLOWED,
            f"{resource.resource_id} has no reliability-must-run contract", hour.hour))


def _check_curve(
    segments: Sequence[Segment],
    hour: int,
    start_mw: Decimal,
    p_max_mw: Decimal,
    rules: BidRules,
    outcome: Outcome,
    *,
    decreasing: bool,
) -> None:
    """Segment count, increasing breakpoints within range, price limits, monotone prices."""
    if len(segments) > rules.max_segments:
        outcome.findings.append(Finding(
            Reason.TOO_MANY_SEGMENTS,
            f"{len(segments)} segments; at most {rules.max_segments}", hour))
    previous_mw = start_mw
    for index, segment in enumerate(segments, start=1):
        if segment.mw <= previous_mw:
            outcome.findings.append(Finding(
                Reason.MW_NOT_INCREASING,
                f"segment {index} ends at {segment.mw} MW, not above {previous_mw} MW", hour,
                index))
        if segment.mw > p_max_mw:
            outcome.findings.append(Finding(
                Reason.MW_OUT_OF_RANGE,
                f"segment {index} ends at {segment.mw} MW, above the maximum {p_max_mw} MW",
                hour, index))
        previous_mw = max(previous_mw, segment.mw)
        if segment.price < rules.price_floor_usd_per_mwh:
            outcome.findings.append(Finding(
                Reason.PRICE_BELOW_FLOOR,
                f"segment {index} price {segment.price} below the floor "
                f"{rules.price_floor_usd_per_mwh} $/MWh", hour, index))
        if segment.price > rules.hard_cap_usd_per_mwh:
            outcome.findings.append(Finding(
                Reason.PRICE_ABOVE_HARD_CAP,
                f"segment {index} price {segment.price} above the hard cap "
                f"{rules.hard_cap_usd_per_mwh} $/MWh", hour, index))
    prices = [s.price for s in segments]
    pairs = list(pairwise(prices))
    if any((later > earlier) if decreasing else (later < earlier) for earlier, later in pairs):
        direction = "non-increasing (demand)" if decreasing else "non-decreasing (supply)"
        outcome.findings.append(Finding(
            Reason.PRICE_NOT_MONOTONIC, f"segment prices must be {direction}", hour))


def _soft_capped(
    segment: Segment, hour: int, index: int, rules: BidRules, cost_verified: bool,
    outcome: Outcome,
) -> Segment:
    cap = rules.soft_cap_usd_per_mwh
    if segment.price <= cap or cost_verified or segment.price > rules.hard_cap_usd_per_mwh:
        return segment
    outcome.findings.append(Finding(
        Reason.PRICE_CAPPED_AT_SOFT_CAP,
        f"price {segment.price} $/MWh above the soft cap without a verified cost above it: "
        f"capped at {cap}", hour, index))
    return segment.model_copy(update={"price": cap})


def _check_ancillary(
    bid: AncillaryBid, resource: ResourceFacts, rules: BidRules, outcome: Outcome
) -> None:
    headroom = resource.p_max_mw - resource.p_min_mw
    for hour in bid.hours:
        for offer in hour.offers:
            if offer.product not in resource.certified_products:
                why = (" (demand response may offer non-spinning reserve only)"
                       if resource.is_demand_response else "")
                outcome.findings.append(Finding(
                    Reason.AS_NOT_CERTIFIED,
                    f"{resource.resource_id} is not certified for {offer.product}{why}",
                    hour.hour))
            limit = resource.p_max_mw if offer.product == AncillaryProduct.NON_SPIN else headroom
            if not Decimal(0) < offer.mw <= limit:
                outcome.findings.append(Finding(
                    Reason.AS_MW_OUT_OF_RANGE,
                    f"{offer.product} {offer.mw} MW outside (0, {limit}] MW", hour.hour))
            if not Decimal(0) <= offer.price <= rules.hard_cap_usd_per_mwh:
                outcome.findings.append(Finding(
                    Reason.AS_PRICE_OUT_OF_RANGE,
                    f"{offer.product} price {offer.price} $/MW outside "
                    f"[0, {rules.hard_cap_usd_per_mwh}]", hour.hour))


def _check_virtual(
    bid: VirtualBid, market: MarketType, rules: BidRules, locations: LocationFacts,
    outcome: Outcome,
) -> None:
    if market != MarketType.DAM:
        outcome.findings.append(Finding(Reason.VIRTUAL_DAM_ONLY,
                                        "virtual bids are accepted in the day-ahead market only"))
    if bid.location not in locations.nodes:
        outcome.findings.append(Finding(
            Reason.LOCATION_UNKNOWN, f"no pricing or aggregated node {bid.location!r}"))
    for hour in bid.hours:
        total = hour.segments[-1].mw
        if total < rules.virtual_bid_min_mw:
            outcome.findings.append(Finding(
                Reason.VIRTUAL_BELOW_MIN_MW,
                f"{total} MW is below the minimum {rules.virtual_bid_min_mw} MW", hour.hour))
        _check_curve(hour.segments, hour.hour, Decimal(0), Decimal("Infinity"), rules, outcome,
                     decreasing=bid.side == "DEMAND")


def _check_trade(bid: TradeBid, scid: str, locations: LocationFacts, outcome: Outcome) -> None:
    if bid.counterparty == scid:
        outcome.findings.append(Finding(Reason.TRADE_WITH_ITSELF,
                                        "a trade needs two different SCIDs"))
    elif bid.counterparty not in locations.active_scids:
        outcome.findings.append(Finding(
            Reason.TRADE_COUNTERPARTY_UNKNOWN,
            f"no certified scheduling coordinator with SCID {bid.counterparty!r}"))
    if bid.location not in locations.nodes:
        outcome.findings.append(Finding(
            Reason.LOCATION_UNKNOWN, f"no pricing or aggregated node {bid.location!r}"))
    for hour in bid.hours:
        if hour.mw <= 0:
            outcome.findings.append(Finding(Reason.TRADE_MW_NOT_POSITIVE,
                                            f"{hour.mw} MW: a trade is for a positive quantity",
                                            hour.hour))


def segment_count(bid: AnyBid) -> int:
    """Bid segments for the segment fee: energy/virtual curve steps, AS offers, trade hours."""
    if isinstance(bid, EnergyBid):
        return sum(len(h.segments) for h in bid.hours)
    if isinstance(bid, VirtualBid):
        return sum(len(h.segments) for h in bid.hours)
    if isinstance(bid, AncillaryBid):
        return sum(len(h.offers) for h in bid.hours)
    return 0
