"""How an expert gets a login: a supervisor or admin links an expert record to an account, or a person
registers themself and a supervisor approves the application (creating the record and the account).

The audit log is public: an application's entries carry its number, county and specialties, never
the name, ID number, phone or username; the approval's link entry seals the expert's code as
``registry.link_user`` does.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import accounts, admin
from core.accounts import NewPassword, Principal, Username, check_username, hash_password
from core.credit_code import CreditCodeText
from core.errors import Conflict, InvalidInput, NotFound
from core.models import User
from core.paging import Page, paginate
from core.roles import Role
from core.runtime import Runtime
from experts import registry
from experts.events import (
    EXPERTS_APPLICATION_APPROVED,
    EXPERTS_APPLICATION_REJECTED,
    EXPERTS_APPLICATION_SUBMITTED,
)
from experts.idcard import REGION_PATTERN, IdNumberText, PhoneText
from experts.models import Expert, ExpertApplication

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


async def link_expert_to_user(
    session: AsyncSession, runtime: Runtime, code: str, username: str, *, actor: str
) -> Expert:
    """Give the expert ``code`` the login ``username`` (which gains the expert role if it lacks it).

    404 for an unknown code or username; 409 when the expert already has a login or the account
    already belongs to another expert.
    """
    expert = await registry.get_expert(session, code.strip())
    user = await admin.user_by_username(session, username)
    if expert.user_id is not None:
        raise Conflict(
            f"专家 {expert.code} 已关联账号 (expert {expert.code} is already linked to an account)",
            code="expert_linked",
        )
    other = await session.scalar(select(Expert.code).where(Expert.user_id == user.id))
    if other is not None:
        raise Conflict(
            f"账号 {user.username} 已关联专家 {other} (the account is already linked to expert {other})",
            code="user_linked",
        )
    await admin.add_role(session, runtime.audit, user.id, Role.EXPERT, actor=actor)
    await registry.link_user(session, runtime, expert.code, user.id, actor=actor)
    return expert


class Application(msgspec.Struct, kw_only=True):
    """What a person enters to register as an expert (the fields of the expert record, and a login)."""

    username: Username  # the login to create, checked as for any account
    password: NewPassword  # the login's password (the account password rules apply)
    name: Annotated[str, Meta(min_length=2, max_length=32, description="2-32 characters")]
    id_number: IdNumberText
    phone: PhoneText
    county: Annotated[str, Meta(pattern=REGION_PATTERN, description="region code of the applicant's county")]
    employer_code: CreditCodeText  # the employer's
    employer_name: str
    title: Annotated[str, Meta(description="professional title (职称)")]
    specialties: Annotated[list[str], Meta(description="leaf specialty codes (at least one)")] = (
        msgspec.field(default_factory=list)
    )


def _as_input(app: Application | ExpertApplication) -> registry.ExpertInput:
    if isinstance(app, ExpertApplication):
        county, specialties = app.county_code, list(app.specialties)
    else:
        county, specialties = app.county, app.specialties
    return registry.ExpertInput(
        name=app.name,
        id_number=app.id_number,
        phone=app.phone,
        county=county,
        employer_code=app.employer_code,
        employer_name=app.employer_name,
        title=app.title,
        specialties=specialties,
        status="active",
    )


async def _username_free(session: AsyncSession, username: str) -> None:
    taken = await session.scalar(select(User.id).where(User.username == username)) is not None
    pending = await session.scalar(
        select(ExpertApplication.id).where(
            ExpertApplication.username == username, ExpertApplication.state == PENDING
        )
    )
    if taken or pending is not None:
        raise Conflict(f"用户名 {username} 已存在 (username already taken)", code="username_taken")


async def submit_application(session: AsyncSession, runtime: Runtime, app: Application) -> ExpertApplication:
    """A logged-out person's registration: every field checked now, so a supervisor sees a valid one."""
    username = check_username(app.username)
    password_hash = hash_password(app.password)
    clean = registry.validate_input(
        _as_input(app), await registry.county_codes(session), runtime.clock.now().date()
    )
    await _username_free(session, username)
    if await session.scalar(select(Expert.id).where(Expert.id_number == clean.id_number)) is not None:
        raise Conflict(
            "id_number: 该身份证号已登记为专家，请联系交易中心关联账号 "
            "(already an expert: ask the centre to link your account)",
            code="expert_exists",
        )
    pending = await session.scalar(
        select(ExpertApplication.id).where(
            ExpertApplication.id_number == clean.id_number, ExpertApplication.state == PENDING
        )
    )
    if pending is not None:
        raise Conflict("id_number: 已有待审核的申请 (an application is already pending)", code="pending")
    row = ExpertApplication(
        username=username,
        password_hash=password_hash,
        name=clean.name,
        id_number=clean.id_number,
        phone=clean.phone,
        county_code=clean.county,
        employer_code=clean.employer_code,
        employer_name=clean.employer_name,
        title=clean.title,
        specialties=clean.specialties,
        state=PENDING,
        reason="",
        created_at=runtime.clock.now(),
    )
    session.add(row)
    await session.flush()
    await runtime.audit.append(
        session,
        EXPERTS_APPLICATION_SUBMITTED,
        actor=None,
        subject=f"expert-application:{row.id}",
        data={"county": clean.county, "specialties": clean.specialties},
    )
    return row


async def list_applications(
    session: AsyncSession, *, state: str | None = PENDING, limit: int = 50, offset: int = 0
) -> Page[ExpertApplication]:
    query = select(ExpertApplication)
    if state:
        query = query.where(ExpertApplication.state == state)
    return await paginate(session, query, order_by=[ExpertApplication.id], limit=limit, offset=offset)


async def count_pending_applications(session: AsyncSession) -> int:
    return (await list_applications(session, limit=1)).total


async def _pending(session: AsyncSession, application_id: int) -> ExpertApplication:
    row = await session.get(ExpertApplication, application_id)
    if row is None:
        raise NotFound(f"申请 {application_id} 不存在 (no such application)", code="unknown_application")
    if row.state != PENDING:
        raise Conflict(
            f"申请 {application_id} 已处理 (the application was already decided)", code="already_decided"
        )
    return row


async def approve_application(
    session: AsyncSession, runtime: Runtime, application_id: int, principal: Principal
) -> Expert:
    """Create the expert record and the login (expert role), linked; the applicant can log in at once."""
    row = await _pending(session, application_id)
    await _username_free_of_users(session, row.username)
    expert = await registry.register_expert(session, runtime, _as_input(row), actor=principal.actor)
    user = await accounts.create_user(
        session,
        runtime.clock,
        runtime.audit,
        username=row.username,
        password="",
        password_hash=row.password_hash,
        display_name=row.name,
        roles=frozenset({Role.EXPERT}),
        actor=principal.actor,
    )
    await registry.link_user(session, runtime, expert.code, user.id, actor=principal.actor)
    row.state, row.expert_id = APPROVED, expert.id
    row.decided_at, row.decided_by = runtime.clock.now(), principal.user_id
    row.password_hash = ""  # the account holds it now
    await runtime.audit.append(
        session,
        EXPERTS_APPLICATION_APPROVED,
        actor=principal.actor,
        subject=f"expert-application:{row.id}",
        data={"user": user.id},
    )
    return expert


async def _username_free_of_users(session: AsyncSession, username: str) -> None:
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"用户名 {username} 已被占用，请驳回并请申请人换一个 "
            "(username taken since; reject and ask for another)",
            code="username_taken",
        )


async def reject_application(
    session: AsyncSession, runtime: Runtime, application_id: int, reason: str, principal: Principal
) -> ExpertApplication:
    if not reason.strip():
        raise InvalidInput("reason: 驳回须说明理由 (a rejection needs a reason)", code="reason_required")
    row = await _pending(session, application_id)
    row.state, row.reason = REJECTED, reason.strip()
    row.decided_at, row.decided_by = runtime.clock.now(), principal.user_id
    row.password_hash = ""
    await runtime.audit.append(
        session,
        EXPERTS_APPLICATION_REJECTED,
        actor=principal.actor,
        subject=f"expert-application:{row.id}",
        data={},
    )
    return row
