"""disputes' page texts (zh, en)."""

from __future__ import annotations

from core.i18n import register_messages

MESSAGES: dict[str, tuple[str, str]] = {
    "disputes.mine": ("我的异议", "My objections"),
    "disputes.inbox": ("异议处理", "Objections to answer"),
    "disputes.file": ("提出异议", "File an objection"),
    "disputes.tender": ("招标项目编号", "Tender code"),
    "disputes.lot": ("标段", "Lot"),
    "disputes.kind": ("异议事项", "Objection to"),
    "disputes.kind.documents": ("招标文件", "the tender documents"),
    "disputes.kind.result": ("评标结果（公示期内）", "the evaluation result (during publicity)"),
    "disputes.kind_hint": (
        "对招标文件的异议应在投标截止时间10日前提出；对评标结果的异议应在中标候选人公示期间提出。"
        "招标人应在收到异议之日起3日内答复，答复前暂停相应的招标投标活动。",
        "Objections to the tender documents close 10 days before the bid deadline; objections to the "
        "evaluation result are taken during the candidates' publicity. The tenderer answers within 3 "
        "days and the affected step is suspended until it answers.",
    ),
    "disputes.reason": ("异议事项和理由", "What you object to and why"),
    "disputes.submit": ("提交异议", "Submit the objection"),
    "disputes.filed_at": ("提出时间", "Filed"),
    "disputes.due": ("答复期限", "Answer due"),
    "disputes.status": ("状态", "Status"),
    "disputes.pending": ("待答复", "Awaiting the answer"),
    "disputes.answered": ("已答复", "Answered"),
    "disputes.answer": ("答复", "Answer"),
    "disputes.send_answer": ("答复并恢复", "Answer and lift the suspension"),
    "disputes.objector": ("异议人", "Objector"),
    "disputes.suspends": ("暂停事项", "Suspended"),
    "disputes.suspends.opening": ("开标暂停，答复后方可开标", "The opening waits for the answer"),
    "disputes.suspends.award": ("定标暂停，答复后方可定标", "The award waits for the answer"),
    "disputes.resumed": ("已恢复", "Resumed"),
    "disputes.basis": ("依据", "Legal basis"),
    "disputes.none": ("暂无异议", "No objections"),
    "disputes.late": ("逾期答复", "Answered late"),
    "disputes.error": ("未能提交", "Not submitted"),
}

register_messages(MESSAGES)
