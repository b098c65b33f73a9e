"""Opening benchmark: sealed bids opened with their revealed file keys, against raw age decryption.

Usage: .venv/bin/python bench/opening.py [--bids 200] [--size-mib 20] [--concurrency 4] [--postgres URL]

Seals ``--bids`` bids of ``--size-mib`` each (a bid package: bid.json and a random attachment, so
nothing compresses), submits them through the real submission service, passes the deadline and has
the host start the opening. Then, once with one and once with two ``sunbid serve`` worker processes
(the same database and blob folder), every bidder reveals its file key over HTTP (round-robin over the
workers, ``--concurrency`` requests in flight per worker) and the window is closed so the 唱标 table
is read out: the time from the first key to the complete table is the opening's. Between the runs the
opening is put back to "every bid queued". In the same run, the raw decryption of the same envelopes
(``decrypt_with_file_key`` to a null sink) is timed on one core and on two processes.

ratio_Nproc = raw decryption time on N processes / opening time with N workers (1.0 = as fast as
bare decryption). ``path_ratio_1proc`` is the same for the server's decryption path alone (blob store,
streaming decryption, package check; in-process, no requests), and ``per_bid_overhead_ms`` what each
bid costs on top of it in the one-worker opening (request, key check, transactions, audit, room news).
Peak RSS is each worker's VmHWM; ``rss_growth_mib`` is how much the peak grew between the first
tenth of the bids and the end (flat memory: about 0).
The last line printed is one JSON object: ratio_1proc, ratio_2proc, peak_rss_mib (and the raw figures).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select, update  # noqa: E402

from bench.ingest import SUNBID, free_port, make_world, peak_rss_mib, run_sql, server, sunbid_env  # noqa: E402
from bidding import opening, submissions  # noqa: E402
from bidding.models import Opening, OpeningBid, Submission, Tender  # noqa: E402
from bidding.submissions import encode_manifest  # noqa: E402
from core import accounts  # noqa: E402
from core.accounts import Principal, principal_of  # noqa: E402
from core.models import RoomEvent, RoomHead  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from crypto.age import X25519Identity, decrypt_with_file_key, encrypt, unwrap_file_key  # noqa: E402
from crypto.signing import BidManifest, sign_statement, signing_key_from_identity, utc_timestamp  # noqa: E402

MIB = 1 << 20
CODE = "BENCH-OPEN-001"


@dataclass
class Bid:
    token: str
    file_key: bytes


def make_package(path: Path, size_mib: int) -> None:
    """A bid package of about size_mib: bid.json and one random attachment, stored (no compression)."""
    form = {"price": "850000.00", "duration_days": 365, "quality": "合格", "project_manager": "李四"}
    block = os.urandom(MIB)
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("bid.json", json.dumps(form, ensure_ascii=False), compress_type=zipfile.ZIP_DEFLATED)
        with package.open("attachments/drawings.bin", "w", force_zip64=True) as out:
            for _ in range(size_mib):
                out.write(block)


def seal(package: Path, out: Path, recipients: list[Any], identity: X25519Identity) -> bytes:
    with package.open("rb") as src, out.open("wb") as dst:
        encrypt(src, dst, recipients)
    with out.open("rb") as fh:
        return unwrap_file_key(fh, [identity])


async def setup(settings: Settings, work: Path, bids: int, size_mib: int) -> list[Bid]:
    """A published tender, ``bids`` registered bidder companies with keys and tokens, their sealed bids
    submitted through the service; then the deadline passes and the host starts the opening."""
    opening_identity = X25519Identity.generate()
    bidders = await make_world(
        settings,
        bids,
        size_mib + 16,
        code=CODE,
        title="开标基准测试工程",
        opening_recipient=opening_identity.recipient().to_str(),
    )
    package = work / "package.zip"
    make_package(package, size_mib)
    runtime = Runtime.build(settings)
    made: list[Bid] = []
    try:
        envelope = work / "envelope.age"
        for i, bidder in enumerate(bidders):
            recipients = [bidder.identity.recipient(), opening_identity.recipient()]
            file_key = await asyncio.to_thread(seal, package, envelope, recipients, bidder.identity)
            digest, length = await asyncio.to_thread(_digest, envelope)
            sid = f"bench-{i:06d}"
            manifest = BidManifest(CODE, "1", bidder.code, sid, digest, length, utc_timestamp())
            signed = sign_statement(manifest, signing_key_from_identity(bidder.identity))
            await submissions.submit(
                runtime,
                await _principal(runtime, bidder.username),
                CODE,
                "1",
                sid,
                encode_manifest(signed),
                _chunks(envelope),
                content_length=length,
            )
            made.append(Bid(bidder.token, file_key))
            if (i + 1) % 20 == 0:
                print(f"  sealed and submitted {i + 1}/{len(bidders)}", file=sys.stderr)
        async with runtime.transaction() as session:
            await session.execute(
                update(Tender).where(Tender.code == CODE).values(bid_deadline=runtime.clock.now())
            )
        await opening.open_due(runtime)
        host = await _principal(runtime, "agent")
        async with runtime.transaction() as session:
            await opening.start(session, runtime, host, CODE)
    finally:
        await runtime.close()
    return made


async def _principal(runtime: Runtime, username: str) -> Principal:
    async with runtime.sessions() as session:
        user = await accounts.find_user(session, username)
    assert user is not None
    return principal_of(user, 0)


def _digest(path: Path) -> tuple[str, int]:
    import hashlib

    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(4 * MIB):
            sha.update(block)
    return sha.hexdigest(), path.stat().st_size


async def _chunks(path: Path) -> Any:
    with path.open("rb") as fh:
        while block := await asyncio.to_thread(fh.read, MIB):
            yield block


async def stored_envelopes(settings: Settings) -> list[Path]:
    runtime = Runtime.build(settings)
    try:
        async with runtime.sessions() as session:
            keys = list(await session.scalars(select(Submission.blob_key).order_by(Submission.id)))
    finally:
        await runtime.close()
    root = settings.var_dir / "blobs"
    return [root.joinpath(*key.split("/")) for key in keys]


async def reset(settings: Settings) -> None:
    """Put the opening back to "window open, every bid queued" (bench only) and drop opened packages."""
    runtime = Runtime.build(settings)
    try:
        async with runtime.transaction() as session:
            room = opening.room_name(CODE, "1")
            await session.execute(
                update(Opening).values(
                    phase=opening.DECRYPTING,
                    window_ends_at=runtime.clock.now() + timedelta(hours=1),
                    confirm_ends_at=None,
                    coefficient=None,
                )
            )
            await session.execute(
                update(OpeningBid).values(
                    outcome=opening.QUEUED,
                    reason=None,
                    opened_by=None,
                    opened_at=None,
                    package_key=None,
                    package_sha256=None,
                    form=None,
                    price=None,
                )
            )
            await session.execute(delete(RoomEvent).where(RoomEvent.room == room))
            await session.execute(delete(RoomHead).where(RoomHead.room == room))
    finally:
        await runtime.close()
    shutil.rmtree(settings.var_dir / "blobs" / "opened", ignore_errors=True)


async def close_window(settings: Settings) -> int:
    """The window ends: the 唱标 table is read out (what the scheduler's advance job does)."""
    runtime = Runtime.build(settings)
    try:
        async with runtime.transaction() as session:
            await session.execute(update(Opening).values(window_ends_at=runtime.clock.now()))
        await opening.advance(runtime)
        async with runtime.sessions() as session:
            phase = await session.scalar(select(Opening.phase))
            opened = len(
                list(await session.scalars(select(OpeningBid).where(OpeningBid.outcome == "opened")))
            )
        assert phase == opening.CONFIRMING, phase
        return opened
    finally:
        await runtime.close()


def open_with_workers(
    settings: Settings,
    work: Path,
    bids: list[Bid],
    workers: int,
    concurrency: int,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every bidder reveals its key over ``workers`` servers; ``env`` overrides the servers' settings
    (bench/scale.py passes Redis, as production runs several processes)."""
    ports = [free_port() for _ in range(workers)]
    env = env or sunbid_env(settings)
    from contextlib import ExitStack

    with ExitStack() as stack:
        procs = [
            stack.enter_context(
                server([SUNBID, "serve", "--port", str(p)], env, work / f"w{workers}-{p}.log", p)
            )
            for p in ports
        ]
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{p}", timeout=600) for p in ports]
        done = 0
        lock = threading.Lock()
        early: list[float] = []

        def reveal(i: int) -> None:
            nonlocal done
            bid = bids[i]
            response = clients[i % workers].post(
                f"/api/tenders/{CODE}/lots/1/opening/key",
                json={"file_key": bid.file_key.hex()},
                headers={"Authorization": f"Bearer {bid.token}"},
            )
            if response.status_code != 200 or response.json()["outcome"] != "opened":
                raise RuntimeError(f"reveal {i}: {response.status_code} {response.text[:300]}")
            with lock:
                done += 1
                if done == max(1, len(bids) // 10):
                    early.append(max(peak_rss_mib(p.pid) for p in procs))

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency * workers) as pool:
            list(pool.map(reveal, range(len(bids))))
        revealed = time.perf_counter() - started
        opened = asyncio.run(close_window(settings))
        elapsed = time.perf_counter() - started
        rss = max(peak_rss_mib(p.pid) for p in procs)
        for client in clients:
            client.close()
    assert opened == len(bids), opened
    return {
        "seconds": elapsed,
        "announce_seconds": elapsed - revealed,
        "peak_rss_mib": rss,
        "rss_growth_mib": rss - (early[0] if early else rss),
    }


class _Null:
    def write(self, data: Any) -> int:
        return len(data)


def raw_decrypt(jobs: list[tuple[str, bytes]]) -> int:
    total = 0
    for path, key in jobs:
        with open(path, "rb") as fh:
            total += os.path.getsize(path)
            decrypt_with_file_key(io.BufferedReader(fh, MIB), _Null(), key, armor=False)  # type: ignore[arg-type]
    return total


def raw_seconds(envelopes: list[Path], bids: list[Bid], processes: int) -> float:
    jobs = [(str(path), bid.file_key) for path, bid in zip(envelopes, bids, strict=True)]
    started = time.perf_counter()
    if processes == 1:
        raw_decrypt(jobs)
    else:
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(raw_decrypt, [jobs[i::processes] for i in range(processes)]))
    return time.perf_counter() - started


async def path_seconds(settings: Settings, bids: list[Bid]) -> float:
    """The server's own decryption path for every bid, in one process, one bid after another: blob
    store read, streaming decryption, bid-package check; no request, transaction or room event.
    Against ``raw_seconds`` it says what the path costs; against the opening, what the rest costs."""
    from bidding.models import Lot
    from bidding.opening.decryption import decrypt_bid  # the step reveal_key runs between its transactions

    runtime = Runtime.build(settings)
    try:
        async with runtime.sessions() as session:
            tender = await session.scalar(select(Tender).where(Tender.code == CODE))
            lot = await session.scalar(select(Lot).where(Lot.tender_id == Tender.id, Tender.code == CODE))
            subs = list(await session.scalars(select(Submission).order_by(Submission.id)))
        assert tender is not None and lot is not None
        started = time.perf_counter()
        for sub, bid in zip(subs, bids, strict=True):
            opened = await decrypt_bid(runtime, tender, lot, sub, bid.file_key)
            assert opened.reason is None, opened.reason
        return time.perf_counter() - started
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--size-mib", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight per worker")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL (a fresh schema, dropped after) instead of SQLite",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sunbid-opening-"))
    schema = f"bench_{uuid.uuid4().hex[:12]}" if args.postgres else None
    database_url = ""
    if args.postgres:
        asyncio.run(run_sql(args.postgres, f'CREATE SCHEMA "{schema}"'))
        database_url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}search_path={schema}"
    settings = Settings(var_dir=work / "var", database_url=database_url, run_scheduler=False)
    try:
        print(f"sealing and submitting {args.bids} bids of {args.size_mib} MiB in {work}", file=sys.stderr)
        bids = asyncio.run(setup(settings, work, args.bids, args.size_mib))
        envelopes = asyncio.run(stored_envelopes(settings))
        total_mib = sum(p.stat().st_size for p in envelopes) / MIB
        result: dict[str, Any] = {
            "database": "postgresql" if args.postgres else "sqlite",
            "bids": args.bids,
            "size_mib": args.size_mib,
            "total_mib": round(total_mib, 1),
            "cores": os.cpu_count(),
        }
        raw_seconds(envelopes[:2], bids[:2], 1)  # warm the page cache path and imports
        path = asyncio.run(path_seconds(settings, bids))
        result["path_1proc_mib_s"] = round(total_mib / path, 1)
        for n in (1, 2):
            raw = raw_seconds(envelopes, bids, n)
            run = open_with_workers(settings, work, bids, n, args.concurrency)
            asyncio.run(reset(settings))
            result[f"raw_{n}proc_mib_s"] = round(total_mib / raw, 1)
            result[f"open_{n}proc_mib_s"] = round(total_mib / run["seconds"], 1)
            result[f"open_{n}proc_seconds"] = round(run["seconds"], 2)
            result[f"ratio_{n}proc"] = round(raw / run["seconds"], 3)
            if n == 1:
                result["path_ratio_1proc"] = round(raw / path, 3)
                result["per_bid_overhead_ms"] = round((run["seconds"] - path) / len(bids) * 1000, 1)
            result[f"announce_{n}proc_seconds"] = round(run["announce_seconds"], 2)
            result[f"peak_rss_{n}proc_mib"] = round(run["peak_rss_mib"], 1)
            result[f"rss_growth_{n}proc_mib"] = round(run["rss_growth_mib"], 1)
            print(
                f"{n} worker(s): opening {total_mib / run['seconds']:.0f} MiB/s "
                f"({run['seconds']:.1f} s to the complete 唱标 table), "
                f"raw decryption {total_mib / raw:.0f} MiB/s; "
                f"peak RSS {run['peak_rss_mib']:.0f} MiB",
                file=sys.stderr,
            )
        result["peak_rss_mib"] = max(result["peak_rss_1proc_mib"], result["peak_rss_2proc_mib"])
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        if args.postgres:
            asyncio.run(run_sql(args.postgres, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
