"""Notice review (公告审核) and re-tendering (重新招标) over JSON.

GET  /api/notice-review/rules                   supervisor: where review is required
PUT  /api/notice-review/rules                   supervisor: set one (region and/or category)
GET  /api/notice-reviews                        supervisor: drafts waiting for a decision
GET  /api/tenders/{code}/review                 owners, supervisor: the tender's review
POST /api/tenders/{code}/review                 owners: submit the draft's notice for review
POST /api/tenders/{code}/review/approve         supervisor
POST /api/tenders/{code}/review/return          supervisor: {"reason": "..."}
POST /api/tenders/{code}/retender               owners: a new draft from a failed tender
GET  /api/tenders/{code}/attempts               public: earlier and later attempts of the project
"""

from __future__ import annotations

from litestar import Response, get, post, put
from litestar.params import JSONBody

from bidding import documents, review
from bidding.common import lots_of, visible_tender
from bidding.lifecycle import ReviewAction
from bidding.params import TenderCodeParam
from bidding.retender import Retender, TenderHistory, history, retender
from bidding.review import ReturnIn, ReviewRuleIn, ReviewRuleOut, ReviewStatus
from bidding.views import TenderOut, tender_view
from core.access import PUBLIC, Caller, Viewer, allow
from core.roles import Role
from core.runtime import Db, Rt

OWNERS = (Role.AGENT, Role.TENDERER)


@get("/api/notice-review/rules", opt=allow(Role.SUPERVISOR), tags=["bidding"])
async def list_review_rules(db: Db) -> list[ReviewRuleOut]:
    """Where tender notices need the supervisor's approval before publishing (none: nowhere)."""
    return await review.list_rules(db)


@put("/api/notice-review/rules", opt=allow(Role.SUPERVISOR), status_code=200, tags=["bidding"])
async def set_review_rule(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[ReviewRuleIn]
) -> ReviewRuleOut:
    """Require (or waive) review for a region (`region_code`, "" for all) and/or a category ("" for all).

    The most specific rule applies; the rule records the local provision that requires it.
    """
    return await review.set_rule(db, runtime, principal, data)


@get("/api/notice-reviews", opt=allow(Role.SUPERVISOR), tags=["bidding"])
async def pending_reviews(db: Db) -> list[ReviewStatus]:
    """Drafts submitted for review and not decided yet, oldest first."""
    return await review.pending(db)


@get("/api/tenders/{code:str}/review", opt=allow(*OWNERS, Role.SUPERVISOR), tags=["bidding"])
async def tender_review(principal: Caller, db: Db, code: TenderCodeParam) -> ReviewStatus:
    """Whether the tender's notice needs review, where it stands, and every decision with its reasons."""
    return await review.review_of(db, principal, code)


@post("/api/tenders/{code:str}/review", opt=allow(*OWNERS), status_code=200, tags=["bidding"])
async def submit_review(runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam) -> ReviewStatus:
    """Submit the draft's notice for the supervisor's review (报审); again after a return or a change."""
    return await review.submit(db, runtime, principal, code)


@post("/api/tenders/{code:str}/review/approve", opt=allow(Role.SUPERVISOR), status_code=200, tags=["bidding"])
async def approve_review(runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam) -> ReviewStatus:
    """Approve the submitted notice: the owners may publish it as it stands."""
    return await review.decide(db, runtime, principal, code, ReviewAction.APPROVE)


@post("/api/tenders/{code:str}/review/return", opt=allow(Role.SUPERVISOR), status_code=200, tags=["bidding"])
async def return_review(
    runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam, data: JSONBody[ReturnIn]
) -> ReviewStatus:
    """Return the submitted notice to its owners with the reasons (退回)."""
    return await review.decide(db, runtime, principal, code, ReviewAction.RETURN, data.reason)


@post("/api/tenders/{code:str}/retender", opt=allow(*OWNERS), status_code=201, tags=["bidding"])
async def create_retender(
    runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam, data: JSONBody[Retender]
) -> Response[TenderOut]:
    """A new draft re-tendering a failed tender (or its failed lots), pre-filled from it.

    《招标投标法实施条例》第四十四条. The terms, criteria, lots and documents are copied; the new
    timeline and a new opening key are given here. Idempotent by the new code.
    """
    tender = await retender(db, runtime, principal, code, data)
    out = tender_view(tender, await lots_of(db, tender.id), await documents.documents_of(db, tender.id))
    return Response(out, status_code=201)


@get("/api/tenders/{code:str}/attempts", opt=PUBLIC, tags=["bidding"])
async def tender_attempts(viewer: Viewer, db: Db, code: TenderCodeParam) -> TenderHistory:
    """The project's attempts: the tender it re-tenders, the one re-tendering it, and whether the
    second failure lets the tenderer stop or switch method (《工程建设项目施工招标投标办法》第三十八条)."""
    return await history(db, await visible_tender(db, code, viewer))


ROUTE_HANDLERS = [
    list_review_rules,
    set_review_rule,
    pending_reviews,
    tender_review,
    submit_review,
    approve_review,
    return_review,
    create_retender,
    tender_attempts,
]
