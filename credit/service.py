"""credit's service: what other contexts call (standings, event deductions) and the use cases.

Other contexts import only this module. The index of a subject on a day is computed here from the
deductions that count that day (credit/index.py), so callers never depend on the daily snapshot.

Units: a rule's points are a Decimal with one decimal place (0.5 for a late arrival); an index is a
Decimal with two places (87.50). Days are calendar days in Asia/Shanghai (``today(runtime)``). A
subject is a (kind, key) pair: the same credit code as bidder and as agent are two subjects. A
deduction counts from its day for ``validity_days`` days (``end_day`` is the first day it no longer
counts) and stops counting on the day a supervisor revokes it; the days before keep it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core import organisations
from core.errors import PermissionDenied
from credit import index
from credit.appeals import (
    Outcome,
    decide_appeal,
    file_appeal,
    get_appeal,
    link_subject,
    list_appeals,
    speaks_for,
    subjects_of,
)
from credit.deductions import (
    NewDeduction,
    attach_document,
    documents,
    ensure_subject,
    get_deduction,
    list_deductions,
    load,
    record_deduction,
    record_event_deduction,
    today,
)
from credit.models import Deduction, Subject
from credit.rules import (
    RuleInput,
    check_points,
    create_rule,
    ensure_catalogue,
    get_rule,
    list_rules,
    update_rule,
)
from credit.subjects import COMPANY_KINDS, Standing, SubjectKind, normalise_key, parse_kind

# The usual bidder gate: grade C or better (index at least 60) and not barred.
DEFAULT_MINIMUM = Decimal(60)

__all__ = [
    "DEFAULT_MINIMUM",
    "Deduction",
    "NewDeduction",
    "Outcome",
    "RuleInput",
    "Standing",
    "SubjectKind",
    "attach_document",
    "check_points",
    "create_rule",
    "decide_appeal",
    "describe",
    "documents",
    "ensure_catalogue",
    "ensure_subject",
    "file_appeal",
    "get_appeal",
    "get_deduction",
    "get_rule",
    "link_subject",
    "list_appeals",
    "list_deductions",
    "list_rules",
    "meets",
    "record_deduction",
    "record_event_deduction",
    "require_standing",
    "speaks_for",
    "standing",
    "standings",
    "subjects_of",
    "today",
    "update_rule",
]


async def standings(
    session: AsyncSession, kind: SubjectKind | str, keys: Sequence[str], day: date
) -> dict[str, Standing]:
    """Every key's standing on ``day``; subjects without deductions are 100 / A / not barred.

    Keys are returned as given (company codes are matched case-insensitively); an invalid key raises
    InvalidInput. One query per 2,000 keys, then one vectorised pass.
    """
    subject_kind = parse_kind(kind)
    given = list(dict.fromkeys(keys))
    canonical = [normalise_key(subject_kind, key) for key in given]
    distinct = list(dict.fromkeys(canonical))
    result = index.compute(await load(session, subject_kind, distinct, day), len(distinct), day.toordinal())
    letters = index.grades(result.index)
    at = {key: i for i, key in enumerate(distinct)}
    out: dict[str, Standing] = {}
    for original, key in zip(given, canonical, strict=True):
        i = at[key]
        out[original] = Standing(
            kind=subject_kind.value,
            key=key,
            index=index.from_tenths(int(result.index[i])),
            grade=str(letters[i]),
            barred=bool(result.barred[i]),
        )
    return out


async def standing(session: AsyncSession, kind: SubjectKind | str, key: str, day: date) -> Standing:
    return (await standings(session, kind, [key], day))[key]


def meets(found: Standing, minimum: Decimal | int | None) -> bool:
    """The usual gate: not barred and, when a minimum is set, an index at least that high."""
    return not found.barred and (minimum is None or found.index >= minimum)


async def describe(session: AsyncSession, kind: SubjectKind | str, key: str) -> Subject | None:
    """The subject's display facts (name, region), if credit has heard of it."""
    subject_kind = parse_kind(kind)
    key = normalise_key(subject_kind, key)
    found = await session.get(Subject, (subject_kind.value, key))
    if found is None and subject_kind in COMPANY_KINDS:
        org = await organisations.find_by_credit_code(session, key)
        if org is not None and org.kind == subject_kind.value:
            return Subject(kind=subject_kind.value, key=key, name=org.name, region_code=org.region_code)
    return found


async def require_standing(
    session: AsyncSession,
    kind: SubjectKind | str,
    key: str,
    day: date,
    *,
    minimum: Decimal | int | None = DEFAULT_MINIMUM,
) -> Standing:
    """The bidder gate (e.g. to register for a tender): refuse a barred subject or one below ``minimum``."""
    found = await standing(session, kind, key, day)
    if found.barred:
        raise PermissionDenied(
            f"{found.key} 处于信用限制期，不得参与 (barred by an active credit deduction)",
            code="credit_barred",
        )
    if minimum is not None and found.index < Decimal(minimum):
        raise PermissionDenied(
            f"{found.key} 信用指数 {found.index} 低于 {minimum} (credit index below the required minimum)",
            code="credit_too_low",
        )
    return found
