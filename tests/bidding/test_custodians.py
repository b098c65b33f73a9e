"""Custodians per tender: an admin or the tender's agent assigns a custodian account to each custody
share before the bid deadline; at the opening only that account may reveal the share; every change is
in the audit log; supervisors read; the page's forms do the same with their CSRF field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import opening
from bidding.service import assign_custodian
from core import admin
from core.clock import ManualClock
from core.models import AuditEntry
from core.roles import Role
from core.runtime import Runtime
from crypto.age import X25519Identity
from crypto.shamir import Share
from tests.bidding.helpers import World, make_world, published_tender
from tests.bidding.test_opening import (
    CODE,
    bid_all,
    custody_tender,
    file_key,
    host_starts,
    past_deadline,
    principal,
)
from tests.support.factories import bearer, make_user
from tests.web.test_admin import HTML, card, page_login

URL = f"/api/tenders/{CODE}/custodians"


def index_of(share: str) -> int:
    return Share.from_str(share).index


async def audit(runtime: Runtime, kind: str) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        rows = await session.scalars(select(AuditEntry.entry).where(AuditEntry.kind == kind))
        return [json.loads(r) for r in rows]


async def custody_world(runtime: Runtime, client: Any) -> tuple[World, list[str], dict[str, dict[str, str]]]:
    """A published tender with a 2-of-3 ceremony, an admin and three custodian accounts."""
    world = await make_world(runtime, client, bidders=0)
    over, shares = custody_tender([X25519Identity.generate() for _ in range(3)])
    await published_tender(runtime, client, world, **over)
    await make_user(runtime, "root", Role.ADMIN)
    headers = {"root": await bearer(client, "root")}
    for name in ("cust1", "cust2", "cust3"):
        await make_user(runtime, name, Role.CUSTODIAN)
        headers[name] = await bearer(client, name)
    return world, shares, headers


async def user_id(runtime: Runtime, username: str) -> int:
    return (await principal(runtime, username)).user_id


async def test_assigned_custodians_reveal_their_own_share_and_nobody_elses(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    over, shares = custody_tender([X25519Identity.generate() for _ in range(3)])
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, ["11000000.00"] * 3, **over)
    await make_user(runtime, "root", Role.ADMIN)
    root = await bearer(client, "root")
    tokens = {}
    for name in ("cust1", "cust2", "cust3"):
        await make_user(runtime, name, Role.CUSTODIAN)
        tokens[name] = await bearer(client, name)
    one, two = index_of(shares[0]), index_of(shares[1])
    cust1, cust2 = await user_id(runtime, "cust1"), await user_id(runtime, "cust2")
    # the admin assigns share one, the tender's agent share two
    done = await client.post(URL, json={"index": one, "user_id": cust1}, headers=root)
    assert done.status_code == 200, done.text
    assert done.json()["username"] == "cust1" and done.json()["index"] == one
    done = await client.post(URL, json={"index": two, "user_id": cust2}, headers=world.agent)
    assert done.status_code == 200, done.text
    listed = await client.get(URL, headers=world.supervisor)
    assert listed.status_code == 200
    assert [(s["index"], s["username"]) for s in listed.json()["shares"]] == [
        (one, "cust1"),
        (two, "cust2"),
        (index_of(shares[2]), None),
    ]

    await past_deadline(runtime, clock)
    await host_starts(runtime)
    who = await principal(runtime, world.bidders[0].username)
    await opening.reveal_key(runtime, who, CODE, "1", file_key(sealed[0], world.bidders[0].identity))
    clock.advance(minutes=30)
    await opening.advance(runtime)

    reveal = f"/api/tenders/{CODE}/opening/shares"
    # another custodian holding someone else's share, and a custodian with no share at all: refused
    refused = await client.post(reveal, json={"share": shares[0]}, headers=tokens["cust2"])
    assert refused.status_code == 403 and refused.json()["error"] == "not_your_share"
    assert "assigned to another custodian" in refused.json()["detail"]
    refused = await client.post(reveal, json={"share": shares[2]}, headers=tokens["cust3"])
    assert refused.status_code == 403 and refused.json()["error"] == "not_your_share"
    assert "no assigned custodian" in refused.json()["detail"]
    # the assigned custodians reveal theirs; at k = 2 the rest is opened
    first = await client.post(reveal, json={"share": shares[0]}, headers=tokens["cust1"])
    assert first.status_code == 200 and first.json() == {"have": 1, "threshold": 2, "combined": False}
    second = await client.post(reveal, json={"share": shares[1]}, headers=tokens["cust2"])
    assert second.status_code == 200, second.text
    assert second.json()["combined"] and second.json()["opened"] == 2

    assigned = await audit(runtime, "custodian.assigned")
    assert [(e["actor"], e["subject"], e["data"]) for e in assigned] == [
        (f"user:{await user_id(runtime, 'root')}", f"tender:{CODE}", {"index": one, "user": f"user:{cust1}"}),
        (
            f"user:{await user_id(runtime, 'agent1')}",
            f"tender:{CODE}",
            {"index": two, "user": f"user:{cust2}"},
        ),
    ]
    revealed = await audit(runtime, "custody.share_revealed")
    assert [e["actor"] for e in revealed] == [f"user:{cust1}", f"user:{cust2}"]  # the refusals are not in


async def test_assignment_is_allowed_up_to_the_last_minute_before_the_deadline_and_not_after(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    _world, shares, headers = await custody_world(runtime, client)
    one, two = index_of(shares[0]), index_of(shares[1])
    cust1, cust2 = await user_id(runtime, "cust1"), await user_id(runtime, "cust2")
    clock.advance(days=21)
    clock.advance(minutes=-1)  # the deadline is 21 days after the test's start: this is its last minute
    last = await client.post(URL, json={"index": one, "user_id": cust1}, headers=headers["root"])
    assert last.status_code == 200, last.text
    clock.advance(minutes=1)  # the deadline itself: bids are no longer taken, custodians are fixed
    late = await client.post(URL, json={"index": two, "user_id": cust2}, headers=headers["root"])
    assert late.status_code == 409 and late.json()["error"] == "deadline_passed"
    assert "deadline" in late.json()["detail"]
    release = await client.delete(URL, params={"index": one}, headers=headers["root"])
    assert release.status_code == 409 and release.json()["error"] == "deadline_passed"
    assert [s["username"] for s in (await client.get(URL, headers=headers["root"])).json()["shares"]] == [
        "cust1",
        None,
        None,
    ]


async def test_wrong_assignments_are_refused_with_a_reason(runtime: Runtime, client: Any) -> None:
    world, shares, headers = await custody_world(runtime, client)
    one, two = index_of(shares[0]), index_of(shares[1])
    cust1, cust2 = await user_id(runtime, "cust1"), await user_id(runtime, "cust2")
    plain = await make_user(runtime, "plain", Role.BIDDER)
    gone = await make_user(runtime, "gone", Role.CUSTODIAN)
    root = headers["root"]
    async with runtime.transaction() as session:
        await admin.set_active(session, runtime.clock, runtime.audit, gone, False, actor="user:1")

    async def post(body: dict[str, Any], who: dict[str, str] = root) -> tuple[int, str]:
        response = await client.post(URL, json=body, headers=who)
        return response.status_code, response.json().get("error", "")

    assert await post({"index": one, "user_id": plain}) == (422, "not_custodian")
    assert await post({"index": one, "user_id": gone}) == (422, "inactive_user")
    assert await post({"index": one, "user_id": 99999}) == (404, "unknown_user")
    assert await post({"index": 9, "user_id": cust1}) == (422, "unknown_share")
    assert await post({"index": one, "user_id": cust1}) == (200, "")
    assert await post({"index": one, "user_id": cust1}) == (200, "")  # the same again changes nothing
    assert await post({"index": one, "user_id": cust2}) == (409, "share_assigned")
    assert await post({"index": two, "user_id": cust1}) == (409, "already_custodian")  # one share each
    # the tenderer is an owner but does not assign; another agency's agent sees nothing of it
    assert await post({"index": two, "user_id": cust2}, world.tenderer) == (403, "forbidden")
    await make_user(runtime, "agent2", Role.AGENT)
    assert await post({"index": two, "user_id": cust2}, await bearer(client, "agent2")) == (403, "forbidden")
    assert (await client.get(URL, headers=await bearer(client, "agent2"))).status_code == 403
    assert len(await audit(runtime, "custodian.assigned")) == 1

    released = await client.delete(URL, params={"index": one}, headers=world.agent)
    assert released.status_code == 200 and released.json()["shares"][0]["username"] is None
    again = await client.delete(URL, params={"index": one}, headers=world.agent)
    assert again.status_code == 404 and again.json()["error"] == "not_assigned"
    [entry] = await audit(runtime, "custodian.unassigned")
    assert entry["data"] == {"index": one, "user": f"user:{cust1}"}


async def test_a_tender_without_a_ceremony_has_no_shares_to_assign(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world)
    await make_user(runtime, "root", Role.ADMIN)
    cust = await make_user(runtime, "cust1", Role.CUSTODIAN)
    root = await bearer(client, "root")
    refused = await client.post(URL, json={"index": 1, "user_id": cust}, headers=root)
    assert refused.status_code == 409 and refused.json()["error"] == "no_custody"
    assert (await client.get(URL, headers=root)).json()["shares"] == []


async def test_the_routes_roles(runtime: Runtime, client: Any) -> None:
    world, shares, headers = await custody_world(runtime, client)
    cust1 = await user_id(runtime, "cust1")
    body = {"index": index_of(shares[0]), "user_id": cust1}
    assert (await client.get(URL)).status_code == 401
    assert (await client.post(URL, json=body)).status_code == 401
    assert (await client.delete(URL, params={"index": 1})).status_code == 401
    for who in (headers["cust1"], world.tenderer):
        assert (await client.get(URL, headers=who)).status_code == 403
    assert (await client.post(URL, json=body, headers=world.supervisor)).status_code == 403
    assert (await client.delete(URL, params={"index": 1}, headers=world.supervisor)).status_code == 403
    assert (await client.post(URL, json=body, headers=headers["cust1"])).status_code == 403
    for who in (headers["root"], world.agent, world.supervisor):
        assert (await client.get(URL, headers=who)).status_code == 200


def csrf(html: str) -> str:
    return re.findall(r'name="_csrf" value="([^"]+)"', html)[0]


async def test_the_page_assigns_and_releases_and_the_dashboard_counts_what_is_left(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    _world, shares, _headers = await custody_world(runtime, client)
    one = index_of(shares[0])
    cust1 = await user_id(runtime, "cust1")
    clock.advance(days=15)  # six days to the deadline: on the dashboard
    await page_login(client, "root")
    dashboard = await client.get("/admin", headers=HTML)
    assert card(dashboard.text, "custody") == 1
    assert f'href="/admin/tenders/{CODE}/custodians"' in dashboard.text and "已指定 0/3 片" in dashboard.text

    page = await client.get(f"/admin/tenders/{CODE}/custodians", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert "密钥保管人" in html and "未指定" in html and f'id="assign-{one}"' in html
    assert "<script>" not in html and "style=" not in html and " onclick" not in html
    assert "Cust1 (cust1)" in html  # the custodian accounts to choose from

    # nothing chosen: the page says so and keeps the row's form
    empty = await client.post(
        f"/admin/tenders/{CODE}/custodians",
        data={"index": str(one), "user_id": "", "_csrf": csrf(html)},
        follow_redirects=False,
    )
    assert (
        empty.status_code == 422
        and "choose a custodian" in empty.text
        and 'id="custodians-error"' in empty.text
    )
    # without the CSRF field the form is refused
    forged = await client.post(
        f"/admin/tenders/{CODE}/custodians",
        data={"index": str(one), "user_id": str(cust1)},
        follow_redirects=False,
    )
    assert forged.status_code == 403

    done = await client.post(
        f"/admin/tenders/{CODE}/custodians",
        data={"index": str(one), "user_id": str(cust1), "_csrf": csrf(html)},
        follow_redirects=False,
    )
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/admin/tenders/{CODE}/custodians?done=assigned"
    )
    after = await client.get(done.headers["location"], headers=HTML)
    assert 'id="custodians-done"' in after.text and "已指定保管人" in after.text
    assert f'id="remove-{one}"' in after.text and f'href="/admin/users/{cust1}"' in after.text
    assert "已指定 1/3 片" in (await client.get("/admin", headers=HTML)).text

    english = await client.get(f"/admin/tenders/{CODE}/custodians?lang=en", headers=HTML)
    assert "Custodians" in english.text and "Release" in english.text and "Not assigned" in english.text
    assert "shares; 2 are needed to open" in english.text

    removed = await client.post(
        f"/admin/tenders/{CODE}/custodians/{one}/remove",
        data={"_csrf": csrf(after.text)},
        follow_redirects=False,
    )
    assert removed.status_code == 303 and removed.headers["location"].endswith("done=unassigned")
    kinds = [
        e["kind"]
        for e in await audit(runtime, "custodian.assigned") + await audit(runtime, "custodian.unassigned")
    ]
    assert kinds == ["custodian.assigned", "custodian.unassigned"]

    # all three assigned: the dashboard has nothing left to flag
    for i, name in enumerate(("cust1", "cust2", "cust3")):
        async with runtime.transaction() as session:
            await assign_custodian(
                session,
                runtime,
                await principal(runtime, "root"),
                CODE,
                index_of(shares[i]),
                await user_id(runtime, name),
            )
    assert card((await client.get("/admin", headers=HTML)).text, "custody") == 0
    # after the deadline the page shows who holds what but offers no form
    clock.advance(days=7)
    await page_login(client, "root")  # the browser session has lapsed by now
    closed = await client.get(f"/admin/tenders/{CODE}/custodians", headers=HTML)
    assert (
        'id="custodians-closed"' in closed.text
        and '<form method="post" action="/admin/tenders' not in closed.text
    )
