"""credit's HTML pages: public index look-up, subject page with SVG history, rules; supervisors'
administration; a subject's own deductions and appeals."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

import credit.i18n  # registers the page texts; its event names are read below
from core import regions
from core.access import PUBLIC, Caller, allow
from core.i18n import language_of
from core.numbers import int_input
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form
from credit import chart, service, snapshots
from credit.api import SUBJECTS, history_points, subject_page_data
from credit.catalogue import INDUSTRIES
from credit.subjects import SubjectKind, parse_kind

KINDS = [k.value for k in SubjectKind]


@get("/credit", opt=PUBLIC, include_in_schema=False)
async def credit_home(
    request: AnyRequest,
    runtime: Rt,
    db: Db,
    kind: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    name: FromQuery[str | None] = None,
) -> Template:
    subject_kind = parse_kind(kind) if kind else None
    wanted = (name or "").strip()[:100]
    named = await snapshots.find_by_name(db, wanted, kind=subject_kind) if wanted else None
    run = await snapshots.latest_run(db, on_or_before=service.today(runtime))
    ranked: list[snapshots.Ranked] = []
    total = 0
    if run is not None:
        listed = await snapshots.rankings(
            db, day=run.day, kind=subject_kind, region=region or None, limit=100
        )
        ranked, total = listed.rows, listed.total
    return page(
        request,
        "credit/index.html",
        kinds=KINDS,
        kind=kind or "",
        region=region or "",
        regions=await regions.list_regions(db),
        region_names=await regions.region_names(db, language_of(request)),
        run=run,
        ranked=ranked,
        total=total,
        name=wanted,
        named=named,
    )


@get("/credit/lookup", opt=PUBLIC, include_in_schema=False)
async def credit_lookup(kind: FromQuery[str], key: FromQuery[str]) -> Redirect:
    subject_kind = parse_kind(kind)
    return Redirect(f"/credit/subjects/{subject_kind.value}/{quote(key.strip(), safe='')}", status_code=303)


@get("/credit/subjects/{kind:str}/{key:str}", opt=PUBLIC, include_in_schema=False)
async def credit_subject(
    request: AnyRequest, runtime: Rt, db: Db, kind: FromPath[str], key: FromPath[str]
) -> Template:
    day = service.today(runtime)
    data = await subject_page_data(db, kind, key, day)
    points = await history_points(runtime, db, kind, key, 180)
    svg = chart.svg(points, title=f"{data['name']} {data['standing'].key}")  # autoescaped markup
    names = await regions.region_names(db, language_of(request))
    return page(
        request, "credit/subject.html", day=day, chart=svg, industries=INDUSTRIES, region_names=names, **data
    )


@get("/credit/rules", opt=PUBLIC, include_in_schema=False)
async def credit_rules(request: AnyRequest, db: Db) -> Template:
    return page(request, "credit/rules.html", rules=await service.list_rules(db))


@get("/credit/admin", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def credit_admin(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    recent = await service.list_deductions(db, limit=30)
    return page(
        request,
        "credit/admin.html",
        appeals=await service.list_appeals(db, principal, status="pending"),
        recent=recent.rows,
        total=recent.total,
        rules=await service.list_rules(db),
        kinds=KINDS,
        industries=INDUSTRIES,
        today=service.today(runtime),
    )


@post("/credit/admin/deductions", opt=allow(Role.SUPERVISOR), include_in_schema=False, status_code=303)
async def admin_record(runtime: Rt, principal: Caller, db: Db, data: Form) -> Redirect:
    day = date.fromisoformat(data["day"]) if data.get("day") else None
    new = service.NewDeduction(
        kind=data.get("kind", ""),
        key=data.get("key", ""),
        rule_code=data.get("rule_code", ""),
        reason=data.get("reason", ""),
        evidence=data.get("evidence", ""),
        day=day,
        source_region=data.get("source_region") or "220200",
        source_industry=data.get("source_industry") or "construction",
        source_ref=data.get("source_ref", ""),
        subject_name=data.get("subject_name") or None,
    )
    await service.record_deduction(db, runtime, new, actor=principal.actor)
    return Redirect("/credit/admin", status_code=303)


@post("/credit/admin/rules", opt=allow(Role.SUPERVISOR), include_in_schema=False, status_code=303)
async def admin_rule(runtime: Rt, principal: Caller, db: Db, data: Form) -> Redirect:
    spec = service.RuleInput(
        code=data.get("code", ""),
        subject_kind=parse_kind(data.get("subject_kind", "")),
        title=data.get("title", ""),
        description=data.get("description", ""),
        points=service.check_points(data.get("points", "")),
        validity_days=_days(data.get("validity_days")),
        legal_basis=data.get("legal_basis", ""),
        bars=data.get("bars") == "on",
    )
    await service.create_rule(db, runtime, spec, actor=principal.actor)
    return Redirect("/credit/admin", status_code=303)


@get("/credit/admin/rules/{code:str}", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def admin_rule_page(request: AnyRequest, db: Db, code: FromPath[str]) -> Template:
    known = [
        key.removeprefix("credit.event.") for key in credit.i18n.MESSAGES if key.startswith("credit.event.")
    ]
    return page(request, "credit/rule.html", rule=await service.get_rule(db, code), known_events=known)


@post("/credit/admin/rules/{code:str}", opt=allow(Role.SUPERVISOR), include_in_schema=False, status_code=303)
async def admin_rule_update(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: Form
) -> Redirect:
    """Edit a rule for future deductions; recorded deductions keep the points they were given."""
    rule = await service.get_rule(db, code)
    spec = service.RuleInput(
        code=rule.code,
        subject_kind=parse_kind(rule.subject_kind),
        title=data.get("title", ""),
        description=data.get("description", ""),
        points=service.check_points(data.get("points", "")),
        validity_days=_days(data.get("validity_days")),
        legal_basis=data.get("legal_basis", ""),
        bars=data.get("bars") == "on",
        event=rule.event,
        active=data.get("active") == "on",
    )
    await service.update_rule(db, runtime, rule.code, spec, actor=principal.actor)
    return Redirect("/credit/rules", status_code=303)


def _days(text: str | None) -> int:
    return int_input(text or "", "有效期须为整数天 (validity: whole days)", code="bad_rule")


@post(
    "/credit/admin/appeals/{appeal_id:int}",
    opt=allow(Role.SUPERVISOR),
    include_in_schema=False,
    status_code=303,
)
async def admin_decide(
    runtime: Rt, principal: Caller, db: Db, appeal_id: FromPath[int], data: Form
) -> Redirect:
    await service.decide_appeal(
        db, runtime, appeal_id, data.get("outcome", ""), data.get("reason", ""), actor=principal.actor
    )
    return Redirect("/credit/admin", status_code=303)


@get("/credit/mine", opt=allow(*SUBJECTS), include_in_schema=False)
async def credit_mine(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    day = service.today(runtime)
    mine = []
    for kind, key in await service.subjects_of(db, principal):
        listed = await service.list_deductions(db, kind=kind, key=key, limit=200)
        mine.append((await service.standing(db, kind, key, day), listed.rows))
    return page(request, "credit/mine.html", mine=mine, appeals=await service.list_appeals(db, principal))


@post("/credit/mine/appeals", opt=allow(*SUBJECTS), include_in_schema=False, status_code=303)
async def mine_appeal(runtime: Rt, principal: Caller, db: Db, data: Form) -> Redirect:
    deduction_id = int_input(data.get("deduction_id", ""), "deduction_id", maximum=2**31 - 1)
    await service.file_appeal(db, runtime, principal, deduction_id, data.get("reason", ""))
    return Redirect("/credit/mine", status_code=303)


ROUTE_HANDLERS = [
    credit_home,
    credit_lookup,
    credit_subject,
    credit_rules,
    credit_admin,
    admin_record,
    admin_rule,
    admin_rule_page,
    admin_rule_update,
    admin_decide,
    credit_mine,
    mine_appeal,
]
