"""The evaluation report (评标报告): facts, digest, HTML, PDF, signatures, publicity draft (pure: no I/O
beyond reading a font file).

What the report is
------------------
``build_report(room, evaluation, tender, members, bidders)`` takes the room's state once the ranking is
published (phase ``report`` or ``signed``), the platform's :class:`~evaluation.scoring.Evaluation`
and the facts the service knows (:class:`TenderFacts`, :class:`MemberFacts` and :class:`BidderFacts`
by code), and returns a :class:`Report`:

``facts``   a JSON-able dict (strings, ints, booleans, null; every Decimal as a string) holding
            everything the report says: the tender, the committee (with each member's public key and
            key id, and who was replaced for avoidance), the bidders and their opened prices, the
            criteria, every qualification and preliminary verdict with its reason, the bidders out
            and why, every member's score per bidder and criterion with its history (each value the
            member gave, and the chair's reason when it was given after the sheet was returned),
            the returns, the anomalies with their confirmation reason or ``unexplained``, the
            committee scores, the benchmark and price figures, the totals, the ranking with the
            tie-break statement, and the candidates (the first three ranked).
``digest``  ``sha256(canonical_json(facts))`` in lowercase hex: what every member signs.
``html``    the report in Chinese (template ``evaluation/report.html``), showing the digest.
``pdf``     the same in PDF (A4, reportlab), with the digest on every page.

HTML and PDF are renderings of ``facts``: anyone holding the facts can recompute the digest, and the
signatures never change it (they are over the digest, and are listed on a signature page rendered by
:func:`signature_page`).

Signatures
----------
A member signs ``signing_message(digest) = b"sunbid-evaluation-report-v1\\n" + digest`` (the hex
digest as ASCII) with Ed25519, from their own page; the prefix keeps a report signature from being
passed off as any other statement the same key signs. :func:`verify_member_signature` checks one.

Fonts (CJK in the PDF)
----------------------
The PDF embeds a subset of a CJK font when it finds one, in this order: the ``font`` argument,
the ``SUNBID_REPORT_FONT`` environment variable (a font file path, or ``STSong-Light`` to force the
built-in font), then :data:`FONT_SEARCH` (Debian's fonts-noto-cjk first). OpenType fonts with
PostScript (CFF) outlines, as Noto Sans CJK is, are converted to TrueType outlines for the subset
(fontTools), since reportlab embeds TrueType only. With no font file (a fresh machine with only the
Python packages) the PDF uses reportlab's built-in Adobe-GB1 font ``STSong-Light``: not embedded,
every PDF viewer supplies it. The PDF is deterministic: same facts and font, same bytes (its dates
are the evaluation date, never the time of rendering).

Worked example: see tests/evaluation/test_report.py, ``test_worked_example``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from crypto.signing import SignatureError, SigningError, canonical_json, key_id, public_key_from_text
from evaluation.events import Review, ScoreGiven, ScoresReturned
from evaluation.params import CENT, MEMBER_GROUPS
from evaluation.scoring import Evaluation
from evaluation.steps import Phase, Room, price_event

__all__ = [
    "CANDIDATES",
    "FALLBACK_FONT",
    "FONT_ENV",
    "FONT_SEARCH",
    "PUBLICITY_MIN_DAYS",
    "REPORT_TYPE",
    "SIGNATURES_TYPE",
    "SIGNING_PREFIX",
    "BidderFacts",
    "Draft",
    "MemberFacts",
    "MemberSignature",
    "Report",
    "ReportError",
    "ReportSignatureError",
    "SignedReport",
    "TenderFacts",
    "build_report",
    "find_cjk_font",
    "publicity_draft",
    "render_html",
    "render_pdf",
    "report_digest",
    "report_facts",
    "sign_report",
    "signature_page",
    "signing_message",
    "verify_member_signature",
]

REPORT_TYPE = "sunbid.evaluation-report.v1"
SIGNATURES_TYPE = "sunbid.evaluation-report-signatures.v1"
SIGNING_PREFIX = b"sunbid-evaluation-report-v1\n"
CANDIDATES = 3  # the first three ranked are the candidates (中标候选人)
PUBLICITY_MIN_DAYS = 3  # 《招标投标法实施条例》第五十四条: 公示期不得少于3日
FONT_ENV = "SUNBID_REPORT_FONT"
FALLBACK_FONT = "STSong-Light"  # reportlab's built-in Adobe-GB1 CID font (not embedded)
FONT_SEARCH: tuple[str, ...] = (
    # Debian/Ubuntu: fonts-noto-cjk, fonts-noto-cjk-extra, fonts-wqy-*, fonts-arphic-*, fonts-droid
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/STHeiti Light.ttc",  # macOS
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/simhei.ttf",  # Windows
    "C:/Windows/Fonts/simsun.ttc",
)
DISPLAY_TZ = ZoneInfo("Asia/Shanghai")
TEMPLATES = Path(__file__).parent / "templates"

METHOD_NAMES = {"comprehensive": "综合评估法", "lowest_price": "经评审的最低投标价法"}
GROUP_NAMES = {"technical": "技术", "commercial": "商务", "price": "价格"}
REVIEW_NAMES = {"qualification": "资格审查", "preliminary": "初步评审"}
ROLE_NAMES = {"expert": "评标专家", "tenderer": "招标人代表"}
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
RANK_NAMES = ("第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九", "第十")

_HEX64 = re.compile(r"[0-9a-f]{64}")


class ReportError(ValueError):
    """The report cannot be built or rendered from what was given; the message says why."""


class ReportSignatureError(ReportError, SignatureError):
    """A member's signature over the report digest is malformed, by another key, or over another digest."""


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


@dataclass(frozen=True)
class Report:
    """The report: ``facts`` and their ``digest``; ``html`` and ``pdf`` are rendered from the facts on
    first use (a report rebuilt from stored facts with :meth:`from_facts` renders only what is asked)."""

    facts: dict[str, Any]
    digest: str
    font: str | Path | None = field(default=None, compare=False)

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any], *, font: str | Path | None = None) -> Report:
        """The report of stored facts (e.g. read back from JSON): same facts, same digest."""
        if not isinstance(facts, Mapping) or facts.get("type") != REPORT_TYPE:
            raise ReportError(f"not the facts of an evaluation report ({REPORT_TYPE})")
        data = dict(facts)
        return cls(data, report_digest(data), font)

    @cached_property
    def html(self) -> str:
        return render_html(self.facts)

    @cached_property
    def pdf(self) -> bytes:
        return render_pdf(self.facts, font=self.font)

    @property
    def candidates(self) -> list[dict[str, Any]]:
        return list(self.facts["candidates"])


@dataclass(frozen=True)
class MemberSignature:
    """A member's Ed25519 signature (standard base64) over ``signing_message(report.digest)``."""

    member: str
    signature: str
    signed_at: datetime | None = None


@dataclass(frozen=True)
class SignedReport:
    """The report with its signature page. ``digest`` is the report's (signatures do not change it);
    ``record`` is the JSON-able list of signatures to store beside the facts."""

    digest: str
    record: dict[str, Any]
    html: str
    pdf: bytes


@dataclass(frozen=True)
class Draft:
    """A candidate-publicity notice (中标候选人公示) for the agent to review and publish.

    ``data`` has exactly the ``candidates`` shape of publication/ocds.py:
    ``{"candidates": [{"lot", "rank", "bidder": {"name", "credit_code"}, "price"}]}``.
    """

    title: str
    body: str
    data: dict[str, Any]
    starts: datetime
    ends: datetime


# --- figures -----------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    """Money and published figures: two places, fixed point."""
    return format(value.quantize(CENT), "f")


def _number(value: Decimal) -> str:
    """A member's score, normalised so 24, 24.0 and 24.00 are the same figure: ``24``, ``24.5``."""
    normal = value.normalize()
    return format(normal, "f") if normal != 0 else "0"


def _yuan(text: str | None) -> str:
    """``1234567.80`` → ``1,234,567.80``."""
    if text is None:
        return "—"
    whole, _, cents = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{cents or '00'}"


# --- facts -------------------------------------------------------------------------------------------


def _check_inputs(
    room: Room,
    evaluation: Evaluation,
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
    evaluation: Evaluation,
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


# --- the view both renderings share ------------------------------------------------------------------


def _date_zh(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _time_zh(moment: datetime) -> str:
    local = moment.astimezone(DISPLAY_TZ)
    return f"{local.year}年{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"


class _View:
    """Lookups and Chinese labels over the facts, for the template and the PDF alike."""

    def __init__(self, facts: Mapping[str, Any], digest: str) -> None:
        self.f = facts
        self.digest = digest
        self.members = {m["code"]: m for m in facts["committee"]["members"]}
        self.bidders = {b["code"]: b for b in facts["bidders"]}
        self.criteria = {c["id"]: c for c in facts["criteria"]}
        self.scored = [c for c in facts["criteria"] if c["group"] in MEMBER_GROUPS]
        self.comprehensive = facts["tender"]["method"] == "comprehensive"
        self.scored_bidders = list(dict.fromkeys(s["bidder"] for s in facts["scores"]))
        self.score = {(s["member"], s["bidder"], s["criterion"]): s for s in facts["scores"]}
        self.committee_score = {row["bidder"]: row["criteria"] for row in facts["committee_scores"]}

    def member(self, code: str | None) -> str:
        if code is None:
            return "—"
        return self.members[code]["name"] if code in self.members else code

    def bidder(self, code: str) -> str:
        return self.bidders[code]["name"] if code in self.bidders else code

    def criterion(self, cid: str) -> str:
        if cid in GROUP_NAMES:
            return f"{GROUP_NAMES[cid]}部分合计"
        return self.criteria[cid]["name"] if cid in self.criteria else cid

    def item(self, review: str, iid: str) -> str:
        names = {i["id"]: i["name"] for i in self.f["reviews"][review]["items"]}
        return names.get(iid, iid)

    def tender_rows(self) -> list[tuple[str, str]]:
        t = self.f["tender"]
        rows = [
            ("项目编号", t["code"]),
            ("项目名称", t["title"]),
            ("标段（包）", f"第{t['lot']['number']}标段 {t['lot']['name']}"),
        ]
        if t["tenderer"]:
            rows.append(("招标人", t["tenderer"]))
        if t["agent"]:
            rows.append(("招标代理机构", t["agent"]))
        rows += [
            ("评标办法", METHOD_NAMES[t["method"]]),
            ("预算金额（元）", _yuan(t["budget"])),
        ]
        if t["ceiling_price"] is not None:
            rows.append(("最高投标限价（元）", _yuan(t["ceiling_price"])))
        rows += [
            ("评标日期", _date_zh(t["evaluation_date"])),
            ("主会场", t["venues"]["main"]),
            ("分会场", "、".join(t["venues"]["sub"]) or "无"),
        ]
        return rows

    def committee_rows(self) -> list[list[str]]:
        return [
            [
                str(i),
                m["name"],
                ("评标委员会主任（组长）" if m["chair"] else "成员")
                + f"，{ROLE_NAMES.get(m['role'], m['role'])}",
                m["employer"],
                m["county"],
                m["venue"],
                m["key_id"] or "—",
            ]
            for i, m in enumerate(self.f["committee"]["members"], 1)
        ]

    def replacement_rows(self) -> list[list[str]]:
        return [
            [
                r["name"] or r["member"],
                r["reason"],
                self.member(r["replaced_by"]) if r["replaced_by"] else "无替补",
            ]
            for r in self.f["committee"]["replacements"]
        ]

    def bidder_rows(self) -> list[list[str]]:
        return [
            [str(i), b["name"], b["credit_code"], _yuan(b["price"])]
            for i, b in enumerate(self.f["bidders"], 1)
        ]

    def review_rows(self, review: str) -> list[list[str]]:
        """One row per reviewed bidder: conclusion, and each item failed by a majority with reasons."""
        rows = []
        for result in self.f["reviews"][review]["results"]:
            if result["passed"]:
                detail = "各项均通过"
            else:
                detail = "；".join(
                    f"{self.item(review, x['item'])}：{x['fails']}/{x['of']}名成员判定不合格（"
                    + "；".join(f"{self.member(v['member'])}：{v['reason']}" for v in x["by"])
                    + "）"
                    for x in result["failed"]
                )
            rows.append([self.bidder(result["bidder"]), "合格" if result["passed"] else "不合格", detail])
        return rows

    def fail_rows(self, review: str) -> list[list[str]]:
        """Every single fail verdict with its reason (also those not carried by a majority)."""
        return [
            [self.bidder(v["bidder"]), self.item(review, v["item"]), self.member(v["member"]), v["reason"]]
            for v in self.f["reviews"][review]["verdicts"]
            if not v["passed"]
        ]

    def out_rows(self) -> list[list[str]]:
        """The reason in Chinese from the review's verdicts; the room's recorded text otherwise."""
        rows = []
        for o in self.f["out"]:
            stage = o["stage"]
            reason = o["reason"]
            if stage is not None:
                result = next(r for r in self.f["reviews"][stage]["results"] if r["bidder"] == o["bidder"])
                reason = "；".join(
                    f"{self.item(stage, x['item'])}经{x['fails']}/{x['of']}名成员判定不合格，理由："
                    + "；".join(dict.fromkeys(v["reason"] for v in x["by"]))
                    for x in result["failed"]
                )
            rows.append([self.bidder(o["bidder"]), REVIEW_NAMES.get(stage or "", "评审"), reason])
        return rows

    def score_header(self) -> list[str]:
        return ["评审因素", "满分", *[m["name"] for m in self.f["committee"]["members"]], "委员会得分"]

    def score_rows(self, bidder: str) -> list[list[str]]:
        rows = []
        for c in self.scored:
            row = [f"{c['name']}（{GROUP_NAMES[c['group']]}）", c["max_points"]]
            for m in self.f["committee"]["members"]:
                s = self.score[(m["code"], bidder, c["id"])]
                cell = s["score"]
                if len(s["history"]) > 1:
                    cell += "*"
                if not s["counts"]:
                    cell += "（不计）"
                row.append(cell)
            row.append(self.committee_score.get(bidder, {}).get(c["id"], "—"))
            rows.append(row)
        return rows

    def history_rows(self) -> list[list[str]]:
        rows = []
        for s in self.f["scores"]:
            if len(s["history"]) < 2:
                continue
            values = " → ".join(h["value"] for h in s["history"])
            reasons = "；".join(
                dict.fromkeys(f"退回理由：{h['after_return']}" for h in s["history"] if h["after_return"])
            )
            rows.append(
                [
                    self.member(s["member"]),
                    self.bidder(s["bidder"]),
                    self.criterion(s["criterion"]),
                    values,
                    reasons or "提交前修改",
                ]
            )
        return rows

    def return_rows(self) -> list[list[str]]:
        return [
            [str(i), self.member(r["member"]), self.member(r["by"]), r["reason"]]
            for i, r in enumerate(self.f["returns"], 1)
        ]

    def limit_text(self) -> str:
        limit = self.f["anomaly_limit"]
        if limit is None:
            return "本项目未设评分偏离限值。"
        value = f"{limit['value']}分" if limit["unit"] == "points" else f"该项满分的{limit['value']}%"
        per = "每一评审因素" if limit["per"] == "criterion" else "技术、商务部分合计"
        return f"偏离限值：成员对{per}的评分与其他成员平均分之差超过{value}的，须由该成员说明理由并确认。"

    def anomaly_rows(self) -> list[list[str]]:
        return [
            [
                self.member(a["member"]),
                self.bidder(a["bidder"]),
                self.criterion(a["unit"]),
                a["score"],
                a["others_mean"],
                a["deviation"],
                a["threshold"],
                "已确认，计入" if a["status"] == "confirmed" else "未说明理由，不计入（记不良行为）",
                a["reason"] or "未说明理由（unexplained）",
            ]
            for a in self.f["anomalies"]
        ]

    def price_text(self) -> str:
        benchmark = self.f["price"]["benchmark"]
        if self.comprehensive and benchmark is not None:
            return f"评标基准价：{_yuan(benchmark)} 元（由平台按招标文件规定的公式计算）。"
        return "评审价 = 投标报价 + 经评审的价格调整（由平台计算）。"

    def result_header(self) -> list[str]:
        if self.comprehensive:
            return [
                "排名",
                "投标人",
                "投标报价（元）",
                "价格得分",
                "技术得分",
                "商务得分",
                "总分",
                "区分依据",
            ]
        return ["排名", "投标人", "投标报价（元）", "价格调整（元）", "评审价（元）", "技术得分", "区分依据"]

    def result_rows(self) -> list[list[str]]:
        rows = []
        for r in self.f["results"]:
            by = KEY_NAMES.get(r["separated_by"] or "", "—")
            if self.comprehensive:
                rows.append(
                    [
                        str(r["rank"]),
                        self.bidder(r["bidder"]),
                        _yuan(r["price"]),
                        r["price_score"],
                        r["technical"],
                        r["commercial"],
                        r["total"],
                        by,
                    ]
                )
            else:
                rows.append(
                    [
                        str(r["rank"]),
                        self.bidder(r["bidder"]),
                        _yuan(r["price"]),
                        _yuan(r["adjustments"]),
                        _yuan(r["evaluated_price"]),
                        r["technical"],
                        by,
                    ]
                )
        return rows

    def candidate_rows(self) -> list[list[str]]:
        return [
            [f"{RANK_NAMES[c['rank'] - 1]}中标候选人", c["name"], c["credit_code"], _yuan(c["price"])]
            for c in self.f["candidates"]
        ]

    def signing_text(self) -> str:
        return (
            "本报告内容的 SHA-256 摘要见下。评标委员会成员以各自的 Ed25519 私钥对"
            "“sunbid-evaluation-report-v1”加换行符加该摘要签名；签名不改变本报告及其摘要。"
        )


def _signature_rows(view: _View, signatures: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [
        [
            view.member(s["member"]),
            s["key_id"],
            s["signed_at_zh"] or "—",
            s["signature"],
        ]
        for s in signatures
    ]


# --- HTML --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(facts: Mapping[str, Any], *, signatures: Sequence[Mapping[str, Any]] = ()) -> str:
    """The report as a standalone Chinese HTML document (``signatures``: see :func:`signature_page`)."""
    view = _View(facts, report_digest(facts))
    template = _environment().get_template("evaluation/report.html")
    return template.render(
        facts=facts,
        v=view,
        digest=view.digest,
        yuan=_yuan,
        review_names=REVIEW_NAMES,
        method_names=METHOD_NAMES,
        signatures=_signature_rows(view, signatures),
    )


# --- fonts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Font:
    path: Path | None  # None: the built-in CID font
    index: int = 0


def find_cjk_font(env: Mapping[str, str] | None = None) -> Path | None:
    """The CJK font file the PDF embeds: ``SUNBID_REPORT_FONT``, else the first of FONT_SEARCH that
    exists; None when there is none (or the variable says ``STSong-Light``): the built-in font."""
    env = os.environ if env is None else env
    configured = (env.get(FONT_ENV) or "").strip()
    if configured:
        if configured == FALLBACK_FONT:
            return None
        path = Path(configured)
        if not path.is_file():
            raise ReportError(f"{FONT_ENV}={configured}: no such font file")
        return path
    return next((Path(p) for p in FONT_SEARCH if Path(p).is_file()), None)


def _collection_index(path: Path) -> int:
    """In a font collection (.ttc), the Simplified Chinese face when there is one, else the first."""
    return _face_index(str(path), path.stat().st_mtime)


@lru_cache(maxsize=8)
def _face_index(path: str, mtime: float) -> int:
    from fontTools.ttLib import TTCollection

    with open(path, "rb") as file:
        if file.read(4) != b"ttcf":
            return 0
    with TTCollection(path, lazy=True) as collection:
        for i, face in enumerate(collection.fonts):
            name = str(face["name"].getDebugName(6) or "")
            if re.search(r"sc\b|sc-|SC|GB|Hans", name):  # NotoSansCJKsc-Regular, SourceHanSansSC, …
                return i
    return 0


@lru_cache(maxsize=8)
def _subset(path: str, index: int, mtime: float, text: str) -> bytes | None:
    """A TrueType-outline subset of the font with the characters of ``text``; None when the font lacks
    one of them (the PDF then falls back to the built-in font rather than show a missing glyph)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(path, fontNumber=index, lazy=False, recalcTimestamp=False)
    cmap = font.getBestCmap() or {}
    if any(ord(ch) not in cmap for ch in text if not ch.isspace()):
        return None
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "DSIG", "BASE", "GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if "CFF " in font or "CFF2" in font:
        # PostScript outlines → TrueType (quadratic) outlines, which is what reportlab embeds.
        glyphs = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = font.getGlyphOrder()
        glyf.glyphs = {}
        for name in glyf.glyphOrder:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf[name] = pen.glyph()
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        for tag in ("CFF ", "CFF2"):
            if tag in font:
                del font[tag]
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in (
            "maxZones",
            "maxTwilightPoints",
            "maxStorage",
            "maxFunctionDefs",
            "maxInstructionDefs",
            "maxStackElements",
            "maxSizeOfInstructions",
            "maxComponentElements",
        ):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        font["head"].glyphDataFormat = 0
        font["post"].formatType = 3.0
        font.sfntVersion = "\x00\x01\x00\x00"
    # A PostScript name of its own (reportlab would otherwise reuse an earlier subset of the face).
    tag = hashlib.sha256(text.encode()).hexdigest()[:10].upper()
    for record in font["name"].names:
        if record.nameID == 6:
            record.string = f"{record.toUnicode()[:50]}-{tag}"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


# reportlab keeps registered fonts in process-wide tables, and maps a second TrueType font whose
# PostScript name it has seen to the first one: each subset gets its own PostScript name (see
# _subset), and a PDF is rendered holding this lock, its subset registered only while it renders.
_font_lock = threading.Lock()


@contextmanager
def _registered(font: _Font, text: str) -> Iterator[str]:
    """The reportlab font name to render ``text`` with, registered for the duration."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    with _font_lock:
        data = None
        if font.path is not None:
            data = _subset(str(font.path), font.index, font.path.stat().st_mtime, text)
        if data is None:
            if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
            yield FALLBACK_FONT
            return
        name = "SunbidCJK-" + hashlib.sha256(data).hexdigest()[:16]
        ttf = TTFont(name, io.BytesIO(data))
        pdfmetrics.registerFont(ttf)
        try:
            yield name
        finally:
            # forget the subset (reportlab has no public way to): a long-running server renders many
            for table, key in (
                (getattr(pdfmetrics, "_fonts", {}), name),
                (getattr(pdfmetrics, "_dynFaceNames", {}), ttf.face.name),
            ):
                if table.get(key) is ttf:
                    del table[key]


def _choose_font(font: str | Path | None) -> _Font:
    if font is None:
        path = find_cjk_font()
    elif str(font) == FALLBACK_FONT:
        path = None
    else:
        path = Path(font)
        if not path.is_file():
            raise ReportError(f"no such font file: {font}")
    if path is None:
        return _Font(None)
    try:
        return _Font(path, _collection_index(path))
    except Exception as error:  # a broken or unreadable font file: say which
        raise ReportError(f"cannot read font {path}: {error}") from None


# --- PDF ---------------------------------------------------------------------------------------------

# The PDF's content as plain blocks first, so the font subset can be made for exactly its characters.
Block = tuple[Any, ...]


def _blocks(view: _View, signatures: Sequence[Mapping[str, Any]]) -> list[Block]:
    f = view.f
    t = f["tender"]
    out: list[Block] = [
        ("title", "评标报告"),
        ("center", f"{t['title']}　第{t['lot']['number']}标段 {t['lot']['name']}"),
        ("h", "一、项目概况"),
        ("table", ["事项", "内容"], [list(r) for r in view.tender_rows()], [0.25, 0.75]),
        ("h", "二、评标委员会"),
        (
            "table",
            ["序号", "姓名", "职务", "工作单位", "所在地区", "评标场地", "签名公钥指纹"],
            view.committee_rows(),
            [0.06, 0.1, 0.2, 0.22, 0.1, 0.14, 0.18],
        ),
    ]
    if f["committee"]["replacements"]:
        out += [
            ("p", "回避及替补："),
            ("table", ["回避成员", "回避理由", "替补成员"], view.replacement_rows(), [0.25, 0.5, 0.25]),
        ]
    out += [
        ("h", "三、投标人及开标报价"),
        (
            "table",
            ["序号", "投标人", "统一社会信用代码", "投标报价（元）"],
            view.bidder_rows(),
            [0.08, 0.42, 0.28, 0.22],
        ),
        ("h", "四、资格审查与初步评审"),
    ]
    for review in ("qualification", "preliminary"):
        out.append(("h2", REVIEW_NAMES[review]))
        if not f["reviews"][review]["results"]:
            out.append(("p", "无。"))
            continue
        out.append(("table", ["投标人", "结论", "不合格项及理由"], view.review_rows(review), [0.3, 0.1, 0.6]))
        fails = view.fail_rows(review)
        if fails:
            out += [
                ("p", "各成员判定不合格的全部记录："),
                ("table", ["投标人", "审查项", "成员", "理由"], fails, [0.3, 0.2, 0.12, 0.38]),
            ]
    out.append(("h", "五、否决投标情况"))
    out.append(
        ("table", ["投标人", "环节", "否决理由"], view.out_rows(), [0.3, 0.12, 0.58])
        if f["out"]
        else ("p", "无。")
    )
    out.append(("h", "六、详细评审：各成员评分"))
    out.append(
        (
            "small",
            "注：“*”表示该分值经过修改（修改记录见第七部分）；“（不计）”表示偏离未说明理由、不计入委员会得分。",
        )
    )
    n = len(f["committee"]["members"])
    width = 0.55 / (n + 1)
    for bidder in view.scored_bidders:
        out.append(("h2", view.bidder(bidder)))
        out.append(("table", view.score_header(), view.score_rows(bidder), [0.35, 0.1, *[width] * (n + 1)]))
    out.append(("h", "七、评分修改与退回记录"))
    out.append(
        ("table", ["序号", "被退回成员", "退回人", "退回理由"], view.return_rows(), [0.08, 0.15, 0.15, 0.62])
        if f["returns"]
        else ("p", "评分表未被退回。")
    )
    history = view.history_rows()
    if history:
        out.append(("p", "分值修改记录（按时间顺序）："))
        out.append(
            (
                "table",
                ["成员", "投标人", "评审因素", "分值变化", "说明"],
                history,
                [0.1, 0.25, 0.2, 0.15, 0.3],
            )
        )
    out += [("h", "八、评分偏离（异常）及说明"), ("small", view.limit_text())]
    out.append(
        (
            "table",
            ["成员", "投标人", "评审因素", "评分", "他人均分", "偏离", "限值", "处理", "理由"],
            view.anomaly_rows(),
            [0.07, 0.17, 0.12, 0.06, 0.08, 0.07, 0.06, 0.15, 0.22],
        )
        if f["anomalies"]
        else ("p", "无评分偏离。")
    )
    out += [
        ("h", "九、价格评审"),
        ("p", view.price_text()),
        ("h", "十、评审结果与排序"),
        ("small", "排序规则：" + f["tie_break"]["rule"]),
        (
            "table",
            view.result_header(),
            view.result_rows(),
            [0.07, 0.3, 0.15, 0.1, 0.1, 0.1, 0.08, 0.1]
            if view.comprehensive
            else [0.07, 0.3, 0.15, 0.13, 0.15, 0.1, 0.1],
        ),
    ]
    for applied in f["tie_break"]["applied"]:
        out.append(("p", applied["statement"]))
    out += [
        ("h", "十一、推荐的中标候选人"),
        (
            "table",
            ["名次", "投标人", "统一社会信用代码", "投标报价（元）"],
            view.candidate_rows(),
            [0.2, 0.4, 0.22, 0.18],
        ),
        ("h", "十二、报告摘要与签名"),
        ("p", view.signing_text()),
        ("mono", f"SHA-256：{view.digest}"),
    ]
    if signatures:
        out += [
            ("h", "签名页"),
            (
                "table",
                ["成员", "公钥指纹", "签名时间", "Ed25519 签名（base64）"],
                _signature_rows(view, signatures),
                [0.12, 0.18, 0.2, 0.5],
            ),
        ]
    else:
        out.append(("small", "（签名页在全体成员签名后生成。）"))
    return out


def _text_of(blocks: Iterable[Block]) -> str:
    chars: set[str] = {chr(c) for c in range(0x20, 0x7F)}
    for block in blocks:
        for part in block[1:]:
            if isinstance(part, str):
                chars.update(part)
            elif isinstance(part, list):
                for row in part:
                    if isinstance(row, str):
                        chars.update(row)
                    elif isinstance(row, list):
                        for cell in row:
                            chars.update(str(cell))
    chars.update("评标报告第页，共·：")
    return "".join(sorted(chars))


def render_pdf(
    facts: Mapping[str, Any],
    *,
    signatures: Sequence[Mapping[str, Any]] = (),
    font: str | Path | None = None,
) -> bytes:
    """The report as an A4 PDF (see the module docstring for the font); deterministic for the same
    facts, signatures and font."""
    view = _View(facts, report_digest(facts))
    blocks = _blocks(view, signatures)
    footer = f"评标报告 {facts['tender']['code']} · SHA-256 {view.digest}"
    with _registered(_choose_font(font), _text_of([*blocks, ("p", footer)])) as name:
        return _build_pdf(facts, view, blocks, footer, name)


def _build_pdf(facts: Mapping[str, Any], view: _View, blocks: list[Block], footer: str, name: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    def style(size: float, **more: Any) -> Any:
        return ParagraphStyle(
            f"s{size}", fontName=name, fontSize=size, leading=size * 1.45, wordWrap="CJK", **more
        )

    styles = {
        "title": style(20, alignment=TA_CENTER, spaceAfter=4 * mm),
        "center": style(11, alignment=TA_CENTER, spaceAfter=4 * mm),
        "h": style(13, spaceBefore=5 * mm, spaceAfter=2 * mm),
        "h2": style(10.5, spaceBefore=3 * mm, spaceAfter=1.5 * mm),
        "p": style(9.5, spaceAfter=1.5 * mm),
        "small": style(8, textColor=colors.HexColor("#444444"), spaceAfter=1.5 * mm),
        "mono": style(8.5, spaceAfter=1.5 * mm),
        "cell": style(7.5),
        "head": style(7.5, textColor=colors.HexColor("#111111")),
    }
    width = A4[0] - 30 * mm
    story: list[Any] = []
    for block in blocks:
        kind = block[0]
        if kind == "table":
            _, header, rows, fractions = block
            data = [[Paragraph(escape(str(c)), styles["head"]) for c in header]]
            data += [[Paragraph(escape(str(c)), styles["cell"]) for c in row] for row in rows]
            widths = [width * x for x in fractions] if fractions else [width / len(header)] * len(header)
            table = Table(data, colWidths=widths, repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("FONT", (0, 0), (-1, -1), name, 7.5),
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("TOPPADDING", (0, 0), (-1, -1), 2),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ]
                )
            )
            story += [table, Spacer(1, 2 * mm)]
        else:
            story.append(Paragraph(escape(block[1]), styles[kind]))

    day = date.fromisoformat(facts["tender"]["evaluation_date"])

    def pdf_date(*_: int) -> str:
        return f"D:{day.year:04d}{day.month:02d}{day.day:02d}000000+08'00'"

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.setDateFormatter(pdf_date)
        canvas.saveState()
        canvas.setFont(name, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(15 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"评标报告 {facts['tender']['code']}",
        author="sunbid",
        subject=f"SHA-256 {view.digest}",
        creator="sunbid evaluation report",
        invariant=1,
        lang="zh-CN",
        initialFontName=name,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


# --- the report --------------------------------------------------------------------------------------


def build_report(
    room: Room,
    evaluation: Evaluation,
    tender: TenderFacts,
    members: Mapping[str, MemberFacts],
    bidders: Mapping[str, BidderFacts],
    *,
    font: str | Path | None = None,
) -> Report:
    """The report of a room whose ranking is published (phase ``report`` or ``signed``)."""
    facts = report_facts(room, evaluation, tender, members, bidders)
    return Report(facts, report_digest(facts), font)


# --- signatures --------------------------------------------------------------------------------------


def _check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise ReportSignatureError("a report digest is 64 lowercase hex digits (SHA-256)")
    return digest


def signing_message(digest: str) -> bytes:
    """What a member signs: ``b"sunbid-evaluation-report-v1\\n"`` + the hex digest (ASCII)."""
    return SIGNING_PREFIX + _check_digest(digest).encode("ascii")


def sign_report(digest: str, private_key: Ed25519PrivateKey) -> str:
    """A member's signature over the report digest, standard base64 (what the member's page does)."""
    return base64.b64encode(private_key.sign(signing_message(digest))).decode("ascii")


def verify_member_signature(report_digest: str, public_key_text: str, signature_b64: str) -> None:
    """Check a member's Ed25519 signature over ``signing_message(report_digest)``; raise
    :class:`ReportSignatureError` saying what is wrong otherwise."""
    message = signing_message(report_digest)
    try:
        key = public_key_from_text(public_key_text)
    except SigningError as error:
        raise ReportSignatureError(f"the member's public key is not usable: {error}") from None
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise ReportSignatureError("the signature is not valid base64") from None
    if len(signature) != 64:
        raise ReportSignatureError(f"an Ed25519 signature is 64 bytes, got {len(signature)}")
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise ReportSignatureError(
            f"the signature does not match report {report_digest[:12]}… under key {key_id(key)}: "
            "signed with another key, or over another report"
        ) from None


def signature_page(
    report: Report,
    signatures: Sequence[MemberSignature],
    *,
    require_all: bool = True,
    font: str | Path | None = None,
) -> SignedReport:
    """The signed report: every signature verified against the member's key in the facts, then the
    HTML and PDF rendered with a signature page. The digest is the report's, unchanged."""
    members = {m["code"]: m for m in report.facts["committee"]["members"]}
    if report_digest(report.facts) != report.digest:
        raise ReportError("the report's digest does not match its facts")
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for s in signatures:
        member = members.get(s.member)
        if member is None:
            raise ReportSignatureError(f"{s.member} is not a member of the committee")
        if s.member in seen:
            raise ReportSignatureError(f"{s.member} has signed twice")
        if member["public_key"] is None:
            raise ReportSignatureError(f"{s.member} has no public key in the report")
        verify_member_signature(report.digest, member["public_key"], s.signature)
        seen.add(s.member)
        rows.append(
            {
                "member": s.member,
                "key_id": member["key_id"],
                "signature": s.signature.strip(),
                "signed_at": s.signed_at.isoformat() if s.signed_at else None,
                "signed_at_zh": _time_zh(s.signed_at) if s.signed_at else None,
            }
        )
    order = list(members)
    rows.sort(key=lambda r: order.index(r["member"]))
    missing = [m for m in order if m not in seen]
    if require_all and missing:
        raise ReportError(f"{len(missing)} of {len(order)} members have not signed: {', '.join(missing)}")
    record = {
        "type": SIGNATURES_TYPE,
        "report": report.digest,
        "signatures": [{k: r[k] for k in ("member", "key_id", "signature", "signed_at")} for r in rows],
    }
    return SignedReport(
        report.digest,
        record,
        render_html(report.facts, signatures=rows),
        render_pdf(report.facts, signatures=rows, font=font),
    )


# --- the candidate-publicity notice ------------------------------------------------------------------


def publicity_draft(report: Report, *, starts: datetime, days: int = PUBLICITY_MIN_DAYS) -> Draft:
    """The candidate-publicity notice (中标候选人公示) in Chinese, and its structured ``data`` in the
    ``candidates`` shape publication/ocds.py documents. The publicity lasts ``days`` calendar days
    from ``starts`` (timezone-aware), at least three (《招标投标法实施条例》第五十四条)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < PUBLICITY_MIN_DAYS:
        raise ReportError(f"the publicity period must be at least {PUBLICITY_MIN_DAYS} days, not {days!r}")
    if starts.tzinfo is None:
        raise ReportError("the publicity start must be timezone-aware")
    f = report.facts
    t = f["tender"]
    if not f["candidates"]:
        raise ReportError("no bidder is ranked: there is no candidate to publish")
    ends = starts + timedelta(days=days)
    view = _View(f, report.digest)
    results = {r["bidder"]: r for r in f["results"]}
    lines = [
        f"{t['title']}（项目编号：{t['code']}）第{t['lot']['number']}标段“{t['lot']['name']}”"
        f"于{_date_zh(t['evaluation_date'])}在{t['venues']['main']}"
        + (f"及{'、'.join(t['venues']['sub'])}" if t["venues"]["sub"] else "")
        + f"完成远程异地评标，评标办法为{METHOD_NAMES[t['method']]}。"
        "根据评标委员会出具的评标报告，现将中标候选人公示如下：",
        "",
    ]
    for c in f["candidates"]:
        r = results[c["bidder"]]
        figure = (
            f"评标得分：{r['total']}分"
            if t["method"] == "comprehensive"
            else f"评审价：{_yuan(r['evaluated_price'])}元"
        )
        lines.append(
            f"{RANK_NAMES[c['rank'] - 1]}中标候选人：{c['name']}（统一社会信用代码：{c['credit_code']}），"
            f"投标报价：{_yuan(c['price'])}元，{figure}。"
        )
    if f["out"]:
        lines += ["", "否决投标情况："]
        lines += [f"{view.bidder(o['bidder'])}：{o['reason']}" for o in f["out"]]
    lines += [
        "",
        f"公示期：{_time_zh(starts)}至{_time_zh(ends)}（共{days}日）。",
        "投标人或者其他利害关系人对评标结果有异议的，应当在中标候选人公示期间以书面形式向招标人提出。",
        f"评标报告摘要（SHA-256）：{report.digest}",
    ]
    data = {
        "candidates": [
            {
                "lot": t["lot"]["number"],
                "rank": c["rank"],
                "bidder": {"name": c["name"], "credit_code": c["credit_code"]},
                "price": c["price"],
            }
            for c in f["candidates"]
        ]
    }
    title = f"{t['title']}第{t['lot']['number']}标段中标候选人公示"
    return Draft(title=title, body="\n".join(lines), data=data, starts=starts, ends=ends)
