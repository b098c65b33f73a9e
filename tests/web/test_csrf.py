"""Cross-site request forgery (core/csrf.py): what a page of another site can make a logged-in browser do.

The ``client`` fixture sends the site's own Origin, as a browser on our pages does; these tests take it
away or replace it with another site's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from core.access import SESSION_COOKIE, route_handlers
from core.csrf import FIELD, PRESESSION_COOKIE, SAFE_METHODS
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings
from tests.conftest import SITE_ORIGIN
from tests.support.factories import PASSWORD, bearer, make_user
from tests.support.live import live_server
from tests.web.test_role_matrix import concrete

EVIL = "https://evil.example"
HTML = {"accept": "text/html"}
_TOKEN = re.compile(rf'name="{FIELD}" value="([^"]+)"')


async def log_in(runtime: Runtime, client: Any, username: str = "carol", *roles: Role) -> None:
    """A browser session: the session cookie is in the client's jar from here on."""
    await make_user(runtime, username, *(roles or (Role.BIDDER,)))
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text


async def form_token(client: Any, path: str = "/") -> str:
    page = await client.get(path, headers=HTML)
    found = _TOKEN.search(page.text)
    assert found, f"no {FIELD} field on {path}"
    return found.group(1)


async def logged_in(client: Any) -> bool:
    return (await client.get("/api/auth/me")).status_code == 200


async def test_cross_origin_form_post_with_a_session_cookie_is_refused(runtime: Runtime, client: Any) -> None:
    await log_in(runtime, client)
    token = await form_token(client)
    forged = await client.post(
        "/logout", data={FIELD: token}, headers={"origin": EVIL}, follow_redirects=False
    )
    assert forged.status_code == 403 and forged.json()["error"] == "cross_origin"
    assert await logged_in(client)
    own = await client.post("/logout", data={FIELD: token}, follow_redirects=False)
    assert own.status_code == 303
    assert not await logged_in(client)


async def test_form_post_without_or_with_a_wrong_token_is_refused(runtime: Runtime, client: Any) -> None:
    await log_in(runtime, client)
    token = await form_token(client)
    missing = await client.post("/logout", data={"x": "1"}, follow_redirects=False)
    assert missing.status_code == 403 and missing.json()["error"] == "csrf_token"
    wrong = await client.post("/logout", data={FIELD: token[:-1] + "x"}, follow_redirects=False)
    assert wrong.status_code == 403 and wrong.json()["error"] == "csrf_token"
    # A token is bound to its session: another user's valid token does not work in this one.
    other = await client.post("/logout", data={FIELD: token}, follow_redirects=False)
    assert other.status_code == 303
    await client.post("/api/auth/login", json={"username": "carol", "password": PASSWORD})
    stale = await client.post("/logout", data={FIELD: token}, follow_redirects=False)
    assert stale.status_code == 403 and stale.json()["error"] == "csrf_token"
    assert await logged_in(client)
    # The token may come in a header instead (what a script posting a form would do).
    header = await client.post(
        "/logout", data={"x": "1"}, headers={"x-csrf-token": await form_token(client)}, follow_redirects=False
    )
    assert header.status_code == 303 and not await logged_in(client)


async def test_a_refused_form_shows_a_page_to_a_browser(runtime: Runtime, client: Any) -> None:
    await log_in(runtime, client)
    refused = await client.post("/logout", data={"x": "1"}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 403 and "刷新页面" in refused.text


async def test_login_form_carries_a_pre_session_token(runtime: Runtime, client: Any) -> None:
    """Before login there is no session to bind to: the form comes with its own cookie."""
    await make_user(runtime, "dave", Role.BIDDER)
    page = await client.get("/login", headers=HTML)
    assert PRESESSION_COOKIE in page.cookies
    token = _TOKEN.search(page.text)
    assert token is not None
    form = {"username": "dave", "password": PASSWORD}
    assert (await client.post("/login", data=form, follow_redirects=False)).status_code == 403
    logged = await client.post("/login", data={**form, FIELD: token.group(1)}, follow_redirects=False)
    assert logged.status_code == 303 and client.cookies.get(SESSION_COOKIE)
    # Another site's page cannot log this browser in (to the attacker's account, say).
    client.cookies.delete(SESSION_COOKIE)
    forged = await client.post(
        "/login", data={**form, FIELD: token.group(1)}, headers={"origin": EVIL}, follow_redirects=False
    )
    assert forged.status_code == 403 and forged.json()["error"] == "cross_origin"


async def test_json_under_a_cookie_needs_our_origin_and_a_json_body(runtime: Runtime, client: Any) -> None:
    await log_in(runtime, client, "erin", Role.ADMIN)
    body = {"username": "newbie", "password": PASSWORD, "display_name": "N", "roles": ["expert"]}
    forged = await client.post("/api/users", json=body, headers={"origin": EVIL})
    assert forged.status_code == 403 and forged.json()["error"] == "cross_origin"
    # A form of another site can send JSON text as text/plain without asking the browser's permission.
    plain = await client.post(
        "/api/users", content=b'{"username": "newbie"}', headers={"content-type": "text/plain"}
    )
    assert plain.status_code == 403 and plain.json()["error"] == "csrf_token"
    xml = await client.post("/api/users", content=b"<user/>", headers={"content-type": "application/xml"})
    assert xml.status_code == 415 and xml.json()["error"] == "unsupported_media_type"
    # Without Origin the browser's Sec-Fetch-Site decides; without both a cookie request is refused.
    del client.headers["origin"]
    cross_site = await client.post("/api/users", json=body, headers={"sec-fetch-site": "cross-site"})
    assert cross_site.status_code == 403 and cross_site.json()["error"] == "cross_origin"
    silent = await client.post("/api/users", json=body)
    assert silent.status_code == 403 and silent.json()["error"] == "cross_origin"
    same = await client.post("/api/users", json=body, headers={"sec-fetch-site": "same-origin"})
    assert same.status_code == 201, same.text


async def test_bearer_clients_need_no_origin(runtime: Runtime, client: Any) -> None:
    await make_user(runtime, "frank", Role.ADMIN)
    del client.headers["origin"]
    headers = await bearer(client, "frank")  # the CLI's login: no cookie, no Origin
    body = {"username": "cli-made", "password": PASSWORD, "display_name": "C", "roles": ["expert"]}
    created = await client.post("/api/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    # Even a browser-looking Origin does not matter to a bearer token: no browser sends one by itself.
    again = await client.post(
        "/api/users", json={**body, "username": "cli-made-2"}, headers={**headers, "origin": EVIL}
    )
    assert again.status_code == 201, again.text


async def test_public_url_is_the_only_trusted_origin_when_set(
    runtime: Runtime, app: Litestar, client: Any
) -> None:
    await log_in(runtime, client)
    runtime.settings = runtime.settings.with_(public_url="https://bid.example.gov.cn/")
    own_host = await client.post("/api/auth/logout")  # Origin is the Host, but not the public URL
    assert own_host.status_code == 403 and own_host.json()["error"] == "cross_origin"
    public = await client.post("/api/auth/logout", headers={"origin": "https://bid.example.gov.cn"})
    assert public.status_code == 200


async def test_websocket_with_a_session_cookie_checks_origin(runtime: Runtime, client: Any) -> None:
    await log_in(runtime, client)
    cookie = {"cookie": f"{SESSION_COOKIE}={client.cookies.get(SESSION_COOKIE)}"}
    client.cookies.clear()  # sent by hand below
    with pytest.raises(WebSocketDisconnect) as refused:
        with await client.websocket_connect("/ws/audit", headers={**cookie, "origin": EVIL}):
            pass
    assert refused.value.code == 4403
    with await client.websocket_connect("/ws/audit", headers={**cookie, "origin": SITE_ORIGIN}):
        pass  # accepted
    with await client.websocket_connect("/ws/audit", headers={"origin": EVIL}):
        pass  # no cookie: a public socket is open to any page


def unsafe_routes(app: Litestar) -> list[tuple[str, str]]:
    return sorted(
        (method, concrete(path))
        for path, handler in route_handlers(app)
        for method in getattr(handler, "http_methods", set()) - SAFE_METHODS
    )


def websocket_routes(app: Litestar) -> list[str]:
    return sorted(
        concrete(path) for path, handler in route_handlers(app) if not hasattr(handler, "http_methods")
    )


FOREIGN = [
    {"origin": EVIL},
    {"origin": "null"},
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
    {},
]


async def test_every_unsafe_route_refuses_cross_origin_cookie_requests(
    runtime: Runtime, app: Litestar, client: Any
) -> None:
    """Walks the app itself, so a route added anywhere is covered without touching this test."""
    routes = unsafe_routes(app)
    assert {("POST", "/login"), ("POST", "/api/auth/login")} <= set(routes)
    await log_in(runtime, client, "matrix", *Role)
    del client.headers["origin"]
    failures = []
    for method, path in routes:
        for foreign in FOREIGN:
            response = await client.request(method, path, json={}, headers=foreign)
            if response.status_code != 403 or response.json().get("error") != "cross_origin":
                failures.append(f"{method} {path} {foreign} -> {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_every_websocket_route_refuses_cross_origin_cookie_handshakes(
    runtime: Runtime, app: Litestar, client: Any
) -> None:
    routes = websocket_routes(app)
    assert "/ws/audit" in routes and len(routes) >= 5
    await log_in(runtime, client, "matrix", *Role)
    cookie = f"{SESSION_COOKIE}={client.cookies.get(SESSION_COOKIE)}"
    client.cookies.clear()  # sent by hand below
    del client.headers["origin"]
    failures = []
    for path in routes:
        for foreign in FOREIGN:
            try:
                with await client.websocket_connect(path, headers={"cookie": cookie, **foreign}):
                    failures.append(f"{path} {foreign} accepted")
            except WebSocketDisconnect as refused:
                if refused.code != 4403:
                    failures.append(f"{path} {foreign} closed with {refused.code}")
    assert not failures, "\n".join(failures)


@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_real_server_answers_a_cross_origin_socket_handshake_with_403(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    await make_user(runtime, "gwen", Role.SUPERVISOR)
    with live_server(settings, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.url, headers={"origin": server.url}) as http:
            login = await http.post("/api/auth/login", json={"username": "gwen", "password": PASSWORD})
            assert login.status_code == 200
            cookie = f"{SESSION_COOKIE}={login.cookies[SESSION_COOKIE]}"
        url = server.url.replace("http://", "ws://") + "/ws/audit"
        with pytest.raises(InvalidStatus) as refusal:
            async with connect(url, additional_headers={"cookie": cookie}, origin=Origin(EVIL)):
                pass
        assert refusal.value.response.status_code == 403
        async with connect(url, additional_headers={"cookie": cookie}, origin=Origin(server.url)) as socket:
            assert socket.state.name == "OPEN"
