"""Pages for notice review (公告审核) and re-tendering (重新招标).

The supervisor's worklist (/notice-reviews): the rules that require review, and the drafts waiting
for a decision, each with approve / return-with-reasons forms. The tender page shows its owners the
review state and reasons (``review_context``) and, on a failed tender, the re-tender form; everyone
sees the project's attempts (the tender it re-tenders and the one re-tendering it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

import bidding.i18n  # noqa: F401  (registers bidding's page texts)
from bidding import inputs, review
from bidding.common import can_see_draft, is_owner
from bidding.lifecycle import ReviewAction, State
from bidding.models import Tender
from bidding.retender import Retender, history, retender
from core import regions
from core.access import Caller, allow
from core.accounts import Principal
from core.clock import SHANGHAI, format_local
from core.errors import DomainError, InvalidInput
from core.i18n import language_of, register_messages
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form

OWNERS = (Role.AGENT, Role.TENDERER)
DONE = ("approved", "returned", "rule_set")

register_messages(
    {
        "review.title": ("招标公告审核", "Tender notice review"),
        "review.help": (
            "按地区或交易类别设定招标公告是否须经监管部门审核；设定后，该地区或类别的招标项目须报审并审核通过后方可发布。"
            "同时设定地区和类别的规则优先，其次为地区、类别、全部；未设定时无需审核。",
            "Set whether tender notices of a region or category need the supervisor's approval; "
            "where they do, a tender is submitted for review and published only once approved. "
            "The most specific rule applies (region and category, then region, then category, "
            "then everywhere); without a rule no review is needed.",
        ),
        "review.rules": ("审核规则", "Review rules"),
        "review.region": ("地区", "Region"),
        "review.category": ("交易类别", "Category"),
        "review.all": ("全部", "All"),
        "review.required": ("须审核", "Review required"),
        "review.not_required": ("无需审核", "No review"),
        "review.basis": ("依据", "Basis"),
        "review.set_at": ("设定时间（北京时间）", "Set (Beijing time)"),
        "review.set": ("保存规则", "Save rule"),
        "review.no_rules": ("未设定规则：招标公告无需审核。", "No rule: notices need no review."),
        "review.pending": ("待审核的招标公告", "Notices waiting for review"),
        "review.no_pending": ("没有待审核的招标公告。", "No notice is waiting for review."),
        "review.submitted_at": ("报审时间（北京时间）", "Submitted (Beijing time)"),
        "review.approve": ("审核通过", "Approve"),
        "review.return": ("退回", "Return"),
        "review.reason": ("退回理由", "Reasons for returning"),
        "review.done.approved": ("已审核通过", "Approved"),
        "review.done.returned": ("已退回", "Returned"),
        "review.done.rule_set": ("规则已保存", "Rule saved"),
        "review.state": ("公告审核", "Notice review"),
        "review.state.none": ("未报审", "Not submitted"),
        "review.state.submitted": ("审核中", "Under review"),
        "review.state.approved": ("审核通过", "Approved"),
        "review.state.returned": ("已退回", "Returned"),
        "review.needed": (
            "本项目的招标公告须经监管部门审核通过后方可发布。",
            "This notice must be approved before publishing.",
        ),
        "review.submit": ("报送审核", "Submit for review"),
        "review.history": ("审核记录", "Review history"),
        "review.lapsed": ("草稿已修改，需重新报审", "The draft changed: submit it again"),
        "review.decided_at": ("处理时间（北京时间）", "Decided (Beijing time)"),
        "review.open": ("查看", "Open"),
        "retender.title": ("项目沿革", "Attempts of this project"),
        "retender.attempt": ("第 {n} 次招标", "Attempt {n}"),
        "retender.previous": (
            "本项目为以下流标项目的重新招标：",
            "This tender re-tenders the failed tender:",
        ),
        "retender.next": ("本项目流标后已重新招标：", "After this tender failed it was tendered again as:"),
        "retender.previous_other": ("本项目为以下项目的重新招标：", "This tender tenders again:"),
        "retender.next_other": ("本项目已重新招标：", "This tender was tendered again as:"),
        "retender.lot": ("标段 {n}：", "Lot {n}: "),
        # The legal basis follows the sentence in the template, marked translate="no" (it is a citation).
        "retender.may": (
            "本项目已流标，招标人应分析原因、采取措施后依法重新招标",
            "This tender failed; the tenderer re-tenders after analysing why",
        ),
        "retender.repeated": (
            "重新招标后再次流标：须审批、核准的项目经原审批、核准部门批准后可以不再进行招标，"
            "其他项目招标人可自行决定不再招标，改用其他方式",
            "The re-tender failed too: a project subject to approval may, with the approving department's "
            "consent, stop tendering, and other projects may decide so themselves and switch method",
        ),
        "retender.form": ("重新招标", "Tender again"),
        "retender.help": (
            "新项目沿用本项目的交易类别、方式、金额、评标办法、需重新招标的标段和招标文件，"
            "请填写新的项目编号、时间安排和新的开标公钥（本项目开标时已使用的密钥不得再次使用）。新项目先保存为草稿。",
            "The new tender keeps this one's category, method, amounts, criteria, the lots to tender "
            "again and documents; give a new code, timeline and a new opening key (this tender's "
            "opening key must not be reused). It is saved as a draft first.",
        ),
        "retender.code": ("新项目编号", "New tender code"),
        "retender.recipient": ("新的开标公钥（age1…）", "New opening recipient (age1…)"),
        "retender.create": ("创建重新招标草稿", "Create the re-tender draft"),
    }
)


def _rule_rows(rules: list[review.ReviewRuleOut], region_names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "region": region_names.get(r.region_code, r.region_code) if r.region_code else None,
            "category": r.category or None,
            "required": r.required,
            "basis": r.legal_basis,
            "set_at": format_local(r.set_at),
        }
        for r in rules
    ]


async def _worklist(
    request: AnyRequest,
    db: Db,
    *,
    status_code: int = 200,
    error: str | None = None,
    done: str | None = None,
) -> Template:
    names = await regions.region_names(db, language_of(request))
    pending = [
        {
            "code": s.tender,
            "title": s.title,
            "submitted_at": format_local(s.history[0].submitted_at),
            "basis": s.legal_basis,
            "earlier": [h for h in s.history[1:] if h.reason],
        }
        for s in await review.pending(db)
    ]
    return page(
        request,
        "bidding/reviews.html",
        status_code=status_code,
        rules=_rule_rows(await review.list_rules(db), names),
        pending=pending,
        regions=sorted(names.items()),
        categories=inputs.CATEGORIES,
        error=error,
        done=done if done in DONE else None,
        fmt=format_local,
    )


@get("/notice-reviews", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def reviews_page(request: AnyRequest, db: Db, done: FromQuery[str | None] = None) -> Template:
    return await _worklist(request, db, done=done)


@post("/notice-reviews/rules", opt=allow(Role.SUPERVISOR), include_in_schema=False, status_code=303)
async def rule_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, data: Form
) -> Redirect | Template:
    rule = review.ReviewRuleIn(
        region_code=data.get("region_code", "").strip(),
        # a form sends any text: set_rule refuses one outside the vocabulary (422), as it always has
        category=cast(review.RuleCategory, data.get("category", "").strip()),
        required=data.get("required") == "1",
        legal_basis=data.get("legal_basis", ""),
    )
    try:
        await review.set_rule(db, runtime, principal, rule)
    except DomainError as exc:
        return await _worklist(request, db, status_code=exc.status_code, error=exc.detail)
    return Redirect("/notice-reviews?done=rule_set", status_code=303)


@post(
    "/notice-reviews/{code:str}/approve", opt=allow(Role.SUPERVISOR), include_in_schema=False, status_code=303
)
async def approve_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, code: FromPath[str]
) -> Redirect | Template:
    try:
        await review.decide(db, runtime, principal, code, ReviewAction.APPROVE)
    except DomainError as exc:
        return await _worklist(request, db, status_code=exc.status_code, error=exc.detail)
    return Redirect("/notice-reviews?done=approved", status_code=303)


@post(
    "/notice-reviews/{code:str}/return", opt=allow(Role.SUPERVISOR), include_in_schema=False, status_code=303
)
async def return_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: Form
) -> Redirect | Template:
    try:
        await review.decide(db, runtime, principal, code, ReviewAction.RETURN, data.get("reason", ""))
    except DomainError as exc:
        return await _worklist(request, db, status_code=exc.status_code, error=exc.detail)
    return Redirect("/notice-reviews?done=returned", status_code=303)


@post("/tenders/{code:str}/review", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def submit_form(runtime: Rt, principal: Caller, db: Db, code: FromPath[str]) -> Redirect:
    await review.submit(db, runtime, principal, code)
    return Redirect(f"/tenders/{quote(code)}", status_code=303)


def _local(value: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)
    except ValueError:
        raise InvalidInput(f"{name}: 请填写日期和时间 (a date and time)", code="bad_time") from None


@post("/tenders/{code:str}/retender", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def retender_form(runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: Form) -> Redirect:
    new = Retender(
        code=data.get("code", "").strip(),
        registration_start=_local(data.get("registration_start", ""), "registration_start"),
        registration_end=_local(data.get("registration_end", ""), "registration_end"),
        clarification_deadline=_local(data.get("clarification_deadline", ""), "clarification_deadline"),
        bid_deadline=_local(data.get("bid_deadline", ""), "bid_deadline"),
        opening_recipient=data.get("opening_recipient", ""),
    )
    tender = await retender(db, runtime, principal, code, new)
    return Redirect(f"/tenders/{quote(tender.code)}", status_code=303)


async def review_context(db: Db, viewer: Principal | None, tender: Tender) -> dict[str, Any]:
    """What the tender page shows of the review (owners, supervisors) and of the project's attempts."""
    owner_view = viewer is not None and can_see_draft(viewer, tender)
    attempts = await history(db, tender, drafts=owner_view)
    out: dict[str, Any] = {"attempts": attempts, "review": None, "may_submit": False}
    if viewer is not None and can_see_draft(viewer, tender) and tender.state == State.DRAFT:
        status = await review.status(db, tender)
        if status.required or status.history:
            out["review"] = status
            out["may_submit"] = (
                status.required and is_owner(viewer, tender) and status.state in ("none", "returned")
            )
    out["may_retender"] = (
        viewer is not None
        and is_owner(viewer, tender)
        and (out["attempts"].may_retender or bool(out["attempts"].retender_reasons))
        and out["attempts"].next is None
    )
    return out


ROUTE_HANDLERS: list[Any] = [
    reviews_page,
    rule_submit,
    approve_submit,
    return_submit,
    submit_form,
    retender_form,
]
