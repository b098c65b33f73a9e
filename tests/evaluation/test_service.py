"""The evaluation room at the service level, from the committee's sign-in to the award: every step
through the stored room log, what each party may do and see, the report and its signatures, the
candidate publicity and the award notice with their structured data."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from bidding.models import Notice, Tender
from core import rooms
from core.clock import ManualClock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import AuditEntry
from core.roles import Role
from core.runtime import Runtime
from credit.models import Deduction
from evaluation import service
from evaluation.models import Evaluation
from evaluation.report.signatures import signing_message
from evaluation.scoring import PriceScoreParams, price_scores
from experts.models import Draw
from publication import service as publication
from publication.config import OcdsConfig
from tests.evaluation.world import CODE, EvalWorld, committee, opened_lot, principal
from tests.publication.ocds_schema import assert_valid
from tests.support.factories import make_user

MAIN, SUB = "220281", "220221"


async def started(runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, **kw: Any) -> EvalWorld:
    world = await opened_lot(runtime, client, clock, tmp_path)
    ew = await committee(runtime, clock, world, **kw)
    async with runtime.transaction() as session:
        await service.start(
            session, runtime, ew.agent, service.NewEvaluation(CODE, "1", ew.draw_id, MAIN, (SUB,))
        )
    return ew


async def act(ew: EvalWorld, member: str, /, **message: Any) -> dict[str, Any]:
    async with ew.runtime.transaction() as session:
        # as the API sends it
        return msgspec.to_builtins(
            await service.act(session, ew.runtime, ew.people[member], f"{CODE}-1", message)
        )


async def view(ew: EvalWorld, who: Any) -> dict[str, Any]:
    async with ew.runtime.sessions() as session:
        return msgspec.to_builtins(await service.view(session, who, f"{CODE}-1"))  # as the API sends it


async def listing(runtime: Runtime, who: Any) -> list[str]:
    async with runtime.sessions() as session:
        return [e.code for e in await service.evaluations_for(session, who)]


async def room_log(runtime: Runtime) -> list[Any]:
    async with runtime.sessions() as session:
        return await rooms.events_after(session, service.room_name(f"{CODE}-1"), 0)


async def through_sign_in(ew: EvalWorld, chair_index: int = 1) -> list[str]:
    members = list(ew.members)
    for n, code in enumerate(members):
        await act(ew, code, action="sign_in", venue=MAIN if n % 2 == 0 else SUB)
        await act(ew, code, action="declare", conflict=False)
    chair = members[chair_index]
    for code in members:
        await act(ew, code, action="vote", candidate=chair)
    return members


async def through_reviews(ew: EvalWorld, members: list[str], chair: str) -> None:
    for review, item in (("qualification", "Q1"), ("preliminary", "R1")):
        for code in members:
            for bidder in ew.bidder_codes:
                await act(ew, code, action="verdict", review=review, bidder=bidder, item=item, passed=True)
        await act(ew, chair, action="advance")


# Technical (max 30) and commercial (max 10) per member per bidder: bidder 0 best, then 2, then 1.
SHEET = {0: ("28", "9"), 1: ("20", "6"), 2: ("25", "8")}


async def score_all(
    ew: EvalWorld, members: list[str], outlier: str | None = None, *, submit_last: bool = True
) -> None:
    for n, code in enumerate(members):
        for i, bidder in enumerate(ew.bidder_codes):
            technical, commercial = SHEET[i]
            if code == outlier and i == 1:
                technical = "29"  # far above the others' 20 on a 30-point criterion (limit 20% = 6)
            await act(ew, code, action="score", bidder=bidder, criterion="T1", value=technical)
            await act(ew, code, action="score", bidder=bidder, criterion="C1", value=commercial)
        if submit_last or n < len(members) - 1:
            await act(ew, code, action="submit")


def sign(ew: EvalWorld, member: str, digest: str) -> str:
    return base64.b64encode(ew.keys[member].sign(signing_message(digest))).decode()


async def test_the_whole_evaluation_from_sign_in_to_award(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started(runtime, client, clock, tmp_path)
    async with runtime.sessions() as session:
        assert await session.scalar(select(Tender.state).where(Tender.code == CODE)) == "evaluating"
        assert await session.scalar(select(Draw.stage)) == "evaluation"  # the committee now sees itself

    # Sign-in and avoidance: the first member declares a conflict and the alternate takes the seat.
    first, *rest = ew.members
    await act(ew, first, action="sign_in", venue=MAIN)
    with pytest.raises(InvalidInput):
        await act(ew, first, action="declare", conflict=True)  # a conflict needs a reason
    await act(ew, first, action="declare", conflict=True, reason="曾在投标人单位任职")
    alternate = ew.alternates[0]
    members = [*rest, alternate]
    with pytest.raises(PermissionDenied):  # replaced: no longer in the room
        await act(ew, first, action="vote", candidate=rest[0])
    with pytest.raises(InvalidInput):
        await act(ew, alternate, action="sign_in", venue="220204")  # not one of this evaluation's venues
    for n, code in enumerate(members):
        await act(ew, code, action="sign_in", venue=MAIN if n % 2 else SUB)
        await act(ew, code, action="declare", conflict=False)
    # Everyone signed in and declared: the room moves on to the chair election by itself.
    assert (await view(ew, ew.people[members[0]]))["phase"] == "chair_election"
    chair = members[0]
    for code in members:
        await act(ew, code, action="vote", candidate=chair)
    seen = await view(ew, ew.people[chair])
    assert seen["phase"] == "qualification" and seen["me"]["chair"]
    assert {v["code"] for v in seen["venues"]} == {MAIN, SUB}
    assert sum(len(v["members"]) for v in seen["venues"]) == 3

    # Only the chair moves the reviews on; a refused step names what is missing and stores nothing.
    before = len(await room_log(runtime))
    with pytest.raises(Conflict) as refused:
        await act(ew, chair, action="advance")
    assert "verdict" in str(refused.value.detail) or "missing" in str(refused.value.detail)
    assert len(await room_log(runtime)) == before
    await through_reviews(ew, members, chair)
    assert (await view(ew, ew.people[chair]))["phase"] == "scoring"

    # Scoring: a value off the criterion's step or above its maximum is refused.
    with pytest.raises(Conflict):
        await act(ew, members[1], action="score", bidder=ew.bidder_codes[0], criterion="T1", value="30.3")
    with pytest.raises(Conflict):
        await act(ew, members[1], action="score", bidder=ew.bidder_codes[0], criterion="C1", value="11")
    # A value no score can be is a 422 naming the field, before the room is asked.
    for bad in ("1e308", "9" * 400, "NaN", "0.00001", 7.5):
        with pytest.raises(InvalidInput) as unusable:
            await act(ew, members[1], action="score", bidder=ew.bidder_codes[0], criterion="T1", value=bad)
        assert unusable.value.detail.startswith("value:"), unusable.value.detail
    outlier = members[2]
    await score_all(ew, members, outlier=outlier, submit_last=False)
    # Members see their own values and only the others' progress.
    mine = await view(ew, ew.people[members[1]])
    assert mine["my_sheet"][ew.bidder_codes[0]] == {"T1": "28", "C1": "9"}
    assert "scores" not in mine and all(m["scored"] == 6 and m["of"] == 6 for m in mine["members"])
    supervised = await view(ew, ew.supervisor)
    assert len(supervised["scores"]) == 18

    # The last sheet in has an outlier: the member is shown it, and the sheet is refused (and does not
    # count: the chair cannot close scoring) until the member gives the reason.
    shown = (await view(ew, ew.people[outlier]))["my_outliers"]
    assert [(o["bidder"], o["unit"]) for o in shown] == [(ew.bidder_codes[1], "T1")]
    assert "29" in shown[0]["text"] and "20.00" in shown[0]["text"]
    with pytest.raises(Conflict) as refused:
        await act(ew, outlier, action="submit")
    assert "a reason is needed before the sheet counts" in str(refused.value.detail)
    with pytest.raises(Conflict) as blocked:
        await act(ew, chair, action="advance")
    assert "not submitted" in str(blocked.value.detail)
    await act(ew, outlier, action="submit",
              reasons=[{"bidder": ew.bidder_codes[1], "unit": "T1", "reason": "施工方案有创新"}])  # fmt: skip
    supervised = await view(ew, ew.supervisor)
    assert supervised["open_anomalies"] == []
    assert [(a["member"], a["confirmed"]) for a in supervised["anomalies"]] == [(outlier, True)]
    done = await act(ew, chair, action="advance")
    # The platform computed the price scores and the ranking, and drafted the report.
    assert done["phase"] == "report"
    seen = await view(ew, ew.people[chair])
    prices = {
        b: Decimal(p)
        for b, p in zip(ew.bidder_codes, ["10000000.00", "10500000.00", "11000000.00"], strict=True)
    }
    expected = price_scores(prices, PriceScoreParams(Decimal(60), Decimal(1), Decimal("0.5")))
    assert seen["benchmark"] == "10500000.00"
    assert seen["price_figures"] == {b: str(v) for b, v in expected.scores.items()}
    assert seen["price_figures"][ew.bidder_codes[1]] == "60.00"  # priced at the benchmark: full marks
    # Totals: bidder 0: 28 + 9 + 57.62 = 94.62; bidder 1: (20 + 20 + 29) / 3 + 6 + 60 = 89;
    # bidder 2: 25 + 8 + 55.24 = 88.24 (the confirmed outlier counts).
    assert seen["ranking"] == ew.bidder_codes
    digest = seen["report_digest"]
    assert digest and len(digest) == 64

    # Every member signs the digest with their own key; a wrong key is refused.
    with pytest.raises(InvalidInput):
        await act(ew, members[0], action="sign", signature=sign(ew, members[1], digest))
    for code in members:
        await act(ew, code, action="sign", signature=sign(ew, code, digest))
    async with runtime.sessions() as session:
        evaluation = await session.scalar(select(Evaluation))
        assert evaluation is not None and evaluation.state == "signed"
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.kind == "evaluation.report_signed"))
        assert audit is not None and json.loads(audit.entry)["data"]["digest"] == digest
    assert await runtime.blobs.exists(f"evaluation/{CODE}-1/report-{digest}.pdf")

    # The candidates are published for at least three days, then the award.
    async with runtime.transaction() as session:
        published = await service.publish_publicity(session, runtime, ew.agent, f"{CODE}-1")
    with pytest.raises(Conflict):
        async with runtime.transaction() as session:
            await service.award(session, runtime, ew.agent, f"{CODE}-1")
    clock.advance(days=3, seconds=1)
    async with runtime.transaction() as session:
        awarded = await service.award(session, runtime, ew.agent, f"{CODE}-1")
    assert awarded.winner == ew.bidder_codes[0]
    # A second award on the awarded lot says so (not "publish the candidates first").
    with pytest.raises(Conflict) as again:
        async with runtime.transaction() as session:
            await service.award(session, runtime, ew.agent, f"{CODE}-1")
    assert again.value.code == "already_awarded"
    assert f"already awarded to {ew.bidder_codes[0]}" in again.value.detail
    async with runtime.sessions() as session:
        notices = {n.kind: n for n in await session.scalars(select(Notice))}
        assert await session.scalar(select(Tender.state).where(Tender.code == CODE)) == "awarded"
        assert await session.scalar(select(Draw.stage)) == "published"
    assert notices["candidates"].id == published.notice
    candidates = notices["candidates"].data["candidates"]
    assert [c["bidder"]["credit_code"] for c in candidates] == seen["ranking"]
    assert notices["award"].data["awards"][0]["bidder"]["credit_code"] == ew.bidder_codes[0]
    assert notices["award"].data["awards"][0]["price"] == "10000000.00"

    # Open data: the record of the tender, with the candidates and the award, validates against the
    # official OCDS schema, and the winner's award is active.
    config = OcdsConfig()
    async with runtime.sessions() as session:
        record = await publication.record_package_of(session, config, f"{config.prefix}-{CODE}")
    assert_valid(record)
    awards = record["records"][0]["compiledRelease"]["awards"]
    active = [a for a in awards if a["status"] == "active"]
    assert [(a["suppliers"][0]["name"], a["value"]["amount"]) for a in active] == [("测试bidder10", 10000000)]
    assert sorted(a["status"] for a in awards) == ["active", "unsuccessful", "unsuccessful"]

    # The room numbered every event with no gaps; score values went only to their member.
    log = await room_log(runtime)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert {e.audience for e in log if e.kind == "step.score"} == {
        service.member_audience(m) for m in members
    }


async def test_who_may_enter_and_act(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started(runtime, client, clock, tmp_path)
    bidder = await principal(runtime, ew.bidding.bidders[0].username)
    outsider = next(p for code, p in ew.people.items() if code not in (*ew.members, *ew.alternates))
    for who in (bidder, outsider, None):
        with pytest.raises(PermissionDenied):
            await view(ew, who)
    # The waiting alternate is not in the room until it replaces someone.
    with pytest.raises(PermissionDenied):
        await view(ew, ew.people[ew.alternates[0]])
    # The list of evaluations holds exactly the rooms each may enter.
    await make_user(runtime, "tenderer9", Role.TENDERER, organisation_id=ew.bidding.tenderer_org)
    await make_user(runtime, "agent9", Role.AGENT, organisation_id=ew.bidding.bidders[0].org_id)
    colleague = await principal(runtime, "tenderer9")  # of the tenderer: a host
    for who in (ew.supervisor, ew.agent, colleague, ew.people[ew.members[0]]):
        assert await listing(runtime, who) == [f"{CODE}-1"]
    for who in (bidder, outsider, ew.people[ew.alternates[0]], await principal(runtime, "agent9")):
        assert await listing(runtime, who) == []
    # The supervisor and the host watch, read-only.
    for watcher in (ew.supervisor, ew.agent):
        assert (await view(ew, watcher))["phase"] == "sign_in"
        with pytest.raises(PermissionDenied):
            async with runtime.transaction() as session:
                await service.act(
                    session, runtime, watcher, f"{CODE}-1", {"action": "sign_in", "venue": MAIN}
                )
    # Only the tender's owners start an evaluation, once.
    with pytest.raises(PermissionDenied):
        async with runtime.transaction() as session:
            await service.start(
                session, runtime, ew.supervisor, service.NewEvaluation(CODE, "1", ew.draw_id, MAIN)
            )
    with pytest.raises(Conflict):
        async with runtime.transaction() as session:
            await service.start(
                session, runtime, ew.agent, service.NewEvaluation(CODE, "1", ew.draw_id, MAIN)
            )


async def test_an_unexplained_anomaly_does_not_count_and_costs_credit(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started(runtime, client, clock, tmp_path)
    members = await through_sign_in(ew)
    chair = members[1]
    await through_reviews(ew, members, chair)
    outlier = members[0]
    await score_all(ew, members, outlier=outlier)
    anomaly = (await view(ew, ew.supervisor))["open_anomalies"][0]
    with pytest.raises(Conflict):  # only the chair marks an anomaly unexplained
        await act(
            ew,
            members[2],
            action="unexplained",
            member=outlier,
            bidder=anomaly["bidder"],
            unit=anomaly["unit"],
        )
    await act(ew, chair, action="unexplained", member=outlier, bidder=anomaly["bidder"], unit=anomaly["unit"])
    async with runtime.sessions() as session:
        deduction = await session.scalar(select(Deduction))
    assert deduction is not None
    assert (deduction.subject_kind, deduction.subject_key) == ("expert", outlier)
    assert deduction.rule_code and anomaly["bidder"] in deduction.evidence
    await act(ew, chair, action="advance")
    seen = await view(ew, ew.supervisor)
    assert seen["phase"] == "report"
    assert seen["anomalies"][0]["unexplained"]


async def test_the_host_records_an_absent_member_who_is_replaced_and_loses_credit(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started(runtime, client, clock, tmp_path)
    absent, *rest = ew.members
    with pytest.raises(PermissionDenied):  # a member cannot record another's absence
        await act(ew, rest[0], action="absent", member=absent, reason="未到场")
    with pytest.raises(PermissionDenied):  # nor can a supervisor (read-only)
        async with runtime.transaction() as session:
            await service.act(session, runtime, ew.supervisor, f"{CODE}-1",
                              {"action": "absent", "member": absent, "reason": "未到场"})  # fmt: skip
    async with runtime.transaction() as session:
        with pytest.raises(InvalidInput):  # a reason is required
            await service.act(session, runtime, ew.agent, f"{CODE}-1", {"action": "absent", "member": absent})
    reason = "开标后联系不上，未到评标场地"
    async with runtime.transaction() as session:
        await service.act(
            session, runtime, ew.agent, f"{CODE}-1", {"action": "absent", "member": absent, "reason": reason}
        )
    seen = await view(ew, ew.supervisor)
    assert {m["code"] for m in seen["members"]} == {*rest, ew.alternates[0]}
    async with runtime.sessions() as session:
        deduction = await session.scalar(select(Deduction))
    assert deduction is not None
    assert (deduction.subject_kind, deduction.subject_key) == ("expert", absent)
    assert "联系不上" in deduction.evidence
    with pytest.raises(PermissionDenied):  # replaced: out of the room
        await act(ew, absent, action="sign_in", venue=MAIN)


async def test_the_chair_returns_a_sheet_and_signatures_start_over(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started(runtime, client, clock, tmp_path)
    members = await through_sign_in(ew)
    chair = members[1]
    await through_reviews(ew, members, chair)
    await score_all(ew, members)
    await act(ew, chair, action="advance")
    first = (await view(ew, ew.supervisor))["report_digest"]
    await act(ew, members[0], action="sign", signature=sign(ew, members[0], first))
    with pytest.raises(Conflict):
        await act(ew, members[0], action="return", member=members[2], reason="看错了")  # not the chair
    await act(ew, chair, action="return", member=members[2], reason="C1 评分依据不足，请复核")
    assert (await view(ew, ew.supervisor))["phase"] == "scoring"
    await act(ew, members[2], action="score", bidder=ew.bidder_codes[1], criterion="C1", value="7")
    await act(ew, members[2], action="submit")
    await act(ew, chair, action="advance")
    second = await view(ew, ew.supervisor)
    assert second["report_digest"] != first
    assert not any(m["signed"] for m in second["members"])
    assert second["returns"] == [{"by": chair, "member": members[2], "reason": "C1 评分依据不足，请复核"}]


async def test_clarification_goes_to_the_bidder_and_its_answer_to_the_room(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started(runtime, client, clock, tmp_path)
    members = await through_sign_in(ew)
    target = ew.bidding.bidders[1]
    asked = await act(
        ew, members[0], action="clarify", bidder=target.code, question="请说明工期计划", minutes=30
    )
    other = await principal(runtime, ew.bidding.bidders[0].username)
    mine = await principal(runtime, target.username)
    async with runtime.sessions() as session:
        assert await service.clarifications_for_bidder(session, other) == []
        listed = await service.clarifications_for_bidder(session, mine)
    assert [c.question for c in listed] == ["请说明工期计划"]
    with pytest.raises(NotFound):  # another company cannot answer it (nor learn that it exists)
        async with runtime.transaction() as session:
            await service.answer_clarification(session, runtime, other, asked["clarification"], "x")
    async with runtime.transaction() as session:
        await service.answer_clarification(
            session, runtime, mine, asked["clarification"], "工期 300 天，详见附表"
        )
    kinds = [e.kind for e in await room_log(runtime)]
    assert "clarification.asked" in kinds and "clarification.answered" in kinds
    assert (await view(ew, ew.people[members[0]]))["clarifications"][0]["answer"] == "工期 300 天，详见附表"
    second = await act(ew, members[0], action="clarify", bidder=target.code, question="再问", minutes=5)
    clock.advance(minutes=6)
    with pytest.raises(Conflict):
        async with runtime.transaction() as session:
            await service.answer_clarification(session, runtime, mine, second["clarification"], "迟到的答复")
