"""Helpers shared by bidding's services: who owns a tender, error translation, locking, naming."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from sqlalchemy import Select, bindparam, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.lifecycle import Actor, LifecycleError, Moment, State, Timeline
from bidding.models import Lot, Registration, Tender
from core.accounts import Principal
from core.clock import Clock
from core.db import table_of
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.roles import Role

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$")
# Submission ids come from the bidder's client (a UUID by default) and become part of blob keys.
SUBMISSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$")


def actor_of(principal: Principal | None) -> str:
    return principal.actor if principal else "system"


def domain_error(exc: LifecycleError) -> DomainError:
    if exc.code == "forbidden":
        return PermissionDenied(exc.detail)
    if exc.code in ("invalid_state", "deadline_passed"):
        return Conflict(exc.detail, code=exc.code)
    return InvalidInput(exc.detail, code=exc.code)


class Owned(Protocol):
    """What ``is_owner`` reads of a tender (a ``Tender``, or these two facts kept elsewhere)."""

    @property
    def tenderer_id(self) -> int: ...

    @property
    def agent_id(self) -> int | None: ...


def is_owner(principal: Principal, tender: Owned) -> bool:
    """Tenderers act for their own organisation; agents for the tenders they are the agent of."""
    org = principal.organisation_id
    if org is None:
        return False
    return (Role.TENDERER in principal.roles and org == tender.tenderer_id) or (
        Role.AGENT in principal.roles and org == tender.agent_id
    )


def owned_tender_codes(principal: Principal) -> Select[str]:
    """The codes of the tenders ``is_owner`` allows the principal, as a subquery (none for others)."""
    org = principal.organisation_id
    owns = []
    if org is not None and Role.TENDERER in principal.roles:
        owns.append(Tender.tenderer_id == org)
    if org is not None and Role.AGENT in principal.roles:
        owns.append(Tender.agent_id == org)
    return select(Tender.code).where(or_(false(), *owns))


def owner_actor(principal: Principal, tender: Tender) -> Actor:
    if is_owner(principal, tender):
        return Actor.OWNER
    if Role.SUPERVISOR in principal.roles:
        return Actor.SUPERVISOR
    raise PermissionDenied(
        "只有本项目的招标人或代理机构可以操作 (only this tender's tenderer or agent may do this)"
    )


def can_see_draft(principal: Principal | None, tender: Owned) -> bool:
    return principal is not None and (is_owner(principal, tender) or Role.SUPERVISOR in principal.roles)


def timeline_of(tender: Tender) -> Timeline:
    return Timeline(
        registration_start=tender.registration_start,
        registration_end=tender.registration_end,
        clarification_deadline=tender.clarification_deadline,
        bid_deadline=tender.bid_deadline,
        notice_at=tender.notice_at,
    )


def state_of(tender: Tender) -> State:
    return State(tender.state)


def unknown_tender(code: str) -> NotFound:
    return NotFound(f"招标项目 {code} 不存在 (no such tender)", code="unknown_tender")


async def tender_by_code(session: AsyncSession, code: str) -> Tender:
    tender = await session.scalar(select(Tender).where(Tender.code == code))
    if tender is None:
        raise unknown_tender(code)
    return tender


async def visible_tender(session: AsyncSession, code: str, principal: Principal | None) -> Tender:
    """A draft is invisible (404, not 403) to everyone but its owners and supervisors."""
    tender = await tender_by_code(session, code)
    if tender.state == State.DRAFT and not can_see_draft(principal, tender):
        raise unknown_tender(code)
    return tender


async def lot_of(session: AsyncSession, tender: Tender, number: str) -> Lot:
    lot = await session.scalar(select(Lot).where(Lot.tender_id == tender.id, Lot.number == number))
    if lot is None:
        raise NotFound(f"标段 {number} 不存在 (no such lot in {tender.code})", code="unknown_lot")
    return lot


async def lots_of(session: AsyncSession, tender_id: int) -> list[Lot]:
    return list(await session.scalars(select(Lot).where(Lot.tender_id == tender_id).order_by(Lot.id)))


# Built once, on the table (core/db.py): every bid, withdrawal, reveal and transition runs it. It
# sets the state to itself, so no loaded tender goes stale.
_TENDERS = table_of(Tender)
_LOCK_TENDER = (
    update(_TENDERS)
    .where(_TENDERS.c.id == bindparam("tender_id"))
    .values(state=_TENDERS.c.state)
    .returning(
        _TENDERS.c.state,
        _TENDERS.c.registration_start,
        _TENDERS.c.registration_end,
        _TENDERS.c.clarification_deadline,
        _TENDERS.c.bid_deadline,
        _TENDERS.c.notice_at,
    )
)


async def lock_tender(session: AsyncSession, tender_id: int, clock: Clock) -> Moment:
    """Take the tender's write lock for the rest of the transaction; returns the tender at the server
    time read once the lock is held, for the lifecycle's answers (``accepting_bids`` and the like).

    A no-op UPDATE rather than SELECT ... FOR UPDATE: on PostgreSQL both take the row lock, and on
    SQLite only a write takes the database's write lock, so the check that follows is serialised on
    both engines. The opening transition must take the same lock before it reads the submissions,
    so a bid is either committed before the tender opens or not at all.
    """
    row = (await session.execute(_LOCK_TENDER, {"tender_id": tender_id})).one()
    state, start, end, clarification, deadline, notice_at = row
    timeline = Timeline(start, end, clarification, deadline, notice_at)
    return Moment(state, timeline, clock.now())


def moment_of(tender: Tender, now: datetime) -> Moment:
    """The tender as loaded, at ``now`` (no lock: for pages and for checks a lock repeats later)."""
    return Moment(state_of(tender), timeline_of(tender), now)


async def registration_of(session: AsyncSession, tender_id: int, org_id: int) -> Registration | None:
    return await session.scalar(
        select(Registration).where(
            Registration.tender_id == tender_id, Registration.organisation_id == org_id
        )
    )
