"""The integrity context's use cases: the red flags of each opened lot of a tender, and the tenders to
look at first, for the supervisors (监督人员) only.

The flags of a tender's page are computed when asked, from what bidding and evaluation already hold
(the 唱标 rows of a closed opening, the lot's ceiling, the committee's first candidate, and the evidence
bidding captured at the upload and the opening: ``bidding.service.lot_evidence``), through their
services: after the opening they cover the prices, the project managers, the shared devices, accounts,
addresses, files and authors, the documents' similarity and mix-ups; once the committee has ranked, the
covers above the first candidate too. The list across tenders reads the flags stored at each lot's
opening and after its evaluation (integrity/stored.py). Nothing is shown to anyone but supervisors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bidding import service as bidding
from core.accounts import Principal
from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.runtime import Db, Runtime
from credit import service as credit
from evaluation import service as evaluation
from guarantees import service as guarantees
from integrity.events import INTEGRITY_FLAG_DISMISSED, INTEGRITY_FLAG_REFERRED
from integrity.evidence import (
    MIXED_UP,
    SAME_ACCOUNT,
    SAME_AUTHOR,
    SAME_IP,
    TEXT_SIMILARITY,
    account_key,
    author_key,
    groups_by,
    masked_account,
    mixed_up,
    public_address,
    similar_texts,
)
from integrity.indicators import (
    SAME_DEVICE,
    SAME_FILE,
    SAME_MANAGER,
    SAME_UPLOADER,
    Lots,
    Rule,
    price_flags,
)
from integrity.models import Decision, FlagDecision, MarketBid

LIST_LIMIT = 100


@dataclass(frozen=True)
class RaisedFlag:
    rule: Rule
    bidders: tuple[str, ...]  # the bidders' names the flag concerns
    figures: tuple[str, ...]  # the numbers that raised it, as shown to the supervisor
    measure: float | None
    codes: tuple[str, ...] = ()  # the same bidders' credit codes
    decision: FlagDecision | None = None
    # Which group of the rule this is, when one rule can raise several groups in a lot (two different
    # shared files under E4, two pairs under T1): a digest of the shared value or of the pair's codes,
    # so each group is decided on its own. "" for the price rules, which raise one flag per lot.
    group: str = ""


def group_key(value: str) -> str:
    """A flag group's key: 16 hex digits of the SHA-256 of what the group shares (stable across
    recomputations, and not the value itself, which may be a fingerprint or an ID-number digest)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


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
    bids: list[bidding.OpenedBid],
    ceiling: Decimal,
    first_candidate_code: str | None,
    evidence: Mapping[str, bidding.BidEvidence] | None = None,
    accounts: Mapping[str, Sequence[str]] | None = None,
) -> list[RaisedFlag]:
    """Every indicator over one lot's opened bids (pure: the page's worked examples call it directly).

    ``evidence`` (by submission id) is what bidding captured at the upload and the opening; without it
    only the prices and the named project managers are read. ``accounts`` (by bidder credit code) are
    the accounts the bidders' cash deposits were paid from (guarantees)."""
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
    found_of = [(evidence or {}).get(b.submission_id) for b in bids]
    flags += _manager_flags(bids, found_of)
    if evidence:
        flags += evidence_flags(bids, found_of)
    if accounts:
        flags += account_flags(bids, accounts)
    return flags


def account_flags(bids: list[bidding.OpenedBid], accounts: Mapping[str, Sequence[str]]) -> list[RaisedFlag]:
    """E7: deposits of different bidders paid from the same account (Art. 40(6)); the flag shows the
    account's last four characters only."""
    keys = [sorted({k for a in accounts.get(b.bidder_code, ()) if (k := account_key(a))}) for b in bids]
    groups, values = groups_by(keys)
    return [
        RaisedFlag(
            SAME_ACCOUNT,
            tuple(bids[i].bidder_name for i in group.bidders),
            (f"付款账号 (payer account) {masked_account(values[group.key])}",),
            None,
            tuple(bids[i].bidder_code for i in group.bidders),
            group=group_key(values[group.key]),
        )
        for group in groups
    ]


def _manager_flags(
    bids: list[bidding.OpenedBid], found_of: list[bidding.BidEvidence | None]
) -> list[RaisedFlag]:
    """E3: the same project manager — by ID number where the bid gave one (bid.json ``project_manager_id``,
    keyed at the opening), else by the name written in the bid."""
    keys: list[list[str]] = []
    shown: dict[str, str] = {}
    for bid, found in zip(bids, found_of, strict=True):
        if found is not None and found.manager_id:
            key = f"id:{found.manager_id}"
            shown.setdefault(
                key,
                f"{bid.project_manager or ''}（身份证号末四位 / ID number ending {found.manager_id_tail}）",
            )
        elif name := _manager_key(bid.project_manager):
            key = f"name:{name}"
            shown.setdefault(key, str(bid.project_manager))
        else:
            keys.append([])
            continue
        keys.append([key])
    groups, values = groups_by(keys)
    return [
        RaisedFlag(
            SAME_MANAGER,
            tuple(bids[i].bidder_name for i in group.bidders),
            (shown[values[group.key]],),
            None,
            tuple(bids[i].bidder_code for i in group.bidders),
            group=group_key(values[group.key]),
        )
        for group in groups
    ]


def _files(found: bidding.BidEvidence | None) -> tuple[dict[str, Any], ...]:
    return found.files if found is not None else ()


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def evidence_flags(
    bids: list[bidding.OpenedBid], found_of: list[bidding.BidEvidence | None]
) -> list[RaisedFlag]:
    """E1, E2, E4, E5, E6, T1 and M1 over the captured evidence of one lot's bids."""
    names = [b.bidder_name for b in bids]
    codes = [b.bidder_code for b in bids]

    def per_bid(pick: Callable[[bidding.BidEvidence], Iterable[str | None]]) -> list[list[str]]:
        return [sorted({v for v in pick(f) if v}) if f is not None else [] for f in found_of]

    shared: list[tuple[Rule, list[list[str]], Callable[[str], str]]] = [
        (SAME_DEVICE, per_bid(lambda f: (f.device,)), lambda v: f"设备指纹 (device fingerprint) {_short(v)}"),
        (SAME_UPLOADER, per_bid(lambda f: (f.uploader,)), lambda v: f"上传账号 (uploading account) {v}"),
        (SAME_IP, per_bid(lambda f: (public_address(f.client_ip),)), lambda v: f"上传地址 (address) {v}"),
        (
            SAME_FILE,
            per_bid(lambda f: (file["sha256"] for file in f.files if file["name"] != "bid.json")),
            lambda v: f"SHA-256 {_short(v)}",
        ),
        (
            SAME_AUTHOR,
            per_bid(
                lambda f: (
                    author_key(file.get(field))
                    for file in f.files
                    for field in ("author", "last_modified_by")
                )
            ),
            lambda v: f"文件作者 (document author) {v}",
        ),
    ]
    flags = []
    for rule, values, show in shared:
        groups, distinct = groups_by(values)
        for group in groups:
            value = distinct[group.key]
            figures = [show(value)]
            if rule is SAME_FILE:
                figures += sorted(
                    {
                        f"{names[i]}: {file['name']}"
                        for i in group.bidders
                        for file in _files(found_of[i])
                        if file["sha256"] == value
                    }
                )
            flags.append(
                RaisedFlag(
                    rule,
                    tuple(names[i] for i in group.bidders),
                    tuple(figures),
                    None,
                    tuple(codes[i] for i in group.bidders),
                    group=group_key(value),
                )
            )
    texts = [f.text if f is not None else "" for f in found_of]
    for pair in similar_texts(texts):
        both = (pair.first, pair.second)
        flags.append(
            RaisedFlag(
                TEXT_SIMILARITY,
                tuple(names[i] for i in both),
                (f"{names[pair.first]} / {names[pair.second]}: 相似度 (similarity) {pair.measure:.1%}",),
                pair.measure,
                tuple(codes[i] for i in both),
                group=group_key(f"{codes[pair.first]}|{codes[pair.second]}"),
            )
        )
    for pair in mixed_up(texts, names, codes):
        both = (pair.first, pair.second)
        flags.append(
            RaisedFlag(
                MIXED_UP,
                tuple(names[i] for i in both),
                (
                    f"{names[pair.first]} 的投标文件中出现 {names[pair.second]} {int(pair.measure)} 次 "
                    f"({names[pair.first]}'s package names {names[pair.second]} {int(pair.measure)} times)",
                ),
                pair.measure,
                tuple(codes[i] for i in both),
                group=group_key(f"{codes[pair.first]}|{codes[pair.second]}"),
            )
        )
    return flags


async def lot_reviews(db: Db, code: str) -> list[LotReview]:
    """The flags of every lot of the tender whose opening is complete (lots still opening are left out)."""
    tender = await bidding.tender_by_code(db, code)
    decided = {
        (d.lot_number, d.rule_code, d.group_key): d
        for d in await db.scalars(select(FlagDecision).where(FlagDecision.tender_code == tender.code))
    }
    reviews = []
    for lot in await bidding.lots_of(db, tender.id):
        try:
            bids = await bidding.opened_bids(db, tender.code, lot.number)
            first = await evaluation.first_candidate(db, tender.code, lot.number)
        except Conflict:
            # No sealed opening closed here: the bids integrity stored for the lot, if any (the demo's
            # seeded tenders, written as they would stand after their opening and evaluation).
            bids, first = await _stored_bids(db, tender.code, lot.number)
            if not bids:
                continue
        first_name = next((b.bidder_name for b in bids if b.bidder_code == first), None)
        try:
            evidence = await bidding.lot_evidence(db, tender.code, lot.number)
        except DomainError:  # no sealed opening here (the demo's seeded lots): only the bids speak
            evidence = None
        flags = [
            # A decision taken before decisions were kept per group (group_key "") covers the whole rule.
            replace(
                flag,
                decision=decided.get((lot.number, flag.rule.code, flag.group))
                or decided.get((lot.number, flag.rule.code, "")),
            )
            for flag in review_bids(
                bids,
                lot.ceiling_price,
                first,
                evidence,
                await guarantees.payer_accounts(db, tender.code, lot.number),
            )
        ]
        reviews.append(LotReview(lot.number, lot.title, lot.ceiling_price, bids, first_name, flags))
    return reviews


async def _stored_bids(db: Db, code: str, lot: str) -> tuple[list[bidding.OpenedBid], str | None]:
    rows = list(
        await db.scalars(
            select(MarketBid)
            .where(MarketBid.tender_code == code, MarketBid.lot_number == lot)
            .order_by(MarketBid.price)
        )
    )
    bids = [
        bidding.OpenedBid(
            r.bidder_code, r.bidder_name, "", r.price, None, None, r.project_manager, None, None
        )
        for r in rows
        if r.valid
    ]
    return bids, next((r.bidder_code for r in rows if r.won), None)


@dataclass(frozen=True)
class TenderFlags:
    tender: bidding.Tender
    lots: int
    flags: int
    rules: tuple[str, ...]


async def flagged_tenders(db: Db) -> list[TenderFlags]:
    """Tenders whose flags are stored (integrity/stored.py), the most flagged first, up to ``LIST_LIMIT``:
    read from the stored rows, never recomputed here."""
    from integrity import stored  # stored builds on this module's review_bids

    found = []
    for summary in (await stored.ranked(db))[:LIST_LIMIT]:
        try:
            tender = await bidding.tender_by_code(db, summary.code)
        except NotFound:
            continue
        found.append(TenderFlags(tender, summary.lots, summary.flags, summary.rules))
    return found


REASON_MIN = 4


async def decide(
    db: Db,
    runtime: Runtime,
    principal: Principal,
    code: str,
    lot_number: str,
    rule_code: str,
    decision: Decision,
    reason: str,
    group: str = "",
) -> FlagDecision:
    """Record a supervisor's decision on a flag that is raised now, once. ``group`` names which of the
    rule's groups in the lot (``RaisedFlag.group``); it may be left out when the rule raised only one.
    Referring it records a B01 deduction (围标串标, 《招标投标法实施条例》第三十九条至第四十一条) for
    each bidder it concerns, except on a training tender (培训项目), which never deducts."""
    reason = " ".join(reason.split())
    if len(reason) < REASON_MIN:
        raise InvalidInput(
            f"请写明理由（至少{REASON_MIN}个字）(give the reason, at least {REASON_MIN} characters)",
            code="reason_required",
        )
    reviews = await lot_reviews(db, code)
    review = next((r for r in reviews if r.number == lot_number), None)
    raised = [f for f in review.flags if f.rule.code == rule_code] if review else []
    if group:
        raised = [f for f in raised if f.group == group]
    if not raised:
        raise NotFound(
            f"标段 {lot_number} 没有规则 {rule_code} 的预警 (no such flag on this lot)", code="unknown_flag"
        )
    if len(raised) > 1:
        raise InvalidInput(
            f"规则 {rule_code} 在本标段有{len(raised)}组预警，请指明处理哪一组 "
            f"(this rule raised {len(raised)} groups on this lot: name the group)",
            code="group_required",
        )
    [flag] = raised
    if flag.decision is not None:
        raise Conflict("该预警已处理 (this flag has already been decided)", code="already_decided")
    record = FlagDecision(
        tender_code=code,
        lot_number=lot_number,
        rule_code=rule_code,
        group_key=flag.group,
        decision=decision,
        reason=reason,
        decided_by=principal.user_id,
        decided_at=runtime.clock.now(),
    )
    db.add(record)
    await db.flush()
    subject = f"tender:{code}/lot:{lot_number}/flag:{rule_code}" + (
        f"/group:{flag.group}" if flag.group else ""
    )
    kind = INTEGRITY_FLAG_REFERRED if decision == Decision.REFERRED else INTEGRITY_FLAG_DISMISSED
    await runtime.audit.append(
        db, kind, actor=principal.actor, subject=subject, data={"reason": reason, "bidders": list(flag.codes)}
    )
    if decision == Decision.REFERRED and not await bidding.is_training(db, code):
        await credit.ensure_catalogue(db, runtime)  # a fresh platform: install the shipped rules first
        for bidder_code, name in zip(flag.codes, flag.bidders, strict=True):
            await credit.record_deduction(
                db,
                runtime,
                credit.NewDeduction(
                    kind="bidder",
                    key=bidder_code,
                    rule_code="B01",
                    reason=f"{flag.rule.name_zh}（{code} 标段{lot_number}）",
                    evidence=f"{flag.rule.basis}: {'; '.join(flag.figures)}; {reason}",
                    source_ref=subject,
                    subject_name=name,
                ),
                actor=principal.actor,
            )
    return record
