"""The opening over HTTP: the role matrix of every route, clear 4xx errors, and the script in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bidding import opening
from core.clock import ManualClock
from core.roles import Role
from core.runtime import Runtime
from tests.bidding.helpers import make_world
from tests.bidding.test_opening import CODE, bid_all, file_key
from tests.support.factories import bearer, make_user

BASE = f"/api/tenders/{CODE}"
HOSTS = {Role.AGENT, Role.TENDERER}
ROUTES: list[tuple[str, str, set[Role] | None]] = [
    ("get", f"{BASE}/lots/1/opening", None),
    ("post", f"{BASE}/opening/start", HOSTS),
    ("post", f"{BASE}/lots/1/opening/key", {Role.BIDDER}),
    ("get", f"{BASE}/lots/1/opening/header", {Role.BIDDER}),
    ("post", f"{BASE}/opening/shares", {Role.CUSTODIAN}),
    ("post", f"{BASE}/lots/1/opening/contributions", {Role.BIDDER}),
    ("post", f"{BASE}/lots/1/opening/confirm", {Role.BIDDER}),
    ("post", f"{BASE}/lots/1/opening/objections", {Role.BIDDER}),
    ("post", f"{BASE}/lots/1/opening/answers", HOSTS),
    ("post", f"{BASE}/lots/1/opening/finish", HOSTS),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_opening_route_401_logged_out_and_403_for_wrong_roles(
    runtime: Runtime, client: Any
) -> None:
    headers = {}
    for role in Role:
        await make_user(runtime, f"u-{role.value}", role)
        headers[role] = await bearer(client, f"u-{role.value}")
    for method, path, allowed in ROUTES:
        logged_out = await client.request(method, path, json={})
        if allowed is None:
            assert logged_out.status_code == 404, (method, path)  # public; the tender does not exist
            continue
        assert logged_out.status_code == 401, (method, path)
        for role in Role:
            response = await client.request(method, path, json={}, headers=headers[role])
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role)
                assert response.status_code < 500, (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.text)


async def test_the_script_over_http_with_clear_errors(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    _tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10900000.00", "10800000.00"]
    )
    keys = [file_key(s, b.identity) for s, b in zip(sealed, world.bidders, strict=True)]
    key_url = f"{BASE}/lots/1/opening/key"
    early = await client.post(key_url, json={"file_key": keys[0]}, headers=world.bidders[0].headers)
    assert early.status_code == 409 and early.json()["error"] == "not_open", early.text
    assert (await client.get(f"{BASE}/lots/1/opening")).status_code == 409
    clock.advance(days=21, seconds=1)
    await opening.open_due(runtime)
    state = (await client.get(f"{BASE}/lots/1/opening")).json()
    assert state["phase"] == "awaiting_host" and state["counts"]["queued"] == 3
    assert (await client.post(f"{BASE}/opening/start", headers=world.tenderer)).status_code == 200
    again = await client.post(f"{BASE}/opening/start", headers=world.agent)
    assert again.status_code == 409 and again.json()["error"] == "already_started"
    bad = await client.post(key_url, json={"file_key": "xyz"}, headers=world.bidders[0].headers)
    assert bad.status_code == 400 or bad.status_code == 422
    assert bad.json()["error"] == "bad_file_key"
    missing = await client.post(key_url, json={}, headers=world.bidders[0].headers)
    assert 400 <= missing.status_code < 500
    wrong = await client.post(key_url, json={"file_key": keys[1]}, headers=world.bidders[0].headers)
    assert wrong.json()["error"] == "wrong_file_key" and 400 <= wrong.status_code < 500
    for bidder, key in zip(world.bidders, keys, strict=True):
        done = await client.post(key_url, json={"file_key": key}, headers=bidder.headers)
        assert done.status_code == 200 and done.json()["outcome"] == "opened", done.text
    # The last key closed the window early: the 唱标 is out and the confirmations open at once.
    confirm_url = f"{BASE}/lots/1/opening/confirm"
    assert (await client.post(confirm_url, headers=world.bidders[0].headers)).status_code == 200
    twice = await client.post(confirm_url, headers=world.bidders[0].headers)
    assert twice.status_code == 409 and twice.json()["error"] == "already_answered"
    objection = await client.post(
        f"{BASE}/lots/1/opening/objections", json={"reason": ""}, headers=world.bidders[1].headers
    )
    assert (
        objection.status_code == 400 and objection.json()["fields"][0]["key"] == "reason"
    )  # the schema's pattern
    await client.post(
        f"{BASE}/lots/1/opening/objections", json={"reason": "工期有误"}, headers=world.bidders[1].headers
    )
    unanswered = await client.post(f"{BASE}/lots/1/opening/finish", headers=world.agent)
    assert unanswered.status_code == 409 and unanswered.json()["error"] == "unanswered_objection"
    no_such = await client.post(
        f"{BASE}/lots/1/opening/answers",
        json={"submission_id": "no-such-bid", "answer": "x"},
        headers=world.agent,
    )
    assert no_such.status_code == 404
    ok = await client.post(
        f"{BASE}/lots/1/opening/answers",
        json={"submission_id": sealed[1].manifest.submission_id, "answer": "以投标函为准"},
        headers=world.agent,
    )
    assert ok.status_code == 200
    done = await client.post(f"{BASE}/lots/1/opening/finish", headers=world.agent)
    assert done.status_code == 200 and done.json()["phase"] == "closed"
    notices = (await client.get("/api/notices", params={"kind": "opening_record"})).json()
    assert notices


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_opening_hall_page_for_each_role(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    await bid_all(runtime, client, world, tmp_path, ["11000000.00"] * 3)
    url = f"/tenders/{CODE}/opening"
    public = await client.get(url)
    assert public.status_code == 200 and "开标大厅" in public.text and 'id="countdown"' in public.text
    assert "host-actions" not in public.text and "bidder-actions" not in public.text
    assert "host-actions" in (await client.get(url, headers=world.agent)).text
    assert "bidder-actions" in (await client.get(url, headers=world.bidders[0].headers)).text
    english = await client.get(url, params={"lang": "en"})
    assert "Opening hall" in english.text
    assert (await client.get(url, params={"lot": "9"})).status_code == 404
    assert (await client.get("/tenders/NOPE-1/opening")).status_code == 404
