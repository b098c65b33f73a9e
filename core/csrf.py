"""Cross-site request forgery: one middleware decides for every route, before any handler runs.

A browser sends the session cookie with requests that other sites make it send, so a request that
authenticates by cookie must show it comes from our own pages. Bearer-token clients (the CLI) are not
browsers and are never checked.

Unsafe methods (anything but GET, HEAD, OPTIONS):

- **Origin.** ``Origin`` must be the trusted origin: ``SUNBID_PUBLIC_URL``, or when that is not set the
  origin the request was addressed to (scheme and ``Host``; a page of another site cannot choose our
  ``Host``). Without ``Origin``, ``Sec-Fetch-Site`` must be ``same-origin``. Without both (no browser
  of the last years omits both on a POST): refused when the session cookie is sent, let through when
  not (the CLI and scripts; they carry no ambient authority). A foreign ``Origin`` is refused even
  without a cookie, which also stops a foreign page logging a browser in to someone else's account.
- **Form bodies** (url-encoded, multipart, text/plain: what an HTML form of any site can send without
  asking) need a token: the hidden field ``_csrf`` that ``{{ csrf_field() }}`` puts in our forms, or the
  ``X-CSRF-Token`` header. The token is an HMAC of the session cookie, or before login of a random
  ``sunbid_csrf`` cookie set with the form, so it is worthless to anyone without that cookie.
- **Other bodies** under a session cookie must be JSON or one of the upload types the API reads
  (sealed bids and documents as octet-stream, JSON-lines and CSV imports); anything else is 415.
  A body without a ``Content-Type`` is 415 too; an empty one passes.

WebSocket handshakes that send the session cookie are held to the same Origin rule and closed before
they are accepted (the server answers 403), so another site's page cannot open a room as our user.
"""

from __future__ import annotations

import hmac
import secrets
from hashlib import sha256
from typing import Any

from jinja2 import pass_context
from litestar import Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from markupsafe import Markup

from core.access import cookie_value, credential, header_values
from core.errors import DomainError, PermissionDenied
from core.settings import Settings, origin_of
from core.types import AnyRequest

FIELD = "_csrf"
HEADER = b"x-csrf-token"
PRESESSION_COOKIE = "sunbid_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
API_TYPES = frozenset({"application/json", "application/octet-stream", "application/x-ndjson", "text/csv"})
_NEW_COOKIE = "sunbid.csrf_cookie"  # scope key: a pre-session cookie minted while rendering a form
_WEBSOCKET_FORBIDDEN = 4403  # 4000 + HTTP status, as Litestar closes sockets; before accept it is a 403


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


class CsrfMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        presented = credential(scope)
        if presented is None or presented.by_cookie:  # bearer clients are not browsers
            by_cookie = presented is not None
            if scope["type"] == ScopeType.WEBSOCKET:
                if by_cookie and not same_origin(scope, settings_of(scope), absent=False):
                    raise WebSocketException(detail=_refusal("cross_origin"), code=_WEBSOCKET_FORBIDDEN)
            elif scope["method"] not in SAFE_METHODS:
                await check_unsafe(Request(scope, receive), by_cookie=by_cookie)
        # A socket's frames carry no cookie: only an HTTP response start can set one, so the frames of
        # a room's many sockets skip the wrapper.
        websocket = scope["type"] == ScopeType.WEBSOCKET
        await next_app(scope, receive, send if websocket else _with_new_cookie(scope, send))


async def check_unsafe(request: AnyRequest, *, by_cookie: bool) -> None:
    scope = request.scope
    if not same_origin(scope, settings_of(scope), absent=not by_cookie):
        raise PermissionDenied(_refusal("cross_origin"), code="cross_origin")
    content_type = request.content_type[0]
    if content_type in FORM_TYPES:
        sent = next(iter(header_values(scope, HEADER)), None)
        if sent is None and content_type != "text/plain":
            sent = (await request.form()).get(FIELD)  # cached: the handler reads the same form
        if not isinstance(sent, str) or not hmac.compare_digest(sent, expected_token(scope) or ""):
            raise PermissionDenied(_refusal("csrf_token"), code="csrf_token")
    elif by_cookie and content_type not in API_TYPES and _has_body(scope):
        raise UnsupportedMediaType(
            f"不支持的请求类型 {content_type or '(none)'}，请发送 application/json "
            f"(unsupported Content-Type; send application/json)"
        )


def same_origin(scope: Scope, settings: Settings, *, absent: bool) -> bool:
    """Whether the browser says the request comes from our own pages; ``absent`` when it says nothing."""
    origin = next(iter(header_values(scope, b"origin")), None)
    if origin is not None:
        try:
            return origin_of(origin) == trusted_origin(scope, settings)
        except ValueError:  # "null" (sandboxed frames, privacy redirects) or garbage
            return False
    fetch_site = next(iter(header_values(scope, b"sec-fetch-site")), None)
    if fetch_site is not None:
        return fetch_site == "same-origin"
    return absent


def trusted_origin(scope: Scope, settings: Settings) -> str | None:
    if settings.public_url:
        return settings.public_url
    host = next(iter(header_values(scope, b"host")), None)
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    try:
        return origin_of(f"{scheme}://{host}") if host else None
    except ValueError:
        return None


def expected_token(scope: Scope) -> str | None:
    """The token of this browser's forms: bound to its session, or before login to its pre-session cookie."""
    presented = credential(scope)
    binding = presented.secret if presented and presented.by_cookie else None
    binding = binding or _minted(scope) or cookie_value(scope, PRESESSION_COOKIE)
    if binding is None:
        return None
    key = settings_of(scope).signing_key("csrf")
    return hmac.new(key, binding.encode(), sha256).hexdigest()


@pass_context
def csrf_field(context: Any) -> Markup:
    """``{{ csrf_field() }}`` inside every ``<form method="post">``."""
    scope = context["request"].scope
    if expected_token(scope) is None:
        scope[_NEW_COOKIE] = secrets.token_urlsafe(32)  # the middleware sets it with this response
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, expected_token(scope))


def settings_of(scope: Scope) -> Settings:
    settings: Settings = scope["app"].state.runtime.settings
    return settings


def _minted(scope: Scope) -> str | None:
    value = scope.get(_NEW_COOKIE)
    return value if isinstance(value, str) else None


def _has_body(scope: Scope) -> bool:
    length = next(iter(header_values(scope, b"content-length")), None)
    return bool(header_values(scope, b"transfer-encoding")) or (length is not None and length.strip() != "0")


def _refusal(code: str) -> str:
    if code == "csrf_token":
        return "表单已过期，请刷新页面后重试 (the form expired or is not from this site; reload and retry)"
    return "拒绝来自其他网站的请求 (request refused: it did not come from this site)"


def _with_new_cookie(scope: Scope, send: Send) -> Send:
    async def send_with_cookie(message: Message) -> None:
        value = _minted(scope)
        if value and message["type"] == "http.response.start":
            cookie = Cookie(
                key=PRESESSION_COOKIE,
                value=value,
                httponly=True,
                secure=settings_of(scope).cookie_secure,
                samesite="lax",
                path="/",
            )
            MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
        await send(message)

    return send_with_cookie
