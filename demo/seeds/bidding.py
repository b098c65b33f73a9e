"""Demo tenders in every lifecycle state, so the portal is not empty. Idempotent: by tender code.

Tenders still open are published through the real services; ones further along (opening and later)
are written as they would stand by then, with the notices those stages publish. The live opening a
visitor can watch end to end is ``demo/opening.py``'s: the seed gives the demo bidders their
keys and asks the running server for one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from bidding import tenders
from bidding.common import lots_of
from bidding.inputs import Category
from bidding.lifecycle import State
from bidding.models import Tender
from bidding.notices import NoticeKind, publish_notice
from core.accounts import principal_of
from core.models import Organisation, User
from core.runtime import Runtime
from crypto.age import X25519Identity
from demo import opening as demo_opening

# (code suffix, title, category, region, budget in 10k yuan, state, days from now to the deadline)
DEMO_TENDERS: list[tuple[str, str, Category, str, int, State, int]] = [
    ("001", "吉林市北山公园景观提升改造工程", "construction", "220204", 1280, State.PUBLISHED, 21),
    ("002", "永吉县乡村公路养护工程（2026年度）", "construction", "220221", 860, State.BIDDING, 3),
    ("003", "吉林市第一中学教学设备采购", "goods", "220202", 315, State.PUBLISHED, 24),
    ("004", "蛟河市供水管网改造工程", "construction", "220281", 2150, State.OPENING, -1),
    ("005", "桦甸市人民医院物业管理服务", "services", "220282", 196, State.EVALUATING, -2),
    ("006", "舒兰市农村饮水安全巩固提升工程", "construction", "220283", 1745, State.PUBLICITY, -6),
    ("007", "磐石市城区道路照明节能改造", "construction", "220284", 530, State.AWARDED, -15),
    ("008", "龙潭区国有建设用地使用权挂牌出让", "land", "220203", 6400, State.CLOSED, -40),
    ("009", "丰满区政务服务中心信息化运维服务", "services", "220211", 88, State.FAILED, -9),
    ("010", "船营区老旧小区改造监理服务", "services", "220204", 142, State.CANCELLED, 12),
    ("011", "吉林市江南污水处理厂提标改造工程", "construction", "220200", 5260, State.DRAFT, 30),
]
LATER_NOTICES = {
    State.OPENING: [],
    State.EVALUATING: [(NoticeKind.OPENING_RECORD, "开标记录")],
    State.PUBLICITY: [(NoticeKind.OPENING_RECORD, "开标记录"), (NoticeKind.CANDIDATES, "中标候选人公示")],
    State.AWARDED: [
        (NoticeKind.OPENING_RECORD, "开标记录"),
        (NoticeKind.CANDIDATES, "中标候选人公示"),
        (NoticeKind.AWARD, "中标结果公告"),
    ],
    State.CLOSED: [(NoticeKind.OPENING_RECORD, "开标记录"), (NoticeKind.AWARD, "成交结果公告")],
    State.FAILED: [
        (NoticeKind.OPENING_RECORD, "开标记录"),
        (NoticeKind.FAILURE, "流标公告（有效投标不足3家）"),
    ],
    State.CANCELLED: [(NoticeKind.TERMINATION, "终止公告")],
}

# When each later notice goes out, after the bid deadline (candidates after the opening and review;
# the award once the 3-day publicity has run; a termination whenever it is decided: at seeding).
LATER_AFTER_DEADLINE = {
    NoticeKind.OPENING_RECORD: timedelta(minutes=30),
    NoticeKind.FAILURE: timedelta(hours=2),
    NoticeKind.CANDIDATES: timedelta(days=2),
    NoticeKind.AWARD: timedelta(days=6),
    NoticeKind.TERMINATION: timedelta(days=365),  # capped at now
}


# The later notices' structured content for open data (shapes: publication/ocds.py), as shares of the
# budget: the opened prices of the demo bidders in order, the first ranked first.
DEMO_PRICE_SHARES = (Decimal("0.921"), Decimal("0.948"), Decimal("0.957"), Decimal("0.973"))


def outcome_data(
    kind: NoticeKind, budget: Decimal, bidders: list[Organisation], opened_at: datetime, *, fail: bool
) -> dict[str, Any] | None:
    if not bidders:
        return None
    count = 2 if fail else min(len(bidders), len(DEMO_PRICE_SHARES))
    rows = [
        ({"name": org.name, "credit_code": org.credit_code}, f"{(budget * share).quantize(Decimal('0.01'))}")
        for org, share in zip(bidders[:count], DEMO_PRICE_SHARES, strict=False)
    ]
    if kind == NoticeKind.OPENING_RECORD:
        return {"bids": [{"lot": "1", "bidder": who, "status": "opened", "price": price,
                          "opened_at": opened_at.isoformat()} for who, price in rows]}  # fmt: skip
    candidates = [
        {"lot": "1", "rank": n, "bidder": who, "price": price} for n, (who, price) in enumerate(rows[:3], 1)
    ]
    if kind == NoticeKind.CANDIDATES:
        return {"candidates": candidates}
    if kind == NoticeKind.AWARD:
        award = {"lot": "1", "bidder": rows[0][0], "price": rows[0][1], "date": opened_at.isoformat()}
        return {"awards": [award], "candidates": candidates}
    return None


def opening_identity(seed: int, code: str) -> X25519Identity:
    """A deterministic opening key per demo tender (demo only: real ones come from a ceremony)."""
    raw = hashlib.sha256(f"sunbid-demo-opening:{seed}:{code}".encode()).digest()
    return X25519Identity(X25519PrivateKey.from_private_bytes(raw))


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    added = notices = 0
    async with runtime.transaction() as session:
        agent = await session.scalar(select(User).where(User.username == "agent"))
        tenderers = list(
            await session.scalars(
                select(Organisation).where(Organisation.kind == "tenderer").order_by(Organisation.id)
            )
        )
        if agent is None or not tenderers:
            return {"tenders": 0, "notices": 0, "signing keys": 0}
        principal = principal_of(agent, 0)
        bidders = list(
            await session.scalars(
                select(Organisation).where(Organisation.kind == "bidder").order_by(Organisation.id)
            )
        )
        now = runtime.clock.now().replace(second=0, microsecond=0)
        for i, (suffix, title, category, region, budget, state, days) in enumerate(DEMO_TENDERS):
            code = f"JLGGZY-2026-{suffix}"
            if await session.scalar(select(Tender.id).where(Tender.code == code)) is not None:
                continue
            deadline = now + timedelta(days=days, hours=1)
            notice_at = min(now, deadline - timedelta(days=22))
            total = Decimal(budget) * 10000
            new = tenders.NewTender(
                code=code,
                title=title,
                category=category,
                method="listing" if category == "land" else "open",
                region_code=region,
                tenderer_id=tenderers[i % len(tenderers)].id,
                budget=total,
                ceiling_price=(total * Decimal("0.96")).quantize(Decimal("0.01")),
                bond_amount=min(Decimal(800000), (total * Decimal("0.02")).quantize(Decimal(1))),
                registration_start=notice_at,
                registration_end=min(deadline - timedelta(days=1), notice_at + timedelta(days=10)),
                clarification_deadline=deadline - timedelta(days=15),
                bid_deadline=deadline,
                opening_recipient=opening_identity(seed, code).recipient().to_str(),
                description=f"{title}，资金来源为财政资金，已落实。",
            )
            tender = await tenders.save_draft(session, runtime, principal, new)
            added += 1
            if state == State.DRAFT:
                continue
            if notice_at == now:
                await tenders.publish(session, runtime, principal, code)
            else:  # already further along: as it would stand after its notice went out
                tender.state = State.PUBLISHED
                tender.notice_at = notice_at
                body = tenders.notice_text(tender, await lots_of(session, tender.id))
                notice = await publish_notice(session, runtime, tender, NoticeKind.TENDER, title, body)
                notice.published_at = notice_at  # dated when it went out: before registration closed
            notices += 1
            tender.state = state
            for kind, label in LATER_NOTICES.get(state, []):
                notice = await publish_notice(
                    session, runtime, tender, kind, f"{title} {label}", f"{label}：详见附件。",
                    data=outcome_data(kind, total, bidders, deadline, fail=state == State.FAILED),
                )  # fmt: skip
                notice.published_at = min(now, deadline + LATER_AFTER_DEADLINE[kind])
                notices += 1
    # The live opening: demo bidders' keys, and a request the running demo server fulfils.
    keys = await demo_opening.ensure_bidders(runtime)
    demo_opening.request_live_opening(runtime, seed)
    return {"tenders": added, "notices": notices, "signing keys": keys}
