"""Bids over HTTP to ``gridmarket serve --workers 2`` on PostgreSQL, with workers killed.

A client keeps 24 submissions in flight, each with its own Idempotency-Key,
while API workers are killed with SIGKILL 20 times; a request cut off by a
dead worker (or refused while none listens) is sent again with the same key,
as a real client would. Afterwards every acknowledged submission is stored
exactly once and the audit chain is intact. And ten copies of one request
sent at once store one submission.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.system.conftest import SeededMarket, market_copy

from gridmarket.access.audit import verify_audit_chain
from gridmarket.access.models import AuditEntry
from gridmarket.bidding.models import Bid, BidSubmission
from gridmarket.db.engine import make_engine, make_session_factory
from gridmarket.demo.load import (
    BidRequest,
    RunningServer,
    all_listening,
    running_server,
    serve_arguments,
    wait_for,
)

pytestmark = pytest.mark.system

SUBMISSIONS = 1000
KILLS = 20
CONCURRENCY = 24
ACKNOWLEDGED_BETWEEN_KILLS = 40
"""A worker is killed only after this many answers since the last kill: the load moves on."""
IN_FLIGHT_AT_KILL = 8
"""... and only while at least this many requests are in flight."""
RETRY_PAUSE_SECONDS = 0.05
REFUSED_PAUSE_SECONDS = 0.25
"""No worker listens: wait for one to start (and leave it the processor to start with)."""
LOAD_SECONDS = 240
SAME_REQUESTS = 10


@dataclass
class Served:
    server: RunningServer
    database_url: str
    market: SeededMarket


@pytest.fixture(scope="module")
def served(seeded_market: SeededMarket) -> Iterator[Served]:
    """``gridmarket serve --workers 2`` on a copy of the seeded market, clock before DAM close."""
    env = {"GRIDMARKET_FIXED_CLOCK": seeded_market.market.clock.isoformat()}
    with market_copy(seeded_market, "_intake") as url, running_server(
            serve_arguments(workers=2), {**env, "GRIDMARKET_DATABASE_URL": url},
            ready=all_listening(2)) as server:
        yield Served(server, url, seeded_market)


def _headers(request: BidRequest, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {request.token}", "Idempotency-Key": key,
            "Content-Type": "application/json"}


def _stored(database_url: str, key_prefix: str) -> dict[str, tuple[int, int]]:
    """Submissions whose key starts with ``key_prefix``: key -> (submission id, bids)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(BidSubmission.idempotency_key, BidSubmission.id, func.count(Bid.id))
                .outerjoin(Bid, Bid.submission_id == BidSubmission.id)
                .where(BidSubmission.idempotency_key.startswith(key_prefix))
                .group_by(BidSubmission.idempotency_key, BidSubmission.id)).all()
    finally:
        engine.dispose()
    found: dict[str, tuple[int, int]] = {}
    for key, submission_id, bids in rows:
        assert key not in found, f"key {key} stored twice"
        found[key] = (submission_id, bids)
    return found


def test_ten_copies_of_one_request_at_once_store_one_submission(served: Served) -> None:
    request = served.market.market.requests[0]

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=SAME_REQUESTS)
        async with httpx.AsyncClient(base_url=served.server.base_url, limits=limits,
                                     timeout=60) as client:
            return await asyncio.gather(*(
                client.post("/api/v1/bids", content=request.body,
                            headers=_headers(request, "same-key-ten-times"))
                for _ in range(SAME_REQUESTS)))

    responses = asyncio.run(send_all())

    assert sorted(r.status_code for r in responses) == [200] * 9 + [201], \
        [(r.status_code, r.text[:300]) for r in responses]
    for response in responses:
        replayed = response.headers.get("Idempotent-Replayed")
        assert replayed == ("true" if response.status_code == 200 else None)
    assert len({r.json()["submission_id"] for r in responses}) == 1
    assert all(r.json() == responses[0].json() for r in responses)
    stored = _stored(served.database_url, "same-key-ten-times")
    assert stored == {"same-key-ten-times": (responses[0].json()["submission_id"], 1)}


@dataclass
class Load:
    """What the client saw."""

    answers: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Idempotency key -> (status, submission id) of the answer that acknowledged it."""
    in_flight: int = 0
    cut_off: int = 0
    """Requests that failed on an open connection (the worker died) and were sent again."""
    refused: int = 0
    """Connections refused while no worker listened, sent again."""
    unexpected: list[str] = field(default_factory=list)
    in_flight_at_kills: list[int] = field(default_factory=list)


async def _submit(client: httpx.AsyncClient, request: BidRequest, key: str, load: Load) -> None:
    while True:
        load.in_flight += 1
        try:
            response = await client.post("/api/v1/bids", content=request.body,
                                         headers=_headers(request, key))
        except httpx.ConnectError:
            load.refused += 1
            await asyncio.sleep(REFUSED_PAUSE_SECONDS)
            continue
        except httpx.TransportError:
            load.cut_off += 1
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
            continue
        finally:
            load.in_flight -= 1
        if response.status_code in (200, 201):
            load.answers[key] = (response.status_code, response.json()["submission_id"])
        else:
            load.unexpected.append(f"{key}: {response.status_code} {response.text[:300]}")
        return


async def _clients(base_url: str, work: list[tuple[BidRequest, str]], load: Load) -> None:
    queue = iter(work)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def client_loop() -> None:
            for request, key in queue:
                await _submit(client, request, key, load)

        await asyncio.gather(*(client_loop() for _ in range(CONCURRENCY)))


async def _killer(server: RunningServer, load: Load) -> None:
    """Kill the longest-serving listening worker, KILLS times, each time under load."""
    started: list[int] = []  # Worker pids in the order they were first seen.
    killed: set[int] = set()
    for _ in range(KILLS):
        answered = len(load.answers)
        while True:
            # A killed worker may still be listed for the moment it takes to exit.
            listening = await asyncio.to_thread(server.listening_workers) - killed
            started.extend(sorted(pid for pid in listening if pid not in started))
            if listening and load.in_flight >= IN_FLIGHT_AT_KILL \
                    and len(load.answers) - answered >= ACKNOWLEDGED_BETWEEN_KILLS:
                break
            if len(load.answers) + len(load.unexpected) == SUBMISSIONS:
                return  # The load is over: the test reports too few kills.
            await asyncio.sleep(0.05)
        victim = next(pid for pid in started if pid in listening)
        os.kill(victim, signal.SIGKILL)
        killed.add(victim)
        load.in_flight_at_kills.append(load.in_flight)


async def _run_load(served: Served, work: list[tuple[BidRequest, str]]) -> Load:
    load = Load()
    await asyncio.wait_for(asyncio.gather(_clients(served.server.base_url, work, load),
                                          _killer(served.server, load)), LOAD_SECONDS)
    return load


def test_killed_workers_lose_and_duplicate_no_acknowledged_bid(served: Served) -> None:
    requests = served.market.market.requests
    work = [(requests[i % len(requests)], f"kill-{i:04d}") for i in range(SUBMISSIONS)]

    load = asyncio.run(_run_load(served, work))

    assert load.unexpected == []
    assert len(load.in_flight_at_kills) == KILLS, \
        f"only {len(load.in_flight_at_kills)} workers killed before the load was over"
    assert min(load.in_flight_at_kills) >= IN_FLIGHT_AT_KILL
    assert load.cut_off > 0, "no request was in progress on a killed worker"
    assert set(load.answers) == {key for _request, key in work}
    statuses = Counter(status for status, _id in load.answers.values())
    print(f"\n{KILLS} workers killed; answers {dict(statuses)}; {load.cut_off} requests cut "
          f"off and {load.refused} refused, all sent again")

    stored = _stored(served.database_url, "kill-")
    assert set(stored) == set(load.answers), "lost or unexpected submissions"
    for key, (_status, submission_id) in load.answers.items():
        assert stored[key] == (submission_id, 1), key
    ids = [submission_id for submission_id, _bids in stored.values()]
    engine = make_engine(served.database_url)
    try:
        with make_session_factory(engine)() as session:
            audited = Counter(session.scalars(
                select(AuditEntry.object_id).where(
                    AuditEntry.action == "bid.submit",
                    AuditEntry.object_id.in_([str(i) for i in ids]))))
            chain = verify_audit_chain(session)
    finally:
        engine.dispose()
    assert audited == Counter({str(i): 1 for i in ids}), "one audit entry per submission"
    assert chain.intact, chain.message()
    wait_for(lambda: len(served.server.listening_workers()) == 2, "both workers back")
