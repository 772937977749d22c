"""Small synthetic systems with hand-solvable answers, for examples, tests and demos."""

from __future__ import annotations

from gridmarket.clearing.inputs import ClearingInput, DemandBids, Network, Periods, UnitOffers


def two_bus_system(
    *,
    limit_mw: float = 100.0,
    demand_mw: float = 150.0,
    cheap_usd_per_mwh: float = 10.0,
    dear_usd_per_mwh: float = 30.0,
    n_periods: int = 1,
    reference_at_load: bool = True,
    resistance_pu: float = 0.0,
) -> ClearingInput:
    """A cheap unit at bus A, a dear one and the load at bus B, one line A→B.

    With the line limit below the demand, the line congests: the LMP at A is the
    cheap offer, at B the dear one. The load-distributed reference sits at the
    load (bus B) unless ``reference_at_load`` is false (then bus A is the reference).

    Example::

        >>> inp = two_bus_system(limit_mw=80.0)
        >>> inp.network.limit_mw.tolist(), inp.demand.fixed_mw.tolist()
        ([80.0], [[150.0]])
    """
    network = Network.create(
        ["A", "B"],
        load_weights=[0.0, 1.0] if reference_at_load else [1.0, 0.0],
        branches=[("AB", "A", "B", 0.1, limit_mw)],
        resistance_pu=resistance_pu,
    )
    units = UnitOffers.create(
        ["G_A", "G_B"], ["A", "B"], n_periods,
        p_max_mw=200.0,
        offer_mw=[[200.0], [200.0]],
        offer_price_usd_per_mwh=[[cheap_usd_per_mwh], [dear_usd_per_mwh]],
    )
    demand = DemandBids.create(["LOAD_B"], ["B"], n_periods, fixed_mw=demand_mw)
    return ClearingInput(network=network, periods=Periods.uniform(n_periods, 60),
                         units=units, demand=demand)
