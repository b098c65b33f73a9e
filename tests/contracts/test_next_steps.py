"""The paths after the award a review found untested: the next-candidate refusals (the contract must have
been refused or have lapsed, its next step not yet decided, and a further candidate must exist); a
winner whose contract lapses loses its deposit (《招标投标法实施条例》第七十四条) through the clock's job;
and the signed contract's document is public (list and OCDS) only where the tender says so."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bidding import service as bidding
from contracts import service as contracts
from core.clock import ManualClock, as_utc
from core.runtime import Runtime
from evaluation import service as evaluation
from tests.contracts.test_contracts import _ocid, opened
from tests.contracts.test_guarantee_hooks import deposit, deposits
from tests.contracts.world import CODE, awarded, sign
from tests.publication.ocds_schema import assert_valid


async def test_next_candidate_is_refused_until_the_contract_ended_and_once_decided_or_none_is_left(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    c = await opened(runtime, client, world)
    agent = world.heads["agent1"]
    early = await client.post(f"/api/contracts/{c['id']}/next-candidate", headers=agent)
    assert early.status_code == 409 and early.json()["error"] == "wrong_state", early.text  # still pending
    async with runtime.sessions() as session:
        facts = (await evaluation.get_evaluation(session, f"{CODE}-1")).report_facts
    assert facts is not None
    ranks = sorted(int(x["rank"]) for x in facts["candidates"])
    by_code = {b.code: b for b in world.bidders}
    current, first_id = c, c["id"]
    for rank in ranks:  # each winner in turn refuses; the next candidate gets the lot while one is left
        assert current["candidate_rank"] == rank
        supplier = by_code[current["supplier_code"]]
        refused = await client.post(
            f"/api/contracts/{current['id']}/refuse", json={"reason": "不再签约"},
            headers=world.heads[supplier.username],
        )  # fmt: skip
        assert refused.status_code == 200, refused.text
        nxt = await client.post(f"/api/contracts/{current['id']}/next-candidate", headers=agent)
        if rank == ranks[-1]:
            assert nxt.status_code == 409 and nxt.json()["error"] == "no_next_candidate", nxt.text
            assert "第五十五条" in nxt.json()["detail"] and "tender again" in nxt.json()["detail"]
            break
        assert nxt.status_code == 200, nxt.text
        current = nxt.json()
    assert len(ranks) >= 2 and current["candidate_rank"] == ranks[-1]
    # the first contract's next step is decided: neither the next candidate nor a re-tender again
    for step in ("next-candidate", "retender"):
        again = await client.post(f"/api/contracts/{first_id}/{step}", headers=agent)
        assert again.status_code == 409 and again.json()["error"] == "already_decided", (step, again.text)
    # the last one, with no candidate left, may still be tendered again
    last = await client.post(f"/api/contracts/{current['id']}/retender", headers=agent)
    assert last.status_code == 200 and last.json()["next_step"] == "retender", last.text


async def test_a_lapsed_winner_forfeits_its_deposit_through_the_clock(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    loser = next(b for b in world.bidders if b.code != world.winner.code)
    mine, theirs = await deposit(client, world, world.winner.code), await deposit(client, world, loser.code)
    c = await opened(runtime, client, world)
    signed = await client.post(  # only the tenderer signs: the winner lets the period run out
        f"/api/contracts/{c['id']}/sign",
        json={"signature": sign(c["digest"], world.tenderer_key)},
        headers=world.heads["tenderer1"],
    )
    assert signed.status_code == 200, signed.text
    due = as_utc(datetime.fromisoformat(c["due_at"]))
    clock.set(due - timedelta(seconds=1))
    async with runtime.transaction() as session:
        assert await contracts.lapse_overdue(session, runtime) == 0  # not yet: the deposit is still held
    assert (await deposits(client, world))[mine]["status"] == "held"
    clock.set(due)
    async with runtime.transaction() as session:
        assert await contracts.lapse_overdue(session, runtime) == 1
    after = await deposits(client, world)
    assert after[mine]["status"] == "forfeited" and after[mine]["basis"].endswith("第七十四条")
    assert after[theirs]["status"] == "held"  # the loser's deposit is not the winner's fault
    lapsed = (await client.get(f"/api/contracts/{c['id']}", headers=world.heads["tenderer1"])).json()
    assert lapsed["status"] == "lapsed"


@pytest.mark.parametrize("published", [False, True])
async def test_the_signed_contract_document_is_public_only_where_the_tender_says_so(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, published: bool
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    async with runtime.transaction() as session:
        tender = await bidding.tender_by_code(session, CODE)
        rules = {k: v for k, v in tender.rules.items() if k != "publish_contract_document"}
        tender.rules = {**rules, **({"publish_contract_document": 1} if published else {})}
    c = await opened(runtime, client, world)
    assert c["publish_document"] is published
    for key, who in ((world.winner.signing_key, world.winner.username), (world.tenderer_key, "tenderer1")):
        done = await client.post(
            f"/api/contracts/{c['id']}/sign",
            json={"signature": sign(c["digest"], key)},
            headers=world.heads[who],
        )
        assert done.status_code == 200, done.text
    assert done.json()["status"] == "signed"
    (public,) = (await client.get("/api/contracts/public")).json()
    assert public["id"] == c["id"] and public["amount"]  # the contract itself is always public
    if published:
        assert public["document"] is not None and public["document"]["tender"]["code"] == CODE
    else:
        assert public["document"] is None
    record = await client.get(f"/api/ocds/records/{_ocid(runtime)}")
    assert record.status_code == 200, record.text
    assert_valid(record.json())
    (contract,) = record.json()["records"][0]["compiledRelease"]["contracts"]
    types = [d["documentType"] for d in contract["documents"]]
    assert "contractSigned" in types  # the signed digest is always named
    assert ("contractText" in types) is published
