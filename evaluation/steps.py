"""The steps of an evaluation room as an event-sourced state machine (pure: no I/O).

The room's stored event log is the truth; the state (evaluation/room_state.py, re-exported here) is
``fold(events)``, each step ``transition(room, event) -> room``. Nothing is ever overwritten: a
corrected score, a returned sheet, a re-vote are new events, and ``Room.log`` keeps every event
applied, so "every change is kept" holds by construction. An event that the rules refuse raises
:class:`StepError` with a message naming what is missing or wrong; the service then does not store it.

Phases, in order (``Advance`` moves on when the phase's gate holds):

    sign_in        every member signs in and declares avoidance; a member declaring a conflict is
                   replaced by the first remaining alternate (who must sign in and declare too);
                   when no alternate is left the committee is short, and only ``AlternatesAdded``
                   (a supplementary draw) lets the room go on
    chair_election every member votes once per round; the unique most-voted member is chair; a tie
                   starts a new round among the tied members only
    qualification  a pass/fail verdict per member × bidder × item, a reason for every fail; on
                   ``Advance`` a bidder failed on an item by a majority (more than half the committee)
                   is out, with the fail reasons
    preliminary    the same, for the bidders still in
    scoring        members score the technical and commercial criteria (``validate_score``) and
                   submit their sheet, which locks it; once all sheets are in, anomalies
                   (``find_anomalies``) must be confirmed with a reason by their member, or marked
                   unexplained by the chair (the score then does not count, and a credit event is
                   raised); the chair may return a submitted sheet with a reason
    price_score    the platform records the figures it computed (price scores, or evaluated prices
                   for the lowest price method) for exactly the bidders still in
    results        the platform records the ranking (an order of the bidders still in)
    report         every member signs the report
    signed         final

The chair may return a member's sheet with a reason from ``scoring`` up to ``report``: the room goes
back to ``scoring`` and what was computed from the scores (price figures, ranking, signatures) is
cleared, since it must be recomputed.
Who may send which event (roles, the chair's identity for ``Advance``) is the service's business,
except where the rule is about the committee itself (only the chair returns sheets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal

from evaluation.events import (
    Advance,
    AlternatesAdded,
    AnomalyConfirmed,
    AnomalyUnexplained,
    AvoidanceDeclared,
    ChairVote,
    Event,
    MemberAbsent,
    PriceScoresComputed,
    RankingPublished,
    ReportSigned,
    Review,
    RoomOpened,
    ScoreGiven,
    ScoresReturned,
    SheetSubmitted,
    SignedIn,
    Verdict,
)
from evaluation.room_state import (
    ALLOWED,
    PHASES,
    Phase,
    Replacement,
    Room,
    StepError,
    listed_names,
    missing_scores,
    require_all_members,
    require_chair,
    require_member,
    require_reason,
)
from evaluation.scoring import (
    Anomaly,
    CreditEvent,
    EvaluationMethod,
    ScoreError,
    ScoringResult,
    credit_events,
    evaluate,
    outliers_at_submit,
    validate_score,
)

__all__ = [  # the events live in evaluation/events.py; this module is the one to import from
    "ALLOWED",
    "PHASES",
    "Advance",
    "AlternatesAdded",
    "AnomalyConfirmed",
    "AnomalyUnexplained",
    "AvoidanceDeclared",
    "ChairVote",
    "Event",
    "MemberAbsent",
    "Phase",
    "PriceScoresComputed",
    "RankingPublished",
    "Replacement",
    "ReportSigned",
    "Review",
    "Room",
    "RoomOpened",
    "ScoreGiven",
    "ScoresReturned",
    "SheetSubmitted",
    "SignedIn",
    "StepError",
    "Verdict",
    "evaluate_room",
    "fold",
    "price_event",
    "ranking_event",
    "transition",
]

# --- transitions -------------------------------------------------------------------------------------


def _open(event: RoomOpened) -> Room:
    people = event.members + event.alternates
    if not event.members:
        raise StepError("a room needs at least one committee member")
    if len(set(people)) != len(people):
        raise StepError("a person is listed twice among members and alternates")
    if len(set(event.bidders)) != len(event.bidders):
        raise StepError("a bidder is listed twice")
    items = event.qualification_items + event.preliminary_items
    if len(set(items)) != len(items):
        raise StepError("review item ids repeat")
    if len({c.id for c in event.criteria}) != len(event.criteria):
        raise StepError("criterion ids repeat")
    return Room(
        phase=Phase.SIGN_IN,
        members=event.members,
        alternates=event.alternates,
        bidders=event.bidders,
        qualification_items=event.qualification_items,
        preliminary_items=event.preliminary_items,
        criteria=event.criteria,
        anomaly_limit=event.anomaly_limit,
        ballot=event.members,
        bond_failures=dict(event.bond_failures),
    )


def _sign_in(room: Room, event: SignedIn) -> Room:
    require_member(room, event.member)
    if event.member in room.signed_in:
        raise StepError(f"{event.member} has already signed in")
    return replace(room, signed_in=room.signed_in | {event.member})


def _declare(room: Room, event: AvoidanceDeclared) -> Room:
    require_member(room, event.member)
    if event.member not in room.signed_in:
        raise StepError(f"{event.member} must sign in before declaring avoidance")
    if event.member in room.declared:
        raise StepError(f"{event.member} has already declared avoidance")
    if not event.conflict:
        return replace(room, declared=room.declared | {event.member})
    require_reason(event.reason, f"{event.member}'s conflict of interest")
    return _replace_member(room, event.member, event.reason)


def _absent(room: Room, event: MemberAbsent) -> Room:
    """A member who confirmed but did not come: replaced, and a credit event (rule E01, 无故缺席)."""
    require_member(room, event.member)
    if event.member in room.signed_in:
        raise StepError(f"{event.member} has signed in: not absent")
    require_reason(event.reason, f"{event.member}'s absence")
    replaced = _replace_member(room, event.member, event.reason)
    detail = f"确认参加评标后缺席 (absent after confirming): {event.reason}"
    return replace(replaced, credit=(*room.credit, CreditEvent("expert.no_show", event.member, detail)))


def _replace_member(room: Room, member: str, reason: str) -> Room:
    """The first remaining alternate takes the seat (the committee keeps its drawn order), or a vacancy."""
    if room.alternates:
        alternate = room.alternates[0]
        members = tuple(alternate if m == member else m for m in room.members)
        return replace(
            room,
            members=members,
            alternates=room.alternates[1:],
            replacements=(*room.replacements, Replacement(member, reason, alternate)),
            ballot=members,
        )
    members = tuple(m for m in room.members if m != member)
    return replace(
        room,
        members=members,
        vacancies=room.vacancies + 1,
        replacements=(*room.replacements, Replacement(member, reason, None)),
        ballot=members,
    )


def _add_alternates(room: Room, event: AlternatesAdded) -> Room:
    known = set(room.members) | set(room.alternates) | {r.member for r in room.replacements}
    repeated = [a for a in event.alternates if a in known]
    if repeated or len(set(event.alternates)) != len(event.alternates):
        raise StepError(f"already drawn or replaced: {listed_names(repeated or event.alternates)}")
    fill = event.alternates[: room.vacancies]
    members = room.members + fill
    return replace(
        room,
        members=members,
        alternates=room.alternates + event.alternates[len(fill) :],
        vacancies=room.vacancies - len(fill),
        ballot=members,
    )


def _vote(room: Room, event: ChairVote) -> Room:
    require_member(room, event.member)
    if event.member in room.votes:
        raise StepError(f"{event.member} has already voted in round {room.vote_round}")
    if event.candidate not in room.ballot:
        raise StepError(
            f"{event.candidate} is not on the ballot of round {room.vote_round}: {listed_names(room.ballot)}"
        )
    votes = {**room.votes, event.member: event.candidate}
    if len(votes) < len(room.members):
        return replace(room, votes=votes)
    tally = Counter(votes.values())
    top = max(tally.values())
    leaders = tuple(m for m in room.ballot if tally[m] == top)
    if len(leaders) == 1:
        return replace(room, votes=votes, chair=leaders[0])
    # A tie: vote again, among the tied members only.
    return replace(room, votes={}, vote_round=room.vote_round + 1, ballot=leaders)


def _verdict(room: Room, event: Verdict) -> Room:
    if event.review != room.phase.value:
        raise StepError(f"a {event.review} verdict is not allowed in phase {room.phase}")
    require_member(room, event.member)
    if event.bidder not in room.valid_bidders:
        raise StepError(f"bidder {event.bidder} is not under review")
    items = room.qualification_items if event.review == "qualification" else room.preliminary_items
    if event.item not in items:
        raise StepError(f"{event.item} is not a {event.review} item: {listed_names(items)}")
    if not event.passed:
        require_reason(event.reason, f"failing bidder {event.bidder} on {event.item}")
    key = (event.review, event.member, event.bidder, event.item)
    return replace(room, verdicts={**room.verdicts, key: (event.passed, event.reason.strip())})


def _close_review(room: Room, review: Review) -> Room:
    items = room.qualification_items if review == "qualification" else room.preliminary_items
    missing = [
        f"member {m} → bidder {b} item {i}"
        for m in room.members
        for b in room.valid_bidders
        for i in items
        if (review, m, b, i) not in room.verdicts
    ]
    if missing:
        raise StepError(f"{review} verdicts missing: {listed_names(missing)}")
    out = dict(room.out)
    n = len(room.members)
    for bidder in room.valid_bidders:
        failed = []
        for item in items:
            fails = [room.verdicts[(review, m, bidder, item)] for m in room.members]
            reasons = [reason for passed, reason in fails if not passed]
            if 2 * len(reasons) > n:  # a strict majority of the committee
                failed.append(f"{review} {item} failed by {len(reasons)} of {n}: {'; '.join(reasons)}")
        if review == "qualification" and bidder in room.bond_failures:
            # the bid's bond failed verification at opening (guarantees): it cannot qualify
            failed.insert(0, f"qualification bond failed at opening: {room.bond_failures[bidder]}")
        if failed:
            out[bidder] = " | ".join(failed)
    return replace(room, out=out)


def _score(room: Room, event: ScoreGiven) -> Room:
    require_member(room, event.member)
    if event.member in room.submitted:
        raise StepError(
            f"{event.member} has submitted the sheet: only the chair can return it for correction"
        )
    if event.bidder not in room.valid_bidders:
        raise StepError(f"bidder {event.bidder} is not being scored")
    criterion = next((c for c in room.scored_criteria if c.id == event.criterion), None)
    if criterion is None:
        raise StepError(f"{event.criterion} is not a criterion the members score")
    try:
        value = validate_score(criterion, event.value)
    except ScoreError as error:
        raise StepError(str(error)) from None
    return replace(room, scores={**room.scores, (event.member, event.bidder, event.criterion): value})


def _submit(room: Room, event: SheetSubmitted) -> Room:
    require_member(room, event.member)
    if event.member in room.submitted:
        raise StepError(f"{event.member} has already submitted the sheet")
    missing = missing_scores(room, [event.member])
    if missing:
        raise StepError(f"scores missing: {listed_names(missing)}")
    outliers = []
    if room.anomaly_limit is not None:
        outliers = outliers_at_submit(
            room.sheets, room.scored_criteria, room.valid_bidders, room.anomaly_limit,
            event.member, room.members, room.submitted,
        )  # fmt: skip
    reasons = {(bidder, unit): reason.strip() for bidder, unit, reason in event.reasons}
    unexplained = [a for a in outliers if not reasons.get((a.bidder, a.unit))]
    if unexplained:
        raise StepError(
            "a reason is needed before the sheet counts: " + listed_names(a.describe() for a in unexplained)
        )
    confirmed = {a.key: (a.score, reasons[(a.bidder, a.unit)]) for a in outliers}
    return replace(
        room,
        submitted=room.submitted | {event.member},
        confirmations={**room.confirmations, **confirmed},
    )


def _return(room: Room, event: ScoresReturned) -> Room:
    require_chair(room, event.by, "return a member's scores")
    require_member(room, event.member)
    require_reason(event.reason, "returning scores")
    if event.member not in room.submitted:
        raise StepError(f"{event.member} has not submitted the sheet: nothing to return")
    return replace(
        room,
        phase=Phase.SCORING,
        submitted=room.submitted - {event.member},
        unexplained=frozenset(k for k in room.unexplained if k[0] != event.member),
        returns=(*room.returns, event),
        price_figures=None,
        benchmark=None,
        ranking=None,
        signatures=frozenset(),
    )


def _find(room: Room, member: str, bidder: str, unit: str) -> Anomaly:
    if set(room.members) - room.submitted:
        raise StepError("anomalies are settled once every member has submitted the sheet")
    found = next((a for a in room.anomalies if a.key == (member, bidder, unit)), None)
    if found is None:
        raise StepError(f"no anomaly for member {member} → bidder {bidder} on {unit}")
    return found


def _confirm(room: Room, event: AnomalyConfirmed) -> Room:
    require_member(room, event.member)
    found = _find(room, event.member, event.bidder, event.unit)
    require_reason(event.reason, "confirming a deviating score")
    if found.key in room.unexplained:
        raise StepError(f"the chair has marked {found.describe()} unexplained")
    return replace(room, confirmations={**room.confirmations, found.key: (found.score, event.reason.strip())})


def _unexplained(room: Room, event: AnomalyUnexplained) -> Room:
    require_chair(room, event.by, "mark an anomaly unexplained")
    found = _find(room, event.member, event.bidder, event.unit)
    if found not in room.open_anomalies:
        raise StepError(f"already settled: {found.describe()}")
    return replace(
        room,
        unexplained=room.unexplained | {found.key},
        credit=(*room.credit, *credit_events([found])),
    )


def _prices(room: Room, event: PriceScoresComputed) -> Room:
    figures = dict(event.figures)
    if len(figures) != len(event.figures) or set(figures) != set(room.valid_bidders):
        raise StepError(
            f"price figures must cover exactly the bidders still in: {listed_names(room.valid_bidders)}"
        )
    return replace(room, price_figures=figures, benchmark=event.benchmark)


def _ranking(room: Room, event: RankingPublished) -> Room:
    if sorted(event.order) != sorted(room.valid_bidders):
        raise StepError(
            f"the ranking must order exactly the bidders still in: {listed_names(room.valid_bidders)}"
        )
    return replace(room, ranking=event.order)


def _sign(room: Room, event: ReportSigned) -> Room:
    require_member(room, event.member)
    if event.member in room.signatures:
        raise StepError(f"{event.member} has already signed the report")
    return replace(room, signatures=room.signatures | {event.member})


def _advance(room: Room) -> Room:
    """Check the current phase's gate; move to the next phase."""
    phase = room.phase
    if phase is Phase.SIGN_IN:
        if room.vacancies:
            raise StepError(
                f"the committee is short by {room.vacancies}: "
                "no alternate is left, a supplementary draw is needed"
            )
        require_all_members(room, room.signed_in, "signed in")
        require_all_members(room, room.declared, "declared avoidance")
    elif phase is Phase.CHAIR_ELECTION:
        if room.chair is None:
            left = [m for m in room.members if m not in room.votes]
            raise StepError(
                f"the chair is not elected: {len(left)} of {len(room.members)} members "
                f"have not voted in round {room.vote_round}: {listed_names(left)}"
            )
    elif phase is Phase.QUALIFICATION or phase is Phase.PRELIMINARY:
        room = _close_review(room, "qualification" if phase is Phase.QUALIFICATION else "preliminary")
    elif phase is Phase.SCORING:
        missing = missing_scores(room, room.members)
        if missing:
            raise StepError(f"scores missing: {listed_names(missing)}")
        require_all_members(room, room.submitted, "submitted their scores")
        if room.open_anomalies:
            raise StepError(
                "anomalies to confirm with a reason: "
                + listed_names(a.describe() for a in room.open_anomalies)
            )
    elif phase is Phase.PRICE_SCORE:
        if room.price_figures is None:
            raise StepError("the platform has not recorded the price figures")
    elif phase is Phase.RESULTS:
        if room.ranking is None:
            raise StepError("the platform has not recorded the ranking")
    elif phase is Phase.REPORT:
        require_all_members(room, room.signatures, "signed the report")
    return replace(room, phase=PHASES[PHASES.index(phase) + 1])


def transition(room: Room | None, event: Event) -> Room:
    """The room after ``event``; StepError (naming what is missing or wrong) when not allowed."""
    if room is None:
        if not isinstance(event, RoomOpened):
            raise StepError(f"the room is not open: {type(event).__name__} needs RoomOpened first")
        return replace(_open(event), log=(event,))
    if not isinstance(event, ALLOWED[room.phase]):
        raise StepError(f"{type(event).__name__} is not allowed in phase {room.phase}")
    new: Room
    if isinstance(event, SignedIn):
        new = _sign_in(room, event)
    elif isinstance(event, AvoidanceDeclared):
        new = _declare(room, event)
    elif isinstance(event, MemberAbsent):
        new = _absent(room, event)
    elif isinstance(event, AlternatesAdded):
        new = _add_alternates(room, event)
    elif isinstance(event, ChairVote):
        new = _vote(room, event)
    elif isinstance(event, Verdict):
        new = _verdict(room, event)
    elif isinstance(event, ScoreGiven):
        new = _score(room, event)
    elif isinstance(event, SheetSubmitted):
        new = _submit(room, event)
    elif isinstance(event, ScoresReturned):
        new = _return(room, event)
    elif isinstance(event, AnomalyConfirmed):
        new = _confirm(room, event)
    elif isinstance(event, AnomalyUnexplained):
        new = _unexplained(room, event)
    elif isinstance(event, PriceScoresComputed):
        new = _prices(room, event)
    elif isinstance(event, RankingPublished):
        new = _ranking(room, event)
    elif isinstance(event, ReportSigned):
        new = _sign(room, event)
    else:
        assert isinstance(event, Advance)
        new = _advance(room)
    return replace(new, log=(*room.log, event))


def fold(events: Iterable[Event]) -> Room:
    """The room's state from its event log (the first event must be RoomOpened)."""
    room: Room | None = None
    for event in events:
        room = transition(room, event)
    if room is None:
        raise StepError("no events: the room is not open")
    return room


# --- what the platform computes ----------------------------------------------------------------------


def evaluate_room(
    room: Room,
    method: EvaluationMethod,
    prices: Mapping[str, Decimal],
    *,
    adjustments: Mapping[str, Decimal] | None = None,
) -> ScoringResult:
    """Score and rank from the room's state once scoring is closed: the members' sheets, the bidders
    out after review (with their reasons) and the scores that do not count (anomalies left
    unexplained). ``prices`` are the opened bids' prices (every bidder of the room)."""
    if PHASES.index(room.phase) < PHASES.index(Phase.PRICE_SCORE):
        raise StepError(f"the scores are not final yet: the room is in phase {room.phase}")
    if {c.id for c in method.criteria} != {c.id for c in room.criteria}:
        raise StepError("the evaluation method's criteria are not the room's")
    if set(prices) != set(room.bidders):
        raise StepError(f"prices must be given for exactly the room's bidders: {listed_names(room.bidders)}")
    try:
        return evaluate(
            method, prices, room.sheets, excluded=room.out, adjustments=adjustments, dropped=room.dropped
        )
    except ScoreError as error:
        raise StepError(str(error)) from None


def price_event(evaluation: ScoringResult) -> PriceScoresComputed:
    """The price scores and benchmark (comprehensive), or the evaluated prices (lowest price)."""
    if evaluation.price is not None:
        return PriceScoresComputed(tuple(evaluation.price.scores.items()), evaluation.price.benchmark)
    return PriceScoresComputed(tuple((r.bidder, r.result.evaluated_price) for r in evaluation.ranking.ranked))


def ranking_event(evaluation: ScoringResult) -> RankingPublished:
    return RankingPublished(evaluation.ranking.order)
