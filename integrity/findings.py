"""The market indicators as the supervisors' market page shows them: each rule with its legal basis or
Cardinal definition, and each finding with its evidence in words and numbers, in Chinese and English
(who, which tenders, which counts, rates and fences)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.clock import format_date
from core.runtime import Db
from integrity import market, table
from integrity.market import MarketRule

SHOWN = 50  # findings listed per rule (the count says how many there are)


@dataclass(frozen=True)
class Finding:
    subject: str  # whom it concerns (bidders' or buyers' names)
    evidence_zh: str
    evidence_en: str
    tenders: tuple[str, ...] = ()  # the tender codes to open


@dataclass
class RuleFindings:
    rule: MarketRule
    what_zh: str
    what_en: str
    total: int = 0
    items: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.total += 1
        if len(self.items) < SHOWN:
            self.items.append(finding)


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def describe(t: table.Table, r: table.MarketResults) -> list[RuleFindings]:
    name = t.bidder_names
    lot_label = [f"{code} 标段{number}" for code, number in t.lot_names]
    out = []

    rotation = RuleFindings(
        market.ROTATION,
        "同一组投标人（三家及以上）共同投标至少4次，轮流中标、无人连续中标",
        "the same group (three or more) bid together at least 4 times and took turns to win",
    )
    group_lots = _group_lots(t)
    for group, winners in r.rotation:
        together = group_lots.get(group, [])
        dates = [format_date(t.when[lot]) for lot in together]
        order = " → ".join(name[w] for w in winners)
        rotation.add(
            Finding(
                "、".join(name[b] for b in group),
                f"共同投标{len(winners)}次（{dates[0]}至{dates[-1]}），中标顺序：{order}",
                f"bid together {len(winners)} times ({dates[0]} to {dates[-1]}); winners in turn: {order}",
                tuple(t.lot_names[lot][0] for lot in together),
            )
        )
    out.append(rotation)

    cover = RuleFindings(
        market.COVER,
        "某投标人至少投标3次，每次都输给同一家中标人",
        "a bidder that bid at least 3 times and lost every time to the same winner",
    )
    for loser, winner, n in r.cover:
        cover.add(
            Finding(
                f"{name[loser]} → {name[winner]}",
                f"{name[loser]}投标{n}次，{n}次均由{name[winner]}中标",
                f"{name[loser]} bid {n} times and {name[winner]} won all {n}",
            )
        )
    out.append(cover)

    buyers, single_rate, share, n_lots = r.buyers
    at = {int(b): i for i, b in enumerate(buyers.tolist())}
    single = RuleFindings(
        market.SINGLE_BIDDER_RATE,
        "招标人只收到一家投标的标段比例达到各招标人的上围栏（Q3 + 1.5·IQR），至少4个标段",
        "a buyer's single-bidder rate at or above the upper fence (Q3 + 1.5·IQR) over buyers with 4+ lots",
    )
    for buyer in r.single_buyers.tolist():
        i = at[int(buyer)]
        single.add(
            Finding(
                t.buyer_names[int(buyer)],
                f"{int(n_lots[i])}个标段中单一投标比例{_pct(float(single_rate[i]))}",
                f"single-bidder rate {_pct(float(single_rate[i]))} over {int(n_lots[i])} lots",
            )
        )
    out.append(single)

    share_rule = RuleFindings(
        market.WINNER_SHARE,
        "招标人至少4个标段中，同一中标人拿下一半以上",
        "over a buyer's 4+ lots, one winner took more than half of its awards",
    )
    top = _top_winner(t)
    for buyer in r.concentrated_buyers.tolist():
        i = at[int(buyer)]
        share_rule.add(
            Finding(
                t.buyer_names[int(buyer)],
                f"{int(n_lots[i])}个标段，{name[top[int(buyer)]]}中标占{_pct(float(share[i]))}",
                f"{int(n_lots[i])} lots; {name[top[int(buyer)]]} won {_pct(float(share[i]))} of the awards",
            )
        )
    out.append(share_rule)

    lots_rule = [
        (market.R018, "只收到一家投标", "only one bid received", r.single_bid),
        (
            market.R035,
            "除中标人外其余投标均被否决",
            "every bid but the winner's disqualified",
            r.all_but_winner,
        ),
        (market.R036, "最低报价被否决", "the lowest bid was disqualified", r.lowest_disqualified),
    ]
    for rule, zh, en, lots in lots_rule:
        found = RuleFindings(rule, zh, en)
        for lot in lots.tolist():
            found.add(Finding(lot_label[int(lot)], zh, en, (t.lot_names[int(lot)][0],)))
        out.append(found)

    for rule, (lots, diff, fence), zh, en in (
        (
            market.R024,
            r.close_to_winner,
            "次低价与中标价之差不高于下围栏",
            "runner-up within the lower fence",
        ),
        (market.R058, r.discounted, "次低价与中标价之差不低于上围栏", "runner-up beyond the upper fence"),
    ):
        found = RuleFindings(rule, f"{zh}（围栏 {_pct(fence)}）", f"{en} (fence {_pct(fence)})")
        for lot, d in zip(lots.tolist(), diff.tolist(), strict=True):
            found.add(
                Finding(
                    lot_label[int(lot)],
                    f"次低价高出中标价{_pct(d)}（围栏{_pct(fence)}）",
                    f"the second-lowest price is {_pct(d)} above the winning price (fence {_pct(fence)})",
                    (t.lot_names[int(lot)][0],),
                )
            )
        out.append(found)

    identical = RuleFindings(market.R028, "不同投标人报价完全相同", "different bidders bid the same price")
    for lot, bidders in r.identical:
        identical.add(
            Finding(
                lot_label[lot],
                "、".join(name[b] for b in bidders) + " 报价相同",
                ", ".join(name[b] for b in bidders) + " bid the same price",
                (t.lot_names[lot][0],),
            )
        )
    out.append(identical)

    for (groups, ratio, fence), names, zh, en in (
        (r.disqualified_buyers, t.buyer_names, "招标人", "buyer"),
        (r.disqualified_bidders, name, "投标人", "bidder"),
    ):
        found = RuleFindings(
            market.R038,
            f"按{zh}：被否决投标比例不低于上围栏（{_pct(fence)}）",
            f"by {en}: share of disqualified bids at or above the upper fence ({_pct(fence)})",
        )
        for g, q in zip(groups.tolist(), ratio.tolist(), strict=True):
            found.add(Finding(names[int(g)], f"被否决比例{_pct(q)}", f"{_pct(q)} of bids disqualified"))
        out.append(found)
    return out


def _group_lots(t: table.Table) -> dict[tuple[int, ...], list[int]]:
    """Each set of bidders (3+) → the lots they bid in together, in time order."""
    groups: dict[tuple[int, ...], list[int]] = {}
    bidder = t.bids.bidder
    for lot in range(len(t.lot_names)):
        members = tuple(sorted(set(bidder[t.offsets[lot] : t.offsets[lot + 1]].tolist())))
        if len(members) >= 3:
            groups.setdefault(members, []).append(lot)
    for lots in groups.values():
        lots.sort(key=lambda lot: t.when[lot])
    return groups


def _top_winner(t: table.Table) -> dict[int, int]:
    """Per buyer, the bidder that won most of its lots."""
    counts: dict[int, dict[int, int]] = {}
    for buyer, bidder in zip(
        t.bids.buyer[t.bids.won].tolist(), t.bids.bidder[t.bids.won].tolist(), strict=True
    ):
        per = counts.setdefault(buyer, {})
        per[bidder] = per.get(bidder, 0) + 1
    return {buyer: max(per, key=lambda b: per[b]) for buyer, per in counts.items()}


async def market_findings(db: Db) -> list[RuleFindings]:
    loaded = await table.load(db)
    if not loaded.lot_names:
        return []
    return describe(loaded, table.across_market(loaded))
