"""HTML pages: the expert's profile, leave and invitations; the supervisor's draw console.

Pages render the current state on the server and use the JSON API for actions; the WebSocket only
tells the page that something changed, and the page then asks the API again (the database is the
truth, so a missed message costs nothing but a refresh).
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import PUBLIC, Caller, allow
from core.clock import format_local
from core.errors import DomainError, NotFound
from core.i18n import language_of, register_messages
from core.regions import list_regions
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form
from experts import enrolment, registry, service, specialties
from experts.draw import FILTERS

register_messages(
    {
        "experts.me.title": ("我的专家档案", "My expert profile"),
        "experts.me.invitations": ("抽取通知", "Invitations"),
        "experts.me.leave": ("请假登记", "Leave"),
        "experts.me.specialties": ("评标专业", "Specialties"),
        "experts.draws.title": ("专家抽取", "Expert draws"),
        "experts.draws.new": ("新建抽取申请", "New draw request"),
        "experts.console.title": ("抽取控制台", "Draw console"),
        "experts.console.counts": ("各规则筛选后人数", "Experts left by each rule"),
        "experts.console.committee": ("抽取结果与确认情况", "Result and confirmations"),
        "experts.state.created": ("待提交种子", "Awaiting commitment"),
        "experts.state.committed": ("已提交种子，待录入随机数", "Committed; awaiting contributions"),
        "experts.state.drawn": ("已抽取，等待专家确认", "Drawn; awaiting confirmations"),
        "experts.state.complete": ("委员会已组成", "Committee complete"),
        "experts.state.short": ("备选不足，需补抽", "Alternates exhausted"),
        "experts.register.title": ("评标专家注册申请", "Apply to join the expert pool"),
        "experts.register.help": (
            "提交后由交易中心监督人员审核；通过后即可用此用户名和密码登录。",
            "A supervisor of the centre reviews the application; once approved you log in with this "
            "username and password.",
        ),
        "experts.register.login": ("登录信息", "Login"),
        "experts.register.username": ("用户名", "Username"),
        "experts.register.password": ("密码（至少8位）", "Password (at least 8 characters)"),
        "experts.register.profile": ("专家信息", "Expert profile"),
        "experts.register.name": ("姓名", "Name"),
        "experts.register.id_number": ("身份证号", "ID card number"),
        "experts.register.phone": ("手机号", "Mobile phone"),
        "experts.register.county": ("所在区县", "County"),
        "experts.register.employer_code": (
            "工作单位统一社会信用代码",
            "Employer's unified social credit code",
        ),
        "experts.register.employer_name": ("工作单位名称", "Employer"),
        "experts.register.job_title": ("职称", "Professional title"),
        "experts.register.specialties": (
            "评标专业（可多选，按住 Ctrl 选择）",
            "Specialties (several allowed: hold Ctrl to select)",
        ),
        "experts.register.submit": ("提交申请", "Submit the application"),
        "experts.registered.title": ("申请已提交", "Application submitted"),
        "experts.registered.body": (
            "申请编号 {number}。审核通过后即可登录；如被驳回，交易中心会告知理由。",
            "Application number {number}. You can log in once it is approved; if it is rejected the "
            "centre will tell you why.",
        ),
        "experts.applications.title": ("专家注册申请", "Expert applications"),
        "experts.applications.pending": ("待审核 {total} 份", "{total} waiting for review"),
        "experts.applications.submitted": ("提交时间（北京时间）", "Submitted (Beijing time)"),
        "experts.applications.applicant": ("申请人", "Applicant"),
        "experts.applications.employer": ("工作单位", "Employer"),
        "experts.applications.approve": ("通过", "Approve"),
        "experts.applications.reject": ("驳回", "Reject"),
        "experts.applications.reason": ("驳回理由", "Reason for rejecting"),
        "experts.applications.none": ("没有待审核的申请", "No application is waiting"),
        "experts.applications.done.approved": (
            "已通过：专家档案和登录账号已创建",
            "Approved: the expert record and the login are created",
        ),
        "experts.applications.done.rejected": ("已驳回", "Rejected"),
        "experts.applications.done.linked": (
            "专家 {code} 已关联登录账号",
            "Expert {code} is linked to the login",
        ),
        "experts.link.title": ("为已有专家档案关联登录账号", "Link an existing expert record to a login"),
        "experts.link.help": (
            "账号须已存在（可在系统管理中创建）；关联后该账号获得评标专家角色。",
            "The account must exist (an admin creates it); once linked it gains the expert role.",
        ),
        "experts.link.code": ("专家编号", "Expert code"),
        "experts.link.username": ("登录用户名", "Username"),
        "experts.link.submit": ("关联", "Link"),
    }
)

RULE_NAMES = {
    "status": "在库状态正常",
    "available": "评标日未请假",
    "counties_allowed": "限定区县",
    "counties_excluded": "排除区县",
    "employer_conflict": "回避招标人/代理/投标人单位",
    "named_avoidance": "个人申报回避单位",
    "recent_evaluations": "12个月内为同一招标人评标次数",
    "credit": "信用分阈值",
}
STATUS_NAMES = {"pending": "待审核", "active": "正常", "suspended": "暂停", "retired": "已退出"}
STAGE_NAMES = {"sealed": "仅监督人员可见", "evaluation": "评标委员会可见", "published": "已公开"}
STATE_NAMES = {
    "invited": "已通知",
    "confirmed": "已确认",
    "declined": "已谢绝",
    "expired": "超时未答复",
    "standby": "备选待命",
    "unused": "未启用",
}


@get("/experts/me", opt=allow(Role.EXPERT), include_in_schema=False)
async def my_page(request: AnyRequest, principal: Caller, db: Db) -> Template:
    try:
        expert = await registry.expert_for_user(db, principal.user_id)
    except NotFound:
        return page(request, "experts/me.html", expert=None, invitations=[], states=STATE_NAMES)
    return page(
        request,
        "experts/me.html",
        expert=registry.profile_json(expert, supervisor=False, own=True),
        invitations=await service.invitations_for(db, expert),
        states=STATE_NAMES,
        statuses=STATUS_NAMES,
        counties=await _county_names(db),
    )


async def _county_names(db: AsyncSession) -> dict[str, str]:
    return {r.code: r.name for r in await list_regions(db)}


@get("/experts/draws", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def draws_page(request: AnyRequest, db: Db) -> Template:
    draws = [service.draw_json(d, supervisor=True) for d in await service.list_draws(db)]
    regions = [r for r in await list_regions(db) if r.level != "city"]
    return page(
        request,
        "experts/draws.html",
        draws=draws,
        regions=regions,
        leaves=specialties.leaves(),
        stages=STAGE_NAMES,
    )


@get("/experts/draws/{draw_id:int}", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def console_page(request: AnyRequest, db: Db, draw_id: FromPath[int]) -> Template:
    found = await service.get_draw(db, draw_id)
    return page(
        request,
        "experts/console.html",
        draw=service.draw_json(found, supervisor=True),
        slot_names={s["specialty"]: specialties.path_name(s["specialty"]) for s in found.rules["slots"]},
        rule_names=RULE_NAMES,
        rule_order=FILTERS,
        states=STATE_NAMES,
        stages=STAGE_NAMES,
        counties=await _county_names(db),
    )


# Logins for experts: self-registration (logged out) and the supervisor's review; linking a record.

REGISTRATION_FIELDS = (
    "username", "name", "id_number", "phone", "county", "employer_code", "employer_name", "title",
)  # fmt: skip


async def _register_page(
    request: AnyRequest, db: AsyncSession, *, form: dict[str, Any], error: str | None, status_code: int = 200
) -> Template:
    lang = language_of(request)
    regions = [r for r in await list_regions(db) if r.level != "city"]
    return page(
        request,
        "experts/register.html",
        status_code=status_code,
        form=form,
        error=error,
        counties=[(r.code, r.name if lang == "zh" else (r.name_en or r.name)) for r in regions],
        leaves=[(s.code, specialties.path_name(s.code)) for s in specialties.leaves()],
    )


@get("/experts/register", opt=PUBLIC, include_in_schema=False)
async def register_page(request: AnyRequest, db: Db) -> Template:
    return await _register_page(request, db, form={"specialties": []}, error=None)


@post("/experts/register", opt=PUBLIC, include_in_schema=False, status_code=200)
async def register_submit(request: AnyRequest, runtime: Rt, db: Db) -> Template:
    form = await request.form()
    typed: dict[str, Any] = {k: str(form.get(k, "")) for k in REGISTRATION_FIELDS}
    typed["specialties"] = [str(c) for c in form.getall("specialties")] if "specialties" in form else []
    try:
        row = await enrolment.submit_application(
            db, runtime, enrolment.Application(password=str(form.get("password", "")), **typed)
        )
    except DomainError as exc:
        return await _register_page(request, db, form=typed, error=exc.detail, status_code=exc.status_code)
    return page(request, "experts/registered.html", number=row.id)


async def _applications_page(
    request: AnyRequest, db: AsyncSession, *, done: str | None = None, error: str | None = None,
    status_code: int = 200, linked: str | None = None,
) -> Template:  # fmt: skip
    lang = language_of(request)
    found = await enrolment.list_applications(db, limit=100)
    counties = {r.code: (r.name if lang == "zh" else (r.name_en or r.name)) for r in await list_regions(db)}
    return page(
        request,
        "experts/applications.html",
        status_code=status_code,
        applications=[
            {
                "id": a.id,
                "name": a.name,
                "username": a.username,
                "phone": a.phone,
                "id_number": a.id_number,
                "county": counties.get(a.county_code, a.county_code),
                "employer": a.employer_name,
                "employer_code": a.employer_code,
                "title": a.title,
                "specialties": [specialties.path_name(c) for c in a.specialties],
                "submitted": format_local(a.created_at),
            }
            for a in found.rows
        ],
        total=found.total,
        done=done if done in {"approved", "rejected", "linked"} else None,
        linked=linked,
        error=error,
    )


@get("/experts/applications", opt=allow(Role.SUPERVISOR, Role.ADMIN), include_in_schema=False)
async def applications_page(
    request: AnyRequest, db: Db, done: FromQuery[str | None] = None, code: FromQuery[str | None] = None
) -> Template:
    return await _applications_page(request, db, done=done, linked=code)


@post(
    "/experts/applications/{application_id:int}/{decision:str}",
    opt=allow(Role.SUPERVISOR),
    include_in_schema=False,
    status_code=303,
)
async def decide_application(
    request: AnyRequest,
    runtime: Rt,
    principal: Caller,
    db: Db,
    application_id: FromPath[int],
    decision: FromPath[str],
    data: Form,
) -> Redirect | Template:
    try:
        if decision == "approve":
            await enrolment.approve_application(db, runtime, application_id, principal)
        elif decision == "reject":
            await enrolment.reject_application(db, runtime, application_id, data.get("reason", ""), principal)
        else:
            raise NotFound(f"unknown decision {decision!r}", code="unknown_decision")
    except DomainError as exc:
        return await _applications_page(request, db, error=exc.detail, status_code=exc.status_code)
    return Redirect(f"/experts/applications?done={decision}d", status_code=303)


@post("/experts/link", opt=allow(Role.SUPERVISOR, Role.ADMIN), include_in_schema=False, status_code=303)
async def link_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, data: Form
) -> Redirect | Template:
    """Link an existing expert record to a login (``sunbid experts link CODE USERNAME`` on a page)."""
    try:
        expert = await enrolment.link_expert_to_user(
            db, runtime, data.get("code", ""), data.get("username", ""), actor=principal.actor
        )
    except DomainError as exc:
        return await _applications_page(request, db, error=exc.detail, status_code=exc.status_code)
    return Redirect(f"/experts/applications?done=linked&code={expert.code}", status_code=303)


ROUTE_HANDLERS = [
    my_page,
    draws_page,
    console_page,
    register_page,
    register_submit,
    applications_page,
    decide_application,
    link_submit,
]
