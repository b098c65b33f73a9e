"""Custodians reveal their shares after the window; k shares are combined, checked against the
published opening recipient, and open what the bidders did not."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bidding import events
from bidding.common import tender_by_code
from bidding.custodians import require_share_holder
from bidding.events import CUSTODY_MISMATCH, CUSTODY_SHARE_REVEALED
from bidding.lifecycle import State
from bidding.models import Lot, Opening, OpeningBid, Tender
from bidding.opening.common import CUSTODY, QUEUED, NotOpen, _bid_rows, _fail_bid, _openings, room_name
from bidding.opening.decryption import decrypt_bid, header_of
from bidding.opening.keys import _record_opened
from bidding.opening.record import _announce
from bidding.opening.views import ShareRevealed
from core import rooms
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.roles import Role
from core.runtime import Runtime
from crypto.age import AgeError, X25519Identity
from crypto.age.errors import NoMatchingIdentity, WrongFileKey
from crypto.age.recipients import unwrap_header
from crypto.shamir import ShamirError, Share, combine


async def reveal_share(runtime: Runtime, principal: Principal, code: str, share_text: str) -> ShareRevealed:
    """A custodian reveals its share; at k shares the opening key is combined, checked, and used."""
    if Role.CUSTODIAN not in principal.roles:
        raise PermissionDenied("只有密钥保管人可以提交分片 (only custodians reveal shares)")
    try:
        share = Share.from_str(share_text)
    except ShamirError as exc:
        raise InvalidInput(f"分片格式无效 (not a valid share): {exc}", code="bad_share") from None
    async with runtime.transaction() as session:
        tender = await tender_by_code(session, code)
        if runtime.clock.now() < as_utc(tender.bid_deadline) or tender.state != State.OPENING:
            raise NotOpen("投标截止前不接受分片 (no share is accepted before the deadline)")
        custody = tender.custody or {}
        threshold = int(custody.get("threshold") or 0)
        indexes = {int(c["index"]) for c in custody.get("custodians", [])}
        if threshold < 2:
            raise Conflict("本项目没有密钥保管人 (this tender has no custodians)", code="no_custody")
        if share.threshold != threshold or share.index not in indexes:
            raise InvalidInput(
                "分片不属于本项目的密钥仪式 (the share is not from this tender's ceremony)", code="bad_share"
            )
        await require_share_holder(session, tender, principal, share.index)
        openings = [o for o in await _openings(session, tender.id) if o.phase == CUSTODY]
        if not openings:
            raise Conflict("当前不在保管人开启阶段 (custodians are not called for now)", code="not_custody")
        have: dict[int, str] = {}
        for text in openings[0].shares:
            have[Share.from_str(text).index] = text
        have[share.index] = share.to_str()
        for opening in openings:
            opening.shares = sorted(have.values())
        await runtime.audit.append(
            session,
            CUSTODY_SHARE_REVEALED,
            actor=principal.actor,
            subject=f"tender:{tender.code}",
            data={"index": share.index, "have": len(have), "threshold": threshold},
        )
        for opening in openings:
            lot = await session.get(Lot, opening.lot_id)
            assert lot is not None
            await rooms.append(
                session,
                runtime.clock,
                room_name(tender.code, lot.number),
                "custody.share",
                events.CustodyShare(have=len(have), threshold=threshold),
            )
        if len(have) < threshold:
            return ShareRevealed(have=len(have), threshold=threshold, combined=False)
        secret = combine([Share.from_str(t) for t in have.values()])
        try:
            identity = X25519Identity(X25519PrivateKey.from_private_bytes(secret))
        except ValueError:
            identity = None
        matches = identity is not None and identity.recipient().to_str() == tender.opening_recipient
        for opening in openings:
            opening.shares = []  # the key lives in memory only, never stored; a bad set starts over
        if not matches:
            await runtime.audit.append(session, CUSTODY_MISMATCH, subject=f"tender:{tender.code}")
            for opening in openings:
                lot = await session.get(Lot, opening.lot_id)
                assert lot is not None
                await rooms.append(
                    session,
                    runtime.clock,
                    room_name(tender.code, lot.number),
                    "custody.mismatch",
                    events.CustodyMismatch(),
                )
        opening_ids = [o.id for o in openings]
    if identity is None or not matches:
        raise InvalidInput(
            "合成的开标私钥与公布的开标公钥不符，分片已清空，请重新提交 "
            "(the combined key does not match the opening recipient; shares were cleared, reveal again)",
            code="custody_mismatch",
        )
    opened = 0
    for opening_id in opening_ids:
        opened += await _open_with_identity(runtime, tender, opening_id, identity)
    async with runtime.transaction() as session:
        for opening_id in opening_ids:
            row = await session.get(Opening, opening_id)
            assert row is not None
            await _announce(session, runtime, row)
    return ShareRevealed(have=len(have), threshold=threshold, combined=True, opened=opened)


async def _open_with_identity(
    runtime: Runtime, tender: Tender, opening_id: int, identity: X25519Identity
) -> int:
    async with runtime.sessions() as session:
        opening = await session.get(Opening, opening_id)
        assert opening is not None
        lot = await session.get(Lot, opening.lot_id)
        assert lot is not None
        pending = [(b.id, s) for b, s, _o in await _bid_rows(session, opening) if b.outcome == QUEUED]
    opened = 0
    for bid_id, sub in pending:
        try:
            header = await header_of(runtime, sub.blob_key)
            file_key = unwrap_header(header, [identity])
            result = await decrypt_bid(runtime, tender, lot, sub, file_key)
        except (NoMatchingIdentity, WrongFileKey) as exc:
            await _fail_one(
                runtime, tender, lot, bid_id, fault=True, reason=f"开标密钥无法解开投标文件: {exc}"
            )
            continue
        except (AgeError, OSError, KeyError) as exc:
            await _fail_one(runtime, tender, lot, bid_id, fault=True, reason=f"投标文件无法解密: {exc}")
            continue
        await _record_opened(runtime, tender, lot, opening, sub, bid_id, result, file_key, "custodians", None)
        opened += 1
    return opened


async def _fail_one(
    runtime: Runtime, tender: Tender, lot: Lot, bid_id: int, *, fault: bool, reason: str
) -> None:
    async with runtime.transaction() as session:
        bid = await session.get(OpeningBid, bid_id)
        assert bid is not None
        await _fail_bid(session, runtime, tender, lot, bid, fault=fault, reason=reason)
