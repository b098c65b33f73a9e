"""The contract after a real award, through the API and the job: signing by both parties within the 30
days with their registered keys, the clock's warning, the bond's limit, refusal and lapse raising B04/T04,
the next candidate (Art. 55), performance with B10, publication (public list, OCDS record) and audit."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import select

from bidding import service as bidding
from contracts import jobs, rules
from contracts.views import ContractDocument
from core.clock import ManualClock, as_utc
from core.models import AuditEntry, Organisation
from core.runtime import Runtime
from credit import service as credit
from evaluation import service as evaluation
from tests.contracts.world import CODE, Awarded, awarded, sign
from tests.publication.ocds_schema import assert_valid

MINUTE = timedelta(minutes=1)


async def audit(runtime: Runtime, prefix: str = "contract.") -> list[tuple[str, dict[str, Any]]]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.kind.startswith(prefix)).order_by(AuditEntry.position)
        )
        return [(row.kind, json.loads(row.entry)["data"]) for row in rows]


async def deductions(runtime: Runtime, kind: str, key: str) -> list[str]:
    async with runtime.sessions() as session:
        page = await credit.list_deductions(session, kind=kind, key=key)
        return [d.rule_code for d in page.rows]


async def opened(runtime: Runtime, client: Any, world: Awarded) -> dict[str, Any]:
    await jobs.contract_clock(runtime)  # the job opens the contract of the new award
    listed = await client.get("/api/contracts", headers=world.heads["tenderer1"])
    assert listed.status_code == 200, listed.text
    (contract,) = listed.json()
    return dict(contract)


async def test_the_contract_of_a_tender_that_says_so_is_published_with_its_document(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    # the tender's draft said so (``publish_contract_document``, kept with its rules as
    # tests/bidding/test_tenders.py shows through the API): the contract opened for its award says so too
    async with runtime.transaction() as session:
        tender = await bidding.tender_by_code(session, CODE)
        tender.rules = {**tender.rules, "publish_contract_document": 1}
    c = await opened(runtime, client, world)
    assert c["publish_document"] is True


async def test_both_parties_sign_within_the_period_and_the_contract_is_published(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    c = await opened(runtime, client, world)
    assert c["status"] == "pending" and c["warning"] == "green" and c["supplier_code"] == world.winner.code
    assert Decimal(str(c["amount"])) == Decimal("10000000.00") and c["candidate_rank"] == 1
    assert "第四十六条" in c["basis"] and c["may_manage"] and c["my_party"] == "tenderer"
    url = f"/api/contracts/{c['id']}"
    # the bond: 10% passes, one cent more is refused with the rule named
    too_much = await client.put(
        f"{url}/draft", json={"performance_bond": "1000000.01"}, headers=world.heads["agent1"]
    )
    assert too_much.status_code == 422 and too_much.json()["error"] == "bond_too_high", too_much.text
    terms = {"terms": "工期180日历天", "performance_bond": "1000000.00", "publish_document": True}
    drafted = await client.put(f"{url}/draft", json=terms, headers=world.heads["agent1"])
    assert drafted.status_code == 200, drafted.text
    digest = drafted.json()["digest"]
    assert digest != c["digest"]

    # a loser and the agent are no party; a signature by another key is refused
    loser = next(b for b in world.bidders if b.code != world.winner.code)
    denied = await client.post(
        f"{url}/sign",
        json={"signature": sign(digest, loser.signing_key)},
        headers=world.heads[loser.username],
    )
    assert denied.status_code == 403
    malformed = await client.post(
        f"{url}/sign", json={"signature": "x"}, headers=world.heads[world.winner.username]
    )
    assert malformed.status_code == 400 and malformed.json()["error"] == "invalid_request"  # 88 base64 chars
    forged = await client.post(
        f"{url}/sign",
        json={"signature": sign(digest, loser.signing_key)},
        headers=world.heads[world.winner.username],
    )
    assert forged.status_code == 422 and forged.json()["error"] == "bad_signature"
    # the winner signs at the last allowed minute... of the period, after the warning turned yellow
    due = as_utc(datetime.fromisoformat(c["due_at"]))
    clock.set(due - MINUTE)
    assert (await client.get(url, headers=world.heads["tenderer1"])).json()["warning"] == "yellow"
    signed = await client.post(
        f"{url}/sign", json={"signature": sign(digest, world.winner.signing_key)},
        headers=world.heads[world.winner.username],
    )  # fmt: skip
    assert signed.status_code == 200 and signed.json()["status"] == "pending", signed.text
    # the document can no longer change once a party signed
    late_terms = await client.put(f"{url}/draft", json={"terms": "改"}, headers=world.heads["agent1"])
    assert late_terms.status_code == 409 and late_terms.json()["error"] == "already_signed"
    done = await client.post(
        f"{url}/sign", json={"signature": sign(digest, world.tenderer_key)}, headers=world.heads["tenderer1"]
    )
    body = done.json()
    assert done.status_code == 200 and body["status"] == "signed" and body["warning"] is None, done.text
    again = await client.post(
        f"{url}/sign", json={"signature": sign(digest, world.tenderer_key)}, headers=world.heads["tenderer1"]
    )
    assert again.status_code == 409

    public = (await client.get("/api/contracts/public")).json()
    assert [(p["id"], p["supplier_code"], p["document"]["terms"]) for p in public] == [
        (c["id"], world.winner.code, "工期180日历天")
    ]
    # the published document is the typed one both parties signed: anyone can recompute the digest
    document = msgspec.convert(public[0]["document"], ContractDocument)
    assert (document.amount, document.performance_bond, document.supplier.credit_code) == (
        "10000000.00", "1000000.00", world.winner.code
    )  # fmt: skip
    assert rules.document_digest(public[0]["document"]) == digest == public[0]["digest"]
    page = await client.get("/contracts/public")
    assert page.status_code == 200 and "10,000,000.00 元" in page.text
    kinds = [k for k, _ in await audit(runtime)]
    assert kinds == ["contract.opened", "contract.drafted", "contract.party_signed", "contract.party_signed",
                     "contract.signed"]  # fmt: skip

    # performance: milestones, then the final evaluation; poor raises B10 against the supplier
    m = await client.post(f"{url}/milestones", json={"title": "主体结构完工", "due_on": "2027-03-01"},
                          headers=world.heads["tenderer1"])  # fmt: skip
    assert m.status_code == 200, m.text
    mid = m.json()["milestones"][0]["id"]
    met = await client.post(f"{url}/milestones/{mid}/met", headers=world.heads["agent1"])
    assert met.json()["milestones"][0]["status"] == "met"
    no_comment = await client.post(
        f"{url}/evaluation", json={"rating": "poor"}, headers=world.heads["agent1"]
    )
    assert no_comment.status_code == 422
    rated = await client.post(
        f"{url}/evaluation", json={"rating": "poor", "comment": "工期延误60天"}, headers=world.heads["agent1"]
    )
    assert rated.status_code == 200 and rated.json()["status"] == "completed", rated.text
    assert await deductions(runtime, "bidder", world.winner.code) == ["B10"]
    after = await client.post(f"{url}/milestones", json={"title": "x", "due_on": "2027-03-01"},
                              headers=world.heads["agent1"])  # fmt: skip
    assert after.status_code == 409

    # the OCDS record: the contract with its implementation milestones, valid against the schema
    record = await client.get(f"/api/ocds/records/{_ocid(runtime)}")
    assert record.status_code == 200, record.text
    package = record.json()
    assert_valid(package)
    compiled = package["records"][0]["compiledRelease"]
    (contract,) = compiled["contracts"]
    assert contract["status"] == "terminated" and contract["value"]["amount"] == 10000000
    assert contract["implementation"]["milestones"][0]["status"] == "met"
    assert contract["awardID"] in {a["id"] for a in compiled["awards"]}
    tags = [r["tag"] for r in package["records"][0]["releases"] if "contract" in r["id"].rsplit("-", 2)[-2]]
    assert tags[0] == ["contract"] and all(t == ["implementation"] for t in tags[1:])

    # statistics: award → both signatures
    stats = (await client.get("/api/statistics")).json()
    assert stats["total"]["signed_contracts"] == 1
    assert 29 < stats["total"]["avg_signing_days"] <= 31
    csv_text = (await client.get("/api/statistics", params={"format": "csv"})).content.decode("utf-8-sig")
    assert "avg_signing_days" in csv_text.splitlines()[0]
    page = (await client.get("/statistics")).text
    assert f'id="total-signing-days">{stats["total"]["avg_signing_days"]:.2f}<' in page


def _ocid(runtime: Runtime) -> str:
    from publication.config import OcdsConfig

    return OcdsConfig.from_settings(runtime.settings).ocid(CODE)


async def test_signing_at_the_limit_is_refused_and_the_job_raises_b04_and_t04(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    c = await opened(runtime, client, world)
    url = f"/api/contracts/{c['id']}"
    due = as_utc(datetime.fromisoformat(c["due_at"]))
    clock.set(due - MINUTE)
    signed = await client.post(
        f"{url}/sign",
        json={"signature": sign(c["digest"], world.tenderer_key)},
        headers=world.heads["tenderer1"],
    )
    assert signed.status_code == 200, signed.text
    clock.set(due)  # the first refused moment
    late = await client.post(
        f"{url}/sign", json={"signature": sign(c["digest"], world.winner.signing_key)},
        headers=world.heads[world.winner.username],
    )  # fmt: skip
    assert late.status_code == 409 and late.json()["error"] == "signing_period_over", late.text
    await jobs.contract_clock(runtime)
    await jobs.contract_clock(runtime)  # idempotent
    lapsed = (await client.get(url, headers=world.heads["tenderer1"])).json()
    assert lapsed["status"] == "lapsed"
    # only the party that had not signed is deducted
    assert await deductions(runtime, "bidder", world.winner.code) == ["B04"]
    assert [k for k, _ in await audit(runtime)][-1] == "contract.lapsed"

    # the next candidate in the committee's order (Art. 55): a new contract with its own clock
    wrong = await client.post(f"{url}/next-candidate", headers=world.heads[world.winner.username])
    assert wrong.status_code == 403
    nxt = await client.post(f"{url}/next-candidate", headers=world.heads["agent1"])
    assert nxt.status_code == 200, nxt.text
    second = nxt.json()
    assert second["candidate_rank"] == 2 and second["status"] == "pending" and second["id"] != c["id"]
    async with runtime.sessions() as session:
        facts = (await evaluation.get_evaluation(session, f"{CODE}-1")).report_facts
    assert facts is not None
    (runner_up,) = [c for c in facts["candidates"] if c["rank"] == 2]
    assert second["supplier_code"] == runner_up["credit_code"] != world.winner.code
    assert Decimal(str(second["amount"])) == Decimal(runner_up["price"])
    assert as_utc(datetime.fromisoformat(second["due_at"])) > due
    twice = await client.post(f"{url}/retender", headers=world.heads["agent1"])
    assert twice.status_code == 409 and twice.json()["error"] == "already_decided"


async def test_a_refusal_raises_the_refusing_sides_rule(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    c = await opened(runtime, client, world)
    url = f"/api/contracts/{c['id']}"
    empty = await client.post(f"{url}/refuse", json={"reason": " "}, headers=world.heads["tenderer1"])
    assert (
        empty.status_code == 400 and empty.json()["error"] == "invalid_request"
    )  # the schema says not blank
    refused = await client.post(
        f"{url}/refuse", json={"reason": "预算调整"}, headers=world.heads["tenderer1"]
    )
    assert refused.status_code == 200 and refused.json()["refused_by"] == "tenderer", refused.text
    async with runtime.sessions() as session:
        tenderer = await session.get(Organisation, world.ew.bidding.tenderer_org)
        assert tenderer is not None
        code = tenderer.credit_code
    assert await deductions(runtime, "tenderer", code) == ["T04"]
    assert await deductions(runtime, "bidder", world.winner.code) == []
    retender = await client.post(f"{url}/retender", headers=world.heads["tenderer1"])
    assert retender.status_code == 200 and retender.json()["next_step"] == "retender"
    (kind, data) = (await audit(runtime))[-1]
    assert kind == "contract.retender" and "第五十五条" in data["basis"]
