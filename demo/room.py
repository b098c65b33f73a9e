"""The demo's live evaluation: once the demo's live opening (demo/opening.py) has closed, its
committee is drawn and evaluates in the room, one move at a time, up to the candidate publicity.

A visitor watches it live at ``/evaluations/<tender>-1`` as ``supervisor`` (every venue and score) or
``agent`` (the host). Every move goes through the functions real users call: the supervisor draws
the committee (experts' service), each drawn expert confirms as themselves, the agent opens the room,
and the members sign in at their venues, declare, elect a chair, review, score, confirm anomalies
and sign the report with their own keys (the demo pool's keys are derived from the demo seed, see
experts/generate.py ``signing_key``); finally the agent publishes the candidates.

Like the live opening, it runs only in the demo: the scheduler job does nothing unless ``sunbid demo``
wrote ``<var>/demo/live-opening.json`` and that opening has closed.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from core import accounts
from core.accounts import Principal, principal_of
from core.clock import as_utc, centre_today
from core.errors import DomainError
from core.roles import Role
from core.runtime import Runtime
from demo.seeds.core import DEMO_PASSWORD
from evaluation import service
from experts import registry
from experts import service as experts
from experts.draw import DrawRules, DrawTender, Slot
from experts.generate import signing_key

log = logging.getLogger("sunbid.demo")

OPENING_REQUEST = "live-opening.json"  # written by ``sunbid demo`` (demo/opening.py)
STATE_FILE = "live-evaluation.json"
STEP = timedelta(seconds=1)  # between two moves, so a visitor can follow
HOST, SUPERVISOR = "agent", "supervisor"
MAIN_VENUE, SUB_VENUES = "220202", ("220221", "220281")  # 昌邑区 hall; 永吉县 and 蛟河市 halls
MEMBERS, ALTERNATES = 5, 2
ANOMALY_REASON = "该投标人施工方案针对性强，技术措施有创新，故评分较高。"


def _demo_dir(runtime: Runtime) -> Path:
    return runtime.settings.var_dir / "demo"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n")


async def drive(runtime: Runtime) -> None:
    """One move of the live demo evaluation (a scheduler job; a no-op outside the demo)."""
    opening = _read(_demo_dir(runtime) / OPENING_REQUEST)
    if opening is None or not opening.get("tender"):
        return
    path = _demo_dir(runtime) / STATE_FILE
    state = _read(path) or {}
    if state.get("tender") != opening["tender"]:  # a new live opening: a new evaluation
        state = {"tender": opening["tender"], "seed": int(opening.get("seed") or 0)}
    if state.get("done"):
        return
    now = runtime.clock.now()
    last = state.get("last")
    if last and now - as_utc(datetime.fromisoformat(last)) < STEP:
        return
    try:
        moved = await _move(runtime, state)
    except DomainError as error:  # e.g. the opening is not closed yet: try again on a later tick
        log.debug("demo evaluation waits: %s", error.detail)
        moved = False
    if moved:
        state["last"] = now.isoformat()
        _write(path, state)


async def _user(runtime: Runtime, username: str) -> Principal | None:
    async with runtime.sessions() as session:
        user = await accounts.find_user(session, username)
        return principal_of(user, 0) if user is not None else None


async def _move(runtime: Runtime, state: dict[str, Any]) -> bool:
    code = state["tender"]
    if "draw" not in state:
        return await _draw(runtime, state)
    if "evaluation" not in state:
        return await _seat(runtime, state)
    return await _play(runtime, state, f"{code}-1")


async def _draw(runtime: Runtime, state: dict[str, Any]) -> bool:
    """The supervisor draws the committee for the tender (only once its opening has closed)."""
    from bidding import service as bidding

    supervisor = await _user(runtime, SUPERVISOR)
    if supervisor is None:
        return False
    async with runtime.sessions() as session:
        bids = await bidding.opened_bids(session, state["tender"], "1")  # Conflict until closed
        tender = await bidding.tender_by_code(session, state["tender"])
        specialty = next(iter(await experts.busiest_specialties(session)), None)
    if len(bids) < 3 or specialty is None:
        state["done"] = True  # a failed opening (流标) is not evaluated
        return True
    facts = DrawTender(
        tenderer_code=await _org_code(runtime, tender.tenderer_id),
        tenderer_county=tender.region_code if tender.region_code != "220200" else "220202",
        agent_code=await _org_code(runtime, tender.agent_id) if tender.agent_id else None,
        bidder_codes=tuple(b.bidder_code for b in bids),
        evaluation_date=centre_today(runtime.clock),
    )
    rules = DrawRules(slots=(Slot(specialty, MEMBERS, ALTERNATES),), min_counties=3, max_per_county=2)
    async with runtime.transaction() as session:
        draw = await experts.create_draw_request(
            session,
            runtime,
            tender_ref=state["tender"],
            lot_ref="1",
            tender=facts,
            rules=rules,
            actor=supervisor,
        )
        draw_id = draw.id
    async with runtime.transaction() as session:
        await experts.commit_seed(session, runtime, draw_id, actor=supervisor)
    async with runtime.transaction() as session:
        await experts.contribute(session, runtime, draw_id, actor=supervisor, value=f"demo-{state['seed']}")
        await experts.run_draw(session, runtime, draw_id, actor=supervisor)
    state["draw"] = draw_id
    log.info("demo: committee drawn for %s (draw %s)", state["tender"], draw_id)
    return True


async def _org_code(runtime: Runtime, org_id: int | None) -> str:
    from core.organisations import get_organisation

    assert org_id is not None
    async with runtime.sessions() as session:
        return (await get_organisation(session, org_id)).credit_code


async def _expert_principal(runtime: Runtime, code: str) -> Principal:
    """The drawn expert's login (the demo pool has none until drawn: made here, demo password)."""
    async with runtime.transaction() as session:
        expert = await registry.get_expert(session, code)
        if expert.user_id is None:
            made = await accounts.create_user(
                session, runtime.clock, runtime.audit, username=f"expert-{code.lower()}",
                password=DEMO_PASSWORD, display_name=f"评标专家 {expert.name}",
                roles=frozenset({Role.EXPERT}), actor="demo",
            )  # fmt: skip
            await registry.link_user(session, runtime, code, made.id, actor="demo")
        user = await session.get(accounts.User, expert.user_id)
        assert user is not None
        return principal_of(user, 0)


async def _seat(runtime: Runtime, state: dict[str, Any]) -> bool:
    """Each invited expert confirms as themselves; once the committee is complete the host opens
    the room."""
    async with runtime.sessions() as session:
        waiting = await experts.open_invitations(session, state["draw"])
        draw = await experts.get_draw(session, state["draw"])
        complete = draw.state == "complete"
    if waiting:
        invitation_id, code = waiting[0]
        who = await _expert_principal(runtime, code)
        async with runtime.transaction() as session:
            await experts.respond(session, runtime, invitation_id, actor=who, accept=True)
        return True
    if not complete:
        return False
    async with runtime.sessions() as session:
        seated, spare = await experts.seats(session, state["draw"])
    for expert in [*seated, *spare]:  # logins before the room, so every seat knows its member
        await _expert_principal(runtime, expert.code)
    host = await _user(runtime, HOST)
    if host is None:
        return False
    async with runtime.transaction() as session:
        await service.start(
            session,
            runtime,
            host,
            service.NewEvaluation(state["tender"], "1", state["draw"], MAIN_VENUE, SUB_VENUES),
        )
    state["evaluation"] = f"{state['tender']}-1"
    log.info("demo: evaluation room %s open", state["evaluation"])
    return True


@dataclass
class _Seat:
    code: str
    principal: Principal


async def _members(runtime: Runtime, code: str) -> list[_Seat]:
    async with runtime.sessions() as session:
        evaluation = await service.get_evaluation(session, code)
        state = await service.room_state(session, evaluation)
    return [_Seat(m, await _expert_principal(runtime, m)) for m in state.members]


async def _act(runtime: Runtime, seat: _Seat, code: str, **message: Any) -> bool:
    async with runtime.transaction() as session:
        await service.act(session, runtime, seat.principal, code, message)
    return True


def _score(rng: random.Random, criterion: dict[str, Any], bidder_index: int) -> str:
    """A plausible score: the better bids (lower index here) a little higher, on the criterion's step."""
    top, step = Decimal(criterion["max_points"]), Decimal(criterion["step"])
    share = Decimal(rng.randint(70, 92) - 4 * bidder_index) / 100
    return str((top * share / step).to_integral_value() * step)


async def _play(runtime: Runtime, state: dict[str, Any], code: str) -> bool:
    """The next move in the room, whoever's it is."""
    supervisor = await _user(runtime, SUPERVISOR)
    assert supervisor is not None
    async with runtime.sessions() as session:
        room = msgspec.to_builtins(await service.view(session, supervisor, code))  # as the API sends it
    seats = await _members(runtime, code)
    by_code = {s.code: s for s in seats}
    members = {m["code"]: m for m in room["members"]}
    phase = room["phase"]
    rng = random.Random(f"{state['seed']}:{code}:{len(room['members'])}")
    if phase == "sign_in":
        for n, seat in enumerate(seats):
            if not members[seat.code]["signed_in"]:
                venue = (MAIN_VENUE, *SUB_VENUES)[n % 3]
                return await _act(runtime, seat, code, action="sign_in", venue=venue)
            if not members[seat.code]["declared"]:
                return await _act(runtime, seat, code, action="declare", conflict=False)
        return False
    if phase == "chair_election":
        for seat in seats:
            if not members[seat.code]["voted"]:
                return await _act(runtime, seat, code, action="vote", candidate=room["ballot"][0])
        return False
    chair = next(s for s in seats if members[s.code]["chair"])
    if phase in ("qualification", "preliminary"):
        items = room["qualification_items" if phase == "qualification" else "preliminary_items"]
        for seat in seats:
            async with runtime.sessions() as session:
                mine = msgspec.to_builtins(await service.view(session, seat.principal, code))
            done = {(v["bidder"], v["item"]) for v in mine["my_verdicts"] if v["review"] == phase}
            todo = [
                (b["code"], i)
                for b in room["bidders"]
                if not b["out"]
                for i in items
                if (b["code"], i) not in done
            ]
            if todo:
                for bidder, item in todo:  # one member's verdicts are one move
                    await _act(
                        runtime,
                        seat,
                        code,
                        action="verdict",
                        review=phase,
                        bidder=bidder,
                        item=item,
                        passed=True,
                    )
                return True
        return await _act(runtime, chair, code, action="advance")
    if phase == "scoring":
        for seat in seats:
            member = members[seat.code]
            if member["submitted"]:
                continue
            async with runtime.sessions() as session:
                mine = msgspec.to_builtins(await service.view(session, seat.principal, code))
            valid = [b["code"] for b in room["bidders"] if not b["out"]]
            for index, bidder in enumerate(valid):
                for criterion in room["criteria"]:
                    if criterion["id"] not in mine["my_sheet"].get(bidder, {}):
                        value = _score(rng, criterion, index)
                        return await _act(runtime, seat, code, action="score", bidder=bidder,
                                          criterion=criterion["id"], value=value)  # fmt: skip
            reasons = [
                {"bidder": o["bidder"], "unit": o["unit"], "reason": ANOMALY_REASON}
                for o in mine["my_outliers"]
            ]
            return await _act(runtime, seat, code, action="submit", reasons=reasons)
        for anomaly in room["open_anomalies"]:
            seat = by_code[anomaly["member"]]
            return await _act(runtime, seat, code, action="confirm_anomaly", bidder=anomaly["bidder"],
                              unit=anomaly["unit"], reason=ANOMALY_REASON)  # fmt: skip
        return await _act(runtime, chair, code, action="advance")
    if phase == "report":
        digest = room["report_digest"]
        for seat in seats:
            if not members[seat.code]["signed"]:
                signature = service.sign_report(digest, signing_key(state["seed"], seat.code))
                return await _act(runtime, seat, code, action="sign", signature=signature)
        return False
    if phase == "signed" and room["state"] == "signed":
        host = await _user(runtime, HOST)
        assert host is not None
        async with runtime.transaction() as session:
            await service.publish_publicity(session, runtime, host, code)
        state["done"] = True
        log.info("demo: evaluation %s signed, candidates published", code)
        return True
    return False
