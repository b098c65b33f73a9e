"""publication's page texts (zh, en)."""

from __future__ import annotations

from core.i18n import register_messages

KINDS = {
    "tender": ("招标公告", "Tender notice"),
    "amendment": ("变更公告", "Amendment"),
    "opening_record": ("开标记录", "Opening record"),
    "candidates": ("中标候选人公示", "Candidate publicity"),
    "award": ("中标结果公告", "Award announcement"),
    "failure": ("流标公告", "Failed tender"),
    "termination": ("终止公告", "Termination"),
    "complaint_decision": ("投诉处理决定", "Complaint decision"),
}
BID_STATUSES = {
    "opened": ("已开标", "Opened"),
    "rejected": ("未通过开标检查", "Rejected at opening"),
    "revoked": ("视为撤销", "Revoked"),
    "withdrawn": ("撤回", "Withdrawn"),
}

MESSAGES: dict[str, tuple[str, str]] = {
    **{f"publication.kind.{k}": v for k, v in KINDS.items()},
    **{f"publication.bid.{k}": v for k, v in BID_STATUSES.items()},
    "publication.nav.awards": ("中标结果", "Awards"),
    "publication.nav.statistics": ("交易统计", "Statistics"),
    "publication.history": ("项目全过程公开信息", "Public history of the tender"),
    "publication.history.link": ("全过程公开信息", "Full public history"),
    "publication.history.intro": (
        "本项目公开的全部信息，按发布时间排列：招标公告、变更公告、开标记录、中标候选人公示、中标结果。"
        "每条均可查看公告原文及其开放合同数据（OCDS）。",
        "Everything published about this tender, in time order: notice, amendments, opening record, "
        "candidate publicity and award, each with its notice and its open contracting data (OCDS).",
    ),
    "publication.attempts": ("项目沿革", "Attempts of this project"),
    "publication.attempt": ("第 {n} 次招标", "Attempt {n}"),
    "publication.attempt.previous": (
        "本项目是以下流标项目的重新招标（第 {n} 次招标）：",
        "This tender re-tenders a failed tender (attempt {n}):",
    ),
    "publication.attempt.next": (
        "本项目流标后已重新招标（第 {n} 次招标）：",
        "After this tender failed it was tendered again (attempt {n}):",
    ),
    "publication.attempt.previous_other": (
        "本项目是以下项目的重新招标（第 {n} 次招标）：",
        "This tender tenders again (attempt {n}):",
    ),
    "publication.attempt.next_other": (
        "本项目已重新招标（第 {n} 次招标）：",
        "This tender was tendered again (attempt {n}):",
    ),
    "publication.attempt.colon": ("：", ": "),
    "publication.attempt.other": ("（{basis}）。", " ({basis})."),
    "publication.attempt.failed": (
        "本项目流标，招标人应分析原因、采取措施后依法重新招标（{basis}）。",
        "This tender failed; the tenderer tenders again after analysing why ({basis}).",
    ),
    "publication.attempt.failed_again": (
        "重新招标后再次流标（第二次流标）：依{basis}，须审批、核准的项目经原审批、核准部门批准后可以不再"
        "进行招标，其他项目招标人可自行决定不再招标，改用其他方式。",
        "The re-tender failed too (the second failure): under {basis} a project subject to approval may, "
        "with the approving department's consent, stop tendering, and other projects may decide so "
        "themselves and switch method.",
    ),
    "publication.ocds_record": ("开放数据（OCDS 记录）", "Open data (OCDS record)"),
    "publication.ocds_releases": ("OCDS 发布包", "OCDS releases"),
    "publication.notice": ("公告原文", "Notice"),
    "publication.tender_page": ("项目页面", "Tender page"),
    "publication.nothing": ("暂无公开信息", "Nothing published yet"),
    "publication.code": ("项目编号", "Code"),
    "publication.title": ("项目名称", "Title"),
    "publication.tender": ("项目", "Tender"),
    "publication.category": ("交易类别", "Category"),
    "publication.region": ("地区", "Region"),
    "publication.month": ("月份", "Month"),
    "publication.state": ("状态", "Status"),
    "publication.tenderer": ("招标人", "Tenderer"),
    "publication.agent": ("招标代理", "Agent"),
    "publication.budget": ("预算（元）", "Budget (CNY)"),
    "publication.lots": ("标段", "Lots"),
    "publication.lot": ("标段", "Lot"),
    "publication.bidder": ("投标人", "Bidder"),
    "publication.credit_code": ("统一社会信用代码", "Credit code"),
    "publication.bid_status": ("开标结果", "Outcome"),
    "publication.bid_price": ("投标报价（元）", "Bid price (CNY)"),
    "publication.rank": ("排名", "Rank"),
    "publication.candidate": ("中标候选人", "Candidate"),
    "publication.winner": ("中标人", "Winner"),
    "publication.award_amount": ("中标金额（元）", "Award amount (CNY)"),
    "publication.savings": ("节约资金（元）", "Savings (CNY)"),
    "publication.savings_rate": ("节约率", "Savings rate"),
    "publication.date": ("日期", "Date"),
    "publication.published_at": ("发布时间", "Published"),
    "publication.all": ("全部", "All"),
    "publication.filter": ("筛选", "Filter"),
    "publication.none": ("暂无", "None"),
    "publication.text_only": ("详见公告原文", "See the notice"),
    "publication.awards": ("中标结果公告", "Award announcements"),
    "publication.awards.intro": (
        "已发布的中标结果：中标人、中标金额，以及与预算相比节约的资金。",
        "Published award results: the winner, the award amount, and the savings against the budget.",
    ),
    "publication.statistics": ("交易统计", "Trading statistics"),
    "publication.statistics.intro": (
        "按已公开信息统计：项目数、预算总额、中标总额、节约资金与节约率（（预算 − 中标金额）÷ 预算，"
        "仅计已定标的标段）、平均投标人数（按开标记录）。项目按招标公告发布月份（北京时间）归属。",
        "From published information: tenders, total budget, total award amounts, savings and savings rate "
        "((budget − award) ÷ budget, awarded lots only), average bidders per tender (from opening records). "
        "A tender belongs to the month its notice was published (Beijing time).",
    ),
    "publication.stat.tenders": ("项目数", "Tenders"),
    "publication.stat.budget": ("预算总额（元）", "Total budget (CNY)"),
    "publication.stat.awarded_tenders": ("已定标项目", "Awarded tenders"),
    "publication.stat.awarded_budget": ("已定标预算（元）", "Awarded budget (CNY)"),
    "publication.stat.award_amount": ("中标总额（元）", "Total awards (CNY)"),
    "publication.stat.savings": ("节约资金（元）", "Savings (CNY)"),
    "publication.stat.savings_rate": ("节约率", "Savings rate"),
    "publication.stat.avg_bidders": ("平均投标人数", "Average bidders"),
    "publication.stat.guarantee_share": ("电子保函替代保证金占比", "Bids secured by guarantees"),
    "publication.stat.not_tied_up": ("保函释放保证金", "Deposits not tied up"),
    "publication.stat.avg_signing_days": ("合同平均签订用时（天）", "Average days to sign the contract"),
    "publication.stat.total": ("合计", "Total"),
    "publication.stat.by_month": ("按月份", "By month"),
    "publication.stat.by_category": ("按交易类别", "By category"),
    "publication.stat.by_region": ("按地区", "By region"),
    "publication.stat.by_tender": ("各项目节约率", "Savings per tender"),
    "publication.stat.by_tender.intro": (
        "已定标项目各自的预算、中标金额与节约率；全部项目见下载数据。",
        "Each awarded tender's own budget, award and savings rate; every tender is in the downloads.",
    ),
    "publication.stat.tender": ("项目", "Tender"),
    "publication.stat.download": ("下载数据", "Download the figures"),
    "publication.chart.tenders_by_month": ("每月项目数", "Tenders per month"),
    "publication.chart.amounts_by_month": (
        "每月预算与中标金额（万元）",
        "Budget and awards per month (10k CNY)",
    ),
    "publication.chart.amounts_by_category": (
        "各交易类别预算与中标金额（万元）",
        "Budget and awards by category (10k CNY)",
    ),
    "publication.chart.tenders_by_region": ("各地区项目数", "Tenders by region"),
    "publication.series.budget": ("预算", "Budget"),
    "publication.series.awards": ("中标金额", "Awards"),
    "publication.series.tenders": ("项目数", "Tenders"),
}

register_messages(MESSAGES)
