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
    # questions (答疑)
    "disputes.q.mine": ("答疑", "Questions"),
    "disputes.q.inbox": ("答疑处理", "Questions to answer"),
    "disputes.q.ask": ("提出问题", "Ask a question"),
    "disputes.q.hint": (
        "已报名的投标人可在澄清截止时间前就招标文件匿名提问；招标人或代理机构以澄清公告统一答复，"
        "发给所有已报名的投标人并公开发布。澄清在投标截止前不足15日发出的，投标截止时间相应顺延。",
        "Registered bidders may ask about the tender documents, anonymously, until the clarification "
        "deadline. The tenderer or agent answers in a clarification notice sent to every registered "
        "bidder and published; one issued less than 15 days before the bid deadline moves the deadline.",
    ),
    "disputes.q.question": ("问题", "Question"),
    "disputes.q.asked_at": ("提问时间", "Asked"),
    "disputes.q.closes": ("提问截止", "Questions close"),
    "disputes.q.answer": ("答复", "Answer"),
    "disputes.q.notice": ("澄清公告", "Clarification notice"),
    "disputes.q.mine_tag": ("本单位提问", "Asked by us"),
    "disputes.q.asker": ("提问单位（仅监管可见）", "Asked by (supervisors only)"),
    "disputes.q.submit": ("提交问题", "Submit the question"),
    "disputes.q.send": ("发布澄清公告", "Publish the clarification"),
    "disputes.q.send_hint": (
        "填写要答复的问题，留空的问题不在本次澄清中答复。",
        "Fill in the answers to publish; questions left blank stay open.",
    ),
    "disputes.q.title": ("公告标题（可选）", "Notice title (optional)"),
    "disputes.q.none": ("暂无问题", "No questions"),
    "disputes.q.error": ("未能提交", "Not submitted"),
}

register_messages(MESSAGES)
