"""credit's JSON API: public index look-ups and rankings; supervisors' rules, deductions and appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from litestar import Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, Parameter

from core.access import PUBLIC, Caller, allow
from core.accounts import Principal
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.paging import Paging, paging_from
from core.roles import Role
from core.runtime import Db, Rt, Runtime
from core.types import AnyRequest
from credit import chart, exchange, service, snapshots
from credit.subjects import normalise_key, parse_kind
from credit.views import (
    appeal_json,
    point_json,
    private_deduction,
    public_deduction,
    ranked_json,
    rule_json,
    standing_json,
)

SUBJECTS = (Role.BIDDER, Role.AGENT, Role.TENDERER, Role.EXPERT)
HISTORY_DAYS = 180
LONGER_PAGES = {"paging": paging_from(50)}  # credit's listings page by 50, not the app's default


@dataclass
class RuleBody:
    code: str
    subject_kind: str
    title: str
    description: str
    points: Decimal
    validity_days: int
    legal_basis: str
    bars: bool = False
    event: str | None = None
    active: bool = True


@dataclass
class DeductionBody:
    subject_kind: str
    subject_key: str
    rule_code: str
    reason: str
    evidence: str = ""
    day: date | None = None
    source_region: str = "220200"
    source_industry: str = "construction"
    source_ref: str = ""
    subject_name: str | None = None


@dataclass
class AppealBody:
    deduction_id: int
    reason: str


@dataclass
class DecisionBody:
    outcome: str
    reason: str


@dataclass
class LinkBody:
    user_id: int
    expert_key: str


async def subject_page_data(db: Db, kind: str, key: str, day: date) -> dict[str, Any]:
    found = await service.standing(db, kind, key, day)
    subject = await service.describe(db, kind, key)
    listed = await service.list_deductions(db, kind=kind, key=found.key, day=day, limit=500)
    return {
        "standing": found,
        "name": subject.name if subject else found.key,
        "region_code": subject.region_code if subject else None,
        "active": listed.rows,
    }


async def may_read_private(principal: Principal, db: Db, kind: str, key: str) -> None:
    if Role.SUPERVISOR not in principal.roles and not await service.speaks_for(db, principal, kind, key):
        raise PermissionDenied("只能查看本单位（本人）的扣分证据 (only your own deductions' evidence)")


async def history_points(runtime: Runtime, db: Db, kind: str, key: str, days: int) -> list[snapshots.Point]:
    subject_kind = parse_kind(kind)
    until = service.today(runtime)
    return await snapshots.history(
        db, subject_kind, normalise_key(subject_kind, key), since=until - timedelta(days=days), until=until
    )


# Public reads first, then supervisors' and subjects' routes.


@get("/api/credit/rules", opt=PUBLIC, tags=["credit"])
async def list_rules(db: Db, kind: FromQuery[str | None] = None) -> list[dict[str, Any]]:
    return [rule_json(r) for r in await service.list_rules(db, kind=kind)]


@get("/api/credit/subjects/{kind:str}/{key:str}", opt=PUBLIC, tags=["credit"])
async def subject_standing(
    runtime: Rt,
    db: Db,
    kind: FromPath[str],
    key: FromPath[str],
    day: FromQuery[date | None] = None,
) -> dict[str, Any]:
    """Index, grade, barred flag and the deductions counting that day (no private evidence)."""
    data = await subject_page_data(db, kind, key, day or service.today(runtime))
    return {
        **standing_json(data["standing"]),
        "name": data["name"],
        "region_code": data["region_code"],
        "day": (day or service.today(runtime)).isoformat(),
        "deductions": [public_deduction(d) for d in data["active"]],
    }


@get(
    "/api/credit/subjects/{kind:str}/{key:str}/history",
    opt=PUBLIC,
    tags=["credit"],
)
async def subject_history(
    runtime: Rt,
    db: Db,
    kind: FromPath[str],
    key: FromPath[str],
    days: int = Parameter(default=HISTORY_DAYS, ge=1, le=3660),
) -> list[dict[str, Any]]:
    points = await history_points(runtime, db, kind, key, days)
    return [point_json(p) for p in points]


@get(
    "/api/credit/subjects/{kind:str}/{key:str}/history.svg",
    opt=PUBLIC,
    media_type="image/svg+xml",
    tags=["credit"],
)
async def subject_history_svg(
    runtime: Rt,
    db: Db,
    kind: FromPath[str],
    key: FromPath[str],
    days: int = Parameter(default=HISTORY_DAYS, ge=1, le=3660),
) -> Response[str]:
    points = await history_points(runtime, db, kind, key, days)
    return Response(str(chart.svg(points, title=f"{kind} {key}")), media_type="image/svg+xml")


@get("/api/credit/rankings", opt=PUBLIC, tags=["credit"], dependencies=LONGER_PAGES)
async def rankings(
    runtime: Rt,
    db: Db,
    paging: Paging,
    kind: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    day: FromQuery[date | None] = None,
) -> dict[str, Any]:
    """The latest evaluated day's subjects below 100 or barred, lowest first."""
    run = await snapshots.latest_run(db, on_or_before=day or service.today(runtime))
    if run is None:
        return {"day": None, "total": 0, "items": []}
    found = await snapshots.rankings(
        db,
        day=run.day,
        kind=parse_kind(kind) if kind else None,
        region=region,
        limit=paging.limit,
        offset=paging.offset,
    )
    return {
        "day": run.day.isoformat(),
        "subjects": run.subjects,
        "grades": {"A": run.grade_a, "B": run.grade_b, "C": run.grade_c, "D": run.grade_d},
        "total": found.total,
        "items": [ranked_json(r) for r in found.rows],
    }


@post(
    "/api/credit/rules",
    opt=allow(Role.SUPERVISOR),
    status_code=201,
    tags=["credit"],
)
async def create_rule(runtime: Rt, principal: Caller, db: Db, data: JSONBody[RuleBody]) -> dict[str, Any]:
    rule = await service.create_rule(db, runtime, service.RuleInput(**data.__dict__), actor=principal.actor)
    return rule_json(rule)


@put("/api/credit/rules/{code:str}", opt=allow(Role.SUPERVISOR), tags=["credit"])
async def update_rule(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    data: JSONBody[RuleBody],
) -> dict[str, Any]:
    """Changes apply to deductions recorded from now on; past deductions keep their points."""
    rule = await service.update_rule(
        db, runtime, code, service.RuleInput(**data.__dict__), actor=principal.actor
    )
    return rule_json(rule)


@get("/api/credit/deductions", opt=allow(Role.SUPERVISOR), tags=["credit"], dependencies=LONGER_PAGES)
async def list_deductions(
    db: Db,
    paging: Paging,
    kind: FromQuery[str | None] = None,
    key: FromQuery[str | None] = None,
    day: FromQuery[date | None] = None,
) -> dict[str, Any]:
    found = await service.list_deductions(
        db, kind=kind, key=key, day=day, limit=paging.limit, offset=paging.offset
    )
    return {"total": found.total, "items": [private_deduction(d) for d in found.rows]}


@post(
    "/api/credit/deductions",
    opt=allow(Role.SUPERVISOR),
    status_code=201,
    tags=["credit"],
)
async def record_deduction(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[DeductionBody]
) -> dict[str, Any]:
    new = service.NewDeduction(
        kind=data.subject_kind,
        key=data.subject_key,
        rule_code=data.rule_code,
        reason=data.reason,
        evidence=data.evidence,
        day=data.day,
        source_region=data.source_region,
        source_industry=data.source_industry,
        source_ref=data.source_ref,
        subject_name=data.subject_name,
    )
    return private_deduction(await service.record_deduction(db, runtime, new, actor=principal.actor))


@get(
    "/api/credit/deductions/{deduction_id:int}",
    opt=allow(Role.SUPERVISOR, *SUBJECTS),
    tags=["credit"],
)
async def get_deduction(principal: Caller, db: Db, deduction_id: FromPath[int]) -> dict[str, Any]:
    """With the private evidence: supervisors, and the subject itself."""
    d = await service.get_deduction(db, deduction_id)
    await may_read_private(principal, db, d.subject_kind, d.subject_key)
    return private_deduction(d, await service.documents(db, d.id))


@post(
    "/api/credit/deductions/{deduction_id:int}/documents",
    opt=allow(Role.SUPERVISOR),
    status_code=201,
    tags=["credit"],
)
async def add_document(
    runtime: Rt,
    principal: Caller,
    db: Db,
    deduction_id: FromPath[int],
    data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> dict[str, Any]:
    doc = await service.attach_document(
        db,
        runtime,
        deduction_id,
        filename=data.filename,
        content_type=data.content_type,
        content=await data.read(),
        actor=principal.actor,
    )
    return {"id": doc.id, "filename": doc.filename, "size": doc.size, "sha256": doc.sha256}


@get(
    "/api/credit/deductions/{deduction_id:int}/documents/{document_id:int}",
    opt=allow(Role.SUPERVISOR, *SUBJECTS),
    tags=["credit"],
)
async def get_document(
    principal: Caller,
    runtime: Rt,
    db: Db,
    deduction_id: FromPath[int],
    document_id: FromPath[int],
) -> Response[bytes]:
    d = await service.get_deduction(db, deduction_id)
    await may_read_private(principal, db, d.subject_kind, d.subject_key)
    doc = next((x for x in await service.documents(db, d.id) if x.id == document_id), None)
    if doc is None:
        raise NotFound(f"document {document_id} not found")
    content = b"".join([chunk async for chunk in await runtime.blobs.open(doc.blob_key)])
    return Response(
        content,
        media_type=doc.content_type,
        headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"},
    )


@get("/api/credit/appeals", opt=allow(Role.SUPERVISOR, *SUBJECTS), tags=["credit"])
async def list_appeals(
    principal: Caller, db: Db, status: FromQuery[str | None] = None
) -> list[dict[str, Any]]:
    """Supervisors see every appeal; a subject sees its own."""
    rows = await service.list_appeals(db, principal, status=status)
    return [appeal_json(a, d) for a, d in rows]


@post("/api/credit/appeals", opt=allow(*SUBJECTS), status_code=201, tags=["credit"])
async def file_appeal(runtime: Rt, principal: Caller, db: Db, data: JSONBody[AppealBody]) -> dict[str, Any]:
    a = await service.file_appeal(db, runtime, principal, data.deduction_id, data.reason)
    return appeal_json(a, await service.get_deduction(db, a.deduction_id))


@post(
    "/api/credit/appeals/{appeal_id:int}/decision",
    opt=allow(Role.SUPERVISOR),
    status_code=200,
    tags=["credit"],
)
async def decide_appeal(
    runtime: Rt,
    principal: Caller,
    db: Db,
    appeal_id: FromPath[int],
    data: JSONBody[DecisionBody],
) -> dict[str, Any]:
    a = await service.decide_appeal(db, runtime, appeal_id, data.outcome, data.reason, actor=principal.actor)
    return appeal_json(a, await service.get_deduction(db, a.deduction_id))


@post(
    "/api/credit/links",
    opt=allow(Role.SUPERVISOR),
    status_code=201,
    tags=["credit"],
)
async def link_subject(runtime: Rt, principal: Caller, db: Db, data: JSONBody[LinkBody]) -> dict[str, Any]:
    """Let a user appeal an expert's deductions (expert codes belong to experts/)."""
    link = await service.link_subject(
        db,
        runtime,
        user_id=data.user_id,
        kind="expert",
        key=data.expert_key,
        actor=principal.actor,
    )
    return {"user_id": link.user_id, "kind": link.kind, "key": link.key}


@get(
    "/api/credit/export",
    opt=allow(Role.SUPERVISOR),
    media_type="application/x-ndjson",
    tags=["credit"],
)
async def export_credit(db: Db, since: FromQuery[date | None] = None) -> Response[str]:
    lines = [line async for line in exchange.export_lines(db, since=since)]
    return Response("".join(lines), media_type="application/x-ndjson")


@post(
    "/api/credit/import",
    opt=allow(Role.SUPERVISOR),
    status_code=200,
    tags=["credit"],
)
async def import_credit(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> dict[str, int]:
    """A JSON-lines body (see credit/exchange.py); all or nothing, idempotent."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("导入文件须为UTF-8编码 (the file must be UTF-8)", code="bad_import") from exc
    report = await exchange.import_lines(db, runtime, text, actor=principal.actor)
    return report.__dict__


@post(
    "/api/credit/recompute",
    opt=allow(Role.SUPERVISOR),
    status_code=200,
    tags=["credit"],
)
async def recompute_snapshots(runtime: Rt, db: Db, day: FromQuery[date | None] = None) -> dict[str, Any]:
    run = await snapshots.recompute(db, runtime, day or service.today(runtime))
    return {"day": run.day.isoformat(), "subjects": run.subjects, "barred": run.barred}


ROUTE_HANDLERS = [
    list_rules,
    subject_standing,
    subject_history,
    subject_history_svg,
    rankings,
    create_rule,
    update_rule,
    list_deductions,
    record_deduction,
    get_deduction,
    add_document,
    get_document,
    list_appeals,
    file_appeal,
    decide_appeal,
    link_subject,
    export_credit,
    import_credit,
    recompute_snapshots,
]
