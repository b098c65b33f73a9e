"""disputes' HTTP API: bidders file objections and follow them; tenderers and agents answer them from
their inbox; supervisors oversee every one. Periods and suspensions: disputes/service.py."""

from __future__ import annotations

import msgspec
from litestar import get, post
from litestar.params import FromPath, JSONBody

from bidding import service as bidding
from core.access import ANY_USER, Caller, allow
from core.roles import Role
from core.runtime import Db, Rt
from core.texts import Text2000
from disputes import complaints_api, questions, service
from disputes.periods import Kind
from disputes.questions import Clarification, ClarificationOut, QuestionOut
from disputes.service import ObjectionOut

OWNERS = (Role.TENDERER, Role.AGENT)


class FileObjection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An objection: ``documents`` until 10 days before the bid deadline (Art. 22), ``result`` during the
    candidates' publicity of ``lot`` (Art. 54)."""

    kind: Kind
    reason: Text2000
    lot: bidding.LotNumberText | None = None


class AnswerObjection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The tenderer's or agent's answer (due within 3 days; it lifts the suspension)."""

    answer: Text2000


@post("/api/tenders/{code:str}/objections", opt=allow(Role.BIDDER), tags=["disputes"])
async def file_objection(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[FileObjection]
) -> ObjectionOut:
    """A registered bidder objects to the tender documents or to a lot's evaluation result; the opening
    (documents) or the lot's award (result) is suspended until the objection is answered."""
    return await service.file_objection(db, runtime, principal, code, data.kind, data.reason, data.lot)


@get("/api/tenders/{code:str}/objections", opt=ANY_USER, tags=["disputes"])
async def tender_objections(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str]
) -> list[ObjectionOut]:
    """A tender's objections and answers; who objected only for its tenderer, agent and supervisors."""
    return await service.objections_of_tender(db, runtime, principal, code)


@get("/api/objections/mine", opt=allow(Role.BIDDER), tags=["disputes"])
async def my_objections(runtime: Rt, principal: Caller, db: Db) -> list[ObjectionOut]:
    """The caller's company's objections, pending first."""
    return await service.objections_of_bidder(db, runtime, principal)


@get("/api/objections/inbox", opt=allow(*OWNERS, Role.SUPERVISOR), tags=["disputes"])
async def objection_inbox(runtime: Rt, principal: Caller, db: Db) -> list[ObjectionOut]:
    """Objections to answer (the caller's tenders) or to oversee (supervisors: all), the nearest due first,
    with the clock's warning level."""
    return await service.inbox(db, runtime, principal)


@post("/api/objections/{objection_id:int}/answer", opt=allow(*OWNERS), status_code=200, tags=["disputes"])
async def answer_objection(
    runtime: Rt, principal: Caller, db: Db, objection_id: FromPath[int], data: JSONBody[AnswerObjection]
) -> ObjectionOut:
    """The tender's tenderer or agent answers; the suspended step may go on."""
    return await service.answer_objection(db, runtime, principal, objection_id, data.answer)


ROUTE_HANDLERS = [
    file_objection, tender_objections, my_objections, objection_inbox, answer_objection,
    *complaints_api.ROUTE_HANDLERS,
]  # fmt: skip


class AskQuestion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A question about the tender documents (asked anonymously: only supervisors see who asked)."""

    question: Text2000


@post("/api/tenders/{code:str}/questions", opt=allow(Role.BIDDER), tags=["disputes"])
async def ask_question(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[AskQuestion]
) -> QuestionOut:
    """A registered bidder asks, until the tender's clarification deadline (the last minute before it)."""
    return await questions.ask(db, runtime, principal, code, data.question)


@get("/api/tenders/{code:str}/questions", opt=ANY_USER, tags=["disputes"])
async def tender_questions(principal: Caller, db: Db, code: FromPath[str]) -> list[QuestionOut]:
    """A tender's answered questions; the pending ones too for its tenderer, agent, supervisors and asker."""
    return await questions.of_tender(db, principal, code)


@get("/api/questions/mine", opt=allow(Role.BIDDER), tags=["disputes"])
async def my_questions(principal: Caller, db: Db) -> list[QuestionOut]:
    """The caller's company's questions and the answers to every tender it registered for."""
    return await questions.for_bidder(db, principal)


@get("/api/questions/inbox", opt=allow(*OWNERS, Role.SUPERVISOR), tags=["disputes"])
async def question_inbox(principal: Caller, db: Db) -> list[QuestionOut]:
    """Questions to answer (the caller's tenders) or to oversee (supervisors: all, with who asked)."""
    return await questions.inbox(db, principal)


@post("/api/tenders/{code:str}/clarifications", opt=allow(*OWNERS), tags=["disputes"])
async def issue_clarification(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[Clarification]
) -> ClarificationOut:
    """Answer questions in one clarification notice to every registered bidder; fewer than 15 days before
    the bid deadline, the deadline moves so that 15 days remain."""
    return await questions.clarify(db, runtime, principal, code, data)


ROUTE_HANDLERS += [ask_question, tender_questions, my_questions, question_inbox, issue_clarification]
