"""Replay a stored run: solve its stored input again and compare with what was published.

The stored input (with its publication map and, in real time, the
commitment) is solved by the same engine path as the run: the IFM (and RUC)
with :func:`~gridmarket.clearing.clear_day_ahead`, real time interval by
interval with :func:`~gridmarket.markets.realtime_dispatch.dispatch_day`.
The rows it would publish, rounded to 1e-6 (:mod:`~gridmarket.markets.publication`),
are compared with

* the result digest recorded when the run was published, and
* the rows actually stored now (so a row edited afterwards is found).

The report is *identical* when the input's SHA-256 still matches, the replay
digest equals the recorded digest and the stored rows hash to it too;
otherwise it lists the first differing rows.

Example::

    report = replay_run(session, 42)
    report.identical, report.differences[:3]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.clearing import clear_day_ahead
from gridmarket.errors import Conflict, NotFound
from gridmarket.markets.input_store import sha256, unpack_input
from gridmarket.markets.publication import TABLE_FIELDS, PublishedRows, published_rows
from gridmarket.markets.realtime_dispatch import dispatch_day
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus
from gridmarket.markets.runs import (
    COMMITMENT_EXTRA,
    INITIAL_OUTPUT_EXTRA,
    LOOKAHEAD_EXTRA,
    MAP_EXTRA,
    TABLE_MODELS,
)
from gridmarket.markets.solved_day import PublicationMap, SolvedDay

MAX_DIFFERENCES = 20


@dataclass(frozen=True)
class ReplayReport:
    """How a replay compares with the run as published."""

    run_id: int
    market: str
    input_intact: bool
    recorded_digest: str
    replay_digest: str
    stored_digest: str
    rows_compared: int
    differences: list[str] = field(default_factory=list)
    """The first differing rows, ``- stored`` / ``+ replayed``, in canonical form."""

    @property
    def identical(self) -> bool:
        return (self.input_intact and self.replay_digest == self.recorded_digest
                and self.stored_digest == self.recorded_digest)


def replay_rows(run: MarketRun) -> PublishedRows:
    """Solve the run's stored input again and return the rows it publishes."""
    if run.input_blob is None:
        raise Conflict(f"run {run.id} has no stored input to replay", field="run_id")
    inp, extras = unpack_input(run.input_blob)
    mapping = PublicationMap.from_json(str(extras[MAP_EXTRA]))
    if run.market in (MarketKind.FMM, MarketKind.RTD):
        lookahead = int(extras.get(LOOKAHEAD_EXTRA, 1))
        outcome = dispatch_day(inp, extras[COMMITMENT_EXTRA], extras[INITIAL_OUTPUT_EXTRA],
                               lookahead=lookahead)
        return published_rows(inp, mapping, outcome.day, dispatch=True)
    result = clear_day_ahead(inp)
    return published_rows(inp, mapping, SolvedDay.from_result(result),
                          prices=run.market is not MarketKind.RUC)


def stored_rows(session: Session, run_id: int) -> PublishedRows:
    """The rows stored for ``run_id`` now, in the form :class:`PublishedRows` digests."""
    rows = PublishedRows()
    for table, model in TABLE_MODELS.items():
        columns = [getattr(model, name) for name in TABLE_FIELDS[table]]
        rows.tables[table] = [
            dict(zip(TABLE_FIELDS[table], values, strict=True))
            for values in session.execute(select(*columns).where(model.run_id == run_id))
        ]
    return rows


def _differences(stored: PublishedRows, replayed: PublishedRows) -> list[str]:
    old, new = set(stored.lines()), set(replayed.lines())
    lines = [f"- {line}" for line in sorted(old - new)] + [f"+ {line}" for line in
                                                           sorted(new - old)]
    return sorted(lines, key=lambda text: (text[2:], text[0]))[:MAX_DIFFERENCES]


def replay_run(session: Session, run_id: int) -> ReplayReport:
    """Re-solve run ``run_id`` from its stored input and compare (see the module description)."""
    run = session.get(MarketRun, run_id)
    if run is None:
        raise NotFound(f"no market run {run_id}", field="run_id")
    if run.status is not RunStatus.COMPLETED or run.result_sha256 is None:
        raise Conflict(f"run {run_id} is {run.status.value.lower()}: only a completed run "
                       "has published results to compare", field="run_id")
    assert run.input_blob is not None
    replayed = replay_rows(run)
    stored = stored_rows(session, run_id)
    return ReplayReport(
        run_id=run.id,
        market=run.market.value,
        input_intact=sha256(run.input_blob) == run.input_sha256,
        recorded_digest=run.result_sha256,
        replay_digest=replayed.digest(),
        stored_digest=stored.digest(),
        rows_compared=replayed.count,
        differences=_differences(stored, replayed),
    )


def report_json(report: ReplayReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "run_id": report.run_id,
        "market": report.market,
        "identical": report.identical,
        "input_intact": report.input_intact,
        "recorded_digest": report.recorded_digest,
        "replay_digest": report.replay_digest,
        "stored_digest": report.stored_digest,
        "rows_compared": report.rows_compared,
        "differences": report.differences,
    }


def dumps(report: ReplayReport) -> str:
    return json.dumps(report_json(report), indent=2)
