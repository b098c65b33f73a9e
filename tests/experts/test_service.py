"""The draw service on SQLite and PostgreSQL: the whole flow, alternates in order, sealing, audit."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.audit import seal
from core.clock import ManualClock
from core.errors import Conflict, DomainError, InvalidInput
from core.models import AuditEntry
from experts import service
from experts.draw import DrawInfeasible, DrawRules, DrawTender, Slot
from experts.models import Invitation
from experts.notify import LogNotifier, set_notifier
from experts.verify import verify
from tests.experts.conftest import World, add_experts, link_experts
from tests.experts.helpers import AGENT, BIDDER, TENDERER
from tests.support.credit import StandingsOnly, credit_serving


def the_tender(clock: ManualClock, **kw: Any) -> DrawTender:
    base: dict[str, Any] = {
        "tenderer_code": TENDERER, "tenderer_county": "220202", "agent_code": AGENT,
        "bidder_codes": (BIDDER,), "evaluation_date": clock.now().date() + timedelta(days=3),
    }  # fmt: skip
    base.update(kw)
    return DrawTender(**base)


async def new_draw(world: World, clock: ManualClock, rules: DrawRules, **kw: Any) -> int:
    async with world.runtime.transaction() as session:
        found = await service.create_draw_request(
            session, world.runtime, tender_ref="JLGC-2026-0001", lot_ref=None, tender=the_tender(clock, **kw),
            rules=rules, actor=world.supervisor,
        )  # fmt: skip
        return found.id


async def drawn(world: World, draw_id: int) -> None:
    rt = world.runtime
    async with rt.transaction() as session:
        await service.commit_seed(session, rt, draw_id, actor=world.supervisor)
    async with rt.transaction() as session:
        await service.contribute(session, rt, draw_id, actor=world.supervisor, value="31415")
        await service.contribute(session, rt, draw_id, actor=world.tenderer, value="27182")
        await service.run_draw(session, rt, draw_id, actor=world.supervisor)


async def seats(world: World, draw_id: int) -> list[Invitation]:
    async with world.runtime.transaction() as session:
        rows = await session.scalars(
            select(Invitation)
            .where(Invitation.draw_id == draw_id)
            .order_by(Invitation.kind.desc(), Invitation.position)
        )
        return list(rows)


async def audit_kinds(world: World) -> list[str]:
    async with world.runtime.transaction() as session:
        return list(await session.scalars(select(AuditEntry.kind).order_by(AuditEntry.position)))


async def test_full_flow_alternates_in_order_until_the_committee_is_full(
    world: World, clock: ManualClock
) -> None:
    codes = await add_experts(world.runtime, 12)
    await link_experts(world, codes)
    rt = world.runtime
    draw_id = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 3, 3),)))
    async with rt.transaction() as session:
        counts = await service.eligible_counts(session, draw_id)
    assert counts[0].holders == 12 and counts[0].needed == 6
    await drawn(world, draw_id)
    invitations = await seats(world, draw_id)
    winners = [i for i in invitations if i.kind == "winner"]
    alternates = [i for i in invitations if i.kind == "alternate"]
    assert [i.state for i in winners] == ["invited"] * 3 and [i.state for i in alternates] == ["standby"] * 3

    async with rt.transaction() as session:
        with pytest.raises(InvalidInput, match="reason"):
            await service.respond(
                session, rt, winners[0].id, actor=world.experts[winners[0].expert.code], accept=False
            )
    async with rt.transaction() as session:
        await service.respond(
            session,
            rt,
            winners[0].id,
            actor=world.experts[winners[0].expert.code],
            accept=False,
            reason="出差",
        )
    states = {i.id: i.state for i in await seats(world, draw_id)}
    assert states[alternates[0].id] == "invited" and states[alternates[1].id] == "standby"

    clock.advance(minutes=31)  # the first alternate and two winners never answer
    async with rt.transaction() as session:
        assert await service.expire_unanswered(session, rt) == 3
    states = {i.id: i.state for i in await seats(world, draw_id)}
    assert states[alternates[1].id] == "invited" and states[alternates[2].id] == "invited"
    assert states[winners[1].id] == "expired" and states[winners[2].id] == "expired"
    # only two alternates were left for three empty seats: the draw is short
    async with rt.transaction() as session:
        assert (await service.get_draw(session, draw_id)).state == "short"
    for alt in alternates[1:]:
        async with rt.transaction() as session:
            await service.respond(session, rt, alt.id, actor=world.experts[alt.expert.code], accept=True)
    kinds = await audit_kinds(world)
    assert (
        kinds.index("experts.draw.committed")
        < kinds.index("experts.draw.contributed")
        < kinds.index("experts.draw.drawn")
    )
    assert kinds.count("experts.invitation.expired") == 3 and "experts.invitation.declined" in kinds


async def test_confirmations_complete_the_committee_and_release_standby(
    world: World, clock: ManualClock
) -> None:
    codes = await add_experts(world.runtime, 8)
    await link_experts(world, codes)
    rt = world.runtime
    draw_id = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 2, 2),)))
    gateway = LogNotifier()  # stands in for an SMS or voice-call gateway
    previous = set_notifier(gateway)
    try:
        await drawn(world, draw_id)
    finally:
        set_notifier(previous)
    assert len(gateway.sent) == 2 and all(
        n.kind == "invited" and n.phone.startswith("139") for n in gateway.sent
    )
    for seat in [i for i in await seats(world, draw_id) if i.state == "invited"]:
        async with rt.transaction() as session:
            await service.respond(session, rt, seat.id, actor=world.experts[seat.expert.code], accept=True)
    async with rt.transaction() as session:
        found = await service.get_draw(session, draw_id)
        assert found.state == "complete"
        with pytest.raises(Conflict):
            await service.respond(session, rt, seat.id, actor=world.experts[seat.expert.code], accept=True)
    assert sorted(i.state for i in await seats(world, draw_id)) == [
        "confirmed",
        "confirmed",
        "unused",
        "unused",
    ]


async def test_names_are_sealed_by_viewer_and_stage(world: World, clock: ManualClock) -> None:
    codes = await add_experts(world.runtime, 6)
    await link_experts(world, codes)
    rt = world.runtime
    draw_id = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 2, 1),)))
    await drawn(world, draw_id)
    members = [i for i in await seats(world, draw_id) if i.state == "invited"]
    for seat in members:
        async with rt.transaction() as session:
            await service.respond(session, rt, seat.id, actor=world.experts[seat.expert.code], accept=True)
    member = world.experts[members[0].expert.code]
    outsider = next(p for c, p in world.experts.items() if c not in {m.expert.code for m in members})

    async def names(viewer: Any) -> set[str]:
        async with rt.transaction() as session:
            return {m.name for m in await service.committee(session, draw_id, viewer=viewer)}

    real = {m.expert.name for m in members}
    assert (
        await names(None) == {"***"}
        and await names(world.tenderer) == {"***"}
        and await names(member) == {"***"}
    )
    assert real <= await names(world.supervisor)
    async with rt.transaction() as session:
        await service.unseal_for_evaluation(session, rt, draw_id)
    assert await names(member) == real and await names(outsider) == {"***"} and await names(None) == {"***"}
    async with rt.transaction() as session:
        with pytest.raises(Exception, match="supervisors only"):
            await service.document(session, draw_id, viewer=None)
        await service.publish_names(session, rt, draw_id)
    assert await names(None) == real
    async with rt.transaction() as session:
        doc = await service.document(session, draw_id, viewer=None)
        found = await service.get_draw(session, draw_id)
        entries = [
            json.loads(e)
            for e in await session.scalars(select(AuditEntry.entry).order_by(AuditEntry.position))
        ]
    assert verify(doc).ok
    drawn_entry = next(e for e in entries if e["kind"] == "experts.draw.drawn")
    published = next(e for e in entries if e["kind"] == "experts.draw.published")
    # the committee sealed at the draw is exactly the one whose salt is revealed at award
    assert drawn_entry["data"]["committee"] == seal(found.result, bytes.fromhex(published["data"]["salt"]))
    assert not any(name in json.dumps(drawn_entry, ensure_ascii=False) for name in real)


async def test_contribution_rules(world: World, clock: ManualClock) -> None:
    await add_experts(world.runtime, 6)
    rt = world.runtime
    draw_id = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 2, 1),)))
    async with rt.transaction() as session:
        with pytest.raises(Conflict, match="between commit and draw"):
            await service.contribute(session, rt, draw_id, actor=world.supervisor, value="1")
    async with rt.transaction() as session:
        await service.commit_seed(session, rt, draw_id, actor=world.supervisor)
    async with rt.transaction() as session:
        await service.contribute(session, rt, draw_id, actor=world.tenderer, value="42")
        with pytest.raises(Conflict, match="supervisor on duty"):
            await service.run_draw(session, rt, draw_id, actor=world.supervisor)
        with pytest.raises(Conflict, match="one contribution"):
            await service.contribute(session, rt, draw_id, actor=world.tenderer, value="43")


async def test_unsatisfiable_rules_fail_before_anything_is_committed(
    world: World, clock: ManualClock
) -> None:
    await add_experts(world.runtime, 4)
    rt = world.runtime
    draw_id = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 3, 2),)))
    async with rt.transaction() as session:
        with pytest.raises(DrawInfeasible, match="需 5 人"):
            await service.commit_seed(session, rt, draw_id, actor=world.supervisor)
    async with rt.transaction() as session:
        assert (await service.get_draw(session, draw_id)).state == "created"
    with pytest.raises(InvalidInput, match="bidder_codes"):
        await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 1, 0),)), bidder_codes=("not-a-code",))
    with pytest.raises(InvalidInput, match="specialty"):
        await new_draw(world, clock, DrawRules(slots=(Slot("A01", 1, 0),)))


async def test_credit_rule_uses_the_credit_port(world: World, clock: ManualClock) -> None:
    codes = await add_experts(world.runtime, 6)
    rt = world.runtime
    draw_id = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 2, 0),), min_credit=Decimal(80)))

    class FakeStanding:
        def __init__(self, index: str, barred: bool = False) -> None:
            self.index, self.barred = Decimal(index), barred

    calls: list[tuple[str, int]] = []

    async def fake(session: Any, kind: str, keys: Sequence[str], day: date) -> Mapping[str, Any]:
        calls.append((kind, len(keys)))
        return {codes[0]: FakeStanding("79.5"), codes[1]: FakeStanding("95", barred=True)}

    async with rt.transaction() as session:
        with credit_serving(StandingsOnly(fake)):
            counts = await service.eligible_counts(session, draw_id)
        assert {r.rule: r.passing for r in counts[0].rules}["credit"] == 4
        assert calls == [("expert", 6)]
        # the production path: credit's own service (no deductions recorded, so everyone passes)
        real = await service.eligible_counts(session, draw_id)
        assert {r.rule: r.passing for r in real[0].rules}["credit"] == 6
        # credit not installed: a draw's credit bar cannot be applied, so the draw refuses
        with credit_serving(None), pytest.raises(DomainError) as unavailable:
            await service.eligible_counts(session, draw_id)
        assert unavailable.value.code == "credit_unavailable"


async def test_recent_evaluations_for_the_same_tenderer_count(world: World, clock: ManualClock) -> None:
    codes = await add_experts(world.runtime, 5)
    await link_experts(world, codes)
    rt = world.runtime
    first = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 2, 0),)))
    await drawn(world, first)
    confirmed = [i for i in await seats(world, first) if i.state == "invited"]
    for seat in confirmed:
        async with rt.transaction() as session:
            await service.respond(session, rt, seat.id, actor=world.experts[seat.expert.code], accept=True)
    second = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 1, 0),), max_recent_for_tenderer=0))
    async with rt.transaction() as session:
        counts = await service.eligible_counts(session, second)
    assert {r.rule: r.passing for r in counts[0].rules}["recent_evaluations"] == 3
