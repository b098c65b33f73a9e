"""contracts' pages: the caller's contracts with the signing clock; one contract with the browser signing
form (web/static/contracts/sign.js: the identity stays in the page, only the signature is sent to the
API), the owner's forms (terms and bond, next step, milestones, evaluation) and the parties' refusal;
the public list of signed contracts. A refused form comes back with the reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

import contracts.i18n  # noqa: F401  (registers the page texts)
from contracts import service
from contracts.i18n import MESSAGES
from contracts.rules import Rating
from core.access import PUBLIC, Caller, allow
from core.errors import DomainError, InvalidInput
from core.i18n import language_of
from core.models import Organisation
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form

OWNERS = (Role.TENDERER, Role.AGENT)
PARTIES = (Role.TENDERER, Role.BIDDER)
READERS = (Role.TENDERER, Role.AGENT, Role.BIDDER, Role.SUPERVISOR)


def _js_texts(request: AnyRequest) -> dict[str, str]:
    index = 0 if language_of(request) == "zh" else 1
    prefix = "contracts.js."
    return {k[len(prefix) :]: v[index] for k, v in MESSAGES.items() if k.startswith(prefix)}


@get("/contracts", opt=allow(*READERS), include_in_schema=False)
async def my_contracts(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    rows = await service.contracts_for(db, runtime, principal)
    return page(request, "contracts/mine.html", rows=rows)


async def _detail(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: int, **extra: Any
) -> Template:
    contract = await service.contract_of(db, runtime, principal, contract_id)
    bond_check = await service.performance_check(db, runtime, contract_id)
    status = 422 if extra.get("error") else 200
    org = await db.get(Organisation, principal.organisation_id) if principal.organisation_id else None
    return page(
        request, "contracts/contract.html", status_code=status, c=contract, ratings=list(Rating),
        bond_check=bond_check,
        texts=_js_texts(request), signing_key=org.signing_key if org else None, **extra,
    )  # fmt: skip


@get("/contracts/{contract_id:int}", opt=allow(*READERS), include_in_schema=False)
async def contract_page(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int]
) -> Template:
    return await _detail(request, runtime, principal, db, contract_id)


def _money(text: str) -> Decimal | None:
    text = (text or "").replace(",", "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput("金额格式不正确 (not an amount)", code="bad_amount") from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput("日期格式不正确 (not a date)", code="bad_date") from None


async def _act(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: int, data: Form, action: str
) -> Redirect | Template:
    target = contract_id
    try:
        async with db.begin_nested():
            if action == "draft":
                await service.draft(db, runtime, principal, contract_id, service.Draft(
                    terms=data.get("terms", ""), performance_bond=_money(data.get("performance_bond", "")),
                    publish_document=data.get("publish_document") == "yes",
                ))  # fmt: skip
            elif action == "refuse":
                await service.refuse(db, runtime, principal, contract_id, data.get("reason", ""))
            elif action == "next":
                target = (await service.award_next(db, runtime, principal, contract_id)).id
            elif action == "retender":
                await service.retender(db, runtime, principal, contract_id)
            elif action == "milestone":
                await service.add_milestone(db, runtime, principal, contract_id, service.MilestoneIn(
                    title=data.get("title", ""), due_on=_day(data.get("due_on", "")),
                    description=data.get("description", ""),
                ))  # fmt: skip
            elif action.startswith("met:"):
                await service.milestone_met(db, runtime, principal, contract_id, int(action[4:]))
            elif action == "evaluation":
                rating = data.get("rating", "")
                if rating not in {r.value for r in Rating}:
                    raise InvalidInput("请选择评价等级 (choose a rating)", code="bad_rating")
                await service.evaluate_performance(db, runtime, principal, contract_id, service.PerformanceIn(
                    rating=Rating(rating), comment=data.get("comment", ""),
                ))  # fmt: skip
    except DomainError as error:
        return await _detail(request, runtime, principal, db, contract_id, error=error.detail, form=data)
    return Redirect(f"/contracts/{target}", status_code=303)


@post("/contracts/{contract_id:int}/draft", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def draft_form(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: Form
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, contract_id, data, "draft")


@post("/contracts/{contract_id:int}/refuse", opt=allow(*PARTIES), include_in_schema=False, status_code=303)
async def refuse_form(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: Form
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, contract_id, data, "refuse")


@post("/contracts/{contract_id:int}/next", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def next_form(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: Form
) -> Redirect | Template:
    action = "retender" if data.get("step") == "retender" else "next"
    return await _act(request, runtime, principal, db, contract_id, data, action)


@post("/contracts/{contract_id:int}/milestones", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def milestone_form(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: Form
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, contract_id, data, "milestone")


@post(
    "/contracts/{contract_id:int}/milestones/{milestone_id:int}/met",
    opt=allow(*OWNERS), include_in_schema=False, status_code=303,
)  # fmt: skip
async def met_form(
    request: AnyRequest,
    runtime: Rt,
    principal: Caller,
    db: Db,
    contract_id: FromPath[int],
    milestone_id: FromPath[int],
    data: Form,
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, contract_id, data, f"met:{milestone_id}")


@post("/contracts/{contract_id:int}/evaluation", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def evaluation_form(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: Form
) -> Redirect | Template:
    return await _act(request, runtime, principal, db, contract_id, data, "evaluation")


@get("/contracts/public", opt=PUBLIC, include_in_schema=False)
async def public_contracts(request: AnyRequest, runtime: Rt, db: Db) -> Template:
    tender = request.query_params.get("tender") or None
    rows = await service.public_contracts(db, runtime, tender)
    return page(request, "contracts/public.html", rows=rows, tender=tender)


ROUTE_HANDLERS = [
    my_contracts,
    contract_page,
    draft_form,
    refuse_form,
    next_form,
    milestone_form,
    met_form,
    evaluation_form,
    public_contracts,
]
