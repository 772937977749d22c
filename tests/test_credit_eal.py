"""The EAL: components from registered providers, stored with formula and inputs."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session
from tests.test_credit_support import (
    PARAMS,
    CreditWorld,
    cash,
    credit_world,
    fixed_provider,
    pacific_noon,
    profile,
    providers,
)

from gridmarket.config import MarketParameters
from gridmarket.credit.components import (
    COMPONENTS,
    EAL_PROVIDERS,
    ComponentAmount,
    EalComponentCode,
    EalProviderRegistry,
)
from gridmarket.credit.eal import describe, recompute_all, recompute_credit
from gridmarket.credit.models import EalComputation, EalTrigger
from gridmarket.credit.overview import credit_overview
from gridmarket.credit.reservations import (
    CreditCheck,
    record_cleared_virtual_position,
    release_cleared_positions,
    release_credit,
    reserve_credit,
)
from gridmarket.participants.models import SchedulingCoordinator

JULY_1 = date(2020, 7, 1)


@pytest.fixture
def world(db_session: Session) -> CreditWorld:
    w = credit_world(db_session)
    # UCL $300,000 (TNW $20M, BBB-) + cash $1,250,000 = ACL $1,550,000.
    profile(w)
    cash(w, "1250000")
    return w


def _recompute(world: CreditWorld, trigger: EalTrigger = EalTrigger.DAILY) -> EalComputation:
    return recompute_credit(
        world.session,
        world.coordinator.id,
        trigger=trigger,
        as_of=JULY_1,
        parameters=PARAMS,
        clock=pacific_noon(JULY_1),
    )


def _reserve(world: CreditWorld, amount: str, reference: str) -> CreditCheck:
    return reserve_credit(
        world.session,
        world.scid.code,
        Decimal(amount),
        reference,
        parameters=PARAMS,
        clock=pacific_noon(JULY_1),
    )


def test_eal_adds_up_every_component_worked_by_hand(world: CreditWorld) -> None:
    # Virtual bids: 20 MW × $50 = $1,000.00 and 35.5 MW × $50 = $1,775.00 → $2,775.00.
    _reserve(world, "1000.00", "VB-1")
    _reserve(world, "1775.00", "VB-2")

    def invoices(
        session: Session, coordinator: SchedulingCoordinator, as_of: date, p: MarketParameters
    ) -> ComponentAmount:
        amounts = [Decimal("120000.00"), Decimal("35500.25")]
        return ComponentAmount(
            sum(amounts, Decimal(0)),
            "Σ outstanding of 2 invoices",
            {"invoices": [str(a) for a in amounts]},
        )

    with providers(
        UNPAID_INVOICES=invoices,  # $155,500.25
        UNINVOICED_STATEMENTS=fixed_provider("36000.10"),
        ESTIMATED_UNSTATED_DAYS=fixed_provider("39506.172"),  # 4 × $9,876.543 → up: $39,506.18
        ESTIMATED_FEES=fixed_provider("-150.00"),  # owed to the SC: counts as zero
    ):
        computation = _recompute(world)
    amounts = {c.code: c.amount_usd for c in computation.components}
    assert amounts == {
        "UNPAID_INVOICES": Decimal("155500.25"),
        "UNINVOICED_STATEMENTS": Decimal("36000.10"),
        "ESTIMATED_UNSTATED_DAYS": Decimal("39506.18"),
        "VIRTUAL_BID_EXPOSURE": Decimal("2775.00"),
        "ESTIMATED_FEES": Decimal("0.00"),
    }
    # 155,500.25 + 36,000.10 + 39,506.18 + 2,775.00 + 0 = 233,781.53
    assert computation.eal_usd == Decimal("233781.53")
    assert computation.acl_usd == Decimal("1550000.00")
    assert computation.available_credit_usd == Decimal("1316218.47")
    # 233,781.53 ÷ 1,550,000 = 0.150826793… → 0.150827 (display only)
    assert computation.utilisation == Decimal("0.150827")
    fees = next(c for c in computation.components if c.code == "ESTIMATED_FEES")
    assert fees.net_amount_usd == Decimal("-150.00")
    assert describe(computation) == (
        "EAL = $155,500.25 + $36,000.10 + $39,506.18 + $2,775.00 + $0.00 = $233,781.53"
    )


def test_each_component_is_stored_with_its_formula_and_inputs(world: CreditWorld) -> None:
    _reserve(world, "1000.00", "VB-1")
    with providers(UNPAID_INVOICES=fixed_provider("10", "Σ outstanding of 1 invoice")):
        computation = _recompute(world)
    stored = {c.code: c for c in computation.components}
    assert [c.code for c in computation.components] == [d.code.value for d in COMPONENTS]
    assert stored["UNPAID_INVOICES"].formula == "Σ outstanding of 1 invoice"
    assert stored["UNPAID_INVOICES"].provider == "test.unpaid_invoices"
    assert json.loads(stored["UNPAID_INVOICES"].inputs_json) == {"amount": "10"}
    virtual = stored["VIRTUAL_BID_EXPOSURE"]
    assert json.loads(virtual.inputs_json) == {
        "outstanding_virtual_bids": 1,
        "outstanding_virtual_bid_exposure_usd": "1000.00",
        "cleared_virtual_positions": 0,
        "cleared_virtual_position_exposure_usd": "0.00",
    }
    assert "Σ exposure of 1 outstanding virtual bids $1,000.00" in virtual.formula
    basis = json.loads(computation.acl_basis_json)
    assert basis["ucl"]["rating_percent"] == "1.5"
    assert basis["formula"].endswith("= $1,550,000.00")


def test_a_component_without_a_provider_counts_zero_and_says_so(world: CreditWorld) -> None:
    computation = _recompute(world)
    unpaid = next(c for c in computation.components if c.code == "UNPAID_INVOICES")
    assert (unpaid.provided, unpaid.amount_usd) == (False, 0)
    assert unpaid.formula.startswith("not provided yet: settlement")
    virtual = next(c for c in computation.components if c.code == "VIRTUAL_BID_EXPOSURE")
    assert virtual.provided and virtual.provider == "credit.virtual_exposure"


def test_a_second_provider_for_a_component_is_refused() -> None:
    registry = EalProviderRegistry()
    registry.register(EalComponentCode.ESTIMATED_FEES, fixed_provider("1"), name="a")
    with pytest.raises(ValueError, match="already has a provider: a"):
        registry.register(EalComponentCode.ESTIMATED_FEES, fixed_provider("2"), name="b")
    assert EAL_PROVIDERS.provider_for(EalComponentCode.ESTIMATED_FEES) is None


def test_available_credit_is_acl_minus_eal_including_reservations_since(
    world: CreditWorld,
) -> None:
    with providers(UNPAID_INVOICES=fixed_provider("50000")):
        _recompute(world)
        # After the computation: ACL 1,550,000 − (50,000 + 20,000.01) = 1,479,999.99.
        _reserve(world, "20000.01", "VB-1")
        view = credit_overview(
            world.session, world.trader, world.coordinator.id, PARAMS, pacific_noon(JULY_1)
        )
    assert view.eal_usd == Decimal("70000.01")
    assert view.available_credit_usd == Decimal("1479999.99")


def test_cleared_virtual_positions_stay_in_the_eal_until_their_statement(
    world: CreditWorld,
) -> None:
    _reserve(world, "1000.00", "VB-1")
    _reserve(world, "500.00", "VB-2")
    _reserve(world, "250.00", "VB-3")
    release_credit(world.session, world.scid.code, "VB-3", "cancelled before close")
    # VB-1 and VB-2 clear into one position of 24 MW × $50 = $1,200.00.
    record_cleared_virtual_position(
        world.session,
        world.scid.code,
        "POS-2020-07-02",
        Decimal("1200.00"),
        date(2020, 7, 2),
        cleared_bids=["VB-1", "VB-2"],
    )
    virtual = next(c for c in _recompute(world).components if c.code == "VIRTUAL_BID_EXPOSURE")
    assert virtual.amount_usd == Decimal("1200.00")
    assert json.loads(virtual.inputs_json)["cleared_virtual_positions"] == 1
    assert release_cleared_positions(world.session, date(2020, 7, 2), "initial statement") == 1
    assert _recompute(world).eal_usd == 0


def test_recompute_all_covers_every_certified_or_suspended_sc(world: CreditWorld) -> None:
    computations = recompute_all(
        world.session,
        trigger=EalTrigger.MARKET_RUN,
        as_of=JULY_1,
        parameters=PARAMS,
        clock=pacific_noon(JULY_1),
    )
    computed = {c.scheduling_coordinator_id for c in computations}
    assert world.coordinator.id in computed
    assert all(c.trigger == EalTrigger.MARKET_RUN for c in computations)
