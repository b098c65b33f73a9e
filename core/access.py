"""Who may call what: every route declares its roles in ``opt`` and one global guard enforces them.

    @get("/api/x", opt=allow(Role.SUPERVISOR))   # only supervisors (401 logged out, 403 wrong role)
    @get("/api/y", opt=PUBLIC)                   # anyone, logged in or not

A route without a declaration fails the app's start-up check (``check_routes_declare_roles``).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.accounts import Principal, resolve_token
from core.roles import Role

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
    user = connection.scope.get("user")
    return user if isinstance(user, Principal) else None


def require_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = current_principal(connection)
    if principal is None:
        raise NotAuthorizedException("请先登录 (login required)")
    return principal


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
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


def bearer_or_cookie(scope: Scope) -> str | None:
    headers = dict(scope.get("headers", []))
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    cookie_header = headers.get(b"cookie", b"").decode("latin-1")
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


class PrincipalMiddleware(ASGIMiddleware):
    """Resolve the bearer token or session cookie into ``scope["user"]`` (None when logged out)."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        secret = bearer_or_cookie(scope)
        principal = None
        if secret:
            runtime = scope["app"].state.runtime
            async with runtime.transaction() as session:
                principal = await resolve_token(session, runtime.clock, secret)
        scope["user"] = principal
        await next_app(scope, receive, send)
