"""Which real services the tests may use: PostgreSQL and Redis from the environment (CI sets them).

A test that needs a missing service skips with the reason, except in CI, where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

POSTGRES_ENV = "SUNBID_TEST_POSTGRES_URL"
REDIS_ENV = "SUNBID_TEST_REDIS_URL"


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        missing(f"{POSTGRES_ENV} is not set; PostgreSQL tests need a server")
    assert url
    return url


def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        missing(f"{REDIS_ENV} is not set; Redis tests need a server")
    assert url
    return url


@asynccontextmanager
async def postgres_schema(base_url: str) -> AsyncIterator[str]:
    """A fresh schema per test (isolated, dropped afterwards); yields a URL whose search_path is it."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base_url)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base_url else "?"
        yield f"{base_url}{sep}search_path={schema}"
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
