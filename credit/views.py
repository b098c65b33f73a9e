"""Public and private shapes of credit data, shared by the JSON API and the pages."""

from __future__ import annotations

from typing import Any

from credit.models import Appeal, Deduction, EvidenceDocument, Rule
from credit.snapshots import Point, Ranked
from credit.subjects import Standing


def rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "subject_kind": rule.subject_kind,
        "title": rule.title,
        "description": rule.description,
        "points": str(rule.points),
        "validity_days": rule.validity_days,
        "legal_basis": rule.legal_basis,
        "bars": rule.bars,
        "event": rule.event,
        "active": rule.active,
    }


def standing_json(s: Standing) -> dict[str, Any]:
    return {"kind": s.kind, "key": s.key, "index": str(s.index), "grade": s.grade, "barred": s.barred}


def public_deduction(d: Deduction) -> dict[str, Any]:
    """What anyone may read: the rule, reason and source, never the evidence or who recorded it."""
    return {
        "id": d.id,
        "uid": d.uid,
        "rule_code": d.rule_code,
        "rule_title": d.rule_title,
        "points": str(d.points),
        "bars": d.bars,
        "start_day": d.start_day.isoformat(),
        "end_day": d.end_day.isoformat(),
        "reason": d.reason,
        "source_region": d.source_region,
        "source_industry": d.source_industry,
        "origin": d.origin,
        "revoked_on": d.revoked_on.isoformat() if d.revoked_on else None,
        "revoked_reason": d.revoked_reason,
    }


def private_deduction(d: Deduction, docs: list[EvidenceDocument] | None = None) -> dict[str, Any]:
    return {
        **public_deduction(d),
        "subject_kind": d.subject_kind,
        "subject_key": d.subject_key,
        "evidence": d.evidence,
        "source_ref": d.source_ref,
        "event": d.event,
        "recorded_by": d.recorded_by,
        "recorded_at": d.recorded_at.isoformat(),
        "revoked_by": d.revoked_by,
        "documents": [
            {"id": doc.id, "filename": doc.filename, "size": doc.size, "sha256": doc.sha256}
            for doc in docs or []
        ],
    }


def appeal_json(a: Appeal, d: Deduction) -> dict[str, Any]:
    return {
        "id": a.id,
        "deduction_id": d.id,
        "subject_kind": d.subject_kind,
        "subject_key": d.subject_key,
        "rule_code": d.rule_code,
        "reason": a.reason,
        "status": a.status,
        "filed_at": a.filed_at.isoformat(),
        "decided_by": a.decided_by,
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "decision_reason": a.decision_reason,
    }


def point_json(p: Point) -> dict[str, Any]:
    return {"day": p.day.isoformat(), "index": str(p.index), "grade": p.grade, "barred": p.barred}


def ranked_json(r: Ranked) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "key": r.key,
        "name": r.name,
        "region_code": r.region_code,
        "index": str(r.index),
        "grade": r.grade,
        "barred": r.barred,
    }
