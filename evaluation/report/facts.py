"""The report's facts (pure): everything the report says as a canonical-JSON-able dict, and their
digest, ``sha256(canonical_json(facts))``, which every member signs. See evaluation/report/__init__.py."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from crypto.signing import SigningError, canonical_json, key_id, public_key_from_text
from evaluation.events import Review, ScoreGiven, ScoresReturned
from evaluation.params import CENT
from evaluation.scoring import ScoringResult
from evaluation.steps import Phase, Room, price_event

REPORT_TYPE = "sunbid.evaluation-report.v1"
CANDIDATES = 3  # the first three ranked are the candidates (中标候选人)

METHOD_NAMES = {"comprehensive": "综合评估法", "lowest_price": "经评审的最低投标价法"}
KEY_NAMES = {
    "total": "总分",
    "evaluated_price": "评审价",
    "price": "投标报价",
    "technical": "技术得分",
    "code": "投标人编号",
}
TIE_BREAK_RULES = {
    "comprehensive": (
        "按总分由高到低排序；总分相同的，投标报价低者优先；投标报价也相同的，技术得分高者优先；"
        "仍相同的，按投标人编号升序排列。"
    ),
    "lowest_price": (
        "按评审价由低到高排序；评审价相同的，投标报价低者优先；投标报价也相同的，技术得分高者优先；"
        "仍相同的，按投标人编号升序排列。"
    ),
}


class ReportError(ValueError):
    """The report cannot be built or rendered from what was given; the message says why."""


# --- inputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderFacts:
    """What the report says about the tender (the service reads it from bidding's records).

    ``method`` is ``comprehensive`` or ``lowest_price``; ``budget`` the lot's budget and
    ``ceiling_price`` its highest price limit (最高投标限价) when the tender set one; ``venues`` the
    venue names, the main venue first; ``review_items`` names the qualification and preliminary
    review items by id (an item without a name shows its id).
    """

    code: str
    title: str
    lot: str
    lot_name: str
    method: str
    budget: Decimal
    evaluation_date: date
    venues: tuple[str, ...]
    ceiling_price: Decimal | None = None
    tenderer: str = ""
    agent: str = ""
    review_items: Mapping[str, str] = field(default_factory=dict)
    training: bool = False  # a training tender (培训项目): the report is watermarked 培训/TRAINING


@dataclass(frozen=True)
class MemberFacts:
    """A committee member as the report shows them (the code is the key of the mapping).

    ``chair`` must agree with the room's election; ``public_key`` is ``ed25519:<base64>``, the key the
    member signs the report with (its key id is part of the signed facts; empty or None: not
    registered yet); ``role`` is ``expert`` or ``tenderer`` (the tenderer's representative).
    """

    name: str
    county: str
    venue: str
    employer: str
    chair: bool = False
    public_key: str | None = None
    role: str = "expert"


@dataclass(frozen=True)
class BidderFacts:
    credit_code: str
    name: str
    price: Decimal  # the price read out at opening (唱标)


# --- figures -----------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    """Money and published figures: two places, fixed point."""
    return format(value.quantize(CENT), "f")


def _number(value: Decimal) -> str:
    """A member's score, normalised so 24, 24.0 and 24.00 are the same figure: ``24``, ``24.5``."""
    normal = value.normalize()
    return format(normal, "f") if normal != 0 else "0"


# --- facts -------------------------------------------------------------------------------------------


def _check_inputs(
    room: Room,
    evaluation: ScoringResult,
    tender: TenderFacts,
    members: Mapping[str, MemberFacts],
    bidders: Mapping[str, BidderFacts],
) -> None:
    if room.phase not in (Phase.REPORT, Phase.SIGNED):
        raise ReportError(
            f"the report is drawn up once the ranking is published: the room is in {room.phase}"
        )
    if room.ranking is None or room.price_figures is None or room.chair is None:
        raise ReportError("the room has no ranking, price figures or chair")
    missing = [m for m in room.members if m not in members]
    if missing:
        raise ReportError(f"no member facts for: {', '.join(missing)}")
    chairs = [m for m in room.members if members[m].chair and m != room.chair]
    if chairs:
        raise ReportError(f"the room elected {room.chair} chair, not {', '.join(chairs)}")
    if set(bidders) != set(room.bidders):
        raise ReportError(f"bidder facts must cover exactly the room's bidders: {', '.join(room.bidders)}")
    if tender.method not in METHOD_NAMES:
        raise ReportError(f"unknown evaluation method {tender.method!r}: {', '.join(METHOD_NAMES)}")
    if not tender.venues:
        raise ReportError("the tender's venues must name at least the main venue")
    if evaluation.ranking.method != tender.method:
        raise ReportError(f"the evaluation used {evaluation.ranking.method}, the tender says {tender.method}")
    if evaluation.ranking.order != room.ranking:
        raise ReportError("the evaluation's ranking is not the one the room published")
    event = price_event(evaluation)
    if dict(event.figures) != dict(room.price_figures) or event.benchmark != room.benchmark:
        raise ReportError("the evaluation's price figures are not the ones the room recorded")
    for ranked in evaluation.ranking.ranked:
        if ranked.result.price != bidders[ranked.bidder].price:
            raise ReportError(f"bidder {ranked.bidder}'s price differs from its opened price")


def _reviews(room: Room, tender: TenderFacts) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    n = len(room.members)
    reviews: dict[str, Any] = {}
    out_stage: dict[str, str] = {}
    stages: tuple[tuple[Review, tuple[str, ...]], ...] = (
        ("qualification", room.qualification_items),
        ("preliminary", room.preliminary_items),
    )
    for rv, items in stages:
        review: str = rv
        reviewed = [
            b
            for b in room.bidders
            if any((rv, m, b, i) in room.verdicts for m in room.members for i in items)
        ]
        verdicts = []
        results = []
        for bidder in reviewed:
            failed = []
            for item in items:
                fails = []
                for member in room.members:
                    passed, reason = room.verdicts.get((rv, member, bidder, item), (True, ""))
                    verdicts.append(
                        {"bidder": bidder, "item": item, "member": member, "passed": passed, "reason": reason}
                    )
                    if not passed:
                        fails.append({"member": member, "reason": reason})
                if 2 * len(fails) > n:
                    failed.append({"item": item, "fails": len(fails), "of": n, "by": fails})
            passed_review = not failed
            if not passed_review and bidder not in out_stage:
                out_stage[bidder] = review
            results.append({"bidder": bidder, "passed": passed_review, "failed": failed})
        reviews[review] = {
            "items": [{"id": i, "name": tender.review_items.get(i, i)} for i in items],
            "verdicts": verdicts,
            "results": results,
        }
    out = [
        {"bidder": b, "stage": out_stage.get(b), "reason": room.out[b]} for b in room.bidders if b in room.out
    ]
    return reviews, out


def _history(room: Room) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Each (member, bidder, criterion) → the values given, in order, with the reason of the return
    the value answered (None for a value given before the sheet was ever returned)."""
    returned: dict[str, str] = {}
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for event in room.log:
        if isinstance(event, ScoresReturned):
            returned[event.member] = event.reason
        elif isinstance(event, ScoreGiven):
            key = (event.member, event.bidder, event.criterion)
            out.setdefault(key, []).append(
                {"value": _number(event.value), "after_return": returned.get(event.member)}
            )
    return out


def report_facts(
    room: Room,
    evaluation: ScoringResult,
    tender: TenderFacts,
    members: Mapping[str, MemberFacts],
    bidders: Mapping[str, BidderFacts],
) -> dict[str, Any]:
    """Everything the report says, as a canonical-JSON-able dict (see the module docstring)."""
    _check_inputs(room, evaluation, tender, members, bidders)
    assert room.ranking is not None and room.price_figures is not None  # checked above

    def key_of(code: str) -> tuple[str | None, str | None]:
        text = (members[code].public_key or "").strip()
        if not text:
            return None, None
        try:
            return text, key_id(public_key_from_text(text))
        except SigningError as error:
            raise ReportError(f"member {code}'s public key: {error}") from None

    committee = [
        {
            "code": m,
            "name": members[m].name,
            "role": members[m].role,
            "chair": m == room.chair,
            "county": members[m].county,
            "venue": members[m].venue,
            "employer": members[m].employer,
            "public_key": key_of(m)[0],
            "key_id": key_of(m)[1],
        }
        for m in room.members
    ]
    replacements = [
        {
            "member": r.member,
            "name": members[r.member].name if r.member in members else None,
            "reason": r.reason,
            "replaced_by": r.replaced_by,
        }
        for r in room.replacements
    ]
    reviews, out = _reviews(room, tender)
    history = _history(room)
    dropped = room.dropped
    scores = [
        {
            "member": m,
            "bidder": b,
            "criterion": c.id,
            "score": _number(room.scores[(m, b, c.id)]),
            "counts": (m, b, c.id) not in dropped,
            "history": history.get((m, b, c.id), []),
        }
        for m in room.members
        for b in room.valid_bidders
        for c in room.scored_criteria
    ]
    anomalies = []
    for a in room.anomalies:
        confirmed = room.confirmations.get(a.key)
        unexplained = a.key in room.unexplained
        anomalies.append(
            {
                "member": a.member,
                "bidder": a.bidder,
                "unit": a.unit,
                "score": _number(a.score),
                "others_mean": _money(a.others_mean),
                "deviation": _money(a.deviation),
                "threshold": _number(a.threshold),
                "status": "unexplained" if unexplained else "confirmed",
                "reason": None if unexplained or confirmed is None else confirmed[1],
                "counts": not unexplained,
            }
        )
    limit = room.anomaly_limit
    committee_scores = [
        {
            "bidder": b,
            "criteria": {c: _money(v) for c, v in evaluation.committee.get(b, {}).items()},
        }
        for b in room.valid_bidders
    ]
    comprehensive = tender.method == "comprehensive"
    results = []
    applied = []
    for r in evaluation.ranking.ranked:
        res = r.result
        results.append(
            {
                "rank": r.rank,
                "bidder": r.bidder,
                "price": _money(res.price),
                "price_score": _money(res.price_score) if comprehensive else None,
                "technical": _money(res.technical),
                "commercial": _money(res.commercial),
                "total": _money(res.total) if comprehensive else None,
                "adjustments": None if comprehensive else _money(res.adjustments),
                "evaluated_price": None if comprehensive else _money(res.evaluated_price),
                "separated_by": r.separated_by,
            }
        )
        first = "total" if comprehensive else "evaluated_price"
        if r.separated_by is not None and r.separated_by != first:
            above = evaluation.ranking.ranked[r.rank - 2].bidder
            applied.append(
                {
                    "rank": r.rank,
                    "bidder": r.bidder,
                    "above": above,
                    "by": r.separated_by,
                    "statement": (
                        f"{bidders[above].name}与{bidders[r.bidder].name}{KEY_NAMES[first]}相同，"
                        f"按{KEY_NAMES[r.separated_by]}确定前者排名第{r.rank - 1}、后者排名第{r.rank}。"
                    ),
                }
            )
    candidates = [
        {
            "rank": r.rank,
            "bidder": r.bidder,
            "name": bidders[r.bidder].name,
            "credit_code": bidders[r.bidder].credit_code,
            "price": _money(r.result.price),
        }
        for r in evaluation.ranking.candidates(CANDIDATES)
    ]
    return {
        "type": REPORT_TYPE,
        "tender": {
            "code": tender.code,
            "title": tender.title,
            "lot": {"number": tender.lot, "name": tender.lot_name},
            "method": tender.method,
            "budget": _money(tender.budget),
            "ceiling_price": _money(tender.ceiling_price) if tender.ceiling_price is not None else None,
            "evaluation_date": tender.evaluation_date.isoformat(),
            "tenderer": tender.tenderer,
            "agent": tender.agent,
            "venues": {"main": tender.venues[0], "sub": list(tender.venues[1:])},
            # only a training report carries the key, so a real report's facts stay as they were
            **({"training": True} if tender.training else {}),
        },
        "committee": {"chair": room.chair, "members": committee, "replacements": replacements},
        "bidders": [
            {
                "code": b,
                "name": bidders[b].name,
                "credit_code": bidders[b].credit_code,
                "price": _money(bidders[b].price),
            }
            for b in room.bidders
        ],
        "criteria": [
            {
                "id": c.id,
                "name": c.name or c.id,
                "group": c.group,
                "max_points": _number(c.max_points),
                "step": _number(c.step),
            }
            for c in room.criteria
        ],
        "reviews": reviews,
        "out": out,
        "scores": scores,
        "returns": [{"member": r.member, "by": r.by, "reason": r.reason} for r in room.returns],
        "anomaly_limit": (
            {"value": _number(limit.value), "unit": limit.unit, "per": limit.per} if limit else None
        ),
        "anomalies": anomalies,
        "committee_scores": committee_scores,
        "price": {
            "benchmark": _money(room.benchmark) if room.benchmark is not None else None,
            "figures": [{"bidder": b, "value": _money(room.price_figures[b])} for b in room.valid_bidders],
        },
        "results": results,
        "tie_break": {"rule": TIE_BREAK_RULES[tender.method], "applied": applied},
        "candidates": candidates,
    }


def report_digest(facts: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of the facts' canonical JSON: what every member signs."""
    return hashlib.sha256(canonical_json(facts)).hexdigest()
