"""Appeals: the subject appeals a deduction; a supervisor upholds it or revokes the deduction.

Who may appeal: a company user for its own organisation's deductions (same credit code and kind);
an expert for the expert keys linked to the user in ``credit_subject_links`` (experts/ or a
supervisor creates the link, since expert registry codes belong to experts/).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import organisations
from core.accounts import Principal
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import User
from core.roles import Role
from core.runtime import Runtime
from credit.deductions import get_deduction, revoke, today
from credit.events import CREDIT_APPEAL_DECIDED, CREDIT_APPEAL_FILED, CREDIT_SUBJECT_LINKED
from credit.models import Appeal, Deduction, SubjectLink
from credit.subjects import COMPANY_KINDS, SubjectKind, normalise_key, parse_kind


class Outcome(StrEnum):
    UPHELD = "upheld"
    REVOKED = "revoked"


PENDING = "pending"
STAFF = frozenset({Role.SUPERVISOR, Role.ADMIN})


async def speaks_for(session: AsyncSession, principal: Principal, kind: str, key: str) -> bool:
    subject_kind = parse_kind(kind)
    if subject_kind in COMPANY_KINDS:
        if principal.organisation_id is None or Role(subject_kind.value) not in principal.roles:
            return False
        org = await organisations.get_organisation(session, principal.organisation_id)
        return org.credit_code == key and org.kind == subject_kind.value
    if Role.EXPERT not in principal.roles:
        return False
    link = await session.get(SubjectLink, (principal.user_id, subject_kind.value, key))
    return link is not None


async def subjects_of(session: AsyncSession, principal: Principal) -> list[tuple[str, str]]:
    """The (kind, key) subjects this user speaks for."""
    found: list[tuple[str, str]] = []
    if principal.organisation_id is not None:
        org = await organisations.get_organisation(session, principal.organisation_id)
        if Role(org.kind) in principal.roles:
            found.append((org.kind, org.credit_code))
    if Role.EXPERT in principal.roles:
        links = await session.scalars(select(SubjectLink).where(SubjectLink.user_id == principal.user_id))
        found.extend((link.kind, link.key) for link in links)
    return found


async def link_subject(
    session: AsyncSession, runtime: Runtime, *, user_id: int, kind: str, key: str, actor: str
) -> SubjectLink:
    """Let a user speak for an expert subject (companies are linked through their organisation)."""
    subject_kind = parse_kind(kind)
    if subject_kind is not SubjectKind.EXPERT:
        raise InvalidInput("只有专家需要关联 (only experts are linked; companies go by organisation)")
    key = normalise_key(subject_kind, key)
    if await session.get(User, user_id) is None:
        raise NotFound(f"user {user_id} does not exist")
    link = await session.get(SubjectLink, (user_id, subject_kind.value, key))
    if link is None:
        link = SubjectLink(user_id=user_id, kind=subject_kind.value, key=key)
        session.add(link)
        await session.flush()
        await runtime.audit.append(
            session, CREDIT_SUBJECT_LINKED, actor=actor, subject=f"expert:{key}", data={"user": user_id}
        )
    return link


async def file_appeal(
    session: AsyncSession, runtime: Runtime, principal: Principal, deduction_id: int, reason: str
) -> Appeal:
    deduction = await get_deduction(session, deduction_id)
    if not await speaks_for(session, principal, deduction.subject_kind, deduction.subject_key):
        raise PermissionDenied("只能对本单位（本人）的扣分提出申诉 (you may only appeal your own deductions)")
    if deduction.revoked_on is not None:
        raise Conflict("该扣分已撤销 (deduction already revoked)", code="already_revoked")
    if not reason.strip():
        raise InvalidInput("须填写申诉理由 (a reason is required)", code="reason_required")
    pending = await session.scalar(
        select(Appeal.id).where(Appeal.deduction_id == deduction.id, Appeal.status == PENDING)
    )
    if pending is not None:
        raise Conflict("该扣分已有待处理的申诉 (an appeal is already pending)", code="appeal_pending")
    appeal = Appeal(
        deduction_id=deduction.id,
        filed_by=principal.user_id,
        reason=reason.strip(),
        filed_at=runtime.clock.now(),
        status=PENDING,
    )
    session.add(appeal)
    await session.flush()
    await runtime.audit.append(
        session,
        CREDIT_APPEAL_FILED,
        actor=principal.actor,
        subject=f"{deduction.subject_kind}:{deduction.subject_key}",
        data={"appeal": appeal.id, "uid": deduction.uid},
    )
    return appeal


async def decide_appeal(
    session: AsyncSession, runtime: Runtime, appeal_id: int, outcome: str, reason: str, *, actor: str
) -> Appeal:
    appeal = await get_appeal(session, appeal_id)
    try:
        decided = Outcome(outcome)
    except ValueError as exc:
        raise InvalidInput("处理结果须为 upheld 或 revoked (outcome: upheld or revoked)") from exc
    if appeal.status != PENDING:
        raise Conflict("该申诉已处理 (appeal already decided)", code="appeal_decided")
    if not reason.strip():
        raise InvalidInput("须填写处理理由 (a reason is required)", code="reason_required")
    deduction = await get_deduction(session, appeal.deduction_id)
    appeal.status = decided.value
    appeal.decided_by = actor[:64]
    appeal.decided_at = runtime.clock.now()
    appeal.decision_reason = reason.strip()
    if decided is Outcome.REVOKED:
        await revoke(session, runtime, deduction, reason=reason.strip(), actor=actor, day=today(runtime))
    await runtime.audit.append(
        session,
        CREDIT_APPEAL_DECIDED,
        actor=actor,
        subject=f"{deduction.subject_kind}:{deduction.subject_key}",
        data={"appeal": appeal.id, "uid": deduction.uid, "outcome": decided.value, "reason": reason.strip()},
    )
    return appeal


async def get_appeal(session: AsyncSession, appeal_id: int) -> Appeal:
    appeal = await session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"申诉 {appeal_id} 不存在 (appeal not found)", code="appeal_not_found")
    return appeal


async def list_appeals(
    session: AsyncSession, principal: Principal, *, status: str | None = None
) -> list[tuple[Appeal, Deduction]]:
    """Staff see every appeal; a subject sees the appeals on its own deductions."""
    query = select(Appeal, Deduction).join(Deduction, Deduction.id == Appeal.deduction_id)
    if status:
        query = query.where(Appeal.status == status)
    if not principal.roles & STAFF:
        mine = await subjects_of(session, principal)
        if not mine:
            return []
        query = query.where(
            or_(*[and_(Deduction.subject_kind == k, Deduction.subject_key == v) for k, v in mine])
        )
    rows = await session.execute(query.order_by(Appeal.filed_at.desc(), Appeal.id.desc()))
    return [(appeal, deduction) for appeal, deduction in rows]
