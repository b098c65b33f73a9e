"""The role matrix of every HTTP route of every context, derived from the app itself.

Each route declares its roles (core/access.py). Here every non-public route is called logged out
(401) and with a token of every role it does not allow (403), so a route added anywhere is covered.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from litestar import Litestar, concurrency

from core.access import PUBLIC_MARK, ROLES_KEY, route_handlers
from core.roles import Role
from core.runtime import Runtime
from tests.support.factories import bearer, make_user

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def concrete(path: str) -> str:
    """Fill path parameters with plausible values; the guard runs before anything looks them up."""
    return _PARAM.sub(lambda m: "1" if m.group(2) == "int" else "x", path)


def protected_routes(app: Litestar) -> list[tuple[str, str, frozenset[Role]]]:
    routes = []
    for path, handler in route_handlers(app):
        declared = handler.opt.get(ROLES_KEY)
        methods = getattr(handler, "http_methods", None)
        if declared == PUBLIC_MARK or not methods:  # public, or a WebSocket route (tested on its own)
            continue
        routes.extend((method, concrete(path), declared) for method in sorted(methods))
    return routes


async def test_every_protected_route_401_logged_out_and_403_for_other_roles(
    runtime: Runtime,
    app: Litestar,
    client,  # type: ignore[no-untyped-def]
) -> None:
    routes = protected_routes(app)
    assert routes, "the app has protected routes"
    tokens = {}
    for role in Role:
        await make_user(runtime, f"matrix-{role.value.replace('_', '-')}", role)
        tokens[role] = await bearer(client, f"matrix-{role.value.replace('_', '-')}")
    failures = []
    for method, path, allowed in routes:
        logged_out = await client.request(method, path, json={})
        if logged_out.status_code != 401:
            failures.append(f"{method} {path} logged out -> {logged_out.status_code}")
        for role in set(Role) - set(allowed):
            response = await client.request(method, path, json={}, headers=tokens[role])
            if response.status_code != 403 or response.json().get("error") != "forbidden":
                failures.append(f"{method} {path} as {role.value} -> {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_the_role_check_takes_no_worker_thread(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Litestar runs a guard that is a plain function in a worker thread: a thread hop on every request
    # (and every socket joining a room) for a few set lookups. The role guard runs on the event loop.
    await make_user(runtime, "guard-thread", Role.SUPERVISOR)
    headers = await bearer(client, "guard-thread")
    in_threads: list[object] = []

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            in_threads.append(fn)
            return super().submit(fn, *args, **kwargs)

    with Counting(max_workers=1) as executor:
        # Litestar's own setter refuses a running loop; its executor for worker threads is this field.
        monkeypatch.setattr(concurrency._State, "EXECUTOR", executor)
        allowed = await client.get("/api/auth/me", headers=headers)
        refused = await client.get("/api/auth/me")
    assert (allowed.status_code, refused.status_code) == (200, 401)
    assert in_threads == []
