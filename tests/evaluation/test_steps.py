"""The evaluation room's steps: every transition allowed and forbidden, as a fold over events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import reduce
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from evaluation.scoring import (
    UNEXPLAINED_ANOMALY_EVENT,
    AnomalyLimit,
    Criterion,
    EvaluationMethod,
    PriceScoreParams,
)
from evaluation.steps import (
    ALLOWED,
    PHASES,
    Advance,
    AlternatesAdded,
    AnomalyConfirmed,
    AnomalyUnexplained,
    AvoidanceDeclared,
    ChairVote,
    Event,
    MemberAbsent,
    Phase,
    PriceScoresComputed,
    RankingPublished,
    Replacement,
    ReportSigned,
    Review,
    Room,
    RoomOpened,
    ScoreGiven,
    ScoresReturned,
    SheetSubmitted,
    SignedIn,
    StepError,
    Verdict,
    evaluate_room,
    fold,
    price_event,
    ranking_event,
    transition,
)

D = Decimal
MEMBERS = ("e1", "e2", "e3", "e4", "e5")
BIDDERS = ("B1", "B2", "B3")
T1 = Criterion("T1", "technical", D(30), D("0.5"))
C1 = Criterion("C1", "commercial", D(10), D(1))
PR = Criterion("PR", "price", D(60), D("0.01"))
OPENED = RoomOpened(
    members=MEMBERS,
    alternates=("a1", "a2"),
    bidders=BIDDERS,
    qualification_items=("Q1", "Q2"),
    preliminary_items=("R1",),
    criteria=(T1, C1, PR),
    anomaly_limit=AnomalyLimit(D(20)),  # 20 % of max: 6 points on T1, 2 points on C1
)
CHAIR = "e1"


def run(events: Sequence[Event]) -> Room:
    return fold(events)


def more(room: Room, *events: Event) -> Room:
    return reduce(transition, events, room)


def sign_in(members: Sequence[str] = MEMBERS) -> list[Event]:
    out: list[Event] = []
    for m in members:
        out += [SignedIn(m), AvoidanceDeclared(m, conflict=False)]
    return out


def elect(chair: str = CHAIR) -> list[Event]:
    return [ChairVote(m, chair) for m in MEMBERS]


def verdicts(
    review: Review,
    items: Sequence[str],
    bidders: Sequence[str],
    fails: Mapping[tuple[str, str, str], str] | None = None,
) -> list[Event]:
    """Pass everything except ``fails[(member, bidder, item)] = reason``."""
    fails = fails or {}
    return [
        Verdict(review, m, b, i, (m, b, i) not in fails, fails.get((m, b, i), ""))
        for m in MEMBERS
        for b in bidders
        for i in items
    ]


def scores(
    bidders: Sequence[str] = BIDDERS, odd: Mapping[tuple[str, str, str], Decimal] | None = None
) -> list[Event]:
    """Everyone gives T1 24 and C1 8, except ``odd[(member, bidder, criterion)] = value``. A member with
    an odd score submits before the others (the last sheet in must explain its outliers at submit)."""
    odd = odd or {}
    out: list[Event] = []
    odd_members = {m for m, _b, _c in odd}
    for m in sorted(MEMBERS, key=lambda m: m not in odd_members):
        for b in bidders:
            out.append(ScoreGiven(m, b, "T1", odd.get((m, b, "T1"), D(24))))
            out.append(ScoreGiven(m, b, "C1", odd.get((m, b, "C1"), D(8))))
        out.append(SheetSubmitted(m))
    return out


def to_phase(phase: Phase) -> list[Event]:
    """The events of a smooth room up to the start of ``phase``."""
    events: list[Event] = [OPENED]
    script: list[tuple[Phase, list[Event]]] = [
        (Phase.SIGN_IN, sign_in()),
        (Phase.CHAIR_ELECTION, elect()),
        (Phase.QUALIFICATION, verdicts("qualification", ("Q1", "Q2"), BIDDERS)),
        (Phase.PRELIMINARY, verdicts("preliminary", ("R1",), BIDDERS)),
        (Phase.SCORING, scores()),
        (Phase.PRICE_SCORE, [PriceScoresComputed(tuple((b, D("60.00")) for b in BIDDERS), D("100.00"))]),
        (Phase.RESULTS, [RankingPublished(BIDDERS)]),
        (Phase.REPORT, [ReportSigned(m) for m in MEMBERS]),
    ]
    for step, step_events in script:
        if step == phase:
            return events
        events += [*step_events, Advance(CHAIR)]
    return events


# --- opening -----------------------------------------------------------------------------------------


def test_the_first_event_must_open_the_room() -> None:
    with pytest.raises(StepError, match="SignedIn needs RoomOpened first"):
        transition(None, SignedIn("e1"))
    with pytest.raises(StepError, match="no events"):
        fold([])
    room = run([OPENED])
    assert room.phase is Phase.SIGN_IN and room.members == MEMBERS and room.log == (OPENED,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"members": ()}, "at least one committee member"),
        ({"alternates": ("e1",)}, "listed twice among members and alternates"),
        ({"bidders": ("B1", "B1")}, "bidder is listed twice"),
        ({"preliminary_items": ("Q1",)}, "review item ids repeat"),
        ({"criteria": (T1, T1)}, "criterion ids repeat"),
    ],
)
def test_a_malformed_opening_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(StepError, match=message):
        transition(None, replace(OPENED, **change))


def test_a_second_opening_is_refused() -> None:
    with pytest.raises(StepError, match="RoomOpened is not allowed in phase sign_in"):
        run([OPENED, OPENED])


# --- sign-in and avoidance ---------------------------------------------------------------------------


def test_sign_in_gate_names_who_is_missing() -> None:
    with pytest.raises(StepError, match="5 of 5 members have not signed in: e1, e2, e3, e4, e5"):
        run([OPENED, Advance(CHAIR)])
    events: list[Event] = [OPENED, *[SignedIn(m) for m in MEMBERS], AvoidanceDeclared("e1", False)]
    events.append(AvoidanceDeclared("e2", False))
    with pytest.raises(StepError, match="3 of 5 members have not declared avoidance: e3, e4, e5"):
        run([*events, Advance(CHAIR)])
    room = run([*events, *[AvoidanceDeclared(m, False) for m in ("e3", "e4", "e5")], Advance(CHAIR)])
    assert room.phase is Phase.CHAIR_ELECTION


def test_sign_in_refusals() -> None:
    room = run([OPENED])
    with pytest.raises(StepError, match="x9 is not a member"):
        more(room, SignedIn("x9"))
    with pytest.raises(StepError, match="must sign in before declaring"):
        more(room, AvoidanceDeclared("e1", False))
    room = more(room, SignedIn("e1"))
    with pytest.raises(StepError, match="already signed in"):
        more(room, SignedIn("e1"))
    room = more(room, AvoidanceDeclared("e1", False))
    with pytest.raises(StepError, match="already declared avoidance"):
        more(room, AvoidanceDeclared("e1", True, "亲属"))
    with pytest.raises(StepError, match="conflict of interest needs a reason"):
        more(room, SignedIn("e2"), AvoidanceDeclared("e2", True, "  "))


def test_a_conflicted_member_is_replaced_by_the_alternates_in_order() -> None:
    room = run([OPENED, SignedIn("e2"), AvoidanceDeclared("e2", True, "曾在投标人B1任职")])
    assert room.members == ("e1", "a1", "e3", "e4", "e5")  # a1 takes e2's seat
    assert room.alternates == ("a2",)
    assert room.replacements == (Replacement("e2", "曾在投标人B1任职", "a1"),)
    with pytest.raises(StepError, match="e2 is not a member"):
        more(room, AvoidanceDeclared("e2", False))
    room = more(room, SignedIn("e4"), AvoidanceDeclared("e4", True, "与B3有利害关系"))
    assert room.members == ("e1", "a1", "e3", "a2", "e5") and room.alternates == ()
    # the replacements must sign in and declare like everyone else
    done = more(room, *sign_in(("e1", "e3", "e5")))
    with pytest.raises(StepError, match="2 of 5 members have not signed in: a1, a2"):
        more(done, Advance(CHAIR))
    assert more(done, *sign_in(("a1", "a2")), Advance(CHAIR)).phase is Phase.CHAIR_ELECTION


def test_running_out_of_alternates_blocks_until_a_supplementary_draw() -> None:
    room = run(
        [
            OPENED,
            *[e for m in ("e1", "e2", "e3") for e in (SignedIn(m), AvoidanceDeclared(m, True, "回避"))],
        ]
    )
    # e1 → a1, e2 → a2, e3 → nobody: a vacancy
    assert room.members == ("a1", "a2", "e4", "e5") and room.vacancies == 1
    assert room.replacements[-1] == Replacement("e3", "回避", None)
    room = more(room, *sign_in(room.members))
    with pytest.raises(StepError, match="short by 1: no alternate is left, a supplementary draw is needed"):
        more(room, Advance(CHAIR))
    with pytest.raises(StepError, match="already drawn or replaced: e3"):
        more(room, AlternatesAdded(("e3",)))
    room = more(room, AlternatesAdded(("s1", "s2")))
    assert (
        room.members == ("a1", "a2", "e4", "e5", "s1") and room.alternates == ("s2",) and not room.vacancies
    )
    with pytest.raises(StepError, match="1 of 5 members have not signed in: s1"):
        more(room, Advance(CHAIR))
    assert more(room, *sign_in(("s1",)), Advance(CHAIR)).phase is Phase.CHAIR_ELECTION


def test_an_absent_member_is_replaced_and_raises_a_no_show_credit_event() -> None:
    room = run([OPENED, SignedIn("e1")])
    with pytest.raises(StepError, match="e1 has signed in: not absent"):
        more(room, MemberAbsent("e1", "未到场"))
    with pytest.raises(StepError, match="reason"):
        more(room, MemberAbsent("e3", " "))
    with pytest.raises(StepError, match="x9 is not a member"):
        more(room, MemberAbsent("x9", "未到场"))
    room = more(room, MemberAbsent("e3", "开标后联系不上，未到评标场地"))
    assert room.members == ("e1", "e2", "a1", "e4", "e5") and room.alternates == ("a2",)
    assert room.replacements == (Replacement("e3", "开标后联系不上，未到评标场地", "a1"),)
    assert [(c.event, c.expert) for c in room.credit] == [("expert.no_show", "e3")]
    assert "开标后联系不上" in room.credit[0].detail
    # A declared conflict is no fault: no credit event.
    room = more(room, SignedIn("e2"), AvoidanceDeclared("e2", True, "回避"))
    assert len(room.credit) == 1
    assert room.members == ("e1", "a2", "a1", "e4", "e5")
    room = more(room, AvoidanceDeclared("e1", False), *sign_in(("a2", "a1", "e4", "e5")))
    with pytest.raises(StepError, match="MemberAbsent is not allowed in phase chair_election"):
        more(room, Advance(CHAIR), MemberAbsent("e5", "late"))


# --- chair election ----------------------------------------------------------------------------------


def test_chair_is_the_unique_most_voted_member() -> None:
    room = run(to_phase(Phase.CHAIR_ELECTION))
    room = more(room, ChairVote("e1", "e3"), ChairVote("e2", "e3"))
    with pytest.raises(StepError, match="the chair is not elected: 3 of 5 members have not voted in round 1"):
        more(room, Advance(CHAIR))
    room = more(room, ChairVote("e3", "e1"), ChairVote("e4", "e3"), ChairVote("e5", "e2"))
    assert room.chair == "e3"
    assert more(room, Advance("e3")).phase is Phase.QUALIFICATION


def test_a_tie_is_voted_again_among_the_tied() -> None:
    room = run(to_phase(Phase.CHAIR_ELECTION))
    # e1: 2 votes, e2: 2 votes, e3: 1 vote → round 2 between e1 and e2
    room = more(
        room, *[ChairVote(m, c) for m, c in zip(MEMBERS, ("e1", "e2", "e1", "e2", "e3"), strict=True)]
    )
    assert room.chair is None and room.vote_round == 2 and room.ballot == ("e1", "e2") and room.votes == {}
    with pytest.raises(StepError, match="e3 is not on the ballot of round 2: e1, e2"):
        more(room, ChairVote("e1", "e3"))
    room = more(
        room, *[ChairVote(m, c) for m, c in zip(MEMBERS, ("e2", "e2", "e1", "e2", "e1"), strict=True)]
    )
    assert room.chair == "e2" and room.vote_round == 2
    # the first round's votes are kept in the log
    assert sum(isinstance(e, ChairVote) for e in room.log) == 10


def test_vote_refusals() -> None:
    room = run(to_phase(Phase.CHAIR_ELECTION))
    with pytest.raises(StepError, match="x9 is not a member"):
        more(room, ChairVote("x9", "e1"))
    with pytest.raises(StepError, match="not on the ballot"):
        more(room, ChairVote("e1", "a1"))
    room = more(room, ChairVote("e1", "e1"))
    with pytest.raises(StepError, match="e1 has already voted in round 1"):
        more(room, ChairVote("e1", "e2"))


# --- qualification and preliminary review ------------------------------------------------------------


def test_a_bidder_failed_by_a_majority_on_an_item_is_out_with_the_reasons() -> None:
    room = run(to_phase(Phase.QUALIFICATION))
    fails = {
        # B2 on Q1: 3 of 5 fail → out
        ("e1", "B2", "Q1"): "资质证书过期",
        ("e2", "B2", "Q1"): "资质等级不足",
        ("e3", "B2", "Q1"): "无安全生产许可证",
        # B3: 2 of 5 on Q1 and 2 of 5 on Q2 → no item failed by a majority → stays
        ("e1", "B3", "Q1"): "x",
        ("e2", "B3", "Q1"): "x",
        ("e3", "B3", "Q2"): "y",
        ("e4", "B3", "Q2"): "y",
    }
    room = more(room, *verdicts("qualification", ("Q1", "Q2"), BIDDERS, fails), Advance(CHAIR))
    assert room.phase is Phase.PRELIMINARY
    assert room.out == {
        "B2": "qualification Q1 failed by 3 of 5: 资质证书过期; 资质等级不足; 无安全生产许可证"
    }
    assert room.valid_bidders == ("B1", "B3")
    with pytest.raises(StepError, match="bidder B2 is not under review"):
        more(room, Verdict("preliminary", "e1", "B2", "R1", True))
    # preliminary: only B1 and B3 need verdicts
    with pytest.raises(StepError, match="preliminary verdicts missing: member e1 → bidder B1 item R1"):
        more(room, Advance(CHAIR))
    room = more(room, *verdicts("preliminary", ("R1",), ("B1", "B3")), Advance(CHAIR))
    assert room.phase is Phase.SCORING and room.valid_bidders == ("B1", "B3")


def test_review_refusals_and_corrections() -> None:
    room = run(to_phase(Phase.QUALIFICATION))
    with pytest.raises(StepError, match="failing bidder B1 on Q1 needs a reason"):
        more(room, Verdict("qualification", "e1", "B1", "Q1", False))
    with pytest.raises(StepError, match="a preliminary verdict is not allowed in phase qualification"):
        more(room, Verdict("preliminary", "e1", "B1", "R1", True))
    with pytest.raises(StepError, match="R1 is not a qualification item: Q1, Q2"):
        more(room, Verdict("qualification", "e1", "B1", "R1", True))
    with pytest.raises(StepError, match="bidder B9 is not under review"):
        more(room, Verdict("qualification", "e1", "B9", "Q1", True))
    # a member may change a verdict before the step closes; both stay in the log
    room = more(room, Verdict("qualification", "e1", "B1", "Q1", False, "缺少业绩证明"))
    room = more(room, Verdict("qualification", "e1", "B1", "Q1", True))
    assert room.verdicts[("qualification", "e1", "B1", "Q1")] == (True, "")
    assert sum(isinstance(e, Verdict) for e in room.log) == 2
    with pytest.raises(StepError, match=r"verdicts missing: .* … and \d+ more"):
        more(room, Advance(CHAIR))


# --- scoring -----------------------------------------------------------------------------------------


def test_scores_are_validated_and_sheets_must_be_complete() -> None:
    room = run(to_phase(Phase.SCORING))
    with pytest.raises(
        StepError, match=r"score 24.3 for criterion T1 is not allowed: 0 to 30 in steps of 0.5"
    ):
        more(room, ScoreGiven("e2", "B1", "T1", D("24.3")))
    with pytest.raises(StepError, match="PR is not a criterion the members score"):
        more(room, ScoreGiven("e2", "B1", "PR", D(50)))
    with pytest.raises(StepError, match="bidder B9 is not being scored"):
        more(room, ScoreGiven("e2", "B9", "T1", D(20)))
    room = more(room, ScoreGiven("e2", "B1", "T1", D(20)), ScoreGiven("e2", "B1", "C1", D(8)))
    with pytest.raises(StepError, match="scores missing: member e2 → bidder B2 criterion T1"):
        more(room, SheetSubmitted("e2"))
    with pytest.raises(StepError, match="scores missing: member e1 → bidder B1 criterion T1"):
        more(room, Advance(CHAIR))


def test_a_submitted_sheet_is_locked_and_the_gate_names_who_has_not_submitted() -> None:
    events = scores()
    room = run([*to_phase(Phase.SCORING), *events[:-1]])  # e5 has scored but not submitted
    with pytest.raises(StepError, match="1 of 5 members have not submitted their scores: e5"):
        more(room, Advance(CHAIR))
    with pytest.raises(StepError, match="e1 has submitted the sheet: only the chair can return it"):
        more(room, ScoreGiven("e1", "B1", "T1", D(20)))
    with pytest.raises(StepError, match="already submitted"):
        more(room, SheetSubmitted("e1"))
    assert more(room, SheetSubmitted("e5"), Advance(CHAIR)).phase is Phase.PRICE_SCORE


ODD = {("e5", "B1", "T1"): D(15)}  # others' mean 24, |15 − 24| = 9 > 6 (20 % of 30) → anomaly


def test_an_unconfirmed_anomaly_blocks_and_a_confirmed_one_counts() -> None:
    room = run([*to_phase(Phase.SCORING), *scores(odd=ODD)])
    assert [a.key for a in room.open_anomalies] == [("e5", "B1", "T1")]
    with pytest.raises(
        StepError, match="anomalies to confirm with a reason: member e5 gave bidder B1 15 on T1"
    ):
        more(room, Advance(CHAIR))
    with pytest.raises(StepError, match="confirming a deviating score needs a reason"):
        more(room, AnomalyConfirmed("e5", "B1", "T1", ""))
    with pytest.raises(StepError, match="no anomaly for member e4 → bidder B1 on T1"):
        more(room, AnomalyConfirmed("e4", "B1", "T1", "reason"))
    room = more(room, AnomalyConfirmed("e5", "B1", "T1", "施工方案缺少冬季施工措施"))
    assert room.open_anomalies == () and room.dropped == frozenset() and room.credit == ()
    assert more(room, Advance(CHAIR)).phase is Phase.PRICE_SCORE


def test_anomalies_wait_for_every_sheet() -> None:
    room = run([*to_phase(Phase.SCORING), *scores(odd=ODD)[:-1]])  # e5 not submitted yet
    assert room.anomalies == ()
    with pytest.raises(StepError, match="once every member has submitted"):
        more(room, AnomalyConfirmed("e5", "B1", "T1", "reason"))


def test_an_unexplained_anomaly_does_not_count_and_raises_a_credit_event() -> None:
    room = run([*to_phase(Phase.SCORING), *scores(odd=ODD)])
    with pytest.raises(StepError, match=r"only the chair \(e1\) may mark an anomaly unexplained"):
        more(room, AnomalyUnexplained("e2", "e5", "B1", "T1"))
    room = more(room, AnomalyUnexplained(CHAIR, "e5", "B1", "T1"))
    assert room.dropped == {("e5", "B1", "T1")}
    assert [(c.event, c.expert) for c in room.credit] == [(UNEXPLAINED_ANOMALY_EVENT, "e5")]
    with pytest.raises(StepError, match="already settled"):
        more(room, AnomalyUnexplained(CHAIR, "e5", "B1", "T1"))
    with pytest.raises(StepError, match=r"marked .* unexplained"):
        more(room, AnomalyConfirmed("e5", "B1", "T1", "late reason"))
    assert more(room, Advance(CHAIR)).phase is Phase.PRICE_SCORE


def test_group_anomalies_drop_the_whole_group() -> None:
    opened = RoomOpened(MEMBERS, (), BIDDERS, (), (), (T1, C1, PR), AnomalyLimit(D(5), "points", "group"))
    events: list[Event] = [opened, *sign_in(), Advance(CHAIR), *elect(), Advance(CHAIR), Advance(CHAIR)]
    room = run([*events, Advance(CHAIR), *scores(odd=ODD)])
    assert [a.key for a in room.open_anomalies] == [("e5", "B1", "technical")]
    room = more(room, AnomalyUnexplained(CHAIR, "e5", "B1", "technical"))
    assert room.dropped == {("e5", "B1", "T1")}


def test_the_chair_returns_a_sheet_with_a_reason_and_every_change_is_kept() -> None:
    room = run([*to_phase(Phase.SCORING), *scores(odd=ODD)])
    with pytest.raises(StepError, match=r"only the chair \(e1\) may return"):
        more(room, ScoresReturned("e2", "e5", "请复核"))
    with pytest.raises(StepError, match="returning scores needs a reason"):
        more(room, ScoresReturned(CHAIR, "e5", " "))
    room = more(room, ScoresReturned(CHAIR, "e5", "B1 施工组织设计评分请复核"))
    assert "e5" not in room.submitted and room.open_anomalies == ()  # not every sheet is in
    with pytest.raises(StepError, match="e5 has not submitted the sheet: nothing to return"):
        more(room, ScoresReturned(CHAIR, "e5", "again"))
    room = more(room, ScoreGiven("e5", "B1", "T1", D(22)), SheetSubmitted("e5"))
    assert room.anomalies == ()
    assert room.score_history("e5", "B1", "T1") == (D(15), D(22))
    assert [r.reason for r in room.returns] == ["B1 施工组织设计评分请复核"]
    assert more(room, Advance(CHAIR)).phase is Phase.PRICE_SCORE


def test_a_confirmation_covers_only_the_score_it_confirmed() -> None:
    room = run([*to_phase(Phase.SCORING), *scores(odd=ODD)])
    room = more(room, AnomalyConfirmed("e5", "B1", "T1", "有依据"), ScoresReturned(CHAIR, "e5", "复核"))
    room = more(room, ScoreGiven("e5", "B1", "T1", D(16)))
    # 16 is still 8 from the others' mean: the confirmation of 15 does not cover it, and as the last
    # sheet in it needs its reason at submit
    with pytest.raises(StepError, match="a reason is needed before the sheet counts: member e5"):
        more(room, SheetSubmitted("e5"))
    room = more(room, SheetSubmitted("e5", (("B1", "T1", "复核后仍认为方案欠缺"),)))
    assert room.open_anomalies == () and room.confirmations[("e5", "B1", "T1")] == (
        D(16),
        "复核后仍认为方案欠缺",
    )


def _last_sheet(value: Decimal) -> Room:
    """Every sheet in but e5's; e5 gave B1 ``value`` on T1 (the others 24; limit 6 = 20 % of 30)."""
    others = [e for e in scores() if not (isinstance(e, SheetSubmitted) and e.member == "e5")]
    return run([*to_phase(Phase.SCORING), *others, ScoreGiven("e5", "B1", "T1", value)])


def test_the_last_sheet_must_explain_an_outlier_at_submit_at_the_limit_boundary() -> None:
    # exactly at the limit (24 − 6): accepted without a reason
    assert "e5" in more(_last_sheet(D(18)), SheetSubmitted("e5")).submitted
    assert "e5" in more(_last_sheet(D(30)), SheetSubmitted("e5")).submitted  # +6: at the limit too
    # one step (0.5) past the limit needs the reason before the sheet counts (the cent is tested below)
    room = _last_sheet(D("17.5"))
    with pytest.raises(
        StepError,
        match=r"a reason is needed before the sheet counts: member e5 gave bidder B1 17.5 on T1, -6.50",
    ):
        more(room, SheetSubmitted("e5"))
    with pytest.raises(StepError, match="a reason is needed"):  # a blank reason is no reason
        more(room, SheetSubmitted("e5", (("B1", "T1", "  "),)))
    with pytest.raises(StepError, match="a reason is needed"):  # a reason for another score is not this one's
        more(room, SheetSubmitted("e5", (("B2", "T1", "方案有缺陷"),)))
    room = more(room, SheetSubmitted("e5", (("B1", "T1", "方案缺少冬季施工措施"),)))
    assert room.open_anomalies == () and room.anomalies[0].key == ("e5", "B1", "T1")
    assert more(room, Advance(CHAIR)).phase is Phase.PRICE_SCORE


def test_the_outlier_boundary_is_exact_to_the_cent() -> None:
    fine = Criterion("T1", "technical", D(40), D("0.01"))
    opened = RoomOpened(("e1", "e2", "e3"), (), ("B1",), (), (), (fine, PR), AnomalyLimit(D(8), "points"))
    trio = ("e1", "e2", "e3")
    base: list[Event] = [opened, *[x for m in trio for x in (SignedIn(m), AvoidanceDeclared(m, False))]]
    base += [Advance("e1"), *[ChairVote(m, "e1") for m in trio], Advance("e1"), Advance("e1"), Advance("e1")]
    base += [ScoreGiven("e1", "B1", "T1", D(28)), SheetSubmitted("e1")]
    base += [ScoreGiven("e2", "B1", "T1", D(28)), SheetSubmitted("e2")]
    at_limit = run([*base, ScoreGiven("e3", "B1", "T1", D(20))])  # |20 − 28| = 8 = the limit
    assert "e3" in more(at_limit, SheetSubmitted("e3")).submitted
    past = run([*base, ScoreGiven("e3", "B1", "T1", D("19.99"))])  # 8.01: past the limit
    with pytest.raises(StepError, match="a reason is needed before the sheet counts"):
        more(past, SheetSubmitted("e3"))
    # the end-to-end case: 5 against the others' mean 28, limit 8
    low = run([*base, ScoreGiven("e3", "B1", "T1", D(5))])
    with pytest.raises(
        StepError, match=r"member e3 gave bidder B1 5 on T1, -23\.00 from the others' mean 28\.00"
    ):
        more(low, SheetSubmitted("e3"))
    room = more(low, SheetSubmitted("e3", (("B1", "T1", "业绩证明材料不全"),)))
    # e3's outlier is explained; with e3's 5 in, e1's and e2's 28 are 11.5 from their others' mean 16.5:
    # those are open, and the chair cannot advance while one is
    assert [a.key for a in room.open_anomalies] == [("e1", "B1", "T1"), ("e2", "B1", "T1")]
    with pytest.raises(StepError, match="anomalies to confirm with a reason: member e1"):
        more(room, Advance("e1"))
    room = more(room, AnomalyConfirmed("e1", "B1", "T1", "按评分标准"))
    with pytest.raises(StepError, match="anomalies to confirm with a reason: member e2"):
        more(room, Advance("e1"))
    room = more(room, AnomalyConfirmed("e2", "B1", "T1", "按评分标准"), Advance("e1"))
    assert room.phase is Phase.PRICE_SCORE


def test_returning_a_sheet_from_the_report_goes_back_to_scoring() -> None:
    room = run([*to_phase(Phase.REPORT), ReportSigned("e1"), ReportSigned("e2")])
    assert room.ranking == BIDDERS and room.price_figures is not None
    room = more(room, ScoresReturned(CHAIR, "e3", "C1 评分与评分标准不符"))
    assert room.phase is Phase.SCORING
    assert room.signatures == frozenset() and room.ranking is None and room.price_figures is None
    room = more(room, SheetSubmitted("e3"), Advance(CHAIR))
    assert room.phase is Phase.PRICE_SCORE


# --- price score, results, report --------------------------------------------------------------------


def test_price_figures_and_ranking_must_cover_exactly_the_bidders_still_in() -> None:
    room = run(to_phase(Phase.PRICE_SCORE))
    with pytest.raises(StepError, match="the platform has not recorded the price figures"):
        more(room, Advance(CHAIR))
    with pytest.raises(StepError, match="must cover exactly the bidders still in: B1, B2, B3"):
        more(room, PriceScoresComputed((("B1", D(60)), ("B2", D(59)))))
    with pytest.raises(StepError, match="must cover exactly"):
        more(room, PriceScoresComputed((("B1", D(60)), ("B1", D(59)), ("B2", D(1)), ("B3", D(1)))))
    room = more(room, PriceScoresComputed((("B1", D(60)), ("B2", D(59)), ("B3", D(58))), D("100.00")))
    assert room.benchmark == D("100.00")
    room = more(room, Advance(CHAIR))
    with pytest.raises(StepError, match="the platform has not recorded the ranking"):
        more(room, Advance(CHAIR))
    with pytest.raises(StepError, match="must order exactly the bidders still in"):
        more(room, RankingPublished(("B1", "B2")))
    assert more(room, RankingPublished(("B2", "B1", "B3"))).ranking == ("B2", "B1", "B3")


def test_the_report_needs_every_signature() -> None:
    room = run([*to_phase(Phase.REPORT), ReportSigned("e1"), ReportSigned("e2"), ReportSigned("e3")])
    with pytest.raises(StepError, match="2 of 5 members have not signed the report: e4, e5"):
        more(room, Advance(CHAIR))
    with pytest.raises(StepError, match="e1 has already signed"):
        more(room, ReportSigned("e1"))
    with pytest.raises(StepError, match="a1 is not a member"):
        more(room, ReportSigned("a1"))
    room = more(room, ReportSigned("e4"), ReportSigned("e5"), Advance(CHAIR))
    assert room.phase is Phase.SIGNED
    with pytest.raises(StepError, match="Advance is not allowed in phase signed"):
        more(room, Advance(CHAIR))


def test_a_whole_room_is_a_fold_and_keeps_every_event() -> None:
    events = to_phase(Phase.SIGNED)
    room = run(events)
    assert room.phase is Phase.SIGNED and room.log == tuple(events)
    # transitions never change the room they start from
    before = run(events[:5])
    snapshot = (before.signed_in, before.declared, len(before.log))
    more(before, *events[5:])
    assert (before.signed_in, before.declared, len(before.log)) == snapshot


def test_a_whole_room_with_the_platform_computing_price_scores_and_ranking() -> None:
    # B2 out in qualification; e5's 15 for B1 on T1 left unexplained (does not count).
    fails = {(m, "B2", "Q1"): "资质不符" for m in ("e1", "e2", "e3")}
    odd = {("e5", "B1", "T1"): D(15), ("e1", "B3", "T1"): D(22), ("e2", "B3", "C1"): D(7)}
    events: list[Event] = [
        OPENED,
        *sign_in(),
        Advance(CHAIR),
        *elect(),
        Advance(CHAIR),
        *verdicts("qualification", ("Q1", "Q2"), BIDDERS, fails),
        Advance(CHAIR),
        *verdicts("preliminary", ("R1",), ("B1", "B3")),
        Advance(CHAIR),
        *scores(("B1", "B3"), odd),
        AnomalyUnexplained(CHAIR, "e5", "B1", "T1"),
        Advance(CHAIR),
    ]
    room = run(events)
    assert room.phase is Phase.PRICE_SCORE
    method = EvaluationMethod(
        "comprehensive",
        (T1, C1, PR),
        PriceScoreParams(D(60), D(1), D("0.5"), 5, D("0.02")),
        AnomalyLimit(D(20)),
    )
    prices = {"B1": D("1000000.00"), "B2": D("800000.00"), "B3": D("960000.00")}
    with pytest.raises(StepError, match="exactly the room's bidders"):
        evaluate_room(room, method, {"B1": D(1)})
    result = evaluate_room(room, method, prices)
    # valid: B1, B3 (2 < 5, no drop). Benchmark = (1,000,000 + 960,000) / 2 × 0.98 = 960,400.00
    # B1: D = 39,600 / 960,400 × 100 = +4.1232820…% → 60 − 4.1232820 = 55.8767180 → 55.88
    # B3: D = −400 / 960,400 × 100 = −0.0416493…% → 60 − 0.0208247 = 59.9791753 → 59.98
    assert result.price is not None and result.price.benchmark == D("960400.00")
    assert dict(result.price.scores) == {"B1": D("55.88"), "B3": D("59.98")}
    # B1: T1 (24 × 4) / 4 = 24.00 (e5 dropped), C1 8.00 → 55.88 + 24.00 + 8.00 = 87.88
    # B3: T1 (22 + 24 × 4) / 5 = 23.60, C1 (7 + 8 × 4) / 5 = 7.80 → 59.98 + 23.60 + 7.80 = 91.38
    assert [(r.bidder, r.result.total) for r in result.ranking.ranked] == [
        ("B3", D("91.38")),
        ("B1", D("87.88")),
    ]
    assert [e.bidder for e in result.ranking.excluded] == ["B2"]
    room = more(room, price_event(result), Advance(CHAIR), ranking_event(result), Advance(CHAIR))
    room = more(room, *[ReportSigned(m) for m in MEMBERS], Advance(CHAIR))
    assert room.phase is Phase.SIGNED and room.ranking == ("B3", "B1") and room.benchmark == D("960400.00")
    assert [c.expert for c in room.credit] == ["e5"]


def test_evaluate_room_needs_closed_scoring_and_the_same_criteria() -> None:
    method = EvaluationMethod("lowest_price", (T1, C1), None, AnomalyLimit(D(20)))
    with pytest.raises(StepError, match="not final yet: the room is in phase scoring"):
        evaluate_room(run(to_phase(Phase.SCORING)), method, {})
    room = run(to_phase(Phase.PRICE_SCORE))
    with pytest.raises(StepError, match="criteria are not the room's"):
        evaluate_room(room, method, {b: D(100) for b in BIDDERS})
    lowest = EvaluationMethod("lowest_price", (T1, C1, PR), None, AnomalyLimit(D(20)))
    result = evaluate_room(room, lowest, {"B1": D("300.00"), "B2": D("100.00"), "B3": D("200.00")})
    assert price_event(result) == PriceScoresComputed(
        (("B2", D("100.00")), ("B3", D("200.00")), ("B1", D("300.00")))
    )
    assert ranking_event(result) == RankingPublished(("B2", "B3", "B1"))


# --- every event in every phase ----------------------------------------------------------------------

SAMPLES: list[Event] = [
    OPENED,
    SignedIn("e1"),
    AvoidanceDeclared("e1", False),
    AlternatesAdded(("z1",)),
    ChairVote("e1", "e1"),
    Verdict("qualification", "e1", "B1", "Q1", True),
    ScoreGiven("e1", "B1", "T1", D(20)),
    SheetSubmitted("e1"),
    ScoresReturned(CHAIR, "e1", "r"),
    AnomalyConfirmed("e1", "B1", "T1", "r"),
    AnomalyUnexplained(CHAIR, "e1", "B1", "T1"),
    PriceScoresComputed(()),
    RankingPublished(()),
    ReportSigned("e1"),
    Advance(CHAIR),
]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_forbidden_events_are_refused_in_every_phase(phase: Phase, event: Event) -> None:
    room = run(to_phase(phase))
    assert room.phase is phase
    if isinstance(event, ALLOWED[phase]):
        return  # allowed here: covered by the phase's own tests
    with pytest.raises(StepError, match=f"{type(event).__name__} is not allowed in phase {phase}"):
        transition(room, event)


def test_every_phase_is_reachable_in_order() -> None:
    seen = [run(to_phase(p)).phase for p in PHASES]
    assert seen == list(PHASES)


# --- properties --------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=5 * 3 * 2, max_size=5 * 3 * 2))
def test_out_iff_some_item_is_failed_by_a_majority(passes: list[bool]) -> None:
    grid = iter(passes)
    marks = {(m, b, i): next(grid) for m in MEMBERS for b in BIDDERS for i in ("Q1", "Q2")}
    fails = {k: "不符合" for k, ok in marks.items() if not ok}
    room = run(
        [
            *to_phase(Phase.QUALIFICATION),
            *verdicts("qualification", ("Q1", "Q2"), BIDDERS, fails),
            Advance(CHAIR),
        ]
    )
    for b in BIDDERS:
        majority = any(sum(not marks[(m, b, i)] for m in MEMBERS) >= 3 for i in ("Q1", "Q2"))
        assert (b in room.out) == majority


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(len(MEMBERS)))))
def test_sign_in_order_does_not_matter(order: list[int]) -> None:
    events = [e for i in order for e in (SignedIn(MEMBERS[i]), AvoidanceDeclared(MEMBERS[i], False))]
    room = run([OPENED, *events, Advance(CHAIR)])
    assert room.phase is Phase.CHAIR_ELECTION and room.members == MEMBERS
