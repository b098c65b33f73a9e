"""Complaints (投诉) to the supervising department (《招标投标法实施条例》第六十条至第六十二条).

A bidder (or another interested company) complains within 10 days of knowing of the matter; a matter
of Art. 22, 44 or 54 needs its own prior objection on that matter, and the time that objection waited
for its answer does not count in the 10 days (periods.complaint_close). Evidence documents go to the
blob store. A supervisor decides within 3 working days whether to accept it and within 30 working
days of accepting it on the merits (working days: the catalog's holiday table); may order the opening
or the award suspended meanwhile (bidding's holds, ref ``complaint:<id>``), and decides: dismissed
(驳回), or upheld with a remedy. Every decision, and a rejection, is published as a tender notice
(投诉处理决定) that never names the complainant. An upheld complaint for a false statement raises a
credit deduction for the party at fault; a complaint found malicious one for the complainant
(credit's rules B20/A20/T20 and B21, raised through the credit port: credit's service).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from catalog import service as catalog
from core.accounts import Principal
from core.clock import as_utc
from core.credit_port import credit
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.hold_port import HoldCase
from core.models import Organisation
from core.retender_port import RetenderCause
from core.roles import Role
from core.runtime import Runtime
from disputes import periods
from disputes.events import (
    COMPLAINT_ACCEPTED,
    COMPLAINT_DECIDED,
    COMPLAINT_EVIDENCE_ADDED,
    COMPLAINT_FILED,
    COMPLAINT_REJECTED,
    COMPLAINT_SUSPENSION_ORDERED,
)
from disputes.models import Complaint, ComplaintDocument, Objection
from disputes.periods import OPEN, Kind, Matter, PeriodError, Remedy, Status

MAX_TEXT = 4000
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DOCUMENTS = 20
FaultKind = Literal["bidder", "agent", "tenderer"]
FAULT_KINDS = ("bidder", "agent", "tenderer")
BASIS = {
    Matter.DOCUMENTS: periods.PRIOR_OBJECTION[Matter.DOCUMENTS],
    Matter.OPENING: periods.PRIOR_OBJECTION[Matter.OPENING],
    Matter.RESULT: periods.PRIOR_OBJECTION[Matter.RESULT],
    Matter.OTHER: periods.COMPLAINT.basis,
}
# The objection a matter needs (Art. 44's is bidding's: taken in the opening room).
OBJECTION_KIND = {Matter.DOCUMENTS: Kind.DOCUMENTS, Matter.RESULT: Kind.RESULT}
EVENT_FALSE_STATEMENT = "complaint.false_statement.{kind}"  # credit rules B20, A20, T20
EVENT_MALICIOUS = "complaint.malicious"  # credit rule B21


class ComplaintDocumentOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    size: int
    sha256: str
    uploaded_at: datetime


class ComplaintOut(msgspec.Struct, kw_only=True):
    """One complaint as its complainant or a supervisor sees it."""

    id: int
    tender: str
    lot: str | None
    matter: Matter
    basis: str  # the articles that set its period (and the prior objection it needs)
    request: str
    grounds: str
    knew_on: date
    closes_at: datetime  # the first moment the complaint would have been refused
    objection: int | None  # the prior objection it rests on
    filed_at: datetime
    status: Status
    accept_due: datetime  # 3 working days after receipt (Art. 61)
    accepted_at: datetime | None
    decide_due: datetime | None  # 30 working days after acceptance (Art. 61)
    due: datetime | None  # the clock running now (acceptance, then decision); None once decided
    warning: str | None  # green, yellow as the due time nears, red when overdue
    suspended: str | None  # the tender's step the supervisor suspended: "opening" or "award"
    decided_at: datetime | None
    decision: str | None
    remedy: Remedy | None
    fault_kind: str | None
    malicious: bool
    documents: list[ComplaintDocumentOut]
    complainant: str | None = None  # the complaining company (never published)


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= MAX_TEXT:
        raise InvalidInput(f"{what}不能为空（{MAX_TEXT}字以内）(the text is 1-{MAX_TEXT} characters)",
                           code="bad_text")  # fmt: skip
    return value


def _document_name(raw: str) -> str:
    """A file name safe to show and to save: no control characters or path separators, 1-120 characters."""
    name = re.sub(r'[\\/<>:"|?*]', "_", unicodedata.normalize("NFC", (raw or "").strip()))
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs")).strip(". ")
    if not 1 <= len(name) <= 120:
        raise InvalidInput(
            "文件名须为1-120个字符 (the file name is 1-120 characters)", code="bad_document_name"
        )
    return name


def _ref(row: Complaint) -> str:
    return f"complaint:{row.id}"


def _is_supervisor(principal: Principal) -> bool:
    return Role.SUPERVISOR in principal.roles


async def _prior_objection(
    session: AsyncSession, now: datetime, org: int, tender: str, matter: Matter, lot: str | None,
    objection_id: int | None,
) -> tuple[int | None, timedelta]:  # fmt: skip
    """The prior objection the matter needs and the time it waited for its answer (not counted)."""
    if matter is Matter.OTHER:
        return None, timedelta(0)
    refused = Conflict(
        f"此事项投诉前应先向招标人提出异议（{periods.PRIOR_OBJECTION[matter]}）"
        "(a complaint about this matter needs a prior objection to the tenderer on the same matter)",
        code="objection_required",
    )
    if matter is Matter.OPENING:  # objected at the opening, answered on the spot
        if not await bidding.objected_at_opening(session, tender, org):
            raise refused
        return None, timedelta(0)
    query = select(Objection).where(
        Objection.objector_id == org,
        Objection.tender_code == tender,
        Objection.kind == OBJECTION_KIND[matter],
    )
    if matter is Matter.RESULT:
        query = query.where(Objection.lot_number == lot)
    if objection_id is not None:
        query = query.where(Objection.id == objection_id)
    found = (await session.scalars(query.order_by(Objection.id.desc()))).first()
    if found is None:
        raise refused
    answered = as_utc(found.answered_at) if found.answered_at else now
    return found.id, answered - as_utc(found.filed_at)


async def file_complaint(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    tender_code: str,
    matter: Matter,
    request: str,
    grounds: str,
    knew_on: date,
    *,
    lot: str | None = None,
    objection: int | None = None,
) -> ComplaintOut:
    """A company's complaint to the supervising department; the acceptance clock starts."""
    request, grounds = _text(request, "投诉请求"), _text(grounds, "事实和理由")
    org = principal.organisation_id
    if org is None:
        raise PermissionDenied("投诉人须为投标人或其他利害关系人 (a company complains)", code="no_company")
    tender = await bidding.tender_by_code(session, tender_code)
    lot = (lot or "").strip() or None
    if matter is Matter.RESULT and lot is None:
        raise InvalidInput("请选择标段 (name the lot)", code="bad_lot")
    if lot is not None and lot not in {x.number for x in await bidding.lots_of(session, tender.id)}:
        raise InvalidInput("没有这个标段 (no such lot)", code="bad_lot")
    now = runtime.clock.now()
    objection_id, paused = await _prior_objection(session, now, org, tender.code, matter, lot, objection)
    try:
        periods.check_complaint(now, knew_on, paused)
    except PeriodError as error:
        raise Conflict(error.detail, code=error.code) from None
    calendar = await catalog.working_calendar(session)
    row = Complaint(
        tender_code=tender.code, lot_number=lot, matter=matter, complainant_id=org,
        filed_by=principal.user_id, request=request, grounds=grounds, knew_on=knew_on,
        objection_id=objection_id, paused_seconds=int(paused.total_seconds()), filed_at=now,
        accept_due=catalog.working_deadline(calendar, now, periods.ACCEPT.days), status=Status.RECEIVED,
        malicious=False,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    await runtime.audit.append(
        session, COMPLAINT_FILED, actor=principal.actor, subject=f"tender:{tender.code}",
        data={"complaint": row.id, "matter": matter.value, "lot": lot, "objection": objection_id,
              "basis": BASIS[matter], "accept_due": as_utc(row.accept_due).isoformat()},
    )  # fmt: skip
    return await _out(session, runtime, row)


async def _own_or_supervised(session: AsyncSession, principal: Principal, complaint_id: int) -> Complaint:
    row = await session.get(Complaint, complaint_id)
    if row is None or not (_is_supervisor(principal) or row.complainant_id == principal.organisation_id):
        raise NotFound("没有这件投诉 (no such complaint)", code="no_complaint")
    return row


async def add_document(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    complaint_id: int,
    name: str,
    content: bytes,
) -> ComplaintDocumentOut:
    """The complainant adds an evidence document while the complaint is open (kept in the blob store)."""
    row = await _own_or_supervised(session, principal, complaint_id)
    if row.complainant_id != principal.organisation_id:
        raise PermissionDenied("只有投诉人可以提交证据 (only the complainant adds evidence)")
    if row.status not in OPEN:
        raise Conflict("投诉已处理完毕 (the complaint is closed)", code="complaint_closed")
    name = _document_name(name)
    if not content or len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInput("证据文件为空或超过20MB (the file is empty or over 20 MB)", code="bad_document")
    count = len(list(await session.scalars(
        select(ComplaintDocument.id).where(ComplaintDocument.complaint_id == row.id))))  # fmt: skip
    if count >= MAX_DOCUMENTS:
        raise Conflict(
            f"证据文件最多{MAX_DOCUMENTS}份 (at most {MAX_DOCUMENTS} files)", code="too_many_documents"
        )
    blob = await runtime.blobs.put(f"disputes/complaints/{row.id}/{uuid.uuid4().hex}", content)
    doc = ComplaintDocument(
        complaint_id=row.id, name=name, blob_key=blob.key, size=blob.size, sha256=blob.sha256,
        uploaded_at=runtime.clock.now(),
    )  # fmt: skip
    session.add(doc)
    await session.flush()
    await runtime.audit.append(
        session, COMPLAINT_EVIDENCE_ADDED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data={"complaint": row.id, "sha256": blob.sha256, "size": blob.size},  # the hash, not the file
    )  # fmt: skip
    return _doc_out(doc)


async def document(
    session: AsyncSession, principal: Principal, complaint_id: int, document_id: int
) -> ComplaintDocument:
    """An evidence document, for its complainant and supervisors."""
    row = await _own_or_supervised(session, principal, complaint_id)
    doc = await session.get(ComplaintDocument, document_id)
    if doc is None or doc.complaint_id != row.id:
        raise NotFound("没有这份证据 (no such document)", code="no_document")
    return doc


async def _supervised(session: AsyncSession, principal: Principal, complaint_id: int) -> Complaint:
    if not _is_supervisor(principal):
        raise PermissionDenied("只有行政监督部门处理投诉 (supervisors handle complaints)")
    row = await session.get(Complaint, complaint_id, with_for_update=True)
    if row is None:
        raise NotFound("没有这件投诉 (no such complaint)", code="no_complaint")
    return row


async def _lift(session: AsyncSession, runtime: Runtime, row: Complaint) -> None:
    if row.suspended_step:
        await bidding.release(session, runtime, row.tender_code, bidding.Step(row.suspended_step), _ref(row))


async def decide_acceptance(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    complaint_id: int,
    accept: bool,
    reason: str,
) -> ComplaintOut:
    """Accept (the 30-working-day clock starts) or refuse to accept (不予受理, with reasons, published)."""
    row = await _supervised(session, principal, complaint_id)
    if row.status is not Status.RECEIVED:
        raise Conflict("已作出受理决定 (acceptance is already decided)", code="already_decided")
    now = runtime.clock.now()
    late = now > as_utc(row.accept_due)
    row.handled_by = principal.user_id
    if accept:
        calendar = await catalog.working_calendar(session)
        row.status, row.accepted_at = Status.ACCEPTED, now
        row.decide_due = catalog.working_deadline(calendar, now, periods.DECIDE.days)
        row.decision = (reason or "").strip() or None
        await runtime.audit.append(
            session, COMPLAINT_ACCEPTED, actor=principal.actor, subject=f"tender:{row.tender_code}",
            data={"complaint": row.id, "decide_due": as_utc(row.decide_due).isoformat(), "late": late},
        )  # fmt: skip
        return await _out(session, runtime, row)
    row.decision = _text(reason, "不予受理的理由")
    row.status, row.decided_at = Status.REJECTED, now
    await _lift(session, runtime, row)
    await runtime.audit.append(
        session, COMPLAINT_REJECTED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data={"complaint": row.id, "reason": row.decision, "late": late},
    )  # fmt: skip
    await _publish(session, runtime, row)
    return await _out(session, runtime, row)


async def order_suspension(
    session: AsyncSession, runtime: Runtime, principal: Principal, complaint_id: int, step: bidding.Step
) -> ComplaintOut:
    """The supervisor orders the opening or the award (of the complaint's lot) suspended until it decides
    (Art. 62); the hold is lifted by the decision or a refusal to accept."""
    row = await _supervised(session, principal, complaint_id)
    if row.status not in OPEN:
        raise Conflict("投诉已处理完毕 (the complaint is closed)", code="complaint_closed")
    if row.suspended_step:
        raise Conflict("已责令暂停 (a suspension is already ordered)", code="already_suspended")
    what = "开标" if step is bidding.Step.OPENING else "定标"
    await bidding.hold(
        session, runtime, row.tender_code, step, _ref(row),
        f"投诉（第{row.id}号）处理期间，行政监督部门责令暂停{what} "
        f"(suspended while complaint {row.id} is handled)",
        lot=row.lot_number if step is bidding.Step.AWARD else None,
    )  # fmt: skip
    row.suspended_step = step.value
    await runtime.audit.append(
        session, COMPLAINT_SUSPENSION_ORDERED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data={"complaint": row.id, "step": step.value, "lot": row.lot_number,
              "basis": "《招标投标法实施条例》第六十二条"},
    )  # fmt: skip
    return await _out(session, runtime, row)


_MATTER_ZH = {
    Matter.DOCUMENTS: "招标文件",
    Matter.OPENING: "开标",
    Matter.RESULT: "评标结果",
    Matter.OTHER: "招标投标活动中的违法行为",
}
_MATTER_EN = {
    Matter.DOCUMENTS: "the tender documents",
    Matter.OPENING: "the opening",
    Matter.RESULT: "the evaluation result",
    Matter.OTHER: "an unlawful act in the tendering",
}
SUSPENSION_BASIS = "《招标投标法实施条例》第六十二条"


async def hold_cases(session: AsyncSession, refs: Sequence[str]) -> Mapping[str, HoldCase]:
    """The complaints behind suspensions (core.hold_port): the matter complained of, in words, and when
    the supervising department's decision is due (acceptance while received, then the decision on the
    merits). Who complained is never part of it: the banner is public."""
    ids = {int(ref[10:]): ref for ref in refs if ref.startswith("complaint:") and ref[10:].isdigit()}
    if not ids:
        return {}
    rows = await session.scalars(select(Complaint).where(Complaint.id.in_(ids)))
    out = {}
    for row in rows:
        if row.status not in OPEN:
            continue
        accepted = row.status is Status.ACCEPTED and row.decide_due is not None
        out[ids[row.id]] = HoldCase(
            zh=f"有利害关系人就{_MATTER_ZH[row.matter]}向行政监督部门投诉（第{row.id}号），"
            f"行政监督部门责令暂停（{SUSPENSION_BASIS}），"
            + ("作出处理决定前暂停" if accepted else "决定是否受理前暂停"),
            en=f"a complaint about {_MATTER_EN[row.matter]} (complaint no. {row.id}) is before the "
            "supervising department, which ordered the step suspended until it "
            + ("decides the complaint" if accepted else "decides whether to accept it"),
            due=as_utc(row.decide_due if accepted and row.decide_due else row.accept_due),
            due_kind="decision" if accepted else "acceptance",
        )
    return out


async def decide(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    complaint_id: int,
    *,
    upheld: bool,
    reasons: str,
    remedy: Remedy | None = None,
    fault_kind: str | None = None,
    fault_party: str | None = None,
    malicious: bool = False,
) -> ComplaintOut:
    """The decision on the merits: dismissed, or upheld with a remedy; published; credit raised."""
    row = await _supervised(session, principal, complaint_id)
    if row.status is not Status.ACCEPTED:
        raise Conflict("只能对已受理的投诉作出处理决定 (only an accepted complaint is decided)",
                       code="not_accepted")  # fmt: skip
    reasons = _text(reasons, "处理决定理由")
    fault: Organisation | None = None
    if upheld:
        if remedy is None:
            raise InvalidInput(
                "投诉成立须写明处理措施 (an upheld complaint names its remedy)", code="bad_remedy"
            )
        if malicious:
            raise InvalidInput("投诉成立不能认定为恶意投诉 (an upheld complaint is not malicious)",
                               code="bad_malicious")  # fmt: skip
        if fault_party:
            if fault_kind not in FAULT_KINDS:
                raise InvalidInput("请选择作虚假陈述的一方 (bidder, agent or tenderer)", code="bad_fault")
            fault = await session.scalar(
                select(Organisation).where(Organisation.credit_code == fault_party.strip().upper())
            )
            if fault is None:
                raise InvalidInput("没有这个统一社会信用代码的单位 (no company with this credit code)",
                                   code="bad_fault")  # fmt: skip
    elif remedy is not None or fault_party:
        raise InvalidInput("驳回投诉不设处理措施 (a dismissed complaint has no remedy)", code="bad_remedy")
    now = runtime.clock.now()
    row.status = Status.UPHELD if upheld else Status.DISMISSED
    row.decided_at, row.decision, row.remedy, row.malicious = now, reasons, remedy, malicious
    row.fault_kind, row.fault_org_id = (fault_kind, fault.id) if fault else (None, None)
    row.handled_by = principal.user_id
    await _lift(session, runtime, row)
    await runtime.audit.append(
        session, COMPLAINT_DECIDED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data={"complaint": row.id, "outcome": row.status.value, "remedy": remedy.value if remedy else None,
              "false_statement": fault_kind if fault else None, "malicious": malicious,
              "late": row.decide_due is not None and now > as_utc(row.decide_due)},
    )  # fmt: skip
    await _publish(session, runtime, row)
    port = credit()
    if port is not None and fault is not None:
        await port.record_event_deduction(
            session, runtime, event=EVENT_FALSE_STATEMENT.format(kind=fault_kind), kind=str(fault_kind),
            key=fault.credit_code, evidence=f"投诉处理决定（第{row.id}号）：{reasons}", source_ref=_ref(row),
        )  # fmt: skip
    if port is not None and malicious:
        complainant = await session.get(Organisation, row.complainant_id)
        assert complainant is not None
        await port.record_event_deduction(
            session, runtime, event=EVENT_MALICIOUS, kind="bidder", key=complainant.credit_code,
            evidence=f"投诉处理决定（第{row.id}号）：{reasons}", source_ref=_ref(row),
        )  # fmt: skip
    return await _out(session, runtime, row)


OUTCOME_ZH = {Status.REJECTED: "不予受理", Status.DISMISSED: "驳回投诉", Status.UPHELD: "投诉成立"}
REMEDY_ZH = {
    Remedy.AMEND: "责令改正", Remedy.RE_EVALUATE: "重新评标", Remedy.RE_TENDER: "重新招标",
    Remedy.CANCEL_CANDIDATE: "取消中标候选人资格",
}  # fmt: skip
MATTER_ZH = {
    Matter.DOCUMENTS: "招标文件",
    Matter.OPENING: "开标",
    Matter.RESULT: "评标结果",
    Matter.OTHER: "其他事项",
}


async def _publish(session: AsyncSession, runtime: Runtime, row: Complaint) -> None:
    """The decision as a public tender notice: the matter, the outcome and the reasons, not who complained."""
    tender = await bidding.tender_by_code(session, row.tender_code)
    outcome = OUTCOME_ZH[row.status]
    lines = [
        f"投诉事项：{MATTER_ZH[row.matter]}" + (f"（标段{row.lot_number}）" if row.lot_number else ""),
        f"处理结果：{outcome}" + (f"，{REMEDY_ZH[row.remedy]}" if row.remedy else ""),
        f"理由：{row.decision}",
        f"依据：{BASIS[row.matter]}；《招标投标法实施条例》第六十一条",
    ]
    await bidding.publish_notice(
        session, runtime, tender, bidding.NoticeKind.COMPLAINT_DECISION,
        f"{tender.title} 投诉处理决定（第{row.id}号）", "\n".join(lines),
        data={"complaint": row.id, "matter": row.matter.value, "lot": row.lot_number,
              "outcome": row.status.value, "remedy": row.remedy.value if row.remedy else None},
    )  # fmt: skip


def _doc_out(doc: ComplaintDocument) -> ComplaintDocumentOut:
    return ComplaintDocumentOut(
        id=doc.id, name=doc.name, size=doc.size, sha256=doc.sha256, uploaded_at=as_utc(doc.uploaded_at)
    )


def _clock(row: Complaint) -> tuple[datetime, datetime] | None:
    """The clock running now: (from, due)."""
    if row.status is Status.RECEIVED:
        return as_utc(row.filed_at), as_utc(row.accept_due)
    if row.status is Status.ACCEPTED and row.accepted_at and row.decide_due:
        return as_utc(row.accepted_at), as_utc(row.decide_due)
    return None


async def _out(session: AsyncSession, runtime: Runtime, row: Complaint) -> ComplaintOut:
    running = _clock(row)
    warning = (
        catalog.warning_level("processing", running[0], running[1], runtime.clock.now(),
                              catalog.DEFAULT_YELLOW_SHARE)
        if running else None
    )  # fmt: skip
    docs = await session.scalars(
        select(ComplaintDocument)
        .where(ComplaintDocument.complaint_id == row.id)
        .order_by(ComplaintDocument.id)
    )
    org = await session.get(Organisation, row.complainant_id)
    opt = lambda moment: as_utc(moment) if moment else None  # noqa: E731
    return ComplaintOut(
        id=row.id, tender=row.tender_code, lot=row.lot_number, matter=row.matter, basis=BASIS[row.matter],
        request=row.request, grounds=row.grounds, knew_on=row.knew_on,
        closes_at=periods.complaint_close(row.knew_on, timedelta(seconds=row.paused_seconds)),
        objection=row.objection_id, filed_at=as_utc(row.filed_at), status=row.status,
        accept_due=as_utc(row.accept_due), accepted_at=opt(row.accepted_at), decide_due=opt(row.decide_due),
        due=running[1] if running else None, warning=warning, suspended=row.suspended_step,
        decided_at=opt(row.decided_at), decision=row.decision, remedy=row.remedy, fault_kind=row.fault_kind,
        malicious=row.malicious, documents=[_doc_out(d) for d in docs], complainant=org.name if org else None,
    )  # fmt: skip


async def get_complaint(
    session: AsyncSession, runtime: Runtime, principal: Principal, complaint_id: int
) -> ComplaintOut:
    return await _out(session, runtime, await _own_or_supervised(session, principal, complaint_id))


async def complaints_of_bidder(
    session: AsyncSession, runtime: Runtime, principal: Principal
) -> list[ComplaintOut]:
    """The caller's company's complaints, the newest first."""
    if principal.organisation_id is None:
        return []
    rows = await session.scalars(
        select(Complaint)
        .where(Complaint.complainant_id == principal.organisation_id)
        .order_by(Complaint.id.desc())
    )
    return [await _out(session, runtime, row) for row in rows]


async def cases(session: AsyncSession, runtime: Runtime, principal: Principal) -> list[ComplaintOut]:
    """The supervisor's case list: open cases first, the nearest due first; then the decided, newest first."""
    if not _is_supervisor(principal):
        raise PermissionDenied("只有行政监督部门处理投诉 (supervisors handle complaints)")
    rows = list(await session.scalars(select(Complaint)))
    out = [await _out(session, runtime, row) for row in rows]
    far = datetime.max.replace(tzinfo=runtime.clock.now().tzinfo)
    return sorted(out, key=lambda c: (c.due is None, c.due or far, -c.id))


async def retender_causes(session: AsyncSession, tender_code: str) -> list[RetenderCause]:
    """The lots (None: the whole tender) an upheld complaint ordered tendered again (remedy 重新招标),
    for bidding's re-tender (core/retender_port)."""
    rows = await session.scalars(
        select(Complaint)
        .where(
            Complaint.tender_code == tender_code,
            Complaint.status == Status.UPHELD,
            Complaint.remedy == Remedy.RE_TENDER,
        )
        .order_by(Complaint.id)
    )
    return [
        RetenderCause(
            lot=row.lot_number,
            zh=f"投诉处理决定（第{row.id}号）责令重新招标",
            en=f"the decision on complaint {row.id} ordered a new tender",
            basis="《招标投标法实施条例》第六十一条",
        )
        for row in rows
    ]
