"""JSON API of the catalog: browse and statistics (public), items and cases (hall staff of the
department, supervisors), bundles, holidays and settings (supervisors), staff links (admins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date
from typing import Annotated, Any

from litestar import Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from catalog import browse, bundling, cases, service, transfer
from catalog.models import Item
from core.access import PUBLIC, Caller, Viewer, allow
from core.errors import InvalidInput
from core.paging import Paging
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest

EDITORS = allow(Role.HALL_STAFF, Role.SUPERVISOR)
SUPERVISORS = allow(Role.SUPERVISOR)


@dataclass
class DepartmentBody:
    name: str
    region_code: str


@dataclass
class StaffBody:
    department_id: int


@dataclass
class CaseBody:
    item_id: int
    applicant: str
    applicant_user_id: int | None = None


@dataclass
class StateBody:
    state: str
    note: str = ""


@dataclass
class RatingBody:
    rating: str
    reason: str = ""
    token: str | None = None


@dataclass
class HolidayBody:
    kind: str
    name: str = ""


@dataclass
class SettingsBody:
    yellow_share: float


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"日期格式应为 YYYY-MM-DD：{value!r} (date must be YYYY-MM-DD)", code="bad_date"
        ) from exc


def parse_flag(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value not in ("true", "false"):
        raise InvalidInput("online: 应为 true 或 false", code="bad_filter")
    return value == "true"


@get("/api/catalog/items", opt=PUBLIC, tags=["catalog"])
async def search_items(
    db: Db,
    paging: Paging,
    q: FromQuery[str] = "",
    department_id: FromQuery[int | None] = None,
    kind: FromQuery[str | None] = None,
    level: FromQuery[str | None] = None,
    object: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    online: FromQuery[str | None] = None,
) -> dict[str, Any]:
    """Search by free text (Chinese substring or pinyin initials) and filters; one page by code."""
    query = browse.Query(
        q, department_id, kind, level, object, region, parse_flag(online), paging.limit, paging.offset
    )
    found = await browse.search(db, query)
    return {
        "total": found.total,
        "limit": found.limit,
        "offset": found.offset,
        "items": [browse.summary_json(*r) for r in found.rows],
    }


@get("/api/catalog/items/{item_id:int}", opt=PUBLIC, tags=["catalog"])
async def get_item(db: Db, item_id: FromPath[int]) -> dict[str, Any]:
    """The current version of an item."""
    item = await service.get_item(db, item_id)
    department = await service.get_department(db, item.department_id)
    return service.item_json(item, department.name)


@get(
    "/api/catalog/items/{item_id:int}/versions",
    opt=allow(Role.HALL_STAFF, Role.SUPERVISOR, Role.ADMIN),
    tags=["catalog"],
)
async def item_versions(db: Db, item_id: FromPath[int]) -> list[dict[str, Any]]:
    """The change log: every version with who changed which fields."""
    return [
        {
            "version": v.version,
            "changed_at": v.changed_at.isoformat(),
            "actor": v.actor,
            "changed_fields": v.changed_fields,
            "snapshot": v.snapshot,
        }
        for v in await service.item_versions(db, item_id)
    ]


@post("/api/catalog/items", opt=EDITORS, status_code=201, tags=["catalog"])
async def create_item(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    """Add an item to a department's catalog (staff: their own department only)."""
    item = await service.create_item(db, runtime, principal, data)
    return service.item_json(item, data["department"].strip())


@put("/api/catalog/items/{item_id:int}", opt=EDITORS, tags=["catalog"])
async def update_item(
    runtime: Rt,
    principal: Caller,
    db: Db,
    item_id: FromPath[int],
    data: JSONBody[dict[str, Any]],
) -> dict[str, Any]:
    """Replace an item's fields; a change makes a new version."""
    item = await service.update_item(db, runtime, principal, item_id, data)
    return service.item_json(item, (await service.get_department(db, item.department_id)).name)


@get("/api/catalog/departments", opt=PUBLIC, tags=["catalog"])
async def list_departments(db: Db) -> list[dict[str, Any]]:
    return [
        {"id": d.id, "name": d.name, "region_code": d.region_code} for d in await service.list_departments(db)
    ]


@post("/api/catalog/departments", opt=SUPERVISORS, status_code=201, tags=["catalog"])
async def add_department(runtime: Rt, db: Db, data: JSONBody[DepartmentBody]) -> dict[str, Any]:
    department = await service.add_department(db, runtime, data.name, data.region_code)
    return {"id": department.id, "name": department.name, "region_code": department.region_code}


@get("/api/catalog/bundles", opt=PUBLIC, tags=["catalog"])
async def list_bundles(db: Db) -> list[dict[str, Any]]:
    return [await bundling.bundle_json(db, b) for b in await bundling.list_bundles(db)]


@get("/api/catalog/bundles/{ref:str}", opt=PUBLIC, tags=["catalog"])
async def get_bundle(db: Db, ref: FromPath[str]) -> dict[str, Any]:
    """One 一件事 (by id or code) with its merged materials and combined time limit."""
    return await bundling.bundle_json(db, await bundling.get_bundle(db, ref))


@post("/api/catalog/bundles", opt=SUPERVISORS, status_code=201, tags=["catalog"])
async def save_bundle(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    """Create or replace a bundle; items are item codes (city) or code@region."""
    bundle = await bundling.save_bundle(db, runtime, data, principal.actor)
    return await bundling.bundle_json(db, bundle)


@get("/api/catalog/stats", opt=PUBLIC, tags=["catalog"])
async def catalog_statistics(db: Db) -> dict[str, Any]:
    """Items per kind/level/department, compression, online share, on-time and good-rating rates."""
    return await browse.statistics(db)


@get("/api/catalog/export", opt=PUBLIC, tags=["catalog"])
async def export_catalog(db: Db, format: FromQuery[str] = "json") -> Response[str]:
    """The whole catalog as JSON ({items, bundles, departments}) or the items as CSV."""
    if format == "json":
        return Response(await transfer.export_json(db), media_type="application/json")
    if format == "csv":
        items_csv, _ = await transfer.export_csv(db)
        return Response(items_csv, media_type="text/csv; charset=utf-8")
    raise InvalidInput("format: 应为 json 或 csv", code="bad_format")


@post("/api/catalog/import", opt=SUPERVISORS, status_code=200, tags=["catalog"])
async def import_catalog(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> dict[str, Any]:
    """Import a JSON catalog document (the export's format); a bad row fails it all, naming its line."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("文件须为 UTF-8 编码 (the file must be UTF-8)", code="bad_file") from exc
    parsed = transfer.read_json(text)
    report = await transfer.import_catalog(db, runtime, principal, parsed, raw)
    return report.__dict__


@get("/api/catalog/holidays", opt=PUBLIC, tags=["catalog"])
async def list_holidays(
    db: Db, year: Annotated[int | None, Parameter(ge=MINYEAR, le=MAXYEAR)] = None
) -> list[dict[str, Any]]:
    return [
        {"day": h.day.isoformat(), "kind": h.kind, "name": h.name}
        for h in await cases.list_holidays(db, year)
    ]


@put("/api/catalog/holidays/{day:str}", opt=SUPERVISORS, tags=["catalog"])
async def set_holiday(
    runtime: Rt,
    principal: Caller,
    db: Db,
    day: FromPath[str],
    data: JSONBody[HolidayBody],
) -> dict[str, Any]:
    """Mark a day as a holiday or as a make-up working day (调休上班)."""
    holiday = await cases.set_holiday(db, runtime, parse_day(day), data.kind, data.name, principal.actor)
    return {"day": holiday.day.isoformat(), "kind": holiday.kind, "name": holiday.name}


@delete("/api/catalog/holidays/{day:str}", opt=SUPERVISORS, status_code=204, tags=["catalog"])
async def remove_holiday(runtime: Rt, principal: Caller, db: Db, day: FromPath[str]) -> None:
    await cases.remove_holiday(db, runtime, parse_day(day), principal.actor)


@get("/api/catalog/settings", opt=SUPERVISORS, tags=["catalog"])
async def get_settings(db: Db) -> dict[str, Any]:
    return {"yellow_share": await cases.yellow_share(db)}


@put("/api/catalog/settings", opt=SUPERVISORS, tags=["catalog"])
async def put_settings(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[SettingsBody]
) -> dict[str, Any]:
    """The share of the promised time after which an open case turns yellow (default 0.8)."""
    await cases.set_yellow_share(db, runtime, data.yellow_share, principal.actor)
    return {"yellow_share": await cases.yellow_share(db)}


@get("/api/catalog/staff", opt=allow(Role.ADMIN, Role.SUPERVISOR), tags=["catalog"])
async def list_staff(db: Db) -> list[dict[str, Any]]:
    return [
        {"user_id": s.user_id, "username": u, "department_id": s.department_id, "department": d}
        for s, u, d in await service.list_staff(db)
    ]


@put("/api/catalog/staff/{user_id:int}", opt=allow(Role.ADMIN), tags=["catalog"])
async def link_staff(
    runtime: Rt,
    principal: Caller,
    db: Db,
    user_id: FromPath[int],
    data: JSONBody[StaffBody],
) -> dict[str, Any]:
    """Link a hall-staff user to the department whose items and cases they handle."""
    link = await service.link_staff(
        db, runtime, user_id=user_id, department_id=data.department_id, actor=principal.actor
    )
    return {"user_id": link.user_id, "department_id": link.department_id}


@delete("/api/catalog/staff/{user_id:int}", opt=allow(Role.ADMIN), status_code=204, tags=["catalog"])
async def unlink_staff(runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]) -> None:
    await service.unlink_staff(db, runtime, user_id=user_id, actor=principal.actor)


@post("/api/catalog/cases", opt=EDITORS, status_code=201, tags=["catalog cases"])
async def accept_case(runtime: Rt, principal: Caller, db: Db, data: JSONBody[CaseBody]) -> dict[str, Any]:
    """Accept a case at the window; its deadline counts working days from today."""
    case = await cases.accept_case(
        db,
        runtime,
        principal,
        cases.NewCase(data.item_id, data.applicant, data.applicant_user_id),
    )
    item = await db.get(Item, case.item_id)
    return cases.case_json(case, item, runtime.clock.now(), await cases.yellow_share(db))


@get("/api/catalog/cases/{number:str}", opt=EDITORS, tags=["catalog cases"])
async def get_case(runtime: Rt, principal: Caller, db: Db, number: FromPath[str]) -> dict[str, Any]:
    case = await cases.get_case(db, number)
    await service.check_department_access(db, principal, case.department_id)
    item = await db.get(Item, case.item_id)
    return cases.case_json(case, item, runtime.clock.now(), await cases.yellow_share(db))


@post("/api/catalog/cases/{number:str}/state", opt=EDITORS, status_code=200, tags=["catalog cases"])
async def move_case(
    runtime: Rt,
    principal: Caller,
    db: Db,
    number: FromPath[str],
    data: JSONBody[StateBody],
) -> dict[str, Any]:
    """accepted → processing → done / returned; finishing returns the one-time rating token."""
    case, token = await cases.move_case(db, runtime, principal, number, data.state, data.note)
    item = await db.get(Item, case.item_id)
    body = cases.case_json(case, item, runtime.clock.now(), await cases.yellow_share(db))
    if token:
        body["rating_token"] = token
        body["rating_link"] = f"/catalog/rate/{case.number}?token={token}"
    return body


@post("/api/catalog/cases/{number:str}/rating", opt=PUBLIC, status_code=200, tags=["catalog cases"])
async def rate_case(
    runtime: Rt,
    viewer: Viewer,
    db: Db,
    number: FromPath[str],
    data: JSONBody[RatingBody],
) -> dict[str, Any]:
    """好差评: the applicant rates a finished case with the token from the SMS link or terminal."""
    case = await cases.rate_case(
        db,
        runtime,
        number,
        rating=data.rating,
        reason=data.reason,
        token=data.token,
        user_id=viewer.user_id if viewer else None,
    )
    return {"number": case.number, "rating": case.rating, "rating_reason": case.rating_reason}


@get("/api/catalog/board", opt=EDITORS, tags=["catalog cases"])
async def case_board(
    runtime: Rt,
    principal: Caller,
    db: Db,
    department_id: FromQuery[int | None] = None,
) -> dict[str, Any]:
    """Supervision board: open cases with green/yellow/red warnings; staff see their own department."""
    return await cases.board(db, runtime, principal, department_id)


ROUTE_HANDLERS = [
    search_items,
    get_item,
    item_versions,
    create_item,
    update_item,
    list_departments,
    add_department,
    list_bundles,
    get_bundle,
    save_bundle,
    catalog_statistics,
    export_catalog,
    import_catalog,
    list_holidays,
    set_holiday,
    remove_holiday,
    get_settings,
    put_settings,
    list_staff,
    link_staff,
    unlink_staff,
    accept_case,
    get_case,
    move_case,
    rate_case,
    case_board,
]
