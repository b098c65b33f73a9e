"""The report as an A4 PDF (reportlab), with the digest on every page; the font is fonts.py's.
Deterministic: same facts and font, same bytes (its dates are the evaluation date, never the time of
rendering)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from evaluation.report.facts import report_digest
from evaluation.report.fonts import choose_font, registered
from evaluation.report.view import REVIEW_NAMES, View, signature_rows

# The PDF's content as plain blocks first, so the font subset can be made for exactly its characters.
Block = tuple[Any, ...]


def _blocks(view: View, signatures: Sequence[Mapping[str, Any]]) -> list[Block]:
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
                signature_rows(view, signatures),
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


# The watermark of a training tender's report (培训项目): not a report with legal effect.
TRAINING_MARK = "培训 TRAINING"


def render_pdf(
    facts: Mapping[str, Any],
    *,
    signatures: Sequence[Mapping[str, Any]] = (),
    font: str | Path | None = None,
) -> bytes:
    """The report as an A4 PDF (see the module docstring for the font); deterministic for the same
    facts, signatures and font."""
    view = View(facts, report_digest(facts))
    blocks = _blocks(view, signatures)
    footer = f"评标报告 {facts['tender']['code']} · SHA-256 {view.digest}"
    if facts["tender"].get("training"):
        footer = f"{TRAINING_MARK} · {footer}"
    with registered(choose_font(font), _text_of([*blocks, ("p", footer), ("p", TRAINING_MARK)])) as name:
        return _build_pdf(facts, view, blocks, footer, name)


def _build_pdf(facts: Mapping[str, Any], view: View, blocks: list[Block], footer: str, name: str) -> bytes:
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
        if facts["tender"].get("training"):  # across every page, under nothing it could hide
            canvas.setFont(name, 40)
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, TRAINING_MARK)
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=("【培训 TRAINING】" if facts["tender"].get("training") else "")
        + f"评标报告 {facts['tender']['code']}",
        author="sunbid",
        subject=f"SHA-256 {view.digest}",
        creator="sunbid evaluation report",
        invariant=1,
        lang="zh-CN",
        initialFontName=name,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
