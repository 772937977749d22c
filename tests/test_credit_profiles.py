"""Credit profiles: UCL from stored figures, affiliates, guarantees, participation, access."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.test_credit_support import (
    PARAMS,
    CreditWorld,
    cash,
    certified_sc,
    credit_world,
    pacific_noon,
    profile,
)

from gridmarket.access.errors import AccessDenied, NotVisible
from gridmarket.access.models import AuditEntry
from gridmarket.credit.limits import aggregate_credit_limit
from gridmarket.credit.overview import credit_overview
from gridmarket.credit.profiles import CreditProfileForm, set_credit_profile
from gridmarket.credit.ucl import unsecured_credit_limit
from gridmarket.errors import InvalidInput

JULY_1 = date(2020, 7, 1)


@pytest.fixture
def world(db_session: Session) -> CreditWorld:
    return credit_world(db_session)


def _ucl(world: CreditWorld, coordinator_id: int | None = None, on: date = JULY_1) -> Decimal:
    target = coordinator_id or world.coordinator.id
    return unsecured_credit_limit(world.session, target, on, PARAMS.credit).ucl_usd


def test_ucl_comes_from_the_stored_tangible_net_worth_and_rating(world: CreditWorld) -> None:
    profile(world, tnw="20000000", rating="BBB-")  # $20M × 1.5% = $300,000
    assert _ucl(world) == Decimal("300000.00")
    profile(world, tnw="20000000", rating=None)  # unrated: 0%
    assert _ucl(world) == 0
    profile(world, tnw="20000000", rating="BB")  # below investment grade: 0%
    assert _ucl(world) == 0


def test_an_sc_without_a_profile_has_no_ucl_and_owes_participation_security(
    world: CreditWorld,
) -> None:
    limit = aggregate_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert limit.ucl.ucl_usd == 0
    assert not limit.participation.met
    assert limit.acl_usd == Decimal("-500000.00")


@pytest.mark.parametrize(
    ("tnw", "assets", "met"),
    [
        ("1000000", "0", True),  # TNW exactly $1M
        ("200000", "10000000", True),  # total assets exactly $10M
        ("999999.99", "9999999.99", False),  # both a cent short
    ],
)
def test_minimum_participation_is_1m_tangible_net_worth_or_10m_assets(
    world: CreditWorld, tnw: str, assets: str, met: bool
) -> None:
    profile(world, tnw=tnw, assets=assets, rating=None)
    limit = aggregate_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert limit.participation.met is met
    assert limit.participation.required_security_usd == (0 if met else Decimal("500000"))


def test_participation_security_is_held_on_top_of_credit(world: CreditWorld) -> None:
    # TNW $900k (unrated, UCL 0), assets $9.5M: requirements not met, $500k held.
    # Cash $750,000 posted: ACL = 0 + 750,000 − 500,000 = $250,000.
    profile(world, tnw="900000", assets="9500000", rating=None)
    cash(world, "750000")
    limit = aggregate_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert (limit.ucl.ucl_usd, limit.financial_security_usd) == (0, Decimal("750000.00"))
    assert limit.acl_usd == Decimal("250000.00")
    assert "not met" in limit.participation.explanation


def test_acl_is_ucl_plus_financial_security(world: CreditWorld) -> None:
    # UCL $300,000 (TNW $20M, BBB-) + cash $1,000,000 + cash $250,000.50 = $1,550,000.50.
    profile(world)
    cash(world, "1000000")
    cash(world, "250000.50")
    limit = aggregate_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert limit.acl_usd == Decimal("1550000.50")
    assert limit.formula == (
        "ACL = UCL $300,000.00 + FS $1,250,000.50 − participation security $0.00 = $1,550,000.50"
    )


def test_affiliates_share_the_cap_through_their_profiles(world: CreditWorld) -> None:
    # A: $600M × 5.0% = $30M; B: $400M × 6.5% = $26M → $56M > $50M.
    # A: 50 × 30/56 = 26,785,714.2857… → 26,785,714.28; B: 23,214,285.7142… → 23,214,285.71.
    other, _ = certified_sc(world.session)
    profile(world, tnw="600000000", rating="A", affiliate_group="Sierra Holdings")
    assert _ucl(world) == Decimal("30000000.00")  # alone in the group so far
    profile(world, other, tnw="400000000", rating="AA", affiliate_group="Sierra Holdings")
    assert _ucl(world) == Decimal("26785714.28")
    assert _ucl(world, other.id) == Decimal("23214285.71")
    working = unsecured_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert "shared pro rata" in working.explanation
    # The affiliate's change recomputed A's credit too: its account holds the shared UCL.
    view = credit_overview(
        world.session, world.analyst, world.coordinator.id, PARAMS, pacific_noon(JULY_1)
    )
    assert view.last_computation is not None
    assert view.last_computation.ucl_usd == Decimal("26785714.28")
    # Leaving the group gives each its own figure again (B alone: $26M).
    profile(world, other, tnw="400000000", rating="AA", affiliate_group=None)
    assert _ucl(world) == Decimal("30000000.00")
    assert _ucl(world, other.id) == Decimal("26000000.00")


def test_a_parent_guarantee_raises_the_ucl_basis_to_the_guarantor(world: CreditWorld) -> None:
    # Own: $20M × 1.5% (BBB-) = $300,000. Guarantor: $2B × 6.5% (AA) = $130M → capped $50M.
    profile(
        world,
        guarantor_name="Sierra Holdings Inc.",
        guarantor_tangible_net_worth_usd="2000000000",
        guarantor_rating="AA",
        guarantee_expires_on="2020-07-15",
    )
    working = unsecured_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert working.basis is not None and working.basis.source == "PARENT_GUARANTEE"
    assert working.ucl_usd == Decimal("50000000.00")
    # From its expiry date the guarantee no longer counts: back to the SC's own figures.
    assert _ucl(world, on=date(2020, 7, 15)) == Decimal("300000.00")


def test_a_weaker_guarantor_does_not_lower_the_ucl(world: CreditWorld) -> None:
    profile(
        world,
        guarantor_name="Small Parent LLC",
        guarantor_tangible_net_worth_usd="5000000",
        guarantor_rating="A",  # $5M × 5% = $250,000 < own $300,000
    )
    working = unsecured_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert working.basis is not None and working.basis.source == "OWN"
    assert working.ucl_usd == Decimal("300000.00")


def test_a_guarantee_does_not_meet_the_participation_requirements(world: CreditWorld) -> None:
    profile(
        world,
        tnw="100000",
        assets="200000",
        rating=None,
        guarantor_name="Sierra Holdings Inc.",
        guarantor_tangible_net_worth_usd="2000000000",
        guarantor_rating="AA",
    )
    limit = aggregate_credit_limit(world.session, world.coordinator.id, JULY_1, PARAMS.credit)
    assert not limit.participation.met
    assert limit.acl_usd == Decimal("50000000.00") - Decimal("500000")


def test_bad_profiles_are_refused_naming_the_field(world: CreditWorld) -> None:
    with pytest.raises(InvalidInput) as refused:
        profile(world, rating="AAA+")
    assert refused.value.field == "rating"
    with pytest.raises(InvalidInput) as refused:
        profile(world, guarantor_rating="AA")
    assert refused.value.field == "guarantor_name"
    with pytest.raises(InvalidInput) as refused:
        profile(world, tnw="1000000.001")
    assert refused.value.field == "tangible_net_worth_usd"


def test_only_the_credit_analyst_maintains_profiles_and_changes_are_audited(
    world: CreditWorld,
) -> None:
    form = CreditProfileForm(
        tangible_net_worth_usd=Decimal("1"),
        total_assets_usd=Decimal("1"),
        financials_as_of=date(2019, 12, 31),
    )
    with pytest.raises(AccessDenied):
        set_credit_profile(
            world.session, world.trader, world.coordinator.id, form, PARAMS, pacific_noon(JULY_1)
        )
    profile(world)
    entry = world.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "credit.profile.set")
        .order_by(AuditEntry.sequence.desc())
    ).first()
    assert entry is not None and entry.actor_person_id == world.analyst.person_id
    assert entry.object_id == str(world.coordinator.id)


def test_another_scs_credit_is_not_visible(world: CreditWorld) -> None:
    profile(world)
    clock = pacific_noon(JULY_1)
    with pytest.raises(NotVisible):
        credit_overview(world.session, world.outsider, world.coordinator.id, PARAMS, clock)
    own = credit_overview(world.session, world.trader, world.coordinator.id, PARAMS, clock)
    assert own.limit.ucl.ucl_usd == Decimal("300000.00")
