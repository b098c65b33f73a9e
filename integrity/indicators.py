"""Per-lot collusion indicators (围标串标的情形), pure numpy over many lots at once.

《招标投标法实施条例》第四十条 presumes bidders colluded when, among other things, their bids were
prepared or handled by the same unit or person, the same project manager appears in different bids,
the documents are abnormally identical or the prices differ by a regular pattern (“投标报价呈规律性差异”),
or documents are mixed up between bidders; 第三十九条 names price coordination (“协商投标报价”).
An indicator is a red flag for a supervisor to look at, never a finding: every rule below keeps its
threshold as data beside its legal basis, and every flag carries the numbers that raised it.

Lots come as one columnar batch (``Lots``): the bids of lot ``i`` are ``prices[offsets[i]:offsets[i+1]]``.
One lot is a batch of one, so the supervisor's page and the benchmark over 100,000 lots run the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from integrity.columns import distinct_rows, runs

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rule:
    code: str
    name_zh: str
    name_en: str
    basis: str
    threshold: float
    min_bids: int
    why: str
    why_zh: str = ""


ART_40_4 = "《招标投标法实施条例》第四十条第（四）项"
ART_39 = "《招标投标法实施条例》第三十九条"
ART_40_1 = "《招标投标法实施条例》第四十条第（一）项"
ART_40_2 = "《招标投标法实施条例》第四十条第（二）项"
ART_40_3 = "《招标投标法实施条例》第四十条第（三）项"

EQUAL_STEPS = Rule(
    "P1",
    "报价呈等差规律",
    "prices in equal steps",
    ART_40_4,
    threshold=0.01,
    min_bids=3,
    why="the gaps between consecutive sorted prices differ by at most 1% of the mean gap",
    why_zh="报价排序后相邻差额之间的差异不超过平均差额的1%",
)
EQUAL_RATIOS = Rule(
    "P2",
    "报价呈等比规律",
    "prices in equal ratios",
    ART_40_4,
    threshold=0.0001,
    min_bids=3,
    why="the ratios between consecutive sorted prices differ by at most 0.0001",
    why_zh="报价排序后相邻比值之间的差异不超过0.0001",
)
TIGHT_BAND = Rule(
    "P3",
    "报价异常接近",
    "prices within a tiny band",
    ART_39,
    threshold=0.005,
    min_bids=3,
    why="the highest price is at most 0.5% above the lowest",
    why_zh="最高报价高出最低报价不超过0.5%",
)
COVER_ABOVE_WINNER = Rule(
    "P4",
    "其余报价均略高于中标候选人",
    "every losing bid just above the winner",
    ART_39,
    threshold=0.02,
    min_bids=3,
    why="every other bid is above the first candidate's price by at most 2% of it",
    why_zh="其余报价均高于第一中标候选人报价且高出不超过2%",
)
CEILING_FRACTIONS = Rule(
    "P5",
    "报价均为最高限价的整比例",
    "bids at fixed fractions of the ceiling",
    ART_40_4,
    threshold=0.005,
    min_bids=3,
    why="every bid is an exact multiple of 0.5% of the ceiling price, to the cent",
    why_zh="所有报价均恰为最高投标限价0.5%的整数倍（精确到分）",
)
PRICE_RULES = (EQUAL_STEPS, EQUAL_RATIOS, TIGHT_BAND, COVER_ABOVE_WINNER, CEILING_FRACTIONS)

SHARED = "two or more bidders of the lot share it"
SHARED_ZH = "同一标段两家及以上投标人相同"
SAME_DEVICE = Rule("E1", "同一设备编制", "sealed on the same device", ART_40_1, 2, 2, SHARED, SHARED_ZH)
SAME_UPLOADER = Rule("E2", "同一人办理投标", "handled by the same person", ART_40_2, 2, 2, SHARED, SHARED_ZH)
SAME_MANAGER = Rule("E3", "同一项目负责人", "the same project manager", ART_40_3, 2, 2, SHARED, SHARED_ZH)
SAME_FILE = Rule("E4", "文件异常一致", "identical attachments", ART_40_4, 2, 2, SHARED, SHARED_ZH)


@dataclass(frozen=True)
class Lots:
    """Bids of many lots, columnar: lot ``i`` owns rows ``offsets[i]:offsets[i+1]``.

    ``winners[i]`` is the row of the lot's first candidate, or -1 before the evaluation ranks it.
    """

    prices: Floats
    offsets: Ints
    ceilings: Floats
    winners: Ints

    @classmethod
    def of(
        cls, lots: Sequence[Sequence[float]], ceilings: Sequence[float], winners: Sequence[int] = ()
    ) -> Lots:
        """From plain lists; ``winners`` are positions within each lot (-1 for none)."""
        sizes = np.array([len(lot) for lot in lots], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        rows = np.array([-1 if w < 0 else offsets[i] + w for i, w in enumerate(winners)], dtype=np.int64)
        return cls(
            prices=np.array([p for lot in lots for p in lot], dtype=np.float64),
            offsets=offsets,
            ceilings=np.array(ceilings, dtype=np.float64),
            winners=rows if len(rows) else np.full(len(lots), -1, dtype=np.int64),
        )

    @property
    def sizes(self) -> Ints:
        return np.diff(self.offsets)


@dataclass(frozen=True)
class Flags:
    """One rule over a batch: which lots it flags and the figure that decided it, per lot."""

    rule: Rule
    flagged: Bools
    measure: Floats


def _lot_of_rows(lots: Lots) -> Ints:
    return np.repeat(np.arange(len(lots.sizes), dtype=np.int64), lots.sizes)


def _sorted_within_lots(lots: Lots) -> Floats:
    order = np.lexsort((lots.prices, _lot_of_rows(lots)))
    return lots.prices[order]


def _reduce(values: Floats, valid: Bools, lots: Lots, ufunc: np.ufunc, empty: float) -> Floats:
    """``ufunc`` over each lot's valid rows (``empty`` for a lot with none)."""
    masked = np.where(valid, values, empty)
    out = np.full(len(lots.sizes), empty, dtype=np.float64)
    nonempty = lots.sizes > 0
    if masked.size:
        out[nonempty] = ufunc.reduceat(masked, lots.offsets[:-1][nonempty])
    return out


def _steps(lots: Lots, ratio: bool) -> tuple[Floats, Bools]:
    """Gap (or ratio) between each sorted price and the next one in the same lot."""
    prices = _sorted_within_lots(lots)
    lot_of = _lot_of_rows(lots)
    nxt = np.append(prices[1:], np.nan)
    same_lot = np.append(lot_of[1:] == lot_of[:-1], False)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = nxt / prices if ratio else nxt - prices
    return np.where(same_lot, step, 0.0), same_lot


def equal_steps(lots: Lots, rule: Rule = EQUAL_STEPS) -> Flags:
    step, valid = _steps(lots, ratio=False)
    spread = _reduce(step, valid, lots, np.maximum, -np.inf) - _reduce(step, valid, lots, np.minimum, np.inf)
    mean = _reduce(step, valid, lots, np.add, 0.0) / np.maximum(lots.sizes - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        measure = np.where(mean > 0, spread / mean, np.inf)
    return Flags(rule, (lots.sizes >= rule.min_bids) & (measure <= rule.threshold), measure)


def equal_ratios(lots: Lots, rule: Rule = EQUAL_RATIOS) -> Flags:
    step, valid = _steps(lots, ratio=True)
    low = _reduce(step, valid, lots, np.minimum, np.inf)
    measure = _reduce(step, valid, lots, np.maximum, -np.inf) - low
    # Equal prices have ratio 1 everywhere: that is the tight band's case, not a progression.
    flagged = (lots.sizes >= rule.min_bids) & (low > 1) & (measure <= rule.threshold)
    return Flags(rule, flagged, measure)


def tight_band(lots: Lots, rule: Rule = TIGHT_BAND) -> Flags:
    valid = np.ones(lots.prices.size, dtype=np.bool_)
    low = _reduce(lots.prices, valid, lots, np.minimum, np.inf)
    high = _reduce(lots.prices, valid, lots, np.maximum, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        measure = np.where(low > 0, (high - low) / low, np.inf)
    return Flags(rule, (lots.sizes >= rule.min_bids) & (measure <= rule.threshold), measure)


def cover_above_winner(lots: Lots, rule: Rule = COVER_ABOVE_WINNER) -> Flags:
    """Every losing bid lies above the first candidate's price, and by at most the threshold."""
    ranked = lots.winners >= 0
    winner_price = np.full(len(lots.winners), np.nan)
    winner_price[ranked] = lots.prices[lots.winners[ranked]]
    per_row = np.repeat(winner_price, lots.sizes)
    losers = np.ones(lots.prices.size, dtype=np.bool_)
    losers[lots.winners[ranked]] = False
    with np.errstate(divide="ignore", invalid="ignore"):
        above = (lots.prices - per_row) / per_row
    lowest_gap = _reduce(above, losers, lots, np.minimum, np.inf)
    measure = _reduce(above, losers, lots, np.maximum, -np.inf)
    flagged = ranked & (lots.sizes >= rule.min_bids) & (lowest_gap > 0) & (measure <= rule.threshold)
    return Flags(rule, flagged, measure)


def ceiling_fractions(lots: Lots, rule: Rule = CEILING_FRACTIONS) -> Flags:
    """Every bid is a whole number of ``threshold`` steps of the ceiling, rounded to the cent."""
    ceiling = np.repeat(lots.ceilings, lots.sizes)
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.round(lots.prices / ceiling / rule.threshold)
    nearest = np.round(steps * rule.threshold * ceiling, 2)
    exact = (ceiling > 0) & (np.abs(lots.prices - nearest) < 0.005)
    all_rows = np.ones_like(exact)
    share = _reduce(exact.astype(np.float64), all_rows, lots, np.add, 0.0) / np.maximum(lots.sizes, 1)
    return Flags(rule, (lots.sizes >= rule.min_bids) & (share == 1.0), share)


PRICE_INDICATORS = (equal_steps, equal_ratios, tight_band, cover_above_winner, ceiling_fractions)


def price_flags(lots: Lots) -> list[Flags]:
    return [indicator(lots) for indicator in PRICE_INDICATORS]


@dataclass(frozen=True)
class SharedGroup:
    """Bidders of one lot who share one piece of evidence (a device, an uploader, a manager, a file)."""

    lot: int
    key: int
    bidders: tuple[int, ...]


def shared_evidence(lot: Ints, bidder: Ints, key: Ints) -> list[SharedGroup]:
    """Groups of two or more distinct bidders in the same lot with the same evidence ``key``.

    Rows are (lot, bidder, key) triples, one per piece of evidence a bid carries (a bid sealed on two
    devices gives two rows); keys are integers (the caller numbers hashes, e.g. with ``np.unique``).
    """
    triples = distinct_rows(lot, key, bidder)
    starts, counts = runs(triples[:, :2])
    return [
        SharedGroup(int(triples[s, 0]), int(triples[s, 1]), tuple(int(b) for b in triples[s : s + n, 2]))
        for s, n in zip(starts[counts >= 2], counts[counts >= 2], strict=True)
    ]
