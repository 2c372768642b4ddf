#!/usr/bin/env python3
"""Sequential latency of ``get_liveness``: the SDK (sync, async) against raw httpx.

Every variant calls ``GET /health/live`` on the same server, one request at a
time over a kept-alive connection, after a warm-up; reported per variant are
p50, p95, p99 and mean in milliseconds. The difference to httpx is the SDK's own
overhead (Python <-> Rust crossing, JSON conversion, model parsing, retry
bookkeeping).

Usage: MISMATCH_BASE_URL=http://127.0.0.1:8080 python latency.py [-n 2000] [--warmup 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

import mismatch_recruiter as mm


def summarise(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return (
        f"{name:<24} {pct(0.50):8.3f} {pct(0.95):8.3f} {pct(0.99):8.3f} "
        f"{statistics.fmean(ordered) * 1000:8.3f}"
    )


def measure(call: Callable[[], object], n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


async def measure_async(call: Callable[[], Awaitable[object]], n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="measured calls per variant")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--base-url", default=os.environ.get("MISMATCH_BASE_URL"))
    args = parser.parse_args()
    if not args.base_url:
        parser.error("set MISMATCH_BASE_URL or pass --base-url")
    base = args.base_url.rstrip("/")
    url = f"{base}/health/live"
    results: list[tuple[str, list[float]]] = []

    with mm.Client(base_url=base, max_retries=0) as client:
        results.append(("sdk Client", measure(client.get_liveness, args.n, args.warmup)))

    with httpx.Client() as http:

        def raw_sync() -> object:
            response = http.get(url)
            response.raise_for_status()
            return response.json()

        results.append(("httpx.Client", measure(raw_sync, args.n, args.warmup)))

    async def run_async() -> None:
        async with mm.AsyncClient(base_url=base, max_retries=0) as client:
            results.append(("sdk AsyncClient", await measure_async(client.get_liveness, args.n, args.warmup)))
        async with httpx.AsyncClient() as http:

            async def raw_async() -> object:
                response = await http.get(url)
                response.raise_for_status()
                return response.json()

            results.append(("httpx.AsyncClient", await measure_async(raw_async, args.n, args.warmup)))

    asyncio.run(run_async())

    print(f"GET /health/live, {args.n} sequential calls after {args.warmup} warm-up, Python {sys.version.split()[0]}")
    print(f"{'variant':<24} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples in results:
        print(summarise(name, samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
