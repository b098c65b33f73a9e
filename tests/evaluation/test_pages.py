"""The evaluation pages as each role gets them: the list of rooms (and the host's start form), the room
page (member's desk, supervisor's and host's read-only views, zh and en; 403 for bidders and for
experts not on the committee) and the bidder's clarification page (only its own company's requests)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec

from core.clock import ManualClock
from core.runtime import Runtime
from evaluation import service
from tests.evaluation.world import CODE, EvalWorld, started_evaluation
from tests.support.factories import bearer

ROOM = f"{CODE}-1"


async def act(ew: EvalWorld, member: str, /, **message: Any) -> dict[str, Any]:
    async with ew.runtime.transaction() as session:
        return msgspec.to_builtins(await service.act(session, ew.runtime, ew.people[member], ROOM, message))


def room_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="room-data">(.*?)</script>', html, re.S)
    assert found, "the page embeds the room's view"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


async def test_the_room_page_for_each_role_in_both_languages(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started_evaluation(runtime, client, clock, tmp_path)
    member = ew.members[0]
    await act(ew, member, action="sign_in", venue="220281")
    roles = {
        "member": await bearer(client, ew.usernames[member]),
        "supervisor": await bearer(client, "supervisor9"),
        "host": await bearer(client, "agent1"),
    }
    for role, headers in roles.items():
        zh = await client.get(f"/evaluations/{ROOM}?lang=zh", headers=headers)
        assert zh.status_code == 200, zh.text
        assert f'data-role="{role}"' in zh.text
        assert "评标室" in zh.text and "签到与回避声明" in zh.text and "吉林市北山公园改造工程" in zh.text
        en = await client.get(f"/evaluations/{ROOM}?lang=en", headers=headers)
        assert en.status_code == 200
        assert "Evaluation room" in en.text and "Sign-in and avoidance" in en.text
        assert '"conn.online": "Connected"' in en.text  # the script's texts follow the language
        view = room_data(zh.text)
        assert view["code"] == ROOM and view["phase"] == "sign_in"
        assert [m["code"] for m in view["members"]] == ew.members
        # Only a member gets the desk and the (hidden until elected) chair controls; only the
        # supervisor gets every score; only the host gets publicity and award.
        assert ('id="desk"' in zh.text) == (role == "member")
        assert ('id="chair-tools"' in zh.text) == (role == "member")
        assert ('id="scores-panel"' in zh.text) == (role == "supervisor")
        assert ('id="host-tools"' in zh.text) == (role == "host")
        assert view["me"]["member"] == (member if role == "member" else None)
        assert ("scores" in view) == (role == "supervisor")
    signed_in = room_data((await client.get(f"/evaluations/{ROOM}", headers=roles["supervisor"])).text)
    assert signed_in["members"][0]["signed_in"] and signed_in["members"][0]["venue_name"]
    # The tender's other host (the tenderer) watches too.
    tenderer = await client.get(f"/evaluations/{ROOM}", headers=ew.bidding.tenderer)
    assert tenderer.status_code == 200 and 'data-role="host"' in tenderer.text


async def test_bidders_and_experts_off_the_committee_are_refused(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started_evaluation(runtime, client, clock, tmp_path)
    outsider = next(code for code in ew.people if code not in (*ew.members, *ew.alternates))
    refused = {
        "bidder": ew.bidding.bidders[0].headers,
        "other expert": await bearer(client, ew.usernames[outsider]),
        "waiting alternate": await bearer(client, ew.usernames[ew.alternates[0]]),
    }
    for who, headers in refused.items():
        response = await client.get(f"/evaluations/{ROOM}", headers=headers)
        assert response.status_code == 403, (who, response.status_code)
        assert ew.bidding.bidders[1].code not in response.text  # nothing of the room leaks
    assert (await client.get(f"/evaluations/{ROOM}")).status_code == 401
    missing = await client.get(f"/evaluations/{CODE}-9", headers=await bearer(client, "supervisor9"))
    assert missing.status_code == 404
    # The list page: the outsider has no room to enter; bidders may not see the list at all.
    listed = await client.get("/evaluations", headers=refused["other expert"])
    assert listed.status_code == 200 and ROOM not in listed.text and "暂无评标" in listed.text
    assert (await client.get("/evaluations", headers=refused["bidder"])).status_code == 403


async def test_the_list_page_and_the_hosts_start_form(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started_evaluation(runtime, client, clock, tmp_path)
    member = await bearer(client, ew.usernames[ew.members[1]])
    mine = await client.get("/evaluations", headers=member)
    assert mine.status_code == 200
    assert f'href="/evaluations/{ROOM}"' in mine.text and "远程异地评标" in mine.text
    assert 'id="start-form"' not in mine.text  # only hosts open rooms
    assert 'id="nav-evaluations"' in mine.text  # the desk is linked from every page for experts
    en = await client.get("/evaluations?lang=en", headers=member)
    assert "Remote evaluation" in en.text and "Evaluating" in en.text
    host = await client.get("/evaluations?lang=zh", headers=ew.bidding.agent)
    assert 'id="start-form"' in host.text and ROOM in host.text
    assert 'name="main_venue"' in host.text and "220221" in host.text  # venues from core.regions
    supervisor = await client.get("/evaluations", headers=await bearer(client, "supervisor9"))
    assert ROOM in supervisor.text and 'id="start-form"' not in supervisor.text
    # Bidders get no link to the rooms, only to their clarification page from their console.
    console = await client.get("/bidder", headers=ew.bidding.bidders[0].headers)
    assert 'href="/bidder/clarifications"' in console.text and 'id="nav-evaluations"' not in console.text


async def test_the_bidder_sees_only_its_own_companys_clarification_requests(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started_evaluation(runtime, client, clock, tmp_path)
    members = list(ew.members)
    for n, code in enumerate(members):
        await act(ew, code, action="sign_in", venue="220281" if n % 2 == 0 else "220221")
        await act(ew, code, action="declare", conflict=False)
    for code in members:
        await act(ew, code, action="vote", candidate=members[0])
    target, other = ew.bidding.bidders[1], ew.bidding.bidders[0]
    await act(ew, members[0], action="clarify", bidder=target.code, question="请说明工期计划", minutes=30)
    page = await client.get("/bidder/clarifications", headers=target.headers)
    assert page.status_code == 200
    assert "请说明工期计划" in page.text and "评标委员会澄清要求" in page.text
    assert 'class="answer-form"' in page.text and "剩余时间" in page.text
    en = await client.get("/bidder/clarifications?lang=en", headers=target.headers)
    assert "Clarification requests from the committee" in en.text and "Send the answer" in en.text
    theirs = await client.get("/bidder/clarifications?lang=zh", headers=other.headers)
    assert theirs.status_code == 200
    assert "请说明工期计划" not in theirs.text and "暂无澄清要求" in theirs.text
    # Answered: shown with the answer, no form; the room page shows the answer too.
    [asked] = room_data(
        (await client.get(f"/evaluations/{ROOM}", headers=await bearer(client, "supervisor9"))).text
    )["clarifications"]
    answered = await client.post(
        f"/api/clarifications/{asked['id']}/answer", json={"answer": "工期 300 天"}, headers=target.headers
    )
    assert answered.status_code == 200, answered.text
    page = await client.get("/bidder/clarifications?lang=zh", headers=target.headers)
    assert "工期 300 天" in page.text and 'class="answer-form"' not in page.text
    # Only bidders have this page.
    assert (await client.get("/bidder/clarifications", headers=ew.bidding.agent)).status_code == 403
