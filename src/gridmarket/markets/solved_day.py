"""What a run solved, as arrays over its periods, and how to map them back to names.

A :class:`SolvedDay` holds the result arrays a run publishes: one IFM/RUC
result, or the real-time intervals stacked one after the other (with the
intervals that carried the last valid result forward flagged). A
:class:`PublicationMap` says which resource, SCID, bus, node and instant each
row and period is; it is stored with the input so that a replay publishes
exactly the same rows.

Example::

    day = SolvedDay.from_result(result)
    day.lmp.shape  # (bus, period)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np

from gridmarket.clearing import ClearingInput, ClearingResult
from gridmarket.markets.bid_case import MarketCase


@dataclass(frozen=True)
class PublicationMap:
    """Names of every row and period of a run's input (JSON-serialisable)."""

    interval_start_utc: list[str]
    interval_minutes: int
    unit_scid: dict[str, str]
    demand_resource: list[str]
    """Per demand row: its load resource."""
    load_scid: dict[str, str]
    virtual_rows: list[tuple[int, str, str, bool]]
    """Per virtual row: (bid id, SCID, location, is supply)."""
    storage_scid: dict[str, str]
    bus_node: dict[str, str]
    is_variable: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, case: MarketCase) -> PublicationMap:
        return cls(
            interval_start_utc=[t.isoformat() for t in case.interval_start_utc],
            interval_minutes=case.interval_minutes,
            unit_scid=dict(case.unit_scid),
            demand_resource=[row.resource_id for row in case.demand_rows],
            load_scid=dict(case.load_scid),
            virtual_rows=[(r.bid_id, r.scid, r.location, r.is_supply) for r in case.virtual_rows],
            storage_scid=dict(case.storage_scid),
            bus_node=dict(case.bus_node),
            is_variable=dict(case.is_variable),
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PublicationMap:
        raw = json.loads(text)
        raw["virtual_rows"] = [tuple(row) for row in raw["virtual_rows"]]
        return cls(**raw)

    def instants(self) -> list[datetime]:
        return [datetime.fromisoformat(t) for t in self.interval_start_utc]


@dataclass(frozen=True, eq=False)
class SolvedDay:
    """Result arrays of a run over all its periods."""

    commitment: np.ndarray
    startup: np.ndarray
    output_mw: np.ndarray
    reserve_award_mw: np.ndarray
    """``(unit, period, product)``."""
    demand_served_mw: np.ndarray
    virtual_award_mw: np.ndarray
    storage_net_mw: np.ndarray
    """Discharge minus charge ``(storage, period)``."""
    smec: np.ndarray
    """``(period,)``."""
    mcc: np.ndarray
    mcl: np.ndarray
    reserve_price: np.ndarray
    """``(product, zone, period)``."""
    carried_forward: np.ndarray
    """``(period,)``: the period repeats the last valid result."""
    branch_flow_mw: np.ndarray
    """``(branch, period)``, from bus to bus positive."""
    branch_shadow_usd_per_mwh: np.ndarray
    """``(branch, period)``: the branch row's dual per hour (zero where it did not bind)."""

    @classmethod
    def from_result(cls, result: ClearingResult) -> SolvedDay:
        s, p = result.schedules, result.prices
        return cls(
            commitment=s.commitment,
            startup=s.startup,
            output_mw=s.output_mw,
            reserve_award_mw=s.reserve_award_mw,
            demand_served_mw=s.demand_served_mw,
            virtual_award_mw=s.virtual_award_mw.sum(axis=2),  # (bid, period, segment)
            storage_net_mw=s.storage_discharge_mw - s.storage_charge_mw,
            smec=p.smec_usd_per_mwh,
            mcc=p.mcc_usd_per_mwh,
            mcl=p.mcl_usd_per_mwh,
            reserve_price=p.reserve_usd_per_mw,
            carried_forward=np.zeros(p.smec_usd_per_mwh.size, dtype=bool),
            branch_flow_mw=s.branch_flow_mw,
            branch_shadow_usd_per_mwh=branch_shadow_prices(result),
        )

    def first_period(self) -> SolvedDay:
        return SolvedDay(
            commitment=self.commitment[:, :1], startup=self.startup[:, :1],
            output_mw=self.output_mw[:, :1], reserve_award_mw=self.reserve_award_mw[:, :1],
            demand_served_mw=self.demand_served_mw[:, :1],
            virtual_award_mw=self.virtual_award_mw[:, :1],
            storage_net_mw=self.storage_net_mw[:, :1], smec=self.smec[:1], mcc=self.mcc[:, :1],
            mcl=self.mcl[:, :1], reserve_price=self.reserve_price[:, :, :1],
            carried_forward=self.carried_forward[:1],
            branch_flow_mw=self.branch_flow_mw[:, :1],
            branch_shadow_usd_per_mwh=self.branch_shadow_usd_per_mwh[:, :1])

    @classmethod
    def stack(cls, intervals: list[ClearingResult], carried: list[bool]) -> SolvedDay:
        """Interval results one after the other (``carried[k]``: interval ``k`` repeats).

        Only each result's first period is kept: the binding interval of a
        look-ahead window (its later periods are advisory).
        """
        days = [cls.from_result(r).first_period() for r in intervals]
        return cls(
            commitment=np.concatenate([d.commitment for d in days], axis=1),
            startup=np.concatenate([d.startup for d in days], axis=1),
            output_mw=np.concatenate([d.output_mw for d in days], axis=1),
            reserve_award_mw=np.concatenate([d.reserve_award_mw for d in days], axis=1),
            demand_served_mw=np.concatenate([d.demand_served_mw for d in days], axis=1),
            virtual_award_mw=np.concatenate([d.virtual_award_mw for d in days], axis=1),
            storage_net_mw=np.concatenate([d.storage_net_mw for d in days], axis=1),
            smec=np.concatenate([d.smec for d in days]),
            mcc=np.concatenate([d.mcc for d in days], axis=1),
            mcl=np.concatenate([d.mcl for d in days], axis=1),
            reserve_price=np.concatenate([d.reserve_price for d in days], axis=2),
            carried_forward=np.asarray(carried, dtype=bool),
            branch_flow_mw=np.concatenate([d.branch_flow_mw for d in days], axis=1),
            branch_shadow_usd_per_mwh=np.concatenate(
                [d.branch_shadow_usd_per_mwh for d in days], axis=1),
        )


def branch_shadow_prices(result: ClearingResult) -> np.ndarray:
    """``(branch, period)`` shadow prices of the branch rows that bound, zero elsewhere."""
    branch_ids = result.input.network.branch_ids.tolist()
    shadow = np.zeros((len(branch_ids), result.input.periods.count))
    position = {branch: k for k, branch in enumerate(branch_ids)}
    rows = result.binding_constraints.filter(family="branch")
    for element, period, price in rows.select("element", "period", "shadow_price").iter_rows():
        shadow[position[element], period] = price
    return shadow


def aggregated_parts(inp: ClearingInput, day: SolvedDay) -> tuple[np.ndarray, np.ndarray]:
    """Congestion and loss parts of each aggregated node ``(node, period)`` (weighted averages)."""
    if inp.aggregated_nodes is None:
        empty = np.zeros((0, day.smec.size))
        return empty, empty
    weight = inp.aggregated_nodes.weight
    return weight @ day.mcc, weight @ day.mcl
