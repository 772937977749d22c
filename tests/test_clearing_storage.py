"""Storage: charge in cheap hours, discharge in dear ones, state of charge within limits."""

import numpy as np
import pytest

from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    Storage,
    UnitOffers,
    clear_day_ahead,
)

DEMAND = [30.0, 30.0, 80.0, 80.0]


def _clear(storage):
    # $10 energy up to 60 MW, then $50: LMP 10 in the first two hours, 50 after.
    # Both units stay on, so the pricing run always has a marginal unit.
    units = UnitOffers.create(["CHEAP", "DEAR"], ["A", "A"], 4, p_max_mw=[60.0, 200.0],
                              offer_mw=[[60.0], [200.0]],
                              offer_price_usd_per_mwh=[[10.0], [50.0]],
                              must_run=True)
    inp = ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(4, 60),
                        units=units, demand=DemandBids.create(["L"], ["A"], 4,
                                                              fixed_mw=[DEMAND]),
                        storage=storage)
    result = clear_day_ahead(inp)
    assert result.consistency.ok, result.consistency.summary()
    return result


def _battery(**kwargs):
    args = dict(charge_max_mw=20.0, discharge_max_mw=20.0, energy_max_mwh=40.0,
                charge_efficiency=0.9, discharge_efficiency=0.9)
    args.update(kwargs)
    return Storage.create(["BESS"], ["A"], 4, **args)


def test_storage_charges_in_cheap_hours_and_discharges_in_dear_ones():
    result = _clear(_battery())
    s = result.schedules
    assert s.storage_charge_mw[0] == pytest.approx([20.0, 20.0, 0.0, 0.0])
    # 40 MWh drawn stores 36 MWh, which returns 36 × 0.9 = 32.4 MWh over two hours.
    # Both dear hours have the same price, so any split of the 32.4 MWh is optimal.
    assert s.storage_discharge_mw[0, :2] == pytest.approx([0.0, 0.0])
    assert s.storage_discharge_mw[0, 2:].sum() == pytest.approx(32.4)
    assert s.storage_energy_mwh[0, :2] == pytest.approx([18.0, 36.0])
    assert s.storage_energy_mwh[0, -1] == pytest.approx(0.0, abs=1e-9)
    assert result.prices.lmp_usd_per_mwh[0] == pytest.approx([10.0, 10.0, 50.0, 50.0])


def test_state_of_charge_never_exceeds_the_energy_limit():
    result = _clear(_battery(energy_max_mwh=25.0))
    energy = result.schedules.storage_energy_mwh[0]
    assert energy.max() == pytest.approx(25.0)
    assert np.all(energy >= -1e-9)
    assert result.schedules.storage_charge_mw[0, :2].sum() * 0.9 == pytest.approx(25.0)


def test_storage_ends_at_its_final_energy_requirement():
    result = _clear(_battery(final_energy_min_mwh=10.0))
    assert result.schedules.storage_energy_mwh[0, -1] == pytest.approx(10.0)


def test_storage_does_not_cycle_when_the_spread_does_not_cover_losses():
    # Buying at $10 to sell at $50 needs η² > 10/50; with η = 0.4 (η² = 0.16) it stays idle.
    result = _clear(_battery(charge_efficiency=0.4, discharge_efficiency=0.4))
    assert result.schedules.storage_charge_mw.sum() == pytest.approx(0.0)


def test_storage_discharges_only_above_its_offer_price():
    result = _clear(_battery(discharge_price_usd_per_mwh=60.0))
    assert result.schedules.storage_discharge_mw.sum() == pytest.approx(0.0)
    assert result.schedules.storage_charge_mw.sum() == pytest.approx(0.0)
