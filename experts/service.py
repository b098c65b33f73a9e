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

The façade of experts/: the answers and alternates live in experts/invitations.py and a stored draw's
helpers in experts/draw_records.py; other contexts and experts/api.py call them through this module.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import Principal
from core.audit import new_salt, seal
from core.clock import centre_today
from core.credit_port import credit
from core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from core.organisations import checked_credit_code
from core.roles import Role
from core.runtime import Runtime
from experts import draw as pure
from experts import supplementary, verify, views
from experts.draw import DrawRules, DrawTender, Pool, PoolRow, SlotCounts
from experts.draw_records import channel_for_draw as channel_for_draw
from experts.draw_records import channel_for_expert as channel_for_expert
from experts.draw_records import draw_seal, invitations_of, load_snapshot, rules_of, tell_supervisors
from experts.draw_records import get_draw as get_draw
from experts.draw_records import list_draws as list_draws
from experts.enrolment import count_pending_applications as count_pending_applications
from experts.enrolment import link_expert_to_user as link_expert_to_user
from experts.events import (
    EXPERTS_DRAW_COMMITTED,
    EXPERTS_DRAW_CONTRIBUTED,
    EXPERTS_DRAW_DRAWN,
    EXPERTS_DRAW_PUBLISHED,
    EXPERTS_DRAW_REQUESTED,
    EXPERTS_DRAW_SUPPLEMENTARY,
    EXPERTS_DRAW_UNSEALED,
)
from experts.invitations import expire_unanswered as expire_unanswered
from experts.invitations import invitations_for as invitations_for
from experts.invitations import invite
from experts.invitations import open_invitations as open_invitations
from experts.invitations import record_response as record_response
from experts.invitations import respond as respond
from experts.invitations import vacate_seat as vacate_seat
from experts.models import Draw, Expert, ExpertAvoidance, ExpertLeave, ExpertSpecialty, Invitation
from experts.registry import county_codes
from experts.specialties import validate_leaf
from experts.supplementary import supplements_of as supplements_of

RECENT_WINDOW = timedelta(days=365)
MAX_CONTRIBUTION = 200


def _actor(actor: Principal | str | None) -> str | None:
    return actor.actor if isinstance(actor, Principal) else actor


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
    if tender.evaluation_date < centre_today(runtime.clock):
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
    public_rules = dict(found.rules)
    if rules.excluded_experts:  # 补抽: who was drawn before is sealed, like the committee, until award
        found.name_salt = secrets.token_hex(16)
        public_rules["excluded_experts"] = {
            "count": len(rules.excluded_experts),
            "sealed": draw_seal(found, sorted(rules.excluded_experts)),
        }
    await runtime.audit.append(
        session,
        EXPERTS_DRAW_REQUESTED,
        actor=_actor(actor),
        subject=f"draw:{found.code}",
        data={"tender_ref": tender_ref, "lot_ref": found.lot_ref, "rules": public_rules},
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


async def eligible_counts(session: AsyncSession, draw_id: int) -> list[SlotCounts]:
    """Per specialty, how many experts each rule leaves, before anything is drawn."""
    found = await get_draw(session, draw_id)
    await load_snapshot(session, found)
    rules, tender = rules_of(found)
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
    rules, tender = rules_of(found)
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
    tell_supervisors(session, found, "committed")
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
    tell_supervisors(session, found, "contributed")
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
    await load_snapshot(session, found)
    assert found.secret is not None and found.pool is not None and found.eligible is not None
    rules, _ = rules_of(found)
    secret = bytes.fromhex(found.secret)
    values = [c["value"] for c in found.contributions]
    seed = pure.seed_from(secret, values)
    county_of = {r["id"]: r["county"] for r in found.pool}
    ranked = [pure.rank(seed, found.code, ids) for ids in found.eligible]
    result = pure.select(rules, ranked, county_of)
    found.seed, found.result, found.state = seed.hex(), [r.to_json() for r in result], "drawn"
    # a supplementary draw sealed its exclusions with the salt at its request
    found.name_salt, found.drawn_at = found.name_salt or secrets.token_hex(16), runtime.clock.now()
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
            "seed_commitment": draw_seal(found, found.seed),
            "committee": draw_seal(found, found.result),
        },
    )
    for invitation in await invitations_of(session, found.id):
        if invitation.kind == "winner":
            await invite(session, runtime, found, invitation)
    tell_supervisors(session, found, "drawn")
    return found


async def seal_for_committee(session: AsyncSession, draw_id: int, value: Any) -> str:
    """Seal a fact that names the committee (evaluation/ signs its report before the award)."""
    return draw_seal(await get_draw(session, draw_id), value)


# --- who sees names -----------------------------------------------------------------------------


def can_see_names(found: Draw, viewer: Principal | None, members: Sequence[Invitation]) -> bool:
    if viewer is not None and Role.SUPERVISOR in viewer.roles:
        return True
    if found.stage == "published":
        return True
    if found.stage == "evaluation" and viewer is not None:
        return any(i.expert.user_id == viewer.user_id and i.state == "confirmed" for i in members)
    return False


async def committee(session: AsyncSession, draw_id: int, *, viewer: Principal | None) -> list[views.SeatOut]:
    """The drawn seats; names, codes and employers sealed unless the viewer may see them now."""
    found = await get_draw(session, draw_id)
    invitations = await invitations_of(session, found.id)
    supervisor = viewer is not None and Role.SUPERVISOR in viewer.roles
    shown = [i for i in invitations if supervisor or i.state == "confirmed"]
    visible = can_see_names(found, viewer, invitations)
    return [views.seat_out(i, visible=visible, supervisor=supervisor) for i in shown]


async def unseal_for_evaluation(session: AsyncSession, runtime: Runtime, draw_id: int) -> Draw:
    """Evaluation starts: the committee now sees itself (evaluation/ calls this)."""
    found = await get_draw(session, draw_id)
    if found.state != "complete":
        raise Conflict("评标委员会尚未组建完成 (the committee is not complete)", code="wrong_state")
    for one in [found, *await supplementary.supplements_of(session, found.id)]:
        if one.stage == "sealed" and one.result is not None:  # a supplementary draw that drew
            one.stage = "evaluation"
            await runtime.audit.append(session, EXPERTS_DRAW_UNSEALED, subject=f"draw:{one.code}")
            tell_supervisors(session, one, "unsealed")
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


async def seats(session: AsyncSession, draw_id: int) -> tuple[list[Expert], list[Expert]]:
    """The committee (confirmed members, by slot) and the alternates left unused (by slot, then order),
    for evaluation/ to seat in its room after :func:`unseal_for_evaluation`; members and alternates of
    the draw's supplementary draws (补抽) follow its own, in the order they were drawn."""
    members: list[Expert] = []
    alternates: list[Expert] = []
    for one in [draw_id, *(d.id for d in await supplementary.supplements_of(session, draw_id))]:
        invitations = await invitations_of(session, one)
        members += [i.expert for i in invitations if i.state == "confirmed"]
        alternates += [i.expert for i in invitations if i.state == "unused"]
    return members, alternates


async def create_supplementary_draw(
    session: AsyncSession, runtime: Runtime, draw_id: int, *, actor: Principal | str | None
) -> Draw:
    """补抽: a short draw's missing seats, drawn with the same rules and tender facts, excluding everyone
    drawn for the committee before. The new draw then runs the same commit / contribute / run protocol
    and has its own verifiable document; its confirmed members complete the short draw's committee."""
    short = await get_draw(session, draw_id)
    if short.supplements_id is not None:
        raise Conflict("补抽须针对原抽取申请 (supplement the original draw)", code="is_supplementary")
    if short.state != "short":
        raise Conflict(
            "只有备选不足的抽取可以补抽 (only a draw that ran out of alternates is supplemented)",
            code="not_short",
        )
    if any(d.state in supplementary.RUNNING for d in await supplementary.supplements_of(session, short.id)):
        raise Conflict(
            "已有进行中的补抽 (a supplementary draw is already running)", code="supplement_running"
        )
    rules, tender = rules_of(short)
    slots = await supplementary.missing_slots(session, short, rules)
    if not slots:
        raise Conflict(
            "没有缺额，等待已邀请专家答复 (no seat is missing: invitations are pending)", code="no_vacancy"
        )
    extra = DrawRules(
        **{
            **rules.__dict__,
            "slots": slots,
            "excluded_experts": await supplementary.drawn_codes(session, short),
        }
    )
    found = await create_draw_request(
        session, runtime, tender_ref=short.tender_ref, lot_ref=short.lot_ref, tender=tender, rules=extra,
        response_minutes=short.response_minutes, actor=actor,
    )  # fmt: skip
    found.supplements_id = short.id
    await runtime.audit.append(
        session, EXPERTS_DRAW_SUPPLEMENTARY, actor=_actor(actor), subject=f"draw:{short.code}",
        data={"supplementary": found.code,
              "missing": [{"specialty": s.specialty, "experts": s.experts} for s in slots]},
    )  # fmt: skip
    return found


async def publish_names(session: AsyncSession, runtime: Runtime, draw_id: int) -> Draw:
    """At award: names public, and the secret, contributions, seed and salts revealed so anyone can
    open every sealed audit entry of the draw and re-run it (:func:`document`)."""
    found = await get_draw(session, draw_id)
    if found.state != "complete":
        raise Conflict("评标委员会尚未组建完成 (the committee is not complete)", code="wrong_state")
    for extra in await supplementary.supplements_of(session, found.id):
        if extra.result is not None:
            await _publish(session, runtime, extra)
    return await _publish(session, runtime, found)


async def _publish(session: AsyncSession, runtime: Runtime, found: Draw) -> Draw:
    if found.stage != "published":
        found.stage = "published"
        members = [i for i in await invitations_of(session, found.id) if i.state == "confirmed"]
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
        tell_supervisors(session, found, "published")
    return found


async def document(session: AsyncSession, draw_id: int, *, viewer: Principal | None) -> dict[str, Any]:
    """The re-runnable draw document: supervisors once drawn, everyone once names are published (it
    reveals the seed, which ranks the pool: never public while the names are sealed)."""
    found = await get_draw(session, draw_id)
    if found.seed is None or found.secret is None:
        raise Conflict("尚未抽取 (not drawn yet)", code="wrong_state")
    if found.stage != "published" and (viewer is None or Role.SUPERVISOR not in viewer.roles):
        raise PermissionDenied("名单公布前仅监督人员可查看 (supervisors only until names are published)")
    rules, tender = rules_of(found)
    await load_snapshot(session, found)
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


def draw_json(found: Draw, *, supervisor: bool) -> views.DrawOut:
    """The draw as the API shows it: the seed and contributions only as commitments to anyone but a
    supervisor until the names are published."""
    return views.draw_out(
        found,
        supervisor=supervisor,
        seed_commitment=draw_seal(found, found.seed) if found.seed is not None else None,
        commitments=[_contribution(c).commitment for c in found.contributions],
    )
