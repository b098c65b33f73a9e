"""credit's page texts (zh, en)."""

from __future__ import annotations

from core.i18n import register_messages

MESSAGES: dict[str, tuple[str, str]] = {
    "credit.title": ("信用指数", "Credit index"),
    "credit.intro": (
        "每个市场主体的信用指数从100分起，只减不加；每日一评，一处受罚、处处受制。",
        "Every participant starts at 100 and only loses points by rule; re-evaluated daily; "
        "one penalty counts everywhere.",
    ),
    "credit.lookup": ("查询", "Look up"),
    "credit.kind": ("主体类型", "Subject kind"),
    "credit.key": ("统一社会信用代码 / 专家编号", "Credit code / expert code"),
    "credit.kind.bidder": ("投标人", "Bidder"),
    "credit.kind.agent": ("招标代理机构", "Agent"),
    "credit.kind.tenderer": ("招标人", "Tenderer"),
    "credit.kind.expert": ("评标专家", "Expert"),
    "credit.all": ("全部", "All"),
    "credit.region": ("地区", "Region"),
    "credit.rankings": (
        "信用排名（扣分主体，分低在前）",
        "Rankings (subjects with deductions, lowest first)",
    ),
    "credit.rankings.day": ("评价日：{day}；参评主体 {n} 个", "Evaluated {day}; {n} subjects"),
    "credit.rankings.none": ("尚未进行每日评价", "No daily evaluation yet"),
    "credit.grades": ("等级分布", "Grades"),
    "credit.index": ("信用指数", "Index"),
    "credit.grade": ("等级", "Grade"),
    "credit.barred": ("限制参与", "Barred"),
    "credit.barred.yes": ("是：处于限制期内", "Yes: barred while active"),
    "credit.barred.no": ("否", "No"),
    "credit.name": ("名称", "Name"),
    "credit.active": ("有效扣分记录", "Active deductions"),
    "credit.none": ("无", "None"),
    "credit.rule": ("规则", "Rule"),
    "credit.points": ("扣分", "Points"),
    "credit.validity": ("有效期（天）", "Validity (days)"),
    "credit.legal": ("法律依据", "Legal basis"),
    "credit.bars": ("限制参与", "Bars"),
    "credit.reason": ("事由", "Reason"),
    "credit.from": ("起", "From"),
    "credit.until": ("止（不含）", "Until (excl.)"),
    "credit.source": ("来源", "Source"),
    "credit.history": ("指数历史", "History"),
    "credit.rules": ("扣分规则", "Deduction rules"),
    "credit.admin": ("信用管理", "Credit administration"),
    "credit.appeals": ("申诉", "Appeals"),
    "credit.appeal": ("提出申诉", "Appeal"),
    "credit.decide": ("处理", "Decide"),
    "credit.upheld": ("维持", "Uphold"),
    "credit.revoked": ("撤销扣分", "Revoke"),
    "credit.status": ("状态", "Status"),
    # the platform events a rule may be tied to (credit/catalogue.py)
    "credit.event.bid.decryption_failed_bidder_fault": (
        "投标文件因投标人原因解密失败",
        "A bid could not be decrypted through the bidder's fault",
    ),
    "credit.event.other": ("其他平台事件", "Another platform event"),
    "credit.appeal_status.pending": ("待处理", "Pending"),
    "credit.appeal_status.upheld": ("申诉成立", "Upheld"),
    "credit.appeal_status.revoked": ("扣分已撤销", "Deduction revoked"),
    "credit.record": ("记录扣分", "Record a deduction"),
    "credit.evidence": ("证据（不公开）", "Evidence (private)"),
    "credit.day": ("日期", "Day"),
    "credit.submit": ("提交", "Submit"),
    "credit.recent": ("最近扣分", "Recent deductions"),
    "credit.mine": ("我的信用", "My credit"),
    "credit.new_rule": ("新增规则", "New rule"),
    "credit.code": ("编号", "Code"),
    "credit.description": ("说明", "Description"),
    "credit.event": ("平台事件", "Platform event"),
    "credit.active_rule": ("启用", "Active"),
    "credit.industry": ("行业", "Industry"),
    "credit.edit": ("修改", "Edit"),
    "credit.rule.note": (
        "修改只影响今后记录的扣分，已记录的扣分保持原分值和有效期。",
        "Changes apply to deductions recorded from now on; recorded ones keep their points and validity.",
    ),
}

register_messages(MESSAGES)
