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
    # complaints (投诉)
    "complaints.mine": ("我的投诉", "My complaints"),
    "complaints.file": ("提出投诉", "File a complaint"),
    "complaints.hint": (
        "投诉应当自知道或者应当知道之日起10日内向行政监督部门提出；对招标文件、开标、评标结果的投诉，"
        "应当先向招标人提出异议，异议答复期间不计算在内。行政监督部门自收到投诉之日起3个工作日内决定是否受理，"
        "自受理之日起30个工作日内作出书面处理决定。",
        "Complain to the supervising department within 10 days of knowing of the matter. A complaint "
        "about the tender documents, the opening or the evaluation result needs a prior objection to "
        "the tenderer, and the time the objection waited for its answer does not count. The department "
        "decides within 3 working days whether to accept it and within 30 working days of accepting it "
        "on the merits.",
    ),
    "complaints.cases": ("投诉处理", "Complaints to handle"),
    "complaints.case": ("投诉案件", "Complaint"),
    "complaints.tender": ("招标项目编号", "Tender code"),
    "complaints.lot": ("标段", "Lot"),
    "complaints.matter": ("投诉事项", "Complaint about"),
    "complaints.matter.documents": ("招标文件", "the tender documents"),
    "complaints.matter.opening": ("开标", "the opening"),
    "complaints.matter.result": ("评标结果", "the evaluation result"),
    "complaints.matter.other": ("其他违法行为", "another unlawful act"),
    "complaints.request": ("投诉请求", "What you ask for"),
    "complaints.grounds": ("事实和理由", "Facts and grounds"),
    "complaints.knew_on": ("知道投诉事项的日期", "Day you knew of the matter"),
    "complaints.closes_at": ("投诉期限", "Complaint period ends"),
    "complaints.objection": ("所依据的异议编号（可选）", "Prior objection number (optional)"),
    "complaints.prior": ("前置异议", "Prior objection"),
    "complaints.submit": ("提交投诉", "Submit the complaint"),
    "complaints.filed_at": ("收到时间", "Received"),
    "complaints.status": ("状态", "Status"),
    "complaints.status.received": ("待受理", "Awaiting acceptance"),
    "complaints.status.accepted": ("已受理", "Accepted"),
    "complaints.status.rejected": ("不予受理", "Not accepted"),
    "complaints.status.dismissed": ("驳回投诉", "Dismissed"),
    "complaints.status.upheld": ("投诉成立", "Upheld"),
    "complaints.accept_due": ("受理期限", "Acceptance due"),
    "complaints.decide_due": ("处理期限", "Decision due"),
    "complaints.due": ("当前期限", "Due"),
    "complaints.decision": ("处理决定", "Decision"),
    "complaints.remedy": ("处理措施", "Remedy"),
    "complaints.remedy.amend": ("责令改正", "Order corrections"),
    "complaints.remedy.re_evaluate": ("重新评标", "Re-evaluate"),
    "complaints.remedy.re_tender": ("重新招标", "Re-tender"),
    "complaints.remedy.cancel_candidate": ("取消中标候选人资格", "Cancel the candidate"),
    "complaints.suspended": ("已责令暂停", "Suspension ordered"),
    "complaints.suspended.opening": ("开标暂停", "The opening is suspended"),
    "complaints.suspended.award": ("定标暂停", "The award is suspended"),
    "complaints.documents": ("证据材料", "Evidence documents"),
    "complaints.add_document": ("上传证据", "Upload evidence"),
    "complaints.complainant": ("投诉人", "Complainant"),
    "complaints.basis": ("依据", "Legal basis"),
    "complaints.none": ("暂无投诉", "No complaints"),
    "complaints.error": ("未能提交", "Not submitted"),
    "complaints.accept": ("受理", "Accept"),
    "complaints.reject": ("不予受理", "Do not accept"),
    "complaints.reason": ("理由", "Reasons"),
    "complaints.order_suspension": ("责令暂停", "Order a suspension"),
    "complaints.step.opening": ("暂停开标", "Suspend the opening"),
    "complaints.step.award": ("暂停定标", "Suspend the award"),
    "complaints.decide": ("作出处理决定", "Decide"),
    "complaints.outcome": ("处理结果", "Outcome"),
    "complaints.fault_kind": ("虚假陈述方（如认定）", "Party that made a false statement (if found)"),
    "complaints.fault_kind.none": ("无", "None"),
    "complaints.fault_kind.bidder": ("投标人", "Bidder"),
    "complaints.fault_kind.agent": ("招标代理机构", "Agent"),
    "complaints.fault_kind.tenderer": ("招标人", "Tenderer"),
    "complaints.fault_party": ("其统一社会信用代码", "Its unified social credit code"),
    "complaints.malicious": (
        "认定为恶意投诉（扣减投诉人信用分）",
        "Found malicious (deducts the complainant's credit)",
    ),
    "complaints.open": ("查看", "Open"),
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
