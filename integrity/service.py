"""The integrity context's use cases: the red flags of each opened lot of a tender, and the tenders to
look at first, for the supervisors (监督人员) only.

The flags are computed when asked, from what bidding and evaluation already hold (the 唱标 rows of a
closed opening, the lot's ceiling, the committee's first candidate), through their services: after the
opening they cover the prices and the bids' named project managers; once the committee has ranked,
the covers above the first candidate too. Nothing is stored and nothing is shown to anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from bidding import service as bidding
from core.accounts import Principal
from core.errors import Conflict
from core.runtime import Db
from evaluation import service as evaluation
from integrity.indicators import SAME_MANAGER, Lots, Rule, price_flags, shared_evidence

# The states in which a tender's openings may be complete (a tender stays "opening" until its evaluation
# starts); tenders none of whose lots has finished its opening are left out of the list.
OPENED_STATES = ("opening", "evaluating", "publicity", "awarded", "closed", "failed")
LIST_LIMIT = 100


@dataclass(frozen=True)
class RaisedFlag:
    rule: Rule
    bidders: tuple[str, ...]  # the bidders' names the flag concerns
    figures: tuple[str, ...]  # the numbers that raised it, as shown to the supervisor
    measure: float | None


@dataclass(frozen=True)
class LotReview:
    number: str
    title: str
    ceiling: Decimal
    bids: list[bidding.OpenedBid]
    first_candidate: str | None  # the bidder's name
    flags: list[RaisedFlag]


def _manager_key(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def review_bids(
    bids: list[bidding.OpenedBid], ceiling: Decimal, first_candidate_code: str | None
) -> list[RaisedFlag]:
    """Every indicator over one lot's opened bids (pure: the page's worked examples call it directly)."""
    prices = [float(b.price) for b in bids]
    codes = [b.bidder_code for b in bids]
    winner = codes.index(first_candidate_code) if first_candidate_code in codes else -1
    names = tuple(b.bidder_name for b in bids)
    flags = []
    for found in price_flags(Lots.of([prices], [float(ceiling)], [winner])):
        if found.flagged[0]:
            concerned = (
                tuple(n for i, n in enumerate(names) if i != winner) if found.rule.code == "P4" else names
            )
            figures = tuple(f"{b.bidder_name}: {b.price}" for b in sorted(bids, key=lambda b: b.price))
            flags.append(RaisedFlag(found.rule, concerned, figures, float(found.measure[0])))
    managers = [_manager_key(b.project_manager) for b in bids]
    present = [i for i, m in enumerate(managers) if m]
    if present:
        _, keys = np.unique([managers[i] for i in present], return_inverse=True)
        groups = shared_evidence(
            np.zeros(len(present), dtype=np.int64), np.array(present, dtype=np.int64), keys.astype(np.int64)
        )
        for group in groups:
            manager = str(bids[group.bidders[0]].project_manager)
            concerned = tuple(names[i] for i in group.bidders)
            flags.append(RaisedFlag(SAME_MANAGER, concerned, (manager,), None))
    return flags


async def lot_reviews(db: Db, principal: Principal, code: str) -> list[LotReview]:
    """The flags of every lot of the tender whose opening is complete (lots still opening are left out)."""
    tender = await bidding.tender_by_code(db, code)
    reviews = []
    for lot in await bidding.lots_of(db, tender.id):
        try:
            bids = await bidding.opened_bids(db, tender.code, lot.number)
        except Conflict:
            continue
        first = await evaluation.first_candidate(db, tender.code, lot.number)
        first_name = next((b.bidder_name for b in bids if b.bidder_code == first), None)
        flags = review_bids(bids, lot.ceiling_price, first)
        reviews.append(LotReview(lot.number, lot.title, lot.ceiling_price, bids, first_name, flags))
    return reviews


@dataclass(frozen=True)
class TenderFlags:
    tender: bidding.Tender
    lots: int
    flags: int
    rules: tuple[str, ...]


async def flagged_tenders(db: Db, principal: Principal) -> list[TenderFlags]:
    """Opened tenders, the most flagged first (then the newest), up to ``LIST_LIMIT`` per state."""
    found = []
    for state in OPENED_STATES:
        page = await bidding.list_tenders(
            db, principal, bidding.TenderFilter(state=state), limit=LIST_LIMIT, offset=0
        )
        for tender in page.rows:
            reviews = await lot_reviews(db, principal, tender.code)
            if not reviews:
                continue
            raised = [flag for review in reviews for flag in review.flags]
            rules = tuple(sorted({flag.rule.code for flag in raised}))
            found.append(TenderFlags(tender, len(reviews), len(raised), rules))
    return sorted(found, key=lambda t: (-t.flags, -t.tender.id))
