"""HTTP API of core: login and tokens, users, organisations, regions, the public audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import msgspec
from litestar import Response, delete, get, post, put
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import select

from core import accounts, organisations, regions
from core import audit as audit_log
from core.access import ANY_USER, PUBLIC, SESSION_COOKIE, Caller, allow, client_address
from core.accounts import NewPassword, Username
from core.errors import InvalidInput, NotAuthenticated, PermissionDenied
from core.models import User
from core.organisations import OrgKind, SigningKeyText
from core.paging import MAX_OFFSET, Listing
from core.roles import Role
from core.runtime import Db, Rt, Runtime
from core.types import AnyRequest
from core.views import (
    AuditCheckpoint,
    AuditEntryOut,
    ConsistencyProof,
    Done,
    InclusionProof,
    NewToken,
    OrganisationOut,
    RegionOut,
    TokenOut,
    UserOut,
    b64,
    entry_out,
    org_out,
    user_out,
)

RoleList = Annotated[list[Role], msgspec.Meta(min_length=1, description="at least one role")]

# Audit log positions and sizes past the databases' 64-bit integers were a 500; no log grows that far.
MAX_TREE_SIZE = 2**62


class LoginBody(msgspec.Struct, kw_only=True):
    username: str
    password: str


class TokenBody(msgspec.Struct, kw_only=True):
    username: str
    password: str
    name: Annotated[str, msgspec.Meta(max_length=100, description="a label to recognise the token by")] = (
        "cli"
    )
    days: Annotated[int, msgspec.Meta(ge=1, le=366, description="lifetime in days")] = 90


class NewUserBody(msgspec.Struct, kw_only=True):
    username: Username
    password: NewPassword
    display_name: str
    roles: RoleList
    organisation_id: int | None = None


class SigningKeyBody(msgspec.Struct, kw_only=True):
    signing_key: SigningKeyText


DEVICE_COOKIE = "sunbid_device"  # a browser that logged in before: see core/accounts.py on throttling


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
async def login(request: AnyRequest, runtime: Rt, data: JSONBody[LoginBody]) -> Response[UserOut]:
    """Browser login (登录): sets an HTTP-only session cookie.

    Answers the user and sets ``sunbid_session`` (the session) and ``sunbid_device`` (marks this browser
    as one the user logged in from, so the login throttle holds back strangers before them). Repeated
    failures for a username are throttled (429 with Retry-After).
    """
    user = await login_user(runtime, request, data.username, data.password)
    secret = await start_session(runtime, user)
    return Response(user_out(user), cookies=login_cookies(runtime, request, user, secret))


@post("/api/auth/tokens", opt=PUBLIC, status_code=201, tags=["accounts"])
async def create_token(request: AnyRequest, runtime: Rt, data: JSONBody[TokenBody]) -> NewToken:
    """CLI login: a bearer API token (API令牌) for ``Authorization: Bearer <token>``.

    The token is shown only in this answer; it lasts ``days`` (1-366) unless revoked.
    """
    if not 1 <= data.days <= 366:
        raise InvalidInput("token lifetime must be 1-366 days", code="bad_lifetime")
    user = await login_user(runtime, request, data.username, data.password)
    async with runtime.transaction() as session:
        token = await accounts.issue_token(
            session, runtime.clock, user, kind="api", lifetime=timedelta(days=data.days), name=data.name
        )
    return NewToken(token=token, user=user_out(user))


@get("/api/auth/tokens", opt=ANY_USER, tags=["accounts"])
async def list_tokens(principal: Caller, db: Db) -> list[TokenOut]:
    """The caller's sessions and API tokens, newest first.

    ``current`` marks the one this request was made with; the secrets themselves are never shown again.
    """
    return [
        TokenOut(
            id=t.id,
            kind="api" if t.kind == "api" else "session",
            name=t.name,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
            current=t.id == principal.token_id,
        )
        for t in await accounts.list_tokens(db, principal.user_id)
    ]


@delete("/api/auth/tokens/{token_id:int}", opt=ANY_USER, status_code=204, tags=["accounts"])
async def revoke_token(runtime: Rt, principal: Caller, db: Db, token_id: FromPath[int]) -> None:
    """Revoke one of the caller's own sessions or API tokens; it stops working at once."""
    await accounts.revoke_token(db, runtime.clock, user_id=principal.user_id, token_id=token_id)


@post("/api/auth/logout", opt=ANY_USER, status_code=200, tags=["accounts"])
async def logout(runtime: Rt, principal: Caller, db: Db) -> Response[Done]:
    """Log out (退出): revoke the session or token this request was made with and clear the cookie."""
    await accounts.revoke_token(db, runtime.clock, user_id=principal.user_id, token_id=principal.token_id)
    return Response(Done(), cookies=[session_cookie(runtime, None)])


@get("/api/auth/me", opt=ANY_USER, tags=["accounts"])
async def current_user(principal: Caller, db: Db) -> UserOut:
    """Who the caller is: the user, its roles and its organisation."""
    user = await db.get(User, principal.user_id)
    assert user is not None
    return user_out(user)


@post("/api/users", opt=allow(Role.ADMIN), status_code=201, tags=["accounts"])
async def create_user(runtime: Rt, principal: Caller, db: Db, data: JSONBody[NewUserBody]) -> UserOut:
    """Create a user with a password and roles (admins; /api/admin/users can generate the password)."""
    user = await accounts.create_user(
        db,
        runtime.clock,
        runtime.audit,
        username=data.username,
        password=data.password,
        display_name=data.display_name,
        roles=frozenset(data.roles),
        organisation_id=data.organisation_id,
        actor=principal.actor,
    )
    return user_out(user)


@get("/api/users", opt=allow(Role.ADMIN, Role.SUPERVISOR), tags=["accounts"])
async def list_users(db: Db) -> list[UserOut]:
    """Every user, by id (admins and supervisors)."""
    return [user_out(u) for u in await db.scalars(select(User).order_by(User.id))]


@get("/api/organisations", opt=PUBLIC, tags=["organisations"])
async def list_organisations(
    db: Db,
    kind: FromQuery[OrgKind | None] = None,
    limit: int = Parameter(default=50, ge=1, le=500, description="rows per page (1..500)"),
    offset: int = Parameter(
        default=0,
        ge=0,
        le=MAX_OFFSET,
        description=f"rows to skip (0..{MAX_OFFSET})",
    ),
) -> Listing[OrganisationOut]:
    """Registered companies (bidders, agents, tenderers) by id, optionally of one ``kind``."""
    rows, total = await organisations.list_organisations(db, kind=kind, limit=limit, offset=offset)
    return Listing(items=[org_out(o) for o in rows], total=total, limit=limit, offset=offset)


@get("/api/organisations/{org_id:int}", opt=PUBLIC, tags=["organisations"])
async def get_organisation(db: Db, org_id: FromPath[int]) -> OrganisationOut:
    """One registered company."""
    return org_out(await organisations.get_organisation(db, org_id))


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
) -> OrganisationOut:
    """Register a company (登记单位) by its unified social credit code.

    Staff register any company; a company user registers its own, once, of its own kind, and their
    account then belongs to it. The credit code's check character is verified (GB 32100-2015).
    """
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
        accounts.principals_changed(db)
    return org_out(org)


@put(
    "/api/organisations/{org_id:int}/signing-key",
    opt=allow(Role.ADMIN, Role.SUPERVISOR, Role.BIDDER, Role.AGENT, Role.TENDERER, Role.GUARANTOR),
    tags=["organisations"],
)
async def set_signing_key(
    runtime: Rt,
    principal: Caller,
    db: Db,
    org_id: FromPath[int],
    data: JSONBody[SigningKeyBody],
) -> OrganisationOut:
    """Register the company's Ed25519 public key that signs its bid manifests (a guarantor's: its
    electronic guarantees).

    The key is ``ed25519:<base64 of the 32-byte public key>``; staff may set any company's, a company
    user only their own. It replaces the previous key for bids sealed from now on.
    """
    if not principal.roles & {Role.ADMIN, Role.SUPERVISOR} and principal.organisation_id != org_id:
        raise PermissionDenied("只能为本单位登记签名公钥 (only for your own company)")
    org = await organisations.set_signing_key(
        db, runtime.audit, org_id, data.signing_key, actor=principal.actor
    )
    return org_out(org)


@get("/api/regions", opt=PUBLIC, tags=["regions"])
async def list_regions(db: Db) -> list[RegionOut]:
    """The city, its districts and counties (行政区划), by GB/T 2260 code."""
    return [
        RegionOut(code=r.code, name=r.name, name_en=r.name_en, level=r.level, parent_code=r.parent_code)  # type: ignore[arg-type]
        for r in await regions.list_regions(db)
    ]


# The audit log is public by design: anyone can fetch entries and proofs and check them.


@get("/api/audit/checkpoint", opt=PUBLIC, tags=["audit"])
async def audit_checkpoint(runtime: Rt, db: Db) -> AuditCheckpoint:
    """The audit log's size and latest signed checkpoint (审计日志检查点), with the key that verifies it.

    The checkpoint is a signed note (origin, size, base64 Merkle root) signed with the Ed25519
    ``verifier_key``; compare it with a checkpoint you saw earlier through /api/audit/consistency.
    """
    size = await runtime.audit.size(db)
    latest = await runtime.audit.entry(db, size - 1) if size else None
    return AuditCheckpoint(
        size=size,
        checkpoint=latest.checkpoint if latest else None,
        verifier_key=runtime.audit.signer.verifier_key,
    )


@get("/api/audit/entries", opt=PUBLIC, tags=["audit"])
async def audit_entries(
    db: Db,
    after: int = Parameter(
        default=-1,
        ge=-1,
        le=MAX_TREE_SIZE,
        description="the last position the client holds (-1: from the start)",
    ),
    limit: int = Parameter(default=100, ge=1, le=1000, description="entries per page (1..1000)"),
) -> list[AuditEntryOut]:
    """Audit log entries after position ``after`` (-1: from the start), oldest first.

    Each has its canonical JSON text, its leaf hash and the tree root after it was appended.
    """
    return [entry_out(e) for e in await audit_log.entries_after(db, after, limit=limit)]


@get("/api/audit/entries/{position:int}/proof", opt=PUBLIC, tags=["audit"])
async def inclusion_proof(
    runtime: Rt,
    db: Db,
    position: FromPath[int],
    size: int | None = Parameter(
        default=None,
        ge=1,
        le=MAX_TREE_SIZE,
        description="the tree size (default: the current one)",
    ),
) -> InclusionProof:
    """Merkle inclusion proof (RFC 6962) that entry ``position`` is in the tree of ``size`` entries.

    ``size`` defaults to the current size; ``checkpoint`` is the signed tree head of that size.
    """
    audit = runtime.audit
    size = size or await audit.size(db)
    proof = await audit.inclusion_proof(db, position, size)
    tree_head = await audit.entry(db, size - 1)
    return InclusionProof(
        position=position, size=size, proof=[b64(p) for p in proof], checkpoint=tree_head.checkpoint
    )


@get("/api/audit/consistency", opt=PUBLIC, tags=["audit"])
async def consistency_proof(
    runtime: Rt,
    db: Db,
    old: int = Parameter(ge=1, le=MAX_TREE_SIZE, description="the older tree size"),
    new: int = Parameter(ge=1, le=MAX_TREE_SIZE, description="the newer tree size"),
) -> ConsistencyProof:
    """Merkle consistency proof (RFC 6962) that the tree of ``new`` entries extends that of ``old``.

    It shows the log only ever grew: nothing recorded before ``old`` was changed or removed.
    """
    proof = await runtime.audit.consistency_proof(db, old, new)
    return ConsistencyProof(old=old, new=new, proof=[b64(p) for p in proof])


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
