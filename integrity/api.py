"""integrity's JSON API: the red flags of a tender's opened lots, for supervisors only."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath, JSONBody

from core.access import Caller, allow
from core.roles import Role
from core.runtime import Db, Rt
from core.texts import NOT_WS, WS
from integrity import service
from integrity.models import Decision

SUPERVISORS = allow(Role.SUPERVISOR)


class FlagOut(msgspec.Struct, kw_only=True):
    code: Annotated[
        str,
        msgspec.Meta(
            description="the rule's code (P1-P5 prices, E1-E7 shared evidence, T1 similar documents, "
            "M1 mixed-up documents; see docs/integrity-evidence.md)"
        ),
    ]
    name_zh: str
    name_en: str
    basis: Annotated[str, msgspec.Meta(description="the article of law the rule follows")]
    why: Annotated[str, msgspec.Meta(description="when the rule raises a flag, threshold included")]
    threshold: float
    bidders: list[str]
    figures: list[str]
    measure: float | None
    group: Annotated[
        str,
        msgspec.Meta(
            description="which group of the rule this flag is, when one rule raises several in a lot "
            "(two shared files under E4): pass it when deciding; empty for the price rules"
        ),
    ]
    decision: Decision | None
    decision_reason: str | None


_C = NOT_WS  # one visible character


class DecisionIn(msgspec.Struct, kw_only=True):
    decision: Annotated[Decision, msgspec.Meta(description="dismissed, or referred (records B01)")]
    reason: Annotated[
        str,
        msgspec.Meta(
            max_length=2000,
            # At least REASON_MIN (4) characters once runs of white space are one space: four visible
            # characters, or three with a space between two of them. Schema only: the service answers
            # 422 reason_required with its message.
            extra_json_schema={
                "pattern": rf"{_C}({WS}*{_C}){{3}}|{_C}{WS}+{_C}{WS}*{_C}|{_C}{WS}*{_C}{WS}+{_C}"
            },
            description="at least 4 characters, white space counted once between words",
        ),
    ]
    group: Annotated[
        str,
        msgspec.Meta(
            max_length=32,
            description="the flag's group (FlagOut.group); may be left out when the rule raised one flag",
        ),
    ] = ""


class DecisionOut(msgspec.Struct, kw_only=True):
    rule: str
    group: str
    decision: Decision
    reason: str
    decided_at: str


class LotOut(msgspec.Struct, kw_only=True):
    number: str
    title: str
    ceiling_price: str
    first_candidate: str | None
    bids: int
    flags: list[FlagOut]


def flag_out(flag: service.RaisedFlag) -> FlagOut:
    rule = flag.rule
    return FlagOut(
        code=rule.code,
        name_zh=rule.name_zh,
        name_en=rule.name_en,
        basis=rule.basis,
        why=rule.why,
        threshold=rule.threshold,
        bidders=list(flag.bidders),
        figures=list(flag.figures),
        measure=flag.measure,
        group=flag.group,
        decision=flag.decision.decision if flag.decision else None,
        decision_reason=flag.decision.reason if flag.decision else None,
    )


@get("/api/integrity/tenders/{code:str}", opt=SUPERVISORS, tags=["integrity"])
async def tender_flags(db: Db, code: FromPath[str]) -> list[LotOut]:
    """The collusion red flags (围标串标预警) of each opened lot of a tender, supervisors only.

    Each flag names its rule, the article of law it follows, its threshold, the bidders concerned and
    the figures that raised it. Lots whose opening is not complete are left out; the cover-bidding flag
    (P4) appears once the committee has ranked the bids. A flag is a lead to check, not a finding.
    """
    return [
        LotOut(
            number=review.number,
            title=review.title,
            ceiling_price=str(review.ceiling),
            first_candidate=review.first_candidate,
            bids=len(review.bids),
            flags=[flag_out(flag) for flag in review.flags],
        )
        for review in await service.lot_reviews(db, code)
    ]


@post(
    "/api/integrity/tenders/{code:str}/lots/{lot:str}/flags/{rule:str}/decision",
    opt=SUPERVISORS,
    tags=["integrity"],
)
async def decide_flag(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    rule: FromPath[str],
    data: JSONBody[DecisionIn],
) -> Response[DecisionOut]:
    """Decide a raised flag, once: dismiss it with the reason, or refer it, which records a B01
    deduction (围标串标) for every bidder it concerns (not on a training tender). When the rule raised
    several groups in the lot, ``group`` names the one decided (422 ``group_required`` without it); the
    others stay open. 404 when the flag is not raised now; 409 when it was decided before. Audit-logged."""
    record = await service.decide(
        db, runtime, principal, code, lot, rule, data.decision, data.reason, data.group
    )
    out = DecisionOut(
        rule=record.rule_code,
        group=record.group_key,
        decision=record.decision,
        reason=record.reason,
        decided_at=record.decided_at.isoformat(),
    )
    return Response(out, status_code=201)


ROUTE_HANDLERS = [tender_flags, decide_flag]
