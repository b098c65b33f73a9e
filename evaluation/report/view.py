"""The view both renderings share (HTML and PDF) and the publicity draft: lookups over the facts and
their Chinese labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from core.clock import SHANGHAI
from evaluation.params import MEMBER_GROUPS
from evaluation.report.facts import KEY_NAMES, METHOD_NAMES

GROUP_NAMES = {"technical": "技术", "commercial": "商务", "price": "价格"}
REVIEW_NAMES = {"qualification": "资格审查", "preliminary": "初步评审"}
ROLE_NAMES = {"expert": "评标专家", "tenderer": "招标人代表"}
RANK_NAMES = ("第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九", "第十")


def yuan(text: str | None) -> str:
    """``1234567.80`` → ``1,234,567.80``."""
    if text is None:
        return "—"
    whole, _, cents = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{cents or '00'}"


def date_zh(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def time_zh(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"


class View:
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
            ("预算金额（元）", yuan(t["budget"])),
        ]
        if t["ceiling_price"] is not None:
            rows.append(("最高投标限价（元）", yuan(t["ceiling_price"])))
        rows += [
            ("评标日期", date_zh(t["evaluation_date"])),
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
            [str(i), b["name"], b["credit_code"], yuan(b["price"])]
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
            return f"评标基准价：{yuan(benchmark)} 元（由平台按招标文件规定的公式计算）。"
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
                        yuan(r["price"]),
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
                        yuan(r["price"]),
                        yuan(r["adjustments"]),
                        yuan(r["evaluated_price"]),
                        r["technical"],
                        by,
                    ]
                )
        return rows

    def candidate_rows(self) -> list[list[str]]:
        return [
            [f"{RANK_NAMES[c['rank'] - 1]}中标候选人", c["name"], c["credit_code"], yuan(c["price"])]
            for c in self.f["candidates"]
        ]

    def signing_text(self) -> str:
        return (
            "本报告内容的 SHA-256 摘要见下。评标委员会成员以各自的 Ed25519 私钥对"
            "“sunbid-evaluation-report-v1”加换行符加该摘要签名；签名不改变本报告及其摘要。"
        )


def signature_rows(view: View, signatures: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [
        [
            view.member(s["member"]),
            s["key_id"],
            s["signed_at_zh"] or "—",
            s["signature"],
        ]
        for s in signatures
    ]
