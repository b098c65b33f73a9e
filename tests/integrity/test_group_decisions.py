"""One rule raising two groups in a lot (two different shared files under E4) gives two flags, each
decided on its own: referring one records B01 only for that group's bidders, the other stays open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import service as bidding
from bidding.models import OpeningBid, PackageEvidence, Submission
from core.clock import ManualClock
from core.models import User
from core.runtime import Runtime
from integrity.models import Decision, FlagDecision
from tests.evaluation.world import CODE, opened_lot
from tests.integrity.test_service import HONEST_PRICES

FILE_A, FILE_B = "a" * 64, "b" * 64


async def _two_shared_files(runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path) -> Any:
    """Bidders 0 and 1 carry one identical file, bidders 1 and 2 another (as the capture records them)."""
    world = await opened_lot(
        runtime, client, clock, tmp_path, prices=HONEST_PRICES, managers=["李四", "王五", "赵六"]
    )
    assert await bidding.capture_packages(runtime) == 3
    shared = {0: [FILE_A], 1: [FILE_A, FILE_B], 2: [FILE_B]}
    async with runtime.transaction() as session:
        rows = (
            await session.execute(
                select(PackageEvidence, Submission.organisation_id)
                .join(OpeningBid, OpeningBid.id == PackageEvidence.opening_bid_id)
                .join(Submission, Submission.id == OpeningBid.submission_id)
            )
        ).all()
        orgs = [b.org_id for b in world.bidders]
        for package, org_id in rows:
            n = orgs.index(org_id)
            extra = [{"name": f"attachments/shared-{d[0]}.pdf", "size": 10, "sha256": d} for d in shared[n]]
            package.files = [*package.files, *extra]
    return world


async def _deductions(client: Any, world: Any) -> list[list[str]]:
    out = []
    for bidder in world.bidders:
        found = await client.get(
            "/api/credit/deductions", params={"kind": "bidder", "key": bidder.code}, headers=world.supervisor
        )
        out.append([d["rule_code"] for d in found.json()["items"]])
    return out


async def test_two_groups_of_one_rule_are_decided_apart(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await _two_shared_files(runtime, client, clock, tmp_path)
    [lot] = (await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)).json()
    e4 = [flag for flag in lot["flags"] if flag["code"] == "E4"]
    assert len(e4) == 2 and len({flag["group"] for flag in e4}) == 2, lot["flags"]
    names = [f"测试bidder{10 + i}" for i in range(3)]
    by_file = {flag["figures"][0]: flag for flag in e4}
    first = by_file[f"SHA-256 {FILE_A[:12]}…"]
    second = by_file[f"SHA-256 {FILE_B[:12]}…"]
    assert first["bidders"] == names[:2] and second["bidders"] == names[1:]

    base = f"/api/integrity/tenders/{CODE}/lots/1/flags/E4/decision"
    unnamed = await client.post(
        base, json={"decision": "referred", "reason": "两家文件完全相同"}, headers=world.supervisor
    )
    assert unnamed.status_code == 422 and unnamed.json()["error"] == "group_required"
    wrong = await client.post(
        base,
        json={"decision": "referred", "reason": "两家文件完全相同", "group": "0" * 16},
        headers=world.supervisor,
    )
    assert wrong.status_code == 404 and wrong.json()["error"] == "unknown_flag"

    referred = await client.post(
        base,
        json={"decision": "referred", "reason": "两家文件完全相同", "group": first["group"]},
        headers=world.supervisor,
    )
    assert referred.status_code == 201, referred.text
    assert referred.json()["group"] == first["group"]
    # B01 for the first file's two bidders only; the third shares only the other file, still open
    assert await _deductions(client, world) == [["B01"], ["B01"], []]
    again = await client.post(
        base,
        json={"decision": "dismissed", "reason": "重新考虑", "group": first["group"]},
        headers=world.supervisor,
    )
    assert again.status_code == 409

    [lot] = (await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)).json()
    decided = {f["group"]: f["decision"] for f in lot["flags"] if f["code"] == "E4"}
    assert decided == {first["group"]: "referred", second["group"]: None}

    # the page offers a form for the open group only, and its hidden group field decides it
    page = await client.get(f"/integrity/tenders/{CODE}", headers=world.supervisor)
    assert f'id="decide-1-E4-{second["group"]}"' in page.text
    assert f'id="decide-1-E4-{first["group"]}"' not in page.text
    done = await client.post(
        f"/integrity/tenders/{CODE}/lots/1/flags/E4/decision",
        data={"decision": "dismissed", "reason": "标准图集，公开文件", "group": second["group"]},
        headers=world.supervisor,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert await _deductions(client, world) == [["B01"], ["B01"], []]


async def test_a_decision_taken_before_groups_covers_every_group_of_its_rule(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await _two_shared_files(runtime, client, clock, tmp_path)
    async with runtime.transaction() as session:
        supervisor = await session.scalar(select(User.id).order_by(User.id))
        assert supervisor is not None
        session.add(
            FlagDecision(
                tender_code=CODE, lot_number="1", rule_code="E4", group_key="", decision=Decision.DISMISSED,
                reason="旧记录：按规则处理", decided_by=supervisor,
                decided_at=runtime.clock.now(),
            )
        )  # fmt: skip
    [lot] = (await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)).json()
    e4 = [flag for flag in lot["flags"] if flag["code"] == "E4"]
    assert len(e4) == 2 and {f["decision_reason"] for f in e4} == {"旧记录：按规则处理"}
