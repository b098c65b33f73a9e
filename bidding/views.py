"""JSON shapes of bidding's objects (money as 2-place strings, times as UTC ISO and Beijing time)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bidding.inputs import CATEGORIES, METHODS
from bidding.models import Lot, Notice, Registration, Submission, Tender, TenderDocument
from bidding.notices import KIND_ZH, NoticeKind
from core.clock import format_local


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def tender_json(
    tender: Tender, lots: list[Lot], documents: list[TenderDocument] | None = None
) -> dict[str, Any]:
    return {
        "code": tender.code,
        "title": tender.title,
        "state": tender.state,
        "category": tender.category,
        "category_name": CATEGORIES[tender.category][0],
        "method": tender.method,
        "method_name": METHODS[tender.method][0],
        "tenderer_id": tender.tenderer_id,
        "agent_id": tender.agent_id,
        "region_code": tender.region_code,
        "budget": money(tender.budget),
        "ceiling_price": money(tender.ceiling_price),
        "bond": {"amount": money(tender.bond_amount), "forms": tender.bond_forms},
        "description": tender.description,
        "timeline": {
            "notice_at": when(tender.notice_at),
            "registration_start": when(tender.registration_start),
            "registration_end": when(tender.registration_end),
            "clarification_deadline": when(tender.clarification_deadline),
            "bid_deadline": when(tender.bid_deadline),
            "bid_deadline_local": format_local(tender.bid_deadline),
            "decryption_minutes": tender.decryption_minutes,
            "confirm_minutes": tender.confirm_minutes,
        },
        "criteria": tender.criteria,
        "form_fields": tender.form_fields,
        "rules": tender.rules,
        "training": tender.training,
        "opening_recipient": tender.opening_recipient,
        "custody": {
            "threshold": tender.custody.get("threshold", 0),
            "custodians": [
                {"index": c["index"], "recipient": c["recipient"]}
                for c in tender.custody.get("custodians", [])
            ],
        },
        "max_envelope_bytes": tender.max_envelope_bytes,
        "min_credit_index": str(tender.min_credit_index),
        "amendments": tender.amendments,
        "lots": [
            {
                "number": lot.number,
                "title": lot.title,
                "budget": money(lot.budget),
                "ceiling_price": money(lot.ceiling_price),
            }
            for lot in lots
        ],
        "documents": [
            {
                "id": d.id,
                "name": d.name,
                "size": d.size,
                "sha256": d.sha256,
                "uploaded_at": when(d.uploaded_at),
            }
            for d in documents or []
        ],
    }


def notice_json(notice: Notice, tender: Tender, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": notice.id,
        "kind": notice.kind,
        "kind_name": KIND_ZH[NoticeKind(notice.kind)],
        "title": notice.title,
        "tender": tender.code,
        "tender_state": tender.state,
        "category": notice.category,
        "region_code": notice.region_code,
        "published_at": when(notice.published_at),
        "audit_position": notice.audit_position,
    }
    if full:
        out["body"] = notice.body
    return out


def registration_json(registration: Registration, tender: Tender) -> dict[str, Any]:
    return {
        "tender": tender.code,
        "registered_at": when(registration.registered_at),
        "credit_index": str(registration.credit_index) if registration.credit_index is not None else None,
    }


def submission_json(submission: Submission, tender_code: str, lot_number: str) -> dict[str, Any]:
    return {
        "submission_id": submission.submission_id,
        "tender": tender_code,
        "lot": lot_number,
        "status": submission.status,
        "supersedes": submission.supersedes,
        "envelope_sha256": submission.envelope_sha256,
        "envelope_length": submission.envelope_length,
        "submitted_at": when(submission.submitted_at),
        "submitted_at_local": format_local(submission.submitted_at),
        "audit_position": submission.audit_position,
        "withdrawn_at": when(submission.withdrawn_at),
    }
