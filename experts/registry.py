"""The expert pool: register, import, generate, profile, leave, status.

Experts keep their own profile and leave; a change of specialties sends the profile back to
``pending`` until a supervisor approves it, because specialties decide which draws an expert is in.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Literal, cast, get_args

import msgspec
from msgspec import Meta
from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import new_salt, seal
from core.clock import centre_today
from core.credit_code import CreditCodeText
from core.errors import Conflict, InvalidInput, NotFound
from core.models import Region
from core.organisations import checked_credit_code, validate_signing_key
from core.regions import JILIN_CITY, upsert_regions
from core.runtime import Runtime
from experts import generate as gen
from experts.events import (
    EXPERTS_GENERATED,
    EXPERTS_IMPORTED,
    EXPERTS_LEAVE_ADDED,
    EXPERTS_LEAVE_REMOVED,
    EXPERTS_PROFILE_UPDATED,
    EXPERTS_REGISTERED,
    EXPERTS_STATUS_CHANGED,
    EXPERTS_USER_LINKED,
)
from experts.idcard import REGION_PATTERN, IdNumberText, PhoneText, validate_id_number
from experts.models import Expert, ExpertAvoidance, ExpertLeave, ExpertSpecialty
from experts.specialties import validate_leaf

ExpertStatus = Literal["pending", "active", "suspended", "retired"]
STATUSES: tuple[str, ...] = get_args(ExpertStatus)
SettableStatus = Literal["active", "suspended", "retired"]  # pending is where an application starts
CSV_COLUMNS = (
    "name",
    "id_number",
    "phone",
    "county",
    "employer_code",
    "employer_name",
    "title",
    "specialties",
)
MAX_LEAVE_DAYS = 366


class ExpertInput(msgspec.Struct):
    """An expert record as registered (``POST /api/experts``, a CSV row, a generated expert); every
    field is checked and normalised by :func:`validate_input` (a 422 naming the field)."""

    name: Annotated[str, Meta(min_length=2, max_length=32, description="2-32 characters")]
    id_number: IdNumberText
    phone: PhoneText
    county: Annotated[str, Meta(pattern=REGION_PATTERN, description="region code of the expert's county")]
    employer_code: CreditCodeText  # the employer's
    employer_name: str
    title: Annotated[str, Meta(description="professional title (职称)")]
    specialties: Annotated[list[str], Meta(description="leaf specialty codes, e.g. A0101 (at least one)")]
    status: ExpertStatus = "active"
    public_key: Annotated[str | None, Meta(description="Ed25519 signing key, ed25519:<base64> or PEM")] = None
    avoid: Annotated[
        list[CreditCodeText], Meta(description="credit codes of companies to avoid (回避单位)")
    ] = msgspec.field(default_factory=list)
    code: Annotated[str | None, Meta(description="the registry code; absent: the next number")] = None


def validate_input(inp: ExpertInput, counties: set[str], today: date) -> ExpertInput:
    """The input with every field checked and normalised; InvalidInput names the field."""
    name = inp.name.strip()
    if not 2 <= len(name) <= 32:
        raise InvalidInput("name: 姓名应为2-32个字符 (name: 2-32 characters)", code="bad_name")
    phone = inp.phone.strip()
    if not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
        raise InvalidInput("phone: 手机号应为以1开头的11位数字 (11-digit mobile number)", code="bad_phone")
    if inp.county.strip() not in counties:
        raise InvalidInput(f"county: 未知的区县代码 {inp.county!r} (unknown county)", code="unknown_region")
    if inp.status not in STATUSES:
        raise InvalidInput(f"status: 应为 {', '.join(STATUSES)} 之一", code="bad_status")
    codes = sorted({validate_leaf(c, field="specialties") for c in inp.specialties if c.strip()})
    if not codes:
        raise InvalidInput("specialties: 至少一个专业 (at least one specialty)", code="bad_specialty")
    if not inp.title.strip() or not inp.employer_name.strip():
        raise InvalidInput("title/employer_name: 职称和工作单位不能为空 (required)", code="missing_field")
    return ExpertInput(
        name=name,
        id_number=validate_id_number(inp.id_number, today=today),
        phone=phone,
        county=inp.county.strip(),
        employer_code=checked_credit_code(inp.employer_code, "employer_code"),
        employer_name=inp.employer_name.strip(),
        title=inp.title.strip(),
        specialties=codes,
        status=inp.status,
        public_key=validate_signing_key(inp.public_key) if inp.public_key else None,
        avoid=sorted({checked_credit_code(c, "avoid") for c in inp.avoid if c.strip()}),
        code=inp.code,
    )


async def county_codes(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(Region.code).where(Region.level != "city")))


async def next_number(session: AsyncSession) -> int:
    last = await session.scalar(select(func.max(Expert.code)))
    return int(last.rsplit("-", 1)[1]) + 1 if last else 1


async def _insert(session: AsyncSession, runtime: Runtime, rows: Sequence[ExpertInput]) -> list[int]:
    """Bulk insert (imports and generated pools reach 100,000 rows)."""
    now = runtime.clock.now()
    ids: list[int] = []
    for start in range(0, len(rows), 2000):
        batch = rows[start : start + 2000]
        result = await session.execute(
            insert(Expert).returning(Expert.id, sort_by_parameter_order=True),
            [
                {
                    "code": r.code,
                    "name": r.name,
                    "id_number": r.id_number,
                    "phone": r.phone,
                    "county_code": r.county,
                    "employer_code": r.employer_code,
                    "employer_name": r.employer_name,
                    "title": r.title,
                    "status": r.status,
                    "public_key": r.public_key,
                    "created_at": now,
                }
                for r in batch
            ],
        )
        batch_ids = [row[0] for row in result]
        specs = [
            {"expert_id": i, "code": c} for i, r in zip(batch_ids, batch, strict=True) for c in r.specialties
        ]
        avoid = [
            {"expert_id": i, "credit_code": c} for i, r in zip(batch_ids, batch, strict=True) for c in r.avoid
        ]
        await session.execute(insert(ExpertSpecialty), specs)
        if avoid:
            await session.execute(insert(ExpertAvoidance), avoid)
        ids.extend(batch_ids)
    return ids


async def _check_unique(session: AsyncSession, rows: Sequence[ExpertInput]) -> None:
    numbers = [r.id_number for r in rows]
    for start in range(0, len(numbers), 5000):
        taken = await session.scalar(
            select(Expert.code).where(Expert.id_number.in_(numbers[start : start + 5000])).limit(1)
        )
        if taken:
            raise Conflict(
                f"id_number: 身份证号已登记为专家 {taken} (already registered)", code="expert_exists"
            )


async def register_expert(
    session: AsyncSession, runtime: Runtime, inp: ExpertInput, *, actor: str | None
) -> Expert:
    clean = validate_input(inp, await county_codes(session), centre_today(runtime.clock))
    await _check_unique(session, [clean])
    clean.code = clean.code or gen.registry_code(await next_number(session))
    (expert_id,) = await _insert(session, runtime, [clean])
    await runtime.audit.append(
        session,
        EXPERTS_REGISTERED,
        actor=actor,
        subject=f"expert:{clean.code}",
        data={"county": clean.county, "specialties": clean.specialties, "status": clean.status},
    )
    return await get_expert_by_id(session, expert_id)


def parse_csv(text: str, counties: set[str], today: date) -> list[ExpertInput]:
    """Every row validated; the error lists each bad row by its line number (header is line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"CSV 缺少列: {', '.join(missing)} (missing columns)", code="bad_csv")
    rows: list[ExpertInput] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            clean = validate_input(
                ExpertInput(
                    name=row["name"] or "",
                    id_number=row["id_number"] or "",
                    phone=row["phone"] or "",
                    county=row["county"] or "",
                    employer_code=row["employer_code"] or "",
                    employer_name=row["employer_name"] or "",
                    title=row["title"] or "",
                    specialties=(row["specialties"] or "").replace("|", ";").split(";"),
                    status=cast(ExpertStatus, (row.get("status") or "active").strip()),  # checked below
                    public_key=(row.get("public_key") or "").strip() or None,
                    avoid=(row.get("avoid") or "").split(";"),
                ),
                counties,
                today,
            )
        except InvalidInput as exc:
            errors.append(f"第{line}行 (line {line}): {exc.detail}")
            continue
        if clean.id_number in seen:
            errors.append(
                f"第{line}行 (line {line}): id_number 与第{seen[clean.id_number]}行重复 (duplicate)"
            )
        seen[clean.id_number] = line
        rows.append(clean)
    if errors:
        shown = "; ".join(errors[:20]) + (f"; … 共{len(errors)}处错误" if len(errors) > 20 else "")
        raise InvalidInput(f"导入未执行，{len(errors)}行有误 (nothing imported): {shown}", code="bad_csv")
    if not rows:
        raise InvalidInput("CSV 没有数据行 (no rows)", code="bad_csv")
    return rows


async def import_csv(session: AsyncSession, runtime: Runtime, text: str, *, actor: str | None) -> int:
    """All rows or none: validation runs over the whole file before anything is written."""
    rows = parse_csv(text, await county_codes(session), centre_today(runtime.clock))
    await _check_unique(session, rows)
    first = await next_number(session)
    for n, row in enumerate(rows):
        row.code = gen.registry_code(first + n)
    await _insert(session, runtime, rows)
    await runtime.audit.append(
        session,
        EXPERTS_IMPORTED,
        actor=actor,
        data={"count": len(rows), "sha256": hashlib.sha256(text.encode()).hexdigest()},
    )
    return len(rows)


async def generate_pool(
    session: AsyncSession,
    runtime: Runtime,
    count: int,
    seed: int,
    *,
    actor: str | None,
    progress: Callable[[int], None] | None = None,
) -> list[gen.NewExpert]:
    if not 1 <= count <= 1_000_000:
        raise InvalidInput("count: 1 到 1,000,000", code="bad_count")
    await upsert_regions(session, JILIN_CITY)  # the generator draws from these counties
    first = await next_number(session)
    taken = set(await session.scalars(select(Expert.id_number)))
    made = gen.generate(
        count, seed, start=first, today=centre_today(runtime.clock), keys=count <= 20_000, taken=taken
    )
    rows = [
        ExpertInput(e.name, e.id_number, e.phone, e.county, e.employer_code, e.employer_name, e.title,
                    e.specialties, cast(ExpertStatus, e.status), e.public_key, code=e.code)
        for e in made
    ]  # fmt: skip
    for start in range(0, len(rows), 10_000):
        ids = await _insert(session, runtime, rows[start : start + 10_000])
        leaves = [
            {"expert_id": i, "start": a, "end": b, "reason": "外出"}
            for i, e in zip(ids, made[start : start + 10_000], strict=True)
            for a, b in e.leave
        ]
        if leaves:
            await session.execute(insert(ExpertLeave), leaves)
        if progress:
            progress(min(start + 10_000, len(rows)))
    await runtime.audit.append(session, EXPERTS_GENERATED, actor=actor, data={"count": count, "seed": seed})
    return made


async def get_expert_by_id(session: AsyncSession, expert_id: int) -> Expert:
    expert = await session.get(Expert, expert_id)
    if expert is None:
        raise NotFound(f"专家 {expert_id} 不存在 (no such expert)", code="unknown_expert")
    return expert


async def get_expert(session: AsyncSession, code: str) -> Expert:
    expert = await session.scalar(select(Expert).where(Expert.code == code))
    if expert is None:
        raise NotFound(f"专家 {code} 不存在 (no such expert)", code="unknown_expert")
    return expert


async def expert_for_user(session: AsyncSession, user_id: int) -> Expert:
    expert = await session.scalar(select(Expert).where(Expert.user_id == user_id))
    if expert is None:
        raise NotFound(
            "当前账号未关联专家档案 (this account has no expert profile)", code="no_expert_profile"
        )
    return expert


async def list_experts(
    session: AsyncSession,
    *,
    q: str | None = None,
    county: str | None = None,
    specialty: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Expert], int]:
    query = select(Expert)
    if q:
        query = query.where(
            or_(Expert.name.contains(q), Expert.code.contains(q), Expert.employer_name.contains(q))
        )
    if county:
        query = query.where(Expert.county_code == county)
    if status:
        query = query.where(Expert.status == status)
    if specialty:
        query = query.where(
            Expert.id.in_(select(ExpertSpecialty.expert_id).where(ExpertSpecialty.code == specialty))
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(Expert.code).limit(min(limit, 200)).offset(offset))
    return list(rows), total


async def link_user(
    session: AsyncSession, runtime: Runtime, code: str, user_id: int, *, actor: str | None
) -> None:
    """Give an expert a login. The public entry names the account but only a sealed code: next to the
    account's later acts (answering an invitation) the code would name a sealed committee member."""
    expert = await get_expert(session, code)
    salt = new_salt()
    expert.user_id, expert.link_salt = user_id, salt.hex()
    await runtime.audit.append(
        session,
        EXPERTS_USER_LINKED,
        actor=actor,
        subject=f"user:{user_id}",
        data={"expert": seal(code, salt)},
    )


async def set_status(
    session: AsyncSession, runtime: Runtime, code: str, status: str, *, reason: str, actor: str | None
) -> Expert:
    """Supervisors approve (pending→active), suspend, reinstate and retire experts."""
    if status not in STATUSES or status == "pending":
        raise InvalidInput(
            "status: 应为 active、suspended 或 retired (one of active, suspended, retired)", code="bad_status"
        )
    expert = await get_expert(session, code)
    if expert.status == "retired":
        raise Conflict(f"专家 {code} 已退出专家库 (retired experts stay retired)", code="expert_retired")
    if status == "suspended" and not reason.strip():
        raise InvalidInput("reason: 暂停须说明理由 (a suspension needs a reason)", code="reason_required")
    previous, expert.status = expert.status, status
    await runtime.audit.append(
        session,
        EXPERTS_STATUS_CHANGED,
        actor=actor,
        subject=f"expert:{code}",
        data={"from": previous, "to": status, "reason": reason.strip()},
    )
    return expert


class ProfileChanges(msgspec.Struct, kw_only=True):
    """The fields an expert may change on their own record (absent or null: unchanged); changing the
    specialties sends the record back to a supervisor (status pending)."""

    phone: PhoneText | None = None
    title: str | None = None
    employer_code: CreditCodeText | None = None
    employer_name: str | None = None
    specialties: list[str] | None = None
    public_key: str | None = None
    avoid: list[CreditCodeText] | None = None


async def update_profile(
    session: AsyncSession, runtime: Runtime, expert: Expert, changes: ProfileChanges, *, actor: str | None
) -> Expert:
    merged = ExpertInput(
        name=expert.name,
        id_number=expert.id_number,
        phone=changes.phone if changes.phone is not None else expert.phone,
        county=expert.county_code,
        employer_code=changes.employer_code or expert.employer_code,
        employer_name=changes.employer_name or expert.employer_name,
        title=changes.title or expert.title,
        specialties=changes.specialties if changes.specialties is not None else expert.specialty_codes,
        status=cast(ExpertStatus, expert.status),
        public_key=changes.public_key if changes.public_key is not None else expert.public_key,
        avoid=changes.avoid if changes.avoid is not None else [a.credit_code for a in expert.avoidances],
    )
    clean = validate_input(merged, {expert.county_code}, centre_today(runtime.clock))
    respecialised = clean.specialties != expert.specialty_codes
    expert.phone, expert.title = clean.phone, clean.title
    expert.employer_code, expert.employer_name = clean.employer_code, clean.employer_name
    expert.public_key = clean.public_key
    if respecialised:
        expert.specialties = [ExpertSpecialty(code=c) for c in clean.specialties]
        if expert.status == "active":
            expert.status = "pending"  # back to a supervisor before the next draw
    if sorted(a.credit_code for a in expert.avoidances) != clean.avoid:
        expert.avoidances = [ExpertAvoidance(credit_code=c) for c in clean.avoid]
    await runtime.audit.append(
        session,
        EXPERTS_PROFILE_UPDATED,
        actor=actor,
        subject=f"expert:{expert.code}",
        data={"specialties": clean.specialties, "status": expert.status},
    )
    return expert


async def add_leave(
    session: AsyncSession,
    runtime: Runtime,
    expert: Expert,
    start: date,
    end: date,
    reason: str,
    *,
    actor: str | None,
) -> ExpertLeave:
    if end < start:
        raise InvalidInput("end: 结束日期早于开始日期 (end before start)", code="bad_leave")
    if (end - start).days >= MAX_LEAVE_DAYS:
        raise InvalidInput(f"end: 单次请假不超过{MAX_LEAVE_DAYS}天 (leave too long)", code="bad_leave")
    if end < centre_today(runtime.clock):
        raise InvalidInput("end: 不能登记已过去的请假 (leave is in the past)", code="bad_leave")
    leave = ExpertLeave(expert_id=expert.id, start=start, end=end, reason=reason.strip()[:200])
    session.add(leave)
    await session.flush()
    await runtime.audit.append(
        session,
        EXPERTS_LEAVE_ADDED,
        actor=actor,
        subject=f"expert:{expert.code}",
        data={"start": start.isoformat(), "end": end.isoformat()},
    )
    await session.refresh(expert, ["leaves"])
    return leave


async def remove_leave(
    session: AsyncSession, runtime: Runtime, expert: Expert, leave_id: int, *, actor: str | None
) -> None:
    leave = await session.get(ExpertLeave, leave_id)
    if leave is None or leave.expert_id != expert.id:
        raise NotFound(f"请假记录 {leave_id} 不存在 (no such leave)", code="unknown_leave")
    await session.delete(leave)
    await runtime.audit.append(
        session,
        EXPERTS_LEAVE_REMOVED,
        actor=actor,
        subject=f"expert:{expert.code}",
        data={"leave": leave_id},
    )
    await session.flush()
    await session.refresh(expert, ["leaves"])
