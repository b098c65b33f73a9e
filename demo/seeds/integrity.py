"""Demo data for the supervisors' integrity pages: synthetic cartels beside honest tenders.

- a ring of three companies bidding together on a county transport bureau's twelve monthly road lots
  and taking turns to win (M1 bid rotation);
- two companies whose bids name the same project manager (E3, Art. 40(3)), by name only: these
  tenders have no sealed bids, so no device or ID number to compare. The pair that seals from one
  device and names one manager by ID number (E1 and E3) bids in the live opening instead
  (demo/opening.py ``DESKS``), through the real upload, the evidence capture and integrity's job;
- a lot whose four prices step by exactly 100,000 yuan (P1, Art. 40(4));
- six honest tenders of another buyer, with different bidders, winners, managers and irregular prices,
  which must raise nothing (tests/integrity/test_demo.py checks both ways).

The tenders are written as they would stand after their award (like demo/seeds/bidding.py's later
ones), with the bids and the committee's ranking stored through integrity's own ``store_lot``, the
code path the job takes after a real opening. Deterministic and idempotent (by tender code).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bidding import service as bidding
from bidding import tenders
from bidding.inputs import NewTender
from bidding.lifecycle import State
from bidding.models import Tender
from core import organisations
from core.accounts import principal_of
from core.credit_code import make_credit_code
from core.models import Organisation, User
from core.organisations import NewOrganisation, OrgKind
from core.runtime import Runtime
from demo.seeds.bidding import opening_identity
from demo.seeds.core import organisation_code
from integrity.models import Stage
from integrity.stored import store_lot

RING = ("吉林市东盛路桥工程有限公司", "永吉县北华建设有限公司", "吉林市松原道路养护有限公司")
PAIR = ("吉林市鼎元建筑工程有限公司", "吉林市恒泰建设工程有限公司")
HONEST = (
    "吉林市长白建设集团有限公司",
    "吉林市兴业市政工程有限公司",
    "蛟河市大地建筑工程有限公司",
    "桦甸市新城建设有限公司",
    "舒兰市金桥路桥有限公司",
    "磐石市华信工程有限公司",
    "吉林市泰和水利工程有限公司",
    "吉林市同创建设有限公司",
)
CEILING = Decimal("10000000.00")
# The ring's months: the winner bids 94% of the ceiling, the first cover this much above it, the
# second cover 1.3% above the first (irregular gaps, as a ring that knows its prices are watched).
RING_GAPS: tuple[str, ...] = ("0.021", "0.034", "0.017", "0.028", "0.012", "0.031", "0.024", "0.015")
RING_GAPS += ("0.036", "0.019", "0.027", "0.022")
# Honest lots: (bidders by HONEST index, price shares of the ceiling, each bidder's project manager).
HONEST_LOTS = (
    ((0, 1, 2), ("0.9137", "0.9352", "0.9611"), ("周建华", "吴海峰", "郑晓东")),
    ((3, 4, 5, 6), ("0.8962", "0.9245", "0.9398", "0.9703"), ("冯立军", "陈志远", "褚明", "卫国平")),
    ((1, 7, 4), ("0.9284", "0.9479", "0.9826"), ("吴海峰", "蒋文斌", "陈志远")),
    ((2, 5, 6, 0), ("0.9051", "0.9312", "0.9390", "0.9617"), ("郑晓东", "褚明", "卫国平", "周建华")),
    ((7, 3, 1), ("0.9176", "0.9468", "0.9553"), ("蒋文斌", "冯立军", "吴海峰")),
    ((6, 0, 2, 4), ("0.9093", "0.9335", "0.9571", "0.9742"), ("卫国平", "周建华", "郑晓东", "陈志远")),
)


def ring_code(month: int) -> str:
    return f"JLGGZY-2025-R{month:02d}"


HONEST_CODES = tuple(f"JLGGZY-2026-H{n:02d}" for n in range(1, len(HONEST_LOTS) + 1))
MANAGER_CODE, PROGRESSION_CODE = "JLGGZY-2026-C01", "JLGGZY-2026-C02"
PROGRESSION_MANAGERS = ("孙立国", "钱伟", "刘长海", "马俊")


async def _bidders(runtime: Runtime, seed: int, names: tuple[str, ...]) -> list[Organisation]:
    rng = random.Random(f"integrity:{seed}:{names[0]}")
    out = []
    async with runtime.transaction() as session:
        for name in names:
            found = await session.scalar(select(Organisation).where(Organisation.name == name))
            if found is None:
                code = make_credit_code("9", "1", "220200", organisation_code(rng))
                found = await organisations.register_organisation(
                    session, runtime.clock, runtime.audit,
                    NewOrganisation(code, name, OrgKind.BIDDER, "张明", "220200"), actor="demo",
                )  # fmt: skip
            else:
                rng.random()  # keep the codes of the companies after it as they were
            out.append(found)
    return out


async def _lot(
    runtime: Runtime,
    seed: int,
    code: str,
    title: str,
    buyer: Organisation,
    opened: datetime,
    bids: list[tuple[Organisation, Decimal, str]],
) -> bool:
    """One awarded tender with its lot's bids stored; the lowest price ranked first."""
    async with runtime.transaction() as session:
        if await session.scalar(select(Tender.id).where(Tender.code == code)) is not None:
            return False
        agent = await session.scalar(select(User).where(User.username == "agent"))
        assert agent is not None
        deadline = opened
        tender = await tenders.save_draft(
            session, runtime, principal_of(agent, 0),
            NewTender(
                code=code, title=title, category="construction", method="open", region_code="220221",
                tenderer_id=buyer.id, budget=CEILING, ceiling_price=CEILING, bond_amount=Decimal(200000),
                registration_start=deadline - timedelta(days=30),
                registration_end=deadline - timedelta(days=10),
                clarification_deadline=deadline - timedelta(days=15), bid_deadline=deadline,
                opening_recipient=opening_identity(seed, code).recipient().to_str(), description=f"{title}。",
            ),
        )  # fmt: skip
        tender.state = State.AWARDED
        tender.notice_at = deadline - timedelta(days=30)
        [lot] = await bidding.lots_of(session, tender.id)
        opened_bids = [
            bidding.OpenedBid(org.credit_code, org.name, "", price, None, None, manager, None, None)
            for org, price, manager in bids
        ]
        ranking = tuple(b.bidder_code for b in sorted(opened_bids, key=lambda b: b.price))
        await store_lot(
            session, code, lot.number, Stage.EVALUATION, -1, opened, opened_bids, CEILING, ranking, buyer
        )
    return True


def _price(share: str) -> Decimal:
    return (CEILING * Decimal(share)).quantize(Decimal("0.01")) + Decimal("0.37")


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    async with runtime.sessions() as session:
        buyers = list(
            await session.scalars(
                select(Organisation).where(Organisation.kind == "tenderer").order_by(Organisation.id)
            )
        )
    if len(buyers) < 2:
        return {"tenders": 0}
    ring = await _bidders(runtime, seed, RING)
    pair = await _bidders(runtime, seed, PAIR)
    honest = await _bidders(runtime, seed, HONEST)
    now = runtime.clock.now().replace(second=0, microsecond=0)
    added = 0
    for month in range(1, 13):  # one lot a month, the winner turning A, B, C, A, …
        winner = (month - 1) % 3
        order = [ring[(winner + k) % 3] for k in range(3)]
        gap = Decimal(RING_GAPS[month - 1])
        shares = [
            Decimal("0.94"),
            Decimal("0.94") * (1 + gap),
            Decimal("0.94") * (1 + gap) * Decimal("1.013"),
        ]
        managers = ("刘长海", "马俊", "韩东")
        bids = [
            (org, _price(str(s)), managers[ring.index(org)]) for org, s in zip(order, shares, strict=True)
        ]
        opened = now - timedelta(days=30 * (13 - month))
        added += await _lot(
            runtime, seed, ring_code(month), f"永吉县农村公路养护工程（{month}标）", buyers[1], opened, bids
        )
    added += await _lot(
        runtime, seed, MANAGER_CODE, "永吉县桥梁维修加固工程", buyers[1], now - timedelta(days=12),
        [(pair[0], _price("0.9366"), "孙立国"), (pair[1], _price("0.9581"), "孙立国"),
         (honest[7], _price("0.9217"), "蒋文斌")],
    )  # fmt: skip
    added += await _lot(
        runtime, seed, PROGRESSION_CODE, "永吉县乡镇道路排水改造工程", buyers[1], now - timedelta(days=8),
        [(org, Decimal(9_612_340 + 100_000 * n), m)
         for n, (org, m) in enumerate(zip([*pair, *ring[:2]], PROGRESSION_MANAGERS, strict=True))],
    )  # fmt: skip
    for n, (code, (who, prices, names)) in enumerate(zip(HONEST_CODES, HONEST_LOTS, strict=True)):
        bids = [(honest[i], _price(p), m) for i, p, m in zip(who, prices, names, strict=True)]
        opened = now - timedelta(days=50 * (len(HONEST_LOTS) - n))
        added += await _lot(
            runtime, seed, code, f"吉林市城区道路维修工程（{n + 1}标）", buyers[0], opened, bids
        )
    return {"tenders": added}
