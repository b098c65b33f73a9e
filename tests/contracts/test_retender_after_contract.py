"""After a refused or lapsed contract the owner may tender the lot again (《招标投标法实施条例》第五十五条):
recording it makes that lot, and only it, eligible for bidding's re-tender draft (core/retender_port.py);
the tender page offers the form, the attempts link both ways. A contract that went to the next candidate
is not tendered again. An upheld complaint with the remedy 重新招标 makes its lot eligible the same way."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import service as bidding
from bidding.models import Lot
from core.clock import ManualClock
from core.models import AuditEntry
from core.runtime import Runtime
from publication.config import OcdsConfig
from tests.bidding.test_retender import AGAIN, retender_body
from tests.contracts.test_contracts import deductions, opened
from tests.contracts.world import CODE, Awarded, awarded
from tests.publication.ocds_schema import assert_valid

HTML = {"accept": "text/html"}


def ocid(runtime: Runtime, code: str) -> str:
    return OcdsConfig.from_settings(runtime.settings).ocid(code)


async def second_lot(runtime: Runtime) -> None:
    """A second lot of the tender that nothing ended: it must never be copied into the re-tender."""
    async with runtime.transaction() as session:
        tender = await bidding.tender_by_code(session, CODE)
        session.add(
            Lot(tender_id=tender.id, number="2", title="第二标段", budget=Decimal("1000"),
                ceiling_price=Decimal("1000"))
        )  # fmt: skip


async def refused(runtime: Runtime, client: Any, world: Awarded) -> str:
    c = await opened(runtime, client, world)
    url = f"/api/contracts/{c['id']}"
    got = await client.post(
        f"{url}/refuse", json={"reason": "不再履约"}, headers=world.heads[world.winner.username]
    )
    assert got.status_code == 200 and got.json()["refused_by"] == "supplier", got.text
    assert await deductions(runtime, "bidder", world.winner.code) == ["B04"]
    return str(url)


async def test_a_refused_contract_tendered_again_gets_a_draft_of_that_lot_only(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    await second_lot(runtime)
    url = await refused(runtime, client, world)
    owner = world.heads["tenderer1"]
    # refused but not decided yet: nothing to tender again
    early = await client.post(f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=owner)
    assert early.status_code == 409 and early.json()["error"] == "not_failed", early.text
    decided = await client.post(f"{url}/retender", headers=owner)
    assert decided.status_code == 200 and decided.json()["next_step"] == "retender"

    attempts = (await client.get(f"/api/tenders/{CODE}/attempts")).json()
    assert attempts["may_retender"] is False  # the tender did not fail...
    (reason,) = attempts["retender_reasons"]  # ...but lot 1's contract ended and is tendered again
    assert (
        reason["lot"] == "1"
        and reason["zh"] == "合同被拒签，招标人决定重新招标"
        and "第五十五条" in reason["basis"]
    )
    contract_page = await client.get(f"/contracts/{url.rsplit('/', 1)[1]}", headers={**owner, **HTML})
    assert (
        'id="retender-link"' in contract_page.text
        and f'href="/tenders/{CODE}#attempts"' in contract_page.text
    )
    page = await client.get(f"/tenders/{CODE}", headers={**owner, **HTML})
    assert 'id="retender-form"' in page.text
    said = '标段 1：合同被拒签，招标人决定重新招标 <span translate="no">（{}）'
    assert said.format("《中华人民共和国招标投标法实施条例》第五十五条") in page.text
    public = await client.get(f"/tenders/{CODE}?lang=en", headers=HTML)
    assert 'id="retender-form"' not in public.text
    assert "Lot 1: the contract was refused; the tenderer decided to tender it again" in public.text
    loser = next(b for b in world.bidders if b.code != world.winner.code)
    denied = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.heads[loser.username]
    )
    assert denied.status_code == 403

    made = await client.post(f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=owner)
    assert made.status_code == 201, made.text
    new = made.json()
    assert new["state"] == "draft" and [lot["number"] for lot in new["lots"]] == ["1"]
    published = await client.post(f"/api/tenders/{AGAIN}/publish", headers=world.heads["agent1"])
    assert published.status_code == 200, published.text
    async with runtime.sessions() as session:
        (entry,) = await session.scalars(select(AuditEntry).where(AuditEntry.kind == "tender.retendered"))
    data = json.loads(entry.entry)["data"]
    assert data["retender"] == AGAIN and data["legal_basis"].endswith("第五十五条")  # not 第四十四条: no 流标
    forward = (await client.get(f"/api/tenders/{CODE}/attempts")).json()
    back = (await client.get(f"/api/tenders/{AGAIN}/attempts")).json()
    assert forward["next"]["code"] == AGAIN and back["previous"]["code"] == CODE and back["attempt"] == 2
    history = (await client.get(f"/tenders/{CODE}/history?lang=zh", headers=HTML)).text
    assert "本项目已重新招标（第 2 次招标）" in history and f'href="/tenders/{AGAIN}/history"' in history
    assert "流标" not in history.split('id="attempts"', 1)[1].split("</section>", 1)[0]
    later = (await client.get(f"/tenders/{AGAIN}/history?lang=zh", headers=HTML)).text
    assert "本项目是以下项目的重新招标（第 1 次招标）" in later and f'href="/tenders/{CODE}/history"' in later
    # open data: the re-tender's process names the one it replaces (relatedProcesses, ``prior``)
    record = await client.get(f"/api/ocds/records/{ocid(runtime, AGAIN)}")
    assert record.status_code == 200, record.text
    assert_valid(record.json())
    (related,) = record.json()["records"][0]["compiledRelease"]["relatedProcesses"]
    assert related["relationship"] == ["prior"] and related["identifier"] == ocid(runtime, CODE)
    assert related["scheme"] == "ocid" and related["uri"].endswith(f"/api/ocds/records/{ocid(runtime, CODE)}")
    again = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime, "JLZB-2026-001S"), headers=owner
    )
    assert again.status_code == 409 and again.json()["error"] == "already_retendered"


async def test_a_refused_contract_that_went_to_the_next_candidate_is_not_tendered_again(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    url = await refused(runtime, client, world)
    nxt = await client.post(f"{url}/next-candidate", headers=world.heads["agent1"])
    assert nxt.status_code == 200, nxt.text
    attempts = (await client.get(f"/api/tenders/{CODE}/attempts")).json()
    assert attempts["retender_reasons"] == [] and attempts["may_retender"] is False
    refused_again = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.heads["tenderer1"]
    )
    assert refused_again.status_code == 409 and refused_again.json()["error"] == "not_failed"
    page = await client.get(f"/tenders/{CODE}", headers={**world.heads["tenderer1"], **HTML})
    assert 'id="retender-form"' not in page.text
