"""The evaluation room's use cases: seat the committee, take each member's actions, run the platform's
steps, sign the report, publish the candidates and the award.

The room's event log (core/rooms.py, room ``evaluation:<code>``) is the truth: every accepted action
is a step event (evaluation/events.py, stored as ``step.<kind>``) checked against the state folded
from the log while the room's head row is locked, so two members acting at once (in two processes)
are applied one after the other and never against a stale state. Alongside the step events the room
carries news the steps do not need: ``progress`` (a member's count of scores given, so others see
progress without seeing values), ``presence``, ``clarification.*``, ``report.*``.

Who sees what in the room: a member's individual scores are for that member and the supervisors
(audience ``member:<code>``); everything else is for everyone admitted to the room (the committee,
the host — the tender's tenderer or agent — and supervisors). Bidders and other experts are never
admitted.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import anyio
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core import rooms
from core.accounts import Principal, find_user
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation, RoomEvent
from core.organisations import find_by_credit_code
from core.regions import get_region
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import SigningError, public_key_from_text, public_key_to_text
from evaluation import report as reports
from evaluation.events import PREFIX, decode, encode
from evaluation.models import Clarification, Evaluation, Member
from evaluation.params import ScoreError, from_tender_criteria
from evaluation.steps import (
    Advance,
    AnomalyConfirmed,
    AnomalyUnexplained,
    AvoidanceDeclared,
    ChairVote,
    Event,
    MemberAbsent,
    Phase,
    ReportSigned,
    Room,
    RoomOpened,
    ScoreGiven,
    ScoresReturned,
    SheetSubmitted,
    SignedIn,
    StepError,
    Verdict,
    evaluate_room,
    price_event,
    ranking_event,
    transition,
)
from evaluation.views import room_view
from experts import service as experts

PLATFORM = "platform"  # the ``by`` of the steps the platform takes itself
PUBLICITY_DAYS = 3  # 《招标投标法实施条例》第五十四条: candidates are public for at least 3 days
CLARIFY_MINUTES = (5, 24 * 60)  # the time a bidder is given to answer, bounds
MAX_TEXT = 2000


def room_name(code: str) -> str:
    return f"evaluation:{code}"


def member_audience(code: str) -> str:
    return f"member:{code}"


# --- reading ------------------------------------------------------------------------------------------


async def get_evaluation(session: AsyncSession, code: str) -> Evaluation:
    found = await session.scalar(select(Evaluation).where(Evaluation.code == code))
    if found is None:
        raise NotFound(f"评标 {code} 不存在 (no such evaluation)", code="unknown_evaluation")
    return found


async def seats_of(session: AsyncSession, evaluation: Evaluation) -> list[Member]:
    rows = await session.scalars(
        select(Member)
        .where(Member.evaluation_id == evaluation.id)
        .order_by(Member.kind.desc(), Member.position)
    )
    return list(rows)


# Folded states by room, per runtime (one database): (seq, state), from committed rows only — read
# right after the room's head is locked and before this transaction appends anything (``act``), or
# by a read (``room_state``). Later events, from any process, are read from the database on use.
_STATES: dict[int, dict[str, tuple[int, Room]]] = {}  # by id(runtime), dropped with the runtime
_STATES_KEPT = 256


async def _fold_rows(
    session: AsyncSession, room: str, state: Room | None, after: int, upto: int
) -> tuple[Room | None, int]:
    """``state`` (as of seq ``after``) carried on through the stored events up to seq ``upto``."""
    while after < upto:
        rows = await rooms.events_after(session, room, after)
        if not rows:
            break
        for row in rows:
            if row.seq > upto:
                break
            if row.kind.startswith(PREFIX):
                state = transition(state, decode(row.kind, json.loads(row.payload)))
            after = row.seq
        else:
            continue
        break
    return state, after


async def _folded(session: AsyncSession, runtime: Runtime, room: str, upto: int) -> Room | None:
    if id(runtime) not in _STATES:
        _STATES[id(runtime)] = {}
        weakref.finalize(runtime, _STATES.pop, id(runtime), None)
    states = _STATES[id(runtime)]
    cached = states.get(room)
    state, after = (cached[1], cached[0]) if cached and cached[0] <= upto else (None, 0)
    state, after = await _fold_rows(session, room, state, after, upto)
    if state is not None:
        if len(states) >= _STATES_KEPT:
            states.pop(next(iter(states)))
        states[room] = (after, state)
    return state


async def room_state(session: AsyncSession, evaluation: Evaluation, runtime: Runtime | None = None) -> Room:
    """The room's current state (a read: no lock taken). With the runtime, the fold continues from
    the runtime's cached state (this session reads only committed rows, so what it folds may be kept)."""
    room = room_name(evaluation.code)
    upto = await rooms.head(session, room)
    if runtime is not None:
        state = await _folded(session, runtime, room, upto)
    else:
        state, _ = await _fold_rows(session, room, None, 0, upto)
    if state is None:
        raise Conflict("评标室尚未开启 (the room is not open)", code="room_not_open")
    return state


async def evaluations_for(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """The evaluations the caller may enter: a member's seats, a host's tenders, all for supervisors."""
    query = select(Evaluation).order_by(Evaluation.created_at.desc())
    if Role.SUPERVISOR not in principal.roles:  # one query, as ``seat_of`` would admit them
        mine = (Member.user_id == principal.user_id, Member.kind == "member")
        seated = select(Member.evaluation_id).where(*mine)
        query = query.where(
            or_(Evaluation.id.in_(seated), Evaluation.tender_code.in_(bidding.owned_tender_codes(principal)))
        )
    found = list(await session.scalars(query))
    return [
        {"code": e.code, "tender": e.tender_code, "title": e.tender_title, "lot": e.lot_number,
         "state": e.state, "created_at": e.created_at.isoformat()}
        for e in found
    ]  # fmt: skip


# --- who is asking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """The caller's place in an evaluation: a member's code, or host / supervisor, never both."""

    member: str | None
    host: bool
    supervisor: bool

    @property
    def admitted(self) -> bool:
        return self.member is not None or self.host or self.supervisor


async def seat_of(
    session: AsyncSession, evaluation: Evaluation, principal: Principal | None, state: Room | None = None
) -> Seat:
    if principal is None:
        return Seat(None, False, False)
    member = None
    if Role.EXPERT in principal.roles or Role.TENDERER in principal.roles:
        mine = [s for s in await seats_of(session, evaluation) if s.user_id == principal.user_id]
        # In the room: the committee as it stands (an alternate once it has replaced someone; not
        # a member who declared a conflict and was replaced).
        if mine and (mine[0].code in state.members if state is not None else mine[0].kind == "member"):
            member = mine[0].code
    if member is not None:  # the tenderer's representative sits as a member, not as the host
        return Seat(member, False, False)
    tender = await bidding.tender_by_code(session, evaluation.tender_code)
    return Seat(member, bidding.is_owner(principal, tender), Role.SUPERVISOR in principal.roles)


async def admitted(
    session: AsyncSession, code: str, principal: Principal | None, runtime: Runtime | None = None
) -> tuple[Evaluation, Seat, Room]:
    """The evaluation, the caller's seat and the room's state; 403 for anyone not admitted to its room.
    Pass the runtime to reuse its cached state (``room_state``)."""
    evaluation = await get_evaluation(session, code)
    state = await room_state(session, evaluation, runtime)
    seat = await seat_of(session, evaluation, principal, state)
    if not seat.admitted:
        raise PermissionDenied(
            "仅评标委员会成员、招标人/代理机构和监督人员可进入评标室 (not admitted to this room)"
        )
    return evaluation, seat, state


def viewer(principal: Principal | None, seat: Seat, state: Room) -> rooms.Viewer:
    extra: list[str] = []
    if seat.member is not None:
        extra.append(member_audience(seat.member))
    if seat.supervisor:  # supervisors see every member's scores as they are given
        extra.extend(member_audience(m) for m in (*state.members, *state.alternates))
        extra.extend(member_audience(r.member) for r in state.replacements)
    return rooms.Viewer.of(principal, *extra)


async def view(
    session: AsyncSession, principal: Principal | None, code: str, runtime: Runtime | None = None
) -> dict[str, Any]:
    """The room as the caller sees it (see evaluation/views.py); pass the runtime to reuse its cache."""
    evaluation, seat, state = await admitted(session, code, principal, runtime)
    seats = await seats_of(session, evaluation)
    names = {}
    for region in {evaluation.main_venue, *evaluation.venues, *(s.county_code for s in seats)}:
        names[region] = (await get_region(session, region)).name
    clarifications = await session.scalars(
        select(Clarification).where(Clarification.evaluation_id == evaluation.id).order_by(Clarification.id)
    )
    return room_view(
        evaluation, seats, state, me=seat.member, host=seat.host, supervisor=seat.supervisor,
        online=await online_members(session, code), venue_names=names, clarifications=list(clarifications),
    )  # fmt: skip


# --- starting -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEvaluation:
    tender_code: str
    lot: str
    draw_id: int
    main_venue: str
    venues: tuple[str, ...] = ()
    representative: str = ""  # the tenderer's representative's username, where the tender allows one
    representative_key: str = ""  # their Ed25519 public key (ed25519:<base64> or PEM), to sign the report


REPRESENTATIVE_PREFIX = "TR-"  # a representative's member code: TR-<user id> (experts' codes are E…)


async def _representative_seat(
    session: AsyncSession, tender: Any, new: NewEvaluation, experts_seated: int
) -> Member | None:
    """The tenderer's representative (招标人代表), checked against the law's shape of a committee:
    an odd number of members, experts at least two thirds of them (招标投标法 Art. 37)."""
    if not new.representative.strip():
        return None
    if not tender.criteria.get("tenderer_representative", False):
        raise InvalidInput(
            "本项目的评标办法不设招标人代表 (this tender seats no tenderer's representative)",
            code="no_representative_seat",
        )
    user = await find_user(session, new.representative.strip())
    if user is None or Role.TENDERER not in user.role_names or user.organisation_id != tender.tenderer_id:
        raise InvalidInput(
            f"招标人代表 {new.representative.strip()} 不是本项目招标人的用户 "
            "(the representative must be a user of the tender's tenderer)",
            code="bad_representative",
        )
    try:
        public_key = public_key_to_text(public_key_from_text(new.representative_key))
    except SigningError as error:
        raise InvalidInput(
            f"招标人代表的签名公钥无效 (the representative's public key): {error}",
            code="bad_representative_key",
        ) from None
    total = experts_seated + 1
    if total % 2 == 0 or experts_seated * 3 < total * 2:
        raise InvalidInput(
            f"评标委员会应为单数且专家不少于三分之二：{experts_seated} 名专家加 1 名招标人代表不符合 "
            f"({experts_seated} experts and a representative: the committee must be odd, experts ≥ 2/3)",
            code="committee_shape",
        )
    organisation = await session.get(Organisation, tender.tenderer_id)
    assert organisation is not None  # a tender's tenderer exists
    return Member(
        code=f"{REPRESENTATIVE_PREFIX}{user.id}", user_id=user.id, name=user.display_name,
        county_code=organisation.region_code, employer=organisation.name, public_key=public_key,
        kind="member", position=experts_seated,
    )  # fmt: skip


def is_representative(code: str) -> bool:
    return code.startswith(REPRESENTATIVE_PREFIX)


async def start(
    session: AsyncSession, runtime: Runtime, principal: Principal, new: NewEvaluation
) -> Evaluation:
    """The host opens the room once the opening is closed and the committee is complete."""
    tender = await bidding.tender_by_code(session, new.tender_code)
    if not bidding.is_owner(principal, tender):
        raise PermissionDenied("只有本项目的招标人或代理机构可以组织评标 (only the tender's owners host)")
    lots = {lot.number: lot for lot in await bidding.lots_of(session, tender.id)}
    lot = lots.get(new.lot)
    if lot is None:
        raise NotFound(f"标段 {new.lot} 不存在 (no such lot)", code="unknown_lot")
    code = f"{tender.code}-{lot.number}"
    if await session.scalar(select(Evaluation.id).where(Evaluation.code == code)) is not None:
        raise Conflict(f"评标 {code} 已开始 (already started)", code="already_started")
    draw = await experts.get_draw(session, new.draw_id)
    if draw.tender_ref != tender.code or (draw.lot_ref not in (None, "", lot.number)):
        raise InvalidInput(
            f"抽取 {draw.code} 不是本项目/标段的 (draw {draw.code} is for {draw.tender_ref} "
            f"{draw.lot_ref or ''})",
            code="wrong_draw",
        )
    venues = tuple(dict.fromkeys(v for v in new.venues if v != new.main_venue))
    for venue in (new.main_venue, *venues):
        await get_region(session, venue)  # 404 naming an unknown venue
    bids = await bidding.opened_bids(session, tender.code, lot.number)
    if len(bids) < 3:
        raise Conflict(
            f"有效投标不足 3 家 ({len(bids)})，不能评标 (fewer than three valid bids)", code="too_few_bids"
        )
    try:
        method = from_tender_criteria(tender.criteria, coefficient=bids[0].coefficient or Decimal(0))
    except ScoreError as error:
        raise InvalidInput(f"评标办法有误 (criteria): {error}", code="bad_criteria") from None
    draw = await experts.unseal_for_evaluation(session, runtime, draw.id)
    members, alternates = await experts.seats(session, draw.id)
    representative = await _representative_seat(session, tender, new, len(members))
    bid_rows = []
    for bid in bids:
        org = await find_by_credit_code(session, bid.bidder_code)
        assert org is not None  # an opened bid's company exists
        bid_rows.append({"code": bid.bidder_code, "name": bid.bidder_name, "price": str(bid.price),
                         "organisation_id": org.id})  # fmt: skip
    evaluation = Evaluation(
        code=code, tender_code=tender.code, lot_number=lot.number, tender_title=tender.title,
        lot_name=lot.title, draw_id=draw.id, criteria=tender.criteria,
        coefficient=bids[0].coefficient or Decimal(0), budget=lot.budget, ceiling_price=lot.ceiling_price,
        bids=bid_rows, main_venue=new.main_venue, venues=list(venues), state="open",
        created_by=principal.user_id, created_at=runtime.clock.now(),
    )  # fmt: skip
    session.add(evaluation)
    await session.flush()
    for kind, people in (("member", members), ("alternate", alternates)):
        for position, expert in enumerate(people):
            session.add(
                Member(
                    evaluation_id=evaluation.id,
                    code=expert.code,
                    user_id=expert.user_id,
                    name=expert.name,
                    county_code=expert.county_code,
                    employer=expert.employer_name,
                    public_key=expert.public_key,
                    kind=kind,
                    position=position,
                )
            )
    if representative is not None:
        representative.evaluation_id = evaluation.id
        session.add(representative)
    qualification = tuple(str(q["id"]) for q in tender.criteria.get("qualification", []))
    preliminary = tuple(str(q["id"]) for q in tender.criteria.get("preliminary", []))
    opened = RoomOpened(
        members=(*(e.code for e in members), *([representative.code] if representative is not None else [])),
        alternates=tuple(e.code for e in alternates),
        bidders=tuple(b.bidder_code for b in bids),
        qualification_items=qualification,
        preliminary_items=preliminary,
        criteria=method.criteria,
        anomaly_limit=method.anomaly,
    )
    room = room_name(code)
    await rooms.lock(session, room)
    transition(None, opened)  # checks the committee and items before anything is stored
    kind, data = encode(opened)
    await rooms.append(session, runtime.clock, room, kind, data)
    await bidding.start_evaluation(session, runtime, principal, tender.code)
    await runtime.audit.append(
        session, "evaluation.started", actor=principal.actor, subject=f"evaluation:{code}",
        data={"draw": draw.code, "members": len(members), "bids": len(bids),
              "venues": [new.main_venue, *venues]},
    )  # fmt: skip
    return evaluation


# --- acting -------------------------------------------------------------------------------------------


def _text(message: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = message.get(key, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{key} 须为文本 ({key} must be text)", code="bad_field")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"缺少 {key} ({key} is required)", code="missing_field")
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{key} 过长 (at most {MAX_TEXT} characters)", code="too_long")
    return value


def _decimal(message: Mapping[str, Any], key: str) -> Decimal:
    raw = message.get(key)
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidInput(f"{key} 须为数字字符串 ({key} must be a decimal string)", code="bad_field")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput(f"{key} 不是数字: {raw!r} ({key} is not a number)", code="bad_field") from None
    if not value.is_finite():
        raise InvalidInput(f"{key} 不是有限数字 ({key} must be finite)", code="bad_field")
    return value


def _need_member(seat: Seat) -> str:
    if seat.member is None:
        raise PermissionDenied("只有评标委员会成员可以这样做 (committee members only)")
    return seat.member


MEMBER_ACTIONS = (
    "sign_in", "declare", "vote", "verdict", "score", "submit", "return", "confirm_anomaly",
    "unexplained", "advance", "sign", "clarify",
)  # fmt: skip
HOST_ACTIONS = ("absent",)  # the host records a member who confirmed but did not come


async def _event_for(
    session: AsyncSession, evaluation: Evaluation, seat: Seat, state: Room, message: Mapping[str, Any]
) -> Event:
    action = message.get("action")
    if action not in (*MEMBER_ACTIONS, *HOST_ACTIONS):
        actions = ", ".join((*MEMBER_ACTIONS, *HOST_ACTIONS))
        raise InvalidInput(f"未知操作 {action!r} (unknown action; one of {actions})")
    if action == "absent":
        if not seat.host:
            raise PermissionDenied("只有招标人或代理机构可以登记缺席 (only the host records an absence)")
        return MemberAbsent(_text(message, "member"), _text(message, "reason"))
    if action == "advance":
        if state.phase in (Phase.SIGN_IN, Phase.CHAIR_ELECTION):
            raise InvalidInput("签到和推选组长完成后自动进入下一步 (this step moves on by itself)")
        return Advance(_need_member(seat))
    member = _need_member(seat)
    if action == "sign_in":
        venue = _text(message, "venue")
        if venue not in (evaluation.main_venue, *evaluation.venues):
            raise InvalidInput(
                f"{venue} 不是本次评标的场地 (not one of this evaluation's venues)", code="bad_venue"
            )
        return SignedIn(member)
    if action == "declare":
        conflict = message.get("conflict")
        if not isinstance(conflict, bool):
            raise InvalidInput("conflict 须为 true/false (conflict must be a boolean)", code="bad_field")
        return AvoidanceDeclared(member, conflict, _text(message, "reason", required=conflict))
    if action == "vote":
        return ChairVote(member, _text(message, "candidate"))
    if action == "verdict":
        review = message.get("review")
        passed = message.get("passed")
        if review not in ("qualification", "preliminary") or not isinstance(passed, bool):
            raise InvalidInput("verdict 需要 review (qualification|preliminary) 和 passed (true/false)")
        return Verdict(review, member, _text(message, "bidder"), _text(message, "item"), passed,
                       _text(message, "reason", required=not passed))  # fmt: skip
    if action == "score":
        return ScoreGiven(
            member, _text(message, "bidder"), _text(message, "criterion"), _decimal(message, "value")
        )
    if action == "submit":
        return SheetSubmitted(member)
    if action == "return":
        return ScoresReturned(member, _text(message, "member"), _text(message, "reason"))
    if action == "confirm_anomaly":
        return AnomalyConfirmed(
            member, _text(message, "bidder"), _text(message, "unit"), _text(message, "reason")
        )
    if action == "unexplained":
        return AnomalyUnexplained(
            member, _text(message, "member"), _text(message, "bidder"), _text(message, "unit")
        )
    assert action == "sign"
    return ReportSigned(member)


async def act(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, message: Mapping[str, Any]
) -> dict[str, Any]:
    """One action of a member in the room (REST or socket). Returns the seq of what it stored."""
    evaluation = await get_evaluation(session, code)
    room = room_name(code)
    head = await rooms.lock(session, room)
    state = await _folded(session, runtime, room, head)
    if state is None:
        raise Conflict("评标室尚未开启 (the room is not open)", code="room_not_open")
    seat = await seat_of(session, evaluation, principal, state)
    if not seat.admitted:
        raise PermissionDenied("未进入本评标室 (not admitted to this room)")
    if message.get("action") == "clarify":
        return await _clarify(session, runtime, evaluation, _need_member(seat), state, message)
    event = await _event_for(session, evaluation, seat, state, message)
    if isinstance(event, ReportSigned):
        await _check_signature(session, evaluation, event.member, message)
    new = _apply(state, event)
    seq = await _store(session, runtime, room, event)
    await _after(session, runtime, evaluation, state, new, event, message)
    new = await _platform_steps(session, runtime, evaluation, new)
    return {"seq": seq, "phase": new.phase.value}


def _apply(state: Room, event: Event) -> Room:
    try:
        return transition(state, event)
    except StepError as error:
        raise Conflict(str(error), code="step_refused") from None


async def _store(session: AsyncSession, runtime: Runtime, room: str, event: Event) -> int:
    kind, data = encode(event)
    audience = member_audience(event.member) if isinstance(event, ScoreGiven) else rooms.PUBLIC
    return await rooms.append(session, runtime.clock, room, kind, data, audience=audience)


async def _after(
    session: AsyncSession,
    runtime: Runtime,
    evaluation: Evaluation,
    old: Room,
    new: Room,
    event: Event,
    message: Mapping[str, Any],
) -> None:
    """What an accepted step implies outside the step log."""
    room = room_name(evaluation.code)
    if isinstance(event, SignedIn):
        seat = await _seat(session, evaluation, event.member)
        seat.venue = str(message["venue"]).strip()
    elif isinstance(event, ScoreGiven):
        given = sum(1 for (m, b, _c) in new.scores if m == event.member and b in new.valid_bidders)
        of = len(new.valid_bidders) * len(new.scored_criteria)
        await rooms.append(
            session, runtime.clock, room, "progress", {"member": event.member, "scored": given, "of": of}
        )
    elif isinstance(event, ReportSigned):
        seat = await _seat(session, evaluation, event.member)
        seat.signature = str(message["signature"])
        seat.signed_at = runtime.clock.now()
    for credit_event in new.credit[len(old.credit) :]:
        from credit.service import record_event_deduction

        if is_representative(credit_event.expert):
            continue  # the expert-conduct rules bind experts; the anomaly itself still does not count

        await record_event_deduction(
            session, runtime, event=credit_event.event, kind="expert", key=credit_event.expert,
            evidence=f"{evaluation.tender_code} 标段{evaluation.lot_number}: {credit_event.detail}",
            source_ref=f"evaluation:{evaluation.code}/{credit_event.expert}/{len(old.credit)}",
        )  # fmt: skip


async def _seat(session: AsyncSession, evaluation: Evaluation, code: str) -> Member:
    seat = await session.scalar(
        select(Member).where(Member.evaluation_id == evaluation.id, Member.code == code)
    )
    if seat is None:
        raise NotFound(f"{code} 不是本评标的成员 (not a seat of this evaluation)")
    return seat


async def _platform_steps(
    session: AsyncSession, runtime: Runtime, evaluation: Evaluation, state: Room
) -> Room:
    """Move on where the gate holds by itself, and compute what the platform computes."""
    room = room_name(evaluation.code)
    while True:
        if state.phase in (Phase.SIGN_IN, Phase.CHAIR_ELECTION, Phase.REPORT):
            try:
                step: Event = Advance(PLATFORM)
                new = transition(state, step)
            except StepError:
                return state
        elif state.phase is Phase.PRICE_SCORE and state.price_figures is None:
            step = price_event(_evaluate(evaluation, state))
            new = _apply(state, step)
        elif state.phase is Phase.RESULTS and state.ranking is None:
            step = ranking_event(_evaluate(evaluation, state))
            new = _apply(state, step)
        elif state.phase in (Phase.PRICE_SCORE, Phase.RESULTS):
            step = Advance(PLATFORM)
            new = _apply(state, step)
        else:
            return state
        await _store(session, runtime, room, step)
        if new.phase is Phase.REPORT and state.phase is not Phase.REPORT:
            await _draft_report(session, runtime, evaluation, new)
        if new.phase is Phase.SIGNED:
            await _signed(session, runtime, evaluation, new)
        state = new


def _method(evaluation: Evaluation) -> Any:
    return from_tender_criteria(evaluation.criteria, coefficient=evaluation.coefficient)


def _evaluate(evaluation: Evaluation, state: Room) -> Any:
    prices = {b["code"]: Decimal(b["price"]) for b in evaluation.bids}
    try:
        return evaluate_room(state, _method(evaluation), prices)
    except StepError as error:
        raise Conflict(str(error), code="step_refused") from None


# --- the report ---------------------------------------------------------------------------------------


async def _build_report(session: AsyncSession, evaluation: Evaluation, state: Room) -> reports.Report:
    seats = await seats_of(session, evaluation)
    names = {}
    for region in {evaluation.main_venue, *evaluation.venues, *(s.county_code for s in seats)}:
        names[region] = (await get_region(session, region)).name
    criteria = evaluation.criteria
    review_items = {
        str(i["id"]): str(i["text"])
        for key in ("qualification", "preliminary")
        for i in criteria.get(key, [])
    }
    tender = reports.TenderFacts(
        code=evaluation.tender_code, title=evaluation.tender_title, lot=evaluation.lot_number,
        lot_name=evaluation.lot_name, method=criteria["method"], budget=evaluation.budget,
        evaluation_date=evaluation.created_at.astimezone(reports.DISPLAY_TZ).date(),
        venues=tuple(names[v] for v in (evaluation.main_venue, *evaluation.venues)),
        ceiling_price=evaluation.ceiling_price, review_items=review_items,
    )  # fmt: skip
    members = {
        s.code: reports.MemberFacts(
            name=s.name,
            county=names.get(s.county_code, s.county_code),
            venue=names.get(s.venue or "", s.venue or ""),
            employer=s.employer,
            chair=state.chair == s.code,
            public_key=s.public_key,
            role="tenderer" if is_representative(s.code) else "expert",
        )
        for s in seats
    }
    bidders = {
        b["code"]: reports.BidderFacts(credit_code=b["code"], name=b["name"], price=Decimal(b["price"]))
        for b in evaluation.bids
    }
    try:
        return reports.build_report(state, _evaluate(evaluation, state), tender, members, bidders)
    except reports.ReportError as error:
        raise Conflict(
            f"评标报告无法生成 (the report cannot be drawn up): {error}", code="report_failed"
        ) from None


def _stored_report(evaluation: Evaluation) -> reports.Report:
    """The drafted report as stored (its files are in the blob store; the facts are what count)."""
    assert evaluation.report_facts is not None and evaluation.report_digest is not None
    return reports.Report.from_facts(evaluation.report_facts)


def _report_key(evaluation: Evaluation, kind: str) -> str:
    return f"evaluation/{evaluation.code}/report-{evaluation.report_digest}.{kind}"


async def _draft_report(session: AsyncSession, runtime: Runtime, evaluation: Evaluation, state: Room) -> None:
    report = await _build_report(session, evaluation, state)
    evaluation.report_digest = report.digest
    evaluation.report_facts = report.facts
    for seat in await seats_of(session, evaluation):  # a returned sheet invalidates earlier signatures
        seat.signature = None
        seat.signed_at = None
    # Rendering takes about a second (fonts): off the event loop, so the room stays live meanwhile.
    pdf, html = await anyio.to_thread.run_sync(lambda: (report.pdf, report.html))
    await runtime.blobs.put(_report_key(evaluation, "pdf"), _chunks(pdf))
    await runtime.blobs.put(_report_key(evaluation, "html"), _chunks(html.encode()))
    await rooms.append(
        session, runtime.clock, room_name(evaluation.code), "report.ready", {"digest": report.digest}
    )


async def _chunks(data: bytes) -> Any:
    yield data


async def _check_signature(
    session: AsyncSession, evaluation: Evaluation, member: str, message: Mapping[str, Any]
) -> None:
    if evaluation.report_digest is None:
        raise Conflict("评标报告尚未生成 (the report is not drafted yet)", code="no_report")
    seat = await _seat(session, evaluation, member)
    if not seat.public_key:
        raise Conflict("您尚未登记签名公钥 (register your signing key on your profile first)", code="no_key")
    signature = _text(message, "signature")
    try:
        reports.verify_member_signature(evaluation.report_digest, seat.public_key, signature)
    except (reports.ReportError, reports.ReportSignatureError) as error:
        raise InvalidInput(
            f"签名无效 (the signature does not verify): {error}", code="bad_signature"
        ) from None


async def _signed(session: AsyncSession, runtime: Runtime, evaluation: Evaluation, state: Room) -> None:
    """Every member signed: the signed report (with its signature page) is stored and logged."""
    evaluation.state = "signed"
    evaluation.signed_at = runtime.clock.now()
    seats = [s for s in await seats_of(session, evaluation) if s.code in state.members]
    signatures = [reports.MemberSignature(s.code, s.signature or "", s.signed_at) for s in seats]
    try:
        signed = await anyio.to_thread.run_sync(
            reports.signature_page, _stored_report(evaluation), signatures
        )
    except (reports.ReportError, reports.ReportSignatureError) as error:
        raise Conflict(f"签名核验失败 (a signature does not verify): {error}", code="bad_signature") from None
    await runtime.blobs.put(_report_key(evaluation, "signed.pdf"), _chunks(signed.pdf))
    await runtime.blobs.put(_report_key(evaluation, "signed.html"), _chunks(signed.html.encode()))
    await runtime.blobs.put(
        _report_key(evaluation, "signatures.json"),
        _chunks(json.dumps(signed.record, ensure_ascii=False).encode()),
    )
    await runtime.audit.append(
        session, "evaluation.report_signed", subject=f"evaluation:{evaluation.code}",
        data={"digest": evaluation.report_digest, "signatures": signed.record},
    )  # fmt: skip
    await rooms.append(
        session,
        runtime.clock,
        room_name(evaluation.code),
        "report.signed",
        {"digest": evaluation.report_digest},
    )


async def report_file(
    session: AsyncSession, runtime: Runtime, principal: Principal | None, code: str, kind: str
) -> Any:
    """The report (pdf or html) for those admitted to the room: the signed one once everyone signed,
    else the draft the members are signing."""
    evaluation, _, _ = await admitted(session, code, principal, runtime)
    if evaluation.report_digest is None:
        raise NotFound("评标报告尚未生成 (no report yet)", code="no_report")
    if kind not in ("pdf", "html"):
        raise NotFound("报告格式为 pdf 或 html (the report is pdf or html)", code="unknown_format")
    key = _report_key(evaluation, f"signed.{kind}" if evaluation.signed_at is not None else kind)
    return await runtime.blobs.open(key)


# --- clarifications (澄清) ----------------------------------------------------------------------------


async def _clarify(
    session: AsyncSession,
    runtime: Runtime,
    evaluation: Evaluation,
    member: str,
    state: Room,
    message: Mapping[str, Any],
) -> dict[str, Any]:
    if state.phase not in (Phase.QUALIFICATION, Phase.PRELIMINARY, Phase.SCORING):
        raise Conflict(
            f"澄清只能在评审阶段提出 (clarifications are asked during review, not in {state.phase})"
        )
    bidder = _text(message, "bidder")
    bid = next((b for b in evaluation.bids if b["code"] == bidder), None)
    if bid is None:
        raise InvalidInput(
            f"{bidder} 不是本次评标的投标人 (not a bidder of this evaluation)", code="unknown_bidder"
        )
    minutes = message.get("minutes", 30)
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not CLARIFY_MINUTES[0] <= minutes <= CLARIFY_MINUTES[1]
    ):
        raise InvalidInput(
            f"答复时限须为 {CLARIFY_MINUTES[0]}–{CLARIFY_MINUTES[1]} 分钟 (minutes out of range)"
        )
    now = runtime.clock.now()
    clarification = Clarification(
        evaluation_id=evaluation.id, bidder_code=bidder, organisation_id=bid["organisation_id"],
        question=_text(message, "question"), asked_by=member, asked_at=now,
        due_at=now + timedelta(minutes=minutes),
    )  # fmt: skip
    session.add(clarification)
    await session.flush()
    seq = await rooms.append(
        session, runtime.clock, room_name(evaluation.code), "clarification.asked",
        {"id": clarification.id, "bidder": bidder, "question": clarification.question, "by": member,
         "due": clarification.due_at.isoformat()},
    )  # fmt: skip
    await runtime.audit.append(
        session, "evaluation.clarification_asked", subject=f"evaluation:{evaluation.code}",
        data={"id": clarification.id, "bidder": bidder},
    )  # fmt: skip
    return {"seq": seq, "phase": state.phase.value, "clarification": clarification.id}


async def clarifications_for_bidder(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    if principal.organisation_id is None:
        return []
    rows = await session.execute(
        select(Clarification, Evaluation)
        .join(Evaluation, Evaluation.id == Clarification.evaluation_id)
        .where(Clarification.organisation_id == principal.organisation_id)
        .order_by(Clarification.asked_at.desc())
    )
    return [clarification_json(c, e) for c, e in rows.all()]


def clarification_json(c: Clarification, e: Evaluation) -> dict[str, Any]:
    return {
        "id": c.id, "evaluation": e.code, "tender": e.tender_code, "title": e.tender_title,
        "lot": e.lot_number,
        "question": c.question, "asked_at": c.asked_at.isoformat(), "due_at": c.due_at.isoformat(),
        "answer": c.answer, "answered_at": c.answered_at.isoformat() if c.answered_at else None,
    }  # fmt: skip


async def answer_clarification(
    session: AsyncSession, runtime: Runtime, principal: Principal, clarification_id: int, answer: str
) -> dict[str, Any]:
    found = await session.get(Clarification, clarification_id)
    if found is None or found.organisation_id != principal.organisation_id:
        raise NotFound("没有这条澄清要求 (no such clarification request)", code="unknown_clarification")
    if found.answer is not None:
        raise Conflict("已答复 (already answered)", code="already_answered")
    from core.clock import as_utc

    if runtime.clock.now() > as_utc(found.due_at):
        raise Conflict("已超过答复时限 (the time to answer has passed)", code="too_late")
    text = answer.strip()
    if not text:
        raise InvalidInput("答复不能为空 (the answer is empty)", code="missing_field")
    if len(text) > MAX_TEXT * 5:
        raise InvalidInput("答复过长 (the answer is too long)", code="too_long")
    found.answer, found.answered_at, found.answered_by = text, runtime.clock.now(), principal.user_id
    evaluation = await session.get(Evaluation, found.evaluation_id)
    assert evaluation is not None
    await rooms.append(
        session, runtime.clock, room_name(evaluation.code), "clarification.answered",
        {"id": found.id, "bidder": found.bidder_code, "answer": text},
    )  # fmt: skip
    await runtime.audit.append(
        session, "evaluation.clarification_answered", actor=principal.actor,
        subject=f"evaluation:{evaluation.code}", data={"id": found.id},
    )  # fmt: skip
    return clarification_json(found, evaluation)


# --- presence -----------------------------------------------------------------------------------------


async def presence(session: AsyncSession, runtime: Runtime, code: str, member: str, online: bool) -> None:
    evaluation = await get_evaluation(session, code)
    seat = await _seat(session, evaluation, member)
    await rooms.append(
        session,
        runtime.clock,
        room_name(code),
        "presence",
        {"member": member, "venue": seat.venue, "online": online},
    )


async def online_members(session: AsyncSession, code: str) -> dict[str, bool]:
    rows = await session.scalars(
        select(RoomEvent)
        .where(RoomEvent.room == room_name(code), RoomEvent.kind == "presence")
        .order_by(RoomEvent.seq)
    )
    counts: dict[str, int] = {}
    for row in rows:
        data = json.loads(row.payload)
        counts[data["member"]] = counts.get(data["member"], 0) + (1 if data["online"] else -1)
    return {member: count > 0 for member, count in counts.items()}


# --- publicity and award ------------------------------------------------------------------------------


async def publish_publicity(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, days: int = PUBLICITY_DAYS
) -> dict[str, Any]:
    evaluation = await get_evaluation(session, code)
    if evaluation.state != "signed" or evaluation.report_facts is None:
        raise Conflict(
            "评标报告签署完成后才能公示候选人 (the report must be signed first)", code="wrong_state"
        )
    now = runtime.clock.now()
    try:
        draft = reports.publicity_draft(
            reports.Report.from_facts(evaluation.report_facts), starts=now, days=days
        )
    except reports.ReportError as error:
        raise InvalidInput(str(error), code="bad_publicity") from None
    notice = await bidding.publish_candidates(
        session, runtime, principal, evaluation.tender_code, draft.title, draft.body, draft.data
    )
    evaluation.state = "publicity"
    evaluation.publicity_notice_id = notice.id
    evaluation.publicity_ends = draft.ends
    return {"notice": notice.id, "ends": draft.ends.isoformat()}


async def award(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, winner: str | None = None
) -> dict[str, Any]:
    from core.clock import as_utc

    evaluation = await get_evaluation(session, code)
    if (
        evaluation.state != "publicity"
        or evaluation.publicity_ends is None
        or evaluation.report_facts is None
    ):
        raise Conflict("候选人公示后才能定标 (publish the candidates first)", code="wrong_state")
    now = runtime.clock.now()
    if now < as_utc(evaluation.publicity_ends):
        raise Conflict(
            f"公示期至 {as_utc(evaluation.publicity_ends).isoformat()} 结束 "
            "(the publicity period has not ended)",
            code="publicity_running",
        )
    candidates = [
        {"lot": evaluation.lot_number, "rank": c["rank"],
         "bidder": {"name": c["name"], "credit_code": c["credit_code"]}, "price": c["price"]}
        for c in evaluation.report_facts["candidates"]
    ]  # fmt: skip
    chosen = winner or candidates[0]["bidder"]["credit_code"]
    row = next((c for c in candidates if c["bidder"]["credit_code"] == chosen), None)
    if row is None:
        raise InvalidInput(f"{chosen} 不是中标候选人 (not a candidate)", code="not_a_candidate")
    data = {
        "awards": [
            {
                "lot": evaluation.lot_number,
                "bidder": row["bidder"],
                "price": row["price"],
                "date": now.isoformat(),
            }
        ],
        "candidates": candidates,
    }
    title = f"{evaluation.tender_title} 标段{evaluation.lot_number} 中标结果公告"
    body = (
        f"项目：{evaluation.tender_title}（{evaluation.tender_code}）标段{evaluation.lot_number}\n"
        f"中标人：{row['bidder']['name']}（统一社会信用代码 {row['bidder']['credit_code']}）\n"
        f"中标价：{row['price']} 元\n评标报告摘要值（SHA-256）：{evaluation.report_digest}"
    )
    notice = await bidding.award(session, runtime, principal, evaluation.tender_code, title, body, data)
    await experts.publish_names(session, runtime, evaluation.draw_id)
    evaluation.state = "awarded"
    evaluation.award_notice_id = notice.id
    evaluation.winner_code = chosen
    return {"notice": notice.id, "winner": chosen}
