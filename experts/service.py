"""Draw use cases: request → eligible counts → commit seed → contributions → draw → responses.

experts/ sits below bidding/ and evaluation/: a draw names its tender by an opaque ``tender_ref`` and
receives the tender's facts (tenderer, agent, bidders, evaluation date) as input. Order of events in
the audit log, which is what makes the draw provably untouched:

    experts.draw.requested   rules (public)
    experts.draw.committed   SHA-256 of the server secret, pool hash, eligible-set hash
    experts.draw.contributed each second party's contribution, sealed, entered after the line above
    experts.draw.drawn       the seed and the committee, sealed
    experts.invitation.*     confirmations, declines, expiries, alternates called (codes sealed)
    experts.draw.unsealed    evaluation starts: the committee sees itself; nothing public changes
    experts.draw.published   at award: the names, and the secret, contributions, seed and salts that
                             open every commitment above (the draw document, ``sunbid draw verify``)

"Sealed" is ``core.audit.seal(value, salt)``: the public pool's codes and a public seed would rank
the sealed committee, and a contribution is short enough to guess, so until the names are published
nothing public carries an expert's code, the seed, the server secret or a contribution.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import Principal
from core.audit import new_salt, seal
from core.credit_port import credit
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.organisations import checked_credit_code
from core.pubsub import after_commit
from core.roles import Role
from core.runtime import Runtime
from experts import draw as pure
from experts import verify
from experts.draw import DrawRules, DrawTender, Pool, PoolRow, SlotCounts
from experts.events import (
    EXPERTS_DRAW_COMMITTED,
    EXPERTS_DRAW_COMPLETE,
    EXPERTS_DRAW_CONTRIBUTED,
    EXPERTS_DRAW_DRAWN,
    EXPERTS_DRAW_PUBLISHED,
    EXPERTS_DRAW_REQUESTED,
    EXPERTS_DRAW_SHORT,
    EXPERTS_DRAW_UNSEALED,
    EXPERTS_INVITATION_CONFIRMED,
    EXPERTS_INVITATION_DECLINED,
    EXPERTS_INVITATION_EXPIRED,
    EXPERTS_INVITATION_SENT,
)
from experts.models import Draw, Expert, ExpertAvoidance, ExpertLeave, ExpertSpecialty, Invitation
from experts.notify import Notice, notifier
from experts.registry import county_codes
from experts.specialties import path_name, validate_leaf

RECENT_WINDOW = timedelta(days=365)
MAX_CONTRIBUTION = 200


def channel_for_expert(user_id: int) -> str:
    return f"expert:{user_id}"


def channel_for_draw(draw_id: int) -> str:
    return f"draw:{draw_id}"


def _actor(actor: Principal | str | None) -> str | None:
    return actor.actor if isinstance(actor, Principal) else actor


async def get_draw(session: AsyncSession, draw_id: int) -> Draw:
    found = await session.get(Draw, draw_id)
    if found is None:
        raise NotFound(f"抽取申请 {draw_id} 不存在 (no such draw)", code="unknown_draw")
    return found


async def list_draws(session: AsyncSession, limit: int = 50) -> list[Draw]:
    return list(await session.scalars(select(Draw).order_by(Draw.id.desc()).limit(limit)))


# --- request and counts -------------------------------------------------------------------------


async def create_draw_request(
    session: AsyncSession,
    runtime: Runtime,
    *,
    tender_ref: str,
    lot_ref: str | None,
    tender: DrawTender,
    rules: DrawRules,
    response_minutes: int = 30,
    actor: Principal | str | None,
) -> Draw:
    tender_ref = tender_ref.strip()
    if not 1 <= len(tender_ref) <= 64:
        raise InvalidInput("tender_ref: 1-64个字符 (1-64 characters)", code="bad_tender_ref")
    if not 5 <= response_minutes <= 24 * 60:
        raise InvalidInput("response_minutes: 5到1440分钟 (5 to 1440 minutes)", code="bad_response_window")
    if tender.evaluation_date < runtime.clock.now().date():
        raise InvalidInput("evaluation_date: 评标日期已过 (evaluation date is in the past)", code="bad_date")
    counties = await county_codes(session) | {"220200"}
    unknown = sorted(
        c
        for c in (*rules.counties_allowed, *rules.counties_excluded, tender.tenderer_county)
        if c not in counties
    )
    if unknown:
        raise InvalidInput(
            f"counties: 未知的区县代码 {', '.join(unknown)} (unknown county)", code="unknown_region"
        )
    tender = DrawTender(
        checked_credit_code(tender.tenderer_code, "tenderer_code"),
        tender.tenderer_county,
        checked_credit_code(tender.agent_code, "agent_code") if tender.agent_code else None,
        tuple(checked_credit_code(c, "bidder_codes") for c in tender.bidder_codes),
        tender.evaluation_date,
    )
    rules = DrawRules(
        **{
            **rules.__dict__,
            "slots": tuple(
                pure.Slot(validate_leaf(s.specialty), s.experts, s.alternates) for s in rules.slots
            ),
        }
    )
    pure.validate_rules(rules)
    found = Draw(
        code="pending",
        tender_ref=tender_ref,
        lot_ref=(lot_ref or "").strip() or None,
        tenderer_code=tender.tenderer_code,
        evaluation_date=tender.evaluation_date,
        tender=tender.to_json(),
        rules=rules.to_json(),
        response_minutes=response_minutes,
        state="created",
        stage="sealed",
        created_by=actor.user_id if isinstance(actor, Principal) else None,
        created_at=runtime.clock.now(),
        contributions=[],
    )
    session.add(found)
    await session.flush()
    found.code = f"DR{tender.evaluation_date:%Y%m%d}-{found.id:05d}"
    await runtime.audit.append(
        session,
        EXPERTS_DRAW_REQUESTED,
        actor=_actor(actor),
        subject=f"draw:{found.code}",
        data={"tender_ref": tender_ref, "lot_ref": found.lot_ref, "rules": found.rules},
    )
    return found


async def snapshot(session: AsyncSession, rules: DrawRules, tender: DrawTender) -> list[PoolRow]:
    """The pool as the draw sees it: every expert holding a requested specialty, as PoolRows.

    Only those experts can ever be eligible, so the snapshot (and its published hash) is limited to
    them; their specialties are cut to the requested ones for the same reason.
    """
    wanted = sorted({s.specialty for s in rules.slots})
    day = tender.evaluation_date
    # Plain column queries, not ORM objects: at 100,000 experts the snapshot holds thousands of rows.
    holders = select(ExpertSpecialty.expert_id).where(ExpertSpecialty.code.in_(wanted))
    experts = (
        await session.execute(
            select(Expert.id, Expert.code, Expert.county_code, Expert.employer_code, Expert.status).where(
                Expert.id.in_(holders)
            )
        )
    ).all()
    held: dict[int, list[str]] = {}
    for expert_id, code in await session.execute(
        select(ExpertSpecialty.expert_id, ExpertSpecialty.code).where(ExpertSpecialty.code.in_(wanted))
    ):
        held.setdefault(expert_id, []).append(code)
    away: dict[int, list[tuple[date, date]]] = {}
    for expert_id, start, end in await session.execute(
        select(ExpertLeave.expert_id, ExpertLeave.start, ExpertLeave.end).where(
            ExpertLeave.start <= day, ExpertLeave.end >= day, ExpertLeave.expert_id.in_(holders)
        )
    ):
        away.setdefault(expert_id, []).append((start, end))
    avoid: dict[int, list[str]] = {}
    for expert_id, company in await session.execute(
        select(ExpertAvoidance.expert_id, ExpertAvoidance.credit_code).where(
            ExpertAvoidance.expert_id.in_(holders)
        )
    ):
        avoid.setdefault(expert_id, []).append(company)
    recent = dict(
        (
            await session.execute(
                select(Invitation.expert_id, func.count())
                .join(Draw, Draw.id == Invitation.draw_id)
                .where(
                    Draw.tenderer_code == tender.tenderer_code,
                    Draw.evaluation_date > day - RECENT_WINDOW,
                    Draw.evaluation_date <= day,
                    Invitation.state == "confirmed",
                )
                .group_by(Invitation.expert_id)
            )
        ).all()
    )
    # Always asked: the bar applies to every draw, the threshold only where the request sets one.
    port = credit()
    if port is None:  # the credit port's fallback: a draw's credit bar cannot be applied without it
        raise DomainError(
            "信用服务不可用，无法应用信用分规则 (credit service unavailable)", code="credit_unavailable"
        )
    standings = await port.standings(session, "expert", [e.code for e in experts], day)
    rows = []
    for expert_id, code, county, employer, status in experts:
        standing = standings.get(code)
        rows.append(
            PoolRow(
                id=code,
                county=county,
                employer=employer,
                status=status,
                specialties=tuple(sorted(held.get(expert_id, ()))),
                leave=tuple(sorted(away.get(expert_id, ()))),
                avoid=tuple(sorted(avoid.get(expert_id, ()))),
                recent=int(recent.get(expert_id, 0)),
                credit=standing.index if standing is not None else None,
                barred=bool(standing.barred) if standing is not None else False,
            )
        )
    return sorted(rows, key=lambda r: r.id)


async def _load_snapshot(session: AsyncSession, found: Draw) -> None:
    """Load the deferred pool and eligible columns (async sessions cannot lazy-load them)."""
    if "pool" in inspect(found).unloaded:
        await session.refresh(found, attribute_names=["pool", "eligible"])


def _rules(found: Draw) -> tuple[DrawRules, DrawTender]:
    return DrawRules.from_json(found.rules), DrawTender.from_json(found.tender)


async def eligible_counts(session: AsyncSession, draw_id: int) -> list[SlotCounts]:
    """Per specialty, how many experts each rule leaves, before anything is drawn."""
    found = await get_draw(session, draw_id)
    await _load_snapshot(session, found)
    rules, tender = _rules(found)
    rows = (
        [PoolRow.from_json(r) for r in found.pool]
        if found.pool is not None
        else await snapshot(session, rules, tender)
    )
    _, counts = pure.slot_masks(Pool(rows), rules, tender)
    return counts


# --- the draw -----------------------------------------------------------------------------------


async def commit_seed(
    session: AsyncSession, runtime: Runtime, draw_id: int, *, actor: Principal | str | None
) -> Draw:
    """Fix the pool and eligible set and commit to the server secret, both in the audit log."""
    found = await get_draw(session, draw_id)
    if found.state != "created":
        raise Conflict(f"抽取 {found.code} 已提交种子 (seed already committed)", code="wrong_state")
    rules, tender = _rules(found)
    rows = await snapshot(session, rules, tender)
    eligible = pure.eligible_ids(Pool(rows), rules, tender)  # raises DrawInfeasible, naming the rule
    secret = secrets.token_bytes(32)
    found.pool = [r.to_json() for r in rows]
    found.pool_hash = pure.pool_hash(rows)
    found.eligible = eligible
    found.secret = secret.hex()
    found.commitment = pure.commitment(secret)
    found.state = "committed"
    await runtime.audit.append(
        session,
        EXPERTS_DRAW_COMMITTED,
        actor=_actor(actor),
        subject=f"draw:{found.code}",
        data={
            "commitment": found.commitment,
            "pool_hash": found.pool_hash,
            "eligible_hash": pure.eligible_hash(eligible),
            "eligible_counts": [len(ids) for ids in eligible],
        },
    )
    _tell_supervisors(session, found, "committed")
    return found


async def contribute(
    session: AsyncSession, runtime: Runtime, draw_id: int, *, actor: Principal, value: str
) -> Draw:
    """A second party's contribution to the seed, only after the eligible set is fixed."""
    found = await get_draw(session, draw_id)
    if found.state != "committed":
        raise Conflict("只能在提交种子之后、抽取之前录入 (only between commit and draw)", code="wrong_state")
    if Role.SUPERVISOR in actor.roles:
        role = "supervisor"
    elif Role.TENDERER in actor.roles:
        role = "tenderer"
    else:
        raise PermissionDenied("只有监督人员和招标人代表可录入 (supervisor or tenderer only)")
    value = value.strip()
    if not 1 <= len(value) <= MAX_CONTRIBUTION:
        raise InvalidInput(
            f"value: 1-{MAX_CONTRIBUTION}个字符 (1-{MAX_CONTRIBUTION} characters)", code="bad_contribution"
        )
    if any(c["by"] == actor.user_id for c in found.contributions):
        raise Conflict("每人只能录入一次 (one contribution per person)", code="already_contributed")
    salt = new_salt()
    mine = {"by": actor.user_id, "role": role, "value": value, "salt": salt.hex()}
    found.contributions = [*found.contributions, mine]
    await runtime.audit.append(
        session, EXPERTS_DRAW_CONTRIBUTED, actor=_actor(actor), subject=f"draw:{found.code}",
        data={"role": role, "commitment": seal(value, salt)},
    )  # fmt: skip
    _tell_supervisors(session, found, "contributed")
    return found


async def run_draw(
    session: AsyncSession, runtime: Runtime, draw_id: int, *, actor: Principal | str | None
) -> Draw:
    found = await get_draw(session, draw_id)
    if found.state != "committed":
        raise Conflict(
            f"抽取 {found.code} 状态为 {found.state}，不能抽取 (not ready to draw)", code="wrong_state"
        )
    if not any(c["role"] == "supervisor" for c in found.contributions):
        raise Conflict(
            "需先由当班监督人员录入随机数 (the supervisor on duty must contribute first)",
            code="no_contribution",
        )
    await _load_snapshot(session, found)
    assert found.secret is not None and found.pool is not None and found.eligible is not None
    rules, _ = _rules(found)
    secret = bytes.fromhex(found.secret)
    values = [c["value"] for c in found.contributions]
    seed = pure.seed_from(secret, values)
    county_of = {r["id"]: r["county"] for r in found.pool}
    ranked = [pure.rank(seed, found.code, ids) for ids in found.eligible]
    result = pure.select(rules, ranked, county_of)
    found.seed, found.result, found.state = seed.hex(), [r.to_json() for r in result], "drawn"
    found.name_salt, found.drawn_at = secrets.token_hex(16), runtime.clock.now()
    drawn = [code for r in result for code in (*r.winners, *r.alternates)]
    by_code = {e.code: e for e in await session.scalars(select(Expert).where(Expert.code.in_(drawn)))}
    for slot, r in enumerate(result):
        for kind, ids in (("winner", r.winners), ("alternate", r.alternates)):
            for position, code in enumerate(ids):
                session.add(Invitation(
                    draw_id=found.id, expert=by_code[code], slot=slot, specialty=r.specialty,
                    kind=kind, position=position, state="standby", reason="",
                ))  # fmt: skip
    await session.flush()
    await runtime.audit.append(
        session,
        EXPERTS_DRAW_DRAWN,
        actor=_actor(actor),
        subject=f"draw:{found.code}",
        data={
            "seed_commitment": _sealed(found, found.seed),
            "committee": _sealed(found, found.result),
        },
    )
    for invitation in await _invitations(session, found.id):
        if invitation.kind == "winner":
            await _invite(session, runtime, found, invitation)
    _tell_supervisors(session, found, "drawn")
    return found


async def _invitations(session: AsyncSession, draw_id: int) -> list[Invitation]:
    return list(
        await session.scalars(
            select(Invitation)
            .where(Invitation.draw_id == draw_id)
            .order_by(Invitation.slot, Invitation.kind.desc(), Invitation.position)
        )
    )


async def _invite(session: AsyncSession, runtime: Runtime, found: Draw, invitation: Invitation) -> None:
    now = runtime.clock.now()
    invitation.state, invitation.invited_at = "invited", now
    invitation.deadline = now + timedelta(minutes=found.response_minutes)
    expert = invitation.expert
    await runtime.audit.append(
        session, EXPERTS_INVITATION_SENT, subject=f"draw:{found.code}",
        data={"slot": invitation.slot, "kind": invitation.kind, "position": invitation.position,
              "expert": _sealed(found, expert.code), "deadline": invitation.deadline.isoformat()},
    )  # fmt: skip
    if expert.user_id is not None:
        after_commit(session, channel_for_expert(expert.user_id), {"type": "invitation", "id": invitation.id})
    text = (
        f"【阳光招标】{expert.name}专家：您被抽取为 {found.evaluation_date:%Y-%m-%d} 的评标专家"
        f"（{invitation.specialty}），请于 {found.response_minutes} 分钟内登录确认或谢绝。"
    )
    await notifier().send(Notice(expert.code, expert.phone, "invited", text))


def _sealed(found: Draw, value: Any) -> str:
    """A commitment opened at award, when :func:`publish_names` reveals the draw's salt."""
    assert found.name_salt is not None
    return seal(value, bytes.fromhex(found.name_salt))


async def seal_for_committee(session: AsyncSession, draw_id: int, value: Any) -> str:
    """Seal a fact that names the committee (evaluation/ signs its report before the award)."""
    return _sealed(await get_draw(session, draw_id), value)


def _tell_supervisors(session: AsyncSession, found: Draw, event: str) -> None:
    after_commit(session, channel_for_draw(found.id), {"type": event, "draw": found.id, "state": found.state})


# --- responses and alternates -------------------------------------------------------------------


async def respond(
    session: AsyncSession,
    runtime: Runtime,
    invitation_id: int,
    *,
    actor: Principal,
    accept: bool,
    reason: str = "",
) -> Invitation:
    """The invited expert confirms or declines their own invitation."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.expert.user_id != actor.user_id:
        raise NotFound(f"邀请 {invitation_id} 不存在 (no such invitation)", code="unknown_invitation")
    return await record_response(
        session, runtime, invitation_id, accept=accept, reason=reason, actor=actor.actor
    )


async def record_response(
    session: AsyncSession,
    runtime: Runtime,
    invitation_id: int,
    *,
    accept: bool,
    reason: str,
    actor: str | None,
) -> Invitation:
    """Record an answer; also for answers taken by a voice-call gateway or the demo (trusted callers)."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(f"邀请 {invitation_id} 不存在 (no such invitation)", code="unknown_invitation")
    found = await get_draw(session, invitation.draw_id)
    if invitation.state != "invited":
        raise Conflict(f"该邀请状态为 {invitation.state}，不能再答复 (already answered)", code="wrong_state")
    assert invitation.deadline is not None
    if runtime.clock.now() > invitation.deadline:
        raise Conflict("答复时限已过 (the response window has closed)", code="response_window_closed")
    if not accept and not reason.strip():
        raise InvalidInput("reason: 谢绝须说明理由 (a decline needs a reason)", code="reason_required")
    invitation.state = "confirmed" if accept else "declined"
    invitation.responded_at, invitation.reason = runtime.clock.now(), reason.strip()[:500]
    # The answering expert's account would name them (their own profile entries carry it): sealed too.
    answered = EXPERTS_INVITATION_CONFIRMED if accept else EXPERTS_INVITATION_DECLINED
    await runtime.audit.append(
        session, answered, subject=f"draw:{found.code}",
        data={"slot": invitation.slot, "kind": invitation.kind, "position": invitation.position,
              "expert": _sealed(found, invitation.expert.code),
              "actor": _sealed(found, actor) if actor is not None else None},
    )  # fmt: skip
    if accept:
        await _maybe_complete(session, runtime, found)
    else:
        await _call_next(session, runtime, found, invitation.slot)
    _tell_supervisors(session, found, invitation.state)
    return invitation


async def expire_unanswered(session: AsyncSession, runtime: Runtime) -> int:
    """Every invitation past its deadline expires and the next alternate is called (a job runs this)."""
    now = runtime.clock.now()
    late = list(
        await session.scalars(
            select(Invitation)
            .where(Invitation.state == "invited", Invitation.deadline < now)
            .order_by(Invitation.id)
        )
    )
    for invitation in late:
        found = await get_draw(session, invitation.draw_id)
        invitation.state, invitation.responded_at = "expired", now
        await runtime.audit.append(
            session, EXPERTS_INVITATION_EXPIRED, subject=f"draw:{found.code}",
            data={"slot": invitation.slot, "kind": invitation.kind, "position": invitation.position,
                  "expert": _sealed(found, invitation.expert.code)},
        )  # fmt: skip
        await _call_next(session, runtime, found, invitation.slot)
        _tell_supervisors(session, found, "expired")
    return len(late)


async def _call_next(session: AsyncSession, runtime: Runtime, found: Draw, slot: int) -> None:
    invitations = await _invitations(session, found.id)
    waiting = [i for i in invitations if i.slot == slot and i.kind == "alternate" and i.state == "standby"]
    committee = [i.expert.code for i in invitations if i.state in ("invited", "confirmed")]
    rules, _ = _rules(found)
    await _load_snapshot(session, found)
    assert found.pool is not None
    county_of = {r["id"]: r["county"] for r in found.pool}
    chosen = pure.pick_alternate([i.expert.code for i in waiting], county_of, committee, rules.max_per_county)
    if chosen is None:
        found.state = "short"
        await runtime.audit.append(
            session, EXPERTS_DRAW_SHORT, subject=f"draw:{found.code}",
            data={"slot": slot, "specialty": rules.slots[slot].specialty},
        )  # fmt: skip
        return
    await _invite(session, runtime, found, next(i for i in waiting if i.expert.code == chosen))


async def _maybe_complete(session: AsyncSession, runtime: Runtime, found: Draw) -> None:
    rules, _ = _rules(found)
    invitations = await _invitations(session, found.id)
    for slot, spec in enumerate(rules.slots):
        if sum(1 for i in invitations if i.slot == slot and i.state == "confirmed") < spec.experts:
            return
    for i in invitations:
        if i.state == "standby":
            i.state = "unused"
    found.state = "complete"
    await runtime.audit.append(
        session, EXPERTS_DRAW_COMPLETE, subject=f"draw:{found.code}", data={"members": rules.winners}
    )


# --- who sees names -----------------------------------------------------------------------------


def can_see_names(found: Draw, viewer: Principal | None, members: Sequence[Invitation]) -> bool:
    if viewer is not None and Role.SUPERVISOR in viewer.roles:
        return True
    if found.stage == "published":
        return True
    if found.stage == "evaluation" and viewer is not None:
        return any(i.expert.user_id == viewer.user_id and i.state == "confirmed" for i in members)
    return False


async def committee(session: AsyncSession, draw_id: int, *, viewer: Principal | None) -> list[dict[str, Any]]:
    """The drawn seats; names, codes and employers sealed unless the viewer may see them now."""
    found = await get_draw(session, draw_id)
    invitations = await _invitations(session, found.id)
    supervisor = viewer is not None and Role.SUPERVISOR in viewer.roles
    shown = [i for i in invitations if supervisor or i.state == "confirmed"]
    visible = can_see_names(found, viewer, invitations)
    out = []
    for i in shown:
        item: dict[str, Any] = {
            "slot": i.slot, "specialty": i.specialty, "kind": i.kind, "position": i.position,
            "state": i.state,
            "name": "***", "code": None, "county": None, "employer": None, "title": None,
        }  # fmt: skip
        if visible:
            e = i.expert
            item.update(
                name=e.name, code=e.code, county=e.county_code, employer=e.employer_name, title=e.title
            )
        if supervisor:
            item.update(
                invitation=i.id, deadline=i.deadline.isoformat() if i.deadline else None, reason=i.reason,
                phone=i.expert.phone,
            )  # fmt: skip
        out.append(item)
    return out


async def unseal_for_evaluation(session: AsyncSession, runtime: Runtime, draw_id: int) -> Draw:
    """Evaluation starts: the committee now sees itself (evaluation/ calls this)."""
    found = await get_draw(session, draw_id)
    if found.state != "complete":
        raise Conflict("评标委员会尚未组建完成 (the committee is not complete)", code="wrong_state")
    if found.stage == "sealed":
        found.stage = "evaluation"
        await runtime.audit.append(session, EXPERTS_DRAW_UNSEALED, subject=f"draw:{found.code}")
        _tell_supervisors(session, found, "unsealed")
    return found


async def busiest_specialties(session: AsyncSession, count: int = 1) -> list[str]:
    """The specialties with the most experts (the demo draws from these)."""
    busiest = await session.execute(
        select(ExpertSpecialty.code, func.count())
        .group_by(ExpertSpecialty.code)
        .order_by(func.count().desc(), ExpertSpecialty.code)
        .limit(count)
    )
    return [row[0] for row in busiest]


async def open_invitations(session: AsyncSession, draw_id: int) -> list[tuple[int, str]]:
    """(invitation id, expert code) of the invitations waiting for an answer, in order."""
    return [(i.id, i.expert.code) for i in await _invitations(session, draw_id) if i.state == "invited"]


async def seats(session: AsyncSession, draw_id: int) -> tuple[list[Expert], list[Expert]]:
    """The committee (confirmed members, by slot) and the alternates left unused (by slot, then order),
    for evaluation/ to seat in its room after :func:`unseal_for_evaluation`."""
    invitations = await _invitations(session, draw_id)
    members = [i.expert for i in invitations if i.state == "confirmed"]
    alternates = [i.expert for i in invitations if i.state == "unused"]
    return members, alternates


async def publish_names(session: AsyncSession, runtime: Runtime, draw_id: int) -> Draw:
    """At award: names public, and the secret, contributions, seed and salts revealed so anyone can
    open every sealed audit entry of the draw and re-run it (:func:`document`)."""
    found = await get_draw(session, draw_id)
    if found.state != "complete":
        raise Conflict("评标委员会尚未组建完成 (the committee is not complete)", code="wrong_state")
    if found.stage != "published":
        found.stage = "published"
        members = [i for i in await _invitations(session, found.id) if i.state == "confirmed"]
        await runtime.audit.append(
            session, EXPERTS_DRAW_PUBLISHED, subject=f"draw:{found.code}",
            data={"salt": found.name_salt, "committee": found.result, "seed": found.seed,
                  "server_secret": found.secret,
                  "contributions": [{"role": c["role"], "value": c["value"], "salt": c.get("salt")}
                                    for c in found.contributions],
                  "members": [
                      {"code": i.expert.code, "name": i.expert.name, "link_salt": i.expert.link_salt}
                      for i in members
                  ]},
        )  # fmt: skip
        _tell_supervisors(session, found, "published")
    return found


async def document(session: AsyncSession, draw_id: int, *, viewer: Principal | None) -> dict[str, Any]:
    """The re-runnable draw document: supervisors once drawn, everyone once names are published (it
    reveals the seed, which ranks the pool: never public while the names are sealed)."""
    found = await get_draw(session, draw_id)
    if found.seed is None or found.secret is None:
        raise Conflict("尚未抽取 (not drawn yet)", code="wrong_state")
    if found.stage != "published" and (viewer is None or Role.SUPERVISOR not in viewer.roles):
        raise PermissionDenied("名单公布前仅监督人员可查看 (supervisors only until names are published)")
    rules, tender = _rules(found)
    await _load_snapshot(session, found)
    assert found.pool is not None and found.eligible is not None and found.result is not None
    assert found.name_salt is not None
    return verify.build_document(
        draw_id=found.code, tender_ref=found.tender_ref, lot_ref=found.lot_ref, rules=rules, tender=tender,
        rows=[PoolRow.from_json(r) for r in found.pool], eligible=found.eligible,
        secret=bytes.fromhex(found.secret), contributions=[_contribution(c) for c in found.contributions],
        salt=bytes.fromhex(found.name_salt),
        result=[
            pure.SlotResult(r["specialty"], tuple(r["winners"]), tuple(r["alternates"])) for r in found.result
        ],
    )  # fmt: skip


def _contribution(stored: Mapping[str, Any]) -> verify.Contribution:
    # Draws made before contributions were sealed have no salt (their values were public from the start).
    return verify.Contribution(stored["role"], stored["value"], bytes.fromhex(stored.get("salt") or ""))


def draw_json(found: Draw, *, supervisor: bool) -> dict[str, Any]:
    """The draw as the API shows it: the seed and contributions only as commitments to anyone but a
    supervisor until the names are published."""
    revealed = supervisor or found.stage == "published"
    out: dict[str, Any] = {
        "id": found.id, "code": found.code, "tender_ref": found.tender_ref, "lot_ref": found.lot_ref,
        "evaluation_date": found.evaluation_date.isoformat(), "state": found.state, "stage": found.stage,
        "rules": found.rules, "response_minutes": found.response_minutes, "commitment": found.commitment,
        "pool_hash": found.pool_hash,
        "seed_commitment": _sealed(found, found.seed) if found.seed is not None else None,
        "seed": found.seed if revealed else None,
        "contributions": [
            {"role": c["role"], "commitment": _contribution(c).commitment,
             "value": c["value"] if revealed else None}
            for c in found.contributions
        ],
    }  # fmt: skip
    if supervisor:
        out["tender"] = found.tender
    return out


async def invitations_for(session: AsyncSession, expert: Expert) -> list[dict[str, Any]]:
    """The expert's own invitations (alternates on standby do not know they are waiting)."""
    rows = await session.execute(
        select(Invitation, Draw)
        .join(Draw, Draw.id == Invitation.draw_id)
        .where(Invitation.expert_id == expert.id, Invitation.state.not_in(("standby", "unused")))
        .order_by(Invitation.id.desc())
    )
    return [
        {
            "id": i.id,
            "draw": d.code,
            "tender_ref": d.tender_ref,
            "lot_ref": d.lot_ref,
            "evaluation_date": d.evaluation_date.isoformat(),
            "specialty": i.specialty,
            "specialty_name": path_name(i.specialty),
            "kind": i.kind,
            "state": i.state,
            "deadline": i.deadline.isoformat() if i.deadline else None,
            "reason": i.reason,
        }
        for i, d in rows
    ]
