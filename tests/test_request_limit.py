"""Many requests at once never starve each other of threads and pooled connections."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import anyio.to_thread
import httpx
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import committed, migrated

from gridmarket.access.models import Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings

REQUESTS = 24


def test_more_requests_than_connections_and_threads_all_complete(
    tmp_path: Path, access_world_factory: Callable[[Session], AccessWorld],
    access_parameters: MarketParameters,
) -> None:
    url = migrated(f"sqlite:///{tmp_path / 'limit.sqlite'}")
    with committed(url) as session:
        world = access_world_factory(session)
        organisation, [scid] = world.scheduling_coordinator()
        trader = world.person(organisation, Role.TRADER, scids=(scid,))
        headers = {"Authorization": f"Bearer {world.api_token(trader)}"}
    # A small pool with a short timeout: starvation would show as errors, not as a hang.
    app = create_app(Settings(database_url=url, market=access_parameters, database_pool_size=2,
                              database_pool_overflow=0, database_pool_timeout_seconds=3))
    app.state.clock = FixedClock(world.clock.now())

    async def many() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 4
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            responses = await asyncio.gather(*(
                client.get("/api/v1/bids", headers=headers,
                           params={"scid": scid.code, "trade_date": "2020-07-15"})
                for _ in range(REQUESTS)))
        return [r.status_code for r in responses]

    assert asyncio.run(many()) == [200] * REQUESTS
