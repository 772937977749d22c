"""Golden results: the engine and the store give exactly what the engine gave before the rewrite.

The settlement engine was rewritten for speed (integer keys, one lazy plan, bulk
inserts). Before touching it, the old engine (Polars, eager, string keys; the
commit before the rewrite) was run on the cases below and each result reduced
to a SHA-256 of its canonical text: every statement line with every column
(quantity, price, amount in cents, unrounded amount, intervals, determinants
JSON), the pools, the missing reads and the interval detail behind the lines;
for the stored case, every stored statement, line and ledger posting and the
decoded Parquet detail. The digests are frozen here: a changed cent, digit or
determinant anywhere changes a digest.

Cases: the benchmark's generated market (``benchmarks/bench_settlement.build``,
numpy seed 42) at 100 resources × 3 trade dates including the 25-hour DST day
2020-11-01 (the first of the month: SCID charges too), the same with 2 % of the
meter reads missing and 1 % estimated (``use_expected``), and the random test
days of ``tests/settlement/day.py`` (spring and autumn DST days, several
seeds). A digest mismatch prints the per-part digests, so the part that moved
(lines, pools, detail) is named.
"""

from __future__ import annotations

import hashlib
import io
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from benchmarks.bench_settlement import build
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.settlement.day import MarketDay

from gridmarket.clock import FixedClock
from gridmarket.settlement.engine import KEY, LINE_COLUMNS, EngineParameters, settle
from gridmarket.settlement.inputs import SettlementInputs
from gridmarket.settlement.models import (
    LedgerJournalEntry,
    LedgerPosting,
    SettlementRun,
    SettlementRunDetail,
    SettlementStatement,
    SettlementStatementLine,
)
from gridmarket.settlement.store import StatementOptions, store_result

PARAMS = EngineParameters(Decimal("0.005"), Decimal("1000"))
EXPECTED = EngineParameters(Decimal("0.005"), Decimal("1000"), missing_meter="use_expected")
BENCH_DAYS = [date(2020, 11, 1), date(2020, 11, 2), date(2020, 11, 3)]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _frame_text(frame: pl.DataFrame) -> str:
    """Canonical text of a frame: columns in order, rows sorted, values as text."""
    if frame.height == 0:
        return "|".join(frame.columns)
    rows = ["|".join("" if v is None else str(v) for v in row) for row in frame.rows()]
    return "|".join(frame.columns) + "\n" + "\n".join(sorted(rows))


def fingerprint(result: Any) -> dict[str, str]:
    """Per-part SHA-256 of a settlement result (lines, pools, missing reads, detail)."""
    lines = result.lines.select(LINE_COLUMNS).sort(KEY)
    parts = {"lines": _sha(_frame_text(lines)),
             "pools": _sha(repr(sorted((day, sorted((k, str(v)) for k, v in pools.items()))
                                      for day, pools in result.pools.items()))),
             "missing": _sha(_frame_text(result.missing_reads))}
    for name in sorted(result.detail):
        parts[f"detail.{name}"] = _sha(_frame_text(result.detail[name]))
    return parts


def _bench_with_gaps() -> SettlementInputs:
    """The generated market with 2 % of meter reads missing and 1 % estimated."""
    inputs = build(100, BENCH_DAYS[:2])
    meter = inputs.meter.with_row_index("n")
    meter = meter.filter(pl.col("n") % 50 != 7).with_columns(
        (pl.col("n") % 100 == 3).alias("estimated")).drop("n")
    return inputs.with_meter(meter)


def _random_days(seed: int, trade_date: date, **shape: Any) -> SettlementInputs:
    return MarketDay.random(random.Random(seed), trade_date, **shape).inputs()


CASES: dict[str, tuple[Any, EngineParameters]] = {
    "bench_100x3": (lambda: build(100, BENCH_DAYS), PARAMS),
    "bench_gaps": (_bench_with_gaps, EXPECTED),
    "day_7_jul01": (lambda: _random_days(7, date(2020, 7, 1)), PARAMS),
    "day_3_mar08": (lambda: _random_days(3, date(2020, 3, 8), units=2, loads=1), PARAMS),
    "day_3_nov01": (lambda: _random_days(3, date(2020, 11, 1), units=2, loads=1), PARAMS),
    "day_11_jul15": (lambda: _random_days(11, date(2031, 7, 15), scids=2, units=2, loads=1,
                                          virtuals=1), PARAMS),
    "day_5_dec31": (lambda: _random_days(5, date(2020, 12, 31), scids=4, units=4, loads=3,
                                         virtuals=3, trades=2), EXPECTED),
}

GOLDEN: dict[str, dict[str, str]] = {
    'bench_100x3': {
        "lines": "b87f505a46d34209afb4a49efb2afb3d8dbe2ec5494b1b117079989b7120776a",
        "pools": "56fa2bbc1ce077d818840206826026e56e2ae0e984cf5ce786b9de88a88ef5c0",
        "missing": "c3045033e2bdb0b4134b03a75f381a11f5339f1a85d27aa3852a81a2d429e6ff",
        "detail.da": "1d22c7070eeb072dbebbf4093c0868db5b434f11d62c1e95819f74dc2455ed2c",
        "detail.fmm": "7fe9feb62069940a539c9d67b7cbc594aba42503b3378aa04880502ea382b775",
        "detail.rtd": "a374d38b194f6433c9adc210a0c9ec657ad2e72c51c5290c30ec19fe6ab4764f",
        "detail.trades": "ae39ab521c892448fe05c6829a3347d4943bf9dfabd129dbb8ebb9f406f8ed26",
    },
    'bench_gaps': {
        "lines": "eaad5ecd652913dd45d678f83c9de7ef9e17e0767312913dc1684f95c8ada5c0",
        "pools": "01cdf14a7fad973740c3d911833177efc36f175a1df9eb5e54e1815209a4f744",
        "missing": "a2e87a9e14c469286f7ae8c6c7efb216a0deca3fbea31a95a90096da0b106f7d",
        "detail.da": "0ca9a03b03e0963f5964857abfe422756f44c2f1a661e9bfcf608e9e33292c96",
        "detail.fmm": "a0fa7b9555f5c063dd30507b5a645e7725dbd47852994520bb7c8391b36da25b",
        "detail.rtd": "10cb283a6c87596885db2f200ffe5b01204f16aabc1f6ec8606cc920c2565392",
        "detail.trades": "cc2358f2065f677855e8e89764093d1f75e2a0314452c673f1c530a1f796dd2e",
    },
    'day_11_jul15': {
        "lines": "4ba30051eee8c7b97f0a2e1cb18b6b48a9ba4ff365cd90d7ea462f463af091cd",
        "pools": "dfe287b9031b096b4330e75445a0bb66492481e67038aaae9d7980cec8774f9d",
        "missing": "c3045033e2bdb0b4134b03a75f381a11f5339f1a85d27aa3852a81a2d429e6ff",
        "detail.da": "d25b53a8e52ca77d857bf06180eac83d52a753183a832ccd9c0801f9db70ec30",
        "detail.fmm": "f96ef80878ab956f346d8d6187c8869f060be49c11d582a289d130dd9dc39f49",
        "detail.rtd": "3bfa30e4910fdd71ff2509fd1d708de5391c318de5f9d314f5303e224e43afdd",
        "detail.trades": "62d8aa85bef6cd59d6093f0e8e6e2f6c1bacf17b809aee97cf9d17df1af086d8",
    },
    'day_3_mar08': {
        "lines": "a09229337595db4b6ef8dd2655955559c9e04c171f5547f9c0b1d834c68c69f7",
        "pools": "7be05bae3b3b233a0d70b066a5b42c4acde540449d4375a43522db221b74449e",
        "missing": "c3045033e2bdb0b4134b03a75f381a11f5339f1a85d27aa3852a81a2d429e6ff",
        "detail.da": "840ef975cb72a6bd39a8ce2657aa5874b1adc0ee31414e66e727f3a2a3b448d0",
        "detail.fmm": "4fa3b1e75729495b834fd41ff919c786b42769f2cfd09ea11b58923b6a03e797",
        "detail.rtd": "b5043e29f1f8275f76d9fae35dceef47b9ea84adb32aab0e073f2dee0fe66310",
        "detail.trades": "1ced28d2c4b56d867b3a09d4e49738ed31fa6105f1a23be56922c9e7440cbf9b",
    },
    'day_3_nov01': {
        "lines": "7b749cde559409fd42b17991587b361f6a134e48b6e4088cc83acb83ad80f1ce",
        "pools": "a4cb3ccd0425bdcb91f8eb2dfdfaf23b53792b35b883af3624cc690c34e5d5d7",
        "missing": "c3045033e2bdb0b4134b03a75f381a11f5339f1a85d27aa3852a81a2d429e6ff",
        "detail.da": "202c473c8f5c5ac7fffc815a554eb73533aeab92f6507ac4bba428e40b25f7a2",
        "detail.fmm": "986d4643b334ee94a343d179f70daba0dd2c69be5b5e62220d37d3c77d360416",
        "detail.rtd": "2ccccbf0d3b81ec1afea89a2337f1a4a9826362a3d67e974e3383741a7bbf7d8",
        "detail.trades": "f8b84de98cd573dffe2bdaf78ede7e5ae50096f2534f8c72a35a11fddb25acc7",
    },
    'day_5_dec31': {
        "lines": "bbac98b52d043620f02854225522747786385aba3abda76b9aecdecf31ad950d",
        "pools": "817977fdac79656bae317f16cc645841ac1f781601a202121437529bbb4bcfc3",
        "missing": "c3045033e2bdb0b4134b03a75f381a11f5339f1a85d27aa3852a81a2d429e6ff",
        "detail.da": "bd7f08517cbbdb5ff66ba974804da044131d3e1314dcb3f8722c05b320a8949b",
        "detail.fmm": "fa818a6865be69bf240657550d604a7c1ea9ad3829579811fc2b41c2965dba8b",
        "detail.rtd": "7821d8aa786de36c24b1af929c619af419b64f69f989f02473d70ccc4a54025e",
        "detail.trades": "682d4e171091b86cbf50efcc160e4445729b80d579d4aa64ae507fb70acd0363",
    },
    'day_7_jul01': {
        "lines": "f08a12050a26532e0aa736578150c547e0c8afc2e2f3c51aeea17637257ebd19",
        "pools": "9b6c9dee7674d7e3b12788daa3eedf3fe15e7f5890b8955774325807ee8cd295",
        "missing": "c3045033e2bdb0b4134b03a75f381a11f5339f1a85d27aa3852a81a2d429e6ff",
        "detail.da": "87459f957837d55083d256e6bd2ea9f3c3ebb2f47312821e8bf53c5290ff24b7",
        "detail.fmm": "8ece4c736d2531e110609369535cdc9e92015d74051d150511e47cc84524336b",
        "detail.rtd": "1a7c922b013bc1acebda5601c2839d234741c9895ebcba14925524c59c4eff78",
        "detail.trades": "52120e04f15fde5cbd846db295b77e71e62164c6a8061e15c807fcdd299a0870",
    },
}
"""Filled from the old engine (see the module docstring); printed by ``_record()``."""

STORED_GOLDEN: dict[str, str] = {
    "runs": "a959c2b5b5f373761fce32e15ca0ddce92708e4f8e945c404b8efcae2a5d3110",
    "statements": "ab1c8271bc20dba872f77e6ac14099601866e1c4fa1c912782b7a318d253f961",
    "lines": "e005e3889bbe20542b55594f38a04353321ff259570440035d8ee62d44ca33dc",
    "ledger": "2c1144b92e6338ce71adc459c564488f7aa82a27cbb576b8bd9819f107bfa938",
    "detail": "8d2b26053a1d28d05c001cbc78c39a8cc51a68b3dcf601709bc73a11ac8cbf9a",
}
"""The same digests on SQLite and on PostgreSQL (recorded on both)."""


@pytest.mark.parametrize("case", sorted(CASES))
def test_engine_gives_the_recorded_results(case: str) -> None:
    make, parameters = CASES[case]
    got = fingerprint(settle(make(), parameters))
    assert got == GOLDEN[case]


@pytest.mark.parametrize("case", ["bench_100x3", "bench_gaps", "day_3_nov01"])
def test_settling_one_trade_date_at_a_time_gives_the_same_results(case: str) -> None:
    make, parameters = CASES[case]
    inputs = make()
    assert fingerprint(settle(inputs, parameters, group_resource_intervals=1)) == GOLDEN[case]
    # Two days per group leaves a last group of one day.
    per_day = inputs.rtd_dispatch.height // len(inputs.trade_dates())
    result = settle(inputs, parameters, group_resource_intervals=2 * per_day)
    assert fingerprint(result) == GOLDEN[case]
    assert result.lines["trade_date"].is_sorted()


def test_rows_outside_every_trade_date_get_the_same_answer_in_groups() -> None:
    inputs = build(20, BENCH_DAYS)
    stray = inputs.rtd_dispatch.head(1).with_columns(
        pl.lit(datetime(2019, 1, 1, tzinfo=UTC)).alias("interval_start_utc"))
    with_stray = SettlementInputs.of(**{**inputs.sources(), "rtd_dispatch": pl.concat(
        [inputs.rtd_dispatch, stray])})
    whole = settle(with_stray, PARAMS, group_resource_intervals=10**9)
    assert fingerprint(settle(with_stray, PARAMS, group_resource_intervals=1)) == \
        fingerprint(whole)


def stored_fingerprint(session: Session, run_ids: list[int]) -> dict[str, str]:
    """SHA-256 of what was stored for ``run_ids``: statements, lines, ledger, detail."""
    statements = session.scalars(select(SettlementStatement).where(
        SettlementStatement.run_id.in_(run_ids))).all()
    by_id = {s.id: s for s in statements}
    heads = sorted(f"{s.trade_date}|{s.account}|{s.account_kind}|{s.kind}|{s.version}|"
                   f"{s.total_usd}|{s.line_count}|{s.content_sha256}" for s in statements)
    lines = sorted(
        "|".join(str(v) for v in (by_id[x.statement_id].trade_date,
                                  by_id[x.statement_id].account, x.charge_code, x.component,
                                  x.subject_kind, x.subject, Decimal(x.quantity_mwh),
                                  x.price_usd_per_mwh and Decimal(x.price_usd_per_mwh),
                                  Decimal(x.amount_usd), Decimal(x.amount_unrounded_usd),
                                  x.intervals, x.determinants_json))
        for x in session.scalars(select(SettlementStatementLine).where(
            SettlementStatementLine.statement_id.in_(list(by_id)))))
    postings = sorted(
        f"{by_id[statement_id].trade_date}|{by_id[statement_id].account}|{account}|{code}|"
        f"{Decimal(amount)}"
        for statement_id, account, code, amount in session.execute(
            select(LedgerJournalEntry.statement_id, LedgerPosting.account,
                   LedgerPosting.charge_code, LedgerPosting.amount_usd)
            .join(LedgerPosting, LedgerPosting.entry_id == LedgerJournalEntry.id)
            .where(LedgerJournalEntry.statement_id.in_(list(by_id)))))
    runs = {r.id: r for r in session.scalars(select(SettlementRun).where(
        SettlementRun.id.in_(run_ids)))}
    run_heads = sorted(f"{r.trade_date}|{r.status}|{r.line_count}|{r.total_usd}|"
                       f"{r.missing_reads}|{r.pools_json}" for r in runs.values())
    details = sorted(
        f"{runs[run_id].trade_date}|{name}|{count}|"
        f"{_sha(_frame_text(pl.read_parquet(io.BytesIO(blob))))}"
        for run_id, name, count, blob in session.execute(
            select(SettlementRunDetail.run_id, SettlementRunDetail.name,
                   SettlementRunDetail.row_count, SettlementRunDetail.parquet)
            .where(SettlementRunDetail.run_id.in_(run_ids))))
    return {"runs": _sha("\n".join(run_heads)), "statements": _sha("\n".join(heads)),
            "lines": _sha("\n".join(lines)), "ledger": _sha("\n".join(postings)),
            "detail": _sha("\n".join(details))}


def store_bench(session: Session) -> list[int]:
    result = settle(build(100, BENCH_DAYS), PARAMS)
    clock = FixedClock(datetime(2020, 12, 1, tzinfo=UTC))
    return [store_result(session, result, trade_date=day, clock=clock,
                         options=StatementOptions(kind="initial", publication_date=day)).id
            for day in BENCH_DAYS]


def test_stored_statements_lines_ledger_and_detail_are_the_recorded_ones(
        db_session: Session) -> None:
    run_ids = store_bench(db_session)
    db_session.flush()
    assert stored_fingerprint(db_session, run_ids) == STORED_GOLDEN


def _record() -> None:  # pragma: no cover - run by hand against the old engine
    for case in sorted(CASES):
        make, parameters = CASES[case]
        print(f"    {case!r}: {fingerprint(settle(make(), parameters))!r},")


if __name__ == "__main__":  # pragma: no cover
    _record()
