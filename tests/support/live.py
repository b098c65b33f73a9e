"""Real app processes on free ports (``sunbid serve``), for browser and multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.settings import Settings

SUNBID = str(Path(sys.executable).parent / "sunbid")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "SUNBID_VAR_DIR": str(settings.var_dir),
        "SUNBID_DATABASE_URL": settings.database_url,
    }
    if settings.redis_url:
        env["SUNBID_REDIS_URL"] = settings.redis_url
    env.update(extra or {})
    return env


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [SUNBID, *args], env=settings_env(settings), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


REPO = Path(__file__).resolve().parents[2]


@contextmanager
def live_server(
    settings: Settings,
    log_dir: Path,
    name: str = "app",
    *,
    app_factory: str | None = None,
    demo: bool = False,
    startup_seconds: float | None = None,
    uvicorn_args: Sequence[str] = (),
) -> Iterator[LiveServer]:
    """``sunbid serve`` (or ``sunbid demo``, which seeds first and plays the demo; or uvicorn on
    ``app_factory``) on a free port, until the block ends; ``startup_seconds`` overrides how long it may
    take to answer /healthz (30 s, 120 s for the demo); ``uvicorn_args`` go to uvicorn after them."""
    port = free_port()
    log = log_dir / f"{name}-{port}.log"
    command = [SUNBID, "demo" if demo else "serve", "--port", str(port)]
    if app_factory:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app_factory,
            "--port",
            str(port),
            *uvicorn_args,
        ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=settings_env(settings), stdout=out, stderr=subprocess.STDOUT, cwd=REPO
        )
    url = f"http://127.0.0.1:{port}"
    try:
        # A limit on a hung start, not a speed target: the demo seeds before it serves, and a loaded
        # machine can take tens of seconds to import the app.
        deadline = time.monotonic() + (startup_seconds or (180 if demo else 120))
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become healthy:\n{log.read_text()}")
            time.sleep(0.2)
        yield LiveServer(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
