"""Evaluation room benchmark: score updates fanned out to 500 observers, against a bare broadcast server.

Usage: .venv/bin/python bench/rooms.py [--observers 500] [--members 9] [--updates 1000] [--paced 300]
                                       [--rate 10] [--postgres URL] [--redis URL]

Builds a lot ready for evaluation through the real services (tests/evaluation/world.py: opened bids, a
drawn and confirmed committee of ``--members``), starts its evaluation and drives it to the scoring
phase, then starts a real ``sunbid serve`` process (SQLite file database by default; ``--postgres``
runs on a fresh schema, dropped after; ``--redis`` carries the room's news over Redis pub/sub). Every
member connects to ``/ws/evaluations/{code}`` with its own token; the observers are half supervisors
(who see every score value) and half the tender's agent (the host, who gets a ``skip`` frame for a
score and the ``progress`` event), one token per role serving all of that role's connections.

Members send ``{"type": "act", "action": "score", …}`` frames over their sockets. An update's fan-out
latency is the time from the member's send to an observer receiving that update's ``progress`` event
(its last frame; the room's answer names the score event's seq, and progress is the next seq), taken
for every observer. Two sending patterns, each on both servers:

- paced: ``--paced`` updates, the members taking turns, sent open-loop at ``--rate`` updates/s (nine
  people scoring send far less; this is the latency the room shows under a busy but steady load).
  ``p50_ms`` and ``p99_ms`` are from this run.
- flood: ``--updates`` updates, every member sending its share back to back (the next once the room
  answered the previous one). Updates per second = updates / (first send → the last observer
  receiving the last update). ``throughput_ratio`` = room updates/s ÷ bare updates/s.

The bare server is ``websockets``' own asyncio server (uvloop, as uvicorn uses) holding the same number
of connections: on a member's frame it answers the sender and ``broadcast``\\s two frames shaped like
the room's (a score event and a progress event, with sequence numbers) to every client. Client and
servers share the machine, so the figures include the client's own cost on both sides; a noisy or
shared machine moves them. The last line printed is one JSON object: p50_ms, p99_ms, throughput_ratio,
and the figures behind them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from bench.ingest import SUNBID, free_port, peak_rss_mib, run_sql, server, sunbid_env  # noqa: E402
from core.settings import Settings  # noqa: E402

# Values on the step of each criterion (tests/evaluation/world.py: T1 max 30 step 0.5, C1 max 10 step 1).
VALUES = {"T1": [f"{20 + n / 2:g}" for n in range(20)], "C1": [str(n) for n in range(1, 11)]}
CONNECT_AT_ONCE = 50
SEQ = re.compile(rb'"seq":\s*(\d+)')
PROGRESS = re.compile(rb'"kind":\s*"progress"')


@dataclass
class Room:
    """What the clients need: where to connect and who they are."""

    path: str
    members: list[tuple[str, dict[str, str]]]  # (expert code, auth headers)
    observers: list[dict[str, str]]  # auth headers per role (supervisor, host)
    bidders: list[str]


# --- the world --------------------------------------------------------------------------------------


async def prepare(settings: Settings, work: Path, members: int) -> Room:
    """A lot ready for evaluation, its room in the scoring phase, and API tokens (setup only)."""
    from argon2 import PasswordHasher
    from litestar.testing import AsyncTestClient
    from sqlalchemy.pool import NullPool

    from core import accounts
    from core.clock import ManualClock
    from core.migrate import upgrade
    from core.runtime import Runtime
    from tests.evaluation.world import CODE, api_headers, scoring_room
    from web.app import create_app

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # setup speed only
    clock = ManualClock()
    runtime = Runtime.build(settings, clock, engine_options={"poolclass": NullPool})
    await upgrade(runtime.engine)
    try:
        async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
            ew = await scoring_room(runtime, client, clock, work, members=members, alternates=1)
        seated = [(code, await api_headers(runtime, ew.usernames[code])) for code in ew.members]
        watchers = [await api_headers(runtime, "supervisor9"), await api_headers(runtime, "agent1")]
        return Room(f"/ws/evaluations/{CODE}-1", seated, watchers, ew.bidder_codes)
    finally:
        await runtime.close()


# --- clients ----------------------------------------------------------------------------------------


class Observer(asyncio.Protocol):
    """A lean WebSocket client (RFC 6455 over a plain asyncio protocol, no compression) that only
    notes each frame's seq and when each ``progress`` event arrived, so that 500 of them in one
    process cost the client little and the servers' fan-out is what is measured."""

    def __init__(self, host: str, path: str, headers: dict[str, str]) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + "\r\n"
        ).encode()
        self.buffer = bytearray()
        self.upgraded = False
        self.hello: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.last = 0
        self.gaps = 0
        self.arrivals: dict[int, float] = {}  # progress seq → perf_counter

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not asyncio's class
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(f"closed before hello: {exc}"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.hello.set_exception(ConnectionError(bytes(buffer[:end]).decode(errors="replace")))
                return
            del buffer[: end + 4]
            self.upgraded = True
        pos, size = 0, len(buffer)
        while size - pos >= 2:
            length, head = buffer[pos + 1] & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            opcode = buffer[pos] & 0x0F
            payload = bytes(buffer[pos + head : pos + head + length])
            pos += head + length
            if opcode == 1:
                self.text(payload, now)
            elif opcode == 9:  # ping: answer with a (masked) pong
                self.send(0xA, payload)
        del buffer[:pos]

    def text(self, payload: bytes, now: float) -> None:
        if not self.hello.done():
            self.hello.set_result(json.loads(payload))
            return
        found = SEQ.search(payload)
        if found is None:
            return
        seq = int(found.group(1))
        if self.last and seq != self.last + 1:
            self.gaps += 1
        self.last = seq
        if PROGRESS.search(payload):
            self.arrivals[seq] = now

    def send(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None and len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    async def close(self) -> None:
        if self.transport is not None:
            self.send(0x8, (1000).to_bytes(2, "big"))
            self.transport.close()


class Watching:
    """A member's socket read like an observer's (members see every frame too)."""

    def __init__(self) -> None:
        self.last = 0


@dataclass
class Member:
    code: str
    socket: ClientConnection
    observer: Watching
    waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    async def run(self) -> None:
        async for text in self.socket:
            frame = json.loads(text)
            kind = frame.get("type")
            if kind in ("acted", "error"):
                future = self.waiting.pop(frame.get("ref"), None)
                if kind == "error":
                    self.errors.append(frame)
                if future is not None and not future.done():
                    future.set_result(frame)
            elif kind in ("event", "skip"):
                self.observer.last = frame["seq"]

    async def score(self, ref: str, bidder: str, criterion: str, value: str) -> tuple[float, int | None]:
        """Send one score; returns (send time, the seq of its progress event, None if refused)."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[ref] = future
        message = {"type": "act", "ref": ref, "action": "score", "bidder": bidder, "criterion": criterion}
        sent = time.perf_counter()
        await self.socket.send(json.dumps({**message, "value": value}))
        answer = await asyncio.wait_for(future, timeout=120)
        return sent, (int(answer["seq"]) + 1 if answer["type"] == "acted" else None)


@dataclass
class Clients:
    members: list[Member]
    observers: list[Observer]
    tasks: list[asyncio.Task[None]]
    sockets: list[ClientConnection]
    counter: int = 0

    def update(self, n: int, bidders: list[str]) -> tuple[Member, str, str, str, str]:
        """The n-th update: whose it is and what it scores."""
        member = self.members[n % len(self.members)]
        turn = n // len(self.members)
        criterion = "T1" if turn % 2 == 0 else "C1"
        values = VALUES[criterion]
        self.counter += 1
        return (
            member,
            f"u{self.counter}",
            bidders[turn // 2 % len(bidders)],
            criterion,
            values[turn % len(values)],
        )

    async def close(self) -> None:
        for observer in self.observers:
            await observer.close()
        for socket in self.sockets:
            await socket.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def open_clients(url: str | list[str], room: Room, observers: int) -> Clients:
    """Everyone connected; with several server URLs (bench/scale.py) the sockets are spread round robin."""
    urls = [url] if isinstance(url, str) else url
    semaphore = asyncio.Semaphore(CONNECT_AT_ONCE)
    loop = asyncio.get_running_loop()

    async def watcher(headers: dict[str, str], url: str) -> Observer:
        host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
        path = "/" + url.removeprefix("ws://").split("/", 1)[1]
        async with semaphore:
            _, observer = await loop.create_connection(
                lambda: Observer(f"{host}:{port}", path, headers), host, int(port)
            )
            hello = await asyncio.wait_for(observer.hello, timeout=60)
            assert hello["type"] == "hello", hello
            return observer

    async def member(headers: dict[str, str], url: str) -> ClientConnection:
        socket = await connect(
            url, additional_headers=headers, max_queue=None, compression=None, open_timeout=60
        )
        hello = json.loads(await socket.recv())
        assert hello["type"] == "hello", hello
        return socket

    watching = await asyncio.gather(
        *(watcher(room.observers[i % len(room.observers)], urls[i % len(urls)]) for i in range(observers))
    )
    member_sockets = await asyncio.gather(
        *(member(headers, urls[i % len(urls)]) for i, (_, headers) in enumerate(room.members))
    )
    seated = [Member(code, s, Watching()) for (code, _), s in zip(room.members, member_sockets, strict=True)]
    tasks = [asyncio.create_task(m.run()) for m in seated]
    return Clients(seated, list(watching), tasks, member_sockets)


async def settle(clients: Clients, seconds: float = 1.0) -> None:
    """Wait until no frame has arrived for ``seconds`` (the backlog and presence news are through)."""
    while True:
        before = [o.last for o in clients.observers]
        await asyncio.sleep(seconds)
        if before == [o.last for o in clients.observers]:
            return


DELIVERY_WAIT_SECONDS = 120


async def delivered(clients: Clients, sent: list[tuple[float, int | None]]) -> None:
    target = max(seq for _, seq in sent if seq is not None)
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    while any(target not in o.arrivals for o in clients.observers):
        if time.monotonic() > deadline:
            missing = sum(target not in o.arrivals for o in clients.observers)
            raise RuntimeError(f"{missing} observers never received seq {target}")
        await asyncio.sleep(0.005)


def latencies(clients: Clients, sent: list[tuple[float, int | None]]) -> tuple[list[float], int]:
    """Every (update, observer) latency in ms, and how many deliveries are missing."""
    out: list[float] = []
    missing = 0
    for at, seq in sent:
        if seq is None:
            continue
        for observer in clients.observers:
            arrived = observer.arrivals.get(seq)
            if arrived is None:
                missing += 1
            else:
                out.append((arrived - at) * 1000)
    return out, missing


async def paced(
    clients: Clients, bidders: list[str], count: int, rate: float
) -> list[tuple[float, int | None]]:
    start = time.perf_counter() + 0.2
    jobs = []
    for n in range(count):
        member, ref, bidder, criterion, value = clients.update(n, bidders)
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        jobs.append(asyncio.create_task(member.score(ref, bidder, criterion, value)))
    return list(await asyncio.gather(*jobs))


async def flood(clients: Clients, bidders: list[str], count: int) -> list[tuple[float, int | None]]:
    plan: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    for n in range(count):
        member, ref, bidder, criterion, value = clients.update(n, bidders)
        plan[clients.members.index(member)].append((ref, bidder, criterion, value))

    async def send_all(
        member: Member, updates: list[tuple[str, str, str, str]]
    ) -> list[tuple[float, int | None]]:
        return [await member.score(*update) for update in updates]

    done = await asyncio.gather(*(send_all(clients.members[i], ups) for i, ups in plan.items()))
    return [one for per_member in done for one in per_member]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def drive(url: str | list[str], room: Room, args: argparse.Namespace, label: str) -> dict[str, Any]:
    """Connect everyone, warm up, run the paced and the flood pattern; the figures."""
    started = time.perf_counter()
    clients = await open_clients(url, room, args.observers)
    connect_s = time.perf_counter() - started
    try:
        await settle(clients)
        warm = await paced(clients, room.bidders, 2 * len(clients.members), 50)
        await delivered(clients, warm)
        result: dict[str, Any] = {"connect_s": round(connect_s, 2)}

        slow = await paced(clients, room.bidders, args.paced, args.rate)
        await delivered(clients, slow)
        lat, missing = latencies(clients, slow)
        result.update(paced_p50_ms=percentile(lat, 0.5), paced_p99_ms=percentile(lat, 0.99),
                      paced_max_ms=percentile(lat, 1.0), paced_missing=missing)  # fmt: skip

        first, cpu = time.perf_counter(), time.process_time()
        fast = await flood(clients, room.bidders, args.updates)
        await delivered(clients, fast)
        last = max(o.arrivals[seq] for o in clients.observers for _, seq in fast if seq is not None)
        client_cpu = (time.process_time() - cpu) / (time.perf_counter() - first)
        lat, missing = latencies(clients, fast)
        accepted = sum(seq is not None for _, seq in fast)
        result.update(
            updates_per_s=round(accepted / (last - first), 1), flood_p50_ms=percentile(lat, 0.5),
            flood_p99_ms=percentile(lat, 0.99), flood_missing=missing, refused=args.updates - accepted,
            gaps=sum(o.gaps for o in clients.observers), flood_client_cpu=round(client_cpu, 2),
        )  # fmt: skip
        errors = [e for m in clients.members for e in m.errors]
        if errors:
            print(f"{label}: {len(errors)} refused, e.g. {errors[0]}", file=sys.stderr)
        return result
    finally:
        await clients.close()


# --- the bare server ---------------------------------------------------------------------------------


async def bare_server(port: int) -> None:
    """websockets' own server: answer the sender, broadcast a score and a progress frame to everyone."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()
    head = 0

    async def handler(socket: ServerConnection) -> None:
        nonlocal head
        await socket.send(json.dumps({"type": "hello", "room": "bare", "head": head, "server_time": _now()}))
        clients.add(socket)
        try:
            async for text in socket:
                message = json.loads(text)
                if message.get("type") != "act":
                    continue
                head += 2
                at = _now()
                score = {"member": "E" * 18, "bidder": message["bidder"], "criterion": message["criterion"],
                         "value": message["value"]}  # fmt: skip
                progress = {"member": "E" * 18, "scored": 6, "of": 6}
                frames = [
                    {"type": "event", "seq": head - 1, "kind": "step.score", "at": at, "data": score},
                    {"type": "event", "seq": head, "kind": "progress", "at": at, "data": progress},
                ]
                texts = [json.dumps(frame, separators=(",", ":")) for frame in frames]
                for client in list(clients):  # each client gets the update's two frames back to back
                    for text in texts:
                        broadcast([client], text)
                acted = {"type": "acted", "ref": message.get("ref"), "seq": head - 1, "phase": "scoring"}
                await socket.send(json.dumps(acted))
        finally:
            clients.discard(socket)

    async with serve(handler, "127.0.0.1", port, max_queue=None, compression=None):
        await asyncio.get_running_loop().create_future()


def _now() -> str:
    return datetime.now(UTC).isoformat()


# --- running -------------------------------------------------------------------------------------------


def run(coroutine: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--observers", type=int, default=500)
    parser.add_argument("--members", type=int, default=9)
    parser.add_argument("--updates", type=int, default=1000, help="updates in the flood run")
    parser.add_argument("--paced", type=int, default=300, help="updates in the paced run")
    parser.add_argument("--rate", type=float, default=10.0, help="updates/s in the paced run")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (a fresh schema, dropped after)")
    parser.add_argument("--redis", metavar="URL", help="room news over Redis pub/sub")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server logs)")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        run(bare_server(args.bare_server))
        return
    work = Path(tempfile.mkdtemp(prefix="sunbid-rooms-"))
    schema = f"bench_{uuid.uuid4().hex[:12]}" if args.postgres else None
    database_url = ""
    if args.postgres:
        asyncio.run(run_sql(args.postgres, f'CREATE SCHEMA "{schema}"'))
        database_url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}search_path={schema}"
    settings = Settings(var_dir=work / "var", database_url=database_url, run_scheduler=False)
    try:
        print(f"preparing a room in the scoring phase with {args.members} members in {work}", file=sys.stderr)
        room = asyncio.run(prepare(settings, work, args.members))
        env = sunbid_env(settings)
        if args.redis:
            env["SUNBID_REDIS_URL"] = args.redis
        result: dict[str, Any] = {
            "database": "postgresql" if args.postgres else "sqlite",
            "pubsub": "redis" if args.redis else "memory",
            "members": args.members, "observers": args.observers, "updates": args.updates,
            "paced_updates": args.paced, "paced_rate": args.rate, "cores": os.cpu_count(),
        }  # fmt: skip
        with ExitStack() as stack:
            port = free_port()
            process = stack.enter_context(
                server([SUNBID, "serve", "--port", str(port)], env, work / "app.log", port)
            )
            figures = run(drive(f"ws://127.0.0.1:{port}{room.path}", room, args, "room"))
            figures["peak_rss_mib"] = round(peak_rss_mib(process.pid), 1)
        print(f"room: {figures}", file=sys.stderr)
        with ExitStack() as stack:
            port = free_port()
            bare = [sys.executable, str(Path(__file__).resolve()), "--bare-server", str(port)]
            stack.enter_context(_bare(bare, work / "bare.log", port))
            baseline = run(drive(f"ws://127.0.0.1:{port}/", room, args, "bare"))
        print(f"bare: {baseline}", file=sys.stderr)
        result.update({f"room_{k}": v for k, v in figures.items()})
        result.update({f"bare_{k}": v for k, v in baseline.items()})
        result["p50_ms"] = figures["paced_p50_ms"]
        result["p99_ms"] = figures["paced_p99_ms"]
        result["throughput_ratio"] = round(figures["updates_per_s"] / baseline["updates_per_s"], 3)
        print(
            f"room: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms at {args.rate:g} updates/s; "
            f"{figures['updates_per_s']} updates/s flooded (p99 {figures['flood_p99_ms']} ms) | bare: p50 "
            f"{baseline['paced_p50_ms']} ms, p99 {baseline['paced_p99_ms']} ms; {baseline['updates_per_s']} "
            f"updates/s | ratio {result['throughput_ratio']}",
            file=sys.stderr,
        )
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        if args.postgres:
            asyncio.run(run_sql(args.postgres, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _bare(command: list[str], log: Path, port: int) -> Any:
    """The bare server process, up once its port accepts connections."""
    from contextlib import contextmanager

    @contextmanager
    def running() -> Any:
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            import socket

            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"bare server exited:\n{log.read_text()[-3000:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("bare server did not start") from None
                    time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=20)

    return running()


if __name__ == "__main__":
    main()
