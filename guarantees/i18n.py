"""guarantees' page texts (zh, en)."""

from __future__ import annotations

from core.i18n import register_messages

MESSAGES: dict[str, tuple[str, str]] = {
    "guarantees.verify": ("电子保函查验", "Verify an electronic guarantee"),
    "guarantees.verify_hint": (
        "输入保函编号查验其真伪。开标记录公布前只显示该编号确有其保函（状态和所担保的投标在开标前保密）；"
        "开标后显示其状态、出具机构、金额、有效期和所担保的投标。出具机构、投标人和监督人员随时可查看自己的保函。",
        "Enter a guarantee number to check it. Until the opening record is published only that the number "
        "exists is shown (its status and the bid it secures stay secret until the opening); after it, its "
        "status, issuer, amount, validity and the bid it secures. Its issuer, its bidder and supervisors "
        "see their own at any time.",
    ),
    "guarantees.number": ("保函编号", "Guarantee number"),
    "guarantees.check": ("查验", "Check"),
    "guarantees.status": ("状态", "Status"),
    "guarantees.status.valid": ("有效", "Valid"),
    "guarantees.status.claimed": ("已索赔，待担保机构答复", "Claimed, awaiting the guarantor"),
    "guarantees.status.paid": ("已赔付", "Paid out"),
    "guarantees.sealed": ("开标前保密", "Sealed until the opening"),
    "guarantees.issuer": ("出具机构", "Issuer"),
    "guarantees.kind": ("保函类型", "Kind"),
    "guarantees.kind.guarantee_letter": ("银行保函", "Bank guarantee letter"),
    "guarantees.kind.guarantee_insurance": ("保证保险", "Guarantee insurance"),
    "guarantees.kind.guarantor_letter": ("担保公司保函", "Guarantee company letter"),
    "guarantees.amount": ("担保金额", "Amount"),
    "guarantees.valid_until": ("有效期至", "Valid until"),
    "guarantees.tender": ("招标项目", "Tender"),
    "guarantees.lot": ("标段", "Lot"),
    "guarantees.bidder": ("投标人", "Bidder"),
    "guarantees.not_found": ("没有这个编号的保函", "No guarantee has this number"),
    "guarantees.refunds": ("保证金退还", "Deposit refunds"),
    "guarantees.refunds_hint": (
        "签订书面合同后5日内退还投标保证金及银行同期存款利息（《招标投标法实施条例》第五十七条）。",
        "Deposits are refunded with interest within 5 days after the contract is signed (Art. 57).",
    ),
    "guarantees.due": ("退还期限", "Refund due"),
    "guarantees.payer": ("付款账号", "Payer account"),
    "guarantees.none": ("没有待退还的保证金", "No refund is due"),
    "guarantees.verify_nav": ("保函查验", "Verify a guarantee"),
    "guarantees.mine": ("本机构保函", "Our guarantees"),
    "guarantees.mine_hint": (
        "本机构出具的电子保函，最新的在前。开标后任何人可凭编号查验。",
        "The electronic guarantees your institution issued, newest first. Anyone may check a number "
        "after the opening.",
    ),
    "guarantees.issued_at": ("出具时间", "Issued"),
    "guarantees.purpose": ("担保事项", "Secures"),
    "guarantees.purpose.bid": ("投标", "The bid"),
    "guarantees.purpose.performance": ("合同履约", "The contract's performance"),
    "guarantees.none_issued": ("本机构尚未出具保函", "Your institution has issued no guarantee yet"),
}

register_messages(MESSAGES)
