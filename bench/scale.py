"""Scale-out: the production shape (PostgreSQL + Redis) on 1, 2 and 4 ``sunbid serve`` processes.

Usage: .venv/bin/python bench/scale.py [--processes 1,2,4] [--postgres URL] [--redis URL]
                                       [--bidders 200] [--rush-mib 2] [--bids 60] [--bid-mib 5]
                                       [--observers 200] [--updates 400]

For each process count N the same three loads run against N servers sharing one PostgreSQL schema,
one blob folder and one Redis (what several machines behind a load balancer share):

- rush: ``--bidders`` bidders each upload a sealed bid of ``--rush-mib`` through the N servers
  (round robin, 8 uploads in flight per server) while the tender is open. receipts_per_s = receipts
  ÷ (first request → last receipt). A fresh schema per N, so every N sees the same empty tender.
- opening: ``--bids`` bids of ``--bid-mib`` (sealed once, bench/opening.py's world) opened by every
  bidder revealing its file key round robin over the N servers, until the 唱标 table is complete;
  opening_mib_s. Between the runs the opening is put back to "every bid queued".
- rooms: an evaluation room in the scoring phase (bench/rooms.py's world); members and
  ``--observers`` observers spread round robin over the N servers, the room's news crossing servers
  over Redis; ``--updates`` score updates flooded, room_updates_per_s (every observer got each).

speedup_N of a load = its figure at N processes ÷ at 1 process. On a 2-core machine the client shares
the cores with the servers, so the ceiling is below 2×; what the figures show is whether something
serialises that should not. ``speedup_2`` and ``speedup_4`` in the last line are the geometric mean of
the three loads' speed-ups (each load's own is beside it). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench import opening as opening_bench  # noqa: E402
from bench import rooms as rooms_bench  # noqa: E402
from bench.ingest import (  # noqa: E402
    SUNBID,
    file_digest,
    free_port,
    make_envelope,
    make_world,
    run_sql,
    server,
    set_deadline,
    sunbid_env,
)
from bench.rush import one as upload_one  # noqa: E402
from core.settings import Settings  # noqa: E402

MIB = 1 << 20
IN_FLIGHT_PER_SERVER = 8


class Schema:
    """A fresh PostgreSQL schema for one part of the run, dropped after."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"bench_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> str:
        asyncio.run(run_sql(self.url, f'CREATE SCHEMA "{self.name}"'))
        return f"{self.url}{'&' if '?' in self.url else '?'}search_path={self.name}"

    def __exit__(self, *_: object) -> None:
        asyncio.run(run_sql(self.url, f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))


def servers(stack: ExitStack, settings: Settings, redis: str, count: int, logs: Path) -> list[int]:
    env = {**sunbid_env(settings), "SUNBID_REDIS_URL": redis}
    ports = []
    for i in range(count):
        port = free_port()
        stack.enter_context(server([SUNBID, "serve", "--port", str(port)], env, logs / f"app{i}.log", port))
        ports.append(port)
    return ports


# --- the three loads ----------------------------------------------------------------------------------


def rush(args: argparse.Namespace, work: Path, count: int) -> float:
    """Receipts per second with ``count`` servers (a fresh schema and tender)."""
    with Schema(args.postgres) as url:
        settings = Settings(var_dir=work / f"rush{count}", database_url=url, run_scheduler=False)
        bidders = asyncio.run(make_world(settings, args.bidders, max_mib=args.rush_mib + 1))
        asyncio.run(set_deadline(settings, datetime.now(UTC) + timedelta(hours=1)))
        envelope = work / "rush.age"
        if not envelope.exists():
            make_envelope(envelope, args.rush_mib)
        digest = file_digest(envelope)
        body = envelope.read_bytes()
        with ExitStack() as stack:
            ports = servers(stack, settings, args.redis, count, work)

            async def go() -> tuple[int, float]:
                limits = httpx.Limits(max_connections=IN_FLIGHT_PER_SERVER * 2)
                clients = [
                    httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=300, limits=limits)
                    for p in ports
                ]
                gates = [asyncio.Semaphore(IN_FLIGHT_PER_SERVER) for _ in ports]

                async def send(i: int) -> dict[str, Any]:
                    async with gates[i % count]:
                        return await upload_one(clients[i % count], bidders[i], body, digest, 0.0)

                try:
                    started = time.perf_counter()
                    results = await asyncio.gather(*(send(i) for i in range(len(bidders))))
                    elapsed = time.perf_counter() - started
                finally:
                    for client in clients:
                        await client.aclose()
                refused = [r for r in results if r["status"] != 201]
                if refused:
                    raise RuntimeError(f"{len(refused)} uploads refused, e.g. {refused[0]['body']}")
                return len(results), elapsed

            receipts, seconds = asyncio.run(go())
    return receipts / seconds


def opening(args: argparse.Namespace, work: Path, counts: list[int]) -> dict[int, float]:
    """Opening MiB/s per server count, on one world sealed once."""
    figures: dict[int, float] = {}
    with Schema(args.postgres) as url:
        settings = Settings(var_dir=work / "opening", database_url=url, run_scheduler=False)
        bids = asyncio.run(opening_bench.setup(settings, work, args.bids, args.bid_mib))
        envelopes = asyncio.run(opening_bench.stored_envelopes(settings))
        total_mib = sum(p.stat().st_size for p in envelopes) / MIB
        env = {**sunbid_env(settings), "SUNBID_REDIS_URL": args.redis}
        for count in counts:
            run = opening_bench.open_with_workers(settings, work, bids, count, 4, env)
            asyncio.run(opening_bench.reset(settings))
            figures[count] = total_mib / run["seconds"]
            print(f"  opening on {count}: {figures[count]:.1f} MiB/s", file=sys.stderr)
    return figures


def rooms(args: argparse.Namespace, work: Path, counts: list[int]) -> dict[int, float]:
    """Flooded room updates per second per server count (news between servers over Redis)."""
    figures: dict[int, float] = {}
    drive_args = SimpleNamespace(observers=args.observers, updates=args.updates, paced=20, rate=20.0)
    with Schema(args.postgres) as url:
        settings = Settings(var_dir=work / "rooms", database_url=url, run_scheduler=False)
        room = asyncio.run(rooms_bench.prepare(settings, work, 9))
        for count in counts:
            with ExitStack() as stack:
                ports = servers(stack, settings, args.redis, count, work)
                urls = [f"ws://127.0.0.1:{p}{room.path}" for p in ports]
                result = rooms_bench.run(rooms_bench.drive(urls, room, drive_args, f"rooms{count}"))  # type: ignore[arg-type]
            figures[count] = float(result["updates_per_s"])
            print(f"  rooms on {count}: {figures[count]:.1f} updates/s ({result})", file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--bidders", type=int, default=200)
    parser.add_argument("--rush-mib", type=int, default=2)
    parser.add_argument("--bids", type=int, default=60)
    parser.add_argument("--bid-mib", type=int, default=5)
    parser.add_argument("--observers", type=int, default=200)
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server logs)")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="sunbid-scale-"))
    try:
        receipts = {}
        for count in counts:
            receipts[count] = rush(args, work, count)
            print(f"  rush on {count}: {receipts[count]:.1f} receipts/s", file=sys.stderr)
        mib_s = opening(args, work, counts)
        updates = rooms(args, work, counts)
        result: dict[str, Any] = {"cores": os.cpu_count(), "database": "postgresql", "pubsub": "redis"}
        for count in counts:
            result[f"rush_receipts_per_s_{count}"] = round(receipts[count], 1)
            result[f"opening_mib_s_{count}"] = round(mib_s[count], 1)
            result[f"room_updates_per_s_{count}"] = round(updates[count], 1)
        base = counts[0]
        for count in counts[1:]:
            parts = {
                "rush": receipts[count] / receipts[base],
                "opening": mib_s[count] / mib_s[base],
                "rooms": updates[count] / updates[base],
            }
            for name, value in parts.items():
                result[f"{name}_speedup_{count}"] = round(value, 3)
            result[f"speedup_{count}"] = round(math.prod(parts.values()) ** (1 / len(parts)), 3)
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
