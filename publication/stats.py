"""Trading statistics as a centre publishes them (pure: facts in, figures out, Decimal money).

One ``TenderStat`` per public tender (drafts are never facts). Figures, overall, per group and per
tender (dimension ``tender``, keyed by the tender's code, so a tender's own savings rate is readable):

    tenders          number of public tenders
    budget           sum of their budgets
    awarded_tenders  tenders with at least one award (中标结果)
    awarded_budget   budget of the awarded lots of the awarded tenders (a tender awarded for one lot
                     of two counts that lot's budget only; an award naming no known lot counts the
                     whole tender's budget)
    award_amount     sum of the award prices
    savings          awarded_budget − award_amount   (over awarded tenders only: a tender without
                     an award has no savings, it is not 100 % saved)
    savings_rate     savings / awarded_budget, 4 decimals (0.0525 = 5.25 %); None when awarded_budget
                     is 0 (no award yet, or zero budgets)
    opened_tenders   tenders with at least one published opening record
    bidders          bidders named in those records (distinct per tender, over all its lots)
    avg_bidders      bidders / opened_tenders, 2 decimals; None without opening records
    guaranteed_bids  bids of opened tenders secured by an electronic guarantee (保函/保证保险)
    deposit_bids     bids of opened tenders secured by a cash deposit
    guarantee_share  guaranteed_bids / (guaranteed_bids + deposit_bids), 4 decimals; None without either
    not_tied_up      bond money secured by guarantees: what bidders did not tie up as cash deposits

A tender belongs to the month (Asia/Shanghai) its tender notice was published, so each month's savings
rate compares budgets with the awards of the same tenders.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
RATE = Decimal("0.0001")
ZERO = Decimal("0.00")
DIMENSIONS = ("month", "category", "region", "tender")


@dataclass(frozen=True)
class Award:
    lot: str
    price: Decimal


@dataclass(frozen=True)
class TenderStat:
    code: str
    month: str  # "2026-03", Asia/Shanghai
    category: str
    region: str
    budget: Decimal
    lot_budgets: dict[str, Decimal] = field(default_factory=dict)
    awards: Sequence[Award] = ()
    bidders: int | None = None  # distinct bidders in its opening records; None: no record published
    title: str = ""
    guaranteed_bids: int = 0  # only once opened (before, who bid is secret)
    deposit_bids: int = 0
    guaranteed_amount: Decimal = ZERO
    signing_days: Sequence[Decimal] = ()  # per signed contract: award notice → both signatures, in days

    def awarded_budget(self) -> Decimal:
        if not self.awards:
            return ZERO
        lots = {a.lot for a in self.awards}
        if not lots <= self.lot_budgets.keys():
            return self.budget
        return sum((self.lot_budgets[lot] for lot in lots), ZERO)

    def award_amount(self) -> Decimal:
        return sum((a.price for a in self.awards), ZERO)


@dataclass(frozen=True)
class Figures:
    key: str
    tenders: int
    budget: Decimal
    awarded_tenders: int
    awarded_budget: Decimal
    award_amount: Decimal
    savings: Decimal
    savings_rate: Decimal | None
    opened_tenders: int
    bidders: int
    avg_bidders: Decimal | None
    guaranteed_bids: int = 0
    deposit_bids: int = 0
    guarantee_share: Decimal | None = None
    not_tied_up: Decimal = ZERO
    signed_contracts: int = 0
    avg_signing_days: Decimal | None = None  # award notice → both signatures (招标投标法第四十六条: ≤ 30)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Statistics:
    total: Figures
    by_month: list[Figures]
    by_category: list[Figures]
    by_region: list[Figures]
    by_tender: list[Figures] = field(default_factory=list)  # one row per tender: its own savings rate

    def groups(self) -> dict[str, list[Figures]]:
        return {
            "month": self.by_month,
            "category": self.by_category,
            "region": self.by_region,
            "tender": self.by_tender,
        }


def _ratio(top: Decimal, bottom: Decimal | int, places: Decimal) -> Decimal | None:
    if not bottom:
        return None
    return (Decimal(top) / Decimal(bottom)).quantize(places, rounding=ROUND_HALF_UP)


def figures(key: str, tenders: Iterable[TenderStat]) -> Figures:
    rows = list(tenders)
    awarded = [t for t in rows if t.awards]
    opened = [t for t in rows if t.bidders is not None]
    awarded_budget = sum((t.awarded_budget() for t in awarded), ZERO).quantize(CENT)
    award_amount = sum((t.award_amount() for t in awarded), ZERO).quantize(CENT)
    savings = awarded_budget - award_amount
    bidders = sum(t.bidders or 0 for t in opened)
    signing = [days for t in rows for days in t.signing_days]
    return Figures(
        key=key,
        tenders=len(rows),
        budget=sum((t.budget for t in rows), ZERO).quantize(CENT),
        awarded_tenders=len(awarded),
        awarded_budget=awarded_budget,
        award_amount=award_amount,
        savings=savings,
        savings_rate=_ratio(savings, awarded_budget, RATE),
        opened_tenders=len(opened),
        bidders=bidders,
        avg_bidders=_ratio(Decimal(bidders), len(opened), CENT),
        guaranteed_bids=(guaranteed := sum(t.guaranteed_bids for t in rows)),
        deposit_bids=(deposits := sum(t.deposit_bids for t in rows)),
        guarantee_share=_ratio(Decimal(guaranteed), guaranteed + deposits, RATE),
        not_tied_up=sum((t.guaranteed_amount for t in rows), ZERO).quantize(CENT),
        signed_contracts=len(signing),
        avg_signing_days=_ratio(sum(signing, ZERO), len(signing), CENT),
    )


def _grouped(
    tenders: Sequence[TenderStat], key: Callable[[TenderStat], str], order: Sequence[str] = ()
) -> list[Figures]:
    groups: dict[str, list[TenderStat]] = defaultdict(list)
    for tender in tenders:
        groups[key(tender)].append(tender)
    rank = {name: n for n, name in enumerate(order)}
    keys = sorted(groups, key=lambda k: (rank.get(k, len(rank)), k))
    return [figures(k, groups[k]) for k in keys]


def compute(tenders: Sequence[TenderStat], *, category_order: Sequence[str] = ()) -> Statistics:
    """All figures: the total, and per month (oldest first), category (in the given order), region and
    tender (newest month first, then by code: each tender's own budget, award and savings rate)."""
    newest = sorted(tenders, key=lambda t: (t.month, t.code), reverse=True)
    return Statistics(
        total=figures("total", tenders),
        by_month=_grouped(tenders, lambda t: t.month),
        by_category=_grouped(tenders, lambda t: t.category, category_order),
        by_region=_grouped(tenders, lambda t: t.region),
        by_tender=[figures(t.code, [t]) for t in newest],
    )


def percent(rate: Decimal | None) -> str:
    """0.0525 → "5.25%"; None → "—"."""
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(CENT, rounding=ROUND_HALF_UP)}%"


CSV_FIELDS = (
    "dimension",
    "key",
    "label",
    "tenders",
    "budget",
    "awarded_tenders",
    "awarded_budget",
    "award_amount",
    "savings",
    "savings_rate",
    "opened_tenders",
    "bidders",
    "avg_bidders",
    "guaranteed_bids",
    "deposit_bids",
    "guarantee_share",
    "not_tied_up",
    "signed_contracts",
    "avg_signing_days",
)


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(stats: Statistics, labels: dict[str, dict[str, str]] | None = None) -> str:
    """One row per figure set (``dimension`` total, month, category or region); money as plain decimals."""
    labels = labels or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    rows = [("total", stats.total)] + [(dim, f) for dim, group in stats.groups().items() for f in group]
    for dimension, row in rows:
        values = row.as_dict()
        label = labels.get(dimension, {}).get(row.key, row.key)
        writer.writerow([dimension, row.key, label, *(_cell(values[name]) for name in CSV_FIELDS[3:])])
    return out.getvalue()


def to_json(stats: Statistics, labels: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """JSON-ready (money stays Decimal: the caller's encoder writes exact numbers)."""
    labels = labels or {}

    def one(dimension: str, row: Figures) -> dict[str, Any]:
        return {**row.as_dict(), "label": labels.get(dimension, {}).get(row.key, row.key)}

    out: dict[str, Any] = {"total": one("total", stats.total)}
    for dimension, group in stats.groups().items():
        out[f"by_{dimension}"] = [one(dimension, row) for row in group]
    return out
