"""Administration: the admin's use cases on users and organisations' staff.

Creating a user is ``core.accounts.create_user``; everything an admin does afterwards is here. Every
action appends to the audit log under a ``core/events.py`` kind. The log is public, so an entry names
the account by its number (``user:<id>``) and never carries a username, a password or a reason typed
by the admin.

Disabling a user and resetting a password also revoke every session and API token of that user, so
the change takes effect on the next request, not when a session happens to expire.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import FAILURE_MEMORY, hash_password, normal_username, principals_changed
from core.audit import AuditLog
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound
from core.events import (
    ACCOUNT_DISABLED,
    ACCOUNT_ENABLED,
    ACCOUNT_LOGIN_UNLOCKED,
    ACCOUNT_PASSWORD_RESET,
    ACCOUNT_ROLES_CHANGED,
    ACCOUNT_SESSIONS_REVOKED,
    ORGANISATION_STAFF_ADDED,
    ORGANISATION_STAFF_REMOVED,
)
from core.models import AccessToken, LoginFailure, Organisation, User, UserRole
from core.organisations import get_organisation
from core.paging import Page, paginate
from core.roles import Role

GENERATED_PASSWORD_BYTES = 9  # 12 URL-safe characters


@dataclass(frozen=True)
class UserFilter:
    query: str | None = None  # part of the username or display name
    role: str | None = None
    active: bool | None = None
    organisation_id: int | None = None


@dataclass(frozen=True)
class Lockout:
    """A username with enough recent failed logins that the throttle now makes it wait."""

    username: str
    failures: int
    last: datetime
    user_id: int | None


def generated_password() -> str:
    """A temporary password to hand to the user once (12 URL-safe characters)."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在 (no such user)", code="unknown_user")
    return user


async def user_by_username(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == normal_username(username)))
    if user is None:
        raise NotFound(f"用户 {username.strip()} 不存在 (no such user)", code="unknown_user")
    return user


async def list_users(session: AsyncSession, filters: UserFilter, *, limit: int, offset: int) -> Page[User]:
    query = select(User)
    if filters.query and filters.query.strip():
        text = filters.query.strip()
        query = query.where(or_(User.username.contains(text.casefold()), User.display_name.contains(text)))
    if filters.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == filters.role)))
    if filters.active is not None:
        query = query.where(User.is_active == filters.active)
    if filters.organisation_id is not None:
        query = query.where(User.organisation_id == filters.organisation_id)
    return await paginate(session, query, order_by=[User.id], limit=limit, offset=offset)


async def live_tokens(session: AsyncSession, clock: Clock, user_id: int) -> list[AccessToken]:
    """The user's sessions and API tokens that would still be accepted now."""
    now = clock.now()
    rows = await session.scalars(
        select(AccessToken).where(
            AccessToken.user_id == user_id,
            AccessToken.revoked_at.is_(None),
            or_(AccessToken.expires_at.is_(None), AccessToken.expires_at > now),
        )
    )
    return list(rows)


async def revoke_all_tokens(session: AsyncSession, clock: Clock, user_id: int) -> int:
    """Revoke every live session and API token of the user; how many there were."""
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    principals_changed(session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def revoke_sessions(
    session: AsyncSession, clock: Clock, audit: AuditLog, user_id: int, *, actor: str
) -> int:
    await get_user(session, user_id)
    count = await revoke_all_tokens(session, clock, user_id)
    await audit.append(
        session, ACCOUNT_SESSIONS_REVOKED, actor=actor, subject=f"user:{user_id}", data={"tokens": count}
    )
    return count


async def set_roles(
    session: AsyncSession, audit: AuditLog, user_id: int, roles: frozenset[Role], *, actor: str
) -> User:
    user = await get_user(session, user_id)
    if not roles:
        raise InvalidInput("用户至少需要一个角色 (a user needs at least one role)", code="no_roles")
    if actor == f"user:{user_id}" and Role.ADMIN not in roles:
        raise Conflict(
            "不能取消自己的管理员角色 (you cannot remove your own admin role)", code="own_admin_role"
        )
    before = sorted(user.role_names)
    user.roles = [UserRole(role=role.value) for role in sorted(roles)]
    principals_changed(session)
    await session.flush()
    await audit.append(
        session,
        ACCOUNT_ROLES_CHANGED,
        actor=actor,
        subject=f"user:{user_id}",
        data={"before": before, "after": sorted(r.value for r in roles)},
    )
    return user


async def add_role(session: AsyncSession, audit: AuditLog, user_id: int, role: Role, *, actor: str) -> User:
    """The user with ``role`` added (nothing changes, nothing is logged, if it has it already)."""
    user = await get_user(session, user_id)
    if role.value in user.role_names:
        return user
    have = frozenset(Role(r) for r in user.role_names if r in Role._value2member_map_)
    return await set_roles(session, audit, user_id, have | {role}, actor=actor)


async def set_active(
    session: AsyncSession, clock: Clock, audit: AuditLog, user_id: int, active: bool, *, actor: str
) -> User:
    """Enable or disable a login; disabling ends every session and token at once."""
    user = await get_user(session, user_id)
    if not active and actor == f"user:{user_id}":
        raise Conflict("不能停用自己的账号 (you cannot disable your own account)", code="own_account")
    if user.is_active == active:
        return user
    user.is_active = active
    principals_changed(session)
    revoked = 0 if active else await revoke_all_tokens(session, clock, user_id)
    await audit.append(
        session,
        ACCOUNT_ENABLED if active else ACCOUNT_DISABLED,
        actor=actor,
        subject=f"user:{user_id}",
        data={} if active else {"tokens_revoked": revoked},
    )
    return user


async def reset_password(
    session: AsyncSession,
    clock: Clock,
    audit: AuditLog,
    user_id: int,
    new_password: str | None,
    *,
    actor: str,
) -> str:
    """Set a temporary password (``None``: generate one); it is returned once and never stored.

    Every session and token of the user ends, so whoever knew the old password is logged out.
    """
    user = await get_user(session, user_id)
    generated = new_password is None or not new_password.strip()
    password = generated_password() if generated else str(new_password)
    user.password_hash = hash_password(password)
    revoked = await revoke_all_tokens(session, clock, user_id)
    await audit.append(
        session,
        ACCOUNT_PASSWORD_RESET,
        actor=actor,
        subject=f"user:{user_id}",
        data={"generated": generated, "tokens_revoked": revoked},
    )
    return password


async def lockouts(
    session: AsyncSession, clock: Clock, *, max_failures: int, limit: int = 50
) -> list[Lockout]:
    """Usernames that failed ``max_failures`` times or more in the last day, most recent first.

    The throttle counts per client, so such a user may still log in from a browser it knows; these are
    the accounts an admin is likely to hear about.
    """
    since = clock.now() - FAILURE_MEMORY
    rows = (
        await session.execute(
            select(LoginFailure.username, func.count(), func.max(LoginFailure.at))
            .where(LoginFailure.at >= since)
            .group_by(LoginFailure.username)
            .having(func.count() >= max_failures)
            .order_by(func.max(LoginFailure.at).desc())
            .limit(limit)
        )
    ).all()
    names = [r[0] for r in rows]
    found = await session.execute(select(User.username, User.id).where(User.username.in_(names)))
    ids = {str(name): int(user_id) for name, user_id in found.all()}
    return [Lockout(name, int(count), last, ids.get(name)) for name, count, last in rows]


async def unlock_login(session: AsyncSession, audit: AuditLog, user_id: int, *, actor: str) -> int:
    """Forget the user's failed logins, so the throttle lets them try again at once."""
    user = await get_user(session, user_id)
    result = await session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    cleared = int(result.rowcount or 0)  # type: ignore[attr-defined]
    await audit.append(
        session, ACCOUNT_LOGIN_UNLOCKED, actor=actor, subject=f"user:{user_id}", data={"cleared": cleared}
    )
    return cleared


async def list_organisations(
    session: AsyncSession, *, query: str | None, kind: str | None, limit: int, offset: int
) -> Page[Organisation]:
    found = select(Organisation)
    if query and query.strip():
        text = query.strip()
        found = found.where(
            or_(Organisation.name.contains(text), Organisation.credit_code.contains(text.upper()))
        )
    if kind:
        found = found.where(Organisation.kind == kind)
    return await paginate(session, found, order_by=[Organisation.id], limit=limit, offset=offset)


async def staff_of(session: AsyncSession, org_id: int) -> list[User]:
    await get_organisation(session, org_id)
    return list(await session.scalars(select(User).where(User.organisation_id == org_id).order_by(User.id)))


async def add_staff(session: AsyncSession, audit: AuditLog, org_id: int, user_id: int, *, actor: str) -> User:
    """Make the user one of the organisation's staff (a user belongs to at most one organisation)."""
    org = await get_organisation(session, org_id)
    user = await get_user(session, user_id)
    if user.organisation_id == org_id:
        return user
    if user.organisation_id is not None:
        other = await session.get(Organisation, user.organisation_id)
        raise Conflict(
            f"该用户已属于 {other.name if other else user.organisation_id}，请先移出 "
            "(the user belongs to another organisation; remove them there first)",
            code="has_organisation",
        )
    user.organisation_id = org_id
    principals_changed(session)
    await audit.append(
        session,
        ORGANISATION_STAFF_ADDED,
        actor=actor,
        subject=f"org:{org.credit_code}",
        data={"user": user_id},
    )
    return user


async def remove_staff(
    session: AsyncSession, audit: AuditLog, org_id: int, user_id: int, *, actor: str
) -> User:
    org = await get_organisation(session, org_id)
    user = await get_user(session, user_id)
    if user.organisation_id != org_id:
        raise NotFound(
            f"用户 {user_id} 不是该单位的人员 (not on this organisation's staff)", code="not_staff"
        )
    user.organisation_id = None
    principals_changed(session)
    await audit.append(
        session,
        ORGANISATION_STAFF_REMOVED,
        actor=actor,
        subject=f"org:{org.credit_code}",
        data={"user": user_id},
    )
    return user


async def counts(session: AsyncSession) -> dict[str, int]:
    """Totals for the admin dashboard."""
    users = await session.scalar(select(func.count()).select_from(User)) or 0
    disabled = await session.scalar(select(func.count()).where(User.is_active.is_(False))) or 0
    orgs = await session.scalar(select(func.count()).select_from(Organisation)) or 0
    return {"users": users, "disabled": disabled, "organisations": orgs}
