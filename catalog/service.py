"""Departments, staff links and items: the catalog's use cases (no HTTP here).

Who may change what: supervisors change everything; hall staff change the items of the department
they are linked to (``catalog_staff``); admins manage those links. Every change to an item writes a
new version with the changed fields and appends ``catalog.item_*`` to the public audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.events import (
    CATALOG_DEPARTMENT_ADDED,
    CATALOG_ITEM_CHANGED,
    CATALOG_ITEM_CREATED,
    CATALOG_STAFF_LINKED,
    CATALOG_STAFF_UNLINKED,
)
from catalog.items import ItemInput, parse_item
from catalog.models import Department, Holiday, Item, ItemVersion, Staff
from catalog.pinyin import search_text

# The warning levels of anything with a promised deadline; other contexts' case lists reuse them.
from catalog.supervision import DEFAULT_YELLOW_SHARE, GREEN, RED, YELLOW, warning_level  # noqa: F401

# Working days with the holiday table: other contexts' statutory working-day clocks count with these.
from catalog.workdays import Calendar, add_working_days  # noqa: F401
from catalog.workdays import deadline as working_deadline  # noqa: F401
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Region, User
from core.regions import get_region
from core.roles import Role
from core.runtime import Runtime

VERSIONED_FIELDS = (
    "code", "name", "kind", "implementing_body", "legal_basis", "service_objects", "materials",
    "statutory_days", "promised_days", "handling_type", "fees", "steps", "online", "level",
    "region_code", "delegated",
)  # fmt: skip


class CatalogActor(Protocol):
    """Who is changing the catalog: the caller (core's ``Principal``, as handlers get it from
    ``require_principal``) or a system job (``SystemActor``)."""

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        ...

    @property
    def roles(self) -> frozenset[Role]: ...

    @property
    def user_id(self) -> int | None: ...


@dataclass(frozen=True)
class SystemActor:
    """A system job (import, demo) changing the catalog as a supervisor; ``actor`` names it."""

    actor: str
    roles: frozenset[Role] = frozenset({Role.SUPERVISOR})
    user_id: int | None = None


# ---- departments and staff -------------------------------------------------------------------


async def list_departments(session: AsyncSession) -> list[Department]:
    return list(await session.scalars(select(Department).order_by(Department.region_code, Department.id)))


async def department_by_name(session: AsyncSession, name: str) -> Department | None:
    return await session.scalar(select(Department).where(Department.name == name.strip()))


async def add_department(session: AsyncSession, runtime: Runtime, name: str, region_code: str) -> Department:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("部门名称须为1-100字 (department name: 1-100 characters)", code="bad_department")
    await get_region(session, region_code)
    if await department_by_name(session, name) is not None:
        raise Conflict(f"部门 {name} 已存在 (department exists)", code="department_exists")
    department = Department(name=name, region_code=region_code)
    session.add(department)
    await session.flush()
    await runtime.audit.append(
        session, CATALOG_DEPARTMENT_ADDED, subject=f"department:{department.id}", data={"name": name}
    )
    return department


async def get_department(session: AsyncSession, department_id: int) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFound(f"部门 {department_id} 不存在 (unknown department)", code="unknown_department")
    return department


async def link_staff(
    session: AsyncSession, runtime: Runtime, *, user_id: int, department_id: int, actor: str
) -> Staff:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在 (unknown user)", code="unknown_user")
    if Role.HALL_STAFF.value not in user.role_names:
        raise InvalidInput("该用户没有窗口人员角色 (user lacks the hall_staff role)", code="not_hall_staff")
    await get_department(session, department_id)
    link = await session.get(Staff, user_id)
    if link is None:
        link = Staff(user_id=user_id, department_id=department_id)
        session.add(link)
    link.department_id = department_id
    await session.flush()
    await runtime.audit.append(
        session,
        CATALOG_STAFF_LINKED,
        actor=actor,
        subject=f"user:{user_id}",
        data={"department": department_id},
    )
    return link


async def unlink_staff(session: AsyncSession, runtime: Runtime, *, user_id: int, actor: str) -> None:
    link = await session.get(Staff, user_id)
    if link is None:
        raise NotFound(f"用户 {user_id} 未关联部门 (user has no department)", code="not_linked")
    await session.delete(link)
    await runtime.audit.append(session, CATALOG_STAFF_UNLINKED, actor=actor, subject=f"user:{user_id}")


async def list_staff(session: AsyncSession) -> list[tuple[Staff, str, str]]:
    rows = await session.execute(
        select(Staff, User.username, Department.name)
        .join(User, User.id == Staff.user_id)
        .join(Department, Department.id == Staff.department_id)
        .order_by(Staff.department_id, User.username)
    )
    return [(staff, username, dept) for staff, username, dept in rows]


async def staff_department(session: AsyncSession, user_id: int | None) -> int | None:
    if user_id is None:
        return None
    link = await session.get(Staff, user_id)
    return link.department_id if link else None


async def check_department_access(session: AsyncSession, actor: CatalogActor, department_id: int) -> None:
    """Supervisors act on every department; hall staff only on their own."""
    if Role.SUPERVISOR in actor.roles:
        return
    if Role.HALL_STAFF in actor.roles and await staff_department(session, actor.user_id) == department_id:
        return
    raise PermissionDenied(
        "只能处理本部门的事项 (you may only act on your own department's items)", code="forbidden"
    )


# ---- items -----------------------------------------------------------------------------------


def apply_input(item: Item, data: ItemInput, department: Department) -> None:
    values = data.as_json()
    values.pop("department")
    values["service_objects"] = ",".join(data.service_objects)
    for key, value in values.items():
        setattr(item, key, value)
    item.department_id = department.id
    item.search_text = search_text(data.name, department.name, data.code, data.implementing_body)


def snapshot(item: Item) -> dict[str, Any]:
    return {key: getattr(item, key) for key in (*VERSIONED_FIELDS, "department_id")}


async def resolve_department(session: AsyncSession, data: ItemInput) -> Department:
    department = await department_by_name(session, data.department)
    if department is None:
        raise InvalidInput(
            f"department: 未知部门 {data.department} (unknown department)", code="invalid_item"
        )
    if await session.get(Region, data.region_code) is None:
        raise InvalidInput(f"region_code: 未知行政区划 {data.region_code}", code="invalid_item")
    return department


async def create_item(
    session: AsyncSession, runtime: Runtime, actor: CatalogActor, raw: dict[str, Any], *, audit: bool = True
) -> Item:
    data = parse_item(raw)
    department = await resolve_department(session, data)
    await check_department_access(session, actor, department.id)
    clash = await session.scalar(
        select(Item.id).where(Item.code == data.code, Item.region_code == data.region_code)
    )
    if clash is not None:
        raise Conflict(f"事项编码 {data.code} 在该地区已存在 (code already used)", code="item_exists")
    item = Item(version=1, updated_at=runtime.clock.now())
    apply_input(item, data, department)
    session.add(item)
    await session.flush()
    await record_version(session, item, list(VERSIONED_FIELDS), actor.actor, runtime)
    if audit:
        await runtime.audit.append(
            session,
            CATALOG_ITEM_CREATED,
            actor=actor.actor,
            subject=f"item:{item.id}",
            data={"code": item.code, "name": item.name, "region": item.region_code},
        )
    return item


async def update_item(
    session: AsyncSession, runtime: Runtime, actor: CatalogActor, item_id: int, raw: dict[str, Any]
) -> Item:
    item = await get_item(session, item_id)
    await check_department_access(session, actor, item.department_id)
    data = parse_item(raw)
    department = await resolve_department(session, data)
    await check_department_access(session, actor, department.id)
    # Checked before touching the row, so autoflush never trips over the unique constraint.
    clash = await session.scalar(
        select(Item.id).where(
            Item.code == data.code, Item.region_code == data.region_code, Item.id != item.id
        )
    )
    if clash is not None:
        raise Conflict(f"事项编码 {data.code} 在该地区已存在 (code already used)", code="item_exists")
    before = snapshot(item)
    apply_input(item, data, department)
    changed = [key for key, value in snapshot(item).items() if before[key] != value]
    if not changed:
        return item
    item.version += 1
    item.updated_at = runtime.clock.now()
    await session.flush()
    await record_version(session, item, changed, actor.actor, runtime)
    await runtime.audit.append(
        session,
        CATALOG_ITEM_CHANGED,
        actor=actor.actor,
        subject=f"item:{item.id}",
        data={"version": item.version, "fields": changed},
    )
    return item


async def record_version(
    session: AsyncSession, item: Item, changed: list[str], actor: str, runtime: Runtime
) -> None:
    session.add(
        ItemVersion(
            item_id=item.id,
            version=item.version,
            snapshot=snapshot(item),
            changed_fields=changed,
            changed_at=runtime.clock.now(),
            actor=actor,
        )
    )
    await session.flush()


async def get_item(session: AsyncSession, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"事项 {item_id} 不存在 (unknown item)", code="unknown_item")
    return item


async def item_versions(session: AsyncSession, item_id: int) -> list[ItemVersion]:
    await get_item(session, item_id)
    return list(
        await session.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item_id).order_by(ItemVersion.version.desc())
        )
    )


async def department_names(session: AsyncSession) -> dict[int, str]:
    return dict((await session.execute(select(Department.id, Department.name))).all())


async def working_calendar(session: AsyncSession) -> Calendar:
    """The holiday table as a working-day calendar (public holidays and make-up working days)."""
    rows = await session.execute(select(Holiday.day, Holiday.kind))
    return Calendar.of(rows.all())
