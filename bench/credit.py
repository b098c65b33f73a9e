"""Daily credit recompute: numpy (credit/index.py) against one SQL aggregate on PostgreSQL and SQLite.

    .venv/bin/python bench/credit.py [--subjects 1000000] [--deductions 10000000]

PostgreSQL from SUNBID_BENCH_POSTGRES_URL or SUNBID_TEST_POSTGRES_URL (a throw-away schema is used).
The same generated deductions (realistic rule mix from the shipped catalogue) go to all three.
numpy computes every subject's index and barred flag densely; each database runs the same formula as
one aggregate query over the deductions active that day, grouped by subject (a subject without any
stands at 100). All three must agree on a checksum (affected subjects, sum of indexes, barred count,
grade counts). Timings are the best of several warm runs; loading the data is reported, not compared.
The last line is one JSON object with ``numpy_s``, ``postgres_s`` and ``sqlite_s``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from credit import index
from credit.catalogue import CATALOGUE

DAY = date(2026, 11, 24).toordinal()
SQL_SPARSE = """
SELECT count(*), coalesce(sum(idx), 0), coalesce(sum(barred), 0),
       coalesce(sum(CASE WHEN idx >= 900 THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN idx >= 750 AND idx < 900 THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN idx >= 600 AND idx < 750 THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN idx < 600 THEN 1 ELSE 0 END), 0)
FROM (
  SELECT subject, {greatest}(0, 1000 - sum(points)) AS idx, max(CASE WHEN bars THEN 1 ELSE 0 END) AS barred
  FROM credit_bench
  WHERE start_day <= {day} AND end_day > {day} AND revoked > {day}
  GROUP BY subject
) per_subject
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(n_subjects: int, n_deductions: int, seed: int = 20260101) -> index.Deductions:
    rng = np.random.default_rng(seed)
    # Light rules happen far more often than collusion or bribery: weight rules by 1/points.
    points = np.array([index.to_tenths(spec.points) for spec in CATALOGUE], dtype=np.int32)
    validity = np.array([spec.validity_days for spec in CATALOGUE], dtype=np.int32)
    bars = np.array([spec.bars for spec in CATALOGUE], dtype=np.bool_)
    weights = 1.0 / points
    rule = rng.choice(len(CATALOGUE), size=n_deductions, p=weights / weights.sum()).astype(np.int32)
    subject = rng.integers(0, n_subjects, size=n_deductions, dtype=np.int64)
    start = (DAY - rng.integers(0, 1100, size=n_deductions)).astype(np.int32)
    end = start + validity[rule]
    revoked = np.full(n_deductions, index.NEVER, dtype=np.int32)
    appealed = rng.random(n_deductions) < 0.03
    revoked[appealed] = start[appealed] + rng.integers(0, validity[rule][appealed])
    return index.Deductions(subject, points[rule], start, end, revoked, bars[rule])


def numpy_checksum(result: index.Result) -> tuple[int, ...]:
    affected = (result.index < index.FULL) | result.barred
    idx = result.index[affected].astype(np.int64)
    return (
        int(affected.sum()),
        int(idx.sum()),
        int(result.barred.sum()),
        int((idx >= 900).sum()),
        int(((idx >= 750) & (idx < 900)).sum()),
        int(((idx >= 600) & (idx < 750)).sum()),
        int((idx < 600).sum()),
    )


def bench_numpy(d: index.Deductions, n_subjects: int, repeat: int = 5) -> tuple[float, tuple[int, ...]]:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = index.compute(d, n_subjects, DAY)
        index.grades(result.index)
        best = min(best, time.perf_counter() - t0)
    return best, numpy_checksum(result)


COLUMNS = ("subject", "points", "start", "end", "revoked")


def copy_row() -> np.dtype:
    """One row of PostgreSQL's binary COPY format for the bench table (no NULLs, fixed width)."""
    return np.dtype(
        [("fields", ">i2")]
        + [
            item
            for name in ("subject", "points", "start", "end", "revoked")
            for item in ((f"l_{name}", ">i4"), (name, ">i4"))
        ]
        + [("l_bars", ">i4"), ("bars", "u1")]
    )


def pg_copy_binary(d: index.Deductions) -> bytes:
    """PostgreSQL binary COPY of (subject, points, start_day, end_day, revoked, bars), built by numpy."""
    rows = np.empty(len(d), dtype=copy_row())
    rows["fields"] = 6
    for name in ("subject", "points", "start", "end", "revoked"):
        rows[f"l_{name}"] = 4
        rows[name] = getattr(d, name)
    rows["l_bars"] = 1
    rows["bars"] = d.bars
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    return header + rows.tobytes() + (-1).to_bytes(2, "big", signed=True)


async def numpy_from_postgres(conn: Any, n_subjects: int) -> tuple[float, tuple[int, ...]]:
    """The production shape: fetch the deductions that may count today (binary COPY), then numpy."""
    t0 = time.perf_counter()
    chunks: list[bytes] = []

    async def sink(chunk: bytes) -> None:
        chunks.append(chunk)

    await conn.copy_from_query(
        f"SELECT subject, points, start_day, end_day, revoked, bars FROM credit_bench "
        f"WHERE start_day <= {DAY} AND end_day > {DAY}",
        output=sink,
        format="binary",
    )
    raw = b"".join(chunks)
    rows = np.frombuffer(raw[19:-2], dtype=copy_row())  # 19-byte header, 2-byte trailer
    columns = [rows[name].astype(np.int64 if name == "subject" else np.int32) for name in COLUMNS]
    d = index.Deductions(*columns, rows["bars"].astype(np.bool_))
    result = index.compute(d, n_subjects, DAY)
    index.grades(result.index)
    elapsed = time.perf_counter() - t0
    log(f"numpy fed by postgres COPY: {len(d):,} candidate rows, {elapsed:.3f} s")
    return elapsed, numpy_checksum(result)


async def bench_postgres(
    url: str, d: index.Deductions, n_subjects: int, repeat: int = 3
) -> tuple[float, float, float, tuple[int, ...]]:
    import asyncpg

    schema = f"bench_credit_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
        await conn.execute(
            "CREATE TABLE credit_bench (subject integer, points integer, start_day integer, "
            "end_day integer, revoked integer, bars boolean)"
        )
        t0 = time.perf_counter()
        with tempfile.TemporaryFile() as fh:
            fh.write(pg_copy_binary(d))
            fh.seek(0)
            await conn.copy_to_table("credit_bench", source=fh, format="binary")
        await conn.execute("VACUUM ANALYZE credit_bench")
        load = time.perf_counter() - t0
        log(f"postgres: loaded {len(d):,} rows in {load:.1f} s")
        query = SQL_SPARSE.format(greatest="greatest", day=DAY)
        best, row = float("inf"), None
        for _ in range(repeat):
            t0 = time.perf_counter()
            row = await conn.fetchrow(query)
            best = min(best, time.perf_counter() - t0)
        assert row is not None
        e2e, e2e_checksum = await numpy_from_postgres(conn, n_subjects)
        got = tuple(int(v) for v in row)
        assert e2e_checksum == got, f"numpy fed by postgres disagrees: {e2e_checksum} != {got}"
        return best, load, e2e, got
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


def bench_sqlite(d: index.Deductions, repeat: int = 2) -> tuple[float, float, tuple[int, ...]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "bench.db")
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(
            "CREATE TABLE credit_bench (subject INTEGER, points INTEGER, start_day INTEGER, "
            "end_day INTEGER, revoked INTEGER, bars BOOLEAN)"
        )
        t0 = time.perf_counter()
        chunk = 500_000
        for i in range(0, len(d), chunk):
            part = slice(i, i + chunk)
            db.executemany(
                "INSERT INTO credit_bench VALUES (?, ?, ?, ?, ?, ?)",
                zip(
                    d.subject[part].tolist(),
                    d.points[part].tolist(),
                    d.start[part].tolist(),
                    d.end[part].tolist(),
                    d.revoked[part].tolist(),
                    d.bars[part].tolist(),
                    strict=True,
                ),
            )
        db.commit()
        load = time.perf_counter() - t0
        log(f"sqlite: loaded {len(d):,} rows in {load:.1f} s")
        query = SQL_SPARSE.format(greatest="max", day=DAY)
        best, row = float("inf"), None
        for _ in range(repeat):
            t0 = time.perf_counter()
            row = db.execute(query).fetchone()
            best = min(best, time.perf_counter() - t0)
        db.close()
        assert row is not None
        return best, load, tuple(int(v) for v in row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--deductions", type=int, default=10_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    d = generate(args.subjects, args.deductions)
    elapsed = time.perf_counter() - t0
    log(f"generated {args.deductions:,} deductions for {args.subjects:,} subjects in {elapsed:.1f} s")
    numpy_s, expected = bench_numpy(d, args.subjects)
    log(f"numpy: {numpy_s:.3f} s, checksum {expected}")
    url = os.environ.get("SUNBID_BENCH_POSTGRES_URL") or os.environ.get("SUNBID_TEST_POSTGRES_URL")
    postgres_s = postgres_load = numpy_e2e = None
    if url:
        postgres_s, postgres_load, numpy_e2e, got = asyncio.run(bench_postgres(url, d, args.subjects))
        log(f"postgres: {postgres_s:.3f} s, checksum {got}")
        assert got == expected, f"postgres disagrees: {got} != {expected}"
    else:
        log("postgres: skipped (set SUNBID_BENCH_POSTGRES_URL)")
    sqlite_s, sqlite_load, got = bench_sqlite(d)
    log(f"sqlite: {sqlite_s:.3f} s, checksum {got}")
    assert got == expected, f"sqlite disagrees: {got} != {expected}"
    affected, _, barred, *grades = expected
    print(
        json.dumps(
            {
                "subjects": args.subjects,
                "deductions": args.deductions,
                "affected_subjects": affected,
                "barred": barred,
                "grades_bcd_of_affected": grades[1:],
                "numpy_s": round(numpy_s, 3),
                "postgres_s": round(postgres_s, 3) if postgres_s is not None else None,
                "sqlite_s": round(sqlite_s, 3),
                "numpy_fed_by_postgres_s": round(numpy_e2e, 3) if numpy_e2e is not None else None,
                "postgres_load_s": round(postgres_load, 1) if postgres_load is not None else None,
                "sqlite_load_s": round(sqlite_load, 1),
                "numpy_under_3s": numpy_s < 3.0,
            }
        )
    )


if __name__ == "__main__":
    main()
