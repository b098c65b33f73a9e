"""Supervisor review of tender notices (公告审核): the rules that require it, and the review itself.

Where a rule (``ReviewRule``, per region and/or tender category; none by default) requires it, a
draft is submitted for review, the supervisor approves it or returns it with reasons, and only an
approved draft is published (``tenders.publish`` asks ``require_reviewed``). Changing a draft after a
decision lapses that decision: the changed notice must be submitted again.

The audit log is public and a draft is not, so review entries name the review (``notice_review:<id>``)
and a hash of the reasons; the tender's publication names the review it was approved in.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import lifecycle
from bidding.common import actor_of, domain_error, is_owner, visible_tender
from bidding.events import (
    NOTICE_REVIEW_APPROVED,
    NOTICE_REVIEW_RETURNED,
    NOTICE_REVIEW_RULE_SET,
    NOTICE_REVIEW_SUBMITTED,
)
from bidding.inputs import CATEGORIES, Category
from bidding.lifecycle import Actor, LifecycleError, Review, ReviewAction, State
from bidding.models import NoticeReview, ReviewRule, Tender
from core.accounts import Principal
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.regions import REGION_CODE_INPUT, get_region
from core.roles import Role
from core.runtime import Runtime
from core.texts import NOT_WS

REGION_CODE_OR_NONE = rf"^$|{REGION_CODE_INPUT}"
RuleCategory = Category | Literal[""]  # "": every category


class ReviewRuleIn(msgspec.Struct, kw_only=True):
    """Whether tender notices of a region and/or category need the supervisor's approval."""

    region_code: Annotated[
        str,
        msgspec.Meta(
            max_length=12,
            description='a region code, "" for every region',
            # schema only: get_region answers 422 bad_region
            extra_json_schema={"pattern": REGION_CODE_OR_NONE},
        ),
    ] = ""
    category: Annotated[RuleCategory, msgspec.Meta(description='a tender category, "" for every one')] = ""
    required: bool
    legal_basis: Annotated[
        str,
        msgspec.Meta(
            max_length=200,
            description="the local rule that requires (or waives) the review, not blank",
            extra_json_schema={
                "pattern": NOT_WS
            },  # schema only: the service answers 422 legal_basis_required
        ),
    ]


class ReturnIn(msgspec.Struct, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000, description="why the notice goes back (退回理由)")]


class ReviewRuleOut(msgspec.Struct, kw_only=True):
    region_code: str
    category: str
    required: bool
    legal_basis: str
    set_at: datetime


class ReviewOut(msgspec.Struct, kw_only=True):
    id: int
    state: str
    submitted_at: datetime
    decided_at: datetime | None
    reason: str
    lapsed: bool


class ReviewStatus(msgspec.Struct, kw_only=True):
    """A tender's review: whether one is required (and by which rule), where it stands, its history."""

    tender: str
    title: str
    required: bool
    legal_basis: str | None
    state: str  # a lifecycle.Review value
    history: list[ReviewOut]


def review_out(row: NoticeReview) -> ReviewOut:
    return ReviewOut(
        id=row.id,
        state=row.state,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        reason=row.reason,
        lapsed=row.lapsed_at is not None,
    )


async def _rules(session: AsyncSession) -> list[ReviewRule]:
    return list(
        await session.scalars(select(ReviewRule).order_by(ReviewRule.region_code, ReviewRule.category))
    )


async def list_rules(session: AsyncSession) -> list[ReviewRuleOut]:
    return [
        ReviewRuleOut(
            region_code=r.region_code,
            category=r.category,
            required=r.required,
            legal_basis=r.legal_basis,
            set_at=r.set_at,
        )
        for r in await _rules(session)
    ]


async def set_rule(
    session: AsyncSession, runtime: Runtime, principal: Principal, rule: ReviewRuleIn
) -> ReviewRuleOut:
    """Create or replace the rule for (region, category); the supervisor's setting, audited."""
    if rule.region_code:
        await get_region(session, rule.region_code)
    if rule.category and rule.category not in CATEGORIES:
        raise InvalidInput(f"unknown category {rule.category!r}", code="bad_category")
    if not rule.legal_basis.strip():
        raise InvalidInput("须注明依据 (name the rule that requires it)", code="legal_basis_required")
    if len(rule.legal_basis.strip()) > 200:
        raise InvalidInput(
            "依据不超过200字 (the basis is at most 200 characters)", code="legal_basis_too_long"
        )
    now = runtime.clock.now()
    row = await session.scalar(
        select(ReviewRule).where(
            ReviewRule.region_code == rule.region_code, ReviewRule.category == rule.category
        )
    )
    if row is None:
        row = ReviewRule(region_code=rule.region_code, category=rule.category)
        session.add(row)
    row.required = rule.required
    row.legal_basis = rule.legal_basis.strip()
    row.set_by = principal.user_id
    row.set_at = now
    await session.flush()
    await runtime.audit.append(
        session,
        NOTICE_REVIEW_RULE_SET,
        actor=actor_of(principal),
        subject=f"region:{rule.region_code or '*'}",
        data={"category": rule.category or "*", "required": rule.required, "legal_basis": row.legal_basis},
    )
    return ReviewRuleOut(
        region_code=row.region_code,
        category=row.category,
        required=row.required,
        legal_basis=row.legal_basis,
        set_at=row.set_at,
    )


async def requirement(session: AsyncSession, tender: Tender) -> tuple[bool, str | None]:
    """(review required, the basis of the rule that decides) for this tender."""
    rules = await _rules(session)
    found = lifecycle.review_required(
        [(r.region_code, r.category, r.required) for r in rules], tender.region_code, tender.category
    )
    if found is None:
        return lifecycle.REVIEW_REQUIRED_BY_DEFAULT, None
    basis = next(r.legal_basis for r in rules if (r.region_code, r.category) == found[:2])
    return found[2], basis


async def _current(session: AsyncSession, tender_id: int) -> NoticeReview | None:
    """The latest submission that has not lapsed (None: never submitted, or the draft changed since)."""
    return await session.scalar(
        select(NoticeReview)
        .where(NoticeReview.tender_id == tender_id, NoticeReview.lapsed_at.is_(None))
        .order_by(NoticeReview.id.desc())
        .limit(1)
    )


def _state(row: NoticeReview | None) -> Review:
    return Review.NONE if row is None else Review(row.state)


async def status(session: AsyncSession, tender: Tender) -> ReviewStatus:
    required, basis = await requirement(session, tender)
    rows = await session.scalars(
        select(NoticeReview).where(NoticeReview.tender_id == tender.id).order_by(NoticeReview.id.desc())
    )
    return ReviewStatus(
        tender=tender.code,
        title=tender.title,
        required=required,
        legal_basis=basis,
        state=_state(await _current(session, tender.id)).value,
        history=[review_out(r) for r in rows],
    )


async def review_of(session: AsyncSession, principal: Principal, code: str) -> ReviewStatus:
    """The tender's review, for its owners and supervisors (a draft is 404 to anyone else)."""
    tender = await visible_tender(session, code, principal)
    if not (is_owner(principal, tender) or Role.SUPERVISOR in principal.roles):
        raise PermissionDenied(
            "只有本项目的招标人、代理机构和监管人员可以查看审核 (owners and supervisors only)"
        )
    return await status(session, tender)


def _check(current: Review, action: ReviewAction, actor: Actor) -> Review:
    try:
        return lifecycle.check_review(current, action, actor)
    except LifecycleError as exc:
        if exc.code == "forbidden":
            raise domain_error(exc) from None
        raise Conflict(exc.detail, code=exc.code) from None


async def _draft(session: AsyncSession, principal: Principal, code: str) -> Tender:
    tender = await visible_tender(session, code, principal)
    if tender.state != State.DRAFT:
        raise Conflict("只有草稿可以报审或审核 (only a draft is reviewed)", code="invalid_state")
    return tender


async def submit(session: AsyncSession, runtime: Runtime, principal: Principal, code: str) -> ReviewStatus:
    """The owner submits the draft's notice for review (报审); again after a return or a change."""
    tender = await _draft(session, principal, code)
    if not is_owner(principal, tender):
        raise PermissionDenied("只有本项目的招标人或代理机构可以报审 (only the tender's owners submit it)")
    required, _ = await requirement(session, tender)
    if not required:
        raise Conflict(
            "本项目的公告无需审核 (no review is required for this notice)", code="review_not_required"
        )
    target = _check(_state(await _current(session, tender.id)), ReviewAction.SUBMIT, Actor.OWNER)
    row = NoticeReview(
        tender_id=tender.id,
        state=target.value,
        submitted_by=principal.user_id,
        submitted_at=runtime.clock.now(),
        reason="",
    )
    session.add(row)
    await session.flush()
    await runtime.audit.append(
        session, NOTICE_REVIEW_SUBMITTED, actor=actor_of(principal), subject=f"notice_review:{row.id}"
    )
    return await status(session, tender)


async def decide(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    code: str,
    action: ReviewAction,
    reason: str = "",
) -> ReviewStatus:
    """The supervisor approves the submitted notice, or returns it with reasons."""
    tender = await _draft(session, principal, code)
    row = await _current(session, tender.id)
    target = _check(_state(row), action, Actor.SUPERVISOR)
    assert row is not None  # a submitted review exists, or _check refused
    if action == ReviewAction.RETURN and not reason.strip():
        raise InvalidInput("退回须说明理由 (say why the notice is returned)", code="reason_required")
    row.state = target.value
    row.decided_by = principal.user_id
    row.decided_at = runtime.clock.now()
    row.reason = reason.strip()
    await runtime.audit.append(
        session,
        NOTICE_REVIEW_APPROVED if action == ReviewAction.APPROVE else NOTICE_REVIEW_RETURNED,
        actor=actor_of(principal),
        subject=f"notice_review:{row.id}",
        data={"reason_sha256": hashlib.sha256(row.reason.encode()).hexdigest()} if row.reason else {},
    )
    return await status(session, tender)


async def lapse_on_change(session: AsyncSession, tender: Tender, now: datetime) -> None:
    """A draft changed: a pending review refuses the change, a decided one lapses."""
    row = await _current(session, tender.id)
    if row is None:
        return
    if row.state == Review.SUBMITTED:
        raise Conflict(
            "公告正在审核中，不能修改 (the notice is under review: wait for the decision)",
            code="under_review",
        )
    row.lapsed_at = now


async def require_reviewed(session: AsyncSession, tender: Tender) -> int | None:
    """Refuse to publish an unapproved notice where review is required; the approving review's id."""
    required, _ = await requirement(session, tender)
    row = await _current(session, tender.id)
    try:
        lifecycle.check_reviewed(required, _state(row))
    except LifecycleError as exc:
        raise Conflict(exc.detail, code=exc.code) from None
    return row.id if row is not None and row.state == Review.APPROVED else None


async def pending(session: AsyncSession) -> list[ReviewStatus]:
    """The drafts waiting for a supervisor's decision, oldest first (the supervisor's worklist)."""
    rows = await session.scalars(
        select(NoticeReview)
        .where(NoticeReview.state == Review.SUBMITTED.value, NoticeReview.lapsed_at.is_(None))
        .order_by(NoticeReview.submitted_at, NoticeReview.id)
    )
    out = []
    for row in rows:
        tender = await session.get(Tender, row.tender_id)
        if tender is not None and tender.state == State.DRAFT:
            out.append(await status(session, tender))
    return out
