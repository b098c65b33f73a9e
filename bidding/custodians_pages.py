"""The custodians of a tender's custody shares, as a page (admin side; the tender's agent and
supervisors too): which account holds which share, and forms to assign or release one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

import bidding.i18n  # noqa: F401  (registers bidding's page texts)
from bidding import custodians
from bidding.common import moment_of
from core.access import Caller, allow
from core.accounts import Principal
from core.clock import as_utc, format_local
from core.errors import DomainError, InvalidInput
from core.i18n import register_messages
from core.numbers import int_input
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
ASSIGNERS = (Role.ADMIN, Role.AGENT)
DONE = ("assigned", "unassigned")

register_messages(
    {
        "custodians.title": ("密钥保管人", "Custodians"),
        "custodians.help": (
            "开标密钥按密钥仪式拆成若干分片，每片由一名保管人保管。指定保管人账号后，开标时只有被指定的账号"
            "可以提交对应分片；投标截止后不能再变更。",
            "The opening key was split into shares at the key ceremony, one per custodian. Once accounts "
            "are assigned, only the assigned account may reveal its share at the opening; assignments "
            "cannot change after the bid deadline.",
        ),
        "custodians.threshold": (
            "共 {n} 片，开标需 {k} 片",
            "{n} shares; {k} are needed to open",
        ),
        "custodians.no_custody": (
            "本项目没有密钥保管仪式，无分片可指定。",
            "This tender has no key ceremony: there are no shares to assign.",
        ),
        "custodians.share": ("分片", "Share"),
        "custodians.recipient": ("分片接收方公钥", "Share recipient"),
        "custodians.holder": ("保管人账号", "Custodian account"),
        "custodians.assigned_at": ("指定时间（北京时间）", "Assigned (Beijing time)"),
        "custodians.unassigned": ("未指定", "Not assigned"),
        "custodians.assign": ("指定", "Assign"),
        "custodians.remove": ("解除", "Release"),
        "custodians.choose": ("选择保管人", "Choose a custodian"),
        "custodians.no_candidates": (
            "没有可选的保管人账号（需启用且具有密钥保管人角色）。",
            "No account to choose (it must be active and have the custodian role).",
        ),
        "custodians.deadline": ("投标截止（北京时间）", "Bid deadline (Beijing time)"),
        "custodians.closed": (
            "投标截止已过或项目不在投标期内，保管人不能再变更。",
            "The tender no longer takes bids: custodians cannot change.",
        ),
        "custodians.done.assigned": ("已指定保管人", "Custodian assigned"),
        "custodians.done.unassigned": ("已解除保管人", "Custodian released"),
        "custodians.manage": ("指定保管人", "Assign custodians"),
        "custodians.assigned_count": ("已指定 {m}/{n} 片", "{m} of {n} shares assigned"),
    }
)


async def _custodians_page(
    request: AnyRequest,
    runtime: Rt,
    db: Db,
    principal: Principal,
    code: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    done: str | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    tender, shares = await custodians.list_custodians(db, principal, code)
    deadline = as_utc(tender.bid_deadline)
    open_ = moment_of(tender, runtime.clock.now()).accepting_bids
    can_assign = custodians.may_assign(principal, tender) and open_
    return page(
        request,
        "bidding/custodians.html",
        status_code=status_code,
        tender=tender,
        shares=[
            {
                "index": s.index,
                "recipient": s.recipient,
                "user_id": s.user_id,
                "username": s.username,
                "display_name": s.display_name,
                "assigned_at": format_local(s.assigned_at) if s.assigned_at else None,
            }
            for s in shares
        ],
        threshold=int((tender.custody or {}).get("threshold") or 0),
        deadline=format_local(deadline),
        open=open_,
        can_assign=can_assign,
        candidates=await custodians.custodian_candidates(db) if can_assign else [],
        is_admin=Role.ADMIN in principal.roles,
        error=error,
        done=done if done in DONE else None,
        typed=typed or {},
    )


@get("/admin/tenders/{code:str}/custodians", opt=allow(*READERS), include_in_schema=False)
async def custodians_page(
    request: AnyRequest,
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:
    return await _custodians_page(request, runtime, db, principal, code, done=done)


def _where(code: str, done: str) -> str:
    return f"/admin/tenders/{quote(code)}/custodians?done={done}"


@post("/admin/tenders/{code:str}/custodians", opt=allow(*ASSIGNERS), include_in_schema=False, status_code=303)
async def assign_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, code: FromPath[str]
) -> Redirect | Template:
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in ("index", "user_id")}
    try:
        index = int_input(typed["index"], "index", minimum=1, maximum=255)
        if not typed["user_id"].strip():
            raise InvalidInput("user_id: 请选择保管人 (choose a custodian)", code="missing_user")
        user_id = int_input(typed["user_id"], "user_id", minimum=1, maximum=2**31 - 1)
        await custodians.assign_custodian(db, runtime, principal, code, index, user_id)
    except DomainError as exc:
        return await _custodians_page(
            request, runtime, db, principal, code, status_code=exc.status_code, error=exc.detail, typed=typed
        )
    return Redirect(_where(code, "assigned"), status_code=303)


@post(
    "/admin/tenders/{code:str}/custodians/{index:int}/remove",
    opt=allow(*ASSIGNERS),
    include_in_schema=False,
    status_code=303,
)
async def unassign_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, code: FromPath[str], index: FromPath[int]
) -> Redirect | Template:
    try:
        await custodians.unassign_custodian(db, runtime, principal, code, index)
    except DomainError as exc:
        return await _custodians_page(
            request, runtime, db, principal, code, status_code=exc.status_code, error=exc.detail
        )
    return Redirect(_where(code, "unassigned"), status_code=303)


ROUTE_HANDLERS: list[Any] = [custodians_page, assign_submit, unassign_submit]
