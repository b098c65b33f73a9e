"""The demo's signed contract: both signatures verify under the parties' registered keys, its milestones
are not met in the future, it is public and in a valid OCDS record, and a second seed adds nothing."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from contracts.models import Contract, Milestone
from contracts.rules import document_digest, signing_message
from core.clock import CENTRE_TZ, as_utc
from core.models import Organisation
from core.runtime import Runtime
from crypto.signing import public_key_from_text
from demo import seed_demo
from demo.seeds.contracts import AWARDED_TENDER
from guarantees.models import Deposit
from guarantees.rules import refund_due
from publication.config import OcdsConfig
from tests.publication.ocds_schema import assert_valid


async def test_the_demo_contract_is_signed_public_and_valid(runtime: Runtime, client: Any) -> None:
    lines: list[str] = []
    await seed_demo(runtime, progress=lambda part, counts: lines.append(f"{part} {counts}"))
    assert "contracts {'contracts': 1, 'milestones': 3}" in lines, lines
    today = runtime.clock.now().astimezone(CENTRE_TZ).date()
    async with runtime.sessions() as session:
        (row,) = await session.scalars(select(Contract).where(Contract.tender_code == AWARDED_TENDER))
        assert row.status == "signed" and row.digest == document_digest(row.document)
        for org_id, signature in (
            (row.tenderer_id, row.tenderer_signature),
            (row.supplier_id, row.supplier_signature),
        ):
            org = await session.get(Organisation, org_id)
            assert org is not None and org.signing_key and signature
            public_key_from_text(org.signing_key).verify(
                base64.b64decode(signature), signing_message(row.digest)
            )
        assert row.signed_at is not None and as_utc(row.signed_at) <= runtime.clock.now()
        assert as_utc(row.signed_at) < as_utc(row.due_at)
        # the cash deposits on its lot fall due 5 days after this very signing (Art. 57), already past:
        # the demo's late refund warning is late by the rule, not by a date written apart
        held = list(await session.scalars(select(Deposit).where(Deposit.tender_code == AWARDED_TENDER)))
        assert len(held) == 2
        for deposit in held:
            assert deposit.status == "refund_due" and deposit.contract_signed_at is not None
            assert as_utc(deposit.contract_signed_at) == as_utc(row.signed_at)
            assert deposit.refund_due_at is not None
            assert as_utc(deposit.refund_due_at) == refund_due(as_utc(row.signed_at))
            assert as_utc(deposit.refund_due_at) < runtime.clock.now()
        milestones = list(await session.scalars(select(Milestone).where(Milestone.contract_id == row.id)))
        assert len(milestones) == 3 and all(m.met_on is None or m.met_on <= today for m in milestones)
    public = (await client.get("/api/contracts/public")).json()
    assert [p["tender"] for p in public] == [AWARDED_TENDER]
    ocid = OcdsConfig.from_settings(runtime.settings).ocid(AWARDED_TENDER)
    record = await client.get(f"/api/ocds/records/{ocid}")
    assert record.status_code == 200, record.text
    assert_valid(record.json())
    compiled = record.json()["records"][0]["compiledRelease"]
    assert [m["status"] for m in compiled["contracts"][0]["implementation"]["milestones"]] == [
        "met", "scheduled", "scheduled",
    ]  # fmt: skip
    again: list[str] = []
    await seed_demo(runtime, progress=lambda part, counts: again.append(f"{part} {counts}"))
    assert "contracts {'contracts': 0}" in again
