"""The statutory rules on bid guarantees and deposits, as data with their articles (pure: no I/O).

《招标投标法实施条例》:
- Art. 26: the bid bond (投标保证金, in cash or as a guarantee) is at most 2% of the lot's estimated price,
  and its validity runs at least as long as the bid validity period (投标有效期).
- Art. 31: a procedure ending without a contract refunds the bid bonds promptly (here: 5 days).
- Art. 57: the tenderer refunds the bid bond, with the bank's deposit interest, within 5 days after the
  contract is signed.
- Art. 58: a performance bond (履约保证金) the tender asks for is at most 10% of the contract amount; it
  may be a guarantee issued like a bid guarantee, valid until the contract is performed.
- Art. 74: a winner who refuses to sign the contract (or withdraws its bid after the deadline) loses its
  bid bond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, get_args

from bidding.service import BOND_ARTICLE, BOND_MAX_SHARE, max_bond
from core.clock import end_of_days_after

GUARANTEE_TYPE = "sunbid.bid-guarantee.v1"
PERFORMANCE_TYPE = "sunbid.performance-guarantee.v1"
BID, PERFORMANCE = "bid", "performance"  # what a guarantee secures (``Guarantee.purpose``)
PURPOSES = {BID: ("投标保函", "bid guarantee"), PERFORMANCE: ("履约保函", "performance guarantee")}
TYPE_OF = {BID: GUARANTEE_TYPE, PERFORMANCE: PERFORMANCE_TYPE}
KINDS = {
    "guarantee_letter": ("银行保函", "Bank guarantee letter"),
    "guarantee_insurance": ("保证保险", "Guarantee insurance"),
    "guarantor_letter": ("担保公司保函", "Guarantee company letter"),
}


@dataclass(frozen=True)
class Rule:
    code: str
    article: str
    zh: str
    en: str


MAX_SHARE = BOND_MAX_SHARE  # of the lot's estimated price: bidding's one definition, also at the tender
AMOUNT_RULE = Rule(
    "amount_over_limit",
    BOND_ARTICLE,
    "投标保证金不得超过招标项目估算价的2%",
    "a bid bond may not exceed 2% of the lot's estimated price",
)
BID_VALIDITY_DAYS = 90  # 投标有效期 from the bid deadline, unless the tender's criteria say otherwise
VALIDITY_RULE = Rule(
    "validity_too_short",
    "《招标投标法实施条例》第二十六条",
    "投标保证金有效期应当与投标有效期一致",
    "a bid bond must stay valid for the whole bid validity period",
)
PERFORMANCE_SHARE = Decimal("0.10")  # of the contract amount
PERFORMANCE_RULE = Rule(
    "performance_over_limit",
    "《招标投标法实施条例》第五十八条",
    "履约保证金不得超过中标合同金额的10%",
    "a performance bond may not exceed 10% of the contract amount",
)
PERFORMANCE_VALIDITY_RULE = Rule(
    "performance_validity_too_short",
    "《招标投标法实施条例》第五十八条",
    "履约保函有效期应当覆盖合同履行期",
    "a performance guarantee must stay valid until the contract is performed",
)
REFUND_DAYS = 5  # after the contract is signed
REFUND_RULE = Rule(
    "refund_due",
    "《招标投标法实施条例》第五十七条",
    "签订书面合同后5日内退还投标保证金及银行同期存款利息",
    "refund the bid bond with interest within 5 days after the contract is signed",
)
FORFEIT_RULE = Rule(
    "forfeited",
    "《招标投标法实施条例》第七十四条",
    "中标人无正当理由不与招标人订立合同的，取消其中标资格，投标保证金不予退还",
    "a winner refusing to sign the contract loses its bid bond",
)
PERFORMANCE_CLAIM_RULE = Rule(
    "failed_to_perform",
    "《招标投标法》第六十条",
    "中标人不履行与招标人订立的合同的，履约保证金不予退还",
    "a winner failing to perform the contract loses its performance bond",
)
CLAIM_REASONS = {
    "refused_to_sign": ("中标人无正当理由拒签合同", "the winner refused to sign the contract", FORFEIT_RULE),
    "withdrew_after_deadline": (
        "投标截止后撤销投标文件",
        "the bidder withdrew its bid after the deadline",
        Rule(
            "withdrew",
            "《招标投标法实施条例》第三十五条",
            "投标截止后撤销投标文件的，投标保证金可不退还",
            "a bid withdrawn after the deadline may lose its bond",
        ),
    ),
    "failed_to_perform": (
        "中标人不履行合同",
        "the supplier failed to perform the contract",
        PERFORMANCE_CLAIM_RULE,
    ),
}
ClaimReason = Literal["refused_to_sign", "withdrew_after_deadline", "failed_to_perform"]
assert set(get_args(ClaimReason)) == set(CLAIM_REASONS)  # the schema's enum is the code's set
REFUSED_TO_SIGN, WITHDREW = "refused_to_sign", "withdrew_after_deadline"
REASONS_FOR = {BID: (REFUSED_TO_SIGN, WITHDREW), PERFORMANCE: ("failed_to_perform",)}


class RuleBroken(ValueError):
    def __init__(self, rule: Rule, detail: str) -> None:
        super().__init__(f"{rule.zh}（{rule.article}）: {detail} ({rule.en})")
        self.rule = rule
        self.detail = f"{rule.zh}（{rule.article}）：{detail} ({rule.en})"


def max_amount(estimated_price: Decimal) -> Decimal:
    return max_bond(estimated_price)


def check_amount(amount: Decimal, estimated_price: Decimal) -> None:
    """Art. 26: ``amount`` ≤ 2% of the estimated price (exactly 2% is allowed; one fen more is not)."""
    limit = max_amount(estimated_price)
    if amount > limit:
        raise RuleBroken(AMOUNT_RULE, f"{amount:,.2f} 元 > {limit:,.2f} 元")


def bid_validity_days(criteria: dict[str, Any] | None) -> int:
    value = (criteria or {}).get("bid_validity_days")
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else BID_VALIDITY_DAYS
    )


def required_until(bid_deadline: datetime, criteria: dict[str, Any] | None) -> datetime:
    """The end of the bid validity period: the guarantee must be valid at least until then."""
    return bid_deadline + timedelta(days=bid_validity_days(criteria))


def check_validity(valid_until: datetime, bid_deadline: datetime, criteria: dict[str, Any] | None) -> None:
    """Art. 26: valid until at least the end of the bid validity period (that very minute is enough)."""
    needed = required_until(bid_deadline, criteria)
    if valid_until < needed:
        raise RuleBroken(VALIDITY_RULE, f"{valid_until.isoformat()} < {needed.isoformat()}")


# 《招标投标法实施条例》第三十一条: a procedure that ends without a contract (terminated, failed, or the lot
# tendered again after the winner's contract ended) refunds the bid bonds with interest "及时" (promptly);
# the platform holds the centre to the same 5 days as after a signing.
RELEASE_DAYS = 5
RELEASE_RULE = Rule(
    "refund_on_end",
    "《招标投标法实施条例》第三十一条",
    "招标终止、流标或重新招标的，应当及时退还所收取的投标保证金及银行同期存款利息（本平台：5日内）",
    "when the procedure ends without a contract (terminated, failed or tendered again), refund the bid "
    "bonds with interest promptly (here: within 5 days)",
)


def release_due(ended_at: datetime) -> datetime:
    """Art. 31: the refund is due within 5 days (the platform's "promptly") after the procedure ended,
    counted in Beijing calendar days as ``refund_due`` counts them."""
    return end_of_days_after(ended_at, RELEASE_DAYS)


def refund_due(contract_signed_at: datetime) -> datetime:
    """Art. 57: the refund is due within 5 days after the contract is signed, counted as the law counts
    days in Beijing: the last allowed instant is the end (23:59:59.999999) of the 5th calendar day after
    the signing day; any moment after it is late."""
    return end_of_days_after(contract_signed_at, REFUND_DAYS)


def max_performance_amount(contract_amount: Decimal) -> Decimal:
    return (contract_amount * PERFORMANCE_SHARE).quantize(Decimal("0.01"))


def check_performance_amount(amount: Decimal, contract_amount: Decimal) -> None:
    """Art. 58: ``amount`` ≤ 10% of the contract amount (exactly 10% is allowed; one fen more is not)."""
    limit = max_performance_amount(contract_amount)
    if amount > limit:
        raise RuleBroken(PERFORMANCE_RULE, f"{amount:,.2f} 元 > {limit:,.2f} 元")


def check_cover(valid_until: datetime, cover_until: datetime | None, now: datetime) -> None:
    """Art. 58: valid until the end of the contract's performance (the last milestone's day; that very
    minute is enough), and in any case still valid now."""
    needed = max(cover_until, now) if cover_until is not None else now
    if valid_until < needed:
        raise RuleBroken(PERFORMANCE_VALIDITY_RULE, f"{valid_until.isoformat()} < {needed.isoformat()}")
