"""The tender's side of its evaluation: evaluating → candidate publicity (公示) → award (定标).

evaluation/ decides who ranks where; these functions move the tender through the lifecycle and
publish the notices (with their structured data, for open data). A tender with several lots moves
when its first lot does, and the later lots' notices are published in the state it is already in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bidding import lifecycle
from bidding.common import actor_of, lock_tender, owner_actor, tender_by_code
from bidding.events import TENDER_AWARD, TENDER_PUBLISH_CANDIDATES, TENDER_START_EVALUATION
from bidding.holds import Step, require_no_hold
from bidding.lifecycle import Action, State
from bidding.models import Notice, Tender
from bidding.notices import NoticeKind, publish_notice
from bidding.preconditions import require_transition
from core.accounts import Principal
from core.runtime import Runtime


async def _move(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, action: Action
) -> Tender:
    """The tender's owner takes ``action`` (once for the tender, whichever lot comes first)."""
    tender = await tender_by_code(session, code)
    actor = owner_actor(principal, tender)
    moment = await lock_tender(session, tender.id, runtime.clock)
    if (moment.state, action) not in lifecycle.TRANSITIONS and moment.state in _AFTER[action]:
        return tender  # an earlier lot already moved the tender
    target = require_transition(moment.state, action, actor)
    tender.state = target
    tender.updated_at = moment.now
    await runtime.audit.append(
        session,
        _AUDIT_KIND[action],
        actor=actor_of(principal),
        subject=f"tender:{tender.code}",
        data={"state": target.value},
    )
    return tender


_AUDIT_KIND = {
    Action.START_EVALUATION: TENDER_START_EVALUATION,
    Action.PUBLISH_CANDIDATES: TENDER_PUBLISH_CANDIDATES,
    Action.AWARD: TENDER_AWARD,
}
# Where a tender already is once the action has happened for one of its lots.
_AFTER: dict[Action, frozenset[State]] = {
    Action.START_EVALUATION: frozenset({State.EVALUATING, State.PUBLICITY, State.AWARDED}),
    Action.PUBLISH_CANDIDATES: frozenset({State.PUBLICITY, State.AWARDED}),
    Action.AWARD: frozenset({State.AWARDED}),
}


async def start_evaluation(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str
) -> Tender:
    return await _move(session, runtime, principal, code, Action.START_EVALUATION)


async def publish_candidates(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    code: str,
    title: str,
    body: str,
    data: dict[str, Any],
) -> Notice:
    tender = await _move(session, runtime, principal, code, Action.PUBLISH_CANDIDATES)
    return await publish_notice(session, runtime, tender, NoticeKind.CANDIDATES, title, body, data=data)


async def award(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    code: str,
    title: str,
    body: str,
    data: dict[str, Any],
    *,
    lot: str | None = None,
) -> Notice:
    """The award of ``lot`` (or of the tender), refused while a hold suspends it (bidding/holds.py)."""
    await require_no_hold(session, await tender_by_code(session, code), Step.AWARD, lot=lot)
    tender = await _move(session, runtime, principal, code, Action.AWARD)
    return await publish_notice(session, runtime, tender, NoticeKind.AWARD, title, body, data=data)
