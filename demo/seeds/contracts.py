"""Demo data: the demo's awarded tender (JLGGZY-2026-007, demo/seeds/bidding.py) has its contract signed by
both parties with their registered keys one and two days after the award notice (about a week ago, so
the deposits' refund, due 5 days after the signing, is late: the red warning), with milestones (one
met, two ahead) and its publications, so the public contracts page, the OCDS record and the signing-time
statistics show one. The winner signs with the key its demo identity derives (demo/opening.py); the
tenderer's key is derived from the seed and registered if the tenderer has none. Idempotent."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from bidding.models import Notice, Tender
from contracts import hooks
from contracts.common import document_of, publish_snapshot
from contracts.models import Contract, Milestone
from contracts.rules import Status, document_digest, signing_due, signing_message
from core.clock import CENTRE_TZ, as_utc
from core.models import Organisation, User
from core.runtime import Runtime
from crypto.signing import public_key_to_text, signing_key_from_identity
from demo.opening import load_identity

AWARDED_TENDER = "JLGGZY-2026-007"
# Days after the award notice (about 9 days before seeding: demo/seeds/bidding.py) each party signs: the
# contract is signed about 7 days ago, its deposits' refund (Art. 57, 5 days) about 2 days late.
TENDERER_SIGNS, SUPPLIER_SIGNS = 1, 2
MILESTONES = (  # (title, days after the award notice it is due, met)
    ("施工单位进场、路灯基础施工", 8, True),
    ("LED灯具更换及智能控制系统安装", 60, False),
    ("竣工验收及节能效果评估", 120, False),
)


def _tenderer_key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"sunbid-demo-tenderer:{seed}".encode()).digest()
    )


def _sign(key: Ed25519PrivateKey, digest: str) -> str:
    return base64.b64encode(key.sign(signing_message(digest))).decode("ascii")


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    async with runtime.transaction() as session:
        tender = await session.scalar(select(Tender).where(Tender.code == AWARDED_TENDER))
        if tender is None or await session.scalar(
            select(Contract.id).where(Contract.tender_code == tender.code)
        ):
            return {"contracts": 0}
        notice = await session.scalar(
            select(Notice).where(Notice.tender_id == tender.id, Notice.kind == "award").order_by(Notice.id)
        )
        awards = (notice.data or {}).get("awards") if notice is not None else None
        if notice is None or not awards:
            return {"contracts": 0}
        award = awards[0]
        supplier = await session.scalar(
            select(Organisation).where(Organisation.credit_code == award["bidder"]["credit_code"])
        )
        buyer = await session.get(Organisation, tender.tenderer_id)
        if supplier is None or buyer is None:
            return {"contracts": 0}
        username = await session.scalar(
            select(User.username).where(User.organisation_id == supplier.id).limit(1)
        )
        identity = load_identity(runtime, username) if username else None
        if identity is None:
            return {"contracts": 0}
        supplier_key = signing_key_from_identity(identity)
        buyer_key = _tenderer_key(seed)
        buyer_text = public_key_to_text(buyer_key.public_key())
        if buyer.signing_key is None:
            buyer.signing_key = buyer_text
        if buyer.signing_key != buyer_text or supplier.signing_key != public_key_to_text(
            supplier_key.public_key()
        ):
            return {"contracts": 0}  # keys registered outside the demo: it cannot sign for them
        awarded_at = as_utc(notice.published_at)
        amount = Decimal(str(award["price"])).quantize(Decimal("0.01"))
        row = Contract(
            tender_code=tender.code, lot_number=str(award.get("lot", "1")), tenderer_id=buyer.id,
            supplier_id=supplier.id, candidate_rank=1, amount=amount,
            performance_bond=(amount * Decimal("0.05")).quantize(Decimal("0.01")),
            terms="工期150日历天；质保期2年；按月计量，按节点支付至合同价的80%，竣工验收后支付至97%。",
            publish_document=True, award_notice_id=notice.id, awarded_at=awarded_at,
            due_at=signing_due(awarded_at), document={}, digest="", status=Status.PENDING,
            created_at=awarded_at,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        row.document = await document_of(session, row)
        row.digest = document_digest(row.document)
        row.tenderer_signature, row.tenderer_key = _sign(buyer_key, row.digest), buyer_text
        row.tenderer_signed_at = awarded_at + timedelta(days=TENDERER_SIGNS)
        row.supplier_signature, row.supplier_key = _sign(supplier_key, row.digest), supplier.signing_key
        row.supplier_signed_at = row.signed_at = awarded_at + timedelta(days=SUPPLIER_SIGNS)
        row.status = Status.SIGNED
        await publish_snapshot(session, runtime, row)
        # as signing does (contracts/hooks.py): the lot's deposits fall due 5 days after this signing
        await hooks.after_signed(session, runtime, row)
        awarded_day = awarded_at.astimezone(CENTRE_TZ).date()
        for title, days, met in MILESTONES:
            due = awarded_day + timedelta(days=days)
            session.add(
                Milestone(
                    contract_id=row.id, title=title, description="", due_on=due,
                    met_on=due - timedelta(days=1) if met else None, recorded_at=row.signed_at,
                )
            )  # fmt: skip
        await session.flush()
        await publish_snapshot(session, runtime, row)
    return {"contracts": 1, "milestones": len(MILESTONES)}
