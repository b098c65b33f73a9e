"""The candidate-publicity notice (中标候选人公示) drafted from the report's facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from evaluation.report.document import Report
from evaluation.report.facts import METHOD_NAMES, ReportError
from evaluation.report.view import RANK_NAMES, View, date_zh, time_zh, yuan

PUBLICITY_MIN_DAYS = 3  # 《招标投标法实施条例》第五十四条: 公示期不得少于3日


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


def publicity_draft(
    report: Report, *, starts: datetime, days: int = PUBLICITY_MIN_DAYS, day: timedelta = timedelta(days=1)
) -> Draft:
    """The candidate-publicity notice (中标候选人公示) in Chinese, and its structured ``data`` in the
    ``candidates`` shape publication/ocds.py documents. The publicity lasts ``days`` calendar days
    from ``starts`` (timezone-aware), at least three (《招标投标法实施条例》第五十四条); ``day`` is one
    statutory day on the tender's clock (shorter only for a training tender, bidding's lifecycle says)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < PUBLICITY_MIN_DAYS:
        raise ReportError(f"the publicity period must be at least {PUBLICITY_MIN_DAYS} days, not {days!r}")
    if starts.tzinfo is None:
        raise ReportError("the publicity start must be timezone-aware")
    f = report.facts
    t = f["tender"]
    if not f["candidates"]:
        raise ReportError("no bidder is ranked: there is no candidate to publish")
    ends = starts + days * day
    view = View(f, report.digest)
    results = {r["bidder"]: r for r in f["results"]}
    lines = [
        f"{t['title']}（项目编号：{t['code']}）第{t['lot']['number']}标段“{t['lot']['name']}”"
        f"于{date_zh(t['evaluation_date'])}在{t['venues']['main']}"
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
            else f"评审价：{yuan(r['evaluated_price'])}元"
        )
        lines.append(
            f"{RANK_NAMES[c['rank'] - 1]}中标候选人：{c['name']}（统一社会信用代码：{c['credit_code']}），"
            f"投标报价：{yuan(c['price'])}元，{figure}。"
        )
    if f["out"]:
        lines += ["", "否决投标情况："]
        lines += [f"{view.bidder(o['bidder'])}：{o['reason']}" for o in f["out"]]
    lines += [
        "",
        f"公示期：{time_zh(starts)}至{time_zh(ends)}（共{days}日）。",
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
