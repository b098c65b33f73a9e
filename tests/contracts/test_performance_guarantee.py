"""A performance bond as a guarantee (条例第五十八条): a guarantor secures a real awarded contract with a
signed performance guarantee, at most 10% of the contract amount (exactly 10% passes, one fen more is
refused), valid until the performance ends; the contract page shows it verified, or why not; the
tenderer claims on it for a failure to perform, not for a bid's reasons; it is no bid guarantee."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import jobs
from core.clock import CENTRE_TZ, ManualClock
from core.runtime import Runtime
from crypto.signing import sign_statement
from guarantees import service as guarantees
from tests.contracts.world import CODE, awarded, sign
from tests.guarantees.world import Guarantor, guarantor

END = datetime(2027, 6, 30, 23, 59, tzinfo=CENTRE_TZ)  # the last milestone's day, its last minute


def document(
    who: Guarantor, supplier: str, amount: str, valid_until: datetime, **over: Any
) -> dict[str, Any]:
    statement = {
        "type": guarantees.PERFORMANCE_TYPE, "guarantor": who.code, "kind": "guarantee_letter",
        "tender": CODE,
        "lot": "1", "bidder": supplier, "amount": amount, "valid_until": valid_until.isoformat(),
        "reference": f"LY-{amount}-{valid_until.minute}",
    } | over  # fmt: skip
    return sign_statement(statement, who.key).to_dict()


async def test_a_guarantor_secures_the_contract_within_ten_percent_and_the_page_shows_it(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    await jobs.contract_clock(runtime)
    (c,) = (await client.get("/api/contracts", headers=world.heads["tenderer1"])).json()
    url = f"/api/contracts/{c['id']}"
    drafted = await client.put(
        f"{url}/draft", json={"performance_bond": "500000.00"}, headers=world.heads["agent1"]
    )
    assert drafted.status_code == 200, drafted.text
    digest = drafted.json()["digest"]
    bank = await guarantor(runtime, client, 77, "中国建设银行股份有限公司吉林分行")
    winner = world.winner.code

    async def post(doc: dict[str, Any]) -> Any:
        return await client.post(f"{url}/performance-guarantee", json={"document": doc}, headers=bank.headers)

    page = await client.get(f"/contracts/{c['id']}", headers=world.heads["tenderer1"])
    assert "尚无担保机构出具履约保函" in page.text
    # the contract amount is 10 000 000.00: 10% is 1 000 000.00; one fen more is refused, the article named
    over = await post(document(bank, winner, "1000000.01", END))
    assert over.status_code == 422 and over.json()["error"] == "performance_over_limit", over.text
    assert "第五十八条" in over.json()["detail"]
    loser = next(b for b in world.bidders if b.code != winner)
    wrong = await post(document(bank, loser.code, "600000.00", END))
    assert wrong.status_code == 422 and wrong.json()["error"] == "wrong_contract"
    bid_type = await post(document(bank, winner, "600000.00", END, type=guarantees.GUARANTEE_TYPE))
    # a bid guarantee is not a performance guarantee: the schema's statement type refuses it up front
    assert bid_type.status_code == 400 and bid_type.json()["error"] == "invalid_request", bid_type.text
    assert bid_type.json()["fields"][0]["key"].endswith("type"), bid_type.text
    denied = await client.post(
        f"{url}/performance-guarantee", json={"document": {}}, headers=world.heads["agent1"]
    )
    assert denied.status_code == 403
    issued = await post(document(bank, winner, "1000000.00", END))
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    assert issued.json()["purpose"] == "performance"
    again = await post(document(bank, winner, "900000.00", END))
    assert again.status_code == 409 and again.json()["error"] == "already_secured"

    page = await client.get(f"/contracts/{c['id']}", headers=world.heads["tenderer1"])
    assert 'data-verified="yes"' in page.text and number in page.text and "1,000,000.00 元" in page.text
    en = await client.get(f"/contracts/{c['id']}?lang=en", headers=world.heads["tenderer1"])
    assert "performance bank guarantee letter" in en.text and "verified" in en.text
    await client.get(f"/contracts/{c['id']}?lang=zh", headers=world.heads["tenderer1"])  # back to Chinese

    # it secures no bid: the statistics count bid bonds only, the opening would refuse it by number
    async with runtime.sessions() as session:
        assert (await guarantees.bond_statistics(session, [CODE])).guarantees == 0
        check = await guarantees.verify_bond(
            session, tender_code=CODE, lot="1", bidder_code=winner, form={"guarantee_number": number}
        )
    assert check is not None and not check.verified and check.code == "not_bid_guarantee"

    # both sign; a last milestone beyond the guarantee's validity: the page says why it no longer covers
    for who, key in ((world.winner.username, world.winner.signing_key), ("tenderer1", world.tenderer_key)):
        done = await client.post(
            f"{url}/sign", json={"signature": sign(digest, key)}, headers=world.heads[who]
        )
        assert done.status_code == 200, done.text
    ok = await client.post(f"{url}/milestones", json={"title": "竣工验收", "due_on": "2027-06-30"},
                           headers=world.heads["tenderer1"])  # fmt: skip
    assert ok.status_code == 200, ok.text
    page = await client.get(f"/contracts/{c['id']}", headers=world.heads["tenderer1"])
    assert 'data-verified="yes"' in page.text  # valid to the last minute of the last milestone's day: enough
    late = await client.post(f"{url}/milestones", json={"title": "质保期满", "due_on": "2027-07-01"},
                             headers=world.heads["tenderer1"])  # fmt: skip
    assert late.status_code == 200, late.text
    page = await client.get(f"/contracts/{c['id']}", headers=world.heads["tenderer1"])
    assert 'data-verified="no"' in page.text and "履约保函有效期应当覆盖合同履行期" in page.text

    # claims: a bid reason is refused on a performance guarantee; a failure to perform is claimed
    claim_url = f"/api/guarantees/{number}/claims"
    wrong_reason = await client.post(
        claim_url, json={"reason": "refused_to_sign", "detail": "拒签"}, headers=world.heads["tenderer1"]
    )
    assert wrong_reason.status_code == 422 and wrong_reason.json()["error"] == "bad_reason"
    claimed = await client.post(
        claim_url, json={"reason": "failed_to_perform", "detail": "工期延误90天，经催告仍未履行"},
        headers=world.heads["tenderer1"],
    )  # fmt: skip
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["basis"] == "《招标投标法》第六十条"
    listed = (await client.get("/api/guarantee-claims", headers=bank.headers)).json()
    assert [x["guarantee"] for x in listed] == [number]
    page = await client.get(f"/contracts/{c['id']}", headers=world.heads["tenderer1"])
    assert 'data-verified="no"' in page.text and "已索赔" in page.text


async def test_a_closed_contract_takes_no_performance_guarantee(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    await jobs.contract_clock(runtime)
    (c,) = (await client.get("/api/contracts", headers=world.heads["tenderer1"])).json()
    refused = await client.post(
        f"/api/contracts/{c['id']}/refuse",
        json={"reason": "报价有误"},
        headers=world.heads[world.winner.username],
    )
    assert refused.status_code == 200, refused.text
    bank = await guarantor(runtime, client, 78, "吉林银行股份有限公司吉林分行")
    late = await client.post(
        f"/api/contracts/{c['id']}/performance-guarantee",
        json={"document": document(bank, world.winner.code, "100000.00", END + timedelta(days=1))},
        headers=bank.headers,
    )
    assert late.status_code == 409 and late.json()["error"] == "contract_closed"
