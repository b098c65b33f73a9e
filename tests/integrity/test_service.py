"""The supervisors' flags on real openings: a lot whose prices step evenly and whose bids name one
project manager, and an honest lot that raises nothing; who may see them is in the role matrix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from integrity import jobs
from tests.evaluation.world import CODE, opened_lot

HONEST_PRICES = ["10000000.00", "10420000.00", "11030000.00"]


async def test_even_steps_and_one_project_manager_are_flagged_with_their_evidence(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    # 10.0 / 10.5 / 11.0 million: equal steps of 500,000 (Art. 40(4)); every bid names 李四 (Art. 40(3)).
    world = await opened_lot(runtime, client, clock, tmp_path)
    response = await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)
    assert response.status_code == 200, response.text
    [lot] = response.json()
    assert lot["number"] == "1" and lot["bids"] == 3 and lot["first_candidate"] is None
    flags = {flag["code"]: flag for flag in lot["flags"]}
    assert set(flags) == {"P1", "E3"}
    assert flags["P1"]["basis"] == "《招标投标法实施条例》第四十条第（四）项"
    assert flags["P1"]["measure"] == 0
    assert len(flags["P1"]["bidders"]) == 3
    assert flags["E3"]["figures"] == ["李四"] and len(flags["E3"]["bidders"]) == 3

    page = await client.get(f"/integrity/tenders/{CODE}", headers=world.supervisor)
    assert page.status_code == 200
    assert page.text.count('class="flag warn"') == 2
    await jobs.compute_flags(runtime)  # the list reads the flags the job stored (test_stored.py)
    listing = await client.get("/integrity", headers=world.supervisor)
    assert f'id="tender-{CODE}" class="warn"' in listing.text


async def test_an_honest_lot_raises_nothing(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(
        runtime, client, clock, tmp_path, prices=HONEST_PRICES, managers=["李四", "王五", "赵六"]
    )
    response = await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)
    assert response.status_code == 200, response.text
    assert [lot["flags"] for lot in response.json()] == [[]]


async def test_no_one_but_supervisors_sees_them(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path)
    for headers in (world.bidders[0].headers, world.agent, {}):
        response = await client.get(f"/api/integrity/tenders/{CODE}", headers=headers)
        assert response.status_code in (401, 403)


async def test_a_supervisor_dismisses_one_flag_and_refers_the_other_once(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path)
    base = f"/api/integrity/tenders/{CODE}/lots/1/flags"
    short = await client.post(
        f"{base}/P1/decision", json={"decision": "dismissed", "reason": "x"}, headers=world.supervisor
    )
    assert short.status_code == 422 and short.json()["error"] == "reason_required"
    unknown = await client.post(
        f"{base}/P3/decision",
        json={"decision": "dismissed", "reason": "价格区间正常"},
        headers=world.supervisor,
    )
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_flag"

    dismissed = await client.post(
        f"{base}/P1/decision",
        json={"decision": "dismissed", "reason": "限价按等差分档，报价跟随分档"},
        headers=world.supervisor,
    )
    assert dismissed.status_code == 201, dismissed.text
    again = await client.post(
        f"{base}/P1/decision",
        json={"decision": "referred", "reason": "重新考虑后移交"},
        headers=world.supervisor,
    )
    assert again.status_code == 409 and again.json()["error"] == "already_decided"

    referred = await client.post(
        f"{base}/E3/decision",
        json={"decision": "referred", "reason": "三家投标文件项目经理均为李四"},
        headers=world.supervisor,
    )
    assert referred.status_code == 201, referred.text
    for bidder in world.bidders:
        found = await client.get(
            "/api/credit/deductions", params={"kind": "bidder", "key": bidder.code}, headers=world.supervisor
        )
        assert [d["rule_code"] for d in found.json()["items"]] == ["B01"], found.text

    [lot] = (await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)).json()
    decisions = {flag["code"]: (flag["decision"], flag["decision_reason"]) for flag in lot["flags"]}
    assert decisions == {
        "P1": ("dismissed", "限价按等差分档，报价跟随分档"),
        "E3": ("referred", "三家投标文件项目经理均为李四"),
    }
    audit = (await client.get("/api/audit/entries", params={"limit": 1000})).json()
    kinds = [json.loads(entry["entry"])["kind"] for entry in audit]
    assert "integrity.flag_dismissed" in kinds and "integrity.flag_referred" in kinds


async def test_the_decision_form_keeps_what_was_typed_and_names_the_mistake(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path)
    action = f"/integrity/tenders/{CODE}/lots/1/flags/E3/decision"
    page = await client.get(f"/integrity/tenders/{CODE}", headers=world.supervisor)
    assert f'action="{action}"' in page.text
    missing = await client.post(action, data={"reason": "项目经理相同待查"}, headers=world.supervisor)
    assert missing.status_code == 422
    assert "请选择处理结果" in missing.text and "项目经理相同待查" in missing.text
    done = await client.post(
        action,
        data={"decision": "dismissed", "reason": "同名不同人，已核身份证号"},
        headers=world.supervisor,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=dismissed")
    after = await client.get(done.headers["location"], headers=world.supervisor)
    assert 'id="integrity-done"' in after.text and "同名不同人，已核身份证号" in after.text
    assert f'action="{action}"' not in after.text


async def test_deposits_paid_from_one_account_are_flagged_with_its_last_four_characters(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    # Art. 40(6): the centre recorded two bidders' cash deposits as paid from the same account (written
    # with and without spaces), the third from its own.
    world = await opened_lot(
        runtime, client, clock, tmp_path, prices=HONEST_PRICES, managers=["李四", "王五", "赵六"]
    )
    accounts = ["6222 0200 1111 9876", "6222020011119876", "6222 0200 5555 4321"]
    for bidder, account in zip(world.bidders, accounts, strict=True):
        recorded = await client.post(
            f"/api/tenders/{CODE}/lots/1/deposits",
            json={"bidder": bidder.code, "amount": "100000.00", "payer_account": account},
            headers=world.supervisor,
        )
        assert recorded.status_code == 201, recorded.text
    response = await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)
    [lot] = response.json()
    [flag] = lot["flags"]
    assert flag["code"] == "E7" and flag["basis"] == "《招标投标法实施条例》第四十条第（六）项"
    assert len(flag["bidders"]) == 2 and flag["figures"] == ["付款账号 (payer account) ****9876"]
    await jobs.compute_flags(runtime)  # stored at the opening stage too, as the job does after an opening
    listing = await client.get("/integrity", headers=world.supervisor)
    assert f'id="tender-{CODE}" class="warn"' in listing.text
    page = await client.get(f"/integrity/tenders/{CODE}", headers=world.supervisor)
    assert "****9876" in page.text and "1111 9876" not in page.text and "11119876" not in page.text
