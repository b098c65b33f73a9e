"""HTML pages: the expert's profile, leave and invitations; the supervisor's draw console.

Pages render the current state on the server and use the JSON API for actions; the WebSocket only
tells the page that something changed, and the page then asks the API again (the database is the
truth, so a missed message costs nothing but a refresh).
"""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Caller, allow
from core.errors import NotFound
from core.i18n import register_messages
from core.regions import list_regions
from core.rendering import page
from core.roles import Role
from core.runtime import Db
from core.types import AnyRequest
from experts import registry, service, specialties
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


ROUTE_HANDLERS = [my_page, draws_page, console_page]
