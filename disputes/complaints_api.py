"""Complaints' HTTP API: a company files and follows its complaints (with evidence documents);
supervisors keep the case list and accept, suspend and decide. Rules: disputes/complaints.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from litestar import get, post
from litestar.params import FromPath, JSONBody, Parameter
from litestar.response import Stream

from bidding import service as bidding
from bidding.service import TenderCode
from core.access import Caller, allow
from core.credit_code import CreditCodeText
from core.downloads import stored_file
from core.raw_body import file_answer, raw_body
from core.roles import Role
from core.runtime import Db, Rt
from core.texts import OptionalText4000, Text4000
from core.types import AnyRequest
from disputes import complaints
from disputes.complaints import MAX_DOCUMENT_BYTES, ComplaintDocumentOut, ComplaintOut, FaultKind
from disputes.periods import Matter, Remedy

FILERS = (Role.BIDDER,)
SUPERVISORS = (Role.SUPERVISOR,)


class FileComplaint(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A complaint (Art. 60): within 10 days of ``knew_on``; ``documents``, ``opening`` and ``result``
    need the company's prior objection on that matter (``objection`` picks one; the newest otherwise)."""

    tender: TenderCode
    matter: Matter
    request: Text4000  # 投诉请求
    grounds: Text4000  # 事实和理由
    knew_on: date  # the day the company knew or should have known of the matter (Beijing date)
    lot: bidding.LotNumberText | None = None
    objection: int | None = None


class Acceptance(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Accept (the 30-working-day clock starts) or refuse to accept with reasons (published)."""

    accept: bool
    reason: OptionalText4000 = ""  # required (not blank) when refusing


class Suspension(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    step: Literal["opening", "award"]


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Dismissed, or upheld with a remedy; a false statement names its party (credit code) and kind;
    ``malicious`` (dismissed only) raises a deduction for the complainant."""

    outcome: Literal["dismissed", "upheld"]
    reasons: Text4000
    remedy: Remedy | None = None
    fault_kind: FaultKind | None = None
    fault_party: CreditCodeText | None = None
    malicious: bool = False


@post("/api/complaints", opt=allow(*FILERS), tags=["disputes"])
async def file_complaint(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[FileComplaint]
) -> ComplaintOut:
    """File a complaint to the supervising department; the 3-working-day acceptance clock starts."""
    return await complaints.file_complaint(
        db, runtime, principal, data.tender, data.matter, data.request, data.grounds, data.knew_on,
        lot=data.lot, objection=data.objection,
    )  # fmt: skip


@post(
    "/api/complaints/{complaint_id:int}/documents",
    opt=allow(*FILERS),
    request_max_body_size=MAX_DOCUMENT_BYTES,
    tags=["disputes"],
    operation_class=raw_body("application/octet-stream", "the evidence document's bytes (at most 20 MiB)"),
)
async def add_document(
    request: AnyRequest, runtime: Rt, principal: Caller, complaint_id: FromPath[int],
    name: Annotated[str, Parameter(min_length=1, max_length=120, description="file name, 1-120 characters")],
) -> ComplaintDocumentOut:  # fmt: skip
    """Add an evidence document (the raw body; its name in ``?name=``) to one's open complaint."""
    content = await request.body()
    async with runtime.transaction() as session:
        return await complaints.add_document(session, runtime, principal, complaint_id, name, content)


@get(
    "/api/complaints/{complaint_id:int}/documents/{document_id:int}",
    opt=allow(*FILERS, *SUPERVISORS),
    media_type="application/octet-stream",
    tags=["disputes"],
    operation_class=file_answer("application/octet-stream"),
)
async def download_document(
    runtime: Rt, principal: Caller, complaint_id: FromPath[int], document_id: FromPath[int]
) -> Stream:
    """An evidence document, for its complainant and supervisors."""
    async with runtime.transaction() as session:
        doc = await complaints.document(session, principal, complaint_id, document_id)
    return await stored_file(runtime.blobs, doc.blob_key, doc.name, doc.sha256)


@get("/api/complaints/mine", opt=allow(*FILERS), tags=["disputes"])
async def my_complaints(runtime: Rt, principal: Caller, db: Db) -> list[ComplaintOut]:
    """The caller's company's complaints, the newest first."""
    return await complaints.complaints_of_bidder(db, runtime, principal)


@get("/api/complaints/cases", opt=allow(*SUPERVISORS), tags=["disputes"])
async def case_list(runtime: Rt, principal: Caller, db: Db) -> list[ComplaintOut]:
    """Every complaint: open ones first, the nearest due first, with the clock's warning level."""
    return await complaints.cases(db, runtime, principal)


@get("/api/complaints/{complaint_id:int}", opt=allow(*FILERS, *SUPERVISORS), tags=["disputes"])
async def one_complaint(runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int]) -> ComplaintOut:
    """One complaint (its complainant's company or a supervisor)."""
    return await complaints.get_complaint(db, runtime, principal, complaint_id)


@post("/api/complaints/{complaint_id:int}/acceptance", opt=allow(*SUPERVISORS), status_code=200,
      tags=["disputes"])  # fmt: skip
async def acceptance(
    runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int], data: JSONBody[Acceptance]
) -> ComplaintOut:
    """Decide whether to accept (due 3 working days after receipt, Art. 61)."""
    return await complaints.decide_acceptance(db, runtime, principal, complaint_id, data.accept, data.reason)


@post("/api/complaints/{complaint_id:int}/suspension", opt=allow(*SUPERVISORS), status_code=200,
      tags=["disputes"])  # fmt: skip
async def suspension(
    runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int], data: JSONBody[Suspension]
) -> ComplaintOut:
    """Order the opening or the award suspended until the complaint is decided (Art. 62)."""
    return await complaints.order_suspension(db, runtime, principal, complaint_id, bidding.Step(data.step))


@post("/api/complaints/{complaint_id:int}/decision", opt=allow(*SUPERVISORS), status_code=200,
      tags=["disputes"])  # fmt: skip
async def decision(
    runtime: Rt, principal: Caller, db: Db, complaint_id: FromPath[int], data: JSONBody[Decision]
) -> ComplaintOut:
    """Decide on the merits (due 30 working days after acceptance); published as a notice."""
    return await complaints.decide(
        db, runtime, principal, complaint_id, upheld=data.outcome == "upheld", reasons=data.reasons,
        remedy=data.remedy, fault_kind=data.fault_kind, fault_party=data.fault_party,
        malicious=data.malicious,
    )  # fmt: skip


ROUTE_HANDLERS = [
    file_complaint, add_document, download_document, my_complaints, case_list, one_complaint, acceptance,
    suspension, decision,
]  # fmt: skip
