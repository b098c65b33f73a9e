"""Demo credit data: the rule catalogue, deductions on demo companies and experts, 90 days of history.

Idempotent: deductions carry fixed uids, and only days without an evaluation are computed.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import accounts, organisations
from core.accounts import principal_of
from core.runtime import Runtime
from credit import appeals, rules, snapshots
from credit.deductions import NewDeduction, find_by_uid, record_deduction, revoke, today
from credit.models import Appeal, Deduction, Run

HISTORY_DAYS = 90
# (rule, days ago, public reason); companies are picked by kind from the demo organisations.
COMPANY_CASES = {
    "bidder": [
        ("B08", 40, "吉林市北山公园改造工程开标后撤销投标文件"),
        ("B03", 12, "船营区道路维修工程投标文件因投标人原因解密失败"),
        ("B01", 25, "蛟河市农村公路项目中与其他投标人串通投标"),
        ("B05", 200, "对永吉县水毁修复工程提出无事实依据的投诉"),
        ("B04", 60, "桦甸市供水管网工程中标后拒签合同"),
        ("B09", 8, "拒不按评标委员会要求澄清报价"),
    ],
    "agent": [("A01", 30, "舒兰市学校改造项目未按规定时限发布招标公告")],
    "tenderer": [("T01", 45, "招标文件设置与项目无关的特定业绩要求")],
}
EXPERT_CASES = [
    ("E220200-00003", "E04", 5, "龙潭区排水工程评标迟到40分钟"),
    ("E220200-00017", "E01", 20, "确认参加后无故缺席永吉县道路工程评标"),
    ("E220200-00042", "E02", 70, "评分明显偏离且未作合理说明"),
]


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    added = {"rules": 0, "deductions": 0, "appeals": 0, "evaluated days": 0}
    now = today(runtime)
    async with runtime.transaction() as session:
        added["rules"] = await rules.ensure_catalogue(session, runtime, actor="demo")
        cases: list[tuple[str, str, str, int, str]] = []
        for kind, items in COMPANY_CASES.items():
            orgs, _ = await organisations.list_organisations(session, kind=kind, limit=len(items))
            for org, (rule, ago, reason) in zip(orgs * len(items), items, strict=False):
                cases.append((kind, org.credit_code, rule, ago, reason))
        cases += [("expert", key, rule, ago, reason) for key, rule, ago, reason in EXPERT_CASES]
        recorded = []
        for n, (kind, key, rule, ago, reason) in enumerate(cases):
            uid = f"demo-{seed}-{n:03d}"
            existing = await find_by_uid(session, uid)
            if existing is None:
                evidence = f"监督检查记录 第{rng.randint(100, 999)}号"
                ref = f"JLGGZY-2026-{rng.randint(1000, 9999)}"
                new = NewDeduction(
                    kind, key, rule, reason, evidence, now - timedelta(days=ago), source_ref=ref
                )
                existing = await record_deduction(session, runtime, new, actor="demo", uid=uid)
                added["deductions"] += 1
            recorded.append(existing)
        # One deduction was revoked on appeal three weeks ago; another has an appeal pending.
        if recorded and recorded[3].revoked_on is None:
            await revoke(session, runtime, recorded[3], reason="申诉成立：投诉有初步证据", actor="demo",
                         day=now - timedelta(days=21))  # fmt: skip
        bidder = await accounts.find_user(session, "bidder")
        pending = await session.scalar(select(Appeal.id).where(Appeal.deduction_id == recorded[0].id))
        if bidder is not None and pending is None and bidder.organisation_id is not None:
            org = await organisations.get_organisation(session, bidder.organisation_id)
            mine = next(
                (d for d in recorded if d.subject_key == org.credit_code and d.revoked_on is None), None
            )
            if mine is not None and mine.id == recorded[0].id:
                await appeals.file_appeal(
                    session, runtime, principal_of(bidder, 0), mine.id, "撤销系因网络故障，已附运营商证明"
                )
                added["appeals"] += 1
    async with runtime.transaction() as session:  # one unit of work: 91 commits cost more than the work
        done = set(
            await session.scalars(select(Run.day).where(Run.day >= now - timedelta(days=HISTORY_DAYS)))
        )
        for ago in range(HISTORY_DAYS, -1, -1):
            day = now - timedelta(days=ago)
            if day not in done:
                await snapshots.recompute(session, runtime, day)
                added["evaluated days"] += 1
    return added


async def _pending_appeal(session: AsyncSession, runtime: Runtime, deduction: Deduction) -> int:
    """The demo bidder (宏达建筑) appeals its first deduction, so supervisors have one to decide."""
    bidder = await accounts.find_user(session, "bidder")
    if bidder is None or bidder.organisation_id is None:
        return 0
    org = await organisations.get_organisation(session, bidder.organisation_id)
    if org.credit_code != deduction.subject_key:
        return 0
    if await session.scalar(select(Appeal.id).where(Appeal.deduction_id == deduction.id)) is not None:
        return 0
    reason = "撤销系因开标当日网络故障，已附运营商证明"
    await appeals.file_appeal(session, runtime, principal_of(bidder, 0), deduction.id, reason)
    return 1
