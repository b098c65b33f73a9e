"""What each audit-log kind means, in words (zh, en): the audit page shows these, the raw JSON of
an entry stays one click away. A kind without a label reads as its context's name plus "event"."""

from __future__ import annotations

from core.i18n import register_messages

KINDS: dict[str, tuple[str, str]] = {
    # core
    "account.created": ("创建账户", "Account created"),
    "organisation.registered": ("登记单位", "Organisation registered"),
    "organisation.signing_key_set": ("设置单位签名公钥", "Organisation signing key set"),
    "account.disabled": ("停用账户", "Account disabled"),
    "account.enabled": ("启用账户", "Account enabled"),
    "account.login_unlocked": ("解除登录锁定", "Login unlocked"),
    "account.password_reset": ("重置密码", "Password reset"),
    "account.roles_changed": ("变更账户角色", "Account roles changed"),
    "account.sessions_revoked": ("注销账户全部会话", "Account sessions revoked"),
    "organisation.staff_added": ("单位新增经办人", "Staff added to an organisation"),
    "organisation.staff_removed": ("单位移除经办人", "Staff removed from an organisation"),
    # catalog
    "catalog.department_added": ("新增办理部门", "Department added"),
    "catalog.staff_linked": ("窗口人员关联部门", "Staff linked to a department"),
    "catalog.staff_unlinked": ("窗口人员解除关联", "Staff unlinked from a department"),
    "catalog.item_created": ("新增服务事项", "Service item created"),
    "catalog.item_changed": ("修改服务事项", "Service item changed"),
    "catalog.bundle_saved": ("保存一件事套餐", "Service bundle saved"),
    "catalog.imported": ("导入服务目录", "Catalog imported"),
    "catalog.holiday_set": ("设置节假日", "Holiday set"),
    "catalog.holiday_removed": ("删除节假日", "Holiday removed"),
    "catalog.setting_changed": ("修改目录设置", "Catalog setting changed"),
    "catalog.case_accepted": ("受理办件", "Case accepted"),
    "catalog.case_processing": ("办件办理中", "Case in progress"),
    "catalog.case_done": ("办件办结", "Case completed"),
    "catalog.case_returned": ("办件退回", "Case returned"),
    "catalog.case_rated": ("办件评价", "Case rated"),
    # contracts
    "contract.opened": ("合同进入签订期", "Contract opened for signing"),
    "contract.drafted": ("拟定合同条款", "Contract terms drafted"),
    "contract.party_signed": ("合同一方签署", "Contract signed by one party"),
    "contract.signed": ("合同签订完成", "Contract signed"),
    "contract.refused": ("拒绝签订合同", "Contract refused"),
    "contract.lapsed": ("逾期未签订合同", "Contract not signed in time"),
    "contract.next_candidate": ("确定下一中标候选人", "Awarded to the next candidate"),
    "contract.retender": ("决定重新招标", "Lot to be tendered again"),
    "contract.milestone_recorded": ("记录履约节点", "Milestone recorded"),
    "contract.milestone_met": ("履约节点完成", "Milestone met"),
    "contract.evaluated": ("履约评价", "Performance evaluated"),
    # bidding
    "tender.published": ("发布招标项目", "Tender published"),
    "tender.amended": ("变更招标项目", "Tender amended"),
    "tender.cancelled": ("终止招标项目", "Tender cancelled"),
    "tender.document_stored": ("上传招标文件", "Tender document stored"),
    "tender.registration_closed": ("报名截止", "Registration closed"),
    "tender.deadline_passed": ("投标截止", "Bid deadline passed"),
    "tender.failed": ("流标", "Tender failed"),
    "tender.start_evaluation": ("开始评标", "Evaluation started"),
    "tender.publish_candidates": ("公示中标候选人", "Candidates published"),
    "tender.award": ("确定中标人", "Tender awarded"),
    "notice.published": ("发布公告", "Notice published"),
    "tender.failed_again": ("重新招标后再次流标", "Re-tender failed again"),
    "tender.retendered": ("流标后重新招标", "Tendered again after failing"),
    "tender.hold_placed": ("暂停招标投标活动", "Step suspended"),
    "tender.hold_released": ("恢复招标投标活动", "Suspension lifted"),
    "notice_review.submitted": ("公告报送审核", "Notice submitted for review"),
    "notice_review.approved": ("公告审核通过", "Notice approved"),
    "notice_review.returned": ("公告审核退回", "Notice returned"),
    "notice_review.rule_set": ("设置公告审核规则", "Notice review rule set"),
    "custodian.assigned": ("指定密钥托管人", "Custodian assigned"),
    "custodian.unassigned": ("撤销密钥托管人", "Custodian unassigned"),
    "opening.autostarted": ("开标自动开始", "Opening started automatically"),
    "opening.window_closed_early": ("解密时间提前结束", "Decryption window closed early"),
    # disputes
    "question.asked": ("投标人提出疑问", "Question asked"),
    "clarification.issued": ("发布澄清答疑", "Clarification issued"),
    "objection.filed": ("提出异议", "Objection filed"),
    "objection.answered": ("答复异议", "Objection answered"),
    "complaint.filed": ("提出投诉", "Complaint filed"),
    "complaint.evidence_added": ("补充投诉证据", "Complaint evidence added"),
    "complaint.accepted": ("受理投诉", "Complaint accepted"),
    "complaint.rejected": ("不予受理投诉", "Complaint rejected"),
    "complaint.suspension_ordered": ("责令暂停招标投标活动", "Suspension ordered"),
    "complaint.decided": ("作出投诉处理决定", "Complaint decided"),
    # guarantees
    "guarantee.issued": ("开具电子保函", "Guarantee issued"),
    "guarantee.claim_filed": ("提出保函索赔", "Guarantee claim filed"),
    "guarantee.claim_answered": ("答复保函索赔", "Guarantee claim answered"),
    "deposit.recorded": ("登记投标保证金", "Deposit recorded"),
    "deposit.refund_scheduled": ("保证金待退还", "Deposit refund due"),
    "deposit.refunded": ("退还投标保证金", "Deposit refunded"),
    "deposit.forfeited": ("不予退还投标保证金", "Deposit forfeited"),
    # integrity
    "integrity.flag_dismissed": ("排除串标预警", "Integrity flag dismissed"),
    "integrity.flag_referred": ("移送串标线索", "Integrity flag referred"),
    "bid.submitted": ("递交投标文件", "Bid submitted"),
    "bid.withdrawn": ("撤回投标文件", "Bid withdrawn"),
    "bid.opened": ("投标文件解密成功", "Bid opened"),
    "bid.not_opened": ("投标文件未能解密", "Bid not opened"),
    "opening.bids_listed": ("开标：公布投标人名单", "Opening: bids listed"),
    "opening.custody_called": ("开标：启用托管密钥", "Opening: custody keys called"),
    "opening.decryption_resumed": ("开标：恢复解密", "Opening: decryption resumed"),
    "opening.coefficient_drawn": ("开标：抽取下浮系数", "Opening: coefficient drawn"),
    "opening.objection": ("开标：投标人提出异议", "Opening: objection raised"),
    "opening.answer": ("开标：答复异议", "Opening: objection answered"),
    "opening.closed": ("开标结束", "Opening closed"),
    "custody.share_revealed": ("托管人提交密钥份额", "Custody share revealed"),
    "custody.mismatch": ("托管密钥份额不符", "Custody share mismatch"),
    # evaluation
    "evaluation.started": ("开始评标", "Evaluation started"),
    "evaluation.members_supplemented": ("补抽专家进入评标委员会", "Supplementary experts seated"),
    "evaluation.clarification_asked": ("评标委员会发出澄清", "Clarification asked"),
    "evaluation.clarification_answered": ("投标人答复澄清", "Clarification answered"),
    "evaluation.report_signed": ("评标报告签署", "Evaluation report signed"),
    # credit
    "credit.rule_created": ("新增信用扣分规则", "Credit rule created"),
    "credit.rule_updated": ("修改信用扣分规则", "Credit rule updated"),
    "credit.deduction_recorded": ("记录信用扣分", "Credit deduction recorded"),
    "credit.evidence_added": ("补充扣分证据", "Evidence added"),
    "credit.deduction_revoked": ("撤销信用扣分", "Credit deduction revoked"),
    "credit.subject_linked": ("关联信用主体", "Credit subject linked"),
    "credit.appeal_filed": ("提出信用申诉", "Credit appeal filed"),
    "credit.appeal_decided": ("信用申诉裁决", "Credit appeal decided"),
    "credit.imported": ("导入信用记录", "Credit records imported"),
    "credit.recomputed": ("重新计算信用指数", "Credit index recomputed"),
    # experts
    "experts.registered": ("专家入库", "Expert registered"),
    "experts.imported": ("导入专家", "Experts imported"),
    "experts.generated": ("生成专家", "Experts generated"),
    "experts.user_linked": ("专家关联账户", "Expert linked to an account"),
    "experts.status_changed": ("专家状态变更", "Expert status changed"),
    "experts.profile_updated": ("专家资料更新", "Expert profile updated"),
    "experts.leave_added": ("专家登记请假", "Expert leave added"),
    "experts.leave_removed": ("专家取消请假", "Expert leave removed"),
    "experts.draw.requested": ("申请抽取专家", "Expert draw requested"),
    "experts.draw.committed": ("抽取种子承诺", "Draw seed committed"),
    "experts.draw.contributed": ("提交抽取随机数", "Draw randomness contributed"),
    "experts.draw.drawn": ("抽取专家", "Experts drawn"),
    "experts.draw.short": ("符合条件的专家不足", "Not enough eligible experts"),
    "experts.draw.complete": ("抽取完成", "Draw complete"),
    "experts.draw.seat_vacated": ("评标专家退出（回避或缺席）", "Committee seat vacated"),
    "experts.draw.unsealed": ("抽取结果解封", "Draw unsealed"),
    "experts.draw.published": ("公布抽取结果", "Draw published"),
    "experts.application.submitted": ("专家提交入库申请", "Expert application submitted"),
    "experts.application.approved": ("专家入库申请通过", "Expert application approved"),
    "experts.application.rejected": ("专家入库申请退回", "Expert application rejected"),
    "experts.draw.supplementary": ("申请补抽专家", "Supplementary draw requested"),
    "experts.draw.supplemented": ("补抽专家完成", "Supplementary draw complete"),
    "experts.invitation.sent": ("发出评标邀请", "Invitation sent"),
    "experts.invitation.confirmed": ("专家确认参加", "Invitation confirmed"),
    "experts.invitation.declined": ("专家谢绝参加", "Invitation declined"),
    "experts.invitation.expired": ("评标邀请过期", "Invitation expired"),
}
CONTEXTS: dict[str, tuple[str, str]] = {
    "account": ("账户", "Account"), "organisation": ("单位", "Organisation"),
    "catalog": ("政务服务", "Service hall"), "tender": ("招标项目", "Tender"), "notice": ("公告", "Notice"),
    "bid": ("投标", "Bid"), "opening": ("开标", "Opening"), "custody": ("密钥托管", "Custody"),
    "evaluation": ("评标", "Evaluation"), "credit": ("信用", "Credit"), "experts": ("专家", "Experts"),
    "contract": ("合同", "Contract"), "question": ("答疑", "Question"),
    "clarification": ("澄清", "Clarification"), "objection": ("异议", "Objection"),
    "complaint": ("投诉", "Complaint"), "guarantee": ("保函", "Guarantee"),
    "deposit": ("保证金", "Deposit"), "integrity": ("串标预警", "Integrity"),
    "notice_review": ("公告审核", "Notice review"), "custodian": ("密钥托管人", "Custodian"),
}  # fmt: skip

register_messages(
    {f"audit.event.{kind}": words for kind, words in KINDS.items()}
    | {f"audit.context.{name}": words for name, words in CONTEXTS.items()}
    | {"audit.event.other": ("事件", "event"), "audit.raw": ("原始记录", "Raw entry")}
)


def kind_words(t, kind: str) -> str:  # type: ignore[no-untyped-def]
    """The kind in the reader's language; an unknown kind reads as its context plus "event"."""
    if kind in KINDS:
        return str(t(f"audit.event.{kind}"))
    prefix = kind.split(".", 1)[0]
    context = t(f"audit.context.{prefix}") if prefix in CONTEXTS else ""
    return f"{context} {t('audit.event.other')}".strip()
