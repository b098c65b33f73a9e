"""bidding's JSON API. Public: tenders, notices (+ Atom), the receipt key. Owners: drafts, publishing,
amendments, documents. Bidders: registration, sealed upload, withdrawal, receipts. Supervisors: who bid.

Sealed upload (one request, so a retry is one request too):

    PUT /api/tenders/{code}/lots/{lot}/submissions/{submission_id}
    X-Sunbid-Manifest: base64url(canonical JSON of the signed bid manifest)
    Content-Length: <envelope length>
    <the age file as the raw body>

201 with the receipt bundle when stored, 200 with the same bundle for a retry of a stored id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from litestar import Response, get, post, put
from litestar.exceptions import InternalServerException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream
from sqlalchemy import select

from bidding import (
    bid_form,
    custodians_api,
    documents,
    inputs,
    opening_api,
    registration,
    submissions,
    tenders,
)
from bidding import notices as notice_service
from bidding.common import lot_of, lots_of, visible_tender
from bidding.envelope import TooLarge
from bidding.models import Lot, OpeningBid, Tender
from bidding.views import notice_json, registration_json, submission_json, tender_json
from core.access import PUBLIC, Caller, Viewer, allow
from core.errors import Conflict, InvalidInput
from core.paging import Paging
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest
from crypto.signing import SignedStatement, SigningError, public_key_to_text

OWNERS = (Role.AGENT, Role.TENDERER)
MIB = 1024 * 1024


@dataclass
class AmendBody:
    title: str
    body: str
    bid_deadline: datetime | None = None


@dataclass
class CancelBody:
    reason: str


class UploadInterrupted(InvalidInput):
    code = "upload_interrupted"


async def _tender_payload(db: Db, tender: Tender) -> dict[str, Any]:
    return tender_json(tender, await lots_of(db, tender.id), await documents.documents_of(db, tender.id))


@get("/api/tenders", opt=PUBLIC, tags=["bidding"])
async def list_tenders(
    viewer: Viewer,
    db: Db,
    paging: Paging,
    category: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    mine: FromQuery[bool] = False,
) -> dict[str, Any]:
    """Published tenders (and, for owners and supervisors, drafts), newest first."""
    found = await tenders.list_tenders(
        db,
        viewer,
        tenders.TenderFilter(category=category, region=region, state=status, query=q, mine=mine),
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [tender_json(t, await lots_of(db, t.id)) for t in found.rows]
    return {"items": items, "total": found.total, "limit": found.limit, "offset": found.offset}


@post("/api/tenders", opt=allow(*OWNERS), tags=["bidding"])
async def save_draft(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[tenders.NewTender]
) -> Response[dict[str, Any]]:
    """Create or replace a draft (idempotent by code); invisible until published."""
    tender = await tenders.save_draft(db, runtime, principal, data)
    return Response(await _tender_payload(db, tender), status_code=201)


@get("/api/tenders/{code:str}", opt=PUBLIC, tags=["bidding"])
async def tender_detail(viewer: Viewer, db: Db, code: FromPath[str]) -> dict[str, Any]:
    tender = await visible_tender(db, code, viewer)
    payload = await _tender_payload(db, tender)
    payload["notices"] = [
        notice_json(n, tender, full=False) for n in await notice_service.notices_of(db, tender.id)
    ]
    if tenders.bid_count_is_public(tender):  # from the opening on (《招标投标法》第二十二条)
        payload["bid_count"] = await tenders.bid_count(db, tender.id)
    return payload


@get(
    "/api/tenders/{code:str}/lots/{lot:str}/bid-form.schema.json",
    opt=PUBLIC,
    tags=["bidding"],
    media_type=bid_form.MEDIA_TYPE,
)
async def bid_form_schema(viewer: Viewer, db: Db, code: FromPath[str], lot: FromPath[str]) -> dict[str, Any]:
    """The lot's bid form (bid.json) as a JSON Schema (draft 2020-12): what the opening checks, what
    `sunbid bid seal` and the browser's form check before sealing. A draft's is 404 but to its owners."""
    tender = await visible_tender(db, code, viewer)
    found = await lot_of(db, tender, lot)
    return bid_form.schema_for(
        tender.form_fields,
        code=tender.code,
        lot=found.number,
        ceiling_price=found.ceiling_price,
        bond_forms=tender.bond_forms,
    )


@post("/api/tenders/{code:str}/publish", opt=allow(*OWNERS), status_code=200, tags=["bidding"])
async def publish(runtime: Rt, principal: Caller, db: Db, code: FromPath[str]) -> dict[str, Any]:
    tender = await tenders.publish(db, runtime, principal, code)
    return await _tender_payload(db, tender)


@post("/api/tenders/{code:str}/amendments", opt=allow(*OWNERS), status_code=201, tags=["bidding"])
async def amend(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[AmendBody]
) -> dict[str, Any]:
    change = tenders.Amendment(data.title, data.body, data.bid_deadline)
    tender = await tenders.amend(db, runtime, principal, code, change)
    return await _tender_payload(db, tender)


@post(
    "/api/tenders/{code:str}/cancel", opt=allow(*OWNERS, Role.SUPERVISOR), status_code=200, tags=["bidding"]
)
async def cancel(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[CancelBody]
) -> dict[str, Any]:
    tender = await tenders.cancel(db, runtime, principal, code, data.reason)
    return await _tender_payload(db, tender)


@put(
    "/api/tenders/{code:str}/documents/{name:str}",
    opt=allow(*OWNERS),
    status_code=201,
    request_max_body_size=documents.MAX_DOCUMENT_BYTES,
    tags=["bidding"],
)
async def upload_document(
    request: AnyRequest, runtime: Rt, principal: Caller, code: FromPath[str], name: FromPath[str]
) -> dict[str, Any]:
    """A tender document as the raw body (streamed to the blob store)."""
    doc = await documents.upload_document(runtime, principal, code, name, request.stream())
    return {"id": doc.id, "name": doc.name, "size": doc.size, "sha256": doc.sha256}


@get(
    "/api/tenders/{code:str}/documents/{document_id:int}",
    opt=allow(Role.BIDDER, *OWNERS, Role.SUPERVISOR),
    tags=["bidding"],
)
async def download_document(
    runtime: Rt, principal: Caller, code: FromPath[str], document_id: FromPath[int]
) -> Stream:
    """Registered bidders (and the tender's owners, supervisors); every download is logged."""
    async with runtime.transaction() as session:
        doc = await registration.open_download(session, runtime, principal, code, document_id)
    reader = await runtime.blobs.open(doc.blob_key)
    return Stream(
        reader,
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(reader.size),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.name, safe='')}",
            "X-Content-SHA256": doc.sha256,
        },
    )


@post("/api/tenders/{code:str}/registration", opt=allow(Role.BIDDER), status_code=201, tags=["bidding"])
async def register(runtime: Rt, principal: Caller, db: Db, code: FromPath[str]) -> dict[str, Any]:
    """Sign the caller's company up (the credit gate applies); idempotent."""
    done = await registration.register(db, runtime, principal, code)
    tender = await visible_tender(db, code, principal)
    return registration_json(done, tender)


@put(
    "/api/tenders/{code:str}/lots/{lot:str}/submissions/{submission_id:str}",
    opt=allow(Role.BIDDER),
    request_max_body_size=inputs.MAX_ENVELOPE_MIB
    * MIB,  # each tender's own limit is enforced while streaming
    tags=["bidding"],
)
async def upload_sealed_bid(
    request: AnyRequest,
    runtime: Rt,
    principal: Caller,
    code: FromPath[str],
    lot: FromPath[str],
    submission_id: FromPath[str],
) -> Response[dict[str, Any]]:
    """Upload a sealed bid (raw age file body, signed manifest in X-Sunbid-Manifest); returns the receipt."""
    length = request.headers.get("content-length")
    try:
        content_length = int(length) if length is not None else None
    except ValueError:
        raise InvalidInput("Content-Length is not a number") from None
    try:
        accepted = await submissions.submit(
            runtime,
            principal,
            code,
            lot,
            submission_id,
            request.headers.get(submissions.MANIFEST_HEADER),
            request.stream(),
            content_length=content_length,
        )
    except InternalServerException as exc:  # Litestar's "client disconnected prematurely"
        raise UploadInterrupted(
            f"上传中断，未保存任何内容 (upload interrupted; nothing was kept): {exc.detail}"
        ) from None
    return Response(accepted.bundle, status_code=201 if accepted.created else 200)


@get("/api/submissions", opt=allow(Role.BIDDER), tags=["bidding"])
async def my_submissions(
    principal: Caller, db: Db, tender: FromQuery[str | None] = None
) -> list[dict[str, Any]]:
    """The caller's company's own submissions (never anyone else's)."""
    tender_id = (await visible_tender(db, tender, principal)).id if tender else None
    rows = await submissions.own_submissions(db, principal, tender_id)
    return [await _submission_payload(db, s) for s in rows]


async def _submission_payload(db: Db, submission: submissions.Submission) -> dict[str, Any]:
    tender = await db.get(Tender, submission.tender_id)
    lot = await db.get(Lot, submission.lot_id)
    assert tender is not None and lot is not None
    out = submission_json(submission, tender.code, lot.number)
    opened = await db.scalar(select(OpeningBid).where(OpeningBid.submission_id == submission.id))
    out["opening"] = (
        None  # not opened yet (or withdrawn before the deadline)
        if opened is None
        else {
            "outcome": opened.outcome,
            "price": str(opened.price) if opened.price is not None else None,
            "reason": opened.reason,
            "confirmation": opened.confirmation,
        }
    )
    return out


@get("/api/submissions/{submission_id:str}", opt=allow(Role.BIDDER), tags=["bidding"])
async def submission_status(principal: Caller, db: Db, submission_id: FromPath[str]) -> dict[str, Any]:
    """Status and receipt bundle of one of the caller's submissions (a client checks this before retrying)."""
    found = await submissions.own_submission(db, principal, submission_id)
    return {**await _submission_payload(db, found), "receipt": submissions.parse_bundle(found)}


@get("/api/submissions/{submission_id:str}/receipt", opt=allow(Role.BIDDER), tags=["bidding"])
async def receipt_file(principal: Caller, db: Db, submission_id: FromPath[str]) -> Response[bytes]:
    """The receipt bundle of one of the caller's submissions, as the file `sunbid receipt verify` reads."""
    found = await submissions.own_submission(db, principal, submission_id)
    body = json.dumps(submissions.parse_bundle(found), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    name = f"receipt-{found.submission_id}.json"
    return Response(
        body.encode(),
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@post(
    "/api/submissions/{submission_id:str}/withdrawal",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["bidding"],
)
async def withdraw(
    runtime: Rt,
    principal: Caller,
    submission_id: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> dict[str, Any]:
    """Withdraw with a signed statement (type sunbid.bid-withdrawal.v1) before the deadline."""
    try:
        signed = SignedStatement.from_dict(data)
    except SigningError as exc:
        raise InvalidInput(f"撤回声明格式错误 (malformed withdrawal): {exc}", code="bad_withdrawal") from None
    done = await submissions.withdraw(runtime, principal, submission_id, signed)
    return {"submission_id": done.submission_id, "status": done.status}


@get("/api/tenders/{code:str}/submissions", opt=allow(Role.SUPERVISOR, *OWNERS), tags=["bidding"])
async def tender_submissions(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str]
) -> list[dict[str, Any]]:
    """Who has bid: supervisors at any time; the tender's owners after the deadline."""
    tender = await visible_tender(db, code, principal)
    rows = await submissions.tender_submissions(db, runtime, principal, tender)
    out = []
    for submission, org in rows:
        lot = await db.get(Lot, submission.lot_id)
        assert lot is not None
        out.append(
            {
                **submission_json(submission, tender.code, lot.number),
                "bidder": org.credit_code,
                "bidder_name": org.name,
            }
        )
    return out


@get("/api/notices", opt=PUBLIC, tags=["bidding"])
async def list_notices(
    db: Db,
    paging: Paging,
    category: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    kind: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    q: FromQuery[str | None] = None,
) -> dict[str, Any]:
    """Published notices, newest first; filter by category, region, kind, tender status, date."""
    filters = notice_service.NoticeFilter(category, region, kind, status, since, until, q)
    found = await notice_service.list_notices(db, filters, limit=paging.limit, offset=paging.offset)
    return {
        "items": [notice_json(n, t, full=False) for n, t in found.rows],
        "total": found.total,
        "limit": found.limit,
        "offset": found.offset,
    }


@get("/api/notices/{notice_id:int}", opt=PUBLIC, tags=["bidding"])
async def notice_detail(db: Db, notice_id: FromPath[int]) -> dict[str, Any]:
    notice, tender = await notice_service.get_notice(db, notice_id)
    return notice_json(notice, tender)


@get("/api/notices/feed.atom", opt=PUBLIC, tags=["bidding"])
async def notices_feed(
    request: AnyRequest,
    runtime: Rt,
    db: Db,
    category: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    kind: FromQuery[str | None] = None,
) -> Response[str]:
    """The latest 50 notices as an Atom feed."""
    filters = notice_service.NoticeFilter(category=category, region=region, kind=kind)
    rows = (await notice_service.list_notices(db, filters, limit=50)).rows
    base = str(request.base_url).rstrip("/")
    updated = rows[0][0].published_at if rows else runtime.clock.now()
    return Response(
        notice_service.atom_feed(base, rows, updated), media_type="application/atom+xml; charset=utf-8"
    )


@get("/api/receipts/server-key", opt=PUBLIC, tags=["bidding"])
async def server_key(runtime: Rt) -> dict[str, str]:
    """The key that signs receipts (and audit checkpoints): give it to `sunbid receipt verify`."""
    return {
        "server_key": public_key_to_text(runtime.audit.signer.public_key),
        "audit_origin": runtime.audit.signer.origin,
        "verifier_key": runtime.audit.signer.verifier_key,
    }


@get("/api/tenders/{code:str}/bid-count", opt=PUBLIC, tags=["bidding"])
async def bid_count(viewer: Viewer, db: Db, code: FromPath[str]) -> dict[str, Any]:
    """How many bids a tender holds: public from the opening on, secret before (Art. 22)."""
    tender = await visible_tender(db, code, viewer)
    if not tenders.bid_count_is_public(tender):
        raise Conflict(tenders.BID_COUNT_SECRET, code="count_secret_until_opening")
    return {"tender": tender.code, "bids": await tenders.bid_count(db, tender.id)}


@get("/api/tenders/{code:str}/registrations", opt=allow(Role.SUPERVISOR), tags=["bidding"])
async def tender_registrations(principal: Caller, db: Db, code: FromPath[str]) -> dict[str, Any]:
    """Who registered and who downloaded the documents: supervisors only, at any time."""
    tender = await visible_tender(db, code, principal)
    return await tenders.registrations_and_downloads(db, tender)


ROUTE_HANDLERS = [
    list_tenders,
    save_draft,
    tender_detail,
    bid_form_schema,
    publish,
    amend,
    cancel,
    upload_document,
    download_document,
    register,
    upload_sealed_bid,
    my_submissions,
    submission_status,
    receipt_file,
    withdraw,
    tender_submissions,
    notices_feed,
    list_notices,
    notice_detail,
    server_key,
    bid_count,
    tender_registrations,
    *opening_api.ROUTE_HANDLERS,
    *custodians_api.ROUTE_HANDLERS,
]

__all__ = ["ROUTE_HANDLERS", "TooLarge"]
