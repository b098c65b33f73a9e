"""Every response carries the security headers: each route of the app (found from the app itself, so a
new route is covered without editing this file), asked anonymously as a browser and as an API client,
plus static files, the API docs, unknown paths and errors."""

from __future__ import annotations

from litestar import Litestar

from core.access import route_handlers
from core.security_headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.web.test_role_matrix import concrete

BROWSER = {"Accept": "text/html,application/xhtml+xml"}


def http_routes(app: Litestar) -> list[tuple[str, str]]:
    routes = set()
    for path, handler in route_handlers(app):
        for method in getattr(handler, "http_methods", None) or ():  # WebSocket routes have none
            routes.add((method, concrete(path)))
    return sorted(routes)


def test_the_policy_allows_no_inline_code_and_no_other_origin() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY


async def test_every_route_answers_with_the_security_headers(app: Litestar, client) -> None:  # type: ignore[no-untyped-def]
    routes = http_routes(app)
    assert ("GET", "/credit/subjects/x/x") in routes and ("GET", "/schema") in routes
    extra = [("GET", "/static/sunbid.css"), ("GET", "/no/such/page"), ("GET", "/api/no-such-thing")]
    missing = []
    statuses = set()
    for method, path in [*routes, *extra]:
        for headers in (BROWSER, {}):
            response = await client.request(method, path, headers=headers, follow_redirects=False)
            statuses.add(response.status_code)
            wrong = {k for k, v in SECURITY_HEADERS.items() if response.headers.get(k) != v}
            if wrong:
                missing.append(f"{method} {path} ({response.status_code}): {sorted(wrong)}")
    assert not missing, "\n".join(missing)
    assert {200, 303, 401, 404} <= statuses  # pages, login redirects, refusals and not-found were all seen
