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

from dataclasses import dataclass
from typing import Any

from litestar import delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core import accounts, admin, organisations
from core.access import Caller, allow
from core.accounts import Principal
from core.api import org_json, user_json
from core.errors import InvalidInput
from core.models import Organisation, User
from core.paging import Paging
from core.roles import Role, parse_roles
from core.runtime import Db, Rt, Runtime

ADMIN = allow(Role.ADMIN)
TAGS = ["admin"]


@dataclass
class AdminNewUser:
    username: str
    display_name: str
    roles: list[str]
    password: str = ""  # empty: a password is generated and returned once
    organisation_id: int | None = None


@dataclass
class RolesBody:
    roles: list[str]


@dataclass
class PasswordBody:
    password: str = ""  # empty: generate one


@dataclass
class StaffBody:
    username: str


def admin_user_json(user: User) -> dict[str, Any]:
    """What every caller sees of a user (core.api.user_json), and what only an admin needs besides."""
    return {**user_json(user), "active": user.is_active, "created_at": user.created_at}


def roles_of(values: list[str]) -> frozenset[Role]:
    try:
        return parse_roles(values)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="bad_roles") from exc


@get("/api/admin/users", opt=ADMIN, tags=TAGS)
async def admin_list_users(
    db: Db,
    paging: Paging,
    q: FromQuery[str | None] = None,
    role: FromQuery[str | None] = None,
    active: FromQuery[bool | None] = None,
    organisation_id: FromQuery[int | None] = None,
) -> dict[str, Any]:
    found = await admin.list_users(
        db,
        admin.UserFilter(query=q, role=role, active=active, organisation_id=organisation_id),
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [admin_user_json(u) for u in found.rows]
    return {"items": items, "total": found.total, "limit": found.limit, "offset": found.offset}


async def create_user_as_admin(
    runtime: Runtime, db: AsyncSession, principal: Principal, data: AdminNewUser
) -> dict[str, Any]:
    """Shared by the API and the page: the new user, and its password when one was generated."""
    roles = roles_of(data.roles)
    generated = not data.password
    password = admin.generated_password() if generated else data.password
    user = await accounts.create_user(
        db,
        runtime.clock,
        runtime.audit,
        username=data.username,
        password=password,
        display_name=data.display_name,
        roles=roles,
        organisation_id=data.organisation_id,
        actor=principal.actor,
    )
    return {**admin_user_json(user), "password": password if generated else None}


@post("/api/admin/users", opt=ADMIN, status_code=201, tags=TAGS)
async def admin_create_user(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[AdminNewUser]
) -> dict[str, Any]:
    """Create a user; without a password one is generated and returned once (``password``)."""
    return await create_user_as_admin(runtime, db, principal, data)


@get("/api/admin/users/{user_id:int}", opt=ADMIN, tags=TAGS)
async def admin_get_user(runtime: Rt, db: Db, user_id: FromPath[int]) -> dict[str, Any]:
    user = await admin.get_user(db, user_id)
    live = len(await admin.live_tokens(db, runtime.clock, user_id))
    org = await db.get(Organisation, user.organisation_id) if user.organisation_id else None
    return {**admin_user_json(user), "live_tokens": live, "organisation": org_json(org) if org else None}


@put("/api/admin/users/{user_id:int}/roles", opt=ADMIN, tags=TAGS)
async def admin_set_roles(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int], data: JSONBody[RolesBody]
) -> dict[str, Any]:
    user = await admin.set_roles(db, runtime.audit, user_id, roles_of(data.roles), actor=principal.actor)
    return admin_user_json(user)


@post("/api/admin/users/{user_id:int}/disable", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_disable_user(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]
) -> dict[str, Any]:
    """Refuse the user's logins and end their sessions and API tokens at once."""
    user = await admin.set_active(db, runtime.clock, runtime.audit, user_id, False, actor=principal.actor)
    return admin_user_json(user)


@post("/api/admin/users/{user_id:int}/enable", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_enable_user(runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]) -> dict[str, Any]:
    user = await admin.set_active(db, runtime.clock, runtime.audit, user_id, True, actor=principal.actor)
    return admin_user_json(user)


@post("/api/admin/users/{user_id:int}/password", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_reset_password(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int], data: JSONBody[PasswordBody]
) -> dict[str, Any]:
    """Set a temporary password (empty: generate one); returned once, and every session ends."""
    password = await admin.reset_password(
        db, runtime.clock, runtime.audit, user_id, data.password or None, actor=principal.actor
    )
    return {"id": user_id, "password": password}


@post("/api/admin/users/{user_id:int}/revoke", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_revoke_sessions(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]
) -> dict[str, Any]:
    """End every browser session and API token of the user."""
    count = await admin.revoke_sessions(db, runtime.clock, runtime.audit, user_id, actor=principal.actor)
    return {"id": user_id, "revoked": count}


@post("/api/admin/users/{user_id:int}/unlock", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_unlock_login(
    runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]
) -> dict[str, Any]:
    """Forget the user's failed logins, so the login throttle stops holding them back."""
    cleared = await admin.unlock_login(db, runtime.audit, user_id, actor=principal.actor)
    return {"id": user_id, "cleared": cleared}


@get("/api/admin/lockouts", opt=ADMIN, tags=TAGS)
async def admin_lockouts(runtime: Rt, db: Db) -> list[dict[str, Any]]:
    found = await admin.lockouts(db, runtime.clock, max_failures=runtime.settings.login_max_failures)
    return [
        {"username": x.username, "failures": x.failures, "last": x.last, "user_id": x.user_id} for x in found
    ]


@get("/api/admin/organisations", opt=ADMIN, tags=TAGS)
async def admin_list_organisations(
    db: Db, paging: Paging, q: FromQuery[str | None] = None, kind: FromQuery[str | None] = None
) -> dict[str, Any]:
    found = await admin.list_organisations(db, query=q, kind=kind, limit=paging.limit, offset=paging.offset)
    items = [org_json(o) for o in found.rows]
    return {"items": items, "total": found.total, "limit": found.limit, "offset": found.offset}


@post("/api/admin/organisations", opt=ADMIN, status_code=201, tags=TAGS)
async def admin_register_organisation(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[organisations.NewOrganisation]
) -> dict[str, Any]:
    org = await organisations.register_organisation(
        db, runtime.clock, runtime.audit, data, actor=principal.actor
    )
    return org_json(org)


@get("/api/admin/organisations/{org_id:int}", opt=ADMIN, tags=TAGS)
async def admin_get_organisation(db: Db, org_id: FromPath[int]) -> dict[str, Any]:
    org = await organisations.get_organisation(db, org_id)
    return {**org_json(org), "staff": [admin_user_json(u) for u in await admin.staff_of(db, org_id)]}


@post("/api/admin/organisations/{org_id:int}/staff", opt=ADMIN, status_code=200, tags=TAGS)
async def admin_add_staff(
    runtime: Rt, principal: Caller, db: Db, org_id: FromPath[int], data: JSONBody[StaffBody]
) -> dict[str, Any]:
    user = await admin.user_by_username(db, data.username)
    await admin.add_staff(db, runtime.audit, org_id, user.id, actor=principal.actor)
    return admin_user_json(user)


@delete("/api/admin/organisations/{org_id:int}/staff/{user_id:int}", opt=ADMIN, status_code=204, tags=TAGS)
async def admin_remove_staff(
    runtime: Rt, principal: Caller, db: Db, org_id: FromPath[int], user_id: FromPath[int]
) -> None:
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
