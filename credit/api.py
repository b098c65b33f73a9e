"""credit's JSON API: public index look-ups and rankings; supervisors' rules, deductions and appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, Parameter

from core.access import PUBLIC, Caller, allow
from core.accounts import Principal
from core.answers import binary_answer
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.paging import Listing, Paging, listing, paging_from
from core.raw_body import raw_body
from core.roles import Role
from core.runtime import Db, Rt, Runtime
from core.types import AnyRequest
from credit import chart, exchange, service, snapshots
from credit.subjects import ExpertKeyText, SubjectKind, normalise_key, parse_kind
from credit.views import (
    AppealOut,
    DocumentOut,
    PointOut,
    PrivateDeduction,
    PublicDeduction,
    RankedOut,
    RuleOut,
    StandingOut,
    appeal_out,
    document_out,
    point_out,
    private_deduction,
    public_deduction,
    ranked_out,
    rule_out,
    standing_out,
)

SUBJECTS = (Role.BIDDER, Role.AGENT, Role.TENDERER, Role.EXPERT)
HISTORY_DAYS = 180
LONGER_PAGES = {"paging": paging_from(50)}  # credit's listings page by 50, not the app's default


class DeductionBody(msgspec.Struct, kw_only=True):
    subject_kind: SubjectKind
    subject_key: str
    rule_code: str
    reason: str
    evidence: str = ""
    day: date | None = None
    source_region: str = "220200"
    source_industry: str = "construction"
    source_ref: str = ""
    subject_name: str | None = None


@dataclass  # the one body kept a dataclass: it carries the multipart UploadFile part
class DocumentUpload:
    # A model rather than a bare UploadFile: a multipart body with no file part is then a 400 naming
    # the part (Litestar's bare-UploadFile extractor raised StopIteration, a 500). The part keeps the
    # name it always had, ``data``.
    data: UploadFile


class AppealBody(msgspec.Struct, kw_only=True):
    # Ids are database integers: one past 64 bits was a 500 (an overflow in SQLite), now a 400.
    deduction_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
    reason: Annotated[str, msgspec.Meta(min_length=1)]


class DecisionBody(msgspec.Struct, kw_only=True):
    outcome: Literal["upheld", "revoked"]
    reason: str


class LinkBody(msgspec.Struct, kw_only=True):
    user_id: int
    expert_key: ExpertKeyText


class SubjectStanding(StandingOut, kw_only=True):
    name: str
    region_code: str | None
    day: date
    deductions: list[PublicDeduction]


class GradeCounts(msgspec.Struct):
    A: int
    B: int
    C: int
    D: int


class Rankings(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``subjects`` and ``grades`` are absent when no nightly run happened yet."""

    day: date | None
    subjects: int | None = None
    grades: GradeCounts | None = None
    total: int
    items: list[RankedOut]


class SubjectLink(msgspec.Struct, kw_only=True):
    user_id: int
    kind: SubjectKind
    key: str


class SnapshotRun(msgspec.Struct, kw_only=True):
    day: date
    subjects: int
    barred: int


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
async def list_rules(db: Db, kind: FromQuery[SubjectKind | None] = None) -> list[RuleOut]:
    """The deduction rules (失信行为扣分标准), each with its points, validity and legal basis."""
    return [rule_out(r) for r in await service.list_rules(db, kind=kind)]


@get("/api/credit/subjects/{kind:str}/{key:str}", opt=PUBLIC, tags=["credit"])
async def subject_standing(
    runtime: Rt,
    db: Db,
    kind: FromPath[SubjectKind],
    key: FromPath[str],
    day: FromQuery[date | None] = None,
) -> SubjectStanding:
    """A subject's credit (信用指数) on a day: index, grade, barred flag and the deductions counting.

    ``kind`` is bidder, agent or tenderer (``key``: the credit code) or expert (the expert code); the
    day defaults to today (Beijing time). Private evidence is never shown here.
    """
    data = await subject_page_data(db, kind, key, day or service.today(runtime))
    return SubjectStanding(
        **msgspec.structs.asdict(standing_out(data["standing"])),
        name=data["name"],
        region_code=data["region_code"],
        day=day or service.today(runtime),
        deductions=[public_deduction(d) for d in data["active"]],
    )


@get(
    "/api/credit/subjects/{kind:str}/{key:str}/history",
    opt=PUBLIC,
    tags=["credit"],
)
async def subject_history(
    runtime: Rt,
    db: Db,
    kind: FromPath[SubjectKind],
    key: FromPath[str],
    days: int = Parameter(default=HISTORY_DAYS, ge=1, le=3660),
) -> list[PointOut]:
    """The subject's daily index over the last ``days`` days, oldest first (from the nightly runs)."""
    points = await history_points(runtime, db, kind, key, days)
    return [point_out(p) for p in points]


@get(
    "/api/credit/subjects/{kind:str}/{key:str}/history.svg",
    opt=PUBLIC,
    media_type="image/svg+xml",
    tags=["credit"],
)
async def subject_history_svg(
    runtime: Rt,
    db: Db,
    kind: FromPath[SubjectKind],
    key: FromPath[str],
    days: int = Parameter(default=HISTORY_DAYS, ge=1, le=3660),
) -> Response[str]:
    """The same history as an SVG line chart (image/svg+xml)."""
    points = await history_points(runtime, db, kind, key, days)
    return Response(str(chart.svg(points, title=f"{kind} {key}")), media_type="image/svg+xml")


@get("/api/credit/rankings", opt=PUBLIC, tags=["credit"], dependencies=LONGER_PAGES)
async def rankings(
    runtime: Rt,
    db: Db,
    paging: Paging,
    kind: FromQuery[SubjectKind | None] = None,
    region: FromQuery[str | None] = None,
    day: FromQuery[date | None] = None,
) -> Rankings:
    """Credit rankings (信用排名): the latest evaluated day's subjects below 100 or barred, lowest first.

    ``day`` picks the latest nightly run on or before it; ``day`` is null when none ran yet.
    """
    run = await snapshots.latest_run(db, on_or_before=day or service.today(runtime))
    if run is None:
        return Rankings(day=None, total=0, items=[])
    found = await snapshots.rankings(
        db,
        day=run.day,
        kind=parse_kind(kind) if kind else None,
        region=region,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Rankings(
        day=run.day,
        subjects=run.subjects,
        grades=GradeCounts(A=run.grade_a, B=run.grade_b, C=run.grade_c, D=run.grade_d),
        total=found.total,
        items=[ranked_out(r) for r in found.rows],
    )


@post(
    "/api/credit/rules",
    opt=allow(Role.SUPERVISOR),
    status_code=201,
    tags=["credit"],
)
async def create_rule(runtime: Rt, principal: Caller, db: Db, data: JSONBody[service.RuleInput]) -> RuleOut:
    """Add a deduction rule with its points, validity in days and legal basis (supervisors)."""
    rule = await service.create_rule(db, runtime, data, actor=principal.actor)
    return rule_out(rule)


@put("/api/credit/rules/{code:str}", opt=allow(Role.SUPERVISOR), tags=["credit"])
async def update_rule(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    data: JSONBody[service.RuleInput],
) -> RuleOut:
    """Change a deduction rule; it applies to deductions recorded from now on.

    Past deductions keep the points and validity they were recorded with.
    """
    rule = await service.update_rule(db, runtime, code, data, actor=principal.actor)
    return rule_out(rule)


@get("/api/credit/deductions", opt=allow(Role.SUPERVISOR), tags=["credit"], dependencies=LONGER_PAGES)
async def list_deductions(
    db: Db,
    paging: Paging,
    kind: FromQuery[SubjectKind | None] = None,
    key: FromQuery[str | None] = None,
    day: FromQuery[date | None] = None,
) -> Listing[PrivateDeduction]:
    """Deductions with their evidence, by subject and the day they count on (supervisors)."""
    found = await service.list_deductions(
        db, kind=kind, key=key, day=day, limit=paging.limit, offset=paging.offset
    )
    return listing(found, [private_deduction(d) for d in found.rows])


@post(
    "/api/credit/deductions",
    opt=allow(Role.SUPERVISOR),
    status_code=201,
    tags=["credit"],
)
async def record_deduction(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[DeductionBody]
) -> PrivateDeduction:
    """Record a deduction (记录扣分) under a rule; it counts from ``day`` for the rule's validity.

    The deduction is public (rule, reason, source) from then on; ``evidence`` stays private.
    """
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
async def get_deduction(principal: Caller, db: Db, deduction_id: FromPath[int]) -> PrivateDeduction:
    """One deduction with its private evidence and documents: supervisors, and the subject itself."""
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
    data: Annotated[DocumentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> DocumentOut:
    """Attach an evidence document (multipart upload, the file in the part named ``data``) to a
    deduction; stored privately."""
    doc = await service.attach_document(
        db,
        runtime,
        deduction_id,
        filename=data.data.filename,
        content_type=data.data.content_type,
        content=await data.data.read(),
        actor=principal.actor,
    )
    return document_out(doc)


@get(
    "/api/credit/deductions/{deduction_id:int}/documents/{document_id:int}",
    opt=allow(Role.SUPERVISOR, *SUBJECTS),
    media_type="application/octet-stream",  # the answer carries the document's own type as uploaded
    tags=["credit"],
    operation_class=binary_answer(
        "*/*",
        description="the document's bytes, as the content type it was uploaded with (any type is accepted)",
    ),
)
async def get_document(
    principal: Caller,
    runtime: Rt,
    db: Db,
    deduction_id: FromPath[int],
    document_id: FromPath[int],
) -> Response[bytes]:
    """Download an evidence document, as its own content type (supervisors and the subject)."""
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
    principal: Caller, db: Db, status: FromQuery[Literal["pending", "upheld", "revoked"] | None] = None
) -> list[AppealOut]:
    """Supervisors see every appeal; a subject sees its own."""
    rows = await service.list_appeals(db, principal, status=status)
    return [appeal_out(a, d) for a, d in rows]


@post("/api/credit/appeals", opt=allow(*SUBJECTS), status_code=201, tags=["credit"])
async def file_appeal(runtime: Rt, principal: Caller, db: Db, data: JSONBody[AppealBody]) -> AppealOut:
    """Appeal one of your own deductions (信用修复/异议), with the reason; a supervisor decides."""
    a = await service.file_appeal(db, runtime, principal, data.deduction_id, data.reason)
    return appeal_out(a, await service.get_deduction(db, a.deduction_id))


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
) -> AppealOut:
    """Decide a pending appeal: ``upheld`` keeps the deduction, ``revoked`` revokes it (with the reason)."""
    a = await service.decide_appeal(db, runtime, appeal_id, data.outcome, data.reason, actor=principal.actor)
    return appeal_out(a, await service.get_deduction(db, a.deduction_id))


@post(
    "/api/credit/links",
    opt=allow(Role.SUPERVISOR),
    status_code=201,
    tags=["credit"],
)
async def link_subject(runtime: Rt, principal: Caller, db: Db, data: JSONBody[LinkBody]) -> SubjectLink:
    """Let a user appeal an expert's deductions (expert codes belong to experts/)."""
    link = await service.link_subject(
        db,
        runtime,
        user_id=data.user_id,
        kind="expert",
        key=data.expert_key,
        actor=principal.actor,
    )
    return SubjectLink(user_id=link.user_id, kind=SubjectKind(link.kind), key=link.key)


@get(
    "/api/credit/export",
    opt=allow(Role.SUPERVISOR),
    media_type="application/x-ndjson",
    tags=["credit"],
)
async def export_credit(db: Db, since: FromQuery[date | None] = None) -> Response[str]:
    """Export deductions for another platform (信用信息交换): JSON lines (application/x-ndjson).

    One public deduction per line with its subject, oldest first, recorded on or after ``since``.
    """
    lines = [line async for line in exchange.export_lines(db, since=since)]
    return Response("".join(lines), media_type="application/x-ndjson")


@post(
    "/api/credit/import",
    opt=allow(Role.SUPERVISOR),
    status_code=200,
    tags=["credit"],
    operation_class=raw_body("application/x-ndjson", exchange.__doc__ or ""),
)
async def import_credit(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> exchange.ImportReport:
    """Import another platform's deductions: a JSON-lines body, the export's format (UTF-8).

    All or nothing, and idempotent: a line seen before is unchanged. See credit/exchange.py.
    """
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("导入文件须为UTF-8编码 (the file must be UTF-8)", code="bad_import") from exc
    report = await exchange.import_lines(db, runtime, text, actor=principal.actor)
    return report


@post(
    "/api/credit/recompute",
    opt=allow(Role.SUPERVISOR),
    status_code=200,
    tags=["credit"],
)
async def recompute_snapshots(runtime: Rt, db: Db, day: FromQuery[date | None] = None) -> SnapshotRun:
    """Recompute every subject's index for ``day`` (default today), as the nightly run does."""
    run = await snapshots.recompute(db, runtime, day or service.today(runtime))
    return SnapshotRun(day=run.day, subjects=run.subjects, barred=run.barred)


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
