"""Recording deductions (by supervisors, from platform events, from other platforms) and reading them."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import organisations
from core.clock import centre_today
from core.errors import InvalidInput, NotFound
from core.paging import Page, paginate
from core.runtime import Runtime
from credit import index, rules
from credit.catalogue import INDUSTRIES
from credit.events import CREDIT_DEDUCTION_RECORDED, CREDIT_DEDUCTION_REVOKED, CREDIT_EVIDENCE_ADDED
from credit.models import Deduction, EvidenceDocument, Subject
from credit.subjects import COMPANY_KINDS, SubjectKind, normalise_key, parse_kind

# The platform's own region (吉林市) for deductions it raises itself; imports keep their own.
PLATFORM_REGION = "220200"
_REGION = re.compile(r"^\d{6}$")
_UID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
MAX_DOCUMENT = 20 * 1024 * 1024


def today(runtime: Runtime) -> date:
    """The credit day is the calendar day in Asia/Shanghai, where the trading centre works."""
    return centre_today(runtime.clock)


def origin_of(runtime: Runtime) -> str:
    """This platform's name in exchanged records (the host part of its audit origin)."""
    return runtime.settings.audit_origin.split("/")[0][:64]


@dataclass(frozen=True)
class NewDeduction:
    kind: str
    key: str
    rule_code: str
    reason: str
    evidence: str = ""
    day: date | None = None
    source_region: str = PLATFORM_REGION
    source_industry: str = "construction"
    source_ref: str = ""
    subject_name: str | None = None


def check_source(region: str, industry: str) -> tuple[str, str]:
    if not _REGION.match(region):
        raise InvalidInput(
            f"来源地区代码应为6位数字：{region!r} (source region: six digits)", code="bad_region"
        )
    if industry not in INDUSTRIES:
        raise InvalidInput(
            f"未知行业 {industry!r} (industry: one of {', '.join(INDUSTRIES)})", code="bad_industry"
        )
    return region, industry


async def ensure_subject(
    session: AsyncSession, kind: SubjectKind, key: str, name: str | None = None, region: str | None = None
) -> Subject:
    subject = await session.get(Subject, (kind.value, key))
    if subject is None:
        org = await organisations.find_by_credit_code(session, key) if kind in COMPANY_KINDS else None
        subject = Subject(
            kind=kind.value,
            key=key,
            name=(org.name if org else name) or key,
            region_code=(org.region_code if org else region),
        )
        session.add(subject)
        await session.flush()
    elif name and subject.name == key:
        subject.name = name  # a better name arrived (e.g. an expert's name from a supervisor)
    return subject


async def record_deduction(
    session: AsyncSession,
    runtime: Runtime,
    new: NewDeduction,
    *,
    actor: str,
    event: str | None = None,
    uid: str | None = None,
) -> Deduction:
    kind = parse_kind(new.kind)
    key = normalise_key(kind, new.key)
    rule = await rules.get_rule(session, new.rule_code)
    if rule.subject_kind != kind.value:
        raise InvalidInput(
            f"规则 {rule.code} 适用于 {rule.subject_kind}，不适用于 {kind.value} (rule is for another kind)",
            code="rule_kind_mismatch",
        )
    if not rule.active:
        raise InvalidInput(f"规则 {rule.code} 已停用 (rule is retired)", code="rule_retired")
    start = new.day or today(runtime)
    if start > today(runtime):
        raise InvalidInput("扣分日期不能晚于今天 (a deduction cannot be dated in the future)", code="bad_day")
    if not new.reason.strip():
        raise InvalidInput("须填写扣分事由 (a public reason is required)", code="reason_required")
    region, industry = check_source(new.source_region, new.source_industry)
    await ensure_subject(session, kind, key, new.subject_name, region)
    deduction = Deduction(
        uid=uid or uuid.uuid4().hex,
        subject_kind=kind.value,
        subject_key=key,
        rule_id=rule.id,
        rule_code=rule.code,
        rule_title=rule.title,
        points=rule.points,
        bars=rule.bars,
        start_day=start,
        end_day=start + timedelta(days=rule.validity_days),
        reason=new.reason.strip(),
        evidence=new.evidence.strip(),
        source_region=region,
        source_industry=industry,
        source_ref=new.source_ref.strip()[:128],
        event=event,
        origin=origin_of(runtime),
        recorded_by=actor[:64],
        recorded_at=runtime.clock.now(),
    )
    session.add(deduction)
    await session.flush()
    await audit_recorded(session, runtime, deduction, actor)
    return deduction


async def audit_recorded(session: AsyncSession, runtime: Runtime, d: Deduction, actor: str) -> None:
    # Deductions are public (the index pages show them); the private evidence stays out of the log.
    await runtime.audit.append(
        session,
        CREDIT_DEDUCTION_RECORDED,
        actor=actor,
        subject=f"{d.subject_kind}:{d.subject_key}",
        data={
            "uid": d.uid,
            "rule": d.rule_code,
            "points": str(d.points),
            "bars": d.bars,
            "start": d.start_day.isoformat(),
            "end": d.end_day.isoformat(),
            "reason": d.reason,
            "source": {"region": d.source_region, "industry": d.source_industry, "ref": d.source_ref},
            "origin": d.origin,
            "event": d.event,
        },
    )


def event_uid(event: str, key: str, source_ref: str) -> str:
    digest = hashlib.sha256(f"{event}\n{key}\n{source_ref}".encode()).hexdigest()
    return f"evt-{digest[:48]}"


async def find_by_uid(session: AsyncSession, uid: str) -> Deduction | None:
    return await session.scalar(select(Deduction).where(Deduction.uid == uid))


async def record_event_deduction(
    session: AsyncSession,
    runtime: Runtime,
    *,
    event: str,
    kind: SubjectKind | str,
    key: str,
    evidence: str,
    source_ref: str,
    actor: str | None = None,
    industry: str = "construction",
) -> Deduction | None:
    """A deduction raised by another module's event; the same (event, key, source_ref) counts once.

    Returns the deduction (the existing one on a replay), or None when a supervisor retired the
    event's rule. An event no rule maps to is a programming error and raises InvalidInput.
    """
    subject_kind = parse_kind(kind)
    subject_key = normalise_key(subject_kind, key)
    uid = event_uid(event, subject_key, source_ref)
    existing = await find_by_uid(session, uid)
    if existing is not None:
        return existing
    rule = await rules.rule_for_event(session, event)
    if rule is None:
        await rules.ensure_catalogue(session, runtime)  # a fresh platform: install the shipped rules
        rule = await rules.rule_for_event(session, event)
    if rule is None:
        raise InvalidInput(f"没有规则对应事件 {event} (no rule for this event)", code="unknown_event")
    if not rule.active:
        return None
    new = NewDeduction(
        kind=subject_kind.value,
        key=subject_key,
        rule_code=rule.code,
        reason=f"{rule.description}（{source_ref}）" if source_ref else rule.description,
        evidence=evidence,
        source_industry=industry,
        source_ref=source_ref,
    )
    try:
        # A savepoint, so that a concurrent twin of this event loses quietly instead of failing its caller.
        async with session.begin_nested():
            return await record_deduction(
                session, runtime, new, actor=actor or "system", event=event, uid=uid
            )
    except IntegrityError:
        twin = await find_by_uid(session, uid)
        if twin is None:
            raise
        return twin


async def get_deduction(session: AsyncSession, deduction_id: int) -> Deduction:
    found = await session.get(Deduction, deduction_id)
    if found is None:
        raise NotFound(f"扣分记录 {deduction_id} 不存在 (deduction not found)", code="deduction_not_found")
    return found


def active_on(day: date) -> list[object]:
    """SQL conditions for "counts on ``day``" (index.active says the same in numpy)."""
    return [
        Deduction.start_day <= day,
        Deduction.end_day > day,
        or_(Deduction.revoked_on.is_(None), Deduction.revoked_on > day),
    ]


async def list_deductions(
    session: AsyncSession,
    *,
    kind: str | None = None,
    key: str | None = None,
    day: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Deduction]:
    """Deductions, newest first; with ``day`` only those counting on that day."""
    query = select(Deduction)
    if kind:
        query = query.where(Deduction.subject_kind == parse_kind(kind).value)
    if key:
        query = query.where(Deduction.subject_key == (normalise_key(kind, key) if kind else key.strip()))
    if day:
        query = query.where(*active_on(day))  # type: ignore[arg-type]
    return await paginate(
        session, query, order_by=(Deduction.start_day.desc(), Deduction.id.desc()), limit=limit, offset=offset
    )


async def load(session: AsyncSession, kind: SubjectKind, keys: Sequence[str], day: date) -> index.Deductions:
    """The deductions of ``keys`` that may count on ``day``, as columns indexed by position in keys."""
    position = {key: i for i, key in enumerate(keys)}
    columns: list[list[int]] = [[], [], [], [], [], []]
    chunk = 2000  # well under every engine's bound-parameter limit
    for i in range(0, len(keys), chunk):
        rows = await session.execute(
            select(
                Deduction.subject_key,
                Deduction.points,
                Deduction.start_day,
                Deduction.end_day,
                Deduction.revoked_on,
                Deduction.bars,
            ).where(
                Deduction.subject_kind == kind.value,
                Deduction.subject_key.in_(keys[i : i + chunk]),
                Deduction.start_day <= day,
                Deduction.end_day > day,
            )
        )
        for key, points, start, end, revoked, bars in rows:
            columns[0].append(position[key])
            columns[1].append(index.to_tenths(points))
            columns[2].append(start.toordinal())
            columns[3].append(end.toordinal())
            columns[4].append(revoked.toordinal() if revoked else index.NEVER)
            columns[5].append(bool(bars))
    return index.Deductions.of(*columns)


async def attach_document(
    session: AsyncSession,
    runtime: Runtime,
    deduction_id: int,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    actor: str,
) -> EvidenceDocument:
    deduction = await get_deduction(session, deduction_id)
    if not content or len(content) > MAX_DOCUMENT:
        raise InvalidInput("证据文件为空或超过20MB (evidence file empty or over 20 MB)", code="bad_document")
    name = re.sub(r"[\\/\x00-\x1f]", "_", filename.strip())[:200] or "evidence"
    blob = await runtime.blobs.put(f"credit/evidence/{deduction.uid}/{uuid.uuid4().hex}", content)
    doc = EvidenceDocument(
        deduction_id=deduction.id,
        blob_key=blob.key,
        filename=name,
        content_type=content_type[:100] or "application/octet-stream",
        size=blob.size,
        sha256=blob.sha256,
        uploaded_by=actor[:64],
        uploaded_at=runtime.clock.now(),
    )
    session.add(doc)
    await session.flush()
    await runtime.audit.append(
        session,
        CREDIT_EVIDENCE_ADDED,
        actor=actor,
        subject=f"{deduction.subject_kind}:{deduction.subject_key}",
        data={"uid": deduction.uid, "sha256": blob.sha256, "size": blob.size},  # the hash, not the file
    )
    return doc


async def documents(session: AsyncSession, deduction_id: int) -> list[EvidenceDocument]:
    rows = await session.scalars(
        select(EvidenceDocument)
        .where(EvidenceDocument.deduction_id == deduction_id)
        .order_by(EvidenceDocument.id)
    )
    return list(rows)


async def revoke(
    session: AsyncSession, runtime: Runtime, deduction: Deduction, *, reason: str, actor: str, day: date
) -> None:
    """Stop a deduction counting from ``day`` on: a correction, the days before keep it."""
    if deduction.revoked_on is not None:
        return
    deduction.revoked_on = max(day, deduction.start_day)
    deduction.revoked_reason = reason
    deduction.revoked_by = actor[:64]
    await runtime.audit.append(
        session,
        CREDIT_DEDUCTION_REVOKED,
        actor=actor,
        subject=f"{deduction.subject_kind}:{deduction.subject_key}",
        data={"uid": deduction.uid, "from": deduction.revoked_on.isoformat(), "reason": reason},
    )
