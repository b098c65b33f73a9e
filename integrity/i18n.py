"""The integrity pages' words, in Chinese and English."""

from __future__ import annotations

from core.i18n import register_messages

register_messages(
    {
        "integrity.nav": ("围标串标预警", "Collusion flags"),
        "integrity.title": ("围标串标预警", "Collusion red flags"),
        "integrity.help": (
            "以下预警依据《招标投标法实施条例》第三十九条、第四十条，根据开标记录、报价、评标排序，"
            "以及上传和开标时留存的证据（上传账号、网络地址、设备指纹、文件哈希、文档属性和文本）计算，"
            "仅供监督人员核查线索，不构成认定。投标人、专家和公众均不可见。",
            "These flags follow Art. 39 and 40 of the Regulations on the Implementation of the Bidding Law, "
            "computed from the opening records, prices, the committee's ranking and the evidence kept at the "
            "upload and the opening (uploading account, address, device fingerprint, file hashes, document "
            "properties and text). They are leads for supervisors to check, not findings, and no bidder, "
            "expert or member of the public sees them.",
        ),
        "integrity.market": ("市场层面预警", "Market indicators"),
        "integrity.market.help": (
            "跨项目、跨时间计算：轮流中标、陪标、招标人单一投标比例和中标集中度，以及开放合同伙伴关系"
            "（Open Contracting Partnership）Cardinal 工具定义的红旗指标。每项预警列出涉及的单位和数据，"
            "仅为核查线索。",
            "Computed across tenders and time: bid rotation, cover bidding, buyers' single-bidder rates and "
            "winner concentration, and the red flags defined by the Open Contracting Partnership's Cardinal "
            "tool. Each finding names whom it concerns and its numbers; it is a lead to check.",
        ),
        "integrity.market.none": ("尚无已开标的数据。", "No opened bids are stored yet."),
        "integrity.market.count": ("共 {total} 项", "{total} found"),
        "integrity.market.shown": ("（仅列出前 {shown} 项）", "(the first {shown} shown)"),
        "integrity.market.nothing": ("未发现。", "Nothing found."),
        "integrity.market.subject": ("涉及", "Concerns"),
        "integrity.market.evidence": ("证据", "Evidence"),
        "integrity.market.link": ("查看各项目预警", "Open the tenders' flags"),
        "integrity.to_market": ("市场层面预警", "Market indicators"),
        "integrity.tender": ("项目", "Tender"),
        "integrity.state": ("状态", "State"),
        "integrity.lots": ("已开标标段", "Opened lots"),
        "integrity.flags": ("预警数", "Flags"),
        "integrity.rules": ("预警规则", "Rules raised"),
        "integrity.none": ("没有已开标的项目。", "No tender has been opened yet."),
        "integrity.no_flags": ("本标段未发现预警。", "No flag on this lot."),
        "integrity.no_lots": (
            "本项目尚无完成开标的标段。",
            "No lot of this tender has finished its opening.",
        ),
        "integrity.lot": ("标段 {number}", "Lot {number}"),
        "integrity.ceiling": ("最高投标限价", "Ceiling price"),
        "integrity.first": ("第一中标候选人", "First candidate"),
        "integrity.not_ranked": ("评标委员会尚未排序", "Not yet ranked by the committee"),
        "integrity.bidder": ("投标人", "Bidder"),
        "integrity.price": ("投标报价（元）", "Price (yuan)"),
        "integrity.manager": ("项目经理", "Project manager"),
        "integrity.rule": ("规则", "Rule"),
        "integrity.basis": ("依据", "Legal basis"),
        "integrity.why": ("触发条件", "Raised when"),
        "integrity.concerned": ("涉及投标人", "Bidders concerned"),
        "integrity.figures": ("数据", "Figures"),
        "integrity.measure": ("指标值", "Measure"),
        "integrity.decision": ("处理", "Decision"),
        "integrity.decision.dismissed": ("排除（已核查）", "Dismissed (checked)"),
        "integrity.decision.referred": ("移交查处（记 B01 扣分）", "Referred (B01 deduction recorded)"),
        "integrity.reason": ("理由", "Reason"),
        "integrity.decide": ("提交处理结果", "Record the decision"),
        "integrity.done.dismissed": ("已排除该预警。", "The flag is dismissed."),
        "integrity.done.referred": (
            "已移交查处，并为涉及的投标人记录 B01 围标串标扣分。",
            "The flag is referred, and a B01 deduction is recorded for each bidder concerned.",
        ),
    }
)
