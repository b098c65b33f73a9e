"""Sharing deductions with other regions' platforms as JSON lines (一处受罚、处处受制).

One deduction per line, UTF-8, each a JSON object with exactly these fields::

    schema          "sunbid.credit.deduction/1"
    uid             stable identity, 8-64 of [A-Za-z0-9._-]; the same uid is the same deduction
    origin          the platform that recorded it
    subject_kind    bidder | agent | tenderer | expert
    subject_key     unified social credit code (companies) or expert registry code
    subject_name    display name
    rule_code       a rule of the shared catalogue, for the same subject kind
    rule_title      the rule's title when recorded
    points          decimal string, one decimal place, in (0, 100]
    bars            true while active the subject may not bid or be drawn
    start_day       ISO date, first day it counts
    end_day         ISO date, first day it no longer counts (after start_day)
    reason          public reason
    source_region   six-digit GB/T 2260 code of where it was recorded
    source_industry construction | procurement | land | assets | medicine | other
    source_ref      the origin's reference (project, tender), may be empty
    revoked_on      ISO date or null: first day it no longer counts after a revocation
    revoked_reason  string or null

Private evidence never leaves the platform. An import is validated as a whole (any bad line rejects
the file, naming the lines) and is idempotent: known uids are skipped, except that a revocation the
origin made since is applied (a correction travels like the penalty did).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError, InvalidInput
from core.runtime import Runtime
from credit import rules
from credit.deductions import audit_recorded, check_source, ensure_subject, find_by_uid, revoke
from credit.events import CREDIT_IMPORTED
from credit.models import Deduction, Rule, Subject
from credit.subjects import SubjectKind, normalise_key, parse_kind
from credit.views import public_deduction

SCHEMA = "sunbid.credit.deduction/1"
FIELDS = (
    "schema uid origin subject_kind subject_key subject_name rule_code rule_title points bars start_day "
    "end_day reason source_region source_industry source_ref revoked_on revoked_reason"
).split()
_UID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
MAX_ERRORS = 20


def to_record(d: Deduction, name: str) -> dict[str, Any]:
    """The exchange line: what the public may read of a deduction, plus who it concerns."""
    public = {key: value for key, value in msgspec.to_builtins(public_deduction(d)).items() if key != "id"}
    return {
        "schema": SCHEMA,
        **public,
        "subject_kind": d.subject_kind,
        "subject_key": d.subject_key,
        "subject_name": name,
        "source_ref": d.source_ref,
    }


async def export_lines(session: AsyncSession, *, since: date | None = None) -> AsyncIterator[str]:
    """Every deduction (recorded on or after ``since``), one JSON line each, oldest first."""
    query = (
        select(Deduction, Subject.name)
        .join(
            Subject,
            (Subject.kind == Deduction.subject_kind) & (Subject.key == Deduction.subject_key),
            isouter=True,
        )
        .order_by(Deduction.id)
    )
    if since:
        query = query.where(Deduction.start_day >= since)
    for d, name in await session.execute(query):
        yield json.dumps(to_record(d, name or d.subject_key), ensure_ascii=False, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Parsed:
    line: int
    record: dict[str, Any]
    kind: SubjectKind
    key: str
    points: Decimal
    start: date
    end: date
    revoked_on: date | None


@dataclass(frozen=True)
class ImportReport:
    lines: int
    added: int
    revoked: int
    unchanged: int


def _parse(line_no: int, text: str, catalogue: dict[str, Rule]) -> Parsed:
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc.args[0]})") from exc
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if record.get("schema") != SCHEMA:
        raise ValueError(f"schema must be {SCHEMA!r}")
    missing = [f for f in FIELDS if f not in record]
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    if not isinstance(record["uid"], str) or not _UID.match(record["uid"]):
        raise ValueError("uid must be 8-64 of A-Z a-z 0-9 . _ -")
    try:
        kind = parse_kind(record["subject_kind"])
        key = normalise_key(kind, str(record["subject_key"]))
        check_source(str(record["source_region"]), str(record["source_industry"]))
        points = rules.check_points(str(record["points"]))
    except DomainError as exc:
        raise ValueError(exc.detail) from exc
    rule = catalogue.get(str(record["rule_code"]))
    if rule is None or rule.subject_kind != kind.value:
        raise ValueError(f"rule {record['rule_code']!r} is not a {kind.value} rule here")
    try:
        start, end = date.fromisoformat(record["start_day"]), date.fromisoformat(record["end_day"])
        revoked = date.fromisoformat(record["revoked_on"]) if record["revoked_on"] else None
    except (TypeError, ValueError) as exc:
        raise ValueError("start_day, end_day and revoked_on must be ISO dates") from exc
    if end <= start or (revoked and revoked < start):
        raise ValueError("end_day must follow start_day, revoked_on must not precede it")
    if not isinstance(record["bars"], bool) or not str(record["reason"]).strip():
        raise ValueError("bars must be true/false and reason must not be empty")
    return Parsed(line_no, record, kind, key, points, start, end, revoked)


async def import_lines(session: AsyncSession, runtime: Runtime, text: str, *, actor: str) -> ImportReport:
    catalogue = {rule.code: rule for rule in await rules.list_rules(session)}
    parsed: list[Parsed] = []
    errors: list[str] = []
    seen: set[str] = set()
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    for n, line in lines:
        try:
            item = _parse(n, line, catalogue)
            if item.record["uid"] in seen:
                raise ValueError("uid repeated in this file")
            seen.add(item.record["uid"])
            parsed.append(item)
        except ValueError as exc:
            errors.append(f"line {n}: {exc}")
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS]) + (
            f"; … {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        )
        raise InvalidInput(f"导入文件有误，未导入任何记录 (nothing imported): {shown}", code="bad_import")
    added = revoked = unchanged = 0
    for item in parsed:
        existing = await find_by_uid(session, item.record["uid"])
        if existing is None:
            await _add(session, runtime, item, catalogue[item.record["rule_code"]], actor)
            added += 1
        elif item.revoked_on and existing.revoked_on is None:
            reason = str(item.record["revoked_reason"] or "revoked at origin")
            await revoke(session, runtime, existing, reason=reason, actor=actor, day=item.revoked_on)
            revoked += 1
        else:
            unchanged += 1
    await runtime.audit.append(
        session,
        CREDIT_IMPORTED,
        actor=actor,
        data={"lines": len(parsed), "added": added, "revoked": revoked, "unchanged": unchanged},
    )
    return ImportReport(len(parsed), added, revoked, unchanged)


async def _add(session: AsyncSession, runtime: Runtime, item: Parsed, rule: Rule, actor: str) -> None:
    r = item.record
    await ensure_subject(session, item.kind, item.key, str(r["subject_name"] or ""), str(r["source_region"]))
    deduction = Deduction(
        uid=r["uid"],
        subject_kind=item.kind.value,
        subject_key=item.key,
        rule_id=rule.id,
        rule_code=rule.code,
        rule_title=str(r["rule_title"] or rule.title)[:100],
        points=item.points,  # as the origin judged it: a rule change never rewrites a deduction
        bars=r["bars"],
        start_day=item.start,
        end_day=item.end,
        reason=str(r["reason"]).strip(),
        evidence="",
        source_region=str(r["source_region"]),
        source_industry=str(r["source_industry"]),
        source_ref=str(r["source_ref"] or "")[:128],
        event=None,
        origin=str(r["origin"] or "unknown")[:64],
        recorded_by=actor[:64],
        recorded_at=runtime.clock.now(),
        revoked_on=item.revoked_on,
        revoked_reason=r["revoked_reason"],
        revoked_by=str(r["origin"] or "unknown")[:64] if item.revoked_on else None,
    )
    session.add(deduction)
    await session.flush()
    await audit_recorded(session, runtime, deduction, actor)
