"""The bidder's journey on a tender page: register → documents → prepare and seal → submit → receipt →
opening → result, with the bidder's own status at each step and what to do next.

``steps`` is pure: it reads ``Facts`` (the tender's ``Moment`` from the lifecycle, and the bidder's
own registration, downloads, submissions, opening outcomes and the published result) and answers
what the rules already decided (``Moment.registration_open``, ``Moment.accepting_bids``,
``Moment.deadline_passed``); it computes no rule of its own. ``facts_of`` reads those facts for one
bidder's company. Texts are i18n keys (zh, en) with their values already in words: Beijing time,
amounts with thousands separators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import bid_form
from bidding.common import moment_of, registration_of
from bidding.lifecycle import Moment, State
from bidding.models import (
    BidOutcome,
    DocumentDownload,
    Lot,
    Notice,
    Opening,
    OpeningBid,
    OpeningPhase,
    Submission,
    SubmissionStatus,
    Tender,
    TenderDocument,
)
from bidding.notices import NoticeKind
from core.clock import format_local
from core.i18n import register_messages
from core.models import Organisation

DONE, TODO, WAITING, LOCKED, MISSED, INFO = "done", "todo", "waiting", "locked", "missed", "info"
STEPS = ("register", "documents", "seal", "submit", "receipt", "opening", "result")


@dataclass(frozen=True)
class Bid:
    """One of the bidder's own submissions, with what the opening made of it (if it got there)."""

    submission_id: str
    lot: str
    status: str  # SubmissionStatus
    submitted_at: datetime
    audit_position: int
    withdrawn_at: datetime | None = None
    supersedes: str | None = None
    outcome: str | None = None  # BidOutcome, once the opening listed it
    phase: str | None = None  # OpeningPhase of its lot's opening
    reason: str | None = None
    price: Decimal | None = None


@dataclass(frozen=True)
class Facts:
    code: str
    moment: Moment
    lots: list[str]
    documents: int
    credit_code: str
    registered_at: datetime | None = None
    downloaded: int = 0  # distinct documents the company downloaded
    last_download: datetime | None = None
    bids: list[Bid] = field(default_factory=list)  # oldest first
    candidates: list[dict[str, Any]] | None = None  # the published candidates (None: not yet)
    awards: list[dict[str, Any]] | None = None  # the published award (None: not yet)


@dataclass(frozen=True)
class Action:
    """What to do next: ``post`` (a form with CSRF), ``link``, ``download`` or ``command`` (to type)."""

    kind: str
    label: str  # i18n key
    target: str  # a URL, or the command line
    values: dict[str, str] = field(default_factory=dict)  # the label's values


@dataclass(frozen=True)
class Step:
    key: str
    state: str
    lines: list[tuple[str, dict[str, str]]]  # (i18n key, its values in words)
    actions: list[Action] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"journey.{self.key}"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _register(f: Facts) -> Step:
    timeline = f.moment.timeline
    if f.registered_at is not None:
        return Step("register", DONE, [("journey.register.done", {"at": format_local(f.registered_at)})])
    if f.moment.registration_open:
        return Step(
            "register",
            TODO,
            [("journey.register.todo", {"end": format_local(timeline.registration_end)})],
            [Action("post", "journey.action.register", f"/tenders/{quote(f.code)}/register")],
        )
    if f.moment.state == State.PUBLISHED and f.moment.now < timeline.registration_start:
        return Step(
            "register",
            WAITING,
            [("journey.register.soon", {"start": format_local(timeline.registration_start)})],
        )
    return Step("register", MISSED, [("journey.register.missed", {})])


def _documents(f: Facts) -> Step:
    if f.documents == 0:
        return Step("documents", INFO, [("journey.documents.none", {})])
    if f.registered_at is None:
        return Step("documents", LOCKED, [("journey.locked.register", {})])
    counts = {"n": str(f.downloaded), "m": str(f.documents)}
    action = [Action("link", "journey.action.download", "#documents")]
    if f.downloaded >= f.documents:
        return Step(
            "documents",
            DONE,
            [("journey.documents.done", {**counts, "at": format_local(f.last_download)})],
            action,
        )
    return Step("documents", TODO, [("journey.documents.todo", counts)], action)


def _active(f: Facts) -> list[Bid]:
    return [b for b in f.bids if b.status == SubmissionStatus.ACTIVE]


def seal_page(code: str, lot: str) -> str:
    """The page that seals, signs and submits a bid in the browser (bidding/seal_pages.py)."""
    return f"/tenders/{quote(code)}/lots/{quote(lot)}/seal"


def _seal_online(f: Facts) -> list[Action]:
    if len(f.lots) == 1:
        return [Action("link", "journey.action.seal", seal_page(f.code, f.lots[0]))]
    return [Action("link", "seal.link_lot", seal_page(f.code, lot), {"lot": lot}) for lot in f.lots]


def _seal(f: Facts) -> Step:
    if f.registered_at is None:
        return Step("seal", LOCKED, [("journey.locked.register", {})])
    tools = [
        *_seal_online(f),
        *(
            Action("download", "journey.action.schema", bid_form.schema_path(f.code, lot), {"lot": lot})
            for lot in f.lots
        ),
        Action("command", "journey.action.form_command", f"sunbid bid form {f.code} {f.lots[0]} --example"),
        Action(
            "command",
            "journey.action.seal_command",
            f"sunbid bid seal --tender {f.code} --lot {f.lots[0]} "
            "--form bid.json --attach plan.pdf --identity bidder.key -o bid.age",
        ),
    ]
    if _active(f):
        lines = [("journey.seal.done", {"n": str(len(_active(f)))})]
        return Step("seal", DONE, lines, tools if f.moment.accepting_bids else [])
    if f.moment.accepting_bids:
        deadline = format_local(f.moment.timeline.bid_deadline)
        return Step("seal", TODO, [("journey.seal.todo", {"deadline": deadline})], tools)
    return Step("seal", MISSED, [("journey.deadline_passed", {})])


def _submit(f: Facts) -> Step:
    if f.registered_at is None:
        return Step("submit", LOCKED, [("journey.locked.register", {})])
    lines: list[tuple[str, dict[str, str]]] = []
    for bid in _active(f):
        lines.append(
            (
                "journey.submit.active",
                {"lot": bid.lot, "id": bid.submission_id, "at": format_local(bid.submitted_at)},
            )
        )
    replaced = sum(1 for b in f.bids if b.status == SubmissionStatus.SUPERSEDED)
    if replaced:
        lines.append(("journey.submit.replaced", {"n": str(replaced)}))
    for bid in f.bids:
        if bid.status == SubmissionStatus.WITHDRAWN:
            lines.append(
                ("journey.submit.withdrawn", {"id": bid.submission_id, "at": format_local(bid.withdrawn_at)})
            )
    accepting = f.moment.accepting_bids
    actions: list[Action] = []
    if accepting:
        actions.append(Action("link", "journey.action.upload", "#upload-card"))
        if _active(f):
            actions.append(Action("link", "journey.action.replace", seal_page(f.code, f.lots[0])))
            actions.append(
                Action(
                    "command", "journey.action.withdraw", "sunbid bid withdraw bid.age --identity bidder.key"
                )
            )
    if _active(f):
        return Step("submit", DONE, lines, actions)
    if accepting:
        deadline = format_local(f.moment.timeline.bid_deadline)
        return Step("submit", TODO, [*lines, ("journey.submit.todo", {"deadline": deadline})], actions)
    return Step("submit", MISSED, [*lines, ("journey.deadline_passed", {})])


def _receipt(f: Facts) -> Step:
    active = _active(f)
    if not active:
        return Step("receipt", LOCKED, [("journey.receipt.none", {})])
    lines = [("journey.receipt.done", {"id": b.submission_id, "n": str(b.audit_position)}) for b in active]
    actions = [
        Action(
            "download",
            "journey.action.receipt",
            f"/api/submissions/{quote(b.submission_id)}/receipt",
            {"lot": b.lot},
        )
        for b in active
    ]
    verify = "sunbid receipt verify receipt.json --server-key server-key.txt"
    actions.append(Action("command", "journey.action.verify", verify))
    return Step("receipt", DONE, lines, actions)


def _opening(f: Facts) -> Step:
    deadline = format_local(f.moment.timeline.bid_deadline)
    hall = [
        Action(
            "link", "journey.action.hall", f"/tenders/{quote(f.code)}/opening?lot={quote(lot)}", {"lot": lot}
        )
        for lot in f.lots
    ]
    if not f.moment.deadline_passed:
        return Step("opening", WAITING, [("journey.opening.at", {"at": deadline})], hall)
    active = _active(f)
    if not active:
        return Step("opening", INFO, [("journey.no_bid", {})], hall)
    lines: list[tuple[str, dict[str, str]]] = []
    states = []
    for bid in active:
        values = {"lot": bid.lot}
        if bid.outcome is None or (
            bid.outcome == BidOutcome.QUEUED and bid.phase == OpeningPhase.AWAITING_HOST
        ):
            lines.append(("journey.opening.awaiting", values))
            states.append(WAITING)
        elif bid.outcome == BidOutcome.QUEUED and bid.phase == OpeningPhase.CUSTODY:
            lines.append(("journey.opening.custody", values))
            states.append(WAITING)
        elif bid.outcome == BidOutcome.QUEUED:
            lines.append(("journey.opening.queued", values))
            states.append(TODO)
        elif bid.outcome == BidOutcome.DECRYPTING:
            lines.append(("journey.opening.decrypting", values))
            states.append(WAITING)
        elif bid.outcome == BidOutcome.OPENED:
            price = _money(bid.price) if bid.price is not None else "—"
            lines.append(("journey.opening.opened", {**values, "price": price}))
            states.append(DONE)
        else:  # rejected, revoked (撤销), withdrawn (撤回): the reason the opening recorded
            lines.append((f"journey.opening.{bid.outcome}", {**values, "reason": bid.reason or "—"}))
            states.append(MISSED)
    actions = hall
    if TODO in states:
        command = f"sunbid bid decrypt --tender {f.code} --lot {active[0].lot} --identity bidder.key"
        actions = [*hall, Action("command", "journey.action.decrypt", command)]
    state = next((s for s in (TODO, WAITING, MISSED) if s in states), DONE)
    return Step("opening", state, lines, actions)


def _result(f: Facts) -> Step:
    state = f.moment.state
    if state == State.CANCELLED:
        return Step("result", INFO, [("journey.result.cancelled", {})])
    if state == State.FAILED:
        return Step("result", INFO, [("journey.result.failed", {})])
    if not _active(f):
        if f.moment.deadline_passed:
            return Step("result", INFO, [("journey.no_bid", {})])
        return Step("result", WAITING, [("journey.result.later", {})])
    mine = f.credit_code
    if f.awards is not None:
        won = [a for a in f.awards if a.get("bidder", {}).get("credit_code") == mine]
        if won:
            lines = [
                ("journey.result.winner", {"lot": str(a.get("lot", "")), "price": _price(a)}) for a in won
            ]
            return Step("result", DONE, lines)
        return Step("result", INFO, [("journey.result.not_awarded", {})])
    if f.candidates is not None:
        ranked = [c for c in f.candidates if c.get("bidder", {}).get("credit_code") == mine]
        if ranked:
            lines = [
                ("journey.result.candidate", {"lot": str(c.get("lot", "")), "rank": str(c.get("rank", ""))})
                for c in ranked
            ]
            return Step("result", WAITING, lines)
        return Step("result", INFO, [("journey.result.not_candidate", {})])
    if state == State.EVALUATING:
        return Step("result", WAITING, [("journey.result.evaluating", {})])
    return Step("result", WAITING, [("journey.result.later", {})])


def _price(row: dict[str, Any]) -> str:
    try:
        return _money(Decimal(str(row.get("price"))))
    except ArithmeticError:
        return "—"


def steps(facts: Facts) -> list[Step]:
    """The seven steps of ``facts``' bidder, each with its state, its lines and what to do next."""
    return [
        _register(facts),
        _documents(facts),
        _seal(facts),
        _submit(facts),
        _receipt(facts),
        _opening(facts),
        _result(facts),
    ]


def next_step(found: list[Step]) -> Step | None:
    """The first step waiting for the bidder to act."""
    return next((s for s in found if s.state == TODO), None)


async def facts_of(session: AsyncSession, tender: Tender, organisation_id: int, now: datetime) -> Facts:
    """What the bidder's company has done on ``tender`` so far, and what the tender published."""
    org = await session.get(Organisation, organisation_id)
    registered = await registration_of(session, tender.id, organisation_id)
    lots = dict(
        (
            await session.execute(
                select(Lot.id, Lot.number).where(Lot.tender_id == tender.id).order_by(Lot.id)
            )
        ).all()
    )
    documents = await session.scalar(
        select(func.count()).select_from(TenderDocument).where(TenderDocument.tender_id == tender.id)
    )
    downloaded = (
        await session.execute(
            select(func.count(func.distinct(DocumentDownload.document_id)), func.max(DocumentDownload.at))
            .join(TenderDocument, TenderDocument.id == DocumentDownload.document_id)
            .where(TenderDocument.tender_id == tender.id, DocumentDownload.organisation_id == organisation_id)
        )
    ).one()
    rows = (
        await session.execute(
            select(Submission, OpeningBid, Opening.phase)
            .outerjoin(OpeningBid, OpeningBid.submission_id == Submission.id)
            .outerjoin(Opening, Opening.id == OpeningBid.opening_id)
            .where(Submission.tender_id == tender.id, Submission.organisation_id == organisation_id)
            .order_by(Submission.submitted_at, Submission.id)
        )
    ).all()
    bids = [
        Bid(
            submission_id=s.submission_id,
            lot=lots.get(s.lot_id, ""),
            status=s.status,
            submitted_at=s.submitted_at,
            audit_position=s.audit_position,
            withdrawn_at=s.withdrawn_at,
            supersedes=s.supersedes,
            outcome=o.outcome if o is not None else None,
            reason=o.reason if o is not None else None,
            price=o.price if o is not None else None,
            phase=phase,
        )
        for s, o, phase in rows
    ]
    candidates: list[dict[str, Any]] | None = None
    awards: list[dict[str, Any]] | None = None
    notices = await session.scalars(
        select(Notice)
        .where(Notice.tender_id == tender.id, Notice.kind.in_([NoticeKind.CANDIDATES, NoticeKind.AWARD]))
        .order_by(Notice.published_at, Notice.id)
    )
    for notice in notices:
        data = notice.data or {}
        if notice.kind == NoticeKind.CANDIDATES:
            candidates = [*(candidates or []), *data.get("candidates", [])]
        else:
            awards = [*(awards or []), *data.get("awards", [])]
    return Facts(
        code=tender.code,
        moment=moment_of(tender, now),
        lots=list(lots.values()),
        documents=int(documents or 0),
        credit_code=org.credit_code if org else "",
        registered_at=registered.registered_at if registered else None,
        downloaded=int(downloaded[0] or 0),
        last_download=downloaded[1],
        bids=bids,
        candidates=candidates,
        awards=awards,
    )


MESSAGES: dict[str, tuple[str, str]] = {
    "journey.title": ("我的投标进度", "My bid, step by step"),
    "journey.next": ("下一步：{step}", "Next: {step}"),
    "journey.register": ("报名", "Register"),
    "journey.documents": ("下载招标文件", "Download the tender documents"),
    "journey.seal": ("编制并加密投标文件", "Prepare and seal the bid"),
    "journey.submit": ("递交、替换或撤回", "Submit, replace or withdraw"),
    "journey.receipt": ("投标回执", "Receipt"),
    "journey.opening": ("开标", "Opening"),
    "journey.result": ("评标结果", "Result"),
    "journey.state.done": ("已完成", "Done"),
    "journey.state.todo": ("待办", "To do"),
    "journey.state.waiting": ("等待中", "Waiting"),
    "journey.state.locked": ("尚不可用", "Not yet"),
    "journey.state.missed": ("未完成", "Missed"),
    "journey.state.info": ("说明", "Note"),
    "journey.register.done": ("已于 {at}（北京时间）报名。", "Registered on {at} (Beijing time)."),
    "journey.register.todo": (
        "报名进行中，截止于 {end}（北京时间）。",
        "Registration is open until {end} (Beijing time).",
    ),
    "journey.register.soon": (
        "报名将于 {start}（北京时间）开始。",
        "Registration opens on {start} (Beijing time).",
    ),
    "journey.register.missed": (
        "报名已截止，贵单位未报名。",
        "Registration has closed; your company did not register.",
    ),
    "journey.locked.register": ("报名后可用。", "Available once you have registered."),
    "journey.documents.none": (
        "招标人尚未上传招标文件。",
        "The tenderer has not uploaded any documents yet.",
    ),
    "journey.documents.todo": ("已下载 {n} / {m} 份招标文件。", "{n} of {m} documents downloaded."),
    "journey.documents.done": (
        "已下载全部 {m} 份招标文件，最近一次于 {at}（北京时间）。",
        "All {m} documents downloaded, last on {at} (Beijing time).",
    ),
    "journey.seal.todo": (
        "按招标文件的投标函格式填写，在本机加密后递交；截止时间 {deadline}（北京时间）。",
        "Fill in the bid form the tender asks for and seal it on your own computer; the deadline is "
        "{deadline} (Beijing time).",
    ),
    "journey.seal.done": ("已有 {n} 份加密投标文件有效。", "{n} sealed bid(s) in force."),
    "journey.deadline_passed": ("投标截止时间已过。", "The bid deadline has passed."),
    "journey.submit.todo": (
        "尚未递交投标；请在 {deadline}（北京时间）前递交。",
        "No bid submitted yet; submit before {deadline} (Beijing time).",
    ),
    "journey.submit.active": (
        "标段 {lot}：投标 {id} 于 {at}（北京时间）递交，有效。",
        "Lot {lot}: bid {id} submitted on {at} (Beijing time), in force.",
    ),
    "journey.submit.replaced": ("此前递交的 {n} 份投标已被替换。", "{n} earlier bid(s) replaced."),
    "journey.submit.withdrawn": (
        "投标 {id} 已于 {at}（北京时间）撤回。",
        "Bid {id} withdrawn on {at} (Beijing time).",
    ),
    "journey.receipt.none": (
        "递交投标后，这里提供签名回执。",
        "Once you submit, your signed receipt is here.",
    ),
    "journey.receipt.done": (
        "投标 {id} 的回执已由平台签名（审计序号 {n}）。",
        "The platform signed the receipt of bid {id} (audit entry {n}).",
    ),
    "journey.opening.at": (
        "将于 {at}（北京时间）在线开标。",
        "The bids are opened online at {at} (Beijing time).",
    ),
    "journey.no_bid": ("贵单位未递交有效投标。", "Your company has no bid in force."),
    "journey.opening.awaiting": (
        "标段 {lot}：等待主持人开始开标。",
        "Lot {lot}: waiting for the host to start.",
    ),
    "journey.opening.queued": (
        "标段 {lot}：请在解密时限内提交文件密钥（开标大厅或 sunbid bid decrypt）。",
        "Lot {lot}: reveal your file key within the decryption window (opening hall or sunbid bid decrypt).",
    ),
    "journey.opening.custody": (
        "标段 {lot}：解密时限已过，由密钥保管人开启。",
        "Lot {lot}: the decryption window is over; the custodians open the bid.",
    ),
    "journey.opening.decrypting": ("标段 {lot}：正在解密。", "Lot {lot}: decrypting."),
    "journey.opening.opened": (
        "标段 {lot}：已解密，投标报价 {price} 元。",
        "Lot {lot}: opened; price {price} yuan.",
    ),
    "journey.opening.rejected": ("标段 {lot}：投标被否决：{reason}", "Lot {lot}: bid rejected: {reason}"),
    "journey.opening.revoked": (
        "标段 {lot}：投标未能解密，视为撤销：{reason}",
        "Lot {lot}: not decrypted (revoked): {reason}",
    ),
    "journey.opening.withdrawn": (
        "标段 {lot}：投标未能开启，视为撤回：{reason}",
        "Lot {lot}: not opened (withdrawn): {reason}",
    ),
    "journey.result.later": (
        "开标后评标，结果将在此公布。",
        "The bids are evaluated after the opening; the result appears here.",
    ),
    "journey.result.evaluating": ("评标委员会正在评标。", "The evaluation committee is at work."),
    "journey.result.candidate": (
        "标段 {lot}：贵单位为第 {rank} 名中标候选人（公示中）。",
        "Lot {lot}: your company is candidate no. {rank} (publicity).",
    ),
    "journey.result.not_candidate": (
        "贵单位未进入中标候选人名单。",
        "Your company is not among the candidates.",
    ),
    "journey.result.winner": (
        "标段 {lot}：贵单位中标，中标价 {price} 元。",
        "Lot {lot}: your company won, at {price} yuan.",
    ),
    "journey.result.not_awarded": (
        "本项目已定标，贵单位未中标。",
        "The tender is awarded; your company did not win.",
    ),
    "journey.result.cancelled": ("本项目已终止。", "This tender was cancelled."),
    "journey.result.failed": ("本项目流标。", "This tender failed (too few valid bids)."),
    "journey.action.register": ("报名", "Register"),
    "journey.action.download": ("下载招标文件", "Download the documents"),
    "journey.action.seal": ("编制并加密投标文件", "Prepare and seal"),
    "journey.action.schema": ("标段 {lot} 投标函格式（JSON Schema）", "Lot {lot} bid form (JSON Schema)"),
    "journey.action.form_command": (
        "或在本机生成投标函模板：",
        "Or make a bid.json to fill on your computer:",
    ),
    "journey.action.seal_command": ("在本机加密：", "Seal it on your computer:"),
    "journey.action.upload": ("上传加密投标文件", "Upload a sealed bid"),
    "journey.action.replace": ("替换投标（重新加密）", "Replace the bid (seal again)"),
    "journey.action.withdraw": ("撤回投标（签名后生效）：", "Withdraw the bid (signed with your key):"),
    "journey.action.receipt": ("下载标段 {lot} 的回执", "Download the lot {lot} receipt"),
    "journey.action.verify": ("在本机核验回执：", "Verify the receipt on your computer:"),
    "journey.action.hall": ("标段 {lot} 开标大厅", "Lot {lot} opening hall"),
    "journey.action.decrypt": ("或在本机提交文件密钥：", "Or reveal the key from your computer:"),
}
register_messages(MESSAGES)
