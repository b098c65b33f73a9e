"""After the report is signed: the candidates' publicity (中标候选人公示), then the award."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, InvalidInput
from core.runtime import Runtime
from evaluation.models import EvaluationState
from evaluation.report.document import Report
from evaluation.report.facts import ReportError
from evaluation.report.publicity import publicity_draft
from evaluation.room import get_evaluation
from evaluation.views import AwardOut, PublicityOut
from experts import service as experts

PUBLICITY_DAYS = 3  # 《招标投标法实施条例》第五十四条: candidates are public for at least 3 days


async def publish_publicity(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, days: int = PUBLICITY_DAYS
) -> PublicityOut:
    evaluation = await get_evaluation(session, code)
    if evaluation.state != "signed" or evaluation.report_facts is None:
        raise Conflict(
            "评标报告签署完成后才能公示候选人 (the report must be signed first)", code="wrong_state"
        )
    now = runtime.clock.now()
    try:
        draft = publicity_draft(
            Report.from_facts(evaluation.report_facts),
            starts=now,
            days=days,
            day=await bidding.statutory_day(session, evaluation.tender_code),
        )
    except ReportError as error:
        raise InvalidInput(str(error), code="bad_publicity") from None
    notice = await bidding.publish_candidates(
        session, runtime, principal, evaluation.tender_code, draft.title, draft.body, draft.data
    )
    evaluation.state = EvaluationState.PUBLICITY
    evaluation.publicity_notice_id = notice.id
    evaluation.publicity_ends = draft.ends
    return PublicityOut(notice=notice.id, ends=draft.ends.isoformat())


def _candidates(lot: str, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's candidates as the award notice's structured data lists them (publication/ocds.py)."""
    return [
        {"lot": lot, "rank": c["rank"],
         "bidder": {"name": c["name"], "credit_code": c["credit_code"]}, "price": c["price"]}
        for c in facts["candidates"]
    ]  # fmt: skip


async def award(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, winner: str | None = None
) -> AwardOut:
    evaluation = await get_evaluation(session, code)
    if evaluation.state == EvaluationState.AWARDED:
        raise Conflict(
            f"标段{evaluation.lot_number}已定标，中标人 {evaluation.winner_code} "
            f"(lot {evaluation.lot_number} is already awarded to {evaluation.winner_code})",
            code="already_awarded",
        )
    if (
        evaluation.state != "publicity"
        or evaluation.publicity_ends is None
        or evaluation.report_facts is None
    ):
        raise Conflict("候选人公示后才能定标 (publish the candidates first)", code="wrong_state")
    now = runtime.clock.now()
    if now < as_utc(evaluation.publicity_ends):
        raise Conflict(
            f"公示期至 {as_utc(evaluation.publicity_ends).isoformat()} 结束 "
            "(the publicity period has not ended)",
            code="publicity_running",
        )
    candidates = _candidates(evaluation.lot_number, evaluation.report_facts)
    chosen = winner or candidates[0]["bidder"]["credit_code"]
    row = next((c for c in candidates if c["bidder"]["credit_code"] == chosen), None)
    if row is None:
        raise InvalidInput(f"{chosen} 不是中标候选人 (not a candidate)", code="not_a_candidate")
    data = {
        "awards": [
            {
                "lot": evaluation.lot_number,
                "bidder": row["bidder"],
                "price": row["price"],
                "date": now.isoformat(),
            }
        ],
        "candidates": candidates,
    }
    title = f"{evaluation.tender_title} 标段{evaluation.lot_number} 中标结果公告"
    body = (
        f"项目：{evaluation.tender_title}（{evaluation.tender_code}）标段{evaluation.lot_number}\n"
        f"中标人：{row['bidder']['name']}（统一社会信用代码 {row['bidder']['credit_code']}）\n"
        f"中标价：{row['price']} 元\n评标报告摘要值（SHA-256）：{evaluation.report_digest}"
    )
    notice = await bidding.award(
        session, runtime, principal, evaluation.tender_code, title, body, data, lot=evaluation.lot_number
    )
    await experts.publish_names(session, runtime, evaluation.draw_id)
    evaluation.state = EvaluationState.AWARDED
    evaluation.award_notice_id = notice.id
    evaluation.winner_code = chosen
    return AwardOut(notice=notice.id, winner=chosen)


NEXT_CANDIDATE_BASIS = "《招标投标法实施条例》第五十五条"


async def award_next(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    code: str,
    winner: str,
    *,
    replaced: str,
    reason: str,
) -> AwardOut:
    """The lot's award to the next candidate ``winner`` after the contract with ``replaced`` ended
    (条例第五十五条, decided in contracts): a new award notice (中标结果公告) naming both, whose data
    marks the first award ``cancelled`` and the new one active (publication/ocds.py)."""
    evaluation = await get_evaluation(session, code)
    if evaluation.state != EvaluationState.AWARDED or evaluation.report_facts is None:
        raise Conflict("标段尚未定标 (the lot is not awarded yet)", code="not_awarded")
    candidates = _candidates(evaluation.lot_number, evaluation.report_facts)
    row = next((c for c in candidates if c["bidder"]["credit_code"] == winner), None)
    first = next((c for c in candidates if c["bidder"]["credit_code"] == replaced), None)
    if row is None or first is None or winner == replaced:
        raise InvalidInput(f"{winner} 不是下一中标候选人 (not the next candidate)", code="not_a_candidate")
    now = runtime.clock.now()
    lot = evaluation.lot_number
    data = {
        "awards": [{"lot": lot, "bidder": row["bidder"], "price": row["price"], "date": now.isoformat()}],
        "cancelled": [{"lot": lot, "bidder": first["bidder"], "reason": reason}],
        "candidates": candidates,
        "basis": NEXT_CANDIDATE_BASIS,
    }
    title = f"{evaluation.tender_title} 标段{lot} 中标结果公告（第{row['rank']}中标候选人）"
    body = (
        f"项目：{evaluation.tender_title}（{evaluation.tender_code}）标段{lot}\n"
        f"原中标人：{first['bidder']['name']}（统一社会信用代码 {first['bidder']['credit_code']}），"
        f"{reason}，其中标结果作废。\n"
        f"依据{NEXT_CANDIDATE_BASIS}，按评标委员会推荐的顺序确定排名第{row['rank']}的中标候选人为中标人。\n"
        f"中标人：{row['bidder']['name']}（统一社会信用代码 {row['bidder']['credit_code']}）\n"
        f"中标价：{row['price']} 元\n评标报告摘要值（SHA-256）：{evaluation.report_digest}"
    )
    notice = await bidding.award(
        session, runtime, principal, evaluation.tender_code, title, body, data, lot=lot
    )
    evaluation.award_notice_id = notice.id
    evaluation.winner_code = winner
    return AwardOut(notice=notice.id, winner=winner)
