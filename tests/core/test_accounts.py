"""Accounts over the real HTTP API: login, cookies, tokens, revocation, rate limiting, organisations."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from core import accounts, admin
from core.clock import ManualClock
from core.credit_code import make_credit_code
from core.models import AccessToken
from core.roles import Role
from core.runtime import Runtime
from tests.support.factories import PASSWORD, bearer, make_user, seed_regions


async def test_login_sets_http_only_cookie_and_logout_revokes_it(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "alice", Role.BIDDER)
    response = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    set_cookie = response.headers["set-cookie"].lower()
    assert "sunbid_session=" in set_cookie and "httponly" in set_cookie and "samesite=lax" in set_cookie
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["roles"] == ["bidder"]
    cookie = client.cookies.get("sunbid_session")
    assert (await client.post("/api/auth/logout")).status_code == 200
    client.cookies.set("sunbid_session", cookie)  # replaying the old cookie must not work
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_wrong_password_is_401_with_json_error(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "bob", Role.AGENT)
    response = await client.post("/api/auth/login", json={"username": "bob", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "bad_credentials"
    unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": "nope-nope"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "bad_credentials"


async def test_login_is_rate_limited_then_recovers(runtime: Runtime, client, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "carol", Role.BIDDER)
    for _ in range(runtime.settings.login_max_failures):
        bad = await client.post("/api/auth/login", json={"username": "carol", "password": "wrong-password"})
        assert bad.status_code == 401
    blocked = await client.post("/api/auth/login", json={"username": "carol", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_attempts" and int(blocked.headers["retry-after"]) > 0
    clock.advance(seconds=runtime.settings.login_window_seconds + 1)
    assert (
        await client.post("/api/auth/login", json={"username": "carol", "password": PASSWORD})
    ).status_code == 200


async def test_api_tokens_work_and_can_be_revoked(runtime: Runtime, client, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "dave", Role.SUPERVISOR)
    headers = await bearer(client, "dave")
    tokens = (await client.get("/api/auth/tokens", headers=headers)).json()
    current = next(t for t in tokens if t["current"])
    assert current["kind"] == "api"
    other = await bearer(client, "dave")
    revoke = await client.delete(f"/api/auth/tokens/{current['id']}", headers=other)
    assert revoke.status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    assert (await client.get("/api/auth/me", headers=other)).status_code == 200
    clock.advance(timedelta(days=91))  # default lifetime is 90 days
    assert (await client.get("/api/auth/me", headers=other)).status_code == 401


async def test_admin_creates_users_with_validated_input(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "root", Role.ADMIN)
    headers = await bearer(client, "root")
    body = {"username": "erin", "password": "long-enough-pw", "display_name": "Erin", "roles": ["expert"]}
    created = await client.post("/api/users", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["roles"] == ["expert"]
    again = await client.post("/api/users", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "username_taken"
    bad_role = await client.post(
        "/api/users", json={**body, "username": "frank", "roles": ["king"]}, headers=headers
    )
    # roles and the password's length are in the request's schema: refused before the service runs
    assert bad_role.status_code == 400 and "roles" in bad_role.json()["detail"], bad_role.json()
    short = await client.post(
        "/api/users", json={**body, "username": "gina", "password": "short"}, headers=headers
    )
    assert short.status_code == 400 and "password" in short.json()["detail"], short.json()


async def test_bidder_registers_its_company_once_with_a_checked_credit_code(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await seed_regions(runtime)
    await make_user(runtime, "hank", Role.BIDDER)
    headers = await bearer(client, "hank")
    code = make_credit_code("9", "1", "220281", "12345678X")
    body = {
        "credit_code": code[:-1] + ("0" if code[-1] != "0" else "1"),
        "name": "蛟河市测试建设有限公司",
        "kind": "bidder",
        "legal_representative": "韩某",
        "region_code": "220281",
    }
    wrong = await client.post("/api/organisations", json=body, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"] == "bad_credit_code"
    assert "校验位" in wrong.json()["detail"]
    as_agent = await client.post(
        "/api/organisations", json={**body, "credit_code": code, "kind": "agent"}, headers=headers
    )
    assert as_agent.status_code == 403
    ok = await client.post("/api/organisations", json={**body, "credit_code": code}, headers=headers)
    assert ok.status_code == 201, ok.text
    assert (await client.get("/api/auth/me", headers=headers)).json()["organisation_id"] == ok.json()["id"]
    second = await client.post("/api/organisations", json={**body, "credit_code": code}, headers=headers)
    assert second.status_code == 403
    listed = (await client.get("/api/organisations", params={"kind": "bidder"})).json()
    assert listed["total"] == 1 and listed["items"][0]["credit_code"] == code


async def test_a_company_registers_its_own_signing_key_only(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    from crypto.signing import generate_private_key, public_key_to_text

    await seed_regions(runtime)
    await make_user(runtime, "ivy", Role.BIDDER)
    await make_user(runtime, "jack", Role.BIDDER)
    ivy, jack = await bearer(client, "ivy"), await bearer(client, "jack")
    body = {
        "name": "永吉县示范建设有限公司",
        "kind": "bidder",
        "legal_representative": "伊某",
        "region_code": "220221",
    }
    org = await client.post(
        "/api/organisations",
        json={**body, "credit_code": make_credit_code("9", "1", "220221", "87654321X")},
        headers=ivy,
    )
    assert org.status_code == 201, org.text
    key = public_key_to_text(generate_private_key().public_key())
    path = f"/api/organisations/{org.json()['id']}/signing-key"
    assert (await client.put(path, json={"signing_key": key}, headers=jack)).status_code == 403
    # the key's format is in the request's schema (ed25519: and 44 base64 characters)
    short = await client.put(path, json={"signing_key": "ed25519:short"}, headers=ivy)
    assert short.status_code == 400 and "signing_key" in short.json()["detail"], short.json()
    done = await client.put(path, json={"signing_key": key}, headers=ivy)
    assert done.status_code == 200 and done.json()["signing_key"] == key
    assert (await client.put(path, json={"signing_key": key})).status_code == 401


async def test_a_token_in_use_is_refused_at_once_when_revoked_or_its_user_changes(
    runtime: Runtime, client
) -> None:  # type: ignore[no-untyped-def]
    # A token presented over and over (a page and its sockets) is kept for a moment; a change made
    # in this process is seen by the very next request all the same.
    frank = await make_user(runtime, "frank", Role.SUPERVISOR)
    headers, other = await bearer(client, "frank"), await bearer(client, "frank")
    assert (await client.get("/api/auth/me", headers=headers)).json()["roles"] == ["supervisor"]
    async with runtime.transaction() as session:
        await admin.set_roles(session, runtime.audit, frank, frozenset({Role.AGENT}), actor="user:0")
    assert (await client.get("/api/auth/me", headers=headers)).json()["roles"] == ["agent"]
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 200
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    assert (await client.get("/api/auth/me", headers=other)).status_code == 200
    async with runtime.transaction() as session:
        await admin.set_active(session, runtime.clock, runtime.audit, frank, False, actor="user:0")
    assert (await client.get("/api/auth/me", headers=other)).status_code == 401


async def test_a_token_revoked_by_another_process_is_refused_within_seconds(  # type: ignore[no-untyped-def]
    runtime: Runtime, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_user(runtime, "grace", Role.BIDDER)
    headers = await bearer(client, "grace")
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    async with runtime.transaction() as session:  # another process revokes it: this one is not told
        await session.execute(update(AccessToken).values(revoked_at=runtime.clock.now()))
    later = accounts._moment() + accounts.PRINCIPAL_SECONDS
    monkeypatch.setattr(accounts, "_moment", lambda: later)
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_a_tokens_use_is_recorded_every_five_minutes_without_the_request_waiting_for_a_write(  # type: ignore[no-untyped-def]
    runtime: Runtime, client, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = iter(range(0, 10**6, int(accounts.PRINCIPAL_SECONDS) + 1))
    monkeypatch.setattr(accounts, "_moment", lambda: next(moments))  # no principal is kept between requests
    await make_user(runtime, "hana", Role.BIDDER)
    headers = await bearer(client, "hana")

    writes: list[str] = []  # the app records a use on its own event loop, after answering
    event.listen(
        runtime.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: (
            writes.append(statement) if "SET last_used_at" in statement else None
        ),
    )

    async def recorded(expected: object) -> None:
        for _ in range(200):
            async with runtime.sessions() as session:
                if await session.scalar(select(AccessToken.last_used_at)) == expected:
                    return
            await asyncio.sleep(0.05)
        raise AssertionError(f"last_used_at never became {expected}")

    # Another transaction holds the token's row (on SQLite: the whole database's write lock), as an
    # opening's batch of reveals does: the token's first use is answered at once all the same, and
    # recorded once that transaction is done.
    async with runtime.transaction() as session:
        await session.execute(update(AccessToken).values(name=AccessToken.name))
        me = await asyncio.wait_for(client.get("/api/auth/me", headers=headers), timeout=10)
        assert me.status_code == 200
    await recorded(clock.now())

    clock.advance(timedelta(minutes=4))  # coarse: a use within five minutes is not another write
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    clock.advance(timedelta(minutes=2))
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    await recorded(clock.now())
    assert len(writes) == 2  # the first use and the one six minutes later (in order: one committer)
