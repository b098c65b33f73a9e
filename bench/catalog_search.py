"""Catalog search speed on 30,000 generated items, on SQLite and (when configured) PostgreSQL.

    .venv/bin/python bench/catalog_search.py [--items 30000] [--postgres postgresql+asyncpg://…]

PostgreSQL is taken from --postgres, SUNBID_BENCH_POSTGRES_URL or SUNBID_TEST_POSTGRES_URL (a
throw-away schema is created and dropped). Each query runs the real ``catalog.browse.search`` (count
plus one page of 20) several times; the median and worst times are printed, and the last line is
one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script, Python puts bench/ first on the path, where bench/crypto.py would shadow the
# crypto package; the project root goes there instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from catalog.browse import Query, search  # noqa: E402
from catalog.items import parse_item  # noqa: E402
from catalog.models import Department, Item  # noqa: E402
from catalog.pinyin import search_text  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.regions import JILIN_CITY, upsert_regions  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from demo.seeds.catalog import demo_document  # noqa: E402

QUERIES: dict[str, Query] = {
    "common word 许可": Query("许可"),
    "rare word 宅基地": Query("宅基地"),
    "two words 食品 延续": Query("食品 延续"),
    "pinyin spjy": Query("spjy"),
    "department 住房和城乡": Query("住房和城乡"),
    "no match 量子": Query("量子"),
    "filter kind+level": Query("", kind="行政确认", level="county"),
    "text+filter 登记/person": Query("登记", service_object="person"),
    "deep page 许可 offset 2000": Query("许可", offset=2000),
}
RUNS = 15
LOADED_AT = datetime(2026, 1, 5, tzinfo=UTC)


def generated_items(count: int, departments: dict[str, int]) -> list[dict[str, Any]]:
    """The demo catalog repeated with distinct codes until ``count`` items (as if for many halls)."""
    base = [parse_item(raw) for raw in demo_document(220200)["items"]]
    rows: list[dict[str, Any]] = []
    n = 0
    while len(rows) < count:
        for item in base:
            if len(rows) == count:
                break
            main = int(item.code[2:7]) + 1000 * (n // len(base))
            code = f"{item.code[:2]}{main % 100000:05d}{item.code[7:]}"
            values = item.as_json()
            department = values.pop("department")
            values.update(
                code=code,
                department_id=departments[department],
                service_objects=",".join(item.service_objects),
                version=1,
                updated_at=LOADED_AT,
                search_text=search_text(item.name, department, code, item.implementing_body),
            )
            rows.append(values)
            n += 1
    return rows


async def load(runtime: Runtime, count: int) -> float:
    started = time.perf_counter()
    await upgrade(runtime.engine)
    document = demo_document(220200)
    async with runtime.transaction() as session:
        await upsert_regions(session, JILIN_CITY)
        await session.execute(insert(Department), document["departments"])
    async with runtime.sessions() as session:
        departments = {d.name: d.id for d in await session.scalars(select(Department))}
    rows = generated_items(count, departments)
    async with runtime.transaction() as session:
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Item), rows[start : start + 2000])
    return time.perf_counter() - started


async def measure(runtime: Runtime) -> dict[str, dict[str, float | int]]:
    results: dict[str, dict[str, float | int]] = {}
    async with runtime.sessions() as session:
        for label, query in QUERIES.items():
            await search(session, query)  # warm the cache
            timings = []
            total = 0
            for _ in range(RUNS):
                started = time.perf_counter()
                total = (await search(session, query)).total
                timings.append((time.perf_counter() - started) * 1000)
            results[label] = {
                "matches": total,
                "median_ms": round(statistics.median(timings), 2),
                "max_ms": round(max(timings), 2),
            }
    return results


async def run_engine(name: str, settings: Settings, count: int) -> dict[str, Any]:
    runtime = Runtime.build(settings)
    try:
        load_s = await load(runtime, count)
        figures = await measure(runtime)
    finally:
        await runtime.close()
    print(f"\n{name}: {count} items loaded in {load_s:.1f} s")
    for label, row in figures.items():
        print(
            f"  {label:<30} {row['matches']:>6} matches"
            f"  median {row['median_ms']:>7.2f} ms  max {row['max_ms']:>7.2f} ms"
        )
    return {"load_s": round(load_s, 2), "queries": figures}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=30000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SUNBID_BENCH_POSTGRES_URL") or os.environ.get("SUNBID_TEST_POSTGRES_URL"),
    )
    args = parser.parse_args()
    report: dict[str, Any] = {"items": args.items, "runs_per_query": RUNS}
    with tempfile.TemporaryDirectory() as tmp:
        report["sqlite"] = await run_engine("SQLite", Settings(var_dir=Path(tmp)), args.items)
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_async_engine(args.postgres)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}search_path={schema}"
                report["postgresql"] = await run_engine(
                    "PostgreSQL", Settings(var_dir=Path(tmp), database_url=url), args.items
                )
        finally:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    else:
        print("\nPostgreSQL: skipped (set SUNBID_BENCH_POSTGRES_URL or pass --postgres)")
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
