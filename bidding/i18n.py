"""bidding's page texts (zh, en)."""

from __future__ import annotations

from core.i18n import register_messages

STATES = {
    "draft": ("草稿", "Draft"),
    "published": ("报名中", "Registration open"),
    "bidding": ("投标中", "Bidding"),
    "opening": ("开标中", "Opening"),
    "evaluating": ("评标中", "Evaluating"),
    "publicity": ("公示中", "Publicity"),
    "awarded": ("已定标", "Awarded"),
    "closed": ("已结束", "Closed"),
    "cancelled": ("已终止", "Cancelled"),
    "failed": ("流标", "Failed"),
}

MESSAGES: dict[str, tuple[str, str]] = {
    **{f"bidding.state.{k}": v for k, v in STATES.items()},
    "bidding.tenders": ("交易项目", "Tenders"),
    "bidding.notices": ("交易公告", "Notices"),
    "bidding.console": ("投标人工作台", "Bidder console"),
    "bidding.editor": ("新建招标项目", "New tender"),
    "bidding.code": ("项目编号", "Code"),
    "bidding.title": ("项目名称", "Title"),
    "bidding.category": ("交易类别", "Category"),
    "bidding.method": ("采购方式", "Method"),
    "bidding.region": ("地区", "Region"),
    "bidding.state": ("状态", "Status"),
    "bidding.budget": ("预算（元）", "Budget (CNY)"),
    "bidding.ceiling": ("最高投标限价（元）", "Ceiling price (CNY)"),
    "bidding.bond": ("投标保证金（元）", "Bid bond (CNY)"),
    "bidding.deadline": ("投标截止/开标时间", "Bid deadline / opening"),
    "bidding.registration": ("报名时间", "Registration"),
    "bidding.clarification": ("澄清截止", "Clarifications close"),
    "bidding.lots": ("标段", "Lots"),
    "bidding.documents": ("招标文件", "Tender documents"),
    "bidding.download": ("下载", "Download"),
    "bidding.register": ("报名", "Register"),
    "bidding.registered": ("已报名", "Registered"),
    "bidding.publish": ("发布", "Publish"),
    "bidding.save_draft": ("保存草稿", "Save draft"),
    "bidding.all": ("全部", "All"),
    "bidding.filter": ("筛选", "Filter"),
    "bidding.none": ("暂无", "None yet"),
    "bidding.published_at": ("发布时间", "Published"),
    "bidding.kind": ("公告类型", "Notice type"),
    "bidding.upload": ("上传加密投标文件", "Upload sealed bid"),
    "bidding.upload.help": (
        "请先在本机用 sunbid bid seal 生成加密投标文件（.age）和签名清单（.manifest.json），再在此上传。"
        "服务器只保存密文，开标前任何人都无法解密。",
        "Seal your bid on your own machine with `sunbid bid seal` (an .age file and its .manifest.json), "
        "then upload both here. The server only ever stores ciphertext.",
    ),
    "bidding.envelope": ("加密投标文件 (.age)", "Sealed bid (.age)"),
    "bidding.manifest": ("签名清单 (.manifest.json)", "Signed manifest (.manifest.json)"),
    "bidding.submit": ("提交投标", "Submit bid"),
    "bidding.my_bids": ("我的投标及回执", "My bids and receipts"),
    "bidding.submission": ("投标编号", "Submission"),
    "bidding.submitted_at": ("提交时间（北京时间）", "Submitted (Beijing)"),
    "bidding.receipt": ("回执", "Receipt"),
    "bidding.receipt.ok": ("投标已受理，回执已签名", "Bid accepted; receipt signed"),
    "bidding.envelope_sha": ("密文 SHA-256", "Envelope SHA-256"),
    "bidding.audit": ("审计序号", "Audit #"),
    "bidding.status.active": ("有效", "Active"),
    "bidding.status.superseded": ("已替换", "Superseded"),
    "bidding.status.withdrawn": ("已撤回", "Withdrawn"),
    "bidding.my_tenders": ("我代理/招标的项目", "My tenders"),
    "bidding.opening_recipient": (
        "开标公钥（sunbid custody init 输出）",
        "Opening recipient (from sunbid custody init)",
    ),
    "bidding.tenderer": ("招标人", "Tenderer"),
    "bidding.description": ("项目概况", "Description"),
    "bidding.feed": ("订阅 (Atom)", "Subscribe (Atom)"),
    "bidding.count": ("已递交投标 {n} 份", "{n} bids received"),
}
register_messages(MESSAGES)
