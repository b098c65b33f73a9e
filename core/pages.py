"""Login and logout pages (form posts; the JSON API lives in core/api.py)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from core import accounts, admin_pages
from core.access import ANY_USER, PUBLIC, Viewer
from core.api import login_cookies, login_user, session_cookie, start_session
from core.errors import NotAuthenticated, TooManyAttempts
from core.i18n import language_of, register_messages, translator
from core.rendering import page
from core.roles import Role
from core.runtime import Rt
from core.types import AnyRequest, Form

ADMIN_HOME = "/admin"

register_messages({"login.expert_register": ("评标专家注册申请", "Apply to join the expert pool")})


def safe_next(target: str | None) -> str:
    # Only local paths, so the login form cannot be used to bounce users to another site.
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@get("/login", opt=PUBLIC, include_in_schema=False)
async def login_page(request: AnyRequest, next: FromQuery[str | None] = None) -> Template:
    return page(request, "core/login.html", next=safe_next(next), error=None, username="")


@post("/login", opt=PUBLIC, include_in_schema=False, status_code=303)
async def login_submit(
    request: AnyRequest,
    runtime: Rt,
    data: Form,
) -> Response[Any] | Template:
    username = data.get("username", "")
    target = safe_next(data.get("next"))
    try:
        user = await login_user(runtime, request, username, data.get("password", ""))
    except (NotAuthenticated, TooManyAttempts) as exc:
        t = translator(language_of(request))
        message = t("login.failed") if isinstance(exc, NotAuthenticated) else exc.detail
        return page(
            request,
            "core/login.html",
            status_code=exc.status_code,
            next=target,
            error=message,
            username=username,
        )
    secret = await start_session(runtime, user)
    if target == "/" and Role.ADMIN.value in user.role_names:
        target = ADMIN_HOME  # an admin lands on what needs doing
    return Redirect(target, status_code=303, cookies=login_cookies(runtime, request, user, secret))


@post("/logout", opt=ANY_USER, include_in_schema=False, status_code=303)
async def logout_submit(runtime: Rt, viewer: Viewer) -> Response[Any]:
    if viewer is not None:
        async with runtime.transaction() as session:
            await accounts.revoke_token(
                session, runtime.clock, user_id=viewer.user_id, token_id=viewer.token_id
            )
    return Redirect("/", status_code=303, cookies=[session_cookie(runtime, None)])


PAGES = [login_page, login_submit, logout_submit, *admin_pages.PAGES]
