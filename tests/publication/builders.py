"""Constructed facts for every kind of notice, including the ones the opening and evaluation will publish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from publication.ocds import DocumentFacts, LotFacts, NoticeFacts, PartyFacts, TenderFacts

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TENDERER = PartyFacts("91220200MA0000001X", "吉林市城市建设投资集团有限公司", "吉林市")
AGENT = PartyFacts("91220204MA0000002Y", "吉林省江城工程项目管理有限公司", "船营区")
BIDDERS = [PartyFacts(f"9122028{i}MA000001{i}Q", f"投标公司{i}", "蛟河市") for i in range(4)]


def bidder(i: int) -> dict[str, str]:
    return {"name": BIDDERS[i].name, "credit_code": BIDDERS[i].credit_code}


def tender_facts(**over: Any) -> TenderFacts:
    values: dict[str, Any] = {
        "code": "JLGGZY-2026-101",
        "title": "蛟河市供水管网改造工程",
        "description": "资金来源为财政资金，已落实。",
        "category": "construction",
        "method": "open",
        "budget": Decimal("21500000.00"),
        "notice_at": T0,
        "clarification_deadline": T0 + timedelta(days=10),
        "bid_deadline": T0 + timedelta(days=30),
        "tenderer": TENDERER,
        "agent": AGENT,
        "criteria_method": "comprehensive",
        "lots": [
            LotFacts("1", "一标段", Decimal("12000000.55")),
            LotFacts("2", "二标段", Decimal("9499999.45")),
        ],
        "documents": [DocumentFacts(7, "招标文件.pdf", 1234, "ab" * 32, T0 - timedelta(hours=1))],
        "deadline_changes": [(19, T0 + timedelta(days=25), T0 + timedelta(days=30))],
    }
    values.update(over)
    return TenderFacts(**values)


def notice(n: int, kind: str, days: int, payload: dict[str, Any] | None = None) -> NoticeFacts:
    return NoticeFacts(
        id=n,
        kind=kind,
        title=f"公告 {n}",
        body=f"{kind} 正文",
        published_at=T0 + timedelta(days=days),
        audit_position=10 * n,
        payload=payload,
    )


OPENING: dict[str, list[dict[str, Any]]] = {
    "bids": [
        {
            "lot": "1",
            "bidder": bidder(0),
            "status": "opened",
            "price": "11000000.50",
            "opened_at": "2026-04-01T02:00:00+00:00",
        },
        {"lot": "1", "bidder": bidder(1), "status": "opened", "price": "11200000.00"},
        {"lot": "1", "bidder": bidder(2), "status": "revoked", "price": "9999999.99"},
        {"lot": "1", "bidder": bidder(3), "status": "rejected", "price": None},
    ]
}
CANDIDATES: dict[str, list[dict[str, Any]]] = {
    "candidates": [
        {"lot": "1", "rank": 1, "bidder": bidder(0), "price": "11000000.50"},
        {"lot": "1", "rank": 2, "bidder": bidder(1), "price": "11200000.00"},
    ]
}
AWARD: dict[str, list[dict[str, Any]]] = {
    "awards": [
        {"lot": "1", "bidder": bidder(0), "price": "11000000.50", "date": "2026-04-20T02:00:00+00:00"}
    ],
    "candidates": CANDIDATES["candidates"][1:],
}


def every_kind() -> list[NoticeFacts]:
    """One process through every kind of notice (a real tender ends in only one of the last three)."""
    return [
        notice(1, "tender", 0),
        notice(2, "amendment", 5),
        notice(3, "opening_record", 30, OPENING),
        notice(4, "candidates", 35, CANDIDATES),
        notice(5, "award", 40, AWARD),
        notice(6, "failure", 41),
        notice(7, "termination", 42),
    ]
