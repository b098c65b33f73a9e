"""Sealed submission: stream the envelope to a staging key, verify it, then commit before the deadline.

Order of work for one upload (see ``submit``):

1. a short transaction checks the manifest (bidder's Ed25519 signature, tender, lot, company,
   submission id), registration and the deadline, and records the staging key;
2. the body streams into the blob store through ``EnvelopeCheck`` (size limit, age header);
3. the stored SHA-256 and length must equal the manifest's;
4. the committing transaction locks the tender row, reads the server clock, and only then inserts
   the submission, its audit entry and its receipt. Late: the blob is deleted and nothing is kept.

Retrying the same submission id returns the stored receipt; ``supersedes`` replaces an active bid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.common import SUBMISSION_ID, is_owner, lock_tender, lot_of, moment_of, visible_tender
from bidding.envelope import EnvelopeCheck, TooLarge
from bidding.events import BID_SUBMITTED, BID_WITHDRAWN
from bidding.evidence import DEVICE_KEY_PURPOSE, USER_AGENT_LIMIT, device_key
from bidding.models import Lot, StagedUpload, Submission, SubmissionEvidence, SubmissionStatus, Tender
from bidding.preconditions import DeadlinePassed as DeadlinePassed  # where callers have caught it
from bidding.preconditions import require_accepting_bids, require_registered
from bidding.receipts import make_bundle, sealed_value
from bidding.registration import bidder_org
from bidding.views import WithdrawalStatement
from core.accounts import Principal
from core.audit import seal
from core.db import is_unique_violation
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import (
    BidManifest,
    Receipt,
    SignedStatement,
    SigningError,
    canonical_json,
    public_key_from_text,
    sign_statement,
    utc_timestamp,
    verify_manifest,
    verify_statement,
)

MANIFEST_HEADER = "X-Sunbid-Manifest"
WITHDRAWAL_TYPE = "sunbid.bid-withdrawal.v1"
ACTIVE = SubmissionStatus.ACTIVE
SUPERSEDED = SubmissionStatus.SUPERSEDED
WITHDRAWN = SubmissionStatus.WITHDRAWN


@dataclass(frozen=True)
class UploadSource:
    """Where an upload came from, kept for the supervisors' indicators (see bidding/evidence.py)."""

    client_ip: str
    user_agent: str
    device_digest: str | None  # the client's SHA-256 of its device description (hex), if it sent one


@dataclass(frozen=True)
class Accepted:
    bundle: dict[str, Any]
    created: bool
    submission: Submission


def decode_manifest(header: str | None) -> SignedStatement:
    """The X-Sunbid-Manifest header: base64url (padding optional) of the signed manifest's JSON."""
    if not header:
        raise InvalidInput(
            f"缺少 {MANIFEST_HEADER} 头 (the signed manifest header is missing)", code="manifest_missing"
        )
    try:
        raw = base64.urlsafe_b64decode(header.strip() + "=" * (-len(header.strip()) % 4))
        return SignedStatement.from_json(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            f"投标清单无法解析 (manifest cannot be read): {exc}", code="bad_manifest"
        ) from None


def encode_manifest(signed: SignedStatement) -> str:
    return base64.urlsafe_b64encode(signed.to_json()).decode().rstrip("=")


def _verified(signed: SignedStatement, org: Organisation) -> BidManifest:
    if not org.signing_key:
        raise InvalidInput(
            "你单位尚未登记投标签名公钥 (register your company's signing key first)", code="no_signing_key"
        )
    try:
        return verify_manifest(signed, public_key_from_text(org.signing_key))
    except SigningError as exc:
        raise InvalidInput(
            f"投标清单签名无效 (manifest signature invalid): {exc}", code="bad_signature"
        ) from None


def _check_matches(
    manifest: BidManifest, tender: Tender, lot: Lot, org: Organisation, submission_id: str
) -> None:
    mismatches = [
        name
        for name, ok in (
            ("tender", manifest.tender == tender.code),
            ("lot", manifest.lot == lot.number),
            ("bidder", manifest.bidder == org.credit_code),
            ("submission_id", manifest.submission_id == submission_id),
        )
        if not ok
    ]
    if mismatches:
        raise InvalidInput(
            f"投标清单与请求不符 (manifest does not match the request): {', '.join(mismatches)}",
            code="manifest_mismatch",
        )


async def _existing(
    session: AsyncSession, submission_id: str, org_id: int, manifest_sha: str
) -> Submission | None:
    """The committed submission with this id, if it is this very manifest (an idempotent retry)."""
    found = await session.scalar(select(Submission).where(Submission.submission_id == submission_id))
    if found is None:
        return None
    if found.organisation_id != org_id or found.manifest_sha256 != manifest_sha:
        raise _id_taken()
    return found


def _id_taken() -> Conflict:
    return Conflict("该投标编号已被使用 (this submission id is already used)", code="submission_id_taken")


async def _replaced(
    session: AsyncSession, manifest: BidManifest, org_id: int, lot_id: int
) -> Submission | None:
    if manifest.supersedes is None:
        return None
    previous = await session.scalar(select(Submission).where(Submission.submission_id == manifest.supersedes))
    if previous is None or previous.organisation_id != org_id or previous.lot_id != lot_id:
        raise Conflict(
            f"要替换的投标 {manifest.supersedes} 不存在 (nothing to supersede)", code="bad_supersedes"
        )
    if previous.status != ACTIVE:
        raise Conflict(f"投标 {manifest.supersedes} 已被替换或撤回 (no longer active)", code="bad_supersedes")
    return previous


async def _forget(runtime: Runtime, key: str) -> None:
    """Remove a staged upload that will never be committed: blob first, then the staging row."""
    await runtime.blobs.delete(key)
    async with runtime.transaction() as session:
        await session.execute(delete(StagedUpload).where(StagedUpload.blob_key == key))


@dataclass(frozen=True)
class _Staged:
    key: str
    ids: tuple[int, int, int]  # tender, lot, organisation
    limit: int


async def _prepare(
    runtime: Runtime,
    principal: Principal,
    code: str,
    lot_number: str,
    submission_id: str,
    signed: SignedStatement,
    content_length: int | None,
) -> tuple[BidManifest, Accepted | _Staged]:
    """Every check that needs no body; records the staging key. A stored id comes back as Accepted."""
    async with runtime.transaction() as session:
        org = await bidder_org(session, principal)
        tender = await visible_tender(session, code, principal)
        lot = await lot_of(session, tender, lot_number)
        manifest = _verified(signed, org)
        _check_matches(manifest, tender, lot, org, submission_id)
        existing = await _existing(session, submission_id, org.id, manifest.canonical_hash())
        if existing is not None:
            return manifest, Accepted(parse_bundle(existing), False, existing)
        await require_registered(session, tender.id, org.id)
        now = runtime.clock.now()
        require_accepting_bids(moment_of(tender, now))  # checked again under the lock in _commit
        if manifest.envelope_length > tender.max_envelope_bytes:
            raise TooLarge(
                f"投标文件超过本项目上限 {tender.max_envelope_bytes // (1024 * 1024)} MiB "
                "(sealed bid larger than this tender's limit)"
            )
        if content_length is not None and content_length != manifest.envelope_length:
            raise InvalidInput(
                "上传长度与清单不符 (Content-Length differs from the manifest)", code="length_mismatch"
            )
        await _replaced(session, manifest, org.id, lot.id)
        key = f"bids/{tender.code}/{lot.number}/{submission_id}/{secrets.token_hex(8)}.age"
        session.add(StagedUpload(blob_key=key, created_at=now))
        return manifest, _Staged(key, (tender.id, lot.id, org.id), tender.max_envelope_bytes)


async def submit(
    runtime: Runtime,
    principal: Principal,
    code: str,
    lot_number: str,
    submission_id: str,
    manifest_header: str | None,
    body: AsyncIterable[bytes],
    *,
    content_length: int | None = None,
    source: UploadSource | None = None,
) -> Accepted:
    if not SUBMISSION_ID.match(submission_id):
        raise InvalidInput("投标编号须为8-64位字母数字或 . _ - (submission id)", code="bad_submission_id")
    signed = decode_manifest(manifest_header)
    manifest, prepared = await _prepare(
        runtime, principal, code, lot_number, submission_id, signed, content_length
    )
    if isinstance(prepared, Accepted):
        # A retry of a stored bid returns the same receipt, if it carries the same bytes. (The client
        # asks GET /api/submissions/{id} first, so it rarely sends the body again.)
        if not await _same_envelope(body, manifest):
            raise Conflict(
                f"投标编号 {submission_id} 已用于另一份投标文件 (submission id {submission_id} is already "
                "stored with different bytes: seal the new file under a new id)",
                code="submission_bytes_differ",
            )
        return prepared
    key = prepared.key
    check = EnvelopeCheck(limit=prepared.limit, expected_length=manifest.envelope_length)
    try:
        info = await runtime.blobs.put(key, check.wrap(body))
        check.finish()
        if info.size != manifest.envelope_length or info.sha256 != manifest.envelope_sha256:
            raise InvalidInput(
                "上传内容的 SHA-256 或长度与清单不符 "
                "(the envelope's SHA-256 or length differs from the manifest)",
                code="envelope_mismatch",
            )
    except BaseException:
        # Nothing references the key yet, so it can go at once (shielded: also when cancelled).
        with anyio.CancelScope(shield=True):
            await _forget(runtime, key)
        raise
    assert check.header is not None  # ``finish`` refused an envelope without one
    try:
        return await _commit(runtime, principal, signed, manifest, prepared.ids, key, check.header, source)
    except DomainError:
        await _forget(runtime, key)  # rejected inside the transaction, so certainly not committed
        raise


async def _same_envelope(body: AsyncIterable[bytes], manifest: BidManifest) -> bool:
    """Whether ``body`` is the envelope the manifest names (read to the end, or until it is too long)."""
    digest, size = hashlib.sha256(), 0
    async for chunk in body:
        size += len(chunk)
        if size > manifest.envelope_length:
            return False
        digest.update(chunk)
    return (size, digest.hexdigest()) == (manifest.envelope_length, manifest.envelope_sha256)


async def _commit(
    runtime: Runtime,
    principal: Principal,
    signed: SignedStatement,
    manifest: BidManifest,
    ids: tuple[int, int, int],
    key: str,
    header: bytes,
    source: UploadSource | None = None,
) -> Accepted:
    tender_id, _, org_id = ids
    try:
        async with runtime.transaction() as session:
            # The clock is read only once the lock is held: the opening cannot interleave.
            moment = await lock_tender(session, tender_id, runtime.clock)
            require_accepting_bids(
                moment,
                "投标截止时间已过，本次上传未被接收 (the deadline passed before the upload was committed)",
            )
            existing = await _existing(session, manifest.submission_id, org_id, manifest.canonical_hash())
            if existing is not None:  # a concurrent retry won: keep its receipt, drop our copy
                await session.execute(delete(StagedUpload).where(StagedUpload.blob_key == key))
                accepted = Accepted(parse_bundle(existing), False, existing)
            else:
                accepted = await _insert(
                    session, runtime, principal, signed, manifest, ids, key, header, moment.now
                )
                if source is not None:
                    _record_source(session, runtime, principal, accepted.submission, source)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        # The same id committed for another tender at this moment (the lock is per tender).
        raise _id_taken() from None
    if not accepted.created:
        await runtime.blobs.delete(key)
    return accepted


async def _insert(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    signed: SignedStatement,
    manifest: BidManifest,
    ids: tuple[int, int, int],
    key: str,
    header: bytes,
    now: Any,
) -> Accepted:
    tender_id, lot_id, org_id = ids
    previous = await _replaced(session, manifest, org_id, lot_id)
    if previous is not None:
        previous.status = SUPERSEDED
    salt = secrets.token_bytes(16)
    # Public before the deadline: only a commitment to who bid where, and the envelope's hash.
    appended = await runtime.audit.append(
        session,
        BID_SUBMITTED,
        data={"sealed": seal(sealed_value(manifest), salt), "envelope_sha256": manifest.envelope_sha256},
        at=now,  # the instant the deadline was checked at, under the tender's lock: the receipt's time
    )
    size = appended.position + 1
    receipt = Receipt(
        manifest_sha256=manifest.canonical_hash(),
        submission_id=manifest.submission_id,
        server_time=utc_timestamp(appended.created_at),
        audit_index=appended.position,
        audit_size=size,
        audit_root=appended.root.hex(),
        inclusion_proof=tuple(h.hex() for h in appended.proof),
        checkpoint=appended.checkpoint,
    )
    signed_receipt = sign_statement(receipt, runtime.audit.signer.private_key)
    bundle = make_bundle(signed_receipt, signed, appended.entry, salt)
    submission = Submission(
        submission_id=manifest.submission_id,
        tender_id=tender_id,
        lot_id=lot_id,
        organisation_id=org_id,
        user_id=principal.user_id,
        supersedes=manifest.supersedes,
        status=ACTIVE,
        blob_key=key,
        header=header,
        envelope_sha256=manifest.envelope_sha256,
        envelope_length=manifest.envelope_length,
        manifest=signed.to_json().decode(),
        manifest_sha256=manifest.canonical_hash(),
        seal_salt=salt,
        submitted_at=now,
        audit_position=appended.position,
        receipt=canonical_json(bundle).decode(),
    )
    session.add(submission)
    await session.execute(delete(StagedUpload).where(StagedUpload.blob_key == key))
    await session.flush()
    return Accepted(bundle, True, submission)


def _record_source(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    submission: Submission,
    source: UploadSource,
) -> None:
    """The upload's evidence row: the device fingerprint keyed with the one platform-wide key."""
    platform_key = runtime.settings.signing_key(DEVICE_KEY_PURPOSE)
    session.add(
        SubmissionEvidence(
            submission_id=submission.id,
            uploader_id=principal.user_id,
            client_ip=source.client_ip[:64],
            user_agent=source.user_agent[:USER_AGENT_LIMIT],
            device=device_key(platform_key, source.device_digest),
        )
    )


def parse_bundle(submission: Submission) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(submission.receipt)
    return result


# --- withdrawal --------------------------------------------------------------------------------


def withdrawal_statement(manifest: BidManifest, client_time: str) -> WithdrawalStatement:
    """The withdrawal of the bid ``manifest`` describes (the client signs its builtins)."""
    return WithdrawalStatement(
        type="sunbid.bid-withdrawal.v1",
        tender=manifest.tender,
        lot=manifest.lot,
        bidder=manifest.bidder,
        submission_id=manifest.submission_id,
        client_time=client_time,
    )


async def withdraw(
    runtime: Runtime, principal: Principal, submission_id: str, signed: SignedStatement
) -> Submission:
    """A withdrawal signed with the company's key, before the deadline; the envelope is then deleted.

    The tender's lock is taken before the submission is read, so a replacement committing at the same
    time (``_commit`` takes the same lock) is either seen here or waits; never overwritten.
    """
    async with runtime.transaction() as session:
        org = await bidder_org(session, principal)
        moment = await lock_tender(session, await _own_tender_id(session, org, submission_id), runtime.clock)
        submission = await _own(session, org, submission_id)
        tender = await session.get(Tender, submission.tender_id)
        lot = await session.get(Lot, submission.lot_id)
        assert tender is not None and lot is not None
        if not org.signing_key:
            raise InvalidInput("你单位尚未登记签名公钥 (no signing key registered)", code="no_signing_key")
        try:
            statement = verify_statement(
                signed, public_key_from_text(org.signing_key), expected_type=WITHDRAWAL_TYPE
            )
        except SigningError as exc:
            raise InvalidInput(
                f"撤回声明签名无效 (withdrawal signature invalid): {exc}", code="bad_signature"
            ) from None
        wanted = {
            "tender": tender.code,
            "lot": lot.number,
            "bidder": org.credit_code,
            "submission_id": submission_id,
        }
        if any(statement.get(k) != v for k, v in wanted.items()):
            raise InvalidInput("撤回声明与投标不符 (withdrawal names another bid)", code="manifest_mismatch")
        require_accepting_bids(moment, "投标截止后不能撤回 (no withdrawal after the deadline)")
        if submission.status == WITHDRAWN:
            return submission  # idempotent
        if submission.status != ACTIVE:
            raise Conflict(
                "该投标已被替换，不能撤回 (superseded bids cannot be withdrawn)", code="not_active"
            )
        submission.status = WITHDRAWN
        submission.withdrawn_at = moment.now
        submission.withdrawal = signed.to_json().decode()
        await runtime.audit.append(
            session,
            BID_WITHDRAWN,
            data={"sealed": seal({"withdrawn": submission_id}, submission.seal_salt)},
            at=moment.now,  # as withdrawn_at: the instant the deadline was checked at
        )
        key = submission.blob_key
    await runtime.blobs.delete(key)  # a withdrawn bid is never opened; its ciphertext need not stay
    return submission


async def _own(session: AsyncSession, org: Organisation, submission_id: str) -> Submission:
    found = await session.scalar(select(Submission).where(Submission.submission_id == submission_id))
    if found is None or found.organisation_id != org.id:
        raise _unknown(submission_id)
    return found


async def _own_tender_id(session: AsyncSession, org: Organisation, submission_id: str) -> int:
    """The tender of one of the company's submissions, read without loading the submission itself."""
    found = await session.scalar(
        select(Submission.tender_id).where(
            Submission.submission_id == submission_id, Submission.organisation_id == org.id
        )
    )
    if found is None:
        raise _unknown(submission_id)
    return found


def _unknown(submission_id: str) -> NotFound:
    return NotFound(f"投标 {submission_id} 不存在 (no such submission)", code="unknown_submission")


# --- reading -------------------------------------------------------------------------------------


async def own_submission(session: AsyncSession, principal: Principal, submission_id: str) -> Submission:
    return await _own(session, await bidder_org(session, principal), submission_id)


async def own_submissions(
    session: AsyncSession, principal: Principal, tender_id: int | None = None
) -> list[Submission]:
    org = await bidder_org(session, principal)
    query = select(Submission).where(Submission.organisation_id == org.id)
    if tender_id is not None:
        query = query.where(Submission.tender_id == tender_id)
    return list(await session.scalars(query.order_by(Submission.submitted_at.desc(), Submission.id.desc())))


async def tender_submissions(
    session: AsyncSession, runtime: Runtime, principal: Principal, tender: Tender
) -> list[tuple[Submission, Organisation]]:
    """Who has bid: supervisors always; the tender's owners only once the deadline has passed."""
    past = moment_of(tender, runtime.clock.now()).deadline_passed
    if not (Role.SUPERVISOR in principal.roles or (past and is_owner(principal, tender))):
        raise PermissionDenied(
            "投标截止前只有监管人员可以查看投标人 (only supervisors see bidders before the deadline)"
        )
    rows = await session.execute(
        select(Submission, Organisation)
        .join(Organisation, Organisation.id == Submission.organisation_id)
        .where(Submission.tender_id == tender.id)
        .order_by(Submission.submitted_at)
    )
    return [(s, o) for s, o in rows]
