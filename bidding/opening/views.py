"""The opening's JSON shapes: what its services return and its API answers (msgspec Structs)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from bidding.models import BidOutcome, OpeningPhase
from bidding.views import Moment, MoneyText, SubmissionId, TenderCode


class OutcomeCounts(msgspec.Struct, kw_only=True):
    """How many of the lot's bids are in each outcome."""

    queued: int = 0
    decrypting: int = 0
    opened: int = 0
    rejected: int = 0
    revoked: int = 0
    withdrawn: int = 0


class OpeningState(msgspec.Struct, kw_only=True):
    """The public state of a lot's opening."""

    tender: TenderCode
    lot: str
    phase: OpeningPhase
    room: Annotated[str, msgspec.Meta(description="the room name: opening:<tender>:<lot>")]
    window_ends_at: Moment | None
    custody_ends_at: Moment | None
    confirm_ends_at: Moment | None
    coefficient_commit: Annotated[
        str | None, msgspec.Meta(description="SHA-256 commitment to the server's coefficient seed")
    ]
    coefficient: Annotated[str | None, msgspec.Meta(description="the drawn coefficient, 4 places")]
    counts: OutcomeCounts


class OwnHeader(msgspec.Struct, kw_only=True):
    """The age header of the caller's bid: only wrapped keys, useless without the bidder's identity."""

    submission_id: SubmissionId
    outcome: BidOutcome
    reason: str | None
    phase: OpeningPhase
    header: Annotated[str, msgspec.Meta(description="the envelope's age header, standard base64")]


class BidOpened(msgspec.Struct, kw_only=True):
    """One bid after its file key was revealed."""

    outcome: BidOutcome
    reason: str | None
    wrong_keys: Annotated[int, msgspec.Meta(ge=0, description="wrong file keys sent so far")]
    opened_by: Literal["bidder", "custodians"] | None
    price: MoneyText | None
    file_key_sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")] | None


class ShareRevealed(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Shares held so far; at ``threshold`` they are combined and ``opened`` says how many bids opened."""

    have: int
    threshold: int
    combined: bool
    opened: int | msgspec.UnsetType = msgspec.UNSET


class Started(msgspec.Struct, kw_only=True):
    started: Annotated[int, msgspec.Meta(ge=0, description="lots whose decryption window opened")]


class Done(msgspec.Struct, kw_only=True):
    ok: Literal[True] = True


class Finished(msgspec.Struct, kw_only=True):
    phase: OpeningPhase
