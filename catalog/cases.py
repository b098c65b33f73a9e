"""Cases (办件): acceptance, promised deadline, state changes, warnings, the board and ratings.

Ratings follow the hall's 好差评 practice: when a case is finished the applicant rates it at the
window's rating terminal or through the link in the SMS the hall sends. Either way the rating
carries a one-time secret issued when the case finished (only its SHA-256 is stored), so nobody
can rate someone else's case; an applicant logged in as the case's user needs no secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.events import (
    CASE_MOVED_TO,
    CATALOG_CASE_ACCEPTED,
    CATALOG_CASE_RATED,
    CATALOG_HOLIDAY_REMOVED,
    CATALOG_HOLIDAY_SET,
    CATALOG_SETTING_CHANGED,
)
from catalog.models import Case, Department, Holiday, Item, Setting
from catalog.service import CatalogActor, check_department_access, get_item, staff_department
from catalog.supervision import (
    DEFAULT_YELLOW_SHARE,
    FINISHED_STATES,
    OPEN_STATES,
    TRANSITIONS,
    used_share,
    warning_level,
)
from catalog.workdays import HOLIDAY, WORKDAY, Calendar, deadline
from core.clock import format_local
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import User
from core.roles import Role
from core.runtime import Runtime

YELLOW_SHARE_KEY = "yellow_share"

# ---- calendar and settings -------------------------------------------------------------------


async def calendar(session: AsyncSession) -> Calendar:
    rows = await session.execute(select(Holiday.day, Holiday.kind))
    return Calendar.of(rows.all())


async def list_holidays(session: AsyncSession, year: int | None = None) -> list[Holiday]:
    stmt = select(Holiday).order_by(Holiday.day)
    if year is not None:
        stmt = stmt.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return list(await session.scalars(stmt))


async def set_holiday(
    session: AsyncSession, runtime: Runtime, day: date, kind: str, name: str, actor: str
) -> Holiday:
    if kind not in (HOLIDAY, WORKDAY):
        raise InvalidInput("kind: 应为 holiday 或 workday (holiday or make-up workday)", code="bad_holiday")
    if kind == WORKDAY and day.weekday() < 5:
        raise InvalidInput("调休上班日应为周末 (a make-up workday falls on a weekend)", code="bad_holiday")
    name = name.strip()[:32] or ("调休" if kind == WORKDAY else "节假日")
    holiday = await session.get(Holiday, day)
    if holiday is None:
        holiday = Holiday(day=day)
        session.add(holiday)
    holiday.kind, holiday.name = kind, name
    await session.flush()
    await runtime.audit.append(
        session, CATALOG_HOLIDAY_SET, actor=actor, data={"day": day.isoformat(), "kind": kind}
    )
    return holiday


async def remove_holiday(session: AsyncSession, runtime: Runtime, day: date, actor: str) -> None:
    holiday = await session.get(Holiday, day)
    if holiday is None:
        raise NotFound(f"{day} 不在节假日表中 (not in the holiday list)", code="unknown_holiday")
    await session.delete(holiday)
    await runtime.audit.append(session, CATALOG_HOLIDAY_REMOVED, actor=actor, data={"day": day.isoformat()})


async def yellow_share(session: AsyncSession) -> float:
    setting = await session.get(Setting, YELLOW_SHARE_KEY)
    return float(setting.value) if setting else DEFAULT_YELLOW_SHARE


async def set_yellow_share(session: AsyncSession, runtime: Runtime, share: float, actor: str) -> None:
    if not 0.1 <= share <= 0.99:
        raise InvalidInput("yellow_share: 应在0.1到0.99之间 (must be 0.1-0.99)", code="bad_setting")
    setting = await session.get(Setting, YELLOW_SHARE_KEY)
    if setting is None:
        setting = Setting(key=YELLOW_SHARE_KEY, value="")
        session.add(setting)
    setting.value = f"{share:.2f}"
    await runtime.audit.append(
        session, CATALOG_SETTING_CHANGED, actor=actor, data={YELLOW_SHARE_KEY: setting.value}
    )


# ---- cases -----------------------------------------------------------------------------------


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def mask_name(name: str) -> str:
    """Boards show 张** rather than a full name (companies keep theirs: they are public anyway)."""
    if len(name) <= 4 and not name.endswith(("公司", "中心", "厂", "社")):
        return name[:1] + "*" * max(1, len(name) - 1)
    return name


@dataclass(frozen=True)
class NewCase:
    item_id: int
    applicant: str
    applicant_user_id: int | None = None
    accepted_at: datetime | None = None


async def accept_case(session: AsyncSession, runtime: Runtime, actor: CatalogActor, new: NewCase) -> Case:
    item = await get_item(session, new.item_id)
    await check_department_access(session, actor, item.department_id)
    applicant = new.applicant.strip()
    if not applicant or len(applicant) > 100:
        raise InvalidInput("applicant: 申请人须为1-100字 (applicant: 1-100 characters)", code="invalid_case")
    if new.applicant_user_id is not None and await session.get(User, new.applicant_user_id) is None:
        raise InvalidInput(
            f"applicant_user_id: 用户 {new.applicant_user_id} 不存在 (unknown user)", code="invalid_case"
        )
    accepted = new.accepted_at or runtime.clock.now()
    case = Case(
        number=f"tmp-{secrets.token_hex(8)}",
        item_id=item.id,
        department_id=item.department_id,
        applicant=applicant,
        applicant_user_id=new.applicant_user_id,
        promised_days=item.promised_days,
        accepted_at=accepted,
        deadline_at=deadline(await calendar(session), accepted, item.promised_days),
        state="accepted",
        note="",
    )
    session.add(case)
    await session.flush()
    # The number is the region, the acceptance date and the row id: unique without a counter table.
    case.number = f"{item.region_code}{format_local(accepted)[:10].replace('-', '')}{case.id:06d}"
    await session.flush()
    await runtime.audit.append(
        session,
        CATALOG_CASE_ACCEPTED,
        actor=actor.actor,
        subject=f"case:{case.number}",
        data={"item": item.code, "deadline": case.deadline_at.isoformat()},
    )
    return case


async def get_case(session: AsyncSession, number: str) -> Case:
    case = await session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"办件 {number} 不存在 (unknown case)", code="unknown_case")
    return case


async def move_case(
    session: AsyncSession, runtime: Runtime, actor: CatalogActor, number: str, state: str, note: str = ""
) -> tuple[Case, str | None]:
    """Change state; finishing returns the one-time rating secret (sent to the applicant by SMS)."""
    case = await get_case(session, number)
    await check_department_access(session, actor, case.department_id)
    if state not in TRANSITIONS.get(case.state, ()):
        raise Conflict(
            f"办件状态不能从 {case.state} 变为 {state} (cannot move from {case.state} to {state})",
            code="bad_transition",
        )
    if state == "returned" and not note.strip():
        raise InvalidInput("note: 退件须说明理由 (a returned case needs a reason)", code="invalid_case")
    case.state = state
    case.note = note.strip()[:2000]
    token = None
    if state in FINISHED_STATES:
        case.finished_at = runtime.clock.now()
        token = secrets.token_urlsafe(24)
        case.rating_token_hash = _token_hash(token)
    await session.flush()
    await runtime.audit.append(
        session, CASE_MOVED_TO[state], actor=actor.actor, subject=f"case:{case.number}"
    )
    return case, token


async def rate_case(
    session: AsyncSession,
    runtime: Runtime,
    number: str,
    *,
    rating: str,
    reason: str,
    token: str | None,
    user_id: int | None,
) -> Case:
    case = await get_case(session, number)
    by_applicant = user_id is not None and case.applicant_user_id == user_id
    valid_token = (
        token is not None
        and case.rating_token_hash is not None
        and hmac.compare_digest(case.rating_token_hash, _token_hash(token))
    )
    if case.rating is not None:
        raise Conflict("该办件已评价 (this case is already rated)", code="already_rated")
    if case.state not in FINISHED_STATES:
        raise Conflict("办结后才能评价 (rate a case once it is finished)", code="not_finished")
    if not (by_applicant or valid_token):
        raise PermissionDenied("评价凭证无效 (invalid rating token)", code="bad_rating_token")
    if rating not in ("good", "bad"):
        raise InvalidInput("rating: 应为 good（好评）或 bad（差评）", code="invalid_rating")
    if rating == "bad" and not reason.strip():
        raise InvalidInput("reason: 差评须说明理由 (a bad rating needs a reason)", code="invalid_rating")
    case.rating, case.rating_reason = rating, reason.strip()[:1000] or None
    case.rated_at = runtime.clock.now()
    case.rating_token_hash = None  # one rating per case
    await session.flush()
    await runtime.audit.append(
        session, CATALOG_CASE_RATED, subject=f"case:{case.number}", data={"rating": rating}
    )
    return case


def case_json(case: Case, item: Item | None, now: datetime, share: float) -> dict[str, Any]:
    return {
        "number": case.number,
        "item_id": case.item_id,
        "item": item.name if item else None,
        "item_code": item.code if item else None,
        "department_id": case.department_id,
        "applicant": mask_name(case.applicant),
        "state": case.state,
        "promised_days": case.promised_days,
        "accepted_at": case.accepted_at.isoformat(),
        "deadline_at": case.deadline_at.isoformat(),
        "finished_at": case.finished_at.isoformat() if case.finished_at else None,
        "used_share": round(used_share(case.accepted_at, case.deadline_at, now), 3),
        "warning": warning_level(case.state, case.accepted_at, case.deadline_at, now, share),
        "rating": case.rating,
        "rating_reason": case.rating_reason,
        "note": case.note,
    }


async def board(
    session: AsyncSession, runtime: Runtime, actor: CatalogActor, department_id: int | None
) -> dict[str, Any]:
    """Open cases per department with their warning level; staff see only their own department."""
    if Role.SUPERVISOR not in actor.roles:
        own = await staff_department(session, actor.user_id)
        if own is None:
            raise PermissionDenied("你未关联任何部门 (you are not linked to a department)", code="forbidden")
        if department_id not in (None, own):
            raise PermissionDenied("只能查看本部门的督办看板 (only your own board)", code="forbidden")
        department_id = own
    now = runtime.clock.now()
    share = await yellow_share(session)
    stmt = (
        select(Case, Item, Department.name)
        .join(Item, Item.id == Case.item_id)
        .join(Department, Department.id == Case.department_id)
        .where(Case.state.in_(OPEN_STATES))
        .order_by(Case.deadline_at)
    )
    if department_id is not None:
        stmt = stmt.where(Case.department_id == department_id)
    departments: dict[str, dict[str, Any]] = {}
    for case, item, name in await session.execute(stmt):
        entry = departments.setdefault(
            name, {"department": name, "department_id": case.department_id, "counts": {}, "cases": []}
        )
        data = case_json(case, item, now, share)
        entry["counts"][data["warning"]] = entry["counts"].get(data["warning"], 0) + 1
        entry["cases"].append(data)
    for entry in departments.values():
        entry["counts"] = {lv: entry["counts"].get(lv, 0) for lv in ("red", "yellow", "green")}
    ordered = sorted(
        departments.values(), key=lambda e: (-e["counts"]["red"], -e["counts"]["yellow"], e["department"])
    )
    return {"now": now.isoformat(), "yellow_share": share, "departments": ordered}
