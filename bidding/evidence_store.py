"""Evidence kept for the supervisors' integrity indicators: captured after decryption, read after the opening.

``capture_packages`` (a job, and callable directly) reads every opened bid package once — decrypted
again from the stored envelope and the revealed file key into a spooled temporary file, never kept —
and stores what ``bidding.evidence.package_evidence`` finds. ``lot_evidence`` hands integrity the
upload and package evidence of a lot's bids, and only once that lot's opening is closed: before it,
the evidence would say who bid.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from typing import Any

import anyio
import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.common import lot_of, tender_by_code
from bidding.evidence import MANAGER_KEY_PURPOSE, package_evidence
from bidding.models import (
    BidOutcome,
    Lot,
    Opening,
    OpeningBid,
    OpeningPhase,
    PackageEvidence,
    Submission,
    SubmissionEvidence,
    Tender,
)
from bidding.opening.decryption import decrypt_into
from core.errors import Conflict, NotFound
from core.models import User
from core.runtime import Runtime
from crypto.age import AgeError

CAPTURE_BATCH = 20
SPOOL = 8 << 20  # packages up to this size stay in memory while they are read


async def _capture_one(runtime: Runtime, bid_id: int, blob_key: str, file_key: bytes) -> PackageEvidence:
    manager_key = runtime.settings.signing_key(MANAGER_KEY_PURPOSE)
    row = PackageEvidence(opening_bid_id=bid_id, captured_at=runtime.clock.now(), files=[], text="")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL, prefix="sunbid-evidence-") as spool:
        try:
            await decrypt_into(runtime, blob_key, file_key, spool)
            spool.seek(0)
            found = await anyio.to_thread.run_sync(package_evidence, spool, manager_key)
        except (AgeError, zipfile.BadZipFile, OSError, ValueError) as exc:
            row.problems = f"package: {type(exc).__name__}"
            return row
    row.files = msgspec.to_builtins(found.files)  # omit_defaults: a file without metadata has none
    row.text = found.text
    row.manager_id = found.manager_id.get("key")
    row.manager_id_tail = found.manager_id.get("tail")
    row.problems = "; ".join(found.problems) or None
    return row


async def capture_packages(
    runtime: Runtime, *, limit: int | None = CAPTURE_BATCH, lot: tuple[str, str] | None = None
) -> int:
    """Capture the evidence of up to ``limit`` opened bids that have none yet — of one lot only when
    ``lot`` is given as (tender code, lot number): integrity asks for a lot before it stores the lot's
    flags, so they never miss evidence the job has not read yet. How many were captured."""
    query = (
        select(OpeningBid.id, Submission.blob_key, OpeningBid.file_key)
        .join(Submission, Submission.id == OpeningBid.submission_id)
        .outerjoin(PackageEvidence, PackageEvidence.opening_bid_id == OpeningBid.id)
        .where(
            OpeningBid.outcome.in_((BidOutcome.OPENED, BidOutcome.REJECTED)),
            OpeningBid.file_key.is_not(None),
            PackageEvidence.id.is_(None),
        )
        .order_by(OpeningBid.id)
        .limit(limit)
    )
    if lot is not None:
        query = (
            query.join(Opening, Opening.id == OpeningBid.opening_id)
            .join(Tender, Tender.id == Opening.tender_id)
            .join(Lot, Lot.id == Opening.lot_id)
            .where(Tender.code == lot[0], Lot.number == lot[1])
        )
    async with runtime.sessions() as session:
        pending = list(await session.execute(query))
    done = 0
    for bid_id, blob_key, file_key in pending:
        assert file_key is not None  # selected so
        row = await _capture_one(runtime, bid_id, blob_key, file_key)
        async with runtime.transaction() as session:
            taken = await session.scalar(
                select(PackageEvidence.id).where(PackageEvidence.opening_bid_id == bid_id)
            )
            if taken is None:  # another process may have captured it meanwhile
                session.add(row)
                done += 1
    return done


@dataclass(frozen=True)
class BidEvidence:
    """One opened bid's evidence, as integrity reads it (keyed by the submission id)."""

    submission_id: str
    uploader: str | None  # the uploading account's username
    client_ip: str | None
    user_agent: str | None
    device: str | None
    files: tuple[dict[str, Any], ...]
    text: str
    manager_id: str | None
    manager_id_tail: str | None


async def lot_evidence(session: AsyncSession, tender_code: str, lot_number: str) -> dict[str, BidEvidence]:
    """The evidence of every bid of a lot whose opening is closed (Conflict before: it would tell who bid)."""
    tender = await tender_by_code(session, tender_code)
    lot = await lot_of(session, tender, lot_number)
    opening = await session.scalar(select(Opening).where(Opening.lot_id == lot.id))
    if opening is None:
        raise NotFound("该标段尚未开标 (this lot has not been opened)", code="not_opened")
    if opening.phase != OpeningPhase.CLOSED:
        raise Conflict("开标尚未完成 (the opening is not complete)", code="opening_incomplete")
    rows = await session.execute(
        select(Submission.submission_id, SubmissionEvidence, User.username, PackageEvidence)
        .join(OpeningBid, OpeningBid.submission_id == Submission.id)
        .outerjoin(SubmissionEvidence, SubmissionEvidence.submission_id == Submission.id)
        .outerjoin(User, User.id == SubmissionEvidence.uploader_id)
        .outerjoin(PackageEvidence, PackageEvidence.opening_bid_id == OpeningBid.id)
        .where(OpeningBid.opening_id == opening.id)
    )
    out = {}
    for submission_id, source, username, package in rows:
        out[submission_id] = BidEvidence(
            submission_id=submission_id,
            uploader=username,
            client_ip=source.client_ip if source else None,
            user_agent=source.user_agent if source else None,
            device=source.device if source else None,
            files=tuple(package.files) if package else (),
            text=package.text if package else "",
            manager_id=package.manager_id if package else None,
            manager_id_tail=package.manager_id_tail if package else None,
        )
    return out
