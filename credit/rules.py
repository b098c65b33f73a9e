"""Rules as data: supervisors create and edit them; deductions copy what they need when recorded."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, InvalidInput, NotFound
from core.numbers import Bounds, decimal_input
from core.runtime import Runtime
from credit.catalogue import CATALOGUE, RuleSpec
from credit.events import CREDIT_RULE_CREATED, CREDIT_RULE_UPDATED
from credit.models import Rule
from credit.subjects import SubjectKind, parse_kind

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
MAX_VALIDITY_DAYS = 3650

RULE_POINTS = Bounds(places=1, integer_digits=3, maximum=Decimal(100), above_minimum=True)
RULE_POINTS_PATTERN = r"^(100(\.0)?|[1-9][0-9]?(\.[0-9])?|0?\.[1-9])$"


class RuleInput(msgspec.Struct, frozen=True):
    """A rule as supervisors write it: the API body, the pages' form and the catalogue's seed in one.

    The schema states what ``_check`` checks field by field (the code is upper-cased after trimming);
    the points' bounds (0 < points ≤ 100, one decimal place) are checked by ``check_points`` (422),
    and the pages build it from a form, so the checks stay in ``_check`` too.
    """

    code: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^\s*[A-Za-z0-9][A-Za-z0-9_-]{0,31}\s*$",
            description="rule code (规则编号): A-Z, 0-9, '_' or '-', up to 32",
            examples=["B05"],
        ),
    ]
    subject_kind: SubjectKind
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
    description: str
    points: Annotated[
        Decimal,
        msgspec.Meta(
            description="points deducted (扣分), 0 < points ≤ 100, one decimal place",
            # RULE_POINTS, for the schema (``check_points`` answers 422 with its message)
            extra_json_schema={"pattern": RULE_POINTS_PATTERN, "examples": ["5"]},
        ),
    ]
    validity_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_VALIDITY_DAYS)]
    legal_basis: Annotated[str, msgspec.Meta(min_length=1, pattern=r"\S")]
    bars: bool = False
    event: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    active: bool = True


def check_points(points: Decimal | str | int) -> Decimal:
    """A rule's points: in (0, 100], at most one decimal place (indexes are kept in tenths)."""
    return decimal_input(points, "points 分值", RULE_POINTS, code="bad_points").quantize(Decimal("0.1"))


def _check(data: RuleInput) -> tuple[str, SubjectKind, Decimal]:
    code = data.code.strip().upper()
    if not _CODE.match(code):
        raise InvalidInput(
            f"规则编号格式无效 {data.code!r} (rule code: A-Z, 0-9, '_' or '-')", code="bad_rule"
        )
    if not 1 <= data.validity_days <= MAX_VALIDITY_DAYS:
        raise InvalidInput(
            f"有效期须为1-{MAX_VALIDITY_DAYS}天 (validity must be 1-{MAX_VALIDITY_DAYS} days)",
            code="bad_rule",
        )
    if not data.title.strip() or not data.legal_basis.strip():
        raise InvalidInput("规则名称和法律依据不能为空 (title and legal basis are required)", code="bad_rule")
    return code, parse_kind(data.subject_kind), check_points(data.points)


async def list_rules(session: AsyncSession, *, kind: str | None = None) -> list[Rule]:
    query = select(Rule).order_by(Rule.subject_kind, Rule.code)
    if kind:
        query = query.where(Rule.subject_kind == parse_kind(kind).value)
    return list(await session.scalars(query))


async def get_rule(session: AsyncSession, code: str) -> Rule:
    rule = await session.scalar(select(Rule).where(Rule.code == code.strip().upper()))
    if rule is None:
        raise NotFound(f"信用规则 {code} 不存在 (rule not found)", code="rule_not_found")
    return rule


async def rule_for_event(session: AsyncSession, event: str) -> Rule | None:
    return await session.scalar(select(Rule).where(Rule.event == event))


async def _event_free(session: AsyncSession, event: str | None, code: str) -> None:
    if event:
        holder = await rule_for_event(session, event)
        if holder is not None and holder.code != code:
            raise Conflict(
                f"事件 {event} 已对应规则 {holder.code} (event already mapped)", code="event_taken"
            )


async def create_rule(session: AsyncSession, runtime: Runtime, data: RuleInput, *, actor: str) -> Rule:
    code, kind, points = _check(data)
    if await session.scalar(select(Rule.id).where(Rule.code == code)) is not None:
        raise Conflict(f"规则编号 {code} 已存在 (rule code taken)", code="rule_code_taken")
    await _event_free(session, data.event, code)
    now = runtime.clock.now()
    rule = Rule(
        code=code,
        subject_kind=kind.value,
        title=data.title.strip(),
        description=data.description.strip(),
        points=points,
        validity_days=data.validity_days,
        legal_basis=data.legal_basis.strip(),
        bars=data.bars,
        event=data.event or None,
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    await session.flush()
    await runtime.audit.append(
        session, CREDIT_RULE_CREATED, actor=actor, subject=f"rule:{code}", data=_facts(rule)
    )
    return rule


async def update_rule(
    session: AsyncSession, runtime: Runtime, code: str, data: RuleInput, *, actor: str
) -> Rule:
    """Change a rule for future deductions; the code and subject kind are fixed once created."""
    rule = await get_rule(session, code)
    _, kind, points = _check(data)
    if kind.value != rule.subject_kind or data.code.strip().upper() != rule.code:
        raise InvalidInput("规则编号和主体类型不可修改 (code and subject kind are fixed)", code="rule_fixed")
    await _event_free(session, data.event, rule.code)
    rule.title, rule.description = data.title.strip(), data.description.strip()
    rule.points, rule.validity_days, rule.legal_basis = points, data.validity_days, data.legal_basis.strip()
    rule.bars, rule.event, rule.active = data.bars, data.event or None, data.active
    rule.updated_at = runtime.clock.now()
    await runtime.audit.append(
        session, CREDIT_RULE_UPDATED, actor=actor, subject=f"rule:{rule.code}", data=_facts(rule)
    )
    return rule


async def ensure_catalogue(session: AsyncSession, runtime: Runtime, *, actor: str = "system") -> int:
    """Add the shipped rules that are missing (by code), and give an installed rule the event a later
    release ships for it (B04 and T04 gained theirs when contracts arrived) where that rule has no event
    and no other rule raises it. Points, texts and a supervisor's own choice of event are never touched.
    Returns how many rules were added."""
    existing = {rule.code: rule for rule in await session.scalars(select(Rule))}
    added = 0
    for spec in CATALOGUE:
        rule = existing.get(spec.code)
        if rule is None:
            await create_rule(session, runtime, _input(spec), actor=actor)
            added += 1
        elif spec.event and rule.event is None and await rule_for_event(session, spec.event) is None:
            rule.event, rule.updated_at = spec.event, runtime.clock.now()
            await runtime.audit.append(
                session, CREDIT_RULE_UPDATED, actor=actor, subject=f"rule:{rule.code}", data=_facts(rule)
            )
    return added


def _input(spec: RuleSpec) -> RuleInput:
    return RuleInput(
        spec.code,
        spec.kind,
        spec.title,
        spec.description,
        spec.points,
        spec.validity_days,
        spec.legal_basis,
        spec.bars,
        spec.event,
    )


def _facts(rule: Rule) -> dict[str, object]:
    return {
        "kind": rule.subject_kind,
        "title": rule.title,
        "points": str(rule.points),
        "validity_days": rule.validity_days,
        "bars": rule.bars,
        "event": rule.event,
        "active": rule.active,
        "legal_basis": rule.legal_basis,
    }
