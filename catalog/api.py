"""JSON API of the catalog: browse and statistics (public), items and cases (hall staff of the
department, supervisors), bundles, holidays and settings (supervisors), staff links (admins)."""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, date
from typing import Annotated, Literal, cast

import msgspec
from litestar import Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from catalog import browse, bundling, cases, service, transfer
from catalog.models import Bundle, Case, Item
from catalog.views import (
    BundleBody,
    BundleOut,
    CaseBoard,
    CaseOut,
    CatalogStatistics,
    ItemBody,
    ItemOut,
    ItemSnapshot,
    ItemSummary,
    ItemVersionOut,
    Kind,
    Level,
    MovedCase,
    Rating,
    ServiceObject,
    item_out,
    summary_out,
)
from core.access import PUBLIC, Caller, Viewer, allow
from core.answers import CSV, JSON, also_answers, answers
from core.errors import InvalidInput
from core.paging import Listing, Paging, listing
from core.raw_body import raw_body
from core.regions import REGION_CODE_INPUT
from core.roles import Role
from core.runtime import Db, Rt
from core.texts import stripped_text
from core.types import AnyRequest

HolidayKind = Literal["holiday", "workday"]  # catalog/workdays.py HOLIDAY, WORKDAY (调休上班)
EDITORS = allow(Role.HALL_STAFF, Role.SUPERVISOR)
SUPERVISORS = allow(Role.SUPERVISOR)


class DepartmentBody(msgspec.Struct, kw_only=True):
    name: Annotated[str, stripped_text(100, "the department's name, 1-100 characters")]
    # schema only: get_region answers 422 bad_region
    region_code: Annotated[str, msgspec.Meta(extra_json_schema={"pattern": REGION_CODE_INPUT})]


class StaffBody(msgspec.Struct, kw_only=True):
    department_id: int


class CaseBody(msgspec.Struct, kw_only=True):
    item_id: int
    applicant: str
    applicant_user_id: int | None = None


class StateBody(msgspec.Struct, kw_only=True):
    state: Literal["accepted", "processing", "done", "returned"]
    note: str = ""


class RatingBody(msgspec.Struct, kw_only=True):
    rating: Rating
    reason: str = ""
    token: str | None = None


class HolidayBody(msgspec.Struct, kw_only=True):
    kind: HolidayKind
    name: str = ""


class CatalogSettings(msgspec.Struct, kw_only=True):
    yellow_share: Annotated[
        float,
        msgspec.Meta(
            ge=0.1, le=0.99, description="share of the promised time after which a case turns yellow"
        ),
    ]


class DepartmentOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    region_code: str


class HolidayOut(msgspec.Struct, kw_only=True):
    day: date
    kind: HolidayKind
    name: str


class StaffOut(msgspec.Struct, kw_only=True):
    user_id: int
    username: str
    department_id: int
    department: str


class StaffLink(msgspec.Struct, kw_only=True):
    user_id: int
    department_id: int


class RatingOut(msgspec.Struct, kw_only=True):
    number: str
    rating: Rating | None
    rating_reason: str | None


async def bundle_out(db: Db, bundle: Bundle) -> BundleOut:
    return msgspec.convert(await bundling.bundle_json(db, bundle), BundleOut)


async def case_out(db: Db, runtime: Rt, case: Case) -> CaseOut:
    item = await db.get(Item, case.item_id)
    body = cases.case_json(case, item, runtime.clock.now(), await cases.yellow_share(db))
    return msgspec.convert(body, CaseOut)


# A calendar day as the path spells it; parse_day refuses any other text (422), so the schema says date.
HolidayDay = Annotated[str, Parameter(description="YYYY-MM-DD", schema_extra={"format": "date"})]


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"日期格式应为 YYYY-MM-DD：{value!r} (date must be YYYY-MM-DD)", code="bad_date"
        ) from exc


@get("/api/catalog/items", opt=PUBLIC, tags=["catalog"])
async def search_items(
    db: Db,
    paging: Paging,
    q: Annotated[str, Parameter(max_length=browse.MAX_QUERY, description="words to find")] = "",
    department_id: FromQuery[int | None] = None,
    kind: FromQuery[Kind | None] = None,
    level: FromQuery[Level | None] = None,
    object: FromQuery[ServiceObject | None] = None,
    region: FromQuery[str | None] = None,
    online: FromQuery[bool | None] = None,
) -> Listing[ItemSummary]:
    """Search by free text (Chinese substring or pinyin initials) and filters; one page by code."""
    query = browse.Query(q, department_id, kind, level, object, region, online, paging.limit, paging.offset)
    found = await browse.search(db, query)
    return listing(found, [summary_out(*r) for r in found.rows])


@get("/api/catalog/items/{item_id:int}", opt=PUBLIC, tags=["catalog"])
async def get_item(db: Db, item_id: FromPath[int]) -> ItemOut:
    """The current version of an item."""
    item = await service.get_item(db, item_id)
    department = await service.get_department(db, item.department_id)
    return item_out(item, department.name)


@get(
    "/api/catalog/items/{item_id:int}/versions",
    opt=allow(Role.HALL_STAFF, Role.SUPERVISOR, Role.ADMIN),
    tags=["catalog"],
)
async def item_versions(db: Db, item_id: FromPath[int]) -> list[ItemVersionOut]:
    """The change log: every version, newest first, with who changed which fields."""
    return [
        ItemVersionOut(
            version=v.version,
            changed_at=v.changed_at,
            actor=v.actor,
            changed_fields=list(v.changed_fields),
            snapshot=msgspec.convert(v.snapshot, ItemSnapshot),
        )
        for v in await service.item_versions(db, item_id)
    ]


@post("/api/catalog/items", opt=EDITORS, status_code=201, tags=["catalog"])
async def create_item(runtime: Rt, principal: Caller, db: Db, data: JSONBody[ItemBody]) -> ItemOut:
    """Add an item to a department's catalog (staff: their own department only)."""
    item = await service.create_item(db, runtime, principal, msgspec.to_builtins(data))
    return item_out(item, data.department.strip())


@put("/api/catalog/items/{item_id:int}", opt=EDITORS, tags=["catalog"])
async def update_item(
    runtime: Rt,
    principal: Caller,
    db: Db,
    item_id: FromPath[int],
    data: JSONBody[ItemBody],
) -> ItemOut:
    """Replace an item's fields; a change makes a new version."""
    item = await service.update_item(db, runtime, principal, item_id, msgspec.to_builtins(data))
    return item_out(item, (await service.get_department(db, item.department_id)).name)


@get("/api/catalog/departments", opt=PUBLIC, tags=["catalog"])
async def list_departments(db: Db) -> list[DepartmentOut]:
    """The service-hall departments (部门) whose items the catalog lists."""
    return [
        DepartmentOut(id=d.id, name=d.name, region_code=d.region_code)
        for d in await service.list_departments(db)
    ]


@post("/api/catalog/departments", opt=SUPERVISORS, status_code=201, tags=["catalog"])
async def add_department(runtime: Rt, db: Db, data: JSONBody[DepartmentBody]) -> DepartmentOut:
    """Add a department in a region (supervisors)."""
    department = await service.add_department(db, runtime, data.name, data.region_code)
    return DepartmentOut(id=department.id, name=department.name, region_code=department.region_code)


@get("/api/catalog/bundles", opt=PUBLIC, tags=["catalog"])
async def list_bundles(db: Db) -> list[BundleOut]:
    """Every 一件事 bundle (several items handled as one), with merged materials and time limit."""
    return [await bundle_out(db, b) for b in await bundling.list_bundles(db)]


@get("/api/catalog/bundles/{ref:str}", opt=PUBLIC, tags=["catalog"])
async def get_bundle(db: Db, ref: FromPath[str]) -> BundleOut:
    """One 一件事 (by id or code) with its merged materials and combined time limit."""
    return await bundle_out(db, await bundling.get_bundle(db, ref))


@post("/api/catalog/bundles", opt=SUPERVISORS, status_code=201, tags=["catalog"])
async def save_bundle(runtime: Rt, principal: Caller, db: Db, data: JSONBody[BundleBody]) -> BundleOut:
    """Create or replace a bundle; items are item codes (city) or code@region.

    ``replace: false`` refuses (409) to overwrite a bundle with the same code.
    """
    bundle = await bundling.save_bundle(db, runtime, msgspec.to_builtins(data), principal.actor)
    return await bundle_out(db, bundle)


@get("/api/catalog/stats", opt=PUBLIC, tags=["catalog"])
async def catalog_statistics(db: Db) -> CatalogStatistics:
    """Items per kind/level/department, compression, online share, on-time and good-rating rates."""
    return msgspec.convert(await browse.statistics(db), CatalogStatistics)


@get(
    "/api/catalog/export",
    opt=PUBLIC,
    tags=["catalog"],
    responses=answers(transfer.CatalogDocument, description="the catalog document (``format=json``)"),
    operation_class=also_answers(CSV, "``format=csv``: the items as CSV, one row per item"),
)
async def export_catalog(db: Db, format: FromQuery[Literal["json", "csv"]] = "json") -> Response[str]:
    """Export the catalog (事项清单导出): the whole catalog as JSON, or the items as CSV.

    The JSON document (departments, items, bundles) is what POST /api/catalog/import takes back.
    """
    if format == "json":
        return Response(await transfer.export_json(db), media_type=JSON)
    items_csv, _ = await transfer.export_csv(db)
    return Response(items_csv, media_type=CSV)


@post(
    "/api/catalog/import",
    opt=SUPERVISORS,
    status_code=200,
    tags=["catalog"],
    operation_class=raw_body(
        "application/json",
        "the catalog document GET /api/catalog/export?format=json writes (UTF-8, a BOM allowed): "
        '``{"format": "sunbid-catalog/1", "departments", "items", "bundles"}``, one item per line so '
        "a bad row is named by its line",
        shape="CatalogDocument",
    ),
)
async def import_catalog(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db
) -> transfer.ImportReport:
    """Import a catalog document (事项清单导入): the export's JSON format, UTF-8.

    All or nothing: a bad row fails the whole import, naming its line. Answers how many departments,
    items and bundles were created, updated or unchanged, and the document's SHA-256.
    """
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("文件须为 UTF-8 编码 (the file must be UTF-8)", code="bad_file") from exc
    parsed = transfer.read_json(text)
    report = await transfer.import_catalog(db, runtime, principal, parsed, raw)
    return report


@get("/api/catalog/holidays", opt=PUBLIC, tags=["catalog"])
async def list_holidays(
    db: Db, year: Annotated[int | None, Parameter(ge=MINYEAR, le=MAXYEAR)] = None
) -> list[HolidayOut]:
    """Holidays and make-up working days (节假日与调休) that case deadlines count with, by year."""
    return [
        HolidayOut(day=h.day, kind=cast(HolidayKind, h.kind), name=h.name)
        for h in await cases.list_holidays(db, year)
    ]


@put("/api/catalog/holidays/{day:str}", opt=SUPERVISORS, tags=["catalog"])
async def set_holiday(
    runtime: Rt,
    principal: Caller,
    db: Db,
    day: HolidayDay,
    data: JSONBody[HolidayBody],
) -> HolidayOut:
    """Mark a day as a holiday or as a make-up working day (调休上班)."""
    holiday = await cases.set_holiday(db, runtime, parse_day(day), data.kind, data.name, principal.actor)
    return HolidayOut(day=holiday.day, kind=cast(HolidayKind, holiday.kind), name=holiday.name)


@delete("/api/catalog/holidays/{day:str}", opt=SUPERVISORS, status_code=204, tags=["catalog"])
async def remove_holiday(runtime: Rt, principal: Caller, db: Db, day: HolidayDay) -> None:
    """Forget a holiday or make-up working day; deadlines count it as an ordinary day again."""
    await cases.remove_holiday(db, runtime, parse_day(day), principal.actor)


@get("/api/catalog/settings", opt=SUPERVISORS, tags=["catalog"])
async def get_settings(db: Db) -> CatalogSettings:
    """The supervision board's settings."""
    return CatalogSettings(yellow_share=await cases.yellow_share(db))


@put("/api/catalog/settings", opt=SUPERVISORS, tags=["catalog"])
async def put_settings(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[CatalogSettings]
) -> CatalogSettings:
    """Change the supervision board's settings.

    ``yellow_share``: the share of the promised time after which an open case turns yellow (default 0.8).
    """
    await cases.set_yellow_share(db, runtime, data.yellow_share, principal.actor)
    return CatalogSettings(yellow_share=await cases.yellow_share(db))


@get("/api/catalog/staff", opt=allow(Role.ADMIN, Role.SUPERVISOR), tags=["catalog"])
async def list_staff(db: Db) -> list[StaffOut]:
    """Hall-staff users and the department each handles."""
    return [
        StaffOut(user_id=s.user_id, username=u, department_id=s.department_id, department=d)
        for s, u, d in await service.list_staff(db)
    ]


@put("/api/catalog/staff/{user_id:int}", opt=allow(Role.ADMIN), tags=["catalog"])
async def link_staff(
    runtime: Rt,
    principal: Caller,
    db: Db,
    user_id: FromPath[int],
    data: JSONBody[StaffBody],
) -> StaffLink:
    """Link a hall-staff user to the department whose items and cases they handle."""
    link = await service.link_staff(
        db, runtime, user_id=user_id, department_id=data.department_id, actor=principal.actor
    )
    return StaffLink(user_id=link.user_id, department_id=link.department_id)


@delete("/api/catalog/staff/{user_id:int}", opt=allow(Role.ADMIN), status_code=204, tags=["catalog"])
async def unlink_staff(runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]) -> None:
    """Unlink a hall-staff user from their department."""
    await service.unlink_staff(db, runtime, user_id=user_id, actor=principal.actor)


@post("/api/catalog/cases", opt=EDITORS, status_code=201, tags=["catalog cases"])
async def accept_case(runtime: Rt, principal: Caller, db: Db, data: JSONBody[CaseBody]) -> CaseOut:
    """Accept a case at the window; its deadline counts working days from today."""
    case = await cases.accept_case(
        db,
        runtime,
        principal,
        cases.NewCase(data.item_id, data.applicant, data.applicant_user_id),
    )
    return await case_out(db, runtime, case)


@get("/api/catalog/cases/{number:str}", opt=EDITORS, tags=["catalog cases"])
async def get_case(runtime: Rt, principal: Caller, db: Db, number: FromPath[str]) -> CaseOut:
    """One case (办件) by number, with its deadline and green/yellow/red warning."""
    case = await cases.get_case(db, number)
    await service.check_department_access(db, principal, case.department_id)
    return await case_out(db, runtime, case)


@post("/api/catalog/cases/{number:str}/state", opt=EDITORS, status_code=200, tags=["catalog cases"])
async def move_case(
    runtime: Rt,
    principal: Caller,
    db: Db,
    number: FromPath[str],
    data: JSONBody[StateBody],
) -> MovedCase:
    """accepted → processing → done / returned; finishing returns the one-time rating token."""
    case, token = await cases.move_case(db, runtime, principal, number, data.state, data.note)
    item = await db.get(Item, case.item_id)
    body = cases.case_json(case, item, runtime.clock.now(), await cases.yellow_share(db))
    if token:
        body["rating_token"] = token
        body["rating_link"] = f"/catalog/rate/{case.number}?token={token}"
    return msgspec.convert(body, MovedCase)


@post("/api/catalog/cases/{number:str}/rating", opt=PUBLIC, status_code=200, tags=["catalog cases"])
async def rate_case(
    runtime: Rt,
    viewer: Viewer,
    db: Db,
    number: FromPath[str],
    data: JSONBody[RatingBody],
) -> RatingOut:
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
    return RatingOut(
        number=case.number, rating=cast(Rating | None, case.rating), rating_reason=case.rating_reason
    )


@get("/api/catalog/board", opt=EDITORS, tags=["catalog cases"])
async def case_board(
    runtime: Rt,
    principal: Caller,
    db: Db,
    department_id: FromQuery[int | None] = None,
) -> CaseBoard:
    """Supervision board: open cases with green/yellow/red warnings; staff see their own department."""
    return msgspec.convert(await cases.board(db, runtime, principal, department_id), CaseBoard)


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
