"""What a tender draft is made of, and its validation: categories, methods, money, custody, rules.

Pure (no I/O): ``validated`` turns a ``NewTender`` into column values or raises InvalidInput.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Protocol

import msgspec

from bidding import criteria as crit
from bidding.common import CODE
from bidding.lifecycle import LifecycleError, Rules
from core.errors import InvalidInput
from core.numbers import CREDIT_INDEX, decimal_input, money_input
from core.texts import AgeRecipientText, CreditIndexDecimal, MoneyDecimal
from crypto.age import AgeError, X25519Recipient

CATEGORIES = {
    "construction": ("工程建设", "Construction works"),
    "goods": ("货物", "Goods"),
    "services": ("服务", "Services"),
    "land": ("土地使用权", "Land use rights"),
    "mineral": ("矿业权", "Mineral rights"),
    "property": ("国有产权", "State property rights"),
    "other": ("其他", "Other"),
}
METHODS = {
    "open": ("公开招标", "Open tendering"),
    "invited": ("邀请招标", "Invited tendering"),
    "negotiation": ("竞争性谈判", "Competitive negotiation"),
    "consultation": ("竞争性磋商", "Competitive consultation"),
    "inquiry": ("询价", "Request for quotation"),
    "listing": ("挂牌出让", "Listing"),
    "auction": ("拍卖出让", "Auction"),
}
BOND_FORMS = {
    "deposit": ("保证金", "Cash deposit"),
    "guarantee_letter": ("银行保函", "Bank guarantee letter"),
    "guarantee_insurance": ("保证保险", "Guarantee insurance"),
}
# 《招标投标法实施条例》第二十六条: the bid bond (投标保证金, cash or guarantee) is at most 2% of the lot's
# estimated price (估算价: the lot's budget). The one definition: guarantees' rules apply the same cap to
# a guarantee's and a deposit's amount (through bidding.service).
BOND_ARTICLE = "《招标投标法实施条例》第二十六条"
BOND_MAX_SHARE = Decimal("0.02")
MIB = 1024 * 1024
MAX_ENVELOPE_MIB = 8 * 1024  # the platform's ceiling; each tender sets its own below it
CONFIRM_MINUTES = 10  # default time for bidders to confirm or object to the 唱标
LOT_REQUIRED = "招标项目至少须有一个标段 (a tender needs at least one lot: lots is empty)"
MAX_MINUTES = 24 * 60  # a decryption window or confirmation time longer than a day is a mistake


# The closed sets and bounds above, as the types of a draft's fields: the API's schema states them
# and refuses a body outside them (400); ``validated`` checks them again for the editor's form.
Category = Literal["construction", "goods", "services", "land", "mineral", "property", "other"]
Method = Literal["open", "invited", "negotiation", "consultation", "inquiry", "listing", "auction"]
BondForm = Literal["deposit", "guarantee_letter", "guarantee_insurance"]
Amount = MoneyDecimal
Minutes = Annotated[int, msgspec.Meta(ge=1, le=MAX_MINUTES)]
TENDER_CODE_HELP = "tender code (项目编号): 3-40 letters, digits or '-', starting with a letter or digit"
LOT_HELP = "lot number (标段编号): 1-38 letters, digits or '-', unique in the tender"
LOT_PATTERN = r"^[A-Za-z0-9-]{1,38}$"
LotNumber = Annotated[str, msgspec.Meta(pattern=LOT_PATTERN, description=LOT_HELP)]
# a lot another context names (a complaint's, an objection's): the service checks it is one of the tender's
# lots (422), so the pattern is stated for the schema only
LotNumberText = Annotated[str, msgspec.Meta(description=LOT_HELP, extra_json_schema={"pattern": LOT_PATTERN})]
TenderCodeText = Annotated[str, msgspec.Meta(pattern=CODE.pattern, description=TENDER_CODE_HELP)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]


class LotInput(msgspec.Struct):
    number: LotNumber
    title: Annotated[str, msgspec.Meta(max_length=200, description="empty: the tender's title")]
    budget: Amount
    ceiling_price: Amount


class CustodianInput(msgspec.Struct, kw_only=True):
    recipient: Annotated[
        AgeRecipientText, msgspec.Meta(min_length=1, description="the custodian's age recipient (age1…)")
    ]
    index: Annotated[int, msgspec.Meta(ge=1, le=255)] | None = None  # default: its place in the list
    share: Annotated[
        str | None, msgspec.Meta(description="the custodian's sealed share, as the armored age file")
    ] = None


class CustodyInput(msgspec.Struct, kw_only=True):
    """The key ceremony's public part (`sunbid custody init` writes it as ceremony.json): ``threshold``
    of the custodians (2..n when there are any) open what bidders did not."""

    threshold: Annotated[int, msgspec.Meta(ge=0, le=255)] = 0
    custodians: list[CustodianInput] = msgspec.field(default_factory=list)
    opening_recipient: AgeRecipientText | None = None  # when given, it must be the tender's opening recipient


Days = Annotated[int, msgspec.Meta(ge=0, le=3650)]


class RulesInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A tender's periods where it is stricter than the statutory defaults (lifecycle.Rules, each with
    its article there); an omitted one keeps its default, and none may be looser than the law's."""

    min_notice_days: Days | None = None
    min_registration_days: Days | None = None
    amendment_min_days: Days | None = None
    clarification_min_days: Days | None = None
    publicity_days: Days | None = None
    min_valid_bids: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None
    decryption_minutes: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)] | None = None
    opening_autostart_minutes: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)] | None = None
    day_seconds: (
        Annotated[
            int,
            msgspec.Meta(ge=1, le=86_400, description="one statutory day; only training tenders shorten it"),
        ]
        | None
    ) = None

    def given(self) -> dict[str, int]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class NewTender(msgspec.Struct, kw_only=True):
    """A tender draft: ``POST /api/tenders`` with the same code replaces the draft (idempotent)."""

    code: TenderCodeText
    title: Title
    category: Category
    method: Method
    region_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$", description="region code (行政区划码)")]
    budget: Amount
    ceiling_price: Annotated[MoneyDecimal, msgspec.Meta(description="最高投标限价, at most the budget")]
    bond_amount: Amount
    registration_start: datetime
    registration_end: datetime
    clarification_deadline: datetime
    bid_deadline: datetime
    opening_recipient: Annotated[
        AgeRecipientText,
        msgspec.Meta(min_length=1, max_length=100, description="the tender's opening age recipient (age1…)"),
    ]
    # required when an agent drafts; a tenderer drafts for itself
    tenderer_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    bond_forms: Annotated[list[BondForm], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["deposit", "guarantee_letter", "guarantee_insurance"]
    )
    criteria: Annotated[
        crit.Criteria | None,
        msgspec.Meta(description="evaluation criteria (评标办法); default: comprehensive, 30/10/60"),
    ] = None
    form_fields: (
        Annotated[
            list[crit.FormField],
            msgspec.Meta(min_length=1, description="the bid form's fields; default: price, duration…"),
        ]
        | None
    ) = None
    lots: Annotated[list[LotInput], msgspec.Meta(min_length=1)] | None = None
    custody: CustodyInput | None = None
    description: str = ""
    max_envelope_mib: Annotated[int, msgspec.Meta(ge=1, le=MAX_ENVELOPE_MIB)] = 512
    min_credit_index: CreditIndexDecimal = Decimal(60)
    rules: RulesInput | None = None
    publish_contract_document: Annotated[
        bool, msgspec.Meta(description="the signed contract is published with its document (合同文本)")
    ] = False
    decryption_minutes: Minutes | None = None
    confirm_minutes: Minutes | None = None  # bidders confirm or object to the 唱标 within this time
    # 培训项目: periods on the training clock, watermarked, never public (SUNBID_TRAINING forces it)
    training: bool = False


class Amendment(msgspec.Struct, kw_only=True):
    """An amendment notice (变更公告); a new bid deadline, if any, must keep the statutory periods."""

    title: Title
    body: Annotated[str, msgspec.Meta(pattern=r"\S", description="the notice's text")]
    bid_deadline: datetime | None = None


def money(value: Decimal, what: str) -> Decimal:
    """A non-negative amount in yuan, 2 places, at most 16 integer digits (Numeric(18, 2))."""
    return money_input(value, f"{what} 须为非负金额 (a non-negative amount in yuan)")


def max_bond(estimated_price: Decimal) -> Decimal:
    """Art. 26: the largest bid bond a lot of this estimated price may ask for (2%, to the fen)."""
    return (estimated_price * BOND_MAX_SHARE).quantize(Decimal("0.01"))


class Estimated(Protocol):
    """A lot as a draft names it (``LotInput``) or as it is stored (``Lot``)."""

    @property
    def number(self) -> str: ...
    @property
    def budget(self) -> Decimal: ...


def check_bond(bond: Decimal, lots: Sequence[Estimated]) -> None:
    """Art. 26 at the tender: its bond is asked of every bid on every lot, so it may not exceed 2% of
    any lot's estimated price (exactly 2% is allowed; one fen more is not)."""
    for lot in lots:
        cap = max_bond(lot.budget)
        if bond > cap:
            raise InvalidInput(
                f"投标保证金 {bond:,.2f} 元超过标段 {lot.number} 估算价 {lot.budget:,.2f} 元的2%"
                f"（上限 {cap:,.2f} 元，{BOND_ARTICLE}） (the bid bond of {bond:,.2f} CNY exceeds 2% of "
                f"lot {lot.number}'s estimated price of {lot.budget:,.2f} CNY: at most {cap:,.2f} CNY, "
                "Art. 26 of the Regulations on the Implementation of the Bidding Law)",
                code="bond_over_limit",
            )


def validate_custody(
    recipient: str, custody: CustodyInput | dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """The opening recipient and the ceremony's public part (``sunbid custody init`` output, its
    ceremony.json as it is: fields beyond ``CustodyInput``'s are ignored)."""
    try:
        opening = X25519Recipient.from_str(recipient.strip()).to_str()
    except (AgeError, ValueError):
        raise InvalidInput(
            "开标公钥不是有效的 age 接收方 (opening recipient is not an age X25519 recipient): "
            f"{recipient[:80]!r}",
            code="bad_opening_recipient",
        ) from None
    if isinstance(custody, dict):
        try:
            custody = msgspec.convert(custody, CustodyInput)
        except msgspec.ValidationError as exc:
            raise InvalidInput(f"custody: {exc}", code="bad_custody") from None
    custody = custody or CustodyInput()
    threshold = custody.threshold
    cleaned = []
    for i, item in enumerate(custody.custodians, 1):
        try:
            rcpt = X25519Recipient.from_str(item.recipient.strip()).to_str()
        except (AgeError, ValueError):
            raise InvalidInput(
                f"custody: custodian {i} recipient is not an age recipient", code="bad_custody"
            ) from None
        if item.share is not None and "BEGIN AGE ENCRYPTED FILE" not in item.share:
            raise InvalidInput(
                f"custody: custodian {i} share must be the armored share file", code="bad_custody"
            )
        cleaned.append({"index": item.index or i, "recipient": rcpt, "share": item.share})
    if len({c["recipient"] for c in cleaned}) != len(cleaned):
        raise InvalidInput("custody: custodians must be distinct", code="bad_custody")
    if cleaned and not 2 <= threshold <= len(cleaned):
        raise InvalidInput(f"custody: threshold must be 2..{len(cleaned)}", code="bad_custody")
    if custody.opening_recipient not in (None, opening):
        raise InvalidInput("custody: the ceremony names another opening recipient", code="bad_custody")
    return opening, {"threshold": threshold if cleaned else 0, "custodians": cleaned}


def validated(new: NewTender, *, training: bool = False) -> dict[str, Any]:
    """The draft's columns; ``training`` (or ``new.training``) puts its periods on the training clock."""
    training = training or new.training is True
    if not CODE.match(new.code):
        raise InvalidInput("项目编号须为3-40位字母、数字或 - (code: 3-40 of A-Z, 0-9, '-')", code="bad_code")
    if not new.title.strip():
        raise InvalidInput("项目名称不能为空 (title is required)", code="title_required")
    if new.category not in CATEGORIES:
        raise InvalidInput(
            f"交易类别须为 {', '.join(CATEGORIES)} 之一 (unknown category)", code="bad_category"
        )
    if new.method not in METHODS:
        raise InvalidInput(f"采购方式须为 {', '.join(METHODS)} 之一 (unknown method)", code="bad_method")
    bad_forms = [f for f in new.bond_forms if f not in BOND_FORMS]
    if bad_forms or not new.bond_forms:
        raise InvalidInput(f"保证金形式须为 {', '.join(BOND_FORMS)} (bond forms)", code="bad_bond_forms")
    budget, ceiling = money(new.budget, "预算 budget"), money(new.ceiling_price, "最高投标限价 ceiling price")
    if ceiling > budget:
        raise InvalidInput(
            "最高投标限价不得高于预算 (ceiling price above budget)", code="ceiling_above_budget"
        )
    for name in ("decryption_minutes", "confirm_minutes"):
        minutes = getattr(new, name)
        if minutes is not None and (
            not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_MINUTES
        ):
            raise InvalidInput(f"{name} must be 1..{MAX_MINUTES} minutes", code=f"bad_{name}")
    if not 1 <= new.max_envelope_mib <= MAX_ENVELOPE_MIB:
        raise InvalidInput(f"max_envelope_mib must be 1..{MAX_ENVELOPE_MIB}", code="bad_size_limit")
    min_credit_index = decimal_input(
        new.min_credit_index, "min_credit_index", CREDIT_INDEX, code="bad_credit_gate"
    )
    try:
        floor = Rules.for_category(new.category, training=training)
        rules = Rules.from_dict({**floor.to_dict(), **(new.rules.given() if new.rules else {})})
        criteria = crit.validate_criteria(new.criteria) if new.criteria else crit.default_criteria()
        form_fields = crit.validate_form_fields(new.form_fields or crit.DEFAULT_FORM_FIELDS)
    except (LifecycleError, crit.CriteriaError) as exc:
        raise InvalidInput(
            str(exc), code="bad_criteria" if isinstance(exc, crit.CriteriaError) else exc.code
        ) from None
    if looser := rules.at_least(floor):
        raise InvalidInput(f"规则不得低于法定标准 (rules below the statutory minimum): {'; '.join(looser)}")
    if new.lots is not None and not new.lots:
        raise InvalidInput(LOT_REQUIRED, code="lot_required")
    lots = new.lots or [LotInput("1", new.title, budget, ceiling)]
    numbers = [lot.number.strip() for lot in lots]
    if len(set(numbers)) != len(numbers) or not all(CODE.match(f"L-{n}") for n in numbers):
        raise InvalidInput(
            "标段编号须唯一，且为字母数字 (lot numbers: unique, letters/digits)", code="bad_lots"
        )
    for lot in lots:
        if money(lot.ceiling_price, "lot ceiling") > money(lot.budget, "lot budget"):
            raise InvalidInput(
                f"标段 {lot.number}: 最高投标限价不得高于预算 (ceiling above budget)", code="bad_lots"
            )
    bond = money(new.bond_amount, "保证金 bond")
    check_bond(bond, lots)
    opening, custody = validate_custody(new.opening_recipient, new.custody)
    return {
        "title": new.title.strip(),
        "category": new.category,
        "method": new.method,
        "region_code": new.region_code,
        "budget": budget,
        "ceiling_price": ceiling,
        "bond_amount": bond,
        "bond_forms": sorted(set(new.bond_forms)),
        "description": new.description.strip(),
        "registration_start": new.registration_start,
        "registration_end": new.registration_end,
        "clarification_deadline": new.clarification_deadline,
        "bid_deadline": new.bid_deadline,
        "decryption_minutes": new.decryption_minutes or rules.decryption_minutes,
        "confirm_minutes": new.confirm_minutes or (1 if training else CONFIRM_MINUTES),
        "training": training,
        "criteria": criteria,
        "form_fields": form_fields,
        "rules": rules.to_dict()
        | ({"publish_contract_document": 1} if new.publish_contract_document else {}),
        "opening_recipient": opening,
        "custody": custody,
        "max_envelope_bytes": new.max_envelope_mib * MIB,
        "min_credit_index": min_credit_index,
        "_lots": lots,
    }
