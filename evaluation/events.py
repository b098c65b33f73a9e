"""The events of an evaluation room (pure data; evaluation/steps.py folds them into the room's state).

Each is what the room's stored event log holds; steps.py re-exports them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from evaluation.params import AnomalyLimit, Criterion

Review = Literal["qualification", "preliminary"]


# --- events ------------------------------------------------------------------------------------------


class RoomOpened(msgspec.Struct, frozen=True):
    """The first event: the committee drawn (in order), the alternates (in order), the bidders whose
    bids opened, the review items and the criteria."""

    members: tuple[str, ...]
    alternates: tuple[str, ...]
    bidders: tuple[str, ...]
    qualification_items: tuple[str, ...]
    preliminary_items: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    anomaly_limit: AnomalyLimit | None = None
    # (bidder, reason) for each bid whose bond failed verification at opening: out at qualification
    bond_failures: tuple[tuple[str, str], ...] = ()


class SignedIn(msgspec.Struct, frozen=True):
    member: str


class AvoidanceDeclared(msgspec.Struct, frozen=True):
    member: str
    conflict: bool
    reason: str = ""


class MemberAbsent(msgspec.Struct, frozen=True):
    """The host records that a member who confirmed did not come (无故缺席): replaced like a conflict."""

    member: str
    reason: str


class AlternatesAdded(msgspec.Struct, frozen=True):
    """Alternates from a supplementary draw; they fill vacancies first, in order."""

    alternates: tuple[str, ...]


class ChairVote(msgspec.Struct, frozen=True):
    member: str
    candidate: str


class Verdict(msgspec.Struct, frozen=True):
    review: Review
    member: str
    bidder: str
    item: str
    passed: bool
    reason: str = ""


class ScoreGiven(msgspec.Struct, frozen=True):
    member: str
    bidder: str
    criterion: str
    value: Decimal


class SheetSubmitted(msgspec.Struct, frozen=True):
    """``reasons``: (bidder, unit, reason) for each score that deviates from the mean of the sheets
    already in by more than the limit (required for each; the room records them as confirmations)."""

    member: str
    reasons: tuple[tuple[str, str, str], ...] = ()


class ScoresReturned(msgspec.Struct, frozen=True):
    by: str
    member: str
    reason: str


class AnomalyConfirmed(msgspec.Struct, frozen=True):
    member: str
    bidder: str
    unit: str
    reason: str


class AnomalyUnexplained(msgspec.Struct, frozen=True):
    by: str
    member: str
    bidder: str
    unit: str


class PriceScoresComputed(msgspec.Struct, frozen=True):
    figures: tuple[tuple[str, Decimal], ...]
    benchmark: Decimal | None = None


class RankingPublished(msgspec.Struct, frozen=True):
    order: tuple[str, ...]


class ReportSigned(msgspec.Struct, frozen=True):
    member: str


class Advance(msgspec.Struct, frozen=True):
    by: str


Event = (
    RoomOpened
    | SignedIn
    | AvoidanceDeclared
    | MemberAbsent
    | AlternatesAdded
    | ChairVote
    | Verdict
    | ScoreGiven
    | SheetSubmitted
    | ScoresReturned
    | AnomalyConfirmed
    | AnomalyUnexplained
    | PriceScoresComputed
    | RankingPublished
    | ReportSigned
    | Advance
)


# --- storage form ------------------------------------------------------------------------------------
# A room's events are stored as (kind, JSON object); decimals travel as strings so no score is ever
# rounded through a float. ``decode(*encode(e)) == e`` for every event.

KINDS: dict[str, type] = {
    "opened": RoomOpened,
    "signed_in": SignedIn,
    "avoidance": AvoidanceDeclared,
    "absent": MemberAbsent,
    "alternates_added": AlternatesAdded,
    "chair_vote": ChairVote,
    "verdict": Verdict,
    "score": ScoreGiven,
    "sheet_submitted": SheetSubmitted,
    "scores_returned": ScoresReturned,
    "anomaly_confirmed": AnomalyConfirmed,
    "anomaly_unexplained": AnomalyUnexplained,
    "price_scores": PriceScoresComputed,
    "ranking": RankingPublished,
    "report_signed": ReportSigned,
    "advance": Advance,
}
KIND_OF: dict[type, str] = {cls: kind for kind, cls in KINDS.items()}
PREFIX = "step."  # the room log's kind for a step event: "step.<kind>"


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Criterion):
        return {"id": value.id, "group": value.group, "max_points": str(value.max_points),
                "step": str(value.step), "name": value.name}  # fmt: skip
    if isinstance(value, AnomalyLimit):
        return {"value": str(value.value), "unit": value.unit, "per": value.per}
    return value


def encode(event: Event) -> tuple[str, dict[str, object]]:
    """The stored kind (``step.<kind>``) and JSON object of an event."""
    fields = event.__struct_fields__
    return PREFIX + KIND_OF[type(event)], {name: _plain(getattr(event, name)) for name in fields}


def decode(kind: str, data: dict[str, object]) -> Event:
    """The event stored as ``kind`` / ``data`` (the inverse of :func:`encode`)."""
    cls = KINDS[kind.removeprefix(PREFIX)]
    d: dict[str, object] = dict(data)
    if cls is RoomOpened:
        for key in ("members", "alternates", "bidders", "qualification_items", "preliminary_items"):
            d[key] = tuple(d[key])  # type: ignore[arg-type]
        d["criteria"] = tuple(Criterion(**c) for c in d["criteria"])  # type: ignore[attr-defined]
        limit = d.get("anomaly_limit")
        d["anomaly_limit"] = AnomalyLimit(**limit) if isinstance(limit, dict) else None
        d["bond_failures"] = tuple((str(b), str(r)) for b, r in d.get("bond_failures", ()))  # type: ignore[attr-defined]
    elif cls is AlternatesAdded:
        d["alternates"] = tuple(d["alternates"])  # type: ignore[arg-type]
    elif cls is SheetSubmitted:
        d["reasons"] = tuple(tuple(r) for r in d.get("reasons", ()))  # type: ignore[attr-defined]
    elif cls is ScoreGiven:
        d["value"] = Decimal(str(d["value"]))
    elif cls is PriceScoresComputed:
        d["figures"] = tuple((b, Decimal(v)) for b, v in d["figures"])  # type: ignore[attr-defined]
        d["benchmark"] = None if d.get("benchmark") is None else Decimal(str(d["benchmark"]))
    elif cls is RankingPublished:
        d["order"] = tuple(d["order"])  # type: ignore[arg-type]
    event: Event = cls(**d)
    return event


# --- audit kinds ---------------------------------------------------------------------------------------
# The kinds of the audit-log entries evaluation appends (named after their values; stored: never change
# one). Not room events: those are the step events above, stored in the room's own log.

EVALUATION_STARTED = "evaluation.started"
# a supplementary draw's members (补抽) seated on the running room's vacancies (evaluation/supplementary.py)
EVALUATION_MEMBERS_SUPPLEMENTED = "evaluation.members_supplemented"
EVALUATION_CLARIFICATION_ASKED = "evaluation.clarification_asked"
EVALUATION_CLARIFICATION_ANSWERED = "evaluation.clarification_answered"
EVALUATION_REPORT_SIGNED = "evaluation.report_signed"


# --- the room's other events -------------------------------------------------------------------------------
# Not steps (steps.py does not fold them): news the room's people see. Each is the ``data`` of an
# ``event`` frame of its kind (ROOM_EVENTS below); /schema/asyncapi.json is generated from these types.


class Presence(msgspec.Struct, kw_only=True):
    """A member's socket connected (``online``) or left, from ``venue``."""

    member: str
    venue: str | None
    online: bool


class ScoringProgress(msgspec.Struct, kw_only=True):
    """How many of the scores on a member's sheet the member has given (``scored`` of ``of``)."""

    member: str
    scored: int
    of: int


class ClarificationAsked(msgspec.Struct, kw_only=True):
    """A member asked ``bidder`` a question, to be answered by ``due`` (ISO 8601)."""

    id: int
    bidder: str
    question: str
    by: str
    due: str


class ClarificationAnswered(msgspec.Struct, kw_only=True):
    id: int
    bidder: str
    answer: str


class ReportReady(msgspec.Struct, kw_only=True):
    """The report is drawn up; members sign its SHA-256 ``digest``."""

    digest: str


class ReportComplete(msgspec.Struct, kw_only=True):
    """Every member signed the report of ``digest``."""

    digest: str | None


# kind → payload type of every event an evaluation room stores; step events are "step.<kind>".
ROOM_EVENTS: dict[str, type] = {
    **{PREFIX + kind: cls for kind, cls in KINDS.items()},
    "presence": Presence,
    "progress": ScoringProgress,
    "clarification.asked": ClarificationAsked,
    "clarification.answered": ClarificationAnswered,
    "report.ready": ReportReady,
    "report.signed": ReportComplete,
}
# Events only some of the room's people see (the others receive a ``skip`` frame): a score's value is
# for its member and supervisors until the sheets are in.
PRIVATE_ROOM_EVENTS = frozenset({PREFIX + "score"})
