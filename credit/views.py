"""Public and private shapes of credit data, shared by the JSON API, the exchange file and the pages:
msgspec Structs, so /schema/openapi.json states them as the API writes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from credit.models import Appeal, Deduction, EvidenceDocument, Rule
from credit.snapshots import Point, Ranked
from credit.subjects import Standing, SubjectKind

# Points and the index are decimals written as strings ("12.0", "88.00"), exact as stored.
Points = Annotated[str, msgspec.Meta(pattern=r"^\d+(\.\d+)?$", description="points deducted, a decimal")]
Index = Annotated[str, msgspec.Meta(pattern=r"^\d+(\.\d+)?$", description="credit index 0.00-100.00")]
Grade = Annotated[str, msgspec.Meta(description="the grade of the index: A, B, C or D")]


class RuleOut(msgspec.Struct, kw_only=True):
    code: str
    subject_kind: SubjectKind
    title: str
    description: str
    points: Points
    validity_days: int
    legal_basis: str
    bars: bool
    event: str | None
    active: bool


class StandingOut(msgspec.Struct, kw_only=True):
    kind: SubjectKind
    key: str
    index: Index
    grade: Grade
    barred: bool


class PublicDeduction(msgspec.Struct, kw_only=True):
    """What anyone may read: the rule, reason and source, never the evidence or who recorded it."""

    id: int
    uid: str
    rule_code: str
    rule_title: str
    points: Points
    bars: bool
    start_day: date
    end_day: date
    reason: str
    source_region: str
    source_industry: str
    origin: str
    revoked_on: date | None
    revoked_reason: str | None


class DocumentOut(msgspec.Struct, kw_only=True):
    id: int
    filename: str
    size: int
    sha256: str


class PrivateDeduction(PublicDeduction, kw_only=True):
    """A deduction with its evidence: for supervisors and the subject itself."""

    subject_kind: SubjectKind
    subject_key: str
    evidence: str
    source_ref: str
    event: str | None
    recorded_by: str | None
    recorded_at: datetime
    revoked_by: str | None
    documents: list[DocumentOut]


class AppealOut(msgspec.Struct, kw_only=True):
    id: int
    deduction_id: int
    subject_kind: SubjectKind
    subject_key: str
    rule_code: str
    reason: str
    status: Literal["pending", "upheld", "revoked"]
    filed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class PointOut(msgspec.Struct, kw_only=True):
    day: date
    index: Index
    grade: Grade
    barred: bool


class RankedOut(msgspec.Struct, kw_only=True):
    kind: SubjectKind
    key: str
    name: str
    region_code: str | None
    index: Index
    grade: Grade
    barred: bool


def rule_out(rule: Rule) -> RuleOut:
    return RuleOut(
        code=rule.code,
        subject_kind=SubjectKind(rule.subject_kind),
        title=rule.title,
        description=rule.description,
        points=str(rule.points),
        validity_days=rule.validity_days,
        legal_basis=rule.legal_basis,
        bars=rule.bars,
        event=rule.event,
        active=rule.active,
    )


def standing_out(s: Standing) -> StandingOut:
    return StandingOut(
        kind=SubjectKind(s.kind), key=s.key, index=str(s.index), grade=s.grade, barred=s.barred
    )


def public_deduction(d: Deduction) -> PublicDeduction:
    return PublicDeduction(**_public_fields(d))


def _public_fields(d: Deduction) -> dict[str, Any]:
    return {
        "id": d.id,
        "uid": d.uid,
        "rule_code": d.rule_code,
        "rule_title": d.rule_title,
        "points": str(d.points),
        "bars": d.bars,
        "start_day": d.start_day,
        "end_day": d.end_day,
        "reason": d.reason,
        "source_region": d.source_region,
        "source_industry": d.source_industry,
        "origin": d.origin,
        "revoked_on": d.revoked_on,
        "revoked_reason": d.revoked_reason,
    }


def private_deduction(d: Deduction, docs: list[EvidenceDocument] | None = None) -> PrivateDeduction:
    return PrivateDeduction(
        **_public_fields(d),
        subject_kind=SubjectKind(d.subject_kind),
        subject_key=d.subject_key,
        evidence=d.evidence,
        source_ref=d.source_ref,
        event=d.event,
        recorded_by=d.recorded_by,
        recorded_at=d.recorded_at,
        revoked_by=d.revoked_by,
        documents=[document_out(doc) for doc in docs or []],
    )


def document_out(doc: EvidenceDocument) -> DocumentOut:
    return DocumentOut(id=doc.id, filename=doc.filename, size=doc.size, sha256=doc.sha256)


def appeal_out(a: Appeal, d: Deduction) -> AppealOut:
    return AppealOut(
        id=a.id,
        deduction_id=d.id,
        subject_kind=SubjectKind(d.subject_kind),
        subject_key=d.subject_key,
        rule_code=d.rule_code,
        reason=a.reason,
        status=a.status,  # type: ignore[arg-type]
        filed_at=a.filed_at,
        decided_by=a.decided_by,
        decided_at=a.decided_at,
        decision_reason=a.decision_reason,
    )


def point_out(p: Point) -> PointOut:
    return PointOut(day=p.day, index=str(p.index), grade=p.grade, barred=p.barred)


def ranked_out(r: Ranked) -> RankedOut:
    return RankedOut(
        kind=SubjectKind(r.kind),
        key=r.key,
        name=r.name,
        region_code=r.region_code,
        index=str(r.index),
        grade=r.grade,
        barred=r.barred,
    )
