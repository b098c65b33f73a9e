"""The evaluation report: facts, digest, HTML, PDF (CJK), signatures and the publicity draft.

Worked example (``test_worked_example``): a committee of five (e4 declares a conflict and the
alternate a1 takes the seat), four bidders, criteria T1 施工组织设计 30 (step 0.5), T2 质量保证措施
10 (step 1), C1 企业业绩 10 (step 0.5), price 50; anomaly limit 20 % of a criterion's maximum
(T1: 6 points, T2 and C1: 2 points).

- Qualification: 3 of 5 fail B2 on Q1 (营业执照已过期) → B2 is out. One member alone fails B3 on Q2:
  recorded, not a majority, B3 stays in.
- Scoring: everyone gives T1 24, T2 8, C1 8, except: e1 first gives B1 C1 7, then 8 before submitting;
  e5 gives B1 T1 15 (deviation −9 > 6: confirmed with a reason, counts); e2 gives B3 C1 4 (−4 > 2:
  left unexplained, does not count); e3 gives B4 T2 3, the chair returns e3's sheet with a reason and
  e3 corrects it to 7 (deviation −1: no anomaly).
- Prices: B1 4,850,000.00, B2 4,500,000.00 (out), B3 4,920,000.00, B4 4,780,000.00; coefficient 0.02;
  3 valid bids (< 5: no extremes dropped). Benchmark = (4,850,000 + 4,920,000 + 4,780,000) / 3 × 0.98
  = 4,753,000.00.
- Price scores (full 50, −1 per % above, −0.5 per % below):
  B1 +2.0408163 % → 47.96; B3 +3.5135704 % → 46.49; B4 +0.5680623 % → 49.43.
- Committee scores (mean of five): B1 T1 (4 × 24 + 15) / 5 = 22.20, T2 8.00, C1 8.00 → 47.96 + 30.20
  + 8.00 = 86.16; B3 T1 24, T2 8, C1 8.00 (e2's 4 dropped) → 46.49 + 32.00 + 8.00 = 86.49; B4 T1 24,
  T2 (4 × 8 + 7) / 5 = 7.80, C1 8 → 49.43 + 31.80 + 8.00 = 89.23.
- Ranking: B4 89.23, B3 86.49, B1 86.16: the candidates, in that order.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import reduce
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fontTools.ttLib import TTFont

from crypto.signing import SignatureError, canonical_json, key_id, public_key_to_text
from evaluation.report.document import Report, build_report
from evaluation.report.facts import (
    BidderFacts,
    MemberFacts,
    ReportError,
    TenderFacts,
    report_digest,
    report_facts,
)
from evaluation.report.fonts import FALLBACK_FONT, FONT_SEARCH, find_cjk_font
from evaluation.report.pdf import render_pdf
from evaluation.report.publicity import publicity_draft
from evaluation.report.signatures import (
    SIGNATURES_TYPE,
    MemberSignature,
    ReportSignatureError,
    sign_report,
    signature_page,
    signing_message,
    verify_member_signature,
)
from evaluation.scoring import AnomalyLimit, Criterion, EvaluationMethod, PriceScoreParams, ScoringResult
from evaluation.steps import (
    Advance,
    AnomalyConfirmed,
    AnomalyUnexplained,
    AvoidanceDeclared,
    ChairVote,
    Event,
    Phase,
    Room,
    RoomOpened,
    ScoreGiven,
    ScoresReturned,
    SheetSubmitted,
    SignedIn,
    Verdict,
    evaluate_room,
    fold,
    price_event,
    ranking_event,
    transition,
)

D = Decimal
DRAWN = ("e1", "e2", "e3", "e4", "e5")
MEMBERS = ("e1", "e2", "e3", "a1", "e5")  # after e4's avoidance
CHAIR = "e1"
BIDDERS = ("B1", "B2", "B3", "B4")
T1 = Criterion("T1", "technical", D(30), D("0.5"), "施工组织设计")
T2 = Criterion("T2", "technical", D(10), D(1), "质量保证措施")
C1 = Criterion("C1", "commercial", D(10), D("0.5"), "企业业绩")
PR = Criterion("PR", "price", D(50), D("0.01"), "投标报价")
METHOD = EvaluationMethod(
    "comprehensive",
    (T1, T2, C1, PR),
    PriceScoreParams(D(50), D(1), D("0.5"), 5, D("0.02")),
    AnomalyLimit(D(20)),
)
PRICES = {"B1": D("4850000.00"), "B2": D("4500000.00"), "B3": D("4920000.00"), "B4": D("4780000.00")}

RETURN_REASON = "B4 质量保证措施评分与评分标准不符，请复核"
CONFIRM_REASON = "施工方案缺少冬季施工措施，按评分标准扣分"
CONFLICT_REASON = "近三年曾在投标人单位任职"
Q1_REASON = "营业执照已过期"
Q2_REASON = "安全生产许可证扫描件不清晰"

TENDER = TenderFacts(
    code="JLGGZY-2026-0417",
    title="吉林市船营区第二实验小学教学楼改扩建工程",
    lot="1",
    lot_name="施工",
    method="comprehensive",
    budget=D("5000000.00"),
    ceiling_price=D("4950000.00"),
    evaluation_date=date(2026, 11, 20),
    venues=("吉林市公共资源交易中心第一评标室", "永吉县评标分会场", "磐石市评标分会场"),
    tenderer="吉林市船营区教育局",
    agent="吉林省华正工程咨询有限公司",
    review_items={"Q1": "营业执照", "Q2": "安全生产许可证", "R1": "投标函签字盖章"},
)
PEOPLE = {
    "e1": ("王建国", "船营区", "吉林市建筑设计院"),
    "e2": ("李秀英", "永吉县", "永吉县住房和城乡建设局"),
    "e3": ("张伟", "磐石市", "磐石市第一建筑公司"),
    "e4": ("刘洋", "船营区", "吉林建筑科技学院"),
    "a1": ("陈静", "丰满区", "吉林市工程造价站"),
    "e5": ("杨帆", "永吉县", "永吉县建设工程质量监督站"),
}
VENUES = {
    "船营区": TENDER.venues[0],
    "丰满区": TENDER.venues[0],
    "永吉县": TENDER.venues[1],
    "磐石市": TENDER.venues[2],
}
BIDDER_FACTS = {
    "B1": ("91220200MA14XQ8K2L", "吉林市松江建筑工程有限公司"),
    "B2": ("91220201MA15AB3C4D", "吉林省北华建设集团有限公司"),
    "B3": ("91220202MA16EF5G6H", "永吉县鸿达建筑安装有限公司"),
    "B4": ("91220203MA17JK7L8M", "磐石市恒泰建设工程有限公司"),
}


def private_key(code: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"member {code}".encode()).digest())


def members_info() -> dict[str, MemberFacts]:
    return {
        code: MemberFacts(
            name=name,
            county=county,
            venue=VENUES[county],
            employer=employer,
            chair=code == CHAIR,
            public_key=public_key_to_text(private_key(code).public_key()),
        )
        for code, (name, county, employer) in PEOPLE.items()
    }


def bidders_info(prices: Mapping[str, Decimal] = PRICES) -> dict[str, BidderFacts]:
    return {b: BidderFacts(credit, name, prices[b]) for b, (credit, name) in BIDDER_FACTS.items()}


def verdicts(
    review: str, items: Sequence[str], bidders: Sequence[str], fails: Mapping[Any, str]
) -> list[Event]:
    return [
        Verdict(review, m, b, i, (m, b, i) not in fails, fails.get((m, b, i), ""))  # type: ignore[arg-type]
        for m in MEMBERS
        for b in bidders
        for i in items
    ]


def sheets(odd: Mapping[tuple[str, str, str], Decimal]) -> list[Event]:
    out: list[Event] = [ScoreGiven("e1", "B1", "C1", D(7))]  # changed to 8 below, before submitting
    for m in MEMBERS:
        for b in ("B1", "B3", "B4"):
            for c, base in (("T1", D(24)), ("T2", D(8)), ("C1", D(8))):
                out.append(ScoreGiven(m, b, c, odd.get((m, b, c), base)))
        # The last sheet in must explain its outliers as it is submitted (the others' are confirmed later).
        reasons = tuple((b, c, CONFIRM_REASON) for (who, b, c) in odd if who == m) if m == MEMBERS[-1] else ()
        out.append(SheetSubmitted(m, reasons))
    return out


def scoring_events(odd: Mapping[tuple[str, str, str], Decimal] | None = None) -> list[Event]:
    """The room of the worked example up to the price score phase."""
    odd = {("e5", "B1", "T1"): D(15), ("e2", "B3", "C1"): D(4), ("e3", "B4", "T2"): D(3), **(odd or {})}
    sign_in: list[Event] = []
    for m in DRAWN:
        sign_in.append(SignedIn(m))
        sign_in.append(AvoidanceDeclared(m, m == "e4", CONFLICT_REASON if m == "e4" else ""))
    sign_in += [SignedIn("a1"), AvoidanceDeclared("a1", False)]
    q_fails = {(m, "B2", "Q1"): Q1_REASON for m in ("e1", "e2", "e3")} | {("e5", "B3", "Q2"): Q2_REASON}
    return [
        RoomOpened(DRAWN, ("a1",), BIDDERS, ("Q1", "Q2"), ("R1",), METHOD.criteria, METHOD.anomaly),
        *sign_in,
        Advance(CHAIR),
        *[ChairVote(m, CHAIR) for m in MEMBERS],
        Advance(CHAIR),
        *verdicts("qualification", ("Q1", "Q2"), BIDDERS, q_fails),
        Advance(CHAIR),
        *verdicts("preliminary", ("R1",), ("B1", "B3", "B4"), {}),
        Advance(CHAIR),
        *sheets(odd),
        ScoresReturned(CHAIR, "e3", RETURN_REASON),
        ScoreGiven("e3", "B4", "T2", D(7)),
        SheetSubmitted("e3"),
        AnomalyConfirmed("e5", "B1", "T1", CONFIRM_REASON),
        AnomalyUnexplained(CHAIR, "e2", "B3", "C1"),
        Advance(CHAIR),
    ]


def to_report(events: Sequence[Event], prices: Mapping[str, Decimal] = PRICES) -> tuple[Room, ScoringResult]:
    room = fold(events)
    assert room.phase is Phase.PRICE_SCORE
    evaluation = evaluate_room(room, METHOD, prices)
    room = reduce(
        transition, [price_event(evaluation), Advance(CHAIR), ranking_event(evaluation), Advance(CHAIR)], room
    )
    assert room.phase is Phase.REPORT
    return room, evaluation


def make_report(odd: Mapping[tuple[str, str, str], Decimal] | None = None, **changes: Any) -> Report:
    room, evaluation = to_report(scoring_events(odd))
    return build_report(room, evaluation, replace(TENDER, **changes), members_info(), bidders_info())


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


def score_of(facts: Mapping[str, Any], member: str, bidder: str, criterion: str) -> dict[str, Any]:
    return next(
        s
        for s in facts["scores"]
        if (s["member"], s["bidder"], s["criterion"]) == (member, bidder, criterion)
    )


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as pdfium extracts it, without line breaks (a table cell wraps its text)."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    return "".join(pages).replace("\r", "").replace("\n", "")


def pdf_fonts(pdf: bytes) -> list[dict[str, Any]]:
    """Each font of each page: its BaseFont and the embedded font program (bytes) if any."""
    found: dict[str, dict[str, Any]] = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = None
            if "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            elif "/FontDescriptor" in font:
                descriptor = font["/FontDescriptor"]
            program = None
            if descriptor is not None:
                descriptor = descriptor.get_object()
                for key in ("/FontFile2", "/FontFile3", "/FontFile"):
                    if key in descriptor:
                        program = descriptor[key].get_object().get_data()
            found[str(font["/BaseFont"])] = {"name": str(font["/BaseFont"]), "program": program}
    return list(found.values())


ROOT = Path(__file__).resolve().parents[2]
NOTO = [p for p in FONT_SEARCH if "Noto" in p and Path(p).is_file()]
# Pinned: the digest is what members sign, so the facts' encoding must not drift unnoticed. A change
# to the facts' shape is a new REPORT_TYPE version and a new pinned digest.
PINNED_DIGEST = "0f88e5be3feecce88e93834caf5147bbcb747e267c94d46f687cb083d041b1d1"


# --- the worked example ------------------------------------------------------------------------------


def test_worked_example(report: Report) -> None:
    f = report.facts
    assert f["type"] == "sunbid.evaluation-report.v1"
    assert f["price"]["benchmark"] == "4753000.00"
    assert f["price"]["figures"] == [
        {"bidder": "B1", "value": "47.96"},
        {"bidder": "B3", "value": "46.49"},
        {"bidder": "B4", "value": "49.43"},
    ]
    assert f["committee_scores"] == [
        {"bidder": "B1", "criteria": {"T1": "22.20", "T2": "8.00", "C1": "8.00"}},
        {"bidder": "B3", "criteria": {"T1": "24.00", "T2": "8.00", "C1": "8.00"}},
        {"bidder": "B4", "criteria": {"T1": "24.00", "T2": "7.80", "C1": "8.00"}},
    ]
    assert [
        (r["rank"], r["bidder"], r["price_score"], r["technical"], r["commercial"], r["total"])
        for r in f["results"]
    ] == [
        (1, "B4", "49.43", "31.80", "8.00", "89.23"),
        (2, "B3", "46.49", "32.00", "8.00", "86.49"),
        (3, "B1", "47.96", "30.20", "8.00", "86.16"),
    ]
    assert f["tie_break"]["rule"].startswith("按总分由高到低排序；总分相同的，投标报价低者优先")
    assert f["tie_break"]["applied"] == []  # every place was decided by the total
    assert f["candidates"] == [
        {
            "rank": 1,
            "bidder": "B4",
            "name": "磐石市恒泰建设工程有限公司",
            "credit_code": "91220203MA17JK7L8M",
            "price": "4780000.00",
        },
        {
            "rank": 2,
            "bidder": "B3",
            "name": "永吉县鸿达建筑安装有限公司",
            "credit_code": "91220202MA16EF5G6H",
            "price": "4920000.00",
        },
        {
            "rank": 3,
            "bidder": "B1",
            "name": "吉林市松江建筑工程有限公司",
            "credit_code": "91220200MA14XQ8K2L",
            "price": "4850000.00",
        },
    ]


def test_the_committee_with_keys_and_the_replacement(report: Report) -> None:
    committee = report.facts["committee"]
    assert committee["chair"] == "e1"
    assert [m["code"] for m in committee["members"]] == list(MEMBERS)
    chen = committee["members"][3]
    assert chen == {
        "code": "a1",
        "name": "陈静",
        "role": "expert",
        "chair": False,
        "county": "丰满区",
        "venue": "吉林市公共资源交易中心第一评标室",
        "employer": "吉林市工程造价站",
        "public_key": public_key_to_text(private_key("a1").public_key()),
        "key_id": key_id(private_key("a1").public_key()),
    }
    assert [m["chair"] for m in committee["members"]] == [True, False, False, False, False]
    assert committee["replacements"] == [
        {"member": "e4", "name": "刘洋", "reason": CONFLICT_REASON, "replaced_by": "a1"}
    ]


def test_the_facts_hold_every_score_of_every_member(report: Report) -> None:
    room, _ = to_report(scoring_events())
    scores = report.facts["scores"]
    assert len(scores) == 5 * 3 * 3  # members × bidders still in × member criteria
    for s in scores:
        assert D(s["score"]) == room.scores[(s["member"], s["bidder"], s["criterion"])]
    assert {s["bidder"] for s in scores} == {"B1", "B3", "B4"}  # B2 was out before scoring
    assert score_of(report.facts, "a1", "B4", "T1") == {
        "member": "a1", "bidder": "B4", "criterion": "T1", "score": "24", "counts": True,
        "history": [{"value": "24", "after_return": None}],
    }  # fmt: skip
    # changed before submitting: both values, no return
    assert score_of(report.facts, "e1", "B1", "C1")["history"] == [
        {"value": "7", "after_return": None},
        {"value": "8", "after_return": None},
    ]
    # the returned sheet: the corrected value says which return it answered
    assert score_of(report.facts, "e3", "B4", "T2") == {
        "member": "e3", "bidder": "B4", "criterion": "T2", "score": "7", "counts": True,
        "history": [{"value": "3", "after_return": None}, {"value": "7", "after_return": RETURN_REASON}],
    }  # fmt: skip
    assert report.facts["returns"] == [{"member": "e3", "by": "e1", "reason": RETURN_REASON}]
    # the unexplained anomaly's score is kept but does not count
    assert score_of(report.facts, "e2", "B3", "C1")["counts"] is False
    assert [s for s in scores if not s["counts"]] == [score_of(report.facts, "e2", "B3", "C1")]


def test_reviews_keep_every_verdict_and_the_reasons(report: Report) -> None:
    qualification = report.facts["reviews"]["qualification"]
    assert qualification["items"] == [
        {"id": "Q1", "name": "营业执照"},
        {"id": "Q2", "name": "安全生产许可证"},
    ]
    assert len(qualification["verdicts"]) == 4 * 2 * 5
    fails = [v for v in qualification["verdicts"] if not v["passed"]]
    assert fails == [
        {"bidder": "B2", "item": "Q1", "member": m, "passed": False, "reason": Q1_REASON}
        for m in ("e1", "e2", "e3")
    ] + [{"bidder": "B3", "item": "Q2", "member": "e5", "passed": False, "reason": Q2_REASON}]
    results = {r["bidder"]: r for r in qualification["results"]}
    assert results["B3"] == {"bidder": "B3", "passed": True, "failed": []}  # one fail of five is no majority
    assert results["B2"]["failed"] == [
        {
            "item": "Q1",
            "fails": 3,
            "of": 5,
            "by": [{"member": m, "reason": Q1_REASON} for m in ("e1", "e2", "e3")],
        }
    ]
    preliminary = report.facts["reviews"]["preliminary"]
    assert [r["bidder"] for r in preliminary["results"]] == ["B1", "B3", "B4"]
    assert all(r["passed"] for r in preliminary["results"])
    assert report.facts["out"] == [
        {
            "bidder": "B2",
            "stage": "qualification",
            "reason": f"qualification Q1 failed by 3 of 5: {'; '.join([Q1_REASON] * 3)}",
        }
    ]


def test_anomalies_with_their_reason_or_unexplained(report: Report) -> None:
    assert report.facts["anomaly_limit"] == {"value": "20", "unit": "percent", "per": "criterion"}
    assert report.facts["anomalies"] == [
        {
            "member": "e2", "bidder": "B3", "unit": "C1", "score": "4", "others_mean": "8.00",
            "deviation": "-4.00", "threshold": "2", "status": "unexplained", "reason": None, "counts": False,
        },
        {
            "member": "e5", "bidder": "B1", "unit": "T1", "score": "15", "others_mean": "24.00",
            "deviation": "-9.00", "threshold": "6", "status": "confirmed", "reason": CONFIRM_REASON,
            "counts": True,
        },
    ]  # fmt: skip


# --- the digest --------------------------------------------------------------------------------------


def test_the_digest_is_sha256_of_the_canonical_facts_and_stable(report: Report) -> None:
    assert report.digest == hashlib.sha256(canonical_json(report.facts)).hexdigest()
    assert report.digest == report_digest(report.facts)
    assert make_report().digest == report.digest  # a fresh fold of the same events
    assert report.digest == PINNED_DIGEST
    # what the service stores (JSON) gives the same report back
    again = Report.from_facts(json.loads(json.dumps(report.facts)))
    assert again.digest == report.digest and again == report
    with pytest.raises(ReportError, match="not the facts of an evaluation report"):
        Report.from_facts({"type": "something else"})


def test_the_digest_changes_when_any_score_changes(report: Report) -> None:
    for i, s in enumerate(report.facts["scores"]):
        facts = json.loads(json.dumps(report.facts))
        facts["scores"][i]["score"] = str(D(s["score"]) + D("0.5"))
        assert report_digest(facts) != report.digest, s
    # and through the room: a1 gives B1 7 instead of 8 on T2
    other = make_report({("a1", "B1", "T2"): D(7)})
    assert score_of(other.facts, "a1", "B1", "T2")["score"] == "7"
    assert other.digest != report.digest


def test_the_same_score_written_differently_is_the_same_figure() -> None:
    assert make_report({("a1", "B1", "T1"): D("24.0")}).digest == make_report().digest


# --- HTML --------------------------------------------------------------------------------------------


def test_html_shows_the_names_reasons_and_digest(report: Report) -> None:
    html = report.html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    for text in (
        "评标报告",
        TENDER.title,
        "王建国",
        "陈静",
        "评标委员会主任（组长）",
        "磐石市恒泰建设工程有限公司",
        "吉林省北华建设集团有限公司",
        "营业执照经3/5名成员判定不合格，理由：营业执照已过期",
        Q2_REASON,
        CONFLICT_REASON,
        CONFIRM_REASON,
        RETURN_REASON,
        "3 → 7",
        "未说明理由",
        "4（不计）",
        "4,753,000.00",
        "89.23",
        "第一中标候选人",
        report.digest,
    ):
        assert text in html, text
    assert html.count(report.digest) >= 2


def test_html_escapes_what_people_typed() -> None:
    report = make_report(title="<script>alert(1)</script>改扩建工程")
    assert "<script>" not in report.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;改扩建工程" in report.html


# --- PDF ---------------------------------------------------------------------------------------------


def test_pdf_has_the_chinese_text(report: Report) -> None:
    assert report.pdf.startswith(b"%PDF-")
    text = pdf_text(report.pdf)
    for phrase in (
        "评标报告",
        "磐石市恒泰建设工程有限公司",
        "评标委员会",
        "王建国",
        Q1_REASON,
        CONFIRM_REASON,
        report.digest,
    ):
        assert phrase in text, phrase


def test_pdf_is_deterministic_and_dated_from_the_facts(report: Report) -> None:
    assert render_pdf(report.facts) == report.pdf
    info = pypdf.PdfReader(io.BytesIO(report.pdf)).metadata
    assert info is not None and info.creation_date is not None and info.modification_date is not None
    assert info.creation_date.date() == info.modification_date.date() == date(2026, 11, 20)
    assert info.title == "评标报告 JLGGZY-2026-0417"
    assert info.subject == f"SHA-256 {report.digest}"


def test_pdf_is_the_same_in_another_process(report: Report) -> None:
    code = (
        "import hashlib; from tests.evaluation.test_report import make_report; "
        "print(hashlib.sha256(make_report().pdf).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == hashlib.sha256(report.pdf).hexdigest()


@pytest.mark.skipif(not NOTO, reason="fonts-noto-cjk is not installed")
def test_pdf_embeds_the_noto_cjk_font(report: Report) -> None:
    assert find_cjk_font({}) == Path(NOTO[0])
    fonts = pdf_fonts(report.pdf)
    cjk = [f for f in fonts if "NotoSansCJK" in f["name"]]
    assert cjk and len(cjk) == len(fonts)  # every font is the embedded Noto subset
    for font in cjk:
        assert font["program"] is not None, f"{font['name']} is not embedded"
        program = TTFont(io.BytesIO(font["program"]))
        glyf = program["glyf"]
        empty = [g for g in program.getGlyphOrder()[1:] if glyf[g].numberOfContours == 0]
        # real outlines, not tofu: only the space may be blank
        assert len(program.getGlyphOrder()) > 20 and len(empty) <= 1, (font["name"], empty)


def test_pdf_falls_back_to_the_builtin_cid_font(report: Report) -> None:
    pdf = render_pdf(report.facts, font=FALLBACK_FONT)
    fonts = pdf_fonts(pdf)
    assert [f["name"] for f in fonts] == ["/STSong-Light"]

    assert all(f["program"] is None for f in fonts)  # the viewer supplies it
    text = pdf_text(pdf)
    assert "评标报告" in text and "磐石市恒泰建设工程有限公司" in text


def test_font_setting(tmp_path: Path) -> None:
    assert find_cjk_font({"SUNBID_REPORT_FONT": "STSong-Light"}) is None
    with pytest.raises(ReportError, match=r"SUNBID_REPORT_FONT=.*no such font file"):
        find_cjk_font({"SUNBID_REPORT_FONT": str(tmp_path / "missing.ttf")})
    with pytest.raises(ReportError, match="no such font file"):
        render_pdf(make_report().facts, font=tmp_path / "missing.ttf")
    if NOTO:
        assert find_cjk_font({"SUNBID_REPORT_FONT": NOTO[0]}) == Path(NOTO[0])


# --- signatures --------------------------------------------------------------------------------------


def test_signing_message_is_domain_separated(report: Report) -> None:
    assert signing_message(report.digest) == b"sunbid-evaluation-report-v1\n" + report.digest.encode()
    with pytest.raises(ReportSignatureError, match="64 lowercase hex"):
        signing_message(report.digest.upper())


def test_a_good_signature_verifies_and_a_wrong_one_is_refused_clearly(report: Report) -> None:
    key = private_key("e2")
    public = public_key_to_text(key.public_key())
    signature = sign_report(report.digest, key)
    assert verify_member_signature(report.digest, public, signature) is None
    # by hand, as a member's page does it: Ed25519 over the prefixed digest
    assert base64.b64decode(signature) == key.sign(b"sunbid-evaluation-report-v1\n" + report.digest.encode())
    other = public_key_to_text(private_key("e3").public_key())
    with pytest.raises(
        ReportSignatureError,
        match=r"does not match report .* under key .*another key, or over another report",
    ):
        verify_member_signature(report.digest, other, signature)
    altered = ("0" if report.digest[0] != "0" else "1") + report.digest[1:]
    with pytest.raises(ReportSignatureError, match="does not match"):
        verify_member_signature(altered, public, signature)
    # a signature of the bare digest (no domain prefix) is not a report signature
    bare = base64.b64encode(key.sign(report.digest.encode())).decode()
    with pytest.raises(ReportSignatureError, match="does not match"):
        verify_member_signature(report.digest, public, bare)
    with pytest.raises(ReportSignatureError, match="not valid base64"):
        verify_member_signature(report.digest, public, "not base64!")
    with pytest.raises(ReportSignatureError, match="64 bytes, got 3"):
        verify_member_signature(report.digest, public, "YWJj")
    with pytest.raises(ReportSignatureError, match="public key is not usable"):
        verify_member_signature(report.digest, "rsa:abc", signature)
    # the service catches ReportError; callers of crypto catch SignatureError: both work
    assert issubclass(ReportSignatureError, ReportError) and issubclass(ReportSignatureError, SignatureError)


def test_the_signature_page_lists_every_signature_and_leaves_the_digest_alone(report: Report) -> None:
    at = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    signatures = [
        MemberSignature(m, sign_report(report.digest, private_key(m)), at + timedelta(minutes=i))
        for i, m in enumerate(reversed(MEMBERS))
    ]
    with pytest.raises(ReportError, match="2 of 5 members have not signed: e1, e2"):
        signature_page(report, signatures[:3])
    signed = signature_page(report, signatures)
    assert signed.digest == report.digest == report_digest(report.facts)
    assert signed.record["type"] == SIGNATURES_TYPE and signed.record["report"] == report.digest
    assert [s["member"] for s in signed.record["signatures"]] == list(MEMBERS)  # committee order
    assert signed.record["signatures"][0] == {
        "member": "e1",
        "key_id": key_id(private_key("e1").public_key()),
        "signature": sign_report(report.digest, private_key("e1")),
        "signed_at": "2026-11-20T08:34:00+00:00",
    }
    canonical_json(signed.record)  # storable as canonical JSON
    for s in signed.record["signatures"]:
        assert s["key_id"] in signed.html and s["signature"] in signed.html
    assert "签名页" in signed.html and "2026年11月20日16:34" in signed.html  # shown in Beijing time
    text = pdf_text(signed.pdf)
    assert "签名页" in text and report.digest in text and key_id(private_key("a1").public_key()) in text
    assert "Ed25519 签名（base64）" in text and "Ed25519 签名（base64）" not in pdf_text(report.pdf)
    # a forged or misattributed signature stops the page
    forged = [*signatures[:-1], MemberSignature("e1", sign_report(report.digest, private_key("e2")))]
    with pytest.raises(ReportSignatureError, match="does not match"):
        signature_page(report, forged)
    with pytest.raises(ReportSignatureError, match="e4 is not a member"):
        signature_page(report, [*signatures, MemberSignature("e4", signatures[0].signature)])
    with pytest.raises(ReportSignatureError, match="signed twice"):
        signature_page(report, [*signatures, signatures[0]])


def test_a_member_without_a_key_has_none_in_the_facts() -> None:
    room, evaluation = to_report(scoring_events())
    members = members_info()
    members["e2"] = replace(members["e2"], public_key="")
    report = build_report(room, evaluation, TENDER, members, bidders_info())
    e2 = report.facts["committee"]["members"][1]
    assert (e2["public_key"], e2["key_id"]) == (None, None)
    with pytest.raises(ReportSignatureError, match="e2 has no public key"):
        signature_page(report, [MemberSignature("e2", sign_report(report.digest, private_key("e2")))])
    members["e2"] = replace(members["e2"], public_key="ed25519:AAAA")
    with pytest.raises(ReportError, match="member e2's public key"):
        build_report(room, evaluation, TENDER, members, bidders_info())


# --- the candidate-publicity notice ------------------------------------------------------------------


def test_publicity_draft_has_the_candidates_in_the_ocds_shape(report: Report) -> None:
    starts = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    draft = publicity_draft(report, starts=starts)
    assert draft.ends == starts + timedelta(days=3)
    assert draft.title == "吉林市船营区第二实验小学教学楼改扩建工程第1标段中标候选人公示"
    # exactly the `candidates` payload documented in publication/ocds.py
    assert draft.data == {
        "candidates": [
            {"lot": "1", "rank": rank, "price": price,
             "bidder": {"name": BIDDER_FACTS[b][1], "credit_code": BIDDER_FACTS[b][0]}}
            for rank, b, price in ((1, "B4", "4780000.00"), (2, "B3", "4920000.00"), (3, "B1", "4850000.00"))
        ]
    }  # fmt: skip
    for row in draft.data["candidates"]:
        assert set(row) == {"lot", "rank", "bidder", "price"} and set(row["bidder"]) == {
            "name",
            "credit_code",
        }
        assert isinstance(row["lot"], str) and isinstance(row["rank"], int)
        assert re.fullmatch(r"\d+\.\d{2}", row["price"])
    json.dumps(draft.data)  # stored with the notice as JSON
    body = draft.body
    assert (
        "第一中标候选人：磐石市恒泰建设工程有限公司（统一社会信用代码：91220203MA17JK7L8M），投标报价：4,780,000.00元，评标得分：89.23分。"
        in body
    )
    assert "第三中标候选人：吉林市松江建筑工程有限公司" in body
    assert "公示期：2026年11月23日09:00至2026年11月26日09:00（共3日）。" in body
    assert "吉林省北华建设集团有限公司：" in body  # the bidder out, with why
    assert report.digest in body
    longer = publicity_draft(report, starts=starts, days=5)
    assert longer.ends == starts + timedelta(days=5)


@pytest.mark.parametrize("days", [2, 0, -3])
def test_publicity_lasts_at_least_three_days(report: Report, days: int) -> None:
    with pytest.raises(ReportError, match="at least 3 days"):
        publicity_draft(report, starts=datetime(2026, 11, 23, tzinfo=UTC), days=days)


def test_publicity_start_must_be_timezone_aware(report: Report) -> None:
    with pytest.raises(ReportError, match="timezone-aware"):
        publicity_draft(report, starts=datetime(2026, 11, 23))


# --- the lowest evaluated price method and a stated tie-break ----------------------------------------


def test_lowest_price_report_states_the_tie_break() -> None:
    q = Criterion("T1", "technical", D(10), D(1), "技术方案")
    method = EvaluationMethod("lowest_price", (q,), None, AnomalyLimit(D(50)))
    people = ("m1", "m2", "m3")
    events: list[Event] = [RoomOpened(people, (), ("X1", "X2", "X3"), ("Q1",), (), (q,), method.anomaly)]
    events += [e for m in people for e in (SignedIn(m), AvoidanceDeclared(m, False))] + [Advance("m1")]
    events += [ChairVote(m, "m1") for m in people] + [Advance("m1")]
    events += [Verdict("qualification", m, b, "Q1", True) for m in people for b in ("X1", "X2", "X3")]
    events += [Advance("m1"), Advance("m1")]  # no preliminary items
    events += [
        e
        for m in people
        for e in (*[ScoreGiven(m, b, "T1", D(6)) for b in ("X1", "X2", "X3")], SheetSubmitted(m))
    ]
    events += [Advance("m1")]
    room = fold(events)
    prices = {"X1": D("1000000.00"), "X2": D("1020000.00"), "X3": D("1100000.00")}
    evaluation = evaluate_room(room, method, prices, adjustments={"X1": D("20000.00")})
    room = reduce(
        transition, [price_event(evaluation), Advance("m1"), ranking_event(evaluation), Advance("m1")], room
    )
    names = {
        "X1": "吉林市丰源电力工程有限公司",
        "X2": "蛟河市宏达电气设备有限公司",
        "X3": "桦甸市天成建设有限公司",
    }
    tender = replace(TENDER, method="lowest_price", review_items={})
    members = {
        m: MemberFacts(f"成员{i}", "船营区", TENDER.venues[0], "某单位", m == "m1")
        for i, m in enumerate(people, 1)
    }
    bidders = {b: BidderFacts(f"9122020{i}MA0000000X", names[b], prices[b]) for i, b in enumerate(prices)}
    report = build_report(room, evaluation, tender, members, bidders)
    # X1: 1,000,000 + 20,000 = 1,020,000 ties X2's 1,020,000: the lower bid price puts X1 first
    assert [
        (r["rank"], r["bidder"], r["evaluated_price"], r["separated_by"]) for r in report.facts["results"]
    ] == [
        (1, "X1", "1020000.00", None),
        (2, "X2", "1020000.00", "price"),
        (3, "X3", "1100000.00", "evaluated_price"),
    ]
    statement = (
        "吉林市丰源电力工程有限公司与蛟河市宏达电气设备有限公司评审价相同，"
        "按投标报价确定前者排名第1、后者排名第2。"
    )
    assert report.facts["tie_break"]["applied"] == [
        {"rank": 2, "bidder": "X2", "above": "X1", "by": "price", "statement": statement}
    ]
    assert report.facts["price"]["benchmark"] is None
    assert statement in report.html and "经评审的最低投标价法" in report.html
    assert statement in pdf_text(report.pdf)
    draft = publicity_draft(report, starts=datetime(2026, 11, 23, tzinfo=UTC))
    assert "评审价：1,020,000.00元" in draft.body


# --- what the report refuses -------------------------------------------------------------------------


def test_the_report_needs_a_published_ranking_and_consistent_facts() -> None:
    events = scoring_events()
    room = fold(events)
    evaluation = evaluate_room(room, METHOD, PRICES)
    with pytest.raises(ReportError, match="the room is in price_score"):
        report_facts(room, evaluation, TENDER, members_info(), bidders_info())
    room, evaluation = to_report(events)
    members = members_info()
    del members["a1"]
    with pytest.raises(ReportError, match="no member facts for: a1"):
        report_facts(room, evaluation, TENDER, members, bidders_info())
    members = members_info()
    members["e2"] = replace(members["e2"], chair=True)
    with pytest.raises(ReportError, match="the room elected e1 chair, not e2"):
        report_facts(room, evaluation, TENDER, members, bidders_info())
    with pytest.raises(ReportError, match="exactly the room's bidders"):
        report_facts(room, evaluation, TENDER, members_info(), {"B1": bidders_info()["B1"]})
    with pytest.raises(ReportError, match="unknown evaluation method 'best'"):
        report_facts(room, evaluation, replace(TENDER, method="best"), members_info(), bidders_info())
    with pytest.raises(ReportError, match="evaluation used comprehensive, the tender says lowest_price"):
        report_facts(room, evaluation, replace(TENDER, method="lowest_price"), members_info(), bidders_info())
    with pytest.raises(ReportError, match="B4's price differs from its opened price"):
        report_facts(room, evaluation, TENDER, members_info(), bidders_info({**PRICES, "B4": D("1.00")}))
    other = evaluate_room(fold(events), METHOD, {**PRICES, "B1": D("4700000.00")})  # not the room's
    with pytest.raises(ReportError, match="ranking is not the one the room published"):
        report_facts(room, other, TENDER, members_info(), bidders_info())


@pytest.mark.skipif(not NOTO, reason="fonts-noto-cjk is not installed")
def test_each_pdf_gets_a_subset_with_its_own_characters() -> None:
    # reportlab would map a second subset of the same face onto the first: the second report's own
    # characters (here 桦甸蛟) must still be there
    first = make_report().pdf
    second = make_report(title="桦甸市蛟河路改造工程")
    assert "桦甸市蛟河路改造工程" in pdf_text(second.pdf)
    assert "桦甸" not in pdf_text(first)
    assert all(f["program"] is not None for f in pdf_fonts(second.pdf))


@pytest.mark.skipif(not NOTO, reason="fonts-noto-cjk is not installed")
def test_a_character_the_font_lacks_falls_back_to_the_builtin_font() -> None:
    # better a font every viewer supplies than an embedded subset that would draw a blank box
    report = make_report(title="教学楼改扩建工程\U0001f3eb")
    assert [f["name"] for f in pdf_fonts(report.pdf)] == ["/STSong-Light"]
