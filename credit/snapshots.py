"""The daily evaluation (每日一评): recompute every subject for a day and keep the published history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Organisation
from core.paging import Page, paginate
from core.runtime import Runtime
from credit import index
from credit.deductions import active_on
from credit.events import CREDIT_RECOMPUTED
from credit.models import Deduction, Run, Snapshot, Subject
from credit.subjects import COMPANY_KINDS, SubjectKind

Progress = Callable[[int, int], None]  # (done, total)
BATCH = 5000


@dataclass(frozen=True)
class Universe:
    """Every known subject, in a fixed order: organisations, credit subjects and deducted subjects."""

    kinds: list[str]
    keys: list[str]

    def __len__(self) -> int:
        return len(self.keys)


async def universe(session: AsyncSession) -> Universe:
    seen: dict[tuple[str, str], None] = {}
    companies = await session.execute(
        select(Organisation.kind, Organisation.credit_code).where(
            Organisation.kind.in_([k.value for k in COMPANY_KINDS])
        )
    )
    listed = await session.execute(select(Subject.kind, Subject.key))
    deducted = await session.execute(select(Deduction.subject_kind, Deduction.subject_key).distinct())
    for rows in (companies, listed, deducted):
        for kind, key in rows:
            seen[(kind, key)] = None
    pairs = sorted(seen)
    return Universe([k for k, _ in pairs], [v for _, v in pairs])


async def recompute(
    session: AsyncSession, runtime: Runtime, day: date, *, progress: Progress | None = None
) -> Run:
    """Compute every subject's index for ``day`` and store the snapshot; running it again replaces it."""
    subjects = await universe(session)
    at = {(k, v): i for i, (k, v) in enumerate(zip(subjects.kinds, subjects.keys, strict=True))}
    rows = await session.execute(
        select(
            Deduction.subject_kind,
            Deduction.subject_key,
            Deduction.points,
            Deduction.start_day,
            Deduction.end_day,
            Deduction.revoked_on,
            Deduction.bars,
        ).where(*active_on(day))  # type: ignore[arg-type]
    )
    cols: list[list[int]] = [[], [], [], [], [], []]
    for kind, key, points, start, end, revoked, bars in rows:
        for col, value in zip(
            cols,
            (
                at[(kind, key)],
                index.to_tenths(points),
                start.toordinal(),
                end.toordinal(),
                revoked.toordinal() if revoked else index.NEVER,
                bool(bars),
            ),
            strict=True,
        ):
            col.append(int(value))
    result = index.compute(index.Deductions.of(*cols), len(subjects), day.toordinal())
    letters = index.grades(result.index)
    affected = np.flatnonzero((result.index < index.FULL) | result.barred)
    await session.execute(delete(Snapshot).where(Snapshot.day == day))
    total = len(affected)
    for start_at in range(0, max(total, 1), BATCH):
        part = affected[start_at : start_at + BATCH]
        if len(part):
            await session.execute(
                insert(Snapshot),
                [
                    {
                        "day": day,
                        "subject_kind": subjects.kinds[i],
                        "subject_key": subjects.keys[i],
                        "index": index.from_tenths(int(result.index[i])),
                        "grade": str(letters[i]),
                        "barred": bool(result.barred[i]),
                    }
                    for i in part
                ],
            )
        if progress:
            progress(min(start_at + BATCH, total), total)
    counts = {g: int(np.count_nonzero(letters == g)) for g in "ABCD"}
    run = await session.get(Run, day)
    if run is None:
        run = Run(day=day)
        session.add(run)
    run.computed_at = runtime.clock.now()
    run.subjects = len(subjects)
    run.grade_a, run.grade_b, run.grade_c, run.grade_d = (counts[g] for g in "ABCD")
    run.barred = int(np.count_nonzero(result.barred))
    await session.flush()
    await runtime.audit.append(
        session,
        CREDIT_RECOMPUTED,
        actor="system",
        subject=f"day:{day.isoformat()}",
        data={"subjects": run.subjects, "grades": counts, "barred": run.barred},
    )
    return run


@dataclass(frozen=True)
class Point:
    day: date
    index: Decimal
    grade: str
    barred: bool


async def history(
    session: AsyncSession, kind: SubjectKind, key: str, *, since: date, until: date
) -> list[Point]:
    """The published index on every evaluated day in [since, until]; no row that day means 100."""
    days = await session.scalars(select(Run.day).where(Run.day >= since, Run.day <= until).order_by(Run.day))
    rows = await session.scalars(
        select(Snapshot).where(
            Snapshot.subject_kind == kind.value,
            Snapshot.subject_key == key,
            Snapshot.day >= since,
            Snapshot.day <= until,
        )
    )
    found = {row.day: row for row in rows}
    full = index.from_tenths(index.FULL)
    return [
        Point(d, found[d].index, found[d].grade, found[d].barred)
        if d in found
        else Point(d, full, "A", False)
        for d in days
    ]


async def latest_run(session: AsyncSession, *, on_or_before: date | None = None) -> Run | None:
    query = select(Run).order_by(Run.day.desc()).limit(1)
    if on_or_before:
        query = query.where(Run.day <= on_or_before)
    return await session.scalar(query)


@dataclass(frozen=True)
class Ranked:
    kind: str
    key: str
    name: str
    region_code: str | None
    index: Decimal
    grade: str
    barred: bool


async def rankings(
    session: AsyncSession,
    *,
    day: date,
    kind: SubjectKind | None = None,
    region: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Ranked]:
    """The evaluated day's subjects below 100 or barred, lowest first (everyone else stands at 100)."""
    query = (
        select(Snapshot, Subject.name, Subject.region_code)
        .join(
            Subject,
            (Subject.kind == Snapshot.subject_kind) & (Subject.key == Snapshot.subject_key),
            isouter=True,
        )
        .where(Snapshot.day == day)
    )
    if kind:
        query = query.where(Snapshot.subject_kind == kind.value)
    if region:
        query = query.where(Subject.region_code == region)
    found = await paginate(
        session,
        query,
        order_by=(Snapshot.index, Snapshot.subject_kind, Snapshot.subject_key),
        limit=limit,
        offset=offset,
    )
    ranked = [
        Ranked(s.subject_kind, s.subject_key, name or s.subject_key, region_code, s.index, s.grade, s.barred)
        for s, name, region_code in found.rows
    ]
    return replace(found, rows=ranked)


@dataclass(frozen=True)
class Found:
    kind: str
    key: str
    name: str
    region_code: str | None


async def find_by_name(
    session: AsyncSession, text: str, *, kind: SubjectKind | None = None, limit: int = 50
) -> Page[Found]:
    """Companies (bidders, agents, tenderers; or the one ``kind`` of them) whose name contains
    ``text``, by name: the platform's registered organisations and the subjects credit knows of (those
    imported from other platforms too). Every one is found, at 100 or below; its page shows the index."""
    kinds = [kind.value] if kind in COMPANY_KINDS else sorted(k.value for k in COMPANY_KINDS)
    wanted = text.strip()
    found: dict[tuple[str, str], Found] = {}
    subjects = await session.scalars(
        select(Subject).where(Subject.name.contains(wanted, autoescape=True), Subject.kind.in_(kinds))
        .order_by(Subject.name).limit(limit)
    )  # fmt: skip
    for s in subjects:
        found[(s.kind, s.key)] = Found(s.kind, s.key, s.name, s.region_code)
    named = Organisation.name.contains(wanted, autoescape=True)
    orgs = await session.scalars(
        select(Organisation)
        .where(named, Organisation.kind.in_(kinds))
        .order_by(Organisation.name)
        .limit(limit)
    )
    for o in orgs:
        found.setdefault((o.kind, o.credit_code), Found(o.kind, o.credit_code, o.name, o.region_code))
    rows = sorted(found.values(), key=lambda f: (f.name, f.kind, f.key))
    return Page(rows[:limit], len(rows), limit, 0)
