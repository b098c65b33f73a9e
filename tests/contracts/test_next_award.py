"""Award to the next candidate after the winner refused (《招标投标法实施条例》第五十五条): a new award
notice (中标结果公告) names the next candidate and why the first award ended, the new contract points at
it, and the OCDS record marks the first award ``cancelled`` and the new one ``active`` — valid against the
schema before and after the new contract is signed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import service as bidding
from contracts.models import Contract
from core.clock import ManualClock
from core.runtime import Runtime
from evaluation import service as evaluation
from tests.contracts.test_contracts import _ocid, opened
from tests.contracts.world import CODE, awarded, sign
from tests.publication.ocds_schema import assert_valid


async def test_the_next_candidate_gets_a_new_award_notice_and_the_first_award_is_cancelled(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    c = await opened(runtime, client, world)
    url = f"/api/contracts/{c['id']}"
    winner = world.heads[world.winner.username]
    refused = await client.post(f"{url}/refuse", json={"reason": "材料涨价"}, headers=winner)
    assert refused.status_code == 200, refused.text
    clock.advance(hours=2)
    nxt = await client.post(f"{url}/next-candidate", headers=world.heads["agent1"])
    assert nxt.status_code == 200, nxt.text
    second = nxt.json()
    runner_up = next(b for b in world.bidders if b.code == second["supplier_code"])
    assert runner_up.code != world.winner.code and second["candidate_rank"] == 2

    async with runtime.sessions() as session:
        tender = await bidding.tender_by_code(session, CODE)
        awards = [n for n in await bidding.notices_of(session, tender.id) if n.kind == "award"]
        new_contract = await session.get(Contract, second["id"])
        first_contract = await session.get(Contract, c["id"])
        ev = await evaluation.get_evaluation(session, f"{CODE}-1")
    assert len(awards) == 2 and new_contract is not None and first_contract is not None
    first_notice, notice = awards
    assert first_contract.award_notice_id == first_notice.id
    assert new_contract.award_notice_id == notice.id and new_contract.document["award_notice"] == notice.id
    assert ev.award_notice_id == notice.id and ev.winner_code == runner_up.code
    assert "第2中标候选人" in notice.title and "中标人拒绝签订合同" in notice.body
    assert "第五十五条" in notice.body and runner_up.code in notice.body and world.winner.code in notice.body

    record = await client.get(f"/api/ocds/records/{_ocid(runtime)}")
    assert record.status_code == 200, record.text
    assert_valid(record.json())
    compiled = record.json()["records"][0]["compiledRelease"]
    status = {a["suppliers"][0]["id"].rsplit("-", 1)[-1]: a["status"] for a in compiled["awards"]}
    assert status[world.winner.code] == "cancelled" and status[runner_up.code] == "active"
    assert [s for s in status.values() if s == "active"] == ["active"]
    (cancelled,) = [a for a in compiled["awards"] if a["status"] == "cancelled"]
    assert cancelled["description"] == "中标人拒绝签订合同"
    (release,) = [r for r in record.json()["records"][0]["releases"] if r["id"].endswith(f"-{notice.id}")]
    assert release["tag"] == ["award"]

    # the next candidate's contract signed: the contract implements the active award
    new_url = f"/api/contracts/{second['id']}"
    for key, head in (
        (runner_up.signing_key, world.heads[runner_up.username]),
        (world.tenderer_key, world.heads["tenderer1"]),
    ):
        done = await client.post(
            f"{new_url}/sign", json={"signature": sign(second["digest"], key)}, headers=head
        )
        assert done.status_code == 200, done.text
    assert done.json()["status"] == "signed"
    package = (await client.get(f"/api/ocds/records/{_ocid(runtime)}")).json()
    assert_valid(package)
    compiled = package["records"][0]["compiledRelease"]
    (contract,) = compiled["contracts"]
    by_id = {a["id"]: a for a in compiled["awards"]}
    assert by_id[contract["awardID"]]["status"] == "active"
    assert by_id[contract["awardID"]]["suppliers"][0]["id"].endswith(runner_up.code)
    assert sorted(a["status"] for a in compiled["awards"]) == ["active", "cancelled"] + ["unsuccessful"] * (
        len(compiled["awards"]) - 2
    )
    async with runtime.sessions() as session:
        assert await session.scalar(select(Contract.id).where(Contract.id == second["id"])) is not None
