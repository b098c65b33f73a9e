"""The opening hall as it stands (first paint): the room's stored events replayed into the phase,
countdown, progress, coefficient, 唱标 table and proceedings, so the page shows the truth before any
WebSocket message (and without JavaScript). The page's JS continues from ``last``; it handles the
same kinds the same way (web/static/bidding/opening.js)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bidding import inputs
from bidding.opening.common import room_name
from core import rooms
from core.accounts import Principal
from core.clock import as_utc, format_local
from core.i18n import register_messages

# What each room event reads as in the proceedings (the kinds bidding/opening appends).
KINDS: dict[str, tuple[str, str]] = {
    "opening.due": ("投标截止，等待主持人开始开标", "Bids closed; waiting for the host to open"),
    "opening.autostarted": (
        "主持人未按时开始，系统已自动开始开标",
        "The host had not started; the platform started the opening",
    ),
    "window.opened": ("开标开始，投标人解密投标文件", "Opening started; bidders decrypt their bids"),
    "window.closed_early": (
        "全部投标文件已处理，解密提前结束",
        "Every bid is settled; decryption closed early",
    ),
    "bids.listed": ("公布递交投标文件的投标人", "Bidders who submitted are listed"),
    "progress": ("解密进度更新", "Decryption progress"),
    "bid.decrypting": ("本单位投标文件正在解密", "Your bid is being decrypted"),
    "bid.opened": ("一份投标文件解密成功", "A bid was decrypted"),
    "bid.failed": ("一份投标文件未能解密", "A bid could not be decrypted"),
    "custody.called": ("启用托管密钥", "Custody keys called"),
    "custody.share": ("托管人提交密钥份额", "A custodian revealed a share"),
    "custody.mismatch": ("托管密钥份额不符", "A custody share did not match"),
    "coefficient.contribution": ("提交下浮系数随机数", "A coefficient contribution"),
    "coefficient.drawn": ("抽取下浮系数", "The coefficient was drawn"),
    "table.row": ("唱标", "A bid was read out"),
    "confirm.opened": ("唱标结束，投标人确认", "Reading done; bidders confirm"),
    "bidder.confirmed": ("投标人确认唱标结果", "A bidder confirmed the reading"),
    "objection": ("投标人提出异议", "A bidder objected"),
    "answer": ("主持人答复异议", "The host answered an objection"),
    "record.published": ("开标记录已发布", "The opening record was published"),
}
OUTCOMES: dict[str, tuple[str, str]] = {
    "queued": ("待解密", "Queued"),
    "decrypting": ("解密中", "Decrypting"),
    "opened": ("有效", "Opened"),
    "rejected": ("不符合要求", "Rejected"),
    "revoked": ("撤销（投标人原因）", "Revoked (bidder's fault)"),
    "withdrawn": ("撤回", "Withdrawn"),
}
register_messages(
    {f"opening.event.{k}": v for k, v in KINDS.items()}
    | {f"opening.outcome.{k}": v for k, v in OUTCOMES.items()}
    | {"opening.event.other": ("开标事件", "Opening event"), "opening.deadline_at": ("截止时间", "Deadline")}
)
PROGRESS = ("queued", "decrypting", "opened", "failed")
LOG_LIMIT = 2000  # events replayed for the first paint; the socket sends the rest


@dataclass
class Hall:
    phase: str = "none"
    ends_at: datetime | None = None
    progress: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(PROGRESS, 0))
    coefficient: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)  # {seq, at, kind, note}
    published: bool = False
    last: int = 0


def _when(value: Any) -> datetime | None:
    return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00"))) if value else None


def bond_words(lang: str, bond: Any) -> Any:
    """A row's bond as stored ("50000.00 (cash/bank_guarantee)") with its forms named."""
    if not isinstance(bond, str):
        return bond
    index = 0 if lang == "zh" else 1
    for code, names in inputs.BOND_FORMS.items():
        bond = bond.replace(code, names[index])
    return bond


async def hall(
    session: AsyncSession, tender_code: str, lot_number: str, deadline: datetime, principal: Principal | None
) -> Hall:
    """The hall as ``principal`` may see it: events for other audiences are skipped, as on the socket."""
    state = Hall(ends_at=as_utc(deadline))
    viewer = rooms.Viewer.of(principal)
    for event in await rooms.events_after(session, room_name(tender_code, lot_number), 0, LOG_LIMIT):
        state.last = event.seq
        if not viewer.sees(event.audience):
            continue
        data = json.loads(event.payload) if event.payload else {}
        if isinstance(data, dict):
            _apply(state, event.kind, data)
        note = (data.get("reason") or data.get("answer") or "") if isinstance(data, dict) else ""
        state.log.append({"seq": event.seq, "at": format_local(event.at), "kind": event.kind, "note": note})
    return state


def _apply(state: Hall, kind: str, d: dict[str, Any]) -> None:
    match kind:
        case "opening.due":
            state.phase, state.ends_at = "awaiting_host", None
        case "window.opened":
            state.phase, state.ends_at = "decrypting", _when(d.get("window_ends_at"))
        case "custody.called":
            state.phase, state.ends_at = "custody", _when(d.get("custody_ends_at"))
        case "confirm.opened":
            state.phase, state.ends_at = "confirming", _when(d.get("confirm_ends_at"))
        case "progress":
            state.progress.update({k: d.get(k, 0) for k in PROGRESS})
        case "coefficient.drawn":
            state.coefficient = d.get("coefficient")
        case "table.row":
            state.rows.append(d)
        case "record.published":
            state.phase = "failed" if d.get("failed") else "closed"
            state.ends_at, state.published = None, True


def event_words(t: Any, kind: str) -> str:
    return str(t(f"opening.event.{kind}" if kind in KINDS else "opening.event.other"))
