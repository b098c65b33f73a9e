"""A bid whose bond failed at opening fails the qualification step of the evaluation room, even when
every member passes it on every item (pure: the room's state machine)."""

from __future__ import annotations

from evaluation.events import (
    Advance,
    AvoidanceDeclared,
    ChairVote,
    Event,
    RoomOpened,
    SignedIn,
    Verdict,
    decode,
    encode,
)
from evaluation.room_state import Phase
from evaluation.steps import fold

MEMBERS = ("E1", "E2", "E3")
BIDDERS = ("B1", "B2", "B3")
FAILURE = "保证金核验未通过：保函 BH2026000002 签名无效或文件被篡改"


def opened() -> RoomOpened:
    return RoomOpened(
        members=MEMBERS,
        alternates=(),
        bidders=BIDDERS,
        qualification_items=("licence",),
        preliminary_items=(),
        criteria=(),
        bond_failures=(("B2", FAILURE),),
    )


def test_the_bond_failure_survives_the_stored_event() -> None:
    kind, data = encode(opened())
    assert decode(kind, data) == opened()
    # rooms stored before bond verification existed still decode (no failures)
    legacy = {k: v for k, v in data.items() if k != "bond_failures"}
    assert decode(kind, legacy).bond_failures == ()  # type: ignore[union-attr]


def test_a_failed_bond_puts_the_bidder_out_at_qualification() -> None:
    events: list[Event] = [opened()]
    events += [SignedIn(m) for m in MEMBERS] + [AvoidanceDeclared(m, False) for m in MEMBERS]
    events += [Advance("E1")] + [ChairVote(m, "E1") for m in MEMBERS] + [Advance("E1")]
    events += [Verdict("qualification", m, b, "licence", True) for m in MEMBERS for b in BIDDERS]
    before = fold(events)
    assert before.phase is Phase.QUALIFICATION and before.out == {}
    room = fold([*events, Advance("E1")])
    assert list(room.out) == ["B2"] and FAILURE in room.out["B2"]
    assert room.valid_bidders == ("B1", "B3")
