"""JSON API of the catalog: browse and statistics (public), items and cases (hall staff of the
department, supervisors), bundles, holidays and settings (supervisors), staff links (admins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

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


class CatalogController(Controller):
    path = "/api/catalog"
    tags = ["catalog"]

    @get("/items", opt=PUBLIC)
    async def search_items(
        self,
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

    @get("/items/{item_id:int}", opt=PUBLIC)
    async def get_item(self, db: Db, item_id: FromPath[int]) -> dict[str, Any]:
        """The current version of an item."""
        item = await service.get_item(db, item_id)
        department = await service.get_department(db, item.department_id)
        return service.item_json(item, department.name)

    @get("/items/{item_id:int}/versions", opt=allow(Role.HALL_STAFF, Role.SUPERVISOR, Role.ADMIN))
    async def item_versions(self, db: Db, item_id: FromPath[int]) -> list[dict[str, Any]]:
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

    @post("/items", opt=EDITORS, status_code=201)
    async def create_item(
        self, runtime: Rt, principal: Caller, db: Db, data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        """Add an item to a department's catalog (staff: their own department only)."""
        item = await service.create_item(db, runtime, principal, data)
        return service.item_json(item, data["department"].strip())

    @put("/items/{item_id:int}", opt=EDITORS)
    async def update_item(
        self,
        runtime: Rt,
        principal: Caller,
        db: Db,
        item_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
    ) -> dict[str, Any]:
        """Replace an item's fields; a change makes a new version."""
        item = await service.update_item(db, runtime, principal, item_id, data)
        return service.item_json(item, (await service.get_department(db, item.department_id)).name)

    @get("/departments", opt=PUBLIC)
    async def departments(self, db: Db) -> list[dict[str, Any]]:
        return [
            {"id": d.id, "name": d.name, "region_code": d.region_code}
            for d in await service.list_departments(db)
        ]

    @post("/departments", opt=SUPERVISORS, status_code=201)
    async def add_department(self, runtime: Rt, db: Db, data: JSONBody[DepartmentBody]) -> dict[str, Any]:
        department = await service.add_department(db, runtime, data.name, data.region_code)
        return {"id": department.id, "name": department.name, "region_code": department.region_code}

    @get("/bundles", opt=PUBLIC)
    async def bundles(self, db: Db) -> list[dict[str, Any]]:
        return [await bundling.bundle_json(db, b) for b in await bundling.list_bundles(db)]

    @get("/bundles/{ref:str}", opt=PUBLIC)
    async def bundle(self, db: Db, ref: FromPath[str]) -> dict[str, Any]:
        """One 一件事 (by id or code) with its merged materials and combined time limit."""
        return await bundling.bundle_json(db, await bundling.get_bundle(db, ref))

    @post("/bundles", opt=SUPERVISORS, status_code=201)
    async def save_bundle(
        self, runtime: Rt, principal: Caller, db: Db, data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        """Create or replace a bundle; items are item codes (city) or code@region."""
        bundle = await bundling.save_bundle(db, runtime, data, principal.actor)
        return await bundling.bundle_json(db, bundle)

    @get("/stats", opt=PUBLIC)
    async def stats(self, db: Db) -> dict[str, Any]:
        """Items per kind/level/department, compression, online share, on-time and good-rating rates."""
        return await browse.statistics(db)

    @get("/export", opt=PUBLIC)
    async def export(self, db: Db, format: FromQuery[str] = "json") -> Response[str]:
        """The whole catalog as JSON ({items, bundles, departments}) or the items as CSV."""
        if format == "json":
            return Response(await transfer.export_json(db), media_type="application/json")
        if format == "csv":
            items_csv, _ = await transfer.export_csv(db)
            return Response(items_csv, media_type="text/csv; charset=utf-8")
        raise InvalidInput("format: 应为 json 或 csv", code="bad_format")

    @post("/import", opt=SUPERVISORS, status_code=200)
    async def import_json(
        self, request: AnyRequest, runtime: Rt, principal: Caller, db: Db
    ) -> dict[str, Any]:
        """Import a JSON catalog document (the export's format); a bad row fails it all, naming its line."""
        raw = await request.body()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput("文件须为 UTF-8 编码 (the file must be UTF-8)", code="bad_file") from exc
        parsed = transfer.read_json(text)
        report = await transfer.import_catalog(db, runtime, principal, parsed, raw)
        return report.__dict__

    @get("/holidays", opt=PUBLIC)
    async def holidays(self, db: Db, year: FromQuery[int | None] = None) -> list[dict[str, Any]]:
        return [
            {"day": h.day.isoformat(), "kind": h.kind, "name": h.name}
            for h in await cases.list_holidays(db, year)
        ]

    @put("/holidays/{day:str}", opt=SUPERVISORS)
    async def set_holiday(
        self,
        runtime: Rt,
        principal: Caller,
        db: Db,
        day: FromPath[str],
        data: JSONBody[HolidayBody],
    ) -> dict[str, Any]:
        """Mark a day as a holiday or as a make-up working day (调休上班)."""
        holiday = await cases.set_holiday(
            db, runtime, parse_day(day), data.kind, data.name, principal.actor
        )
        return {"day": holiday.day.isoformat(), "kind": holiday.kind, "name": holiday.name}

    @delete("/holidays/{day:str}", opt=SUPERVISORS, status_code=204)
    async def remove_holiday(self, runtime: Rt, principal: Caller, db: Db, day: FromPath[str]) -> None:
        await cases.remove_holiday(db, runtime, parse_day(day), principal.actor)

    @get("/settings", opt=SUPERVISORS)
    async def get_settings(self, db: Db) -> dict[str, Any]:
        return {"yellow_share": await cases.yellow_share(db)}

    @put("/settings", opt=SUPERVISORS)
    async def put_settings(
        self, runtime: Rt, principal: Caller, db: Db, data: JSONBody[SettingsBody]
    ) -> dict[str, Any]:
        """The share of the promised time after which an open case turns yellow (default 0.8)."""
        await cases.set_yellow_share(db, runtime, data.yellow_share, principal.actor)
        return {"yellow_share": await cases.yellow_share(db)}

    @get("/staff", opt=allow(Role.ADMIN, Role.SUPERVISOR))
    async def staff(self, db: Db) -> list[dict[str, Any]]:
        return [
            {"user_id": s.user_id, "username": u, "department_id": s.department_id, "department": d}
            for s, u, d in await service.list_staff(db)
        ]

    @put("/staff/{user_id:int}", opt=allow(Role.ADMIN))
    async def link_staff(
        self,
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

    @delete("/staff/{user_id:int}", opt=allow(Role.ADMIN), status_code=204)
    async def unlink_staff(self, runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int]) -> None:
        await service.unlink_staff(db, runtime, user_id=user_id, actor=principal.actor)


class CaseController(Controller):
    path = "/api/catalog"
    tags = ["catalog cases"]

    @post("/cases", opt=EDITORS, status_code=201)
    async def accept(
        self, runtime: Rt, principal: Caller, db: Db, data: JSONBody[CaseBody]
    ) -> dict[str, Any]:
        """Accept a case at the window; its deadline counts working days from today."""
        case = await cases.accept_case(
            db,
            runtime,
            principal,
            cases.NewCase(data.item_id, data.applicant, data.applicant_user_id),
        )
        item = await db.get(Item, case.item_id)
        return cases.case_json(case, item, runtime.clock.now(), await cases.yellow_share(db))

    @get("/cases/{number:str}", opt=EDITORS)
    async def get_case(self, runtime: Rt, principal: Caller, db: Db, number: FromPath[str]) -> dict[str, Any]:
        case = await cases.get_case(db, number)
        await service.check_department_access(db, principal, case.department_id)
        item = await db.get(Item, case.item_id)
        return cases.case_json(case, item, runtime.clock.now(), await cases.yellow_share(db))

    @post("/cases/{number:str}/state", opt=EDITORS, status_code=200)
    async def move(
        self,
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

    @post("/cases/{number:str}/rating", opt=PUBLIC, status_code=200)
    async def rate(
        self,
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

    @get("/board", opt=EDITORS)
    async def board(
        self,
        runtime: Rt,
        principal: Caller,
        db: Db,
        department_id: FromQuery[int | None] = None,
    ) -> dict[str, Any]:
        """Supervision board: open cases with green/yellow/red warnings; staff see their own department."""
        return await cases.board(db, runtime, principal, department_id)


ROUTE_HANDLERS = [CatalogController, CaseController]
