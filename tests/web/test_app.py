"""The app as a whole: health, OpenAPI, JSON errors, and that every route states its roles."""

import html

import pytest
from litestar import Litestar

from core.access import ROLES_KEY, route_handlers
from core.clock import ManualClock
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings
from tests.support.factories import bearer, make_user


async def test_healthz_reports_every_part(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert {"database", "schema", "blobs", "pubsub"} <= body.keys()
    assert all(body[part]["ok"] for part in ("database", "schema", "blobs", "pubsub"))


@pytest.mark.empty_database
async def test_healthz_is_503_naming_pending_migrations_until_the_database_is_upgraded(
    settings: Settings, clock: ManualClock
) -> None:
    from litestar.testing import AsyncTestClient
    from sqlalchemy.pool import NullPool

    from core.migrate import upgrade
    from web.app import create_app

    # A fresh database nobody ran `sunbid db upgrade` on (marked empty_database: no migrated copy).
    runtime = Runtime.build(settings, clock, engine_options={"poolclass": NullPool})
    try:
        async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
            behind = await client.get("/healthz")
            assert behind.status_code == 503, behind.text
            body = behind.json()
            assert body["status"] == "degraded" and body["database"]["ok"] and not body["schema"]["ok"]
            assert "migrations pending" in body["schema"]["error"]
            assert "sunbid db upgrade" in body["schema"]["error"] and "bidding_" in body["schema"]["error"]
            await upgrade(runtime.engine, "bidding@bidding_0001")  # one branch part-way: still behind
            assert (await client.get("/healthz")).status_code == 503
            await upgrade(runtime.engine)
            current = await client.get("/healthz")
            assert current.status_code == 200 and current.json()["schema"]["ok"], current.text
    finally:
        await runtime.close()


async def test_openapi_schema_is_served(client) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/auth/login" in schema["paths"] and "/healthz" in schema["paths"]


async def test_unknown_route_is_json_404(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


async def test_malformed_body_is_a_400_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/auth/login", json={"username": "x"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request" and "password" in response.json()["detail"]


def test_every_route_declares_its_roles(app: Litestar) -> None:
    handlers = route_handlers(app)
    assert any(path == "/ws/audit" for path, _ in handlers)
    for path, handler in handlers:
        assert ROLES_KEY in handler.opt, f"{path} declares no roles"


def test_a_route_without_roles_stops_the_app(runtime: Runtime) -> None:
    from litestar import get

    from web import app as web_app

    @get("/api/undeclared")
    async def undeclared() -> str:
        return "x"

    original = web_app.portal.HANDLERS
    web_app.portal.HANDLERS = [*original, undeclared]
    try:
        with pytest.raises(RuntimeError, match="/api/undeclared"):
            web_app.create_app(runtime=runtime)
    finally:
        web_app.portal.HANDLERS = original


PROTECTED = [
    ("get", "/api/users", {Role.ADMIN, Role.SUPERVISOR}),
    ("post", "/api/users", {Role.ADMIN}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), PROTECTED)
async def test_protected_routes_401_logged_out_and_403_wrong_role(
    runtime: Runtime,
    client,
    method: str,
    path: str,
    allowed: set[Role],  # type: ignore[no-untyped-def]
) -> None:
    logged_out = await client.request(method, path, json={})
    assert logged_out.status_code == 401 and logged_out.json()["error"] == "not_authenticated"
    for role in Role:
        await make_user(runtime, f"u-{role.value}", role)
        headers = await bearer(client, f"u-{role.value}")
        response = await client.request(method, path, json={}, headers=headers)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"] == "forbidden"


async def test_pages_render_in_chinese_and_switch_to_english(client) -> None:  # type: ignore[no-untyped-def]
    home = await client.get("/", headers={"accept": "text/html"})
    assert home.status_code == 200 and "阳光招标" in home.text and 'lang="zh-CN"' in home.text
    english = await client.get("/?lang=en", headers={"accept": "text/html"})
    assert 'lang="en"' in english.text and "Audit log" in english.text
    assert (await client.get("/", headers={"accept": "text/html"})).text.count(
        'lang="en"'
    ) == 1  # cookie kept


async def test_html_page_needing_login_redirects_to_login(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/logout", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_audit_page_lists_entries_newest_first_with_the_checkpoint(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "first", Role.EXPERT)
    await make_user(runtime, "second", Role.EXPERT)
    page = await client.get("/audit", headers={"accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert html.index("user:2") < html.index("user:1")  # newest first
    assert runtime.audit.signer.verifier_key in html and "sunbid.local/audit" in html


async def test_audit_page_reads_in_words_with_the_raw_entry_one_click_away(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "zhangsan", Role.EXPERT)
    zh = (await client.get("/audit", headers={"accept": "text/html"})).text
    assert "创建账户" in zh and "account.created" not in zh.split("<details>")[0]
    raw = html.unescape(zh.split("<details>", 1)[1].split("</details>", 1)[0])
    assert '"kind": "account.created"' in raw and "\\u" not in raw  # readable JSON, not escapes
    en = (await client.get("/audit?lang=en", headers={"accept": "text/html"})).text
    assert "Account created" in en and "Raw entry" in en


def test_centre_today_is_the_beijing_date_not_the_utc_one() -> None:
    from datetime import UTC, date, datetime

    from core.clock import ManualClock, centre_today, format_date, format_local

    late = ManualClock(datetime(2026, 1, 5, 17, 30, tzinfo=UTC))  # 01:30 on the 6th in Beijing
    assert late.now().date() == date(2026, 1, 5) and centre_today(late) == date(2026, 1, 6)
    assert format_local("2026-01-05T17:30:00+00:00") == "2026-01-06 01:30:00"
    assert format_date(late.now()) == "2026-01-06" and format_local(None) == ""


def test_log_lines_carry_beijing_time() -> None:
    import logging
    import time

    from core.clock import use_centre_time_in_logs

    use_centre_time_in_logs()
    record = logging.LogRecord("sunbid", logging.INFO, __file__, 1, "hello", None, None)
    record.created = 1767574800.0  # 2026-01-05 01:00:00 UTC
    assert logging.Formatter("%(asctime)s").format(record).startswith("2026-01-05 09:00:00")
    assert time.gmtime(record.created).tm_hour == 1  # the stored moment itself is untouched
