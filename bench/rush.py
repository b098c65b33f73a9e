"""Deadline rush: many bidders upload in the last seconds before a tender's deadline.

Usage: .venv/bin/python bench/rush.py [--bidders 200] [--size-mib 10] [--window 5] [--servers 1]
                                      [--database-url postgresql+asyncpg://...]

The server runs on the real system clock; "driving the clock" here means setting the tender's
deadline a few seconds ahead, then starting every upload at a random moment in the last
``--window`` seconds before it. Uploads that finish committing before the deadline must get a
receipt, the others a clear ``deadline_passed``; afterwards the database and blob store are checked:
late_accepted counts stored bids committed at or after the deadline, lost counts bids with neither a
receipt nor a clear rejection, receipts without a stored bid, and stored bids without a receipt.
The last line printed is one JSON object: accepted, late_accepted, lost, p50_receipt_s, p99_receipt_s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest import (
    CODE,
    SUNBID,
    Bidder,
    file_digest,
    free_port,
    make_envelope,
    make_world,
    manifest_header,
    server,
    set_deadline,
    sunbid_env,
)

from core.settings import Settings

MIB = 1 << 20


async def one(
    http: httpx.AsyncClient, bidder: Bidder, body: bytes, digest: tuple[str, int], at: float
) -> dict[str, Any]:
    await asyncio.sleep(max(0.0, at - time.time()))
    sid = str(uuid.uuid4())
    headers = {
        "Authorization": f"Bearer {bidder.token}",
        manifest_header_name(): manifest_header(bidder, digest, sid),
        "Content-Length": str(len(body)),
    }

    async def chunks() -> Any:
        view = memoryview(body)
        for i in range(0, len(body), MIB):
            yield bytes(view[i : i + MIB])

    started = time.perf_counter()
    try:
        response = await http.put(
            f"/api/tenders/{CODE}/lots/1/submissions/{sid}", content=chunks(), headers=headers
        )
        outcome = {"status": response.status_code, "body": response.json()}
    except (httpx.HTTPError, ValueError) as exc:
        outcome = {"status": None, "body": {"error": type(exc).__name__, "detail": str(exc)}}
    return {**outcome, "sid": sid, "seconds": time.perf_counter() - started, "started": at}


def manifest_header_name() -> str:
    from bidding.submissions import MANIFEST_HEADER

    return MANIFEST_HEADER


async def stored(settings: Settings) -> dict[str, tuple[datetime, str]]:
    from sqlalchemy import select

    from bidding.models import Submission
    from core.runtime import Runtime

    runtime = Runtime.build(settings)
    try:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(Submission.submission_id, Submission.submitted_at, Submission.blob_key)
            )
            found = {sid: (at, key) for sid, at, key in rows}
        missing_blobs = [sid for sid, (_, key) in found.items() if not await runtime.blobs.exists(key)]
        for sid in missing_blobs:
            found.pop(sid)
        return found
    finally:
        await runtime.close()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


async def rush(args: argparse.Namespace, settings: Settings, bidders: list[Bidder], ports: list[int]) -> None:
    envelope = settings.var_dir.parent / "bid.age"  # in the run's folder, removed with it
    make_envelope(envelope, args.size_mib)
    digest = file_digest(envelope)
    body = envelope.read_bytes()
    lead = 3.0  # time to get every task scheduled before the window opens
    deadline = datetime.now(UTC) + timedelta(seconds=lead + args.window)
    await set_deadline(settings, deadline)
    deadline_ts = deadline.timestamp()
    rng = random.Random(2026)
    starts = [deadline_ts - rng.uniform(0, args.window) for _ in bidders]
    limits = httpx.Limits(max_connections=len(bidders) + 10, max_keepalive_connections=len(bidders))
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300, limits=limits) for port in ports
    ]
    try:
        results = await asyncio.gather(
            *[
                one(clients[i % len(clients)], bidder, body, digest, at)
                for i, (bidder, at) in enumerate(zip(bidders, starts, strict=True))
            ]
        )
    finally:
        for client in clients:
            await client.aclose()
    kept = await stored(settings)
    accepted = [r for r in results if r["status"] == 201]
    late = [r for r in results if r["status"] == 409 and r["body"].get("error") == "deadline_passed"]
    unclear = [r for r in results if r not in accepted and r not in late]
    receipts_without_bid = [r for r in accepted if r["sid"] not in kept]
    accepted_ids = {r["sid"] for r in accepted}
    bids_without_receipt = [sid for sid in kept if sid not in accepted_ids]
    late_accepted = [sid for sid, (at, _) in kept.items() if at >= deadline]
    late_receipts = [
        r
        for r in accepted
        if datetime.fromisoformat(r["body"]["receipt"]["statement"]["server_time"]) >= deadline
    ]
    for r in unclear[:5]:
        print(f"unclear outcome: {r['status']} {r['body']}", file=sys.stderr)
    times = [r["seconds"] for r in accepted]
    print(
        f"{len(bidders)} bidders x {args.size_mib} MiB in the last {args.window}s: "
        f"{len(accepted)} accepted, {len(late)} late, {len(unclear)} unclear",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "bidders": len(bidders),
                "size_mib": args.size_mib,
                "servers": len(ports),
                "accepted": len(accepted),
                "rejected_late": len(late),
                "late_accepted": len(late_accepted) + len(late_receipts),
                "lost": len(unclear) + len(receipts_without_bid) + len(bids_without_receipt),
                "p50_receipt_s": percentile(times, 0.5),
                "p99_receipt_s": percentile(times, 0.99),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bidders", type=int, default=200)
    parser.add_argument("--size-mib", type=int, default=10)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sunbid-rush-"))
    settings = Settings(var_dir=work / "var", database_url=args.database_url, run_scheduler=False)
    print(f"setting up {args.bidders} bidders in {work}", file=sys.stderr)
    try:
        run(args, settings, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, settings: Settings, work: Path) -> None:
    bidders = asyncio.run(make_world(settings, args.bidders, max_mib=args.size_mib + 1))
    with ExitStack() as stack:
        ports = []
        for i in range(args.servers):
            port = free_port()
            stack.enter_context(
                server(
                    [SUNBID, "serve", "--port", str(port)], sunbid_env(settings), work / f"app{i}.log", port
                )
            )
            ports.append(port)
        asyncio.run(rush(args, settings, bidders, ports))


if __name__ == "__main__":
    main()
