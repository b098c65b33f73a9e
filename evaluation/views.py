"""What the room's pages and clients are shown (pure: rows and the folded state in, JSON out).

Everyone admitted sees the same room: phase, committee and where each member sits, progress,
reviews, anomalies, price figures, ranking and report. Individual score values are the member's own
(and the supervisors'); the others see how many scores each member has given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from evaluation.models import Clarification, Evaluation, Member
from evaluation.scoring import ScoreError, outliers_at_submit
from evaluation.steps import PHASES, Phase, Room

PHASE_ZH = {
    Phase.SIGN_IN: "签到与回避声明",
    Phase.CHAIR_ELECTION: "推选组长",
    Phase.QUALIFICATION: "资格评审",
    Phase.PRELIMINARY: "初步评审",
    Phase.SCORING: "详细评审（打分）",
    Phase.PRICE_SCORE: "价格分计算",
    Phase.RESULTS: "评审结果与排序",
    Phase.REPORT: "签署评标报告",
    Phase.SIGNED: "评标结束",
}


def _d(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _my_outliers(state: Room, me: str | None) -> list[dict[str, str]]:
    """The member's scores that need a reason before the sheet is accepted (against the sheets in)."""
    if me is None or state.phase is not Phase.SCORING or me in state.submitted or state.anomaly_limit is None:
        return []
    try:
        found = outliers_at_submit(
            state.sheets,
            state.scored_criteria,
            state.valid_bidders,
            state.anomaly_limit,
            me,
            state.members,
            state.submitted,
        )
    except ScoreError:  # the sheet is not complete yet
        return []
    return [{"bidder": a.bidder, "unit": a.unit, "text": a.describe()} for a in found]


def room_view(
    evaluation: Evaluation,
    seats: Sequence[Member],
    state: Room,
    *,
    me: str | None,
    host: bool,
    supervisor: bool,
    online: Mapping[str, bool],
    venue_names: Mapping[str, str],
    clarifications: Iterable[Clarification],
) -> dict[str, Any]:
    by_code = {s.code: s for s in seats}
    bidders = {b["code"]: b for b in evaluation.bids}
    per_sheet = len(state.valid_bidders) * len(state.scored_criteria)
    members = []
    for code in state.members:
        seat = by_code.get(code)
        members.append(
            {
                "code": code,
                "name": seat.name if seat else code,
                "county": venue_names.get(seat.county_code, seat.county_code) if seat else None,
                "venue": seat.venue if seat else None,
                "venue_name": venue_names.get(seat.venue or "", None) if seat else None,
                "online": online.get(code, False),
                "signed_in": code in state.signed_in,
                "declared": code in state.declared,
                "voted": code in state.votes,
                "chair": state.chair == code,
                "scored": sum(1 for (m, b, _c) in state.scores if m == code and b in state.valid_bidders),
                "of": per_sheet,
                "submitted": code in state.submitted,
                "signed": code in state.signatures,
            }
        )
    venues = [evaluation.main_venue, *evaluation.venues]
    sheet: dict[str, dict[str, str]] = {}
    for (m, b, c), value in state.scores.items():
        if m == me:
            sheet.setdefault(b, {})[c] = str(value)
    my_verdicts = [
        {"review": r, "bidder": b, "item": i, "passed": passed, "reason": reason}
        for (r, m, b, i), (passed, reason) in state.verdicts.items()
        if m == me
    ]
    view: dict[str, Any] = {
        "code": evaluation.code,
        "tender": evaluation.tender_code,
        "title": evaluation.tender_title,
        "lot": evaluation.lot_number,
        "lot_name": evaluation.lot_name,
        "state": evaluation.state,
        "phase": state.phase.value,
        "phase_zh": PHASE_ZH[state.phase],
        "phases": [{"id": p.value, "zh": PHASE_ZH[p]} for p in PHASES],
        "me": {
            "member": me,
            "host": host,
            "supervisor": supervisor,
            "chair": me is not None and me == state.chair,
        },
        "venues": [
            {
                "code": v,
                "name": venue_names.get(v, v),
                "main": v == evaluation.main_venue,
                "members": [m["code"] for m in members if m["venue"] == v],
            }
            for v in venues
        ],
        "members": members,
        "replacements": [
            {"member": r.member, "reason": r.reason, "replaced_by": r.replaced_by} for r in state.replacements
        ],
        "vacancies": state.vacancies,
        "vote_round": state.vote_round,
        "ballot": list(state.ballot),
        "bidders": [
            {
                "code": b,
                "name": bidders[b]["name"] if b in bidders else b,
                "price": bidders[b]["price"] if b in bidders else None,
                "out": state.out.get(b),
            }
            for b in state.bidders
        ],
        "qualification_items": list(state.qualification_items),
        "preliminary_items": list(state.preliminary_items),
        "criteria": [
            {
                "id": c.id,
                "group": c.group,
                "name": c.name,
                "max_points": str(c.max_points),
                "step": str(c.step),
            }
            for c in state.scored_criteria
        ],
        "my_sheet": sheet,
        "my_verdicts": my_verdicts,
        "anomalies": [
            {
                "member": a.member,
                "bidder": a.bidder,
                "unit": a.unit,
                "text": a.describe(),
                "confirmed": a.key in state.confirmations,
                "unexplained": a.key in state.unexplained,
            }
            for a in state.anomalies
        ],
        "open_anomalies": [
            {"member": a.member, "bidder": a.bidder, "unit": a.unit, "text": a.describe()}
            for a in state.open_anomalies
        ],
        "my_outliers": _my_outliers(state, me),
        "returns": [{"by": r.by, "member": r.member, "reason": r.reason} for r in state.returns],
        "benchmark": _d(state.benchmark),
        "price_figures": {b: str(v) for b, v in (state.price_figures or {}).items()},
        "ranking": list(state.ranking or ()),
        "report_digest": evaluation.report_digest,
        "publicity_ends": evaluation.publicity_ends.isoformat() if evaluation.publicity_ends else None,
        "winner": evaluation.winner_code,
        "clarifications": [
            {
                "id": c.id,
                "bidder": c.bidder_code,
                "question": c.question,
                "by": c.asked_by,
                "due_at": c.due_at.isoformat(),
                "answer": c.answer,
                "answered_at": c.answered_at.isoformat() if c.answered_at else None,
            }
            for c in clarifications
        ],
    }
    if supervisor:
        view["scores"] = [
            {"member": m, "bidder": b, "criterion": c, "value": str(v)}
            for (m, b, c), v in state.scores.items()
        ]
    return view
