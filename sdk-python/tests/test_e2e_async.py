"""The end-to-end scenario (tests/scenario/recruiting.json) through ``AsyncClient``
(asyncio) against a live server, and what only the asyncio API can show.

Needs a live server like test_e2e.py (skipped without one, failed under
CI=true). Each test drives its coroutine with ``asyncio.run``; the native
client is not tied to one event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

import pytest
from conftest import Live
from scenario import Call, Scenario, play_async

import mismatch_recruiter as mm

# Every test needs the live server: without one it is skipped, or fails under CI.
pytestmark = pytest.mark.usefixtures("live")


async def perform(call: Call) -> Any:
    method = getattr(call.client, call.method)
    if call.paginate:
        return [item async for item in method(*call.args, **call.kwargs)]
    return await method(*call.args, **call.kwargs)


def test_recruiting_scenario(live: Live) -> None:
    scenario = Scenario(
        stamp=f"py-async-{time.time_ns()}",
        admin_key=live.admin_api_key,
        base_urls={"server": live.base_url, "flaky": live.flaky_url},
        make_client=mm.AsyncClient,
    )

    async def main() -> None:
        try:
            await play_async(scenario, perform)
        finally:
            for client in scenario.opened:
                await client.close()

    asyncio.run(main())


def test_async_with_concurrent_calls_and_async_iterators(live: Live) -> None:
    async def main() -> mm.AsyncClient:
        async with mm.AsyncClient(base_url=live.base_url, api_key=live.admin_api_key) as client:
            # The client is safe to use concurrently.
            health, page = await asyncio.gather(client.get_liveness(), client.list_jobs(limit=1))
            assert isinstance(health, mm.Health) and isinstance(page, mm.JobPage)
            jobs = client.iter_jobs(limit=1)
            assert inspect.isasyncgen(jobs) and isinstance(await anext(jobs), mm.Job)
        return client

    assert asyncio.run(main()).closed


def test_cancelling_a_call_does_not_break_the_client(live: Live) -> None:
    async def main() -> mm.Health:
        async with mm.AsyncClient(base_url=live.base_url, api_key=live.admin_api_key) as client:
            task = asyncio.ensure_future(client.list_jobs(limit=100))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await client.get_liveness()

    assert asyncio.run(main()).status == "ok"
