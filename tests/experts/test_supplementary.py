"""Supplementary draws (补抽): a short draw's missing seats drawn with the same rules and protocol,
everyone drawn before excluded, sealed until award; the short draw's committee completes with the
new members (what evaluation/ seats), and the supplementary document verifies with `sunbid draw verify`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.errors import Conflict
from core.models import AuditEntry
from experts import service
from experts.draw import DrawRules, Slot
from experts.models import Invitation
from experts.verify import verify
from tests.experts.conftest import World, add_experts, link_experts
from tests.experts.test_service import drawn, new_draw, seats

SUNBID = str(Path(sys.executable).parent / "sunbid")


async def answer(world: World, invitation: Invitation, accept: bool) -> None:
    async with world.runtime.transaction() as session:
        await service.respond(
            session, world.runtime, invitation.id, actor=world.experts[invitation.expert.code],
            accept=accept, reason="" if accept else "出差",
        )  # fmt: skip


async def bodies(world: World) -> list[dict[str, Any]]:
    async with world.runtime.sessions() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.position))
        return [json.loads(e.entry) for e in rows]


async def test_a_short_draw_is_supplemented_and_the_committee_completes(
    world: World, clock: ManualClock, tmp_path: Path
) -> None:
    codes = await add_experts(world.runtime, 9)
    await link_experts(world, codes)
    rt = world.runtime
    draw_id = await new_draw(world, clock, DrawRules(slots=(Slot("A0101", 3, 1),)))
    await drawn(world, draw_id)
    first = await seats(world, draw_id)
    winners = [i for i in first if i.kind == "winner"]
    alternate = next(i for i in first if i.kind == "alternate")
    async with rt.transaction() as session:  # not short yet: nothing to supplement
        with pytest.raises(Conflict) as early:
            await service.create_supplementary_draw(session, rt, draw_id, actor=world.supervisor)
    assert early.value.code == "not_short"
    await answer(world, winners[0], accept=False)  # the alternate is called
    await answer(world, winners[1], accept=False)  # nobody left: short
    await answer(world, winners[2], accept=True)
    await answer(world, next(i for i in await seats(world, draw_id) if i.id == alternate.id), accept=True)
    async with rt.transaction() as session:
        assert (await service.get_draw(session, draw_id)).state == "short"
        extra = await service.create_supplementary_draw(session, rt, draw_id, actor=world.supervisor)
        extra_id = extra.id
        assert extra.rules["slots"] == [{"specialty": "A0101", "experts": 1, "alternates": 1}]
        excluded = sorted(i.expert.code for i in first)
        assert extra.rules["excluded_experts"] == excluded
    async with rt.transaction() as session:  # one at a time
        with pytest.raises(Conflict) as running:
            await service.create_supplementary_draw(session, rt, draw_id, actor=world.supervisor)
    assert running.value.code == "supplement_running"
    # who was drawn before is not public: the request entry holds a seal and a count only
    requested = [b for b in await bodies(world) if b["kind"] == "experts.draw.requested"][-1]
    assert requested["data"]["rules"]["excluded_experts"]["count"] == 4
    assert not any(code in json.dumps(requested) for code in excluded)
    # the same protocol: commit, contributions, run; nobody drawn before is drawn again
    await drawn(world, extra_id)
    second = await seats(world, extra_id)
    assert second and not {i.expert.code for i in second} & set(excluded)
    newcomer = next(i for i in second if i.kind == "winner")
    await answer(world, newcomer, accept=True)
    async with rt.transaction() as session:
        assert (await service.get_draw(session, extra_id)).state == "complete"
        assert (await service.get_draw(session, draw_id)).state == "complete"
        members, _alternates = await service.seats(session, draw_id)
    assert [m.code for m in members] == [winners[2].expert.code, alternate.expert.code, newcomer.expert.code]
    kinds = [b["kind"] for b in await bodies(world)]
    assert "experts.draw.supplementary" in kinds and "experts.draw.supplemented" in kinds
    # evaluation unseals and, at award, publishes both; the supplementary document verifies
    async with rt.transaction() as session:
        await service.unseal_for_evaluation(session, rt, draw_id)
        assert (await service.get_draw(session, extra_id)).stage == "evaluation"
        await service.publish_names(session, rt, draw_id)
        assert (await service.get_draw(session, extra_id)).stage == "published"
        doc = await service.document(session, extra_id, viewer=None)
    log = await bodies(world)
    verdict = verify(doc, log)
    assert verdict.ok and ("audit_log", True, "ok") in verdict.checks, verdict.checks
    (tmp_path / "draw.json").write_text(json.dumps(doc), encoding="utf-8")
    async with rt.sessions() as session:
        entries = [{"position": e.position, "entry": e.entry} for e in await session.scalars(
            select(AuditEntry).order_by(AuditEntry.position))]  # fmt: skip
    (tmp_path / "audit.json").write_text(json.dumps(entries), encoding="utf-8")
    cli = await asyncio.to_thread(
        subprocess.run,
        [SUNBID, "draw", "verify", str(tmp_path / "draw.json"), "--audit", str(tmp_path / "audit.json")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "OK   audit_log" in cli.stdout and "verified" in cli.stdout
    # a document claiming fewer exclusions than were sealed at the request fails against the log
    forged = json.loads(json.dumps(doc))
    forged["rules"]["excluded_experts"] = excluded[1:]
    failed = [name for name, ok, _ in verify(forged, log).checks if not ok]
    assert "audit_log" in failed
