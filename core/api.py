"""HTTP API of core: login and tokens, users, organisations, regions, the public audit log."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Response, delete, get, post, put
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import select

from core import accounts, organisations, regions
from core import audit as audit_log
from core.access import ANY_USER, PUBLIC, SESSION_COOKIE, Caller, allow, client_address
from core.errors import InvalidInput, NotAuthenticated, PermissionDenied
from core.models import AuditEntry, Organisation, User
from core.paging import MAX_OFFSET
from core.roles import Role, parse_roles
from core.runtime import Db, Rt, Runtime
from core.types import AnyRequest

# Audit log positions and sizes past the databases' 64-bit integers were a 500; no log grows that far.
MAX_TREE_SIZE = 2**62


@dataclass
class LoginBody:
    username: str
    password: str


@dataclass
class TokenBody:
    username: str
    password: str
    name: str = "cli"
    days: int = 90


@dataclass
class NewUserBody:
    username: str
    password: str
    display_name: str
    roles: list[str]
    organisation_id: int | None = None


@dataclass
class SigningKeyBody:
    signing_key: str


DEVICE_COOKIE = "sunbid_device"  # a browser that logged in before: see core/accounts.py on throttling


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.role_names),
        "organisation_id": user.organisation_id,
    }


def org_json(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.id,
        "credit_code": org.credit_code,
        "name": org.name,
        "kind": org.kind,
        "legal_representative": org.legal_representative,
        "region_code": org.region_code,
        "signing_key": org.signing_key,
    }


def login_client(runtime: Runtime, request: AnyRequest) -> accounts.LoginClient:
    settings = runtime.settings
    return accounts.LoginClient(
        address=client_address(request.scope, settings.trusted_proxies),
        device_cookie=request.cookies.get(DEVICE_COOKIE),
        device_key=settings.signing_key("device"),
    )


async def login_user(runtime: Runtime, request: AnyRequest, username: str, password: str) -> User:
    """Check credentials; a failure is recorded in its own committed transaction, then raised."""
    settings = runtime.settings
    async with runtime.transaction() as session:
        user = await accounts.authenticate(
            session,
            runtime.clock,
            username=username,
            password=password,
            client=login_client(runtime, request),
            max_failures=settings.login_max_failures,
            window=settings.login_window_seconds,
        )
    if user is None:
        raise NotAuthenticated("用户名或密码错误 (wrong username or password)", code="bad_credentials")
    return user


def session_cookie(runtime: Runtime, secret: str | None) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=secret or "",
        httponly=True,
        secure=runtime.settings.cookie_secure,
        samesite="lax",
        path="/",
        max_age=runtime.settings.session_hours * 3600 if secret else 0,
    )


def login_cookies(runtime: Runtime, request: AnyRequest, user: User, secret: str) -> list[Cookie]:
    """The new session, and the device cookie that makes this browser a known client of ``user``."""
    device = accounts.remember_device(login_client(runtime, request), user.id)
    return [
        session_cookie(runtime, secret),
        Cookie(
            key=DEVICE_COOKIE,
            value=device,
            httponly=True,
            secure=runtime.settings.cookie_secure,
            samesite="lax",
            path="/",
            max_age=365 * 86400,
        ),
    ]


async def start_session(runtime: Runtime, user: User) -> str:
    async with runtime.transaction() as session:
        return await accounts.issue_token(
            session,
            runtime.clock,
            user,
            kind="session",
            lifetime=timedelta(hours=runtime.settings.session_hours),
        )


@post("/api/auth/login", opt=PUBLIC, status_code=200, tags=["accounts"])
async def login(request: AnyRequest, runtime: Rt, data: JSONBody[LoginBody]) -> Response[Any]:
    """Browser login: sets an HTTP-only session cookie."""
    user = await login_user(runtime, request, data.username, data.password)
    secret = await start_session(runtime, user)
    return Response(user_json(user), cookies=login_cookies(runtime, request, user, secret))


@post("/api/auth/tokens", opt=PUBLIC, status_code=201, tags=["accounts"])
async def create_token(request: AnyRequest, runtime: Rt, data: JSONBody[TokenBody]) -> dict[str, Any]:
    """CLI login: returns a bearer API token (shown once)."""
    if not 1 <= data.days <= 366:
        raise InvalidInput("token lifetime must be 1-366 days", code="bad_lifetime")
    user = await login_user(runtime, request, data.username, data.password)
    async with runtime.transaction() as session:
        token = await accounts.issue_token(
            session, runtime.clock, user, kind="api", lifetime=timedelta(days=data.days), name=data.name
        )
    return {"token": token, "user": user_json(user)}


@get("/api/auth/tokens", opt=ANY_USER, tags=["accounts"])
async def list_tokens(principal: Caller, db: Db) -> list[dict[str, Any]]:
    return [
        {
            "id": t.id,
            "kind": t.kind,
            "name": t.name,
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "revoked_at": t.revoked_at,
            "current": t.id == principal.token_id,
        }
        for t in await accounts.list_tokens(db, principal.user_id)
    ]


@delete("/api/auth/tokens/{token_id:int}", opt=ANY_USER, status_code=204, tags=["accounts"])
async def revoke_token(runtime: Rt, principal: Caller, db: Db, token_id: FromPath[int]) -> None:
    await accounts.revoke_token(db, runtime.clock, user_id=principal.user_id, token_id=token_id)


@post("/api/auth/logout", opt=ANY_USER, status_code=200, tags=["accounts"])
async def logout(runtime: Rt, principal: Caller, db: Db) -> Response[Any]:
    await accounts.revoke_token(db, runtime.clock, user_id=principal.user_id, token_id=principal.token_id)
    return Response({"ok": True}, cookies=[session_cookie(runtime, None)])


@get("/api/auth/me", opt=ANY_USER, tags=["accounts"])
async def current_user(principal: Caller, db: Db) -> dict[str, Any]:
    user = await db.get(User, principal.user_id)
    assert user is not None
    return user_json(user)


@post("/api/users", opt=allow(Role.ADMIN), status_code=201, tags=["accounts"])
async def create_user(runtime: Rt, principal: Caller, db: Db, data: JSONBody[NewUserBody]) -> dict[str, Any]:
    try:
        roles = parse_roles(data.roles)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="bad_roles") from exc
    user = await accounts.create_user(
        db,
        runtime.clock,
        runtime.audit,
        username=data.username,
        password=data.password,
        display_name=data.display_name,
        roles=roles,
        organisation_id=data.organisation_id,
        actor=principal.actor,
    )
    return user_json(user)


@get("/api/users", opt=allow(Role.ADMIN, Role.SUPERVISOR), tags=["accounts"])
async def list_users(db: Db) -> list[dict[str, Any]]:
    return [user_json(u) for u in await db.scalars(select(User).order_by(User.id))]


@get("/api/organisations", opt=PUBLIC, tags=["organisations"])
async def list_organisations(
    db: Db,
    kind: FromQuery[str | None] = None,
    limit: int = Parameter(default=50, ge=1, le=500),
    offset: int = Parameter(default=0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    rows, total = await organisations.list_organisations(db, kind=kind, limit=limit, offset=offset)
    return {"total": total, "items": [org_json(o) for o in rows]}


@get("/api/organisations/{org_id:int}", opt=PUBLIC, tags=["organisations"])
async def get_organisation(db: Db, org_id: FromPath[int]) -> dict[str, Any]:
    return org_json(await organisations.get_organisation(db, org_id))


@post(
    "/api/organisations",
    opt=allow(Role.ADMIN, Role.SUPERVISOR, Role.BIDDER, Role.AGENT, Role.TENDERER),
    status_code=201,
    tags=["organisations"],
)
async def register_organisation(
    runtime: Rt,
    principal: Caller,
    db: Db,
    data: JSONBody[organisations.NewOrganisation],
) -> dict[str, Any]:
    """Staff register any company; a company user registers its own, once, of its own kind."""
    staff = bool(principal.roles & {Role.ADMIN, Role.SUPERVISOR})
    if not staff:
        if principal.organisation_id is not None:
            raise PermissionDenied("你的账号已关联单位 (your account already belongs to a company)")
        if data.kind not in {r.value for r in principal.roles}:
            raise PermissionDenied(f"你的角色不能登记{data.kind}单位 (your role cannot register this kind)")
    org = await organisations.register_organisation(
        db,
        runtime.clock,
        runtime.audit,
        data,
        actor=principal.actor,
    )
    if not staff:
        user = await db.get(User, principal.user_id)
        assert user is not None
        user.organisation_id = org.id
    return org_json(org)


@put(
    "/api/organisations/{org_id:int}/signing-key",
    opt=allow(Role.ADMIN, Role.SUPERVISOR, Role.BIDDER, Role.AGENT, Role.TENDERER),
    tags=["organisations"],
)
async def set_signing_key(
    runtime: Rt,
    principal: Caller,
    db: Db,
    org_id: FromPath[int],
    data: JSONBody[SigningKeyBody],
) -> dict[str, Any]:
    """Register the company's Ed25519 public key (``ed25519:<base64>``) that signs its bid manifests."""
    if not principal.roles & {Role.ADMIN, Role.SUPERVISOR} and principal.organisation_id != org_id:
        raise PermissionDenied("只能为本单位登记签名公钥 (only for your own company)")
    org = await organisations.set_signing_key(
        db, runtime.audit, org_id, data.signing_key, actor=principal.actor
    )
    return org_json(org)


@get("/api/regions", opt=PUBLIC, tags=["regions"])
async def list_regions(db: Db) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "name": r.name,
            "name_en": r.name_en,
            "level": r.level,
            "parent_code": r.parent_code,
        }
        for r in await regions.list_regions(db)
    ]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "position": entry.position,
        "entry": entry.entry,
        "leaf_hash": b64(entry.leaf_hash),
        "root": b64(entry.root),
        "checkpoint": entry.checkpoint,
    }


# The audit log is public by design: anyone can fetch entries and proofs and check them.


@get("/api/audit/checkpoint", opt=PUBLIC, tags=["audit"])
async def audit_checkpoint(runtime: Rt, db: Db) -> dict[str, Any]:
    size = await runtime.audit.size(db)
    latest = await runtime.audit.entry(db, size - 1) if size else None
    return {
        "size": size,
        "checkpoint": latest.checkpoint if latest else None,
        "verifier_key": runtime.audit.signer.verifier_key,
    }


@get("/api/audit/entries", opt=PUBLIC, tags=["audit"])
async def audit_entries(
    db: Db,
    after: int = Parameter(default=-1, ge=-1, le=MAX_TREE_SIZE),
    limit: int = Parameter(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    return [entry_json(e) for e in await audit_log.entries_after(db, after, limit=limit)]


@get("/api/audit/entries/{position:int}/proof", opt=PUBLIC, tags=["audit"])
async def inclusion_proof(
    runtime: Rt, db: Db, position: FromPath[int], size: int | None = Parameter(default=None, ge=1)
) -> dict[str, Any]:
    audit = runtime.audit
    size = size or await audit.size(db)
    proof = await audit.inclusion_proof(db, position, size)
    tree_head = await audit.entry(db, size - 1)
    return {
        "position": position,
        "size": size,
        "proof": [b64(p) for p in proof],
        "checkpoint": tree_head.checkpoint,
    }


@get("/api/audit/consistency", opt=PUBLIC, tags=["audit"])
async def consistency_proof(
    runtime: Rt,
    db: Db,
    old: int = Parameter(ge=1, le=MAX_TREE_SIZE),
    new: int = Parameter(ge=1, le=MAX_TREE_SIZE),
) -> dict[str, Any]:
    proof = await runtime.audit.consistency_proof(db, old, new)
    return {"old": old, "new": new, "proof": [b64(p) for p in proof]}


ROUTE_HANDLERS = [
    login,
    create_token,
    list_tokens,
    revoke_token,
    logout,
    current_user,
    create_user,
    list_users,
    list_organisations,
    get_organisation,
    register_organisation,
    set_signing_key,
    list_regions,
    audit_checkpoint,
    audit_entries,
    inclusion_proof,
    consistency_proof,
]
