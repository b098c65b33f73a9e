"""Issuing electronic guarantees through the API: the Art. 26 rules at their boundaries, forged and
reused documents, the public verification before and after the opening, a guarantor's own list."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import select

from bidding import opening
from core.clock import ManualClock
from core.models import AuditEntry, Organisation
from core.runtime import Runtime
from crypto.signing import (
    canonical_json,
    generate_private_key,
    parse_json,
    public_key_to_text,
    sign_statement,
)
from guarantees import service
from guarantees.common import NUMBER_ALPHABET, NUMBER_LENGTH, new_number
from guarantees.models import Guarantee
from tests.bidding.helpers import seal, upload
from tests.bidding.test_opening import file_key, host_starts, past_deadline, principal
from tests.evaluation.world import api_headers
from tests.guarantees.world import BID_VALIDITY, CODE, issue, make_gworld, signed, statement


async def test_issue_within_the_rules_and_refuse_each_rule_at_its_boundary(
    runtime: Runtime, client: Any
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, b2 = (b.code for b in gw.world.bidders)
    # exactly 2% of the lot's estimated price (12 000 000.00) is allowed; one fen more is refused
    over = await issue(client, gw.insurer, signed(gw, gw.insurer, b0, amount="240000.01"))
    assert over.status_code == 422, over.text
    assert over.json()["error"] == "amount_over_limit" and "第二十六条" in over.json()["detail"]
    at_limit = await issue(client, gw.insurer, signed(gw, gw.insurer, b0, amount="240000.00"))
    assert at_limit.status_code == 201, at_limit.text
    out = at_limit.json()
    assert out["number"].startswith("BH") and out["amount"] == "240000.00" and out["status"] == "valid"
    # valid until the end of the bid validity period (deadline + 90 days) at the least, to the minute
    short = (gw.deadline + BID_VALIDITY - timedelta(minutes=1)).isoformat()
    refused = await issue(
        client, gw.bank, signed(gw, gw.bank, b1, valid_until=short, kind="guarantee_letter")
    )
    assert refused.status_code == 422 and refused.json()["error"] == "validity_too_short"
    assert "第二十六条" in refused.json()["detail"]
    exact = (gw.deadline + BID_VALIDITY).isoformat()
    fine = await issue(client, gw.bank, signed(gw, gw.bank, b1, valid_until=exact, kind="guarantee_letter"))
    assert fine.status_code == 201, fine.text
    # the issue is logged without naming the tender or the bidder (who bid is secret)
    async with runtime.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).where(AuditEntry.kind == "guarantee.issued")))
    assert len(entries) == 2
    assert all(b0 not in e.entry and "JLZB" not in e.entry for e in entries)
    del b2


async def test_forged_signatures_and_reused_documents_are_refused(runtime: Runtime, client: Any) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, _ = (b.code for b in gw.world.bidders)
    forged = await issue(client, gw.insurer, signed(gw, gw.insurer, b0, key=generate_private_key()))
    assert forged.status_code == 422 and forged.json()["error"] == "bad_signature"
    document = signed(gw, gw.insurer, b0)
    altered = {**document, "statement": {**document["statement"], "amount": "100.00"}}
    assert (await issue(client, gw.insurer, altered)).json()["error"] == "bad_signature"
    # a bank cannot post the insurer's document as its own
    assert (await issue(client, gw.bank, document)).json()["error"] == "bad_signature"
    assert (await issue(client, gw.insurer, document)).status_code == 201
    again = await issue(client, gw.insurer, document)
    assert again.status_code == 409 and again.json()["error"] == "guarantee_reused"
    second = await issue(client, gw.bank, signed(gw, gw.bank, b0))
    assert second.status_code == 409 and second.json()["error"] == "already_secured"
    # a guarantee for a tender that does not exist, or an unknown bidder, is refused
    assert (await issue(client, gw.bank, signed(gw, gw.bank, b1, tender="NOPE-1"))).status_code == 404
    unknown = await issue(client, gw.bank, signed(gw, gw.bank, "91220281MA00000000"))
    assert unknown.status_code == 422


async def test_the_public_sees_a_guarantees_status_only_after_the_opening(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, _b2 = gw.world.bidders
    number = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0.code))).json()["number"]
    sealed = {"number": number, "status": None, "opened": False} | {
        k: None for k in ("guarantor", "kind", "amount", "valid_until", "tender", "lot", "bidder")
    }
    # its guarantor, the bidder it secures and supervisors see it whole at any time; another bidder,
    # another guarantor and the public see only that the number exists
    own = ("guarantor50", b0.username, "super1")
    others = ("guarantor51", b1.username)
    viewers = {name: await api_headers(runtime, name) for name in (*own, *others)}

    async def seen(headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await client.get(f"/api/guarantees/{number}", headers=headers or {})
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def public_sees_it_sealed() -> None:
        assert await seen() == sealed
        assert all([await seen(viewers[name]) == sealed for name in others])
        page = await client.get(f"/guarantees/verify?number={number}")
        assert page.status_code == 200 and 'id="guarantee-sealed"' in page.text
        assert 'id="guarantee-status"' not in page.text and "测试bidder" not in page.text
        assert "200,000.00" not in page.text

    await public_sees_it_sealed()
    for name in own:
        whole = await seen(viewers[name])
        assert whole["opened"] and whole["status"] == "valid" and whole["tender"] == CODE, name
    page = await client.get(f"/guarantees/verify?number={number}", headers=viewers[b0.username])
    assert 'id="guarantee-status"' in page.text and "200,000.00" in page.text
    # an unknown number is not found, for anyone
    assert (await client.get("/api/guarantees/BH2026999999")).status_code == 404
    assert (await client.get("/guarantees/verify?number=BH2026999999")).status_code == 404
    # the bids go in; past the deadline, and through the 唱标 until the record is published: sealed
    bids = []
    for bidder, price in zip(gw.world.bidders, ["11000000.00", "10800000.00", "10950000.00"], strict=True):
        one = seal(tmp_path, gw.tender, bidder, price=price)
        assert (await upload(client, bidder, one)).status_code == 201
        bids.append(one)
    await past_deadline(runtime, clock)
    await public_sees_it_sealed()
    await host_starts(runtime)
    for bidder, one in zip(gw.world.bidders, bids, strict=True):
        who = await principal(runtime, bidder.username)
        await opening.reveal_key(runtime, who, CODE, "1", file_key(one, bidder.identity))
    async with runtime.sessions() as session:
        assert (await opening.state_of_opening(session, CODE, "1")).phase == opening.CONFIRMING
    await public_sees_it_sealed()  # the last moment before the opening record
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, await principal(runtime, "agent1"), CODE, "1")
    # the record is published: the public sees the status and what it secures
    after = await seen()
    assert after["opened"] and after["status"] == "valid" and after["amount"] == "200000.00"
    assert after["tender"] == CODE and after["lot"] == "1"
    assert after["bidder"].startswith("测试bidder") and after["guarantor"].startswith("中国人民财产保险")
    page = await client.get(f"/guarantees/verify?number={number}")
    assert 'id="guarantee-status">有效</dd>' in page.text and "200,000.00" in page.text


async def test_a_guarantor_sees_only_its_own_guarantees_and_documents(runtime: Runtime, client: Any) -> None:
    gw = await make_gworld(runtime, client)
    b0 = gw.world.bidders[0]
    number = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0.code))).json()["number"]
    mine = (await client.get("/api/guarantees/mine", headers=gw.insurer.headers)).json()
    assert [g["number"] for g in mine] == [number]
    assert (await client.get("/api/guarantees/mine", headers=gw.bank.headers)).json() == []
    doc = await client.get(f"/api/guarantees/{number}/document", headers=gw.insurer.headers)
    assert doc.status_code == 200 and doc.json()["statement"]["bidder"] == b0.code
    assert (await client.get(f"/api/guarantees/{number}/document", headers=b0.headers)).status_code == 200
    other = gw.world.bidders[1]
    assert (await client.get(f"/api/guarantees/{number}/document", headers=other.headers)).status_code == 403
    assert (
        await client.get(f"/api/guarantees/{number}/document", headers=gw.bank.headers)
    ).status_code == 403
    # the tenderer only after the deadline (before it, the document would name a bidder)
    assert (
        await client.get(f"/api/guarantees/{number}/document", headers=gw.world.tenderer)
    ).status_code == 403


async def test_a_guarantor_registers_its_key_like_any_company_before_issuing(
    runtime: Runtime, client: Any
) -> None:
    gw = await make_gworld(runtime, client)
    async with runtime.transaction() as session:
        org = await session.get(Organisation, gw.bank.org_id)
        assert org is not None
        org.signing_key = None
    b0 = gw.world.bidders[0].code
    first = await issue(client, gw.bank, signed(gw, gw.bank, b0))
    assert first.status_code == 409 and first.json()["error"] == "no_signing_key"
    key = {"signing_key": public_key_to_text(gw.bank.key.public_key())}
    other = await client.put(
        f"/api/organisations/{gw.insurer.org_id}/signing-key", json=key, headers=gw.bank.headers
    )
    assert other.status_code == 403  # only its own
    done = await client.put(
        f"/api/organisations/{gw.bank.org_id}/signing-key", json=key, headers=gw.bank.headers
    )
    assert done.status_code == 200, done.text
    assert (await issue(client, gw.bank, signed(gw, gw.bank, b0))).status_code == 201
    # a bidder company cannot issue guarantees
    bidder = gw.world.bidders[1]
    refused = await client.post(
        "/api/guarantees", json={"document": signed(gw, gw.bank, b0)}, headers=bidder.headers
    )
    assert refused.status_code == 403


async def test_the_typed_document_keeps_the_signed_bytes_and_states_its_fields(
    runtime: Runtime, client: Any
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, _ = (b.code for b in gw.world.bidders)
    # a guarantor's tool builds the API's own type and signs it: the very document sign_statement writes
    typed = msgspec.convert(statement(gw, gw.insurer, b0), service.GuaranteeStatement)
    document = msgspec.to_builtins(service.sign_guarantee(typed, gw.insurer.key))
    assert document == signed(gw, gw.insurer, b0)
    issued = await issue(client, gw.insurer, document)
    assert issued.status_code == 201, issued.text
    # the server verified and kept exactly the bytes sent (canonical JSON of the document)
    assert issued.json()["document_sha256"] == hashlib.sha256(canonical_json(document)).hexdigest()
    number = issued.json()["number"]
    kept = await client.get(f"/api/guarantees/{number}/document", headers=gw.insurer.headers)
    assert kept.status_code == 200 and parse_json(kept.content) == document
    # one field more, signed: refused by the schema before the signature, the field named
    extra = await issue(client, gw.bank, signed(gw, gw.bank, b1, note="signed too"))
    assert extra.status_code == 400 and extra.json()["error"] == "invalid_request", extra.text
    assert "note" in extra.json()["detail"]
    # one field less, signed: likewise
    short = {k: v for k, v in statement(gw, gw.bank, b1).items() if k != "reference"}
    missing = await issue(client, gw.bank, sign_statement(short, gw.bank.key).to_dict())
    assert missing.status_code == 400 and "reference" in missing.json()["detail"], missing.text
    # what the schema states is refused at 400, each field named: nothing, a lower-case code, no offset
    cases = (("amount", b1, {"amount": "0.00"}), ("bidder", b1.lower(), {}))
    for field, bidder, over in (*cases, ("valid_until", b1, {"valid_until": "2026-09-01T00:00:00"})):
        refused = await issue(client, gw.bank, signed(gw, gw.bank, bidder, **over))
        assert refused.status_code == 400, (field, refused.text)
        assert refused.json()["fields"][0]["key"].endswith(field), refused.text
    # a field altered after signing: the signature no longer verifies
    good = signed(gw, gw.bank, b1)
    altered = {**good, "statement": {**good["statement"], "reference": "REF-OTHER"}}
    broken = await issue(client, gw.bank, altered)
    assert broken.status_code == 422 and broken.json()["error"] == "bad_signature", broken.text
    assert (await issue(client, gw.bank, good)).status_code == 201


async def test_numbers_are_unguessable_and_a_made_up_one_is_a_404_that_says_nothing(
    runtime: Runtime, client: Any
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, _ = (b.code for b in gw.world.bidders)
    first = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0))).json()["number"]
    second = (await issue(client, gw.bank, signed(gw, gw.bank, b1))).json()["number"]
    async with runtime.sessions() as session:
        ids = {g.number: g.id for g in await session.scalars(select(Guarantee))}
    assert first != second and set(ids) == {first, second}
    pattern = re.compile(rf"BH{gw.deadline.year}[{NUMBER_ALPHABET}]{{{NUMBER_LENGTH}}}")
    for number in (first, second):
        assert pattern.fullmatch(number), number
        # nothing in it follows the row id (the old numbers were the zero-padded id)
        assert f"{ids[number]:06d}" not in number
    # the next number is no function of the last: a thousand fresh ones never repeat
    assert len({new_number(2026) for _ in range(1000)}) == 1000
    # a made-up number of the right shape: 404, and the answer says only that it is not found
    made_up = new_number(gw.deadline.year)
    api = await client.get(f"/api/guarantees/{made_up}")
    assert api.status_code == 404 and api.json()["error"] == "unknown_guarantee"
    assert set(api.json()) <= {"error", "detail", "status_code"}
    page = await client.get(f"/guarantees/verify?number={made_up}")
    assert page.status_code == 404 and 'id="guarantee-missing"' in page.text
    assert 'id="guarantee"' not in page.text and 'id="guarantee-sealed"' not in page.text
    for secret in (first, second, CODE, "中国人民财产保险", "吉林银行", "200,000.00"):
        assert secret not in page.text and secret not in api.text
    # a genuine number still verifies, typed in lower case too
    assert (await client.get(f"/api/guarantees/{first.lower()}")).json()["number"] == first
    found = await client.get(f"/guarantees/verify?number={first.lower()}")
    assert found.status_code == 200 and 'id="guarantee-sealed"' in found.text
