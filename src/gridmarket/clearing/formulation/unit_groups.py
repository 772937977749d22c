"""Identical units at one bus, committed as one integer count instead of one binary each.

Units with the same offers, limits, costs and initial state at the same bus are
interchangeable: which of them is on does not matter, only how many. The
commitment MIP therefore sees one unit per group with ``u ∈ {0 … size}``, and
every per-unit number (Pmin, Pmax, segment widths, reserve limits, costs)
multiplies that count. This removes the symmetry between the copies (the MIP
no longer explores equivalent permutations) and shrinks the model.

Only units whose rows are homogeneous in the count are grouped: no ramp rows
and no start-up or shut-down capability rows (an hourly RTS-GMLC peaker ramps
its whole range within the hour). Then any total in ``[Pmin·u, Pmax·u]`` splits
evenly over the ``u`` units that are on, and the aggregated minimum up/down rows
``Σ v ≤ u``, ``Σ w ≤ size − u`` are exactly what a schedule per unit needs
(Knueven, Ostrowski & Watson, 2018): :func:`split_commitment` recovers one,
starting the unit that has been off longest and stopping the one on longest.

Example::

    >>> from gridmarket.clearing.inputs import UnitOffers, Periods
    >>> units = UnitOffers.create(["CT1", "CT2", "ST"], ["A", "A", "A"], 2,
    ...     p_max_mw=[50.0, 50.0, 80.0], p_min_mw=10.0, offer_mw=[[40.0], [40.0], [70.0]],
    ...     offer_price_usd_per_mwh=[[30.0], [30.0], [20.0]], min_load_cost_usd_per_h=100.0)
    >>> groups = identical_units(units, Periods.uniform(2, 60))
    >>> groups.size.tolist(), groups.group.tolist()
    ([2, 1], [0, 0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from gridmarket.clearing.formulation.units import commitment_free, ramp_mw, start_stop_mw
from gridmarket.clearing.inputs import Periods, UnitOffers
from gridmarket.clearing.inputs._checks import BoolArray, IntArray


@dataclass(frozen=True)
class UnitGroups:
    """Which group each unit is in, the unit standing for each group, and group sizes."""

    group: IntArray
    """``(unit,)`` group index of every unit."""
    first: IntArray
    """``(group,)`` the first unit of each group (its data stands for the group)."""
    size: IntArray
    """``(group,)`` how many units the group has."""

    @property
    def merges_any(self) -> bool:
        return bool(self.size.size and self.size.max() > 1)


def identical_units(units: UnitOffers, periods: Periods) -> UnitGroups:
    """Group identical units at the same bus whose commitment can be counted."""
    n = units.n_units
    ramp_up, ramp_down = ramp_mw(units, periods)
    su, sd = start_stop_mw(units)
    p_cap = units.p_max_mw.max(axis=1, keepdims=True)
    countable = ((ramp_up >= p_cap).all(axis=1) & (ramp_down >= p_cap).all(axis=1)
                 & (su >= units.p_max_mw).all(axis=1) & (sd >= units.p_max_mw).all(axis=1)
                 & ~commitment_free(units, periods))
    numbers = [np.asarray(getattr(units, f.name), dtype=np.float64).reshape(n, -1)
               for f in fields(units) if f.name not in ("unit_ids", "bus_ids",
                                                        "self_schedule_type")]
    _, bus = np.unique(units.bus_ids, return_inverse=True)
    _, kind = np.unique(units.self_schedule_type, return_inverse=True)
    # A unit that cannot be counted keys on its own index: a group of one.
    alone = np.where(countable, -1, np.arange(n))
    key = np.concatenate([alone[:, None], bus[:, None], kind[:, None], *numbers], axis=1)
    key = np.where(np.isinf(key), np.sign(key) * 1e300, key)  # unique() needs finite
    _, first, group = np.unique(key, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # number groups in the order units appear
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    group = rank[group.reshape(-1)]
    return UnitGroups(group=group, first=first[order],
                      size=np.bincount(group, minlength=order.size))


def group_units(units: UnitOffers, groups: UnitGroups) -> UnitOffers:
    """One unit per group, with the data of the group's first unit (per-unit numbers)."""
    first = groups.first
    return replace(units, **{f.name: np.asarray(getattr(units, f.name))[first]
                             for f in fields(units)})


def split_commitment(units: UnitOffers, groups: UnitGroups, count: IntArray) -> BoolArray:
    """Per-unit commitment ``(unit, period)`` from the count on in each group ``(group, period)``.

    A group starting units starts those off longest; one stopping units stops
    those on longest, so minimum up and down times hold unit by unit.
    """
    n, nt = groups.group.size, count.shape[1]
    on = units.initial_on.copy()
    # Signed time in state: +periods on, −periods off (ties: the lower index first).
    age = np.where(on, 1, -1) * (units.initial_periods_in_state.astype(np.int64) + 1)
    commitment = np.zeros((n, nt), dtype=bool)
    for t in range(nt):
        change = count[:, t] - np.bincount(groups.group, weights=on, minlength=groups.size.size)
        change = np.rint(change).astype(np.int64)[groups.group]
        # Rank units within their group: off units by time off, on units by time on.
        order = np.lexsort((np.arange(n), -np.abs(age), on, groups.group))
        position = np.empty(n, dtype=np.int64)
        group_start = np.searchsorted(groups.group[order], groups.group[order], side="left")
        off_count = np.bincount(groups.group, weights=~on, minlength=groups.size.size)
        position[order] = np.arange(n) - group_start
        rank_off = position  # off units come first within a group (on sorts False first)
        rank_on = position - off_count[groups.group].astype(np.int64)
        starting = ~on & (change > 0) & (rank_off < change)
        stopping = on & (change < 0) & (rank_on < -change)
        on = (on | starting) & ~stopping
        age = np.where(starting | stopping, np.where(on, 1, -1),
                       age + np.sign(age))
        commitment[:, t] = on
    return commitment
