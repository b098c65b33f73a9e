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
from experts import enrolment, registry, service, specialties, views
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
        "experts.c.stage": ("姓名可见范围", "Names visible to"),
        "experts.c.rules": ("抽取规则", "Draw rules"),
        "experts.c.slot": (
            "专家 {experts} 人，备选 {alternates} 人",
            "{experts} experts, {alternates} alternates",
        ),
        "experts.c.counties_allowed": ("限定区县", "Only from counties"),
        "experts.c.counties_excluded": ("排除区县", "Excluded counties"),
        "experts.c.min_counties": ("至少来自 {n} 个区县", "From at least {n} counties"),
        "experts.c.max_per_county": ("每区县最多 {n} 人", "At most {n} per county"),
        "experts.c.max_recent": (
            "12个月内为该招标人评标不超过 {n} 次",
            "At most {n} evaluations for this tenderer in 12 months",
        ),
        "experts.c.min_credit": ("信用分不低于 {n}", "Credit index at least {n}"),
        "experts.c.avoid": (
            "回避：招标人、代理机构及 {n} 家投标人的在职人员及个人申报回避单位",
            "Avoided: staff of the tenderer, the agent and the {n} bidders, and declared conflicts",
        ),
        "experts.c.rule": ("规则", "Rule"),
        "experts.c.alone": ("单独满足", "Meet it alone"),
        "experts.c.left": ("累计剩余", "Left after all so far"),
        "experts.c.lottery": ("随机抽取", "Random draw"),
        "experts.c.commitment": ("服务器种子承诺（SHA-256）", "Server seed commitment (SHA-256)"),
        "experts.c.pool_hash": ("合格专家库快照哈希", "Eligible pool snapshot hash"),
        "experts.c.commit": ("固定合格名单并提交种子承诺", "Fix the eligible list and commit the seed"),
        "experts.c.contribution": (
            "第二方随机数（当班监督人员，及招标人代表）",
            "Second-party randomness (the supervisor on duty and the tenderer's representative)",
        ),
        "experts.c.contribution_placeholder": ("现场录入的随机数", "A number entered on site"),
        "experts.c.contribute": ("录入", "Enter"),
        "experts.c.public_commitment": ("公开承诺", "public commitment"),
        "experts.c.run": ("抽取", "Draw"),
        "experts.c.seed_commitment": ("种子承诺（已公开）", "Seed commitment (published)"),
        "experts.c.seed": (
            "种子（名单公开时随随机数与盐值一并公布）",
            "Seed (published with the names, randomness and salt)",
        ),
        "experts.c.kind": ("类别", "Kind"),
        "experts.c.county": ("区县", "County"),
        "experts.c.download": (
            "下载可复核的抽取记录（JSON，供 sunbid draw verify）",
            "Download the verifiable draw record (JSON, for sunbid draw verify)",
        ),
        "experts.me.no_profile": (
            "当前账号未关联专家档案，请联系交易中心。",
            "This account has no expert profile; please contact the trading centre.",
        ),
        "experts.f.name": ("姓名：", "Name: "),
        "experts.f.code": ("专家编号：", "Expert no.: "),
        "experts.f.id_number": ("身份证号：", "ID number: "),
        "experts.f.phone_": ("手机：", "Phone: "),
        "experts.f.title_": ("职称：", "Title: "),
        "experts.f.employer_": ("工作单位：", "Employer: "),
        "experts.f.county_": ("所在区县：", "County: "),
        "experts.f.status_": ("状态：", "Status: "),
        "experts.me.edit": (
            "修改档案（变更评标专业需交易中心重新审核）",
            "Edit profile (a change of specialties is reviewed again by the centre)",
        ),
        "experts.f.employer_code": ("单位统一社会信用代码", "Employer's credit code"),
        "experts.f.specialties": ("评标专业代码（分号分隔）", "Specialty codes (separated by ;)"),
        "experts.f.avoid": ("回避单位信用代码（分号分隔）", "Credit codes to avoid (separated by ;)"),
        "experts.f.public_key": ("报告签名公钥", "Report signing key"),
        "experts.f.draw_code": ("抽取编号", "Draw"),
        "experts.f.deadline": ("答复期限", "Reply by"),
        "experts.f.action": ("操作", "Action"),
        "experts.me.confirm": ("确认参加", "Confirm"),
        "experts.me.decline_reason": ("谢绝理由", "Reason for declining"),
        "experts.me.decline": ("谢绝", "Decline"),
        "experts.me.no_invitations": ("暂无抽取通知", "No invitations yet"),
        "experts.f.start_date": ("开始日期", "Start date"),
        "experts.f.end_date": ("结束日期", "End date"),
        "experts.f.start": ("开始", "Start"),
        "experts.f.end": ("结束", "End"),
        "experts.f.reason": ("事由", "Reason"),
        "experts.me.remove": ("撤销", "Remove"),
        "experts.me.no_leave": ("无请假记录", "No leave recorded"),
        "experts.me.add_leave": ("登记请假", "Record leave"),
        "experts.f.save": ("保存", "Save"),
        "experts.f.phone": ("手机", "Phone"),
        "experts.f.title": ("职称", "Title"),
        "experts.f.employer": ("工作单位", "Employer"),
        "experts.f.code_short": ("编号", "No."),
        "experts.f.project": ("项目", "Project"),
        "experts.f.evaluation_date": ("评标日期", "Evaluation date"),
        "experts.f.status": ("状态", "Status"),
        "experts.f.names": ("姓名", "Names"),
        "experts.draws.none": ("暂无抽取申请", "No draw requests yet"),
        "experts.f.tender_ref": ("项目编号", "Tender code"),
        "experts.f.lot": ("标段", "Lot"),
        "experts.f.tenderer_code": ("招标人统一社会信用代码", "Tenderer's credit code"),
        "experts.f.tenderer_county": ("招标人所在区县", "Tenderer's county"),
        "experts.f.agent_code": ("代理机构信用代码", "Agent's credit code"),
        "experts.f.bidder_codes": (
            "投标人信用代码（逗号分隔）",
            "Bidders' credit codes (separated by commas)",
        ),
        "experts.f.specialty": ("专业", "Specialty"),
        "experts.f.experts": ("专家人数", "Experts"),
        "experts.f.alternates": ("备选人数", "Alternates"),
        "experts.f.min_counties": ("至少来自几个区县", "From at least this many counties"),
        "experts.f.max_per_county": ("每区县最多", "At most per county"),
        "experts.f.max_recent": (
            "12个月内为该招标人评标不超过",
            "Evaluations for this tenderer in 12 months at most",
        ),
        "experts.f.min_credit": ("信用分不低于", "Credit index at least"),
        "experts.f.response_minutes": ("答复时限（分钟）", "Time to reply (minutes)"),
        "experts.f.exclude_tenderer_county": ("排除招标人所在区县", "Exclude the tenderer's county"),
        "experts.f.counties_excluded_": ("排除区县：", "Exclude counties: "),
        "experts.draws.create": ("创建抽取申请", "Create the draw request"),
        "experts.sup.title": ("补抽", "Supplementary draw"),
        "experts.sup.help": (
            "备选专家已用尽，委员会仍有缺额。补抽按原抽取规则只抽取缺额席位，排除本委员会已抽取过的全部专家，"
            "并按同样的承诺、贡献、抽取步骤进行，生成可独立验证的抽取文件。",
            "The alternates ran out and seats are still empty. A supplementary draw fills only the missing "
            "seats under the same rules, excluding everyone drawn for this committee, through the same "
            "commit, contribute and draw steps, with its own verifiable document.",
        ),
        "experts.sup.run": ("发起补抽", "Start a supplementary draw"),
        "experts.sup.of": ("本次为以下抽取的补抽：", "This draw supplements:"),
        "experts.sup.list": ("补抽记录", "Supplementary draws"),
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
    "already_drawn": "补抽：排除已抽取专家",
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
    "released": "已退出（回避或缺席）",
}

register_messages(
    {
        f"experts.status.{k}": (v, en)
        for (k, v), en in zip(
            STATUS_NAMES.items(), ["Pending review", "Active", "Suspended", "Retired"], strict=True
        )
    }
    | {
        f"experts.stage.{k}": (v, en)
        for (k, v), en in zip(
            STAGE_NAMES.items(), ["Supervisors only", "Visible to the committee", "Published"], strict=True
        )
    }
    | {
        f"experts.inv_state.{k}": (v, en)
        for (k, v), en in zip(
            STATE_NAMES.items(),
            [
                "Invited",
                "Confirmed",
                "Declined",
                "No reply in time",
                "Standing by",
                "Not needed",
                "Left the committee (conflict or absent)",
            ],
            strict=True,
        )
    }
)


@get("/experts/me", opt=allow(Role.EXPERT), include_in_schema=False)
async def my_page(request: AnyRequest, principal: Caller, db: Db) -> Template:
    try:
        expert = await registry.expert_for_user(db, principal.user_id)
    except NotFound:
        return page(request, "experts/me.html", expert=None, invitations=[], states=STATE_NAMES)
    return page(
        request,
        "experts/me.html",
        expert=views.expert_out(expert, supervisor=False, own=True),
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
    return await _console(request, db, draw_id)


async def _console(
    request: AnyRequest, db: Db, draw_id: int, *, error: str | None = None, status_code: int = 200
) -> Template:
    found = await service.get_draw(db, draw_id)
    return page(
        request,
        "experts/console.html",
        status_code=status_code,
        draw=service.draw_json(found, supervisor=True),
        slot_names={s["specialty"]: specialties.path_name(s["specialty"]) for s in found.rules["slots"]},
        rule_names=RULE_NAMES,
        rule_order=FILTERS,
        states=STATE_NAMES,
        stages=STAGE_NAMES,
        counties=await _county_names(db),
        supplements=await service.supplements_of(db, found.id),
        supplemented=await service.get_draw(db, found.supplements_id) if found.supplements_id else None,
        error=error,
    )


@post(
    "/experts/draws/{draw_id:int}/supplementary",
    opt=allow(Role.SUPERVISOR),
    include_in_schema=False,
    status_code=303,
)
async def supplementary_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, draw_id: FromPath[int]
) -> Redirect | Template:
    """补抽 from the short draw's console: the new draw's console is where its steps run."""
    try:
        found = await service.create_supplementary_draw(db, runtime, draw_id, actor=principal)
    except DomainError as exc:
        return await _console(request, db, draw_id, error=exc.detail, status_code=exc.status_code)
    return Redirect(f"/experts/draws/{found.id}", status_code=303)


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
    supplementary_submit,
    register_page,
    register_submit,
    applications_page,
    decide_application,
    link_submit,
]
