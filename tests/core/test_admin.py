"""Administration over the real HTTP API: users, roles, disabling, passwords, sessions, organisations' staff.

Each action must take effect at once (a disabled user's open session stops working on the next
request) and leave an audit entry that names the account by number and carries no secret.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from core.credit_code import make_credit_code
from core.models import AuditEntry
from core.roles import Role
from core.runtime import Runtime
from tests.support.factories import PASSWORD, bearer, make_user, seed_regions

Client = Any


async def audit_kinds(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.transaction() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.position))
        return [json.loads(r.entry) for r in rows]


async def admin_headers(runtime: Runtime, client: Client) -> dict[str, str]:
    await make_user(runtime, "root", Role.ADMIN)
    return await bearer(client, "root")


async def test_create_user_with_generated_password_then_log_in(runtime: Runtime, client: Client) -> None:
    headers = await admin_headers(runtime, client)
    made = await client.post(
        "/api/admin/users",
        json={"username": "Zhang.Wei", "display_name": "张伟", "roles": ["agent"]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["username"] == "zhang.wei" and body["roles"] == ["agent"] and body["active"] is True
    password = body["password"]
    assert len(password) >= 12
    login = await client.post("/api/auth/login", json={"username": "zhang.wei", "password": password})
    assert login.status_code == 200
    detail = await client.get(f"/api/admin/users/{body['id']}", headers=headers)
    assert detail.json()["live_tokens"] == 1 and "password" not in detail.json()
    entries = await audit_kinds(runtime)
    created = [e for e in entries if e["kind"] == "account.created" and e["subject"] == f"user:{body['id']}"]
    assert created and password not in json.dumps(entries) and "zhang.wei" not in json.dumps(created)


async def test_create_user_refusals_are_clear(runtime: Runtime, client: Client) -> None:
    headers = await admin_headers(runtime, client)
    await make_user(runtime, "taken", Role.BIDDER)
    dup = await client.post(
        "/api/admin/users",
        json={"username": "Taken", "display_name": "x", "roles": ["bidder"]},
        headers=headers,
    )
    assert dup.status_code == 409 and dup.json()["error"] == "username_taken"
    assert "taken" in dup.json()["detail"]
    bad_role = await client.post(
        "/api/admin/users",
        json={"username": "newbie", "display_name": "x", "roles": ["king"]},
        headers=headers,
    )
    assert bad_role.status_code == 400 and "roles" in bad_role.json()["detail"]  # roles are an enum
    short = await client.post(
        "/api/admin/users",
        json={"username": "newbie", "display_name": "x", "roles": ["bidder"], "password": "short"},
        headers=headers,
    )
    assert short.status_code == 422 and "8" in short.json()["detail"]
    no_org = await client.post(
        "/api/admin/users",
        json={"username": "newbie", "display_name": "x", "roles": ["bidder"], "organisation_id": 999},
        headers=headers,
    )
    assert no_org.status_code == 404
    unknown = await client.get("/api/admin/users/999", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_user"


async def test_list_users_searches_and_pages(runtime: Runtime, client: Client) -> None:
    headers = await admin_headers(runtime, client)
    for n in range(5):
        await make_user(runtime, f"bidder{n}", Role.BIDDER)
    await make_user(runtime, "agent.one", Role.AGENT)
    page = await client.get("/api/admin/users?q=bidder&limit=2&offset=2", headers=headers)
    assert page.status_code == 200
    assert page.json()["total"] == 5 and [u["username"] for u in page.json()["items"]] == [
        "bidder2",
        "bidder3",
    ]
    agents = await client.get("/api/admin/users?role=agent", headers=headers)
    assert [u["username"] for u in agents.json()["items"]] == ["agent.one"]
    bad = await client.get("/api/admin/users?limit=1000", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"] == "bad_paging"


async def test_disable_stops_login_session_and_token_at_once_and_enable_restores(
    runtime: Runtime, client: Client
) -> None:
    headers = await admin_headers(runtime, client)
    user_id = await make_user(runtime, "leaver", Role.BIDDER)
    token = await bearer(client, "leaver")
    assert (
        await client.post("/api/auth/login", json={"username": "leaver", "password": PASSWORD})
    ).status_code == 200
    assert (await client.get("/api/auth/me")).status_code == 200  # the session cookie works
    disabled = await client.post(f"/api/admin/users/{user_id}/disable", headers=headers)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert (await client.get("/api/auth/me")).status_code == 401  # the open session
    assert (await client.get("/api/auth/me", headers=token)).status_code == 401  # the API token
    login = await client.post("/api/auth/login", json={"username": "leaver", "password": PASSWORD})
    assert login.status_code == 401
    enabled = await client.post(f"/api/admin/users/{user_id}/enable", headers=headers)
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    assert (
        await client.post("/api/auth/login", json={"username": "leaver", "password": PASSWORD})
    ).status_code == 200
    assert (await client.get("/api/auth/me", headers=token)).status_code == 401  # revoked stays revoked
    kinds = [e["kind"] for e in await audit_kinds(runtime) if e["subject"] == f"user:{user_id}"]
    assert "account.disabled" in kinds and "account.enabled" in kinds
    own = await client.post("/api/admin/users/1/disable", headers=headers)
    assert own.status_code == 409 and own.json()["error"] == "own_account"


async def test_reset_password_and_revoke_sessions(runtime: Runtime, client: Client) -> None:
    headers = await admin_headers(runtime, client)
    user_id = await make_user(runtime, "forgetful", Role.AGENT)
    old_token = await bearer(client, "forgetful")
    reset = await client.post(f"/api/admin/users/{user_id}/password", json={"password": ""}, headers=headers)
    assert reset.status_code == 200
    temporary = reset.json()["password"]
    assert (await client.get("/api/auth/me", headers=old_token)).status_code == 401
    assert (
        await client.post("/api/auth/login", json={"username": "forgetful", "password": PASSWORD})
    ).status_code == 401
    assert (
        await client.post("/api/auth/login", json={"username": "forgetful", "password": temporary})
    ).status_code == 200
    chosen = await client.post(
        f"/api/admin/users/{user_id}/password", json={"password": "temporary-123"}, headers=headers
    )
    assert chosen.json()["password"] == "temporary-123"
    fresh = await bearer(client, "forgetful", "temporary-123")
    other = await bearer(client, "forgetful", "temporary-123")
    revoked = await client.post(f"/api/admin/users/{user_id}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 2
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 401
    assert (await client.get("/api/auth/me", headers=other)).status_code == 401
    unknown = await client.post("/api/admin/users/999/revoke", headers=headers)
    assert unknown.status_code == 404
    entries = [e for e in await audit_kinds(runtime) if e["subject"] == f"user:{user_id}"]
    assert [e["kind"] for e in entries].count("account.password_reset") == 2
    assert "account.sessions_revoked" in [e["kind"] for e in entries]
    assert "temporary-123" not in json.dumps(entries) and temporary not in json.dumps(entries)


async def test_set_roles_and_unlock_a_throttled_user(runtime: Runtime, client: Client) -> None:
    headers = await admin_headers(runtime, client)
    user_id = await make_user(runtime, "promoted", Role.BIDDER)
    changed = await client.put(
        f"/api/admin/users/{user_id}/roles", json={"roles": ["agent", "custodian"]}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["roles"] == ["agent", "custodian"]
    empty = await client.put(f"/api/admin/users/{user_id}/roles", json={"roles": []}, headers=headers)
    assert empty.status_code == 400 and "roles" in empty.json()["detail"]  # the schema asks for one at least
    own = await client.put("/api/admin/users/1/roles", json={"roles": ["supervisor"]}, headers=headers)
    assert own.status_code == 409
    for _ in range(runtime.settings.login_max_failures):
        await client.post("/api/auth/login", json={"username": "promoted", "password": "wrong-password"})
    held = await client.post("/api/auth/login", json={"username": "promoted", "password": PASSWORD})
    assert held.status_code == 429
    lockouts = (await client.get("/api/admin/lockouts", headers=headers)).json()
    assert [x["username"] for x in lockouts] == ["promoted"] and lockouts[0]["user_id"] == user_id
    unlocked = await client.post(f"/api/admin/users/{user_id}/unlock", headers=headers)
    assert unlocked.status_code == 200 and unlocked.json()["cleared"] == runtime.settings.login_max_failures
    assert (
        await client.post("/api/auth/login", json={"username": "promoted", "password": PASSWORD})
    ).status_code == 200
    assert (await client.get("/api/admin/lockouts", headers=headers)).json() == []
    kinds = [e["kind"] for e in await audit_kinds(runtime) if e["subject"] == f"user:{user_id}"]
    assert "account.roles_changed" in kinds and "account.login_unlocked" in kinds


async def test_organisations_and_their_staff(runtime: Runtime, client: Client) -> None:
    await seed_regions(runtime)
    headers = await admin_headers(runtime, client)
    code = make_credit_code("9", "1", "220202", "55500001X")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    bad = await client.post(
        "/api/admin/organisations",
        json={"credit_code": wrong, "name": "坏代码公司", "kind": "agent",
              "legal_representative": "王五", "region_code": "220202"},
        headers=headers,
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"] == "bad_credit_code"
    assert "校验" in bad.json()["detail"] or "check" in bad.json()["detail"]
    made = await client.post(
        "/api/admin/organisations",
        json={"credit_code": code, "name": "吉林测试代理有限公司", "kind": "agent",
              "legal_representative": "王五", "region_code": "220202"},
        headers=headers,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    org_id = made.json()["id"]
    again = await client.post(
        "/api/admin/organisations",
        json={"credit_code": code, "name": "重复", "kind": "agent", "legal_representative": "王五",
              "region_code": "220202"},
        headers=headers,
    )  # fmt: skip
    assert again.status_code == 409
    found = await client.get("/api/admin/organisations?q=测试代理", headers=headers)
    assert [o["id"] for o in found.json()["items"]] == [org_id]
    user_id = await make_user(runtime, "staffer", Role.AGENT)
    added = await client.post(
        f"/api/admin/organisations/{org_id}/staff", json={"username": "staffer"}, headers=headers
    )
    assert added.status_code == 200 and added.json()["organisation_id"] == org_id
    detail = await client.get(f"/api/admin/organisations/{org_id}", headers=headers)
    assert [u["username"] for u in detail.json()["staff"]] == ["staffer"]
    nobody = await client.post(
        f"/api/admin/organisations/{org_id}/staff", json={"username": "ghost"}, headers=headers
    )
    assert nobody.status_code == 404 and nobody.json()["error"] == "unknown_user"
    removed = await client.delete(f"/api/admin/organisations/{org_id}/staff/{user_id}", headers=headers)
    assert removed.status_code == 204
    assert (await client.get(f"/api/admin/organisations/{org_id}", headers=headers)).json()["staff"] == []
    kinds = [e["kind"] for e in await audit_kinds(runtime) if e["subject"] == f"org:{code}"]
    assert kinds == ["organisation.registered", "organisation.staff_added", "organisation.staff_removed"]
