"""The flags stored at a lot's opening and after its evaluation report: the job follows the audit log,
the ranked list reads what it stored, and the supervisor's evaluation room warns of a flagged lot —
which no expert or host sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import events as bidding_events
from core.clock import ManualClock
from core.runtime import Runtime
from evaluation import events as evaluation_events
from integrity import jobs, stored
from integrity.models import LotFlags, MarketBid, Stage
from tests.evaluation.world import CODE, api_headers, opened_lot, started_evaluation

HONEST_PRICES = ["10000000.00", "10420000.00", "11030000.00"]


def test_the_job_follows_the_audit_kinds_bidding_and_evaluation_append() -> None:
    assert stored.TRIGGERS == {
        Stage.OPENING: bidding_events.OPENING_CLOSED,
        Stage.EVALUATION: evaluation_events.EVALUATION_REPORT_SIGNED,
    }


async def test_the_opening_stores_the_flags_once_and_the_list_reads_them(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path)
    before = await client.get("/integrity", headers=world.supervisor)
    assert 'id="integrity-none"' in before.text  # nothing stored until the job has run

    await jobs.compute_flags(runtime)
    async with runtime.sessions() as session:
        [row] = list(await session.scalars(select(LotFlags)))
        bids = list(await session.scalars(select(MarketBid).order_by(MarketBid.price)))
        assert await stored.catch_up(session) == 0  # the job resumes after the entry it computed
    assert (row.tender_code, row.lot_number, row.stage) == (CODE, "1", Stage.OPENING)
    assert {f["rule"] for f in row.flags} == {"P1", "E3"} and row.flag_count == 2
    assert [str(b.price) for b in bids] == ["10000000.00", "10500000.00", "11000000.00"]
    assert all(b.valid and not b.won for b in bids) and {b.project_manager for b in bids} == {"李四"}

    listing = await client.get("/integrity", headers=world.supervisor)
    assert f'id="tender-{CODE}" class="warn"' in listing.text
    assert "E3, P1" in listing.text


async def test_an_honest_lot_is_stored_with_no_flag_and_listed_without_warning(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(
        runtime, client, clock, tmp_path, prices=HONEST_PRICES, managers=["李四", "王五", "赵六"]
    )
    await jobs.compute_flags(runtime)
    async with runtime.sessions() as session:
        [row] = list(await session.scalars(select(LotFlags)))
    assert row.flags == [] and row.flag_count == 0
    listing = await client.get("/integrity", headers=world.supervisor)
    assert f'id="tender-{CODE}">' in listing.text and 'class="warn"' not in listing.text


async def test_the_supervisors_room_warns_of_a_flagged_lot_and_no_one_else_sees_it(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started_evaluation(runtime, client, clock, tmp_path)
    room = f"/evaluations/{CODE}-1"
    supervisor = await api_headers(runtime, "supervisor9")
    unwarned = await client.get(room, headers=supervisor)
    assert unwarned.status_code == 200 and 'id="integrity-warning"' not in unwarned.text

    await jobs.compute_flags(runtime)
    warned = await client.get(room, headers=supervisor)
    assert warned.status_code == 200
    assert 'id="integrity-warning"' in warned.text and "报价呈等差规律" in warned.text
    assert f'href="/integrity/tenders/{CODE}"' in warned.text
    english = await client.get(room, params={"lang": "en"}, headers=supervisor)
    assert "prices in equal steps" in english.text

    member = await api_headers(runtime, ew.usernames[ew.members[0]])
    for headers in (member, ew.bidding.agent):
        seen = await client.get(room, headers=headers)
        assert seen.status_code == 200, seen.text
        assert 'id="integrity-warning"' not in seen.text and "围标串标" not in seen.text


async def test_a_signed_report_recomputes_the_lot_at_the_evaluation_stage(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    """The job reads the report-signed entry's evaluation code and recomputes the lot; signing itself is
    covered in tests/evaluation (here the entry is appended as evaluation/reporting.py appends it)."""
    await started_evaluation(runtime, client, clock, tmp_path)
    await jobs.compute_flags(runtime)
    async with runtime.transaction() as session:
        await runtime.audit.append(
            session, evaluation_events.EVALUATION_REPORT_SIGNED, subject=f"evaluation:{CODE}-1", data={}
        )
    await jobs.compute_flags(runtime)
    async with runtime.sessions() as session:
        rows = {row.stage: row for row in await session.scalars(select(LotFlags))}
        [latest] = await stored.latest(session)
    assert set(rows) == {Stage.OPENING, Stage.EVALUATION}
    assert rows[Stage.EVALUATION].source_position > rows[Stage.OPENING].source_position
    assert latest.stage == Stage.EVALUATION
    assert {f["rule"] for f in latest.flags} == {"P1", "E3"}  # not ranked yet: no P4
