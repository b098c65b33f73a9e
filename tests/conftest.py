"""Shared fixtures: a migrated runtime on each configured engine, the app, and an HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.pool import NullPool

from core import accounts
from core.clock import ManualClock
from core.runtime import Runtime
from core.settings import Settings
from tests.support import templates
from tests.support.browser import chromium_path, watch_csp
from tests.support.services import POSTGRES_ENV, postgres_schema, postgres_url
from web.app import create_app

pytest_plugins = ["tests.support.s3"]

ENGINES = ["sqlite", "postgres"]
SITE_ORIGIN = "http://testserver.local"  # the test client's base URL


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2id parameters in-process (tests create many users); real processes keep the defaults."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=ENGINES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Every test that uses the database runs on SQLite and on PostgreSQL, on a database of its own that
    is already migrated (a copy of one migrated template, tests/support/templates.py), or an empty one
    where the test is marked ``empty_database``."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        target = tmp_path / "sunbid.db"
        yield f"sqlite+aiosqlite:///{target}" if empty else await templates.sqlite_copy(target)
        return
    if empty:
        async with postgres_schema(postgres_url()) as url:
            yield url
        return
    async with templates.postgres_copy(postgres_url()) as url:
        yield url


def pytest_sessionfinish(session: pytest.Session) -> None:
    templates.drop_templates(os.environ.get(POSTGRES_ENV))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Tests drive background jobs themselves (Scheduler.run_due) instead of a timer loop.
    return Settings(var_dir=tmp_path / "var", database_url=database_url, run_scheduler=False)


@pytest.fixture
async def runtime(settings: Settings, clock: ManualClock) -> AsyncIterator[Runtime]:
    # The test client serves the app from its own event loop; unpooled connections never cross loops.
    # The database is already migrated (see database_url).
    runtime = Runtime.build(settings, clock, engine_options={"poolclass": NullPool})
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture
def app(runtime: Runtime) -> Litestar:
    return create_app(runtime=runtime)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        # Like a browser on the site's own pages: cookie-authenticated changes need it (core/csrf.py).
        client.headers["origin"] = SITE_ORIGIN
        yield client


@pytest.fixture
def csp_violations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What the Content-Security-Policy blocked on any page the test opened; the test fails if any is
    left (a test that provokes one on purpose removes it)."""
    violations: list[str] = []
    watch_csp(monkeypatch, violations)
    yield violations
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def chromium(csp_violations: list[str]) -> str:
    """Debian's Chromium for the page tests (see tests/support/browser.py); every page they open runs
    under the app's Content-Security-Policy, and anything it blocks fails the test."""
    return chromium_path()
