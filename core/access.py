"""Who may call what: every route declares its roles in ``opt`` and one global guard enforces them.

    @get("/api/x", opt=allow(Role.SUPERVISOR))   # only supervisors (401 logged out, 403 wrong role)
    @get("/api/y", opt=PUBLIC)                   # anyone, logged in or not

A route without a declaration fails the app's start-up check (``check_routes_declare_roles``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import partial
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.params import SkipValidation
from litestar.types import ASGIApp, Receive, Scope, Send

from core.accounts import Principal, PrincipalCache, record_token_use
from core.roles import Role
from core.settings import IpNetwork

ROLES_KEY = "roles"
PUBLIC_MARK = "public"
PUBLIC: dict[str, Any] = {ROLES_KEY: PUBLIC_MARK}
ANY_USER: dict[str, Any] = {ROLES_KEY: frozenset(Role)}
SESSION_COOKIE = "sunbid_session"


def allow(*roles: Role) -> dict[str, Any]:
    if not roles:
        raise ValueError("allow() needs at least one role; use PUBLIC for open routes")
    return {ROLES_KEY: frozenset(roles)}


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    return provide_viewer(connection.scope)


def require_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = current_principal(connection)
    if principal is None:
        raise NotAuthorizedException("请先登录 (login required)")
    return principal


# How handlers ask for the caller (provided by web/app.py as ``principal`` and ``viewer``): a
# ``principal: Caller`` is the logged-in caller (401 without one); a ``viewer: Viewer`` on a public
# route is the caller if someone is logged in, else None.
# Neither is validated: Litestar would otherwise convert (copy) the principal field by field.
Caller = NamedDependency[SkipValidation[Principal]]
Viewer = NamedDependency[SkipValidation[Principal | None]]


def provide_viewer(scope: Scope) -> Principal | None:
    user = scope.get("user")
    return user if isinstance(user, Principal) else None


def provide_principal(scope: Scope) -> Principal:
    principal = provide_viewer(scope)
    if principal is None:
        raise NotAuthorizedException("请先登录 (login required)")
    return principal


def may_open(connection: ASGIConnection[Any, Any, Any, Any], path: str) -> bool:
    """Whether the caller may open the page at ``path`` (a GET): the route's declared roles admit
    them. Pages link only where this holds, so no link a person sees answers 403 (or 401)."""
    try:
        _app, handler, *_rest = connection.app.asgi_router.handle_routing(path.split("?", 1)[0], "GET")
    except Exception:
        return False
    declared = handler.opt.get(ROLES_KEY)
    if declared == PUBLIC_MARK:
        return True
    principal = current_principal(connection)
    return principal is not None and declared is not None and bool(principal.roles & declared)


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    # A coroutine although it never waits: Litestar runs a plain function guard in a worker thread,
    # a thread hop on every request for a few set lookups.
    declared = handler.opt.get(ROLES_KEY)
    if declared is None:
        raise PermissionDeniedException("this route declares no roles")  # start-up check prevents this
    if declared == PUBLIC_MARK:
        return
    principal = require_principal(connection)
    if not principal.roles & declared:
        raise PermissionDeniedException("你的角色无权执行此操作 (your role may not do this)")


def route_handlers(app: Litestar) -> list[tuple[str, BaseRouteHandler]]:
    """Every (path, handler) of the app; HTTP routes hold several handlers, socket routes one."""
    found: list[tuple[str, BaseRouteHandler]] = []
    for route in app.routes:
        handlers = getattr(route, "route_handlers", None) or [route.route_handler]  # type: ignore[union-attr]
        found.extend((route.path, handler) for handler in handlers)
    return found


def check_routes_declare_roles(app: Litestar) -> None:
    """Refuse to start if any route of ours forgets to say who may call it."""
    missing = [
        f"{path} ({handler.handler_name})"
        for path, handler in route_handlers(app)
        if ROLES_KEY not in handler.opt
    ]
    if missing:
        raise RuntimeError("routes without declared roles: " + ", ".join(sorted(missing)))


@dataclass(frozen=True)
class Credential:
    """The secret a caller presented, and how: a session cookie is sent by the browser on its own."""

    secret: str
    by_cookie: bool


def header_values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key == name]


def cookie_value(scope: Scope, cookie: str) -> str | None:
    for header in header_values(scope, b"cookie"):
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == cookie and value:
                return value
    return None


def credential(scope: Scope) -> Credential | None:
    """A bearer token wins over the session cookie (the CLI sends no cookies; a browser no bearer)."""
    for auth in header_values(scope, b"authorization"):
        if auth.lower().startswith("bearer "):
            return Credential(auth[7:].strip(), by_cookie=False) if auth[7:].strip() else None
    session = cookie_value(scope, SESSION_COOKIE)
    return Credential(session, by_cookie=True) if session else None


def client_address(scope: Scope, trusted_proxies: tuple[IpNetwork, ...]) -> str:
    """The caller's address: the peer, or behind trusted proxies the right-most untrusted X-Forwarded-For hop.

    Each proxy appends the address it was called from, so hops right of the first untrusted one were
    written by our proxies; anything left of it the client could have made up.
    """
    client = scope.get("client")
    address = client[0] if client else "unknown"
    if not _within(address, trusted_proxies):
        return address
    hops = [hop.strip() for header in header_values(scope, b"x-forwarded-for") for hop in header.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        address = hop
        if not _within(hop, trusted_proxies):
            break
    return address


def _within(address: str, networks: tuple[IpNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class PrincipalMiddleware(ASGIMiddleware):
    """Resolve the bearer token or session cookie into ``scope["user"]`` (None when logged out)."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        presented = credential(scope)
        principal = None
        if presented:
            runtime = scope["app"].state.runtime
            principals = runtime.cache("core.principals", PrincipalCache)
            principal = principals.kept(runtime.clock, presented.secret)
            if principal is None:
                async with runtime.sessions() as session:
                    principal, use = await principals.resolve(session, runtime.clock, presented.secret)
                if use is not None:
                    # Not on the request's path: on SQLite a write here would wait out the busy timeout
                    # for whatever transaction holds the write lock (an opening's reveals, say).
                    runtime.shared_transaction_soon(
                        partial(record_token_use, use=use), "recording a token's use"
                    )
        scope["user"] = principal
        await next_app(scope, receive, send)
