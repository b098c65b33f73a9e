"""bidding's JSON API. Public: tenders, notices (+ Atom), the receipt key. Owners: drafts, publishing,
amendments, documents. Bidders: registration, sealed upload, withdrawal, receipts. Supervisors: who bid.

Sealed upload (one request, so a retry is one request too):

    PUT /api/tenders/{code}/lots/{lot}/submissions/{submission_id}
    X-Sunbid-Manifest: base64url(canonical JSON of the signed bid manifest)
    X-Sunbid-Device: SHA-256 (hex) of the sealing device's description (optional; see bidding/evidence.py)
    Content-Length: <envelope length>
    <the age file as the raw body>

201 with the receipt bundle when stored, 200 with the same bundle for a retry of a stored id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Response, get, post, put
from litestar.exceptions import InternalServerException
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, Parameter, QueryParameter
from litestar.response import Stream
from sqlalchemy import select

from bidding import (
    bid_form,
    custodians_api,
    documents,
    inputs,
    opening_api,
    registration,
    review_api,
    submissions,
    tenders,
)
from bidding import notices as notice_service
from bidding.common import lot_of, lots_of, visible_tender
from bidding.envelope import TooLarge
from bidding.evidence import DEVICE_HEADER
from bidding.inputs import Category
from bidding.lifecycle import State
from bidding.models import BidOutcome, Lot, OpeningBid, Tender
from bidding.notices import NoticeKind
from bidding.params import (
    LotParam,
    RegionQuery,
    SearchText,
    SubmissionIdParam,
    TenderCodeParam,
    TenderCodeQuery,
    raw_upload,
)
from bidding.views import (
    BidCount,
    DocumentOut,
    NoticeOut,
    NoticeSummary,
    OpeningResult,
    OwnSubmission,
    OwnSubmissionStatus,
    ReceiptBundle,
    RegistrationOut,
    RegistrationsAndDownloads,
    ServerKey,
    SignedWithdrawal,
    TenderDetail,
    TenderOut,
    TenderSubmission,
    Withdrawn,
    money,
    notice_summary,
    notice_view,
    registration_view,
    submission_fields,
    tender_fields,
    tender_view,
)
from core.access import PUBLIC, Caller, Viewer, allow, client_address
from core.answers import binary_answer
from core.downloads import attachment, stored_file
from core.errors import Conflict, InvalidInput
from core.paging import Listing, Paging, listing
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest
from crypto.signing import SignedStatement, SigningError, public_key_to_text

OWNERS = (Role.AGENT, Role.TENDERER)
MIB = 1024 * 1024
DocumentName = Annotated[
    str,
    Parameter(min_length=1, max_length=200, description="the document's file name, as bidders will see it"),
]
ManifestHeader = Annotated[
    str,
    HeaderParameter(
        name=submissions.MANIFEST_HEADER,
        min_length=1,
        pattern=r"^[A-Za-z0-9_-]+={0,2}$",
        description="base64url (padding optional) of the signed bid manifest's JSON "
        '(`{"statement": {"type": "sunbid.bid-manifest.v1", "tender", "lot", "bidder", "submission_id", '
        '"supersedes", "envelope_sha256", "envelope_length", "client_time"}, "signature", "key_id"}`), '
        "as `sunbid bid seal` writes it beside the envelope",
    ),
]
DeviceHeader = Annotated[
    str | None,
    HeaderParameter(
        name=DEVICE_HEADER,
        required=False,
        description="optional: SHA-256 (hex) of the sealing device's description, kept keyed for the "
        "supervisors (docs/integrity-evidence.md); a missing or malformed value never refuses the bid",
    ),
]


class CancelBody(msgspec.Struct, kw_only=True):
    reason: Annotated[str, msgspec.Meta(pattern=r"\S", description="why the tender is cancelled (终止理由)")]


class UploadInterrupted(InvalidInput):
    code = "upload_interrupted"


async def _tender_payload(db: Db, tender: Tender) -> TenderOut:
    return tender_view(tender, await lots_of(db, tender.id), await documents.documents_of(db, tender.id))


@get("/api/tenders", opt=PUBLIC, tags=["bidding"])
async def list_tenders(
    viewer: Viewer,
    db: Db,
    paging: Paging,
    category: FromQuery[Category | None] = None,
    region: RegionQuery = None,
    # text, not the State enum: a status naming no state finds nothing (tests/bidding/test_statuses.py)
    status: Annotated[
        str | None, QueryParameter(description="the tender's state: " + ", ".join(State), max_length=40)
    ] = None,
    q: SearchText = None,
    mine: FromQuery[bool] = False,
) -> Listing[TenderOut]:
    """List tenders, newest first.

    The public sees published tenders (招标项目); owners and supervisors also see drafts, and
    `mine=true` keeps an owner's own. Filter by category, region, status (the tender's state) and words.
    """
    found = await tenders.list_tenders(
        db,
        viewer,
        tenders.TenderFilter(category=category, region=region, state=status, query=q, mine=mine),
        limit=paging.limit,
        offset=paging.offset,
    )
    return listing(found, [tender_view(t, await lots_of(db, t.id)) for t in found.rows])


@post("/api/tenders", opt=allow(*OWNERS), tags=["bidding"])
async def save_draft(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[tenders.NewTender]
) -> Response[TenderOut]:
    """Create or replace a tender draft (招标项目草稿).

    Idempotent by `code`: the same code replaces the caller's draft. A draft is invisible to the
    public until `POST /api/tenders/{code}/publish`. An agent names the tenderer (`tenderer_id`); a
    tenderer drafts for itself. Amounts are decimal strings; the periods must keep the statutory minimums.
    """
    tender = await tenders.save_draft(db, runtime, principal, data)
    return Response(await _tender_payload(db, tender), status_code=201)


@get("/api/tenders/{code:str}", opt=PUBLIC, tags=["bidding"])
async def tender_detail(viewer: Viewer, db: Db, code: TenderCodeParam) -> TenderDetail:
    """One tender with its lots, documents and notices.

    `bid_count` appears from the opening on; before it the number of bids is secret
    (《招标投标法》第二十二条). A draft is 404 to everyone but its owners and supervisors.
    """
    tender = await visible_tender(db, code, viewer)
    fields = tender_fields(tender, await lots_of(db, tender.id), await documents.documents_of(db, tender.id))
    detail = TenderDetail(
        **fields,
        notices=[notice_summary(n, tender) for n in await notice_service.notices_of(db, tender.id)],
    )
    if tenders.bid_count_is_public(tender):  # from the opening on (《招标投标法》第二十二条)
        detail.bid_count = await tenders.bid_count(db, tender.id)
    return detail


@get(
    "/api/tenders/{code:str}/lots/{lot:str}/bid-form.schema.json",
    opt=PUBLIC,
    tags=["bidding"],
    media_type=bid_form.MEDIA_TYPE,
)
async def bid_form_schema(
    viewer: Viewer, db: Db, code: TenderCodeParam, lot: LotParam
) -> bid_form.BidFormSchema:
    """The lot's bid form (bid.json) as a JSON Schema.

    A JSON Schema (draft 2020-12) document: what the opening checks, and what `sunbid bid seal` and the
    browser's form check before sealing. A draft's is 404 but to its owners.
    """
    tender = await visible_tender(db, code, viewer)
    found = await lot_of(db, tender, lot)
    schema = bid_form.schema_for(
        tender.form_fields,
        code=tender.code,
        lot=found.number,
        ceiling_price=found.ceiling_price,
        bond_forms=tender.bond_forms,
    )
    return msgspec.convert(schema, bid_form.BidFormSchema)


@post("/api/tenders/{code:str}/publish", opt=allow(*OWNERS), status_code=200, tags=["bidding"])
async def publish(runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam) -> TenderOut:
    """Publish a draft: its tender notice (招标公告) goes out and registration opens.

    Idempotent: publishing a published tender returns it. The timeline is checked against the
    statutory periods (e.g. at least 20 days from notice to bid deadline for works).
    """
    tender = await tenders.publish(db, runtime, principal, code)
    return await _tender_payload(db, tender)


@post("/api/tenders/{code:str}/amendments", opt=allow(*OWNERS), status_code=201, tags=["bidding"])
async def amend(
    runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam, data: JSONBody[inputs.Amendment]
) -> TenderOut:
    """Issue an amendment notice (变更公告), optionally moving the bid deadline.

    A clarification less than 15 days before the deadline must move the deadline with it
    (《招标投标法》第二十三条).
    """
    tender = await tenders.amend(db, runtime, principal, code, data)
    return await _tender_payload(db, tender)


@post(
    "/api/tenders/{code:str}/cancel", opt=allow(*OWNERS, Role.SUPERVISOR), status_code=200, tags=["bidding"]
)
async def cancel(
    runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam, data: JSONBody[CancelBody]
) -> TenderOut:
    """Cancel a tender with a reason; a termination notice (终止公告) is published."""
    tender = await tenders.cancel(db, runtime, principal, code, data.reason)
    return await _tender_payload(db, tender)


@put(
    "/api/tenders/{code:str}/documents/{name:str}",
    opt=allow(*OWNERS),
    status_code=201,
    request_max_body_size=documents.MAX_DOCUMENT_BYTES,
    tags=["bidding"],
    operation_class=raw_upload(
        "application/octet-stream",
        f"the document's bytes (at most {documents.MAX_DOCUMENT_BYTES // MIB} MiB), streamed to storage",
    ),
)
async def upload_document(
    request: AnyRequest, runtime: Rt, principal: Caller, code: TenderCodeParam, name: DocumentName
) -> DocumentOut:
    """Upload a tender document (招标文件) as the raw request body.

    The body is streamed to the blob store and its SHA-256 recorded; registered bidders download it.
    """
    doc = await documents.upload_document(runtime, principal, code, name, request.stream())
    return DocumentOut(id=doc.id, name=doc.name, size=doc.size, sha256=doc.sha256)


@get(
    "/api/tenders/{code:str}/documents/{document_id:int}",
    opt=allow(Role.BIDDER, *OWNERS, Role.SUPERVISOR),
    tags=["bidding"],
    media_type="application/octet-stream",
    operation_class=binary_answer("application/octet-stream", description="the document's bytes"),
)
async def download_document(
    runtime: Rt, principal: Caller, code: TenderCodeParam, document_id: Annotated[int, Parameter(ge=1)]
) -> Stream:
    """Download a tender document (application/octet-stream).

    For registered bidders, the tender's owners and supervisors; every download is logged. The answer
    carries `Content-Disposition` with the file name and `X-Content-SHA256` with its hash.
    """
    async with runtime.transaction() as session:
        doc = await registration.open_download(session, runtime, principal, code, document_id)
    return await stored_file(runtime.blobs, doc.blob_key, doc.name, doc.sha256)


@post("/api/tenders/{code:str}/registration", opt=allow(Role.BIDDER), status_code=201, tags=["bidding"])
async def register(runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam) -> RegistrationOut:
    """Register the caller's company for a tender (报名).

    Idempotent. The credit gate applies: a company whose credit index is below the tender's
    `min_credit_index` is refused. Registration opens the tender documents to the company.
    """
    done = await registration.register(db, runtime, principal, code)
    tender = await visible_tender(db, code, principal)
    return registration_view(done, tender)


@put(
    "/api/tenders/{code:str}/lots/{lot:str}/submissions/{submission_id:str}",
    opt=allow(Role.BIDDER),
    status_code=201,
    # a retry of a stored submission id answers 200 with the same bundle (not an error: no api-errors)
    responses={200: ResponseSpec(ReceiptBundle, description="already stored: the same receipt bundle")},
    request_max_body_size=inputs.MAX_ENVELOPE_MIB
    * MIB,  # each tender's own limit is enforced while streaming
    tags=["bidding"],
    operation_class=raw_upload(
        "application/octet-stream",
        "the sealed bid: an age v1 file (binary, not armored) encrypted to the bidder's recipient and the "
        "tender's opening recipient; Content-Length must equal the manifest's envelope_length and stay "
        "within the tender's max_envelope_bytes",
    ),
)
async def upload_sealed_bid(
    request: AnyRequest,
    runtime: Rt,
    principal: Caller,
    code: TenderCodeParam,
    lot: LotParam,
    submission_id: SubmissionIdParam,
    manifest: ManifestHeader,
    device: DeviceHeader = None,
) -> Response[ReceiptBundle]:
    """Upload a sealed bid (投标文件) before the deadline; answers with the signed receipt bundle.

    Steps: `sunbid bid seal` writes the envelope and its signed manifest; this PUT sends the envelope as
    the raw body with the manifest in `X-Sunbid-Manifest`. 201 when stored; 200 with the same bundle
    when the submission id is already stored (a safe retry). A new submission id with `supersedes`
    replaces an earlier bid. The client may send `X-Sunbid-Device` (SHA-256 hex of its device
    description): kept keyed, with the client's address and User-Agent, for the supervisors only
    (docs/integrity-evidence.md).
    """
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
            manifest,
            request.stream(),
            content_length=content_length,
            source=submissions.UploadSource(
                client_ip=client_address(request.scope, runtime.settings.trusted_proxies),
                user_agent=request.headers.get("user-agent", ""),
                device_digest=device,
            ),
        )
    except InternalServerException as exc:  # Litestar's "client disconnected prematurely"
        raise UploadInterrupted(
            f"上传中断，未保存任何内容 (upload interrupted; nothing was kept): {exc.detail}"
        ) from None
    bundle = msgspec.convert(accepted.bundle, ReceiptBundle)
    return Response(bundle, status_code=201 if accepted.created else 200)


@get("/api/submissions", opt=allow(Role.BIDDER), tags=["bidding"])
async def my_submissions(principal: Caller, db: Db, tender: TenderCodeQuery = None) -> list[OwnSubmission]:
    """The caller's company's own submissions, with what the opening made of each (never anyone else's)."""
    tender_id = (await visible_tender(db, tender, principal)).id if tender else None
    rows = await submissions.own_submissions(db, principal, tender_id)
    return [await _own_submission(db, s) for s in rows]


async def _own_submission(db: Db, submission: submissions.Submission) -> OwnSubmission:
    tender = await db.get(Tender, submission.tender_id)
    lot = await db.get(Lot, submission.lot_id)
    assert tender is not None and lot is not None
    opened = await db.scalar(select(OpeningBid).where(OpeningBid.submission_id == submission.id))
    return OwnSubmission(
        **submission_fields(submission, tender.code, lot.number),
        opening=None  # not opened yet (or withdrawn before the deadline)
        if opened is None
        else OpeningResult(
            outcome=BidOutcome(opened.outcome),
            price=money(opened.price) if opened.price is not None else None,
            reason=opened.reason,
            confirmation=opened.confirmation,  # type: ignore[arg-type]  # "confirmed" | "objected" | None
        ),
    )


@get("/api/submissions/{submission_id:str}", opt=allow(Role.BIDDER), tags=["bidding"])
async def submission_status(
    principal: Caller, db: Db, submission_id: SubmissionIdParam
) -> OwnSubmissionStatus:
    """Status and receipt bundle of one of the caller's submissions.

    A client asks this before retrying an upload: if the id is stored, the receipt is already here.
    """
    found = await submissions.own_submission(db, principal, submission_id)
    own = await _own_submission(db, found)
    receipt = msgspec.convert(submissions.parse_bundle(found), ReceiptBundle)
    return OwnSubmissionStatus(**msgspec.structs.asdict(own), receipt=receipt)


@get(
    "/api/submissions/{submission_id:str}/receipt",
    opt=allow(Role.BIDDER),
    tags=["bidding"],
    media_type="application/json",
)
async def receipt_file(
    principal: Caller, db: Db, submission_id: SubmissionIdParam
) -> Response[ReceiptBundle]:
    """The receipt bundle as a file to keep (`Content-Disposition: attachment`), for `sunbid receipt verify`.

    The same JSON as `receipt` in the submission's status.
    """
    found = await submissions.own_submission(db, principal, submission_id)
    bundle = msgspec.convert(submissions.parse_bundle(found), ReceiptBundle)
    name = f"receipt-{found.submission_id}.json"
    return Response(
        bundle,
        media_type="application/json",
        headers={"Content-Disposition": attachment(name)},
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
    submission_id: SubmissionIdParam,
    data: JSONBody[SignedWithdrawal],
) -> Withdrawn:
    """Withdraw a bid before the deadline (撤回) with a signed withdrawal statement.

    The body is a signed statement of type `sunbid.bid-withdrawal.v1` naming the tender, lot, bidder and
    submission id, signed with the company's bid-signing key (`sunbid bid withdraw` makes it), e.g.
    `{"statement": {"type": "sunbid.bid-withdrawal.v1", "tender": "JLZB-2026-001", "lot": "1",
    "bidder": "91220281…", "submission_id": "…", "client_time": "2026-05-01T08:00:00Z"},
    "signature": "<base64 Ed25519 over the statement's canonical JSON>", "key_id": "…"}`.
    """
    try:
        # the typed body holds exactly what was sent (text and integers, nothing defaulted), so its
        # builtins are the signed object and its canonical JSON the signed bytes
        signed = SignedStatement.from_dict(msgspec.to_builtins(data))
    except SigningError as exc:
        raise InvalidInput(f"撤回声明格式错误 (malformed withdrawal): {exc}", code="bad_withdrawal") from None
    done = await submissions.withdraw(runtime, principal, submission_id, signed)
    return Withdrawn(submission_id=done.submission_id, status=done.status)


@get("/api/tenders/{code:str}/submissions", opt=allow(Role.SUPERVISOR, *OWNERS), tags=["bidding"])
async def tender_submissions(
    runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam
) -> list[TenderSubmission]:
    """Who has bid on a tender: supervisors at any time; the tender's owners after the deadline."""
    tender = await visible_tender(db, code, principal)
    rows = await submissions.tender_submissions(db, runtime, principal, tender)
    out = []
    for submission, org in rows:
        lot = await db.get(Lot, submission.lot_id)
        assert lot is not None
        out.append(
            TenderSubmission(
                **submission_fields(submission, tender.code, lot.number),
                bidder=org.credit_code,
                bidder_name=org.name,
            )
        )
    return out


@get("/api/notices", opt=PUBLIC, tags=["bidding"])
async def list_notices(
    db: Db,
    paging: Paging,
    category: FromQuery[Category | None] = None,
    region: RegionQuery = None,
    kind: FromQuery[NoticeKind | None] = None,
    status: FromQuery[State | None] = None,
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    q: SearchText = None,
) -> Listing[NoticeSummary]:
    """Published notices (公告), newest first.

    Filter by category, region, kind (tender, amendment, opening record, candidates, award…), the
    tender's status, a publication time range (`since` ≤ published < `until`) and words.
    """
    filters = notice_service.NoticeFilter(category, region, kind, status, since, until, q)
    found = await notice_service.list_notices(db, filters, limit=paging.limit, offset=paging.offset)
    return listing(found, [notice_summary(n, t) for n, t in found.rows])


@get("/api/notices/{notice_id:int}", opt=PUBLIC, tags=["bidding"])
async def notice_detail(db: Db, notice_id: Annotated[int, Parameter(ge=1)]) -> NoticeOut:
    """One published notice with its full text."""
    notice, tender = await notice_service.get_notice(db, notice_id)
    return notice_view(notice, tender)


@get("/api/notices/feed.atom", opt=PUBLIC, tags=["bidding"], media_type="application/atom+xml; charset=utf-8")
async def notices_feed(
    request: AnyRequest,
    runtime: Rt,
    db: Db,
    category: FromQuery[Category | None] = None,
    region: RegionQuery = None,
    kind: FromQuery[NoticeKind | None] = None,
) -> Response[str]:
    """The latest 50 notices as an Atom feed (application/atom+xml), for feed readers."""
    filters = notice_service.NoticeFilter(category=category, region=region, kind=kind)
    rows = (await notice_service.list_notices(db, filters, limit=50)).rows
    base = str(request.base_url).rstrip("/")
    updated = rows[0][0].published_at if rows else runtime.clock.now()
    return Response(
        notice_service.atom_feed(base, rows, updated), media_type="application/atom+xml; charset=utf-8"
    )


@get("/api/receipts/server-key", opt=PUBLIC, tags=["bidding"])
async def server_key(runtime: Rt) -> ServerKey:
    """The server's public keys: the one that signs receipts and audit checkpoints.

    Give `server_key` to `sunbid receipt verify`; `audit_origin` and `verifier_key` check checkpoints.
    """
    return ServerKey(
        server_key=public_key_to_text(runtime.audit.signer.public_key),
        audit_origin=runtime.audit.signer.origin,
        verifier_key=runtime.audit.signer.verifier_key,
    )


@get("/api/tenders/{code:str}/bid-count", opt=PUBLIC, tags=["bidding"])
async def bid_count(viewer: Viewer, db: Db, code: TenderCodeParam) -> BidCount:
    """How many bids a tender holds: public from the opening on, 409 before (Art. 22)."""
    tender = await visible_tender(db, code, viewer)
    if not tenders.bid_count_is_public(tender):
        raise Conflict(tenders.BID_COUNT_SECRET, code="count_secret_until_opening")
    return BidCount(tender=tender.code, bids=await tenders.bid_count(db, tender.id))


@get("/api/tenders/{code:str}/registrations", opt=allow(Role.SUPERVISOR), tags=["bidding"])
async def tender_registrations(principal: Caller, db: Db, code: TenderCodeParam) -> RegistrationsAndDownloads:
    """Who registered and who downloaded the documents: supervisors only, at any time (Art. 22)."""
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
    *review_api.ROUTE_HANDLERS,
]

__all__ = ["ROUTE_HANDLERS", "TooLarge"]
