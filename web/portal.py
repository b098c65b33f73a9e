"""The public portal's pages and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.response import Template
from sqlalchemy import text

from core import regions
from core.access import PUBLIC
from core.rendering import page
from core.runtime import Db, Runtime


@get("/", opt=PUBLIC, include_in_schema=False)
async def home(request: Request[Any, Any, Any], state: State, db: Db) -> Template:
    runtime: Runtime = state.runtime
    return page(
        request,
        "home.html",
        regions=await regions.list_regions(db),
        audit_size=await runtime.audit.size(db),
    )


@get("/healthz", opt=PUBLIC, tags=["ops"])
async def healthz(state: State) -> Response[dict[str, Any]]:
    """Database, blob store and pub/sub, each checked for real; 503 if any fails."""
    runtime: Runtime = state.runtime
    report: dict[str, Any] = {}

    async def check(name: str, describe: str, probe: Any) -> None:
        try:
            await probe()
            report[name] = {"ok": True, "backend": describe}
        except Exception as exc:
            report[name] = {"ok": False, "backend": describe, "error": f"{type(exc).__name__}: {exc}"}

    async def database() -> None:
        async with runtime.sessions() as session:
            await session.execute(text("SELECT 1"))

    async def pubsub() -> None:
        assert runtime.channels is not None
        backend = runtime.channels._backend
        redis = getattr(backend, "_redis", None)
        if redis is not None:
            await redis.ping()

    db_kind = runtime.engine.dialect.name
    await check("database", db_kind, database)
    await check("blobs", runtime.blobs.describe(), runtime.blobs.check)
    await check("pubsub", "redis" if runtime.settings.redis_url else "memory", pubsub)
    healthy = all(part["ok"] for part in report.values())
    return Response(
        {"status": "ok" if healthy else "degraded", **report}, status_code=200 if healthy else 503
    )


HANDLERS = [home, healthz]
