"""The HTTP API: role matrix for every route, a draw over HTTP, sealed names for every other role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.clock import ManualClock
from core.roles import Role
from core.runtime import Runtime
from experts import registry
from tests.experts.conftest import add_experts
from tests.experts.helpers import AGENT, BIDDER, TENDERER
from tests.support.factories import bearer, make_user, seed_regions

SUP, ADMIN, EXPERT, TEN = Role.SUPERVISOR, Role.ADMIN, Role.EXPERT, Role.TENDERER
ROUTES: list[tuple[str, str, set[Role]]] = [
    ("get", "/api/experts", {SUP, ADMIN}),
    ("post", "/api/experts", {SUP, ADMIN}),
    ("post", "/api/experts/import", {SUP, ADMIN}),
    ("get", "/api/experts/E220200-00001", {SUP, ADMIN}),
    ("post", "/api/experts/E220200-00001/status", {SUP}),
    ("get", "/api/experts/me", {EXPERT}),
    ("put", "/api/experts/me", {EXPERT}),
    ("post", "/api/experts/me/leave", {EXPERT}),
    ("delete", "/api/experts/me/leave/1", {EXPERT}),
    ("get", "/api/experts/me/invitations", {EXPERT}),
    ("post", "/api/experts/me/invitations/1/respond", {EXPERT}),
    ("post", "/api/experts/draws", {SUP}),
    ("get", "/api/experts/draws", {SUP}),
    ("get", "/api/experts/draws/1/counts", {SUP}),
    ("post", "/api/experts/draws/1/commit", {SUP}),
    ("post", "/api/experts/draws/1/contributions", {SUP, TEN}),
    ("post", "/api/experts/draws/1/run", {SUP}),
    ("get", "/experts/me", {EXPERT}),
    ("get", "/experts/draws", {SUP}),
    ("get", "/experts/draws/1", {SUP}),
]


# Authorisation does not depend on the engine, so the matrix runs once, on SQLite.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_route_401_logged_out_and_403_for_wrong_roles(runtime: Runtime, client: Any) -> None:
    headers = {}
    for role in Role:
        await make_user(runtime, f"u-{role.value}", role)
        headers[role] = await bearer(client, f"u-{role.value}")
    for method, path, allowed in ROUTES:
        logged_out = await client.request(method, path, json={})
        assert logged_out.status_code == 401, (method, path)
        for role in Role:
            response = await client.request(method, path, json={}, headers=headers[role])
            if role in allowed:
                assert response.status_code != 403, (method, path, role)
            else:
                assert response.status_code == 403, (method, path, role, response.text)


def draw_body(clock: ManualClock, **kw: Any) -> dict[str, Any]:
    body = {
        "tender_ref": "JLGC-2026-0100", "tenderer_code": TENDERER, "tenderer_county": "220202",
        "agent_code": AGENT, "bidder_codes": [BIDDER],
        "evaluation_date": (clock.now().date() + timedelta(days=2)).isoformat(),
        "slots": [{"specialty": "A0101", "experts": 2, "alternates": 1}],
    }  # fmt: skip
    body.update(kw)
    return body


async def test_a_draw_over_http_with_sealed_names_for_everyone_else(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    await seed_regions(runtime)
    codes = await add_experts(runtime, 6)
    for role in (SUP, TEN, Role.BIDDER, Role.AGENT):
        await make_user(runtime, role.value, role)
    expert_user = await make_user(runtime, "ex1", EXPERT)
    async with runtime.transaction() as session:
        await registry.link_user(session, runtime, codes[0], expert_user, actor="test")
    sup = await bearer(client, "supervisor")

    bad = await client.post("/api/experts/draws", json=draw_body(clock, min_counties=5), headers=sup)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("min_counties")
    bad = await client.post("/api/experts/draws", json=draw_body(clock, tenderer_code="123"), headers=sup)
    assert bad.status_code == 400 and "tenderer_code" in bad.json()["detail"]  # the schema's pattern
    wrong_check = draw_body(clock, tenderer_code=TENDERER[:-1] + ("0" if TENDERER[-1] != "0" else "1"))
    bad = await client.post("/api/experts/draws", json=wrong_check, headers=sup)
    assert bad.status_code == 422 and "tenderer_code" in bad.json()["detail"]  # the check character
    for over, field in [
        ({"min_credit": "1e308"}, "min_credit"),
        ({"min_credit": "Infinity"}, "min_credit"),
        ({"min_credit": "9" * 400}, "min_credit"),
    ]:
        bad = await client.post("/api/experts/draws", json=draw_body(clock, **over), headers=sup)
        assert bad.status_code == 422 and bad.json()["detail"].startswith(field), (over, bad.text)
    # Bounds the schema states are refused by the request's validation, naming the field.
    for over, field in [
        ({"slots": [{"specialty": "A0101", "experts": 10**15}]}, "slots"),
        ({"max_recent_for_tenderer": 10**15}, "max_recent_for_tenderer"),
        ({"response_minutes": 4}, "response_minutes"),
    ]:
        bad = await client.post("/api/experts/draws", json=draw_body(clock, **over), headers=sup)
        assert bad.status_code == 400 and field in bad.json()["detail"], (over, bad.text)
    created = await client.post("/api/experts/draws", json=draw_body(clock), headers=sup)
    assert created.status_code == 201, created.text
    draw_id = created.json()["id"]
    counts = (await client.get(f"/api/experts/draws/{draw_id}/counts", headers=sup)).json()
    assert counts[0]["holders"] == 6 and counts[0]["rules"][0]["rule"] == "status"
    assert (await client.post(f"/api/experts/draws/{draw_id}/run", headers=sup)).status_code == 409
    committed = await client.post(f"/api/experts/draws/{draw_id}/commit", headers=sup)
    assert committed.status_code == 200 and len(committed.json()["commitment"]) == 64
    ten = await bearer(client, "tenderer")
    assert (
        await client.post(f"/api/experts/draws/{draw_id}/contributions", json={"value": "7"}, headers=ten)
    ).status_code == 200
    empty = await client.post(f"/api/experts/draws/{draw_id}/contributions", json={"value": " "}, headers=sup)
    assert empty.status_code == 422 and empty.json()["error"] == "bad_contribution"
    await client.post(f"/api/experts/draws/{draw_id}/contributions", json={"value": "8"}, headers=sup)
    ran = await client.post(f"/api/experts/draws/{draw_id}/run", headers=sup)
    assert ran.status_code == 200 and ran.json()["state"] == "drawn" and ran.json()["seed"]

    supervisor_view = (await client.get(f"/api/experts/draws/{draw_id}/committee", headers=sup)).json()
    assert all(m["name"] != "***" for m in supervisor_view)
    for who in ("bidder", "agent", "tenderer", "ex1", None):
        headers = await bearer(client, who) if who else {}
        view = await client.get(f"/api/experts/draws/{draw_id}/committee", headers=headers)
        assert view.status_code == 200
        assert all(m["name"] == "***" and m["code"] is None and "phone" not in m for m in view.json())
        assert (
            await client.get(f"/api/experts/draws/{draw_id}/document", headers=headers)
        ).status_code == 403
    document = await client.get(f"/api/experts/draws/{draw_id}/document", headers=sup)
    assert document.status_code == 200 and document.json()["type"] == "sunbid.expert-draw.v2"

    ex = await bearer(client, "ex1")
    me = (await client.get("/api/experts/me", headers=ex)).json()
    assert "********" in me["id_number"]
    invitations = (await client.get("/api/experts/me/invitations", headers=ex)).json()
    for invitation in invitations:
        no_reason = await client.post(
            f"/api/experts/me/invitations/{invitation['id']}/respond", json={"accept": False}, headers=ex
        )
        assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    pool = (await client.get("/api/experts", headers=sup)).json()
    assert pool["total"] == 6 and "********" not in pool["items"][0]["id_number"]
    admin_id = await make_user(runtime, "root", ADMIN)
    assert admin_id
    admin_pool = (await client.get("/api/experts", headers=await bearer(client, "root"))).json()
    assert "********" in admin_pool["items"][0]["id_number"]


async def test_pages_render(runtime: Runtime, client: Any, clock: ManualClock) -> None:
    await seed_regions(runtime)
    await make_user(runtime, "supervisor", SUP)
    sup = await bearer(client, "supervisor")
    created = await client.post("/api/experts/draws", json=draw_body(clock), headers=sup)
    assert created.status_code == 201
    assert "创建抽取申请" in (await client.get("/experts/draws", headers=sup)).text
    console = await client.get(f"/experts/draws/{created.json()['id']}", headers=sup)
    assert console.status_code == 200 and "抽取控制台" in console.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_live_sockets_declare_their_roles(app: Any) -> None:
    from core.access import ROLES_KEY, route_handlers

    declared = {path: handler.opt[ROLES_KEY] for path, handler in route_handlers(app)}
    assert declared["/ws/experts/me"] == frozenset({EXPERT})
    assert declared["/ws/experts/draws/{draw_id:int}"] == frozenset({SUP})
