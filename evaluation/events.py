"""The events of an evaluation room (pure data; evaluation/steps.py folds them into the room's state).

Each is what the room's stored event log holds; steps.py re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from evaluation.params import AnomalyLimit, Criterion

Review = Literal["qualification", "preliminary"]


# --- events ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomOpened:
    """The first event: the committee drawn (in order), the alternates (in order), the bidders whose
    bids opened, the review items and the criteria."""

    members: tuple[str, ...]
    alternates: tuple[str, ...]
    bidders: tuple[str, ...]
    qualification_items: tuple[str, ...]
    preliminary_items: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    anomaly_limit: AnomalyLimit | None = None


@dataclass(frozen=True)
class SignedIn:
    member: str


@dataclass(frozen=True)
class AvoidanceDeclared:
    member: str
    conflict: bool
    reason: str = ""


@dataclass(frozen=True)
class AlternatesAdded:
    """Alternates from a supplementary draw; they fill vacancies first, in order."""

    alternates: tuple[str, ...]


@dataclass(frozen=True)
class ChairVote:
    member: str
    candidate: str


@dataclass(frozen=True)
class Verdict:
    review: Review
    member: str
    bidder: str
    item: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class ScoreGiven:
    member: str
    bidder: str
    criterion: str
    value: Decimal


@dataclass(frozen=True)
class SheetSubmitted:
    member: str


@dataclass(frozen=True)
class ScoresReturned:
    by: str
    member: str
    reason: str


@dataclass(frozen=True)
class AnomalyConfirmed:
    member: str
    bidder: str
    unit: str
    reason: str


@dataclass(frozen=True)
class AnomalyUnexplained:
    by: str
    member: str
    bidder: str
    unit: str


@dataclass(frozen=True)
class PriceScoresComputed:
    figures: tuple[tuple[str, Decimal], ...]
    benchmark: Decimal | None = None


@dataclass(frozen=True)
class RankingPublished:
    order: tuple[str, ...]


@dataclass(frozen=True)
class ReportSigned:
    member: str


@dataclass(frozen=True)
class Advance:
    by: str


Event = (
    RoomOpened
    | SignedIn
    | AvoidanceDeclared
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
