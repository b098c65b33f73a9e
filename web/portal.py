"""The public portal's pages and the health check."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Response, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import text

from bidding import service as bidding
from core import migrate, regions
from core.access import PUBLIC
from core.clock import as_utc, format_local
from core.i18n import language_of, register_messages, translator
from core.rendering import page
from core.runtime import Db, Rt
from core.types import AnyRequest
from web.audit_words import KINDS, kind_words

register_messages(
    {
        "home.latest_notices": ("最新公告", "Latest notices"),
        "home.open_tenders": ("正在投标的项目", "Tenders open for bidding"),
        "home.deadline": ("投标截止（北京时间）", "Bid deadline (Beijing time)"),
        "home.published": ("发布时间（北京时间）", "Published (Beijing time)"),
        "home.more_notices": ("全部公告", "All notices"),
        "home.more_tenders": ("全部项目", "All tenders"),
        "home.nothing": ("暂无", "None at the moment"),
        "home.kind.tender": ("招标公告", "Tender notice"),
        "home.kind.amendment": ("变更公告", "Amendment"),
        "home.kind.opening_record": ("开标记录", "Opening record"),
        "home.kind.candidates": ("中标候选人公示", "Candidates"),
        "home.kind.award": ("中标结果公告", "Award"),
        "home.kind.failure": ("流标公告", "Failed tender"),
        "home.kind.termination": ("终止公告", "Termination"),
    }
)
HOME_ROWS = 8


async def open_for_bidding(db: Db, now: datetime, limit: int = HOME_ROWS) -> list[Any]:
    """Public tenders still taking bids (published or bidding, deadline ahead), closest deadline first."""
    found: list[Any] = []
    for state in (bidding.State.PUBLISHED, bidding.State.BIDDING):
        rows = await bidding.list_tenders(db, None, bidding.TenderFilter(state=state), limit=100)
        found += [t for t in rows.rows if as_utc(t.bid_deadline) > now]
    return sorted(found, key=lambda t: (t.bid_deadline, t.code))[:limit]


@get("/", opt=PUBLIC, include_in_schema=False)
async def home(request: AnyRequest, runtime: Rt, db: Db) -> Template:
    """The portal's front page: the latest notices and the tenders open for bidding first."""
    latest = await bidding.list_notices(db, bidding.NoticeFilter(), limit=HOME_ROWS)
    return page(
        request,
        "home.html",
        latest_notices=latest.rows,
        open_tenders=await open_for_bidding(db, runtime.clock.now()),
        fmt=format_local,
        regions=await regions.list_regions(db),
        audit_size=await runtime.audit.size(db),
    )


@get("/audit", opt=PUBLIC, include_in_schema=False)
async def audit_page(
    request: AnyRequest, runtime: Rt, db: Db, before: FromQuery[int | None] = None
) -> Template:
    """The public audit log, newest first, with the signed checkpoint and live appends."""
    size = await runtime.audit.size(db)
    upper = min(before if before is not None else size, size)
    entries = await runtime.audit.recent(db, before=upper, limit=50)
    t = translator(language_of(request))
    rows = []
    for e in entries:
        body = json.loads(e.entry)
        raw = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True)
        rows.append((e.position, format_local(e.created_at), kind_words(t, body.get("kind", "")), body, raw))
    return page(
        request,
        "audit.html",
        size=size,
        entries=rows,
        kind_labels={kind: kind_words(t, kind) for kind in KINDS},
        checkpoint=(await runtime.audit.entry(db, size - 1)).checkpoint if size else "",
        verifier_key=runtime.audit.signer.verifier_key,
        older=entries[-1].position if entries and entries[-1].position > 0 else None,
    )


class MigrationsPending(Exception):
    """The database's alembic_version is behind the code's migration heads: every job would fail."""


class PartHealth(msgspec.Struct, kw_only=True, omit_defaults=True):
    ok: bool
    backend: str
    error: str | None = None


class Health(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``schema`` is absent when the database cannot be reached."""

    status: Literal["ok", "degraded"]
    database: PartHealth
    schema: PartHealth | None = None
    blobs: PartHealth
    pubsub: PartHealth


@get("/healthz", opt=PUBLIC, tags=["ops"])
async def healthz(runtime: Rt) -> Response[Health]:
    """Health check: database (and its schema against the migrations), blob store and pub/sub.

    Answers 200 with ``status`` ok, or 503 with ``status`` degraded and the failing part's ``error``.
    """
    report: dict[str, PartHealth] = {}

    async def check(name: str, describe: str, probe: Any) -> None:
        try:
            await probe()
            report[name] = PartHealth(ok=True, backend=describe)
        except Exception as exc:
            report[name] = PartHealth(ok=False, backend=describe, error=f"{type(exc).__name__}: {exc}")

    async def database() -> None:
        async with runtime.sessions() as session:
            await session.execute(text("SELECT 1"))

    async def pubsub() -> None:
        assert runtime.channels is not None
        backend = runtime.channels._backend
        redis = getattr(backend, "_redis", None)
        if redis is not None:
            await redis.ping()

    async def schema() -> None:
        if behind := await migrate.pending(runtime.engine):
            raise MigrationsPending(
                f"数据库结构落后于代码，待执行迁移 {', '.join(behind)} (migrations pending: "
                "the database schema is behind the code; run `sunbid db upgrade`)"
            )

    db_kind = runtime.engine.dialect.name
    await check("database", db_kind, database)
    if report["database"].ok:
        await check("schema", "alembic", schema)
    await check("blobs", runtime.blobs.describe(), runtime.blobs.check)
    await check("pubsub", "redis" if runtime.settings.redis_url else "memory", pubsub)
    healthy = all(part.ok for part in report.values())
    health = Health(status="ok" if healthy else "degraded", **report)
    return Response(health, status_code=200 if healthy else 503)


HANDLERS = [home, audit_page, healthz]
