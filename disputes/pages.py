"""disputes' pages (plain forms, no scripts): a bidder files and follows its objections; the tenderer and
agent answer theirs from an inbox with the clock running; supervisors see every one. A refused form
comes back with the reason and what was typed."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

import disputes.i18n  # noqa: F401  (registers the page texts)
from core.access import Caller, allow
from core.errors import DomainError, InvalidInput
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form
from disputes import complaints_pages, questions, service
from disputes.periods import Kind

OWNERS = (Role.TENDERER, Role.AGENT)


async def _mine(request: AnyRequest, runtime: Rt, principal: Caller, db: Db, **extra: Any) -> Template:
    rows = await service.objections_of_bidder(db, runtime, principal)
    status = 422 if extra.get("error") else 200
    return page(request, "disputes/mine.html", status_code=status, rows=rows, kinds=list(Kind), **extra)


@get("/objections", opt=allow(Role.BIDDER), include_in_schema=False)
async def my_objections(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    return await _mine(
        request, runtime, principal, db, form={"tender": request.query_params.get("tender", "")}
    )


@post("/objections", opt=allow(Role.BIDDER), include_in_schema=False, status_code=303)
async def file_objection(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, data: Form
) -> Redirect | Template:
    kind = data.get("kind", "")
    try:
        if kind not in {k.value for k in Kind}:
            raise InvalidInput("请选择异议事项 (choose what you object to)", code="bad_kind")
        async with db.begin_nested():
            await service.file_objection(
                db, runtime, principal, data.get("tender", "").strip(), Kind(kind), data.get("reason", ""),
                data.get("lot", "").strip() or None,
            )  # fmt: skip
    except DomainError as error:
        return await _mine(request, runtime, principal, db, form=data, error=error.detail)
    return Redirect("/objections", status_code=303)


async def _inbox(request: AnyRequest, runtime: Rt, principal: Caller, db: Db, **extra: Any) -> Template:
    rows = await service.inbox(db, runtime, principal)
    status = 422 if extra.get("error") else 200
    answers = Role.TENDERER in principal.roles or Role.AGENT in principal.roles
    return page(request, "disputes/inbox.html", status_code=status, rows=rows, answers=answers, **extra)


@get("/objections/inbox", opt=allow(*OWNERS, Role.SUPERVISOR), include_in_schema=False)
async def inbox(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    return await _inbox(request, runtime, principal, db)


@post("/objections/{objection_id:int}/answer", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def answer(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, objection_id: FromPath[int], data: Form
) -> Redirect | Template:
    try:
        async with db.begin_nested():
            await service.answer_objection(db, runtime, principal, objection_id, data.get("answer", ""))
    except DomainError as error:
        return await _inbox(
            request,
            runtime,
            principal,
            db,
            error=error.detail,
            failed=objection_id,
            typed=data.get("answer", ""),
        )
    return Redirect("/objections/inbox", status_code=303)


async def _questions(request: AnyRequest, principal: Caller, db: Db, **extra: Any) -> Template:
    rows = await questions.for_bidder(db, principal)
    status = 422 if extra.get("error") else 200
    return page(request, "disputes/questions.html", status_code=status, rows=rows, **extra)


@get("/questions", opt=allow(Role.BIDDER), include_in_schema=False)
async def my_questions(request: AnyRequest, principal: Caller, db: Db) -> Template:
    return await _questions(request, principal, db, form={"tender": request.query_params.get("tender", "")})


@post("/questions", opt=allow(Role.BIDDER), include_in_schema=False, status_code=303)
async def ask_question(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, data: Form
) -> Redirect | Template:
    try:
        async with db.begin_nested():
            await questions.ask(
                db, runtime, principal, data.get("tender", "").strip(), data.get("question", "")
            )
    except DomainError as error:
        return await _questions(request, principal, db, form=data, error=error.detail)
    return Redirect("/questions", status_code=303)


async def _question_inbox(request: AnyRequest, principal: Caller, db: Db, **extra: Any) -> Template:
    groups: dict[str, list[questions.QuestionOut]] = {}
    for row in await questions.inbox(db, principal):
        groups.setdefault(row.tender, []).append(row)
    status = 422 if extra.get("error") else 200
    answers = Role.TENDERER in principal.roles or Role.AGENT in principal.roles
    return page(
        request, "disputes/question_inbox.html", status_code=status, groups=sorted(groups.items()),
        answers=answers, **extra,
    )  # fmt: skip


@get("/questions/inbox", opt=allow(*OWNERS, Role.SUPERVISOR), include_in_schema=False)
async def question_inbox(request: AnyRequest, principal: Caller, db: Db) -> Template:
    return await _question_inbox(request, principal, db)


@post("/questions/inbox/{code:str}/clarify", opt=allow(*OWNERS), include_in_schema=False, status_code=303)
async def clarify(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: Form
) -> Redirect | Template:
    """The answers filled in (blank ones stay open) go out as one clarification notice."""
    answers = [
        questions.QuestionAnswer(question=int(key.removeprefix("answer-")), answer=value)
        for key, value in data.items()
        if key.startswith("answer-") and key.removeprefix("answer-").isdigit() and value.strip()
    ]
    try:
        async with db.begin_nested():
            await questions.clarify(
                db, runtime, principal, code,
                questions.Clarification(answers=answers, title=data.get("title") or None),
            )  # fmt: skip
    except DomainError as error:
        return await _question_inbox(request, principal, db, error=error.detail, typed=dict(data))
    return Redirect("/questions/inbox", status_code=303)


ROUTE_HANDLERS = [
    my_objections,
    file_objection,
    inbox,
    answer,
    my_questions,
    ask_question,
    question_inbox,
    clarify,
    *complaints_pages.ROUTE_HANDLERS,
]
