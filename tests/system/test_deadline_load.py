"""The last 15 minutes before the day-ahead close, at ten times the normal bid rate.

Normal rate: a market the size of the California ISO receives about 2,000
day-ahead bid sets a day (docs/deployment.md). Even if every one of them came
in the last 15 minutes before the close, that is 2,000 / 900 s ≈ 2.2 bid sets
a second; ten times that is the load here. Bid sets (24 hours of ten segments,
about 7 KB each) arrive open-loop at that rate, as SCs would send them
whatever the server's speed, at ``gridmarket serve --workers 2`` on
PostgreSQL with its clock 14 minutes before the close; each latency is
counted from the moment the bid was due to be sent, so a slow server cannot
hide its queue. Forty bids sent one by one first warm the server up, as it
would be before a close. Throughput, p50/p99 latency and the error rate are
printed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from tests.system.conftest import TRADE_DATE, SeededMarket, market_copy

from gridmarket.bidding.models import BidSubmission
from gridmarket.calendar import MarketCalendar
from gridmarket.db.engine import make_engine, make_session_factory
from gridmarket.demo.load import BidRequest, all_listening, running_server, serve_arguments

pytestmark = pytest.mark.system

CAISO_DAY_AHEAD_BID_SETS = 2000
LAST_MINUTES = 15
NORMAL_PER_SECOND = CAISO_DAY_AHEAD_BID_SETS / (LAST_MINUTES * 60)
RATE_PER_SECOND = 10 * NORMAL_PER_SECOND
SECONDS = 30
MAX_ERROR_SHARE = 0.001
MAX_P99_SECONDS = 0.5
CLOSE_AHEAD = timedelta(minutes=14)
WARM_UP_BIDS = 40
"""Sent one at a time before the measurement, as a server is warm before the close."""


@dataclass(frozen=True)
class Answer:
    status: int
    latency: float
    """Seconds from when the bid was due to be sent to its answer."""


@pytest.fixture(scope="module")
def database(seeded_market: SeededMarket) -> Iterator[str]:
    with market_copy(seeded_market, "_deadline") as url:
        yield url


async def _send(client: httpx.AsyncClient, request: BidRequest, due: float) -> Answer:
    try:
        response = await client.post(
            "/api/v1/bids", content=request.body,
            headers={"Authorization": f"Bearer {request.token}",
                     "Content-Type": "application/json"})
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    return Answer(status, time.perf_counter() - due)


async def _open_loop(base_url: str, requests: list[BidRequest], rate: float,
                     seconds: float) -> tuple[list[Answer], float]:
    count = round(rate * seconds)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:
        for request in requests[:WARM_UP_BIDS]:
            await _send(client, request, time.perf_counter())
        start = time.perf_counter()
        tasks = []
        for n in range(count):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(_send(client, requests[n % len(requests)], due)))
        answers = await asyncio.gather(*tasks)
        return list(answers), time.perf_counter() - start


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_ten_times_the_normal_rate_before_the_close_is_answered_in_time(
        seeded_market: SeededMarket, database: str, capsys: pytest.CaptureFixture[str]) -> None:
    clock = MarketCalendar().dam_close(TRADE_DATE) - CLOSE_AHEAD
    env = {"GRIDMARKET_DATABASE_URL": database, "GRIDMARKET_FIXED_CLOCK": clock.isoformat()}
    with running_server(serve_arguments(workers=2), env, ready=all_listening(2)) as server:
        answers, elapsed = asyncio.run(_open_loop(
            server.base_url, seeded_market.market.requests, RATE_PER_SECOND, SECONDS))
    created = [a for a in answers if a.status == 201]
    errors = len(answers) - len(created)
    latencies = [a.latency for a in answers]
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    with capsys.disabled():
        print(f"\nlast {LAST_MINUTES} minutes before the DAM close at 10x the normal rate "
              f"({RATE_PER_SECOND:.1f} bid sets/s for {SECONDS} s): {len(answers)} sent, "
              f"{len(created) / elapsed:.1f} accepted/s, p50 {p50 * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms, errors {errors} ({errors / len(answers):.2%})")
    engine = make_engine(database)
    try:
        with make_session_factory(engine)() as session:
            stored = session.scalar(select(func.count()).select_from(BidSubmission))
    finally:
        engine.dispose()
    assert stored == len(created) + WARM_UP_BIDS
    assert errors / len(answers) < MAX_ERROR_SHARE
    assert p99 < MAX_P99_SECONDS
