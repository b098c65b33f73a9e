"""The statutory rules on bid guarantees and deposits, as data with their articles (pure: no I/O).

《招标投标法实施条例》:
- Art. 26: the bid bond (投标保证金, in cash or as a guarantee) is at most 2% of the lot's estimated price,
  and its validity runs at least as long as the bid validity period (投标有效期).
- Art. 57: the tenderer refunds the bid bond, with the bank's deposit interest, within 5 days after the
  contract is signed.
- Art. 74: a winner who refuses to sign the contract (or withdraws its bid after the deadline) loses its
  bid bond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

GUARANTEE_TYPE = "sunbid.bid-guarantee.v1"
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


MAX_SHARE = Decimal("0.02")  # of the lot's estimated price
AMOUNT_RULE = Rule(
    "amount_over_limit",
    "《招标投标法实施条例》第二十六条",
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
}


class RuleBroken(ValueError):
    def __init__(self, rule: Rule, detail: str) -> None:
        super().__init__(f"{rule.zh}（{rule.article}）: {detail} ({rule.en})")
        self.rule = rule
        self.detail = f"{rule.zh}（{rule.article}）：{detail} ({rule.en})"


def max_amount(estimated_price: Decimal) -> Decimal:
    return (estimated_price * MAX_SHARE).quantize(Decimal("0.01"))


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


def refund_due(contract_signed_at: datetime) -> datetime:
    """Art. 57: the refund is due 5 days after the contract is signed."""
    return contract_signed_at + timedelta(days=REFUND_DAYS)
