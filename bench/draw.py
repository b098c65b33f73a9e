"""Benchmark of the expert draw: the pure module and whole draw requests through the service.

Usage: .venv/bin/python bench/draw.py [--sizes 1000,10000,100000] [--service-sizes 1000,10000,100000]
                                      [--postgres URL] [--runs 200]

(a) pure: pools of 1,000, 10,000 and 100,000 synthetic experts (experts/generate.py) with ten rules
    (specialty ×2, status, availability, counties allowed, counties excluded + the tenderer's county,
    employer conflicts with the tenderer/agent/five bidders, named avoidances, at most K evaluations
    for the tenderer, credit threshold, at least N counties / at most M per county); p50/p99 of
    eligibility + lottery (experts.draw.draw) on a prebuilt columnar pool, a new seed per run.
(b) service: the same pools in SQLite and PostgreSQL; p50/p99 of one whole draw request as the API
    runs it: create_draw_request, commit_seed (pool snapshot, eligibility, commitment), contribute,
    run_draw (lottery, invitations, audit entries), each in its own transaction.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.accounts import Principal
from core.clock import ManualClock
from core.credit_code import make_credit_code
from core.migrate import upgrade
from core.regions import JILIN_CITY, upsert_regions
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings
from experts import draw, registry, service
from experts.draw import DrawRules, DrawTender, Pool, PoolRow, Slot
from experts.generate import COUNTIES, NewExpert, generate

DAY = date(2026, 12, 10)
START = datetime(2026, 11, 20, tzinfo=UTC)
SUPERVISOR = Principal(0, "bench", "bench", frozenset({Role.SUPERVISOR}), None, 0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50) * 1000, 3), "p99": round(percentile(values, 99) * 1000, 3)}


def ten_rules(experts: list[NewExpert]) -> tuple[DrawRules, DrawTender]:
    busiest = [code for code, _ in Counter(s for e in experts for s in e.specialties).most_common(2)]
    employers = sorted({e.employer_code for e in experts})
    rng = random.Random(5)
    tender = DrawTender(
        tenderer_code=employers[0],
        tenderer_county="220202",
        agent_code=employers[1],
        bidder_codes=tuple(rng.sample(employers[2:], 5)),
        evaluation_date=DAY,
    )
    rules = DrawRules(
        slots=(Slot(busiest[0], 3, 2), Slot(busiest[1], 2, 1)),
        counties_allowed=COUNTIES[:-1],
        counties_excluded=("220284",),
        exclude_tenderer_county=True,
        min_counties=3,
        max_per_county=2,
        max_recent_for_tenderer=2,
        min_credit=Decimal(80),
    )
    return rules, tender


def pool_rows(experts: list[NewExpert], seed: int) -> list[PoolRow]:
    """As the service's snapshot would see them, plus recent counts, credit and avoidances."""
    rng = random.Random(seed)
    employers = sorted({e.employer_code for e in experts})
    return [
        PoolRow(
            id=e.code,
            county=e.county,
            employer=e.employer_code,
            status=e.status,
            specialties=tuple(e.specialties),
            leave=tuple(e.leave),
            avoid=tuple(rng.sample(employers, 1)) if rng.random() < 0.1 else (),
            recent=rng.choice((0, 0, 0, 1, 2, 3)),
            credit=Decimal(rng.randint(700, 1000)) / 10,
            barred=rng.random() < 0.01,
        )
        for e in experts
    ]


def bench_pure(size: int, runs: int) -> dict[str, float]:
    experts = generate(size, 220200, keys=False, today=DAY - timedelta(days=20))
    rows = pool_rows(experts, size)
    rules, tender = ten_rules(experts)
    started = time.perf_counter()
    pool = Pool(rows)
    build = time.perf_counter() - started
    times = []
    for i in range(runs):
        seed = hashlib.sha256(f"bench-{i}".encode()).digest()
        t0 = time.perf_counter()
        eligible, _ = draw.draw(pool, rules, tender, seed, f"DR-{i}")
        times.append(time.perf_counter() - t0)
    stats = ms(times)
    return {**stats, "pool_build_ms": round(build * 1000, 1), "eligible": sum(len(e) for e in eligible)}


async def with_runtime(url: str, job: Callable[[Runtime], Awaitable[dict[str, float]]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as var:
        database = url or f"sqlite+aiosqlite:///{var}/bench.db"
        schema = None
        if url:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_async_engine(url)
            async with admin.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            database = f"{url}{'&' if '?' in url else '?'}search_path={schema}"
        runtime = Runtime.build(Settings(var_dir=Path(var), database_url=database), ManualClock(START))
        try:
            await upgrade(runtime.engine)
            return await job(runtime)
        finally:
            await runtime.close()
            if schema:
                async with admin.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                await admin.dispose()


def bench_service(size: int, runs: int, url: str) -> dict[str, float]:
    async def job(runtime: Runtime) -> dict[str, float]:
        async with runtime.transaction() as session:
            await upsert_regions(session, JILIN_CITY)
            made = await registry.generate_pool(session, runtime, size, 220200, actor="bench")
        rules, tender = ten_rules(made)
        tender = DrawTender(
            make_credit_code("9", "1", "220202", "12345678X"), tender.tenderer_county, tender.agent_code,
            tender.bidder_codes, tender.evaluation_date,
        )  # fmt: skip
        times = []
        for i in range(runs):
            t0 = time.perf_counter()
            async with runtime.transaction() as session:
                found = await service.create_draw_request(
                    session, runtime, tender_ref=f"BENCH-{i}", lot_ref=None, tender=tender, rules=rules,
                    actor=None,
                )  # fmt: skip
            async with runtime.transaction() as session:
                await service.commit_seed(session, runtime, found.id, actor=None)
            async with runtime.transaction() as session:
                await service.contribute(session, runtime, found.id, actor=SUPERVISOR, value=str(i))
            async with runtime.transaction() as session:
                await service.run_draw(session, runtime, found.id, actor=None)
            times.append(time.perf_counter() - t0)
        return ms(times)

    return asyncio.run(with_runtime(url, job))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--service-sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--service-runs", type=int, default=30)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    out: dict[str, float | int] = {}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        stats = bench_pure(size, args.runs)
        label = f"{size // 1000}k"
        print(f"pure {size:>7}: p50 {stats['p50']} ms, p99 {stats['p99']} ms", end="")
        print(f", pool build {stats['pool_build_ms']} ms")
        out[f"pure_p50_ms_{label}"], out[f"pure_p99_ms_{label}"] = stats["p50"], stats["p99"]
        out[f"pool_build_ms_{label}"] = stats["pool_build_ms"]
    for engine, url in (("sqlite", ""), ("postgres", args.postgres)):
        for size in [int(s) for s in args.service_sizes.split(",") if s]:
            stats = bench_service(size, args.service_runs, url)
            label = f"{size // 1000}k"
            print(f"service {engine:>8} {size:>7}: p50 {stats['p50']} ms, p99 {stats['p99']} ms")
            out[f"service_p50_ms_{engine}_{label}"] = stats["p50"]
            out[f"service_p99_ms_{engine}_{label}"] = stats["p99"]
            out[f"service_p50_ms_{engine}"] = stats["p50"]  # the largest pool measured
            out[f"service_p99_ms_{engine}"] = stats["p99"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
