"""Custodians per tender: which user account holds which of a tender's custody shares.

The key ceremony (``sunbid custody init``) fixes the shares and their age recipients in the draft;
here an admin or the tender's agent names the custodian account that holds each share, while the
tender still takes bids (``lifecycle.accepting_bids``: published or bidding, before the deadline).
Once any share of a tender is assigned, ``opening.custody.reveal_share`` accepts a share only from
the account assigned to it; a tender with no assignments keeps the old rule (any custodian).

Every change is audit-logged under ``bidding/events.py`` kinds, naming the account by number only.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.common import lock_tender, tender_by_code
from bidding.events import CUSTODIAN_ASSIGNED, CUSTODIAN_UNASSIGNED
from bidding.lifecycle import State
from bidding.models import Tender, TenderCustodian
from bidding.preconditions import require_accepting_bids
from core.accounts import Principal
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import User, UserRole
from core.roles import Role
from core.runtime import Runtime


class NotYourShare(PermissionDenied):
    code = "not_your_share"


class CustodyShare(msgspec.Struct, frozen=True):
    """One custody share of a tender and the account assigned to it (None: nobody yet); the API
    answers with it as it is."""

    index: int
    recipient: str
    user_id: int | None = None
    username: str | None = None
    display_name: str | None = None
    assigned_at: datetime | None = None


def share_indexes(tender: Tender) -> list[int]:
    """The indexes of the tender's custody shares (empty without a ceremony)."""
    custody = tender.custody or {}
    if int(custody.get("threshold") or 0) < 2:
        return []
    return sorted(int(c["index"]) for c in custody.get("custodians", []))


def may_read(principal: Principal, tender: Tender) -> bool:
    return bool({Role.ADMIN, Role.SUPERVISOR} & principal.roles or _is_agent(principal, tender))


def may_assign(principal: Principal, tender: Tender) -> bool:
    return Role.ADMIN in principal.roles or _is_agent(principal, tender)


def _is_agent(principal: Principal, tender: Tender) -> bool:
    return (
        Role.AGENT in principal.roles
        and principal.organisation_id is not None
        and principal.organisation_id == tender.agent_id
    )


async def _readable(session: AsyncSession, principal: Principal, code: str) -> Tender:
    tender = await tender_by_code(session, code)
    if (
        tender.state == State.DRAFT
        and Role.SUPERVISOR not in principal.roles
        and not _is_agent(principal, tender)
    ):
        raise NotFound(f"招标项目 {code} 不存在 (no such tender)", code="unknown_tender")
    if not may_read(principal, tender):
        raise PermissionDenied(
            "只有管理员、监督人员和本项目的代理机构可以查看保管人 "
            "(only admins, supervisors and this tender's agent see its custodians)"
        )
    return tender


async def shares_of(session: AsyncSession, tender: Tender) -> list[CustodyShare]:
    """Every custody share of the tender, in index order, with the account assigned to it."""
    rows = {
        c.share_index: (c, u)
        for c, u in (
            await session.execute(
                select(TenderCustodian, User)
                .join(User, User.id == TenderCustodian.user_id)
                .where(TenderCustodian.tender_id == tender.id)
            )
        )
    }
    shares = []
    for item in sorted((tender.custody or {}).get("custodians", []), key=lambda c: int(c["index"])):
        index = int(item["index"])
        found = rows.get(index)
        if found is None:
            shares.append(CustodyShare(index, str(item["recipient"])))
        else:
            c, u = found
            shares.append(
                CustodyShare(index, str(item["recipient"]), u.id, u.username, u.display_name, c.assigned_at)
            )
    return shares


async def list_custodians(
    session: AsyncSession, principal: Principal, code: str
) -> tuple[Tender, list[CustodyShare]]:
    tender = await _readable(session, principal, code)
    return tender, await shares_of(session, tender)


async def assigned_counts(session: AsyncSession, tender_ids: list[int]) -> dict[int, int]:
    """How many shares of each tender have a custodian assigned (tenders with none are left out)."""
    if not tender_ids:
        return {}
    rows = await session.execute(
        select(TenderCustodian.tender_id, func.count())
        .where(TenderCustodian.tender_id.in_(tender_ids))
        .group_by(TenderCustodian.tender_id)
    )
    return {tender_id: count for tender_id, count in rows}


async def custodian_candidates(session: AsyncSession) -> list[User]:
    """Active accounts holding the custodian role, by username (the page's choice list)."""
    return list(
        await session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.CUSTODIAN.value, User.is_active.is_(True))
            .order_by(User.username)
        )
    )


async def _changeable(session: AsyncSession, runtime: Runtime, principal: Principal, code: str) -> Tender:
    tender = await _readable(session, principal, code)
    if not may_assign(principal, tender):
        raise PermissionDenied(
            "只有管理员或本项目的代理机构可以指定保管人 "
            "(only an admin or this tender's agent assigns custodians)"
        )
    if tender.state == State.DRAFT:
        raise Conflict(
            "招标项目尚未发布，发布后再指定保管人 (publish the tender before assigning custodians)",
            code="invalid_state",
        )
    moment = await lock_tender(session, tender.id, runtime.clock)
    require_accepting_bids(
        moment,
        "投标截止后不能再变更密钥保管人 (custodians cannot change once the bid deadline has passed)",
    )
    return tender


def _checked_index(tender: Tender, index: int) -> int:
    indexes = share_indexes(tender)
    if not indexes:
        raise Conflict(
            "本项目没有密钥保管仪式，无分片可指定 (this tender has no custody shares to assign)",
            code="no_custody",
        )
    if index not in indexes:
        raise InvalidInput(
            f"index: 本项目没有第 {index} 号分片，可选 {', '.join(map(str, indexes))} "
            f"(no share {index}; the shares are {', '.join(map(str, indexes))})",
            code="unknown_share",
        )
    return index


async def assign_custodian(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, index: int, user_id: int
) -> CustodyShare:
    """Assign the custodian account ``user_id`` to share ``index`` of the tender."""
    tender = await _changeable(session, runtime, principal, code)
    _checked_index(tender, index)
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"user_id: 用户 {user_id} 不存在 (no such user)", code="unknown_user")
    if not user.is_active:
        raise InvalidInput(
            f"user_id: 用户 {user.username} 已停用 (the account is disabled)", code="inactive_user"
        )
    if Role.CUSTODIAN.value not in user.role_names:
        raise InvalidInput(
            f"user_id: 用户 {user.username} 不是密钥保管人 (the account does not have the custodian role)",
            code="not_custodian",
        )
    current = list(
        await session.scalars(select(TenderCustodian).where(TenderCustodian.tender_id == tender.id))
    )
    for row in current:
        if row.share_index == index and row.user_id == user.id:
            return await _share(session, tender, index)  # already so: nothing changes, nothing logged
        if row.share_index == index:
            raise Conflict(
                f"第 {index} 号分片已指定给其他保管人，请先解除 "
                f"(share {index} is already assigned; unassign it first)",
                code="share_assigned",
            )
        if row.user_id == user.id:
            raise Conflict(
                f"用户 {user.username} 已保管本项目第 {row.share_index} 号分片，一人只能保管一片 "
                f"(the account already holds share {row.share_index}; one share per person)",
                code="already_custodian",
            )
    session.add(
        TenderCustodian(
            tender_id=tender.id,
            share_index=index,
            user_id=user.id,
            assigned_by=principal.user_id,
            assigned_at=runtime.clock.now(),
        )
    )
    await session.flush()
    await runtime.audit.append(
        session,
        CUSTODIAN_ASSIGNED,
        actor=principal.actor,
        subject=f"tender:{tender.code}",
        data={"index": index, "user": f"user:{user.id}"},
    )
    return await _share(session, tender, index)


async def unassign_custodian(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, index: int
) -> None:
    """Release share ``index`` of the tender from its custodian account."""
    tender = await _changeable(session, runtime, principal, code)
    _checked_index(tender, index)
    row = await session.scalar(
        select(TenderCustodian).where(
            TenderCustodian.tender_id == tender.id, TenderCustodian.share_index == index
        )
    )
    if row is None:
        raise NotFound(
            f"第 {index} 号分片尚未指定保管人 (share {index} has no custodian)", code="not_assigned"
        )
    user_id = row.user_id
    await session.execute(delete(TenderCustodian).where(TenderCustodian.id == row.id))
    await runtime.audit.append(
        session,
        CUSTODIAN_UNASSIGNED,
        actor=principal.actor,
        subject=f"tender:{tender.code}",
        data={"index": index, "user": f"user:{user_id}"},
    )


async def _share(session: AsyncSession, tender: Tender, index: int) -> CustodyShare:
    return next(s for s in await shares_of(session, tender) if s.index == index)


async def require_share_holder(
    session: AsyncSession, tender: Tender, principal: Principal, index: int
) -> None:
    """At reveal time: once a tender has assigned custodians, only share ``index``'s own may reveal it."""
    rows = list(await session.scalars(select(TenderCustodian).where(TenderCustodian.tender_id == tender.id)))
    if not rows:
        return
    holder = next((r.user_id for r in rows if r.share_index == index), None)
    if holder == principal.user_id:
        return
    if holder is None:
        detail = (
            f"第 {index} 号分片未指定保管人，本项目只接受已指定的保管人提交分片 "
            f"(share {index} has no assigned custodian; this tender takes shares only from the "
            "custodians assigned to them)"
        )
    else:
        detail = (
            f"第 {index} 号分片由其他保管人保管，您不能提交 "
            f"(share {index} is assigned to another custodian; only that account may reveal it)"
        )
    raise NotYourShare(detail)
