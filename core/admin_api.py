"""HTTP API of administration (admin only): users, their roles, logins and sessions; organisations' staff.

GET    /api/admin/users                       ?q=&role=&active=&organisation_id=&limit=&offset=
POST   /api/admin/users                       create (no password: one is generated, shown once)
GET    /api/admin/users/{id}                  the user, its organisation and live tokens
PUT    /api/admin/users/{id}/roles            {"roles": [...]}
POST   /api/admin/users/{id}/disable|enable   a disabled user's sessions and tokens end at once
POST   /api/admin/users/{id}/password         {"password": "" or a temporary one} → shown once
POST   /api/admin/users/{id}/revoke           end every session and API token
POST   /api/admin/users/{id}/unlock           forget failed logins (the throttle lets them in)
GET    /api/admin/lockouts                    usernames the login throttle is holding back
GET    /api/admin/organisations               ?q=&kind=
POST   /api/admin/organisations               register (credit code checked)
GET    /api/admin/organisations/{id}          with its staff
POST   /api/admin/organisations/{id}/staff    {"username": ...}
DELETE /api/admin/organisations/{id}/staff/{user_id}
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core import accounts, admin, organisations
from core.access import Caller, allow
from core.accounts import Principal
from core.api import RoleList, Username
from core.models import Organisation
from core.organisations import OrgKind
from core.paging import Listing, Paging, listing
from core.roles import Role
from core.runtime import Db, Rt, Runtime
from core.views import (
    AdminUserDetail,
    AdminUserOut,
    NewUserOut,
    OrganisationOut,
    OrganisationWithStaff,
    admin_user_out,
    org_out,
)

ADMIN = allow(Role.ADMIN)
TAGS = ["admin"]


class AdminNewUser(msgspec.Struct, kw_only=True):
    username: Username
    display_name: str
    roles: RoleList
    password: Annotated[
        str, msgspec.Meta(description="empty: a password is generated and returned once; else 8+ characters")
    ] = ""
    organisation_id: int | None = None


class RolesBody(msgspec.Struct, kw_only=True):
    roles: RoleList


class PasswordBody(msgspec.Struct, kw_only=True):
    password: Annotated[
        str, msgspec.Meta(description="a temporary password of 8+ characters; empty: generate one")
    ] = ""


class StaffBody(msgspec.Struct, kw_only=True):
    username: str


class PasswordReset(msgspec.Struct, kw_only=True):
    """The user's new password, shown this once."""

    id: int
    password: str


class SessionsRevoked(msgspec.Struct, kw_only=True):
    id: int
    revoked: Annotated[int, msgspec.Meta(description="how many sessions and API tokens ended")]


class LoginUnlocked(msgspec.Struct, kw_only=True):
    id: int
    cleared: Annotated[int, msgspec.Meta(description="how many failed logins were forgotten")]


class LockoutOut(msgspec.Struct, kw_only=True):
    username: str
    failures: int
    last: datetime
    user_id: int | None


@get("/api/admin/users", opt=ADMIN, tags=TAGS)
async def admin_list_users(
    db: Db,
    paging: Paging,
    q: FromQuery[str | None] = None,
    role: FromQuery[Role | None] = None,
    active: FromQuery[bool | None] = None,
    organisation_id: FromQuery[int | None] = None,
) -> Listing[AdminUserOut]:
    """Users by username or name (``q``), role, active state and organisation, one page at a time."""
    found = await admin.list_users(
        db,
        admin.UserFilter(query=q, role=role, active=active, organisation_id=organisation_id),
        limit=paging.limit,
        offset=paging.offset,
    )
    return listing(found, [admin_user_out(u) for u in found.rows])


async def create_user_as_admin(
    runtime: Runtime, db: AsyncSession, principal: Principal, data: AdminNewUser
) -> NewUserOut:
    """Shared by the API and the page: the new user, and its password when one was generated."""
    generated = not data.password
    password = admin.generated_password() if generated else data.password
    user = await accounts.create_user(
        db,
        runtime.clock,
        runtime.audit,
        username=data.username,
        password=password,
        display_name=data.display_name,
        roles=frozenset(data.roles),
        organisation_id=data.organisation_id,
        actor=principal.actor,
    )
    return NewUserOut(
        **msgspec.structs.asdict(admin_user_out(user)), password=password if generated else None
    )


@post("/api/admin/users", opt=ADMIN, status_code=201, tags=TAGS)
async def admin_create_user(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[AdminNewUser]
) -> NewUserOut:
    """Create a user (新建用户); without a password one is generated and returned once (``password``)."""
    return await create_user_as_admin(runtime, db, principal, data)


@get("/api/admin/users/{user_id:int}", opt=ADMIN, tags=TAGS)
async def admin_get_user(runtime: Rt, db: Db, user_id: FromPath[int]) -> AdminUserDetail:
    """One user, with its organisation and how many of its sessions and API tokens are live."""
    user = await admin.get_user(db, user_id)
    live = len(await admin.live_tokens(db, runtime.clock, user_id))
    org = await db.get(Organisation, user.organisation_id) if user.organisation_id else None
    return AdminUserDetail(
        **msgspec.structs.asdict(admin_user_out(user)),
        live_tokens=live,
        organisation=org_out(org) if org else None,
    )


@put("/api/admin/users/{user_id:int}/roles", opt=ADMIN, tags=TAGS)
async def admin_set_roles(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int], data: JSONBody[RolesBody]
) -> AdminUserOut:
    """Replace the user's roles (at least one); recorded in the audit log."""
    user = await admin.set_roles(db, runtime.audit, user_id, frozenset(data.roles), actor=principal.actor)
    return admin_user_out(user)


@post("/api/admin/users/{user_id:int}/disable", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_disable_user(runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]) -> AdminUserOut:
    """Disable a user (停用): refuse their logins and end their sessions and API tokens at once."""
    user = await admin.set_active(db, runtime.clock, runtime.audit, user_id, False, actor=principal.actor)
    return admin_user_out(user)


@post("/api/admin/users/{user_id:int}/enable", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_enable_user(runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]) -> AdminUserOut:
    """Enable a disabled user (启用): they may log in again."""
    user = await admin.set_active(db, runtime.clock, runtime.audit, user_id, True, actor=principal.actor)
    return admin_user_out(user)


@post("/api/admin/users/{user_id:int}/password", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_reset_password(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int], data: JSONBody[PasswordBody]
) -> PasswordReset:
    """Reset a password (重置密码): set a temporary one (empty: generate one), returned once.

    Every session and API token of the user ends, so the old password's holder is logged out.
    """
    password = await admin.reset_password(
        db, runtime.clock, runtime.audit, user_id, data.password or None, actor=principal.actor
    )
    return PasswordReset(id=user_id, password=password)


@post("/api/admin/users/{user_id:int}/revoke", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_revoke_sessions(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]
) -> SessionsRevoked:
    """End every browser session and API token of the user."""
    count = await admin.revoke_sessions(db, runtime.clock, runtime.audit, user_id, actor=principal.actor)
    return SessionsRevoked(id=user_id, revoked=count)


@post("/api/admin/users/{user_id:int}/unlock", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_unlock_login(runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]) -> LoginUnlocked:
    """Forget the user's failed logins, so the login throttle stops holding them back."""
    cleared = await admin.unlock_login(db, runtime.audit, user_id, actor=principal.actor)
    return LoginUnlocked(id=user_id, cleared=cleared)


@get("/api/admin/lockouts", opt=ADMIN, tags=TAGS)
async def admin_lockouts(runtime: Rt, db: Db) -> list[LockoutOut]:
    """Usernames the login throttle is holding back: recent failures, the last one, and the user if any."""
    found = await admin.lockouts(db, runtime.clock, max_failures=runtime.settings.login_max_failures)
    return [
        LockoutOut(username=x.username, failures=x.failures, last=x.last, user_id=x.user_id) for x in found
    ]


@get("/api/admin/organisations", opt=ADMIN, tags=TAGS)
async def admin_list_organisations(
    db: Db, paging: Paging, q: FromQuery[str | None] = None, kind: FromQuery[OrgKind | None] = None
) -> Listing[OrganisationOut]:
    """Organisations by name or credit code (``q``) and kind, one page at a time."""
    found = await admin.list_organisations(db, query=q, kind=kind, limit=paging.limit, offset=paging.offset)
    return listing(found, [org_out(o) for o in found.rows])


@post("/api/admin/organisations", opt=ADMIN, status_code=201, tags=TAGS)
async def admin_register_organisation(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[organisations.NewOrganisation]
) -> OrganisationOut:
    """Register an organisation (登记单位); the credit code's check character is verified."""
    org = await organisations.register_organisation(
        db, runtime.clock, runtime.audit, data, actor=principal.actor
    )
    return org_out(org)


@get("/api/admin/organisations/{org_id:int}", opt=ADMIN, tags=TAGS)
async def admin_get_organisation(db: Db, org_id: FromPath[int]) -> OrganisationWithStaff:
    """One organisation with its staff (the users who act for it)."""
    org = await organisations.get_organisation(db, org_id)
    return OrganisationWithStaff(
        **msgspec.structs.asdict(org_out(org)),
        staff=[admin_user_out(u) for u in await admin.staff_of(db, org_id)],
    )


@post("/api/admin/organisations/{org_id:int}/staff", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_add_staff(
    runtime: Rt, principal: Caller, db: Db, org_id: FromPath[int], data: JSONBody[StaffBody]
) -> AdminUserOut:
    """Make a user (by username) staff of the organisation: they then act for it."""
    user = await admin.user_by_username(db, data.username)
    await admin.add_staff(db, runtime.audit, org_id, user.id, actor=principal.actor)
    return admin_user_out(user)


@delete("/api/admin/organisations/{org_id:int}/staff/{user_id:int}", opt=ADMIN, status_code=204, tags=TAGS)
async def admin_remove_staff(
    runtime: Rt, principal: Caller, db: Db, org_id: FromPath[int], user_id: FromPath[int]
) -> None:
    """Remove a user from the organisation's staff; the user account stays."""
    await admin.remove_staff(db, runtime.audit, org_id, user_id, actor=principal.actor)


ROUTE_HANDLERS = [
    admin_list_users,
    admin_create_user,
    admin_get_user,
    admin_set_roles,
    admin_disable_user,
    admin_enable_user,
    admin_reset_password,
    admin_revoke_sessions,
    admin_unlock_login,
    admin_lockouts,
    admin_list_organisations,
    admin_register_organisation,
    admin_get_organisation,
    admin_add_staff,
    admin_remove_staff,
]
