"""The shipped rule catalogue and which platform events deduct under which rule.

This is data: supervisors edit rules through the service afterwards. Points have one decimal place;
validity is in days from the deduction's date; ``bars`` means the subject may not bid or be drawn
while the deduction is active.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from credit.subjects import SubjectKind

ZBTBF = "《中华人民共和国招标投标法》"
TIAOLI = "《中华人民共和国招标投标法实施条例》"
DIANZI = "《电子招标投标办法》"
ZHUANJIA = "《评标专家和评标专家库管理办法》"
PINGBIAO = "《评标委员会和评标方法暂行规定》"
TOUSU = "《工程建设项目招标投标活动投诉处理办法》"


@dataclass(frozen=True)
class RuleSpec:
    code: str
    kind: SubjectKind
    title: str
    description: str
    points: Decimal
    validity_days: int
    legal_basis: str
    bars: bool = False
    event: str | None = None


B, A, T, E = SubjectKind.BIDDER, SubjectKind.AGENT, SubjectKind.TENDERER, SubjectKind.EXPERT
P = Decimal

CATALOGUE: tuple[RuleSpec, ...] = (
    # bidders (投标人)
    RuleSpec("B01", B, "围标串标", "与其他投标人或招标人串通投标", P(20), 730,
             f"{ZBTBF}第三十二条、第五十三条；{TIAOLI}第三十九条至第四十一条", True),
    RuleSpec("B02", B, "弄虚作假", "以他人名义投标或提供虚假材料骗取中标", P(15), 730,
             f"{ZBTBF}第三十三条、第五十四条；{TIAOLI}第四十二条", True),
    RuleSpec("B03", B, "解密失败（投标人原因）", "因投标人原因导致投标文件解密失败，视为撤销投标",
             P(3), 180,
             f"{DIANZI}第三十一条", event="bid.decryption_failed_bidder_fault"),
    RuleSpec("B04", B, "拒签合同", "中标后无正当理由拒绝与招标人订立合同", P(10), 365,
             f"{ZBTBF}第六十条；{TIAOLI}第七十四条", event="contract.winner_refused"),
    RuleSpec("B05", B, "恶意投诉", "捏造事实、伪造材料或以非法手段取得证明材料进行投诉", P(5), 365,
             f"{TIAOLI}第七十七条；{TOUSU}第二十六条"),
    RuleSpec("B06", B, "转包违法分包", "中标后将项目转包或违法分包", P(15), 730,
             f"{ZBTBF}第四十八条、第五十八条", True),
    RuleSpec("B07", B, "放弃中标", "无正当理由放弃中标资格", P(8), 365, f"{TIAOLI}第七十四条"),
    RuleSpec("B08", B, "撤销投标", "投标截止后、投标有效期内撤销投标文件", P("2.5"), 180,
             f"{TIAOLI}第三十五条"),
    RuleSpec("B09", B, "拒不澄清", "拒不按评标委员会要求对投标文件进行澄清、说明", P(2), 180,
             f"{TIAOLI}第五十二条"),
    # raised by a supervisor's complaint decision (disputes/complaints.py); B05 stays for manual entries
    RuleSpec("B20", B, "投诉查实虚假陈述", "投诉处理决定认定投标人提供虚假材料或作虚假陈述", P(10), 365,
             f"{TIAOLI}第四十二条、第六十八条；{TOUSU}第二十条",
             event="complaint.false_statement.bidder"),
    RuleSpec("B21", B, "恶意投诉（处理决定认定）", "投诉处理决定认定投诉人捏造事实、伪造材料或以非法手段"
             "取得证明材料进行投诉", P(5), 365, f"{TIAOLI}第七十七条；{TOUSU}第二十六条",
             event="complaint.malicious"),
    RuleSpec("B10", B, "履约评价不合格", "中标人不按照与招标人订立的合同履行义务，履约评价不合格", P(6), 365,
             f"{ZBTBF}第六十条", event="contract.performance_poor"),
    # experts (评标专家)
    RuleSpec("E01", E, "无故缺席", "确认参加评标后无正当理由不到场", P(5), 365,
             f"{ZHUANJIA}第二十四条", event="expert.no_show"),
    RuleSpec("E02", E, "评分异常", "评分明显畸高畸低且不能作出合理说明", P(3), 365,
             f"{PINGBIAO}第五十三条；{TIAOLI}第七十一条", event="expert.unexplained_anomaly"),
    RuleSpec("E03", E, "泄密", "泄露评标情况或与评标活动有关的其他情况", P(20), 730,
             f"{ZBTBF}第四十四条、第五十六条", True),
    RuleSpec("E04", E, "迟到", "无正当理由迟到影响评标进程", P("0.5"), 180, f"{ZHUANJIA}第二十四条"),
    RuleSpec("E05", E, "应回避未回避", "与投标人有利害关系应当回避而不回避", P(10), 730,
             f"{TIAOLI}第四十六条、第七十一条", True),
    RuleSpec("E06", E, "收受财物", "私下接触投标人，收受投标人财物或其他好处", P(30), 1095,
             f"{ZBTBF}第四十四条、第五十六条", True),
    RuleSpec("E07", E, "不按标准评标", "不按照招标文件规定的评标标准和方法评标", P(5), 365,
             f"{TIAOLI}第七十一条"),
    # agents (招标代理机构)
    RuleSpec("A01", A, "违反程序", "违反法定程序组织招标投标活动", P(5), 365, f"{TIAOLI}第六十五条"),
    RuleSpec("A02", A, "泄密", "泄露应当保密的与招标投标活动有关的情况和资料", P(15), 730,
             f"{ZBTBF}第五十条", True),
    RuleSpec("A03", A, "串通", "与招标人、投标人串通损害国家利益或他人合法权益", P(20), 730,
             f"{ZBTBF}第五十条", True),
    RuleSpec("A04", A, "代理又投标", "在所代理的项目中投标或为投标人提供咨询", P(10), 365,
             f"{TIAOLI}第十三条、第六十五条"),
    RuleSpec("A20", A, "投诉查实虚假陈述", "投诉处理决定认定招标代理机构在异议答复或招标投标活动中作虚假陈述",
             P(8), 365, f"{ZBTBF}第五十条；{TIAOLI}第六十五条；{TOUSU}第二十条",
             event="complaint.false_statement.agent"),
    # tenderers (招标人)
    RuleSpec("T01", T, "限制竞争", "以不合理条件限制、排斥潜在投标人或对投标人实行歧视待遇", P(5), 365,
             f"{ZBTBF}第十八条、第五十一条；{TIAOLI}第三十二条"),
    RuleSpec("T02", T, "规避招标", "将必须招标的项目化整为零或以其他方式规避招标", P(10), 730,
             f"{ZBTBF}第四条、第四十九条"),
    RuleSpec("T03", T, "实质性谈判", "在确定中标人前与投标人就投标价格等实质性内容进行谈判", P(5), 365,
             f"{ZBTBF}第四十三条、第五十五条"),
    RuleSpec("T04", T, "不订立合同", "无正当理由不发出中标通知书或不与中标人订立合同", P(8), 365,
             f"{TIAOLI}第七十三条", event="contract.tenderer_refused"),
    RuleSpec("T05", T, "违规确定中标人", "在评标委员会推荐的候选人以外确定中标人", P(8), 365,
             f"{ZBTBF}第五十七条；{TIAOLI}第七十三条"),
    RuleSpec("T20", T, "投诉查实虚假陈述", "投诉处理决定认定招标人在异议答复或招标投标活动中作虚假陈述",
             P(8), 365, f"{TIAOLI}第七十三条；{TOUSU}第二十条", event="complaint.false_statement.tenderer"),
)  # fmt: skip

INDUSTRIES = {
    "construction": ("工程建设", "Construction works"),
    "procurement": ("政府采购", "Government procurement"),
    "land": ("土地矿业", "Land and mining rights"),
    "assets": ("国有产权", "State-owned assets"),
    "medicine": ("医药采购", "Medicine procurement"),
    "other": ("其他", "Other"),
}


def spec_for_event(event: str) -> RuleSpec | None:
    return next((spec for spec in CATALOGUE if spec.event == event), None)
