"""The report's use cases: drawn up when the ranking is published (evaluation/report/ renders it),
signed by every member, stored with its signature page, and served to those admitted to the room."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core import rooms
from core.accounts import Principal
from core.clock import SHANGHAI
from core.errors import Conflict, InvalidInput, NotFound
from core.runtime import Runtime
from evaluation.events import EVALUATION_REPORT_SIGNED, ReportComplete, ReportReady
from evaluation.models import Evaluation, EvaluationState
from evaluation.report.document import Report, build_report
from evaluation.report.facts import BidderFacts, MemberFacts, ReportError, TenderFacts
from evaluation.report.signatures import (
    MemberSignature,
    ReportSignatureError,
    signature_page,
    verify_member_signature,
)
from evaluation.room import admitted, evaluate, region_names, room_name, seat_row, seats_of
from evaluation.start import is_representative
from evaluation.steps import Room
from experts import service as experts


async def _build_report(session: AsyncSession, evaluation: Evaluation, state: Room) -> Report:
    seats = await seats_of(session, evaluation)
    names = await region_names(session, evaluation, seats)
    criteria = evaluation.criteria
    review_items = {
        str(i["id"]): str(i["text"])
        for key in ("qualification", "preliminary")
        for i in criteria.get(key, [])
    }
    tender = TenderFacts(
        code=evaluation.tender_code, title=evaluation.tender_title, lot=evaluation.lot_number,
        lot_name=evaluation.lot_name, method=criteria["method"], budget=evaluation.budget,
        evaluation_date=evaluation.created_at.astimezone(SHANGHAI).date(),
        venues=tuple(names[v] for v in (evaluation.main_venue, *evaluation.venues)),
        ceiling_price=evaluation.ceiling_price, review_items=review_items,
        training=await bidding.is_training(session, evaluation.tender_code),
    )  # fmt: skip
    members = {
        s.code: MemberFacts(
            name=s.name,
            county=names.get(s.county_code, s.county_code),
            venue=names.get(s.venue or "", s.venue or ""),
            employer=s.employer,
            chair=state.chair == s.code,
            public_key=s.public_key,
            role="tenderer" if is_representative(s.code) else "expert",
        )
        for s in seats
    }
    bidders = {
        b["code"]: BidderFacts(credit_code=b["code"], name=b["name"], price=Decimal(b["price"]))
        for b in evaluation.bids
    }
    try:
        return build_report(state, evaluate(evaluation, state), tender, members, bidders)
    except ReportError as error:
        raise Conflict(
            f"评标报告无法生成 (the report cannot be drawn up): {error}", code="report_failed"
        ) from None


def _stored_report(evaluation: Evaluation) -> Report:
    """The drafted report as stored (its files are in the blob store; the facts are what count)."""
    assert evaluation.report_facts is not None and evaluation.report_digest is not None
    return Report.from_facts(evaluation.report_facts)


def _report_key(evaluation: Evaluation, kind: str) -> str:
    return f"evaluation/{evaluation.code}/report-{evaluation.report_digest}.{kind}"


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def draft_report(session: AsyncSession, runtime: Runtime, evaluation: Evaluation, state: Room) -> None:
    """The ranking is published: the report is drawn up, stored, and announced for signature."""
    report = await _build_report(session, evaluation, state)
    evaluation.report_digest = report.digest
    evaluation.report_facts = report.facts
    for seat in await seats_of(session, evaluation):  # a returned sheet invalidates earlier signatures
        seat.signature = None
        seat.signed_at = None
    # Rendering takes about a second (fonts): off the event loop, so the room stays live meanwhile.
    pdf, html = await anyio.to_thread.run_sync(lambda: (report.pdf, report.html))
    await runtime.blobs.put(_report_key(evaluation, "pdf"), _chunks(pdf))
    await runtime.blobs.put(_report_key(evaluation, "html"), _chunks(html.encode()))
    await rooms.append(
        session, runtime.clock, room_name(evaluation.code), "report.ready", ReportReady(digest=report.digest)
    )


async def check_signature(session: AsyncSession, evaluation: Evaluation, member: str, signature: str) -> None:
    """A member's signature over the drafted report, checked against the key of their seat."""
    if evaluation.report_digest is None:
        raise Conflict("评标报告尚未生成 (the report is not drafted yet)", code="no_report")
    seat = await seat_row(session, evaluation, member)
    if not seat.public_key:
        raise Conflict("您尚未登记签名公钥 (register your signing key on your profile first)", code="no_key")
    try:
        verify_member_signature(evaluation.report_digest, seat.public_key, signature)
    except (ReportError, ReportSignatureError) as error:
        raise InvalidInput(
            f"签名无效 (the signature does not verify): {error}", code="bad_signature"
        ) from None


async def signed(session: AsyncSession, runtime: Runtime, evaluation: Evaluation, state: Room) -> None:
    """Every member signed: the signed report (with its signature page) is stored and logged."""
    evaluation.state = EvaluationState.SIGNED
    evaluation.signed_at = runtime.clock.now()
    seats = [s for s in await seats_of(session, evaluation) if s.code in state.members]
    signatures = [MemberSignature(s.code, s.signature or "", s.signed_at) for s in seats]
    try:
        page = await anyio.to_thread.run_sync(signature_page, _stored_report(evaluation), signatures)
    except (ReportError, ReportSignatureError) as error:
        raise Conflict(f"签名核验失败 (a signature does not verify): {error}", code="bad_signature") from None
    await runtime.blobs.put(_report_key(evaluation, "signed.pdf"), _chunks(page.pdf))
    await runtime.blobs.put(_report_key(evaluation, "signed.html"), _chunks(page.html.encode()))
    await runtime.blobs.put(
        _report_key(evaluation, "signatures.json"),
        _chunks(json.dumps(page.record, ensure_ascii=False).encode()),
    )
    await runtime.audit.append(
        session, EVALUATION_REPORT_SIGNED, subject=f"evaluation:{evaluation.code}",
        data={"digest": evaluation.report_digest,  # members' codes stay sealed until the award
              "signatures": await experts.seal_for_committee(session, evaluation.draw_id, page.record)},
    )  # fmt: skip
    await rooms.append(
        session,
        runtime.clock,
        room_name(evaluation.code),
        "report.signed",
        ReportComplete(digest=evaluation.report_digest),
    )


async def report_file(
    session: AsyncSession, runtime: Runtime, principal: Principal | None, code: str, kind: str
) -> Any:
    """The report (pdf or html) for those admitted to the room: the signed one once everyone signed,
    else the draft the members are signing."""
    evaluation, _, _ = await admitted(session, code, principal, runtime)
    if evaluation.report_digest is None:
        raise NotFound("评标报告尚未生成 (no report yet)", code="no_report")
    if kind not in ("pdf", "html"):
        raise NotFound("报告格式为 pdf 或 html (the report is pdf or html)", code="unknown_format")
    key = _report_key(evaluation, f"signed.{kind}" if evaluation.signed_at is not None else kind)
    return await runtime.blobs.open(key)
