"""What the room's pages and clients are shown (pure: rows and the folded state in, typed answers out).

Everyone admitted sees the same room: phase, committee and where each member sits, progress,
reviews, anomalies, price figures, ranking and report. Individual score values are the member's own
(and the supervisors'); the others see how many scores each member has given.

The Structs here are the evaluation API's answers (one definition for the server, the schema and
clients); decimals travel as strings, times as ISO 8601 strings in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from evaluation.events import Review
from evaluation.models import Clarification, Evaluation, EvaluationState, Member
from evaluation.params import Group
from evaluation.scoring import ScoreError, outliers_at_submit
from evaluation.steps import PHASES, Phase, Room

DecimalText = Annotated[str, Meta(pattern=r"^-?\d+(\.\d+)?$", description="a decimal number as text")]
IsoTime = Annotated[str, Meta(description="ISO 8601 date and time (UTC offset included)")]


class Out(msgspec.Struct, kw_only=True):
    """An answer of the evaluation API (fields in the order they are sent)."""


class PhaseOut(Out):
    id: Phase
    zh: str


class MeOut(Out):
    """The caller's seat: a member's code, or host / supervisor."""

    member: str | None
    host: bool
    supervisor: bool
    chair: bool


class VenueOut(Out):
    code: str
    name: str
    main: bool
    members: list[str]


class MemberOut(Out):
    code: str
    name: str
    county: str | None
    venue: str | None
    venue_name: str | None
    online: bool
    signed_in: bool
    declared: bool
    voted: bool
    chair: bool
    scored: Annotated[int, Meta(ge=0, description="scores given to valid bidders")]
    of: Annotated[int, Meta(ge=0, description="scores a complete sheet holds")]
    submitted: bool
    signed: bool


class ReplacementOut(Out):
    member: str
    reason: str
    replaced_by: str | None  # None: no alternate was left (a vacancy)


class BidderOut(Out):
    code: str
    name: str
    price: DecimalText | None
    out: str | None  # why the bidder is out of the evaluation


class CriterionOut(Out):
    id: str
    group: Group
    name: str
    max_points: DecimalText
    step: DecimalText


class VerdictOut(Out):
    review: Review
    bidder: str
    item: str
    passed: bool
    reason: str


class OutlierOut(Out):
    """One of the caller's scores that needs a reason before the sheet is accepted."""

    bidder: str
    unit: str
    text: str


class OpenAnomalyOut(Out):
    member: str
    bidder: str
    unit: str
    text: str


class AnomalyOut(OpenAnomalyOut):
    confirmed: bool
    unexplained: bool


class ReturnOut(Out):
    by: str
    member: str
    reason: str


class RoomClarificationOut(Out):
    id: int
    bidder: str
    question: str
    by: str
    due_at: IsoTime
    answer: str | None
    answered_at: IsoTime | None


class ScoreOut(Out):
    member: str
    bidder: str
    criterion: str
    value: DecimalText


class RoomView(Out):
    """The room as the caller sees it (``GET /api/evaluations/{code}``, and the room page's data)."""

    code: str
    tender: str
    title: str
    lot: str
    lot_name: str
    state: EvaluationState
    phase: Phase
    phase_zh: str
    phases: list[PhaseOut]
    me: MeOut
    venues: list[VenueOut]
    members: list[MemberOut]
    replacements: list[ReplacementOut]
    vacancies: int
    vote_round: int
    ballot: list[str]
    bidders: list[BidderOut]
    qualification_items: list[str]
    preliminary_items: list[str]
    criteria: list[CriterionOut]
    my_sheet: dict[str, dict[str, DecimalText]]  # bidder → criterion → the caller's own score
    my_verdicts: list[VerdictOut]
    anomalies: list[AnomalyOut]
    open_anomalies: list[OpenAnomalyOut]
    my_outliers: list[OutlierOut]
    returns: list[ReturnOut]
    benchmark: DecimalText | None
    price_figures: dict[str, DecimalText]
    ranking: list[str]
    report_digest: str | None
    publicity_ends: IsoTime | None
    winner: str | None
    clarifications: list[RoomClarificationOut]
    # Every member's scores: sent to supervisors only (absent for everyone else).
    scores: list[ScoreOut] | UnsetType = UNSET


class EvaluationSummary(Out):
    """An evaluation the caller may enter (``GET /api/evaluations``)."""

    code: str
    tender: str
    title: str
    lot: str
    state: EvaluationState
    created_at: IsoTime


class Started(Out):
    code: str


class Acted(Out):
    """An action stored: its place in the room's log and the phase the room is in after it."""

    seq: int
    phase: Phase
    clarification: int | UnsetType = UNSET  # the new request's id, for ``clarify``


class PublicityOut(Out):
    notice: int
    ends: IsoTime


class AwardOut(Out):
    notice: int
    winner: str


class ClarificationOut(Out):
    """A clarification request (澄清) as the bidder it is addressed to sees it."""

    id: int
    evaluation: str
    tender: str
    title: str
    lot: str
    question: str
    asked_at: IsoTime
    due_at: IsoTime
    answer: str | None
    answered_at: IsoTime | None


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


def _my_outliers(state: Room, me: str | None) -> list[OutlierOut]:
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
    return [OutlierOut(bidder=a.bidder, unit=a.unit, text=a.describe()) for a in found]


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
) -> RoomView:
    by_code = {s.code: s for s in seats}
    bidders = {b["code"]: b for b in evaluation.bids}
    per_sheet = len(state.valid_bidders) * len(state.scored_criteria)
    members = []
    for code in state.members:
        seat = by_code.get(code)
        members.append(
            MemberOut(
                code=code,
                name=seat.name if seat else code,
                county=venue_names.get(seat.county_code, seat.county_code) if seat else None,
                venue=seat.venue if seat else None,
                venue_name=venue_names.get(seat.venue or "", None) if seat else None,
                online=online.get(code, False),
                signed_in=code in state.signed_in,
                declared=code in state.declared,
                voted=code in state.votes,
                chair=state.chair == code,
                scored=sum(1 for (m, b, _c) in state.scores if m == code and b in state.valid_bidders),
                of=per_sheet,
                submitted=code in state.submitted,
                signed=code in state.signatures,
            )
        )
    venues = [evaluation.main_venue, *evaluation.venues]
    sheet: dict[str, dict[str, str]] = {}
    for (m, b, c), value in state.scores.items():
        if m == me:
            sheet.setdefault(b, {})[c] = str(value)
    return RoomView(
        code=evaluation.code,
        tender=evaluation.tender_code,
        title=evaluation.tender_title,
        lot=evaluation.lot_number,
        lot_name=evaluation.lot_name,
        state=EvaluationState(evaluation.state),
        phase=state.phase,
        phase_zh=PHASE_ZH[state.phase],
        phases=[PhaseOut(id=p, zh=PHASE_ZH[p]) for p in PHASES],
        me=MeOut(member=me, host=host, supervisor=supervisor, chair=me is not None and me == state.chair),
        venues=[
            VenueOut(
                code=v,
                name=venue_names.get(v, v),
                main=v == evaluation.main_venue,
                members=[m.code for m in members if m.venue == v],
            )
            for v in venues
        ],
        members=members,
        replacements=[
            ReplacementOut(member=r.member, reason=r.reason, replaced_by=r.replaced_by)
            for r in state.replacements
        ],
        vacancies=state.vacancies,
        vote_round=state.vote_round,
        ballot=list(state.ballot),
        bidders=[
            BidderOut(
                code=b,
                name=bidders[b]["name"] if b in bidders else b,
                price=bidders[b]["price"] if b in bidders else None,
                out=state.out.get(b),
            )
            for b in state.bidders
        ],
        qualification_items=list(state.qualification_items),
        preliminary_items=list(state.preliminary_items),
        criteria=[
            CriterionOut(id=c.id, group=c.group, name=c.name, max_points=str(c.max_points), step=str(c.step))
            for c in state.scored_criteria
        ],
        my_sheet=sheet,
        my_verdicts=[
            VerdictOut(review=r, bidder=b, item=i, passed=passed, reason=reason)
            for (r, m, b, i), (passed, reason) in state.verdicts.items()
            if m == me
        ],
        anomalies=[
            AnomalyOut(
                member=a.member,
                bidder=a.bidder,
                unit=a.unit,
                text=a.describe(),
                confirmed=a.key in state.confirmations,
                unexplained=a.key in state.unexplained,
            )
            for a in state.anomalies
        ],
        open_anomalies=[
            OpenAnomalyOut(member=a.member, bidder=a.bidder, unit=a.unit, text=a.describe())
            for a in state.open_anomalies
        ],
        my_outliers=_my_outliers(state, me),
        returns=[ReturnOut(by=r.by, member=r.member, reason=r.reason) for r in state.returns],
        benchmark=_d(state.benchmark),
        price_figures={b: str(v) for b, v in (state.price_figures or {}).items()},
        ranking=list(state.ranking or ()),
        report_digest=evaluation.report_digest,
        publicity_ends=evaluation.publicity_ends.isoformat() if evaluation.publicity_ends else None,
        winner=evaluation.winner_code,
        clarifications=[
            RoomClarificationOut(
                id=c.id,
                bidder=c.bidder_code,
                question=c.question,
                by=c.asked_by,
                due_at=c.due_at.isoformat(),
                answer=c.answer,
                answered_at=c.answered_at.isoformat() if c.answered_at else None,
            )
            for c in clarifications
        ],
        scores=[
            ScoreOut(member=m, bidder=b, criterion=c, value=str(v)) for (m, b, c), v in state.scores.items()
        ]
        if supervisor
        else UNSET,
    )


def evaluation_summary(e: Evaluation) -> EvaluationSummary:
    return EvaluationSummary(
        code=e.code, tender=e.tender_code, title=e.tender_title, lot=e.lot_number,
        state=EvaluationState(e.state), created_at=e.created_at.isoformat(),
    )  # fmt: skip


def clarification_out(c: Clarification, e: Evaluation) -> ClarificationOut:
    return ClarificationOut(
        id=c.id, evaluation=e.code, tender=e.tender_code, title=e.tender_title, lot=e.lot_number,
        question=c.question, asked_at=c.asked_at.isoformat(), due_at=c.due_at.isoformat(),
        answer=c.answer, answered_at=c.answered_at.isoformat() if c.answered_at else None,
    )  # fmt: skip
