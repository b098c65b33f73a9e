"""The seam other contexts call, event deductions, rules as data, appeals and the daily snapshot."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import credit_port
from core.accounts import Principal
from core.clock import ManualClock
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.roles import Role
from core.runtime import Runtime
from credit import service, snapshots
from credit.catalogue import CATALOGUE
from credit.subjects import SubjectKind
from tests.credit.helpers import code, deduct, make_org, setup
from tests.support.factories import make_user

TODAY = date(2026, 1, 5)  # ManualClock starts 2026-01-05 01:00 UTC = 09:00 in Shanghai


def test_catalogue_covers_every_kind_with_twenty_rules_or_more() -> None:
    assert len(CATALOGUE) >= 20
    assert {spec.kind for spec in CATALOGUE} == set(SubjectKind)
    assert {spec.event for spec in CATALOGUE if spec.event} >= {
        "bid.decryption_failed_bidder_fault",
        "expert.no_show",
        "expert.unexplained_anomaly",
    }


async def test_standings_for_unknown_and_deducted_subjects(runtime: Runtime, clock: ManualClock) -> None:
    await setup(runtime)
    await deduct(runtime, "bidder", code(1), "B01")  # 20 points, bars
    await deduct(runtime, "bidder", code(2), "B08")  # 2.5 points
    await deduct(runtime, "expert", "E220200-00001", "E04")  # 0.5
    keys = [code(1), code(2), code(3).lower()]
    async with runtime.sessions() as session:
        found = await service.standings(session, SubjectKind.BIDDER, keys, TODAY)
        expert = await service.standing(session, "expert", "E220200-00001", TODAY)
        before = await service.standing(session, "bidder", code(1), TODAY - timedelta(days=1))
    assert set(found) == set(keys)
    assert found[code(1)] == service.Standing("bidder", code(1), Decimal("80.00"), "B", True)
    assert found[code(2)].index == Decimal("97.50") and found[code(2)].grade == "A"
    assert found[code(3).lower()] == service.Standing("bidder", code(3), Decimal("100.00"), "A", False)
    assert expert.index == Decimal("99.50") and not expert.barred
    assert before.index == Decimal("100.00") and not before.barred
    assert not service.meets(found[code(1)], 60) and service.meets(found[code(2)], 60)
    with pytest.raises(InvalidInput):
        async with runtime.sessions() as session:
            await service.standings(session, "bidder", ["not-a-code"], TODAY)


async def test_standings_for_thousands_of_keys_is_one_pass(runtime: Runtime) -> None:
    await setup(runtime)
    keys = [f"E220200-{i:05d}" for i in range(3000)]
    await deduct(runtime, "expert", keys[1234], "E03")
    async with runtime.sessions() as session:
        found = await service.standings(session, "expert", keys, TODAY)
    assert len(found) == 3000 and found[keys[1234]].barred and found[keys[1234]].index == Decimal("80.00")
    assert sum(s.barred for s in found.values()) == 1


async def test_event_deductions_are_automatic_and_idempotent(runtime: Runtime) -> None:
    # No catalogue installed: the first event installs the shipped rules.
    await make_org_region(runtime)
    async with runtime.transaction() as session:
        first = await service.record_event_deduction(
            session,
            runtime,
            event="bid.decryption_failed_bidder_fault",
            kind="bidder",
            key=code(7),
            evidence="file key did not match the header MAC",
            source_ref="tender:42/bid:9",
        )
        again = await service.record_event_deduction(
            session,
            runtime,
            event="bid.decryption_failed_bidder_fault",
            kind=SubjectKind.BIDDER,
            key=code(7),
            evidence="replayed",
            source_ref="tender:42/bid:9",
        )
        no_show = await service.record_event_deduction(
            session,
            runtime,
            event="expert.no_show",
            kind="expert",
            key="E1",
            evidence="",
            source_ref="draw:3",
        )
        anomaly = await service.record_event_deduction(
            session,
            runtime,
            event="expert.unexplained_anomaly",
            kind="expert",
            key="E1",
            evidence="score 98 vs median 71",
            source_ref="room:5",
        )
    assert first is not None and again is not None and first.id == again.id
    assert first.rule_code == "B03" and first.event == "bid.decryption_failed_bidder_fault"
    assert (
        no_show is not None
        and anomaly is not None
        and {no_show.rule_code, anomaly.rule_code} == {"E01", "E02"}
    )
    async with runtime.transaction() as session:
        with pytest.raises(InvalidInput):
            await service.record_event_deduction(
                session,
                runtime,
                event="expert.no_show",
                kind="bidder",
                key=code(7),
                evidence="",
                source_ref="x",
            )
        with pytest.raises(InvalidInput):
            await service.record_event_deduction(
                session, runtime, event="nonsense", kind="bidder", key=code(7), evidence="", source_ref="x"
            )
    async with runtime.sessions() as session:
        assert (await service.standing(session, "bidder", code(7), TODAY)).index == Decimal("97.00")
        assert (await service.standing(session, "expert", "E1", TODAY)).index == Decimal("92.00")


async def make_org_region(runtime: Runtime) -> None:
    from tests.support.factories import seed_regions

    await seed_regions(runtime)


async def test_retired_event_rule_records_nothing(runtime: Runtime) -> None:
    await setup(runtime)
    async with runtime.transaction() as session:
        rule = await service.get_rule(session, "E01")
        spec = service.RuleInput(**{**_input(rule), "active": False})
        await service.update_rule(session, runtime, "E01", spec, actor="sup")
        assert (
            await service.record_event_deduction(
                session, runtime, event="expert.no_show", kind="expert", key="E9", evidence="", source_ref="d"
            )
            is None
        )


async def test_an_installed_rule_gains_the_event_a_later_release_ships(runtime: Runtime) -> None:
    """A platform installed before contracts existed has B04 without its event: the first refusal still
    deducts (the shipped event attaches to the event-less rule), and a supervisor's own event stays."""
    await setup(runtime)
    async with runtime.transaction() as session:
        for rule_code in ("B04", "T04"):
            rule = await service.get_rule(session, rule_code)
            await service.update_rule(
                session, runtime, rule_code, service.RuleInput(**{**_input(rule), "event": None}), actor="sup"
            )
        t04 = await service.get_rule(session, "T04")
        own = service.RuleInput(**{**_input(t04), "event": "local.tenderer_refused"})
        await service.update_rule(session, runtime, "T04", own, actor="sup")
    async with runtime.transaction() as session:
        found = await service.record_event_deduction(
            session, runtime, event="contract.winner_refused", kind="bidder", key=code(7), evidence="",
            source_ref="contract 1",
        )  # fmt: skip
        assert found is not None and found.rule_code == "B04"
        assert (await service.get_rule(session, "B04")).event == "contract.winner_refused"
        assert (await service.get_rule(session, "T04")).event == "local.tenderer_refused"


def _input(rule: object) -> dict[str, object]:
    names = "code subject_kind title description points validity_days legal_basis bars event active"
    return {name: getattr(rule, name) for name in names.split()}


async def test_a_rule_change_never_rewrites_past_deductions(runtime: Runtime, clock: ManualClock) -> None:
    await setup(runtime)
    old = await deduct(runtime, "bidder", code(1), "B05")  # 5 points, 365 days
    async with runtime.transaction() as session:
        rule = await service.get_rule(session, "B05")
        changed = service.RuleInput(**{**_input(rule), "points": Decimal("8.5"), "validity_days": 30})
        await service.update_rule(session, runtime, "B05", changed, actor="sup")
        with pytest.raises(InvalidInput):
            await service.update_rule(
                session,
                runtime,
                "B05",
                service.RuleInput(**{**_input(rule), "subject_kind": "agent"}),
                actor="s",
            )
    clock.advance(days=1)
    new = await deduct(runtime, "bidder", code(2), "B05")
    assert old.points == Decimal("5.0") and old.end_day == TODAY + timedelta(days=365)
    assert new.points == Decimal("8.5") and new.end_day == TODAY + timedelta(days=31)
    async with runtime.sessions() as session:
        assert (
            await service.standing(session, "bidder", code(1), TODAY + timedelta(days=100))
        ).index == Decimal("95.00")


async def test_recording_checks_kind_day_and_source(runtime: Runtime) -> None:
    await setup(runtime)
    with pytest.raises(InvalidInput, match="another kind"):
        await deduct(runtime, "bidder", code(1), "E01")
    with pytest.raises(InvalidInput):
        await deduct(runtime, "bidder", code(1), "B01", day=TODAY + timedelta(days=1))
    with pytest.raises(InvalidInput):
        await deduct(runtime, "bidder", code(1)[:-1] + "0", "B01")
    imported = await _deduct_from(runtime, "220621", "procurement")
    async with runtime.sessions() as session:
        s = await service.standing(session, "bidder", code(1), TODAY)
    assert imported.source_region == "220621" and s.index == Decimal("90.00")  # counts the same


async def _deduct_from(runtime: Runtime, region: str, industry: str):  # type: ignore[no-untyped-def]
    async with runtime.transaction() as session:
        return await service.record_deduction(
            session,
            runtime,
            service.NewDeduction(
                kind="bidder",
                key=code(1),
                rule_code="B04",
                reason="白山市政府采购项目拒签合同",
                source_region=region,
                source_industry=industry,
            ),
            actor="sup",
        )


def principal(user_id: int, *roles: Role, organisation_id: int | None = None) -> Principal:
    return Principal(user_id, f"u{user_id}", "U", frozenset(roles), organisation_id, 0)


async def test_appeal_flow_revokes_from_the_decision_day(runtime: Runtime, clock: ManualClock) -> None:
    await setup(runtime)
    org_id = await make_org(runtime, 1)
    other_org = await make_org(runtime, 2)
    owner = principal(
        await make_user(runtime, "owner", Role.BIDDER, organisation_id=org_id),
        Role.BIDDER,
        organisation_id=org_id,
    )
    stranger = principal(
        await make_user(runtime, "stranger", Role.BIDDER, organisation_id=other_org),
        Role.BIDDER,
        organisation_id=other_org,
    )
    d = await deduct(runtime, "bidder", code(1), "B01")
    clock.advance(days=3)
    async with runtime.transaction() as session:
        with pytest.raises(PermissionDenied):
            await service.file_appeal(session, runtime, stranger, d.id, "不是我们")
        appeal = await service.file_appeal(session, runtime, owner, d.id, "串标认定有误，附中标通知书")
        with pytest.raises(Conflict):
            await service.file_appeal(session, runtime, owner, d.id, "again")
    clock.advance(days=2)
    async with runtime.transaction() as session:
        decided = await service.decide_appeal(
            session, runtime, appeal.id, "revoked", "复核：证据不足", actor="sup"
        )
        with pytest.raises(Conflict):
            await service.decide_appeal(session, runtime, appeal.id, "upheld", "x", actor="sup")
    assert decided.status == "revoked"
    async with runtime.sessions() as session:
        on = {
            day: await service.standing(session, "bidder", code(1), TODAY + timedelta(days=day))
            for day in (0, 4, 5)
        }
        reloaded = await service.get_deduction(session, d.id)
    assert on[0].index == on[4].index == Decimal("80.00") and on[4].barred  # the past is kept
    assert on[5].index == Decimal("100.00") and not on[5].barred  # a correction, not a bonus
    assert reloaded.revoked_on == TODAY + timedelta(days=5) and reloaded.revoked_reason == "复核：证据不足"


async def test_upheld_appeal_keeps_the_deduction_and_experts_appeal_through_links(runtime: Runtime) -> None:
    await setup(runtime)
    user_id = await make_user(runtime, "expert1", Role.EXPERT)
    expert = principal(user_id, Role.EXPERT)
    d = await deduct(runtime, "expert", "E220200-00009", "E04")
    async with runtime.transaction() as session:
        with pytest.raises(PermissionDenied):
            await service.file_appeal(session, runtime, expert, d.id, "堵车")
        await service.link_subject(
            session, runtime, user_id=user_id, kind="expert", key="E220200-00009", actor="sup"
        )
        appeal = await service.file_appeal(session, runtime, expert, d.id, "堵车")
        await service.decide_appeal(session, runtime, appeal.id, "upheld", "迟到属实", actor="sup")
        mine = await service.list_appeals(session, expert)
    assert [a.status for a, _ in mine] == ["upheld"]
    async with runtime.sessions() as session:
        assert (await service.standing(session, "expert", "E220200-00009", TODAY)).index == Decimal("99.50")


async def test_daily_recompute_stores_snapshot_and_history(runtime: Runtime, clock: ManualClock) -> None:
    await setup(runtime)
    await make_org(runtime, 1)
    await make_org(runtime, 2)
    await deduct(runtime, "bidder", code(1), "B01")
    await deduct(runtime, "expert", "E7", "E04")
    seen: list[tuple[int, int]] = []
    for offset in range(3):
        async with runtime.transaction() as session:
            run = await snapshots.recompute(
                session, runtime, TODAY + timedelta(days=offset), progress=lambda a, b: seen.append((a, b))
            )
    assert run.subjects == 3 and (run.grade_a, run.grade_b, run.barred) == (2, 1, 1) and seen
    async with runtime.transaction() as session:  # again: replaces, does not duplicate
        await snapshots.recompute(session, runtime, TODAY)
        points = await snapshots.history(
            session,
            SubjectKind.BIDDER,
            code(1),
            since=TODAY - timedelta(days=5),
            until=TODAY + timedelta(days=5),
        )
        listed = await snapshots.rankings(session, day=TODAY)
        ranked, total = listed.rows, listed.total
        clean = await snapshots.history(session, SubjectKind.BIDDER, code(2), since=TODAY, until=TODAY)
    assert [p.index for p in points] == [Decimal("80.00")] * 3 and all(p.barred for p in points)
    assert total == 2 and ranked[0].key == code(1) and ranked[0].name == "测试公司1"
    assert clean[0].index == Decimal("100.00") and clean[0].grade == "A"


async def test_credit_serves_the_credit_port_from_start_up(runtime: Runtime) -> None:
    """Building the runtime registered credit behind core's port: what bidding and experts ask."""
    port = credit_port.credit()
    assert port is service
    await setup(runtime)
    await deduct(runtime, "expert", "E220200-00001", "E03")  # 20 points, bars
    async with runtime.sessions() as session:
        found = await port.standings(session, "expert", ["E220200-00001", "E220200-00002"], TODAY)
    assert found["E220200-00001"].barred and found["E220200-00001"].index == Decimal("80.00")
    assert found["E220200-00002"].index == Decimal("100.00") and not found["E220200-00002"].barred


async def test_the_bidder_gate(runtime: Runtime) -> None:
    await setup(runtime)
    await deduct(runtime, "bidder", code(1), "B01")  # 80, barred
    await deduct(runtime, "bidder", code(2), "B06")  # 85, barred (转包)
    for _ in range(3):
        await deduct(runtime, "bidder", code(3), "B04")  # 70, not barred
    async with runtime.sessions() as session:
        with pytest.raises(PermissionDenied) as barred:
            await service.require_standing(session, "bidder", code(1), TODAY)
        assert barred.value.code == "credit_barred"
        with pytest.raises(PermissionDenied) as low:
            await service.require_standing(session, "bidder", code(3), TODAY, minimum=75)
        assert low.value.code == "credit_too_low"
        assert (await service.require_standing(session, "bidder", code(3), TODAY)).index == Decimal("70.00")
        assert (await service.require_standing(session, "bidder", code(4), TODAY)).grade == "A"
