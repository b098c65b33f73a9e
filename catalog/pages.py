"""HTML pages of the catalog: search, item, bundle, statistics, supervision board, rating."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from catalog import browse, bundling, cases, messages, service
from catalog.codes import HANDLING_EN, KIND_EN, KINDS, LEVEL_ZH, LEVELS, OBJECT_ZH, OBJECTS
from catalog.views import item_out, summary_out
from core.access import PUBLIC, Caller, Viewer, allow
from core.clock import format_local
from core.errors import DomainError
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form

assert messages.MESSAGES  # registering the page texts is the import's side effect
PAGE_SIZE = 20


def _labels(lang: str) -> dict[str, dict[str, str]]:
    zh = lang == "zh"
    return {
        "kind": {k: (k if zh else KIND_EN[k]) for k in KINDS},
        "level": {lv: (LEVEL_ZH[lv] if zh else lv) for lv in LEVELS},
        "object": {o: (OBJECT_ZH[o] if zh else o) for o in OBJECTS},
        "handling": {h: (h if zh else e) for h, e in HANDLING_EN.items()},
    }


def _lang(request: AnyRequest) -> str:
    from core.i18n import language_of

    return language_of(request)


@get("/catalog", opt=PUBLIC, include_in_schema=False)
async def search_page(
    request: AnyRequest,
    db: Db,
    q: FromQuery[str] = "",
    department_id: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    level: FromQuery[str] = "",
    object: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
) -> Template:
    # A form sends every select, the empty ones as "": those mean "all", not a bad number.
    department = int(department_id) if department_id.isdigit() else None
    query = browse.Query(
        q.strip(), department, kind or None, level or None, object or None,
        limit=PAGE_SIZE, offset=max(0, page_no - 1) * PAGE_SIZE,
    )  # fmt: skip
    found = await browse.search(db, query)
    total, rows = found.total, found.rows
    return page(
        request,
        "catalog/search.html",
        q=q,
        filters={"department_id": department, "kind": kind, "level": level, "object": object},
        total=total,
        items=[summary_out(*r) for r in rows],
        page_no=max(1, page_no),
        pages=max(1, -(-total // PAGE_SIZE)),
        departments=await service.list_departments(db),
        bundles=await bundling.list_bundles(db),
        matched_bundles=await browse.matching_bundles(db, q.strip()[:100]) if q.strip() else [],
        labels=_labels(_lang(request)),
    )


@get("/catalog/items/{item_id:int}", opt=PUBLIC, include_in_schema=False)
async def item_page(request: AnyRequest, db: Db, item_id: FromPath[int]) -> Template:
    item = await service.get_item(db, item_id)
    department = await service.get_department(db, item.department_id)
    return page(
        request,
        "catalog/item.html",
        item=item_out(item, department.name),
        updated=format_local(item.updated_at),
        labels=_labels(_lang(request)),
    )


@get("/catalog/bundles/{ref:str}", opt=PUBLIC, include_in_schema=False)
async def bundle_page(request: AnyRequest, db: Db, ref: FromPath[str]) -> Template:
    bundle = await bundling.bundle_json(db, await bundling.get_bundle(db, ref))
    return page(request, "catalog/bundle.html", bundle=bundle, labels=_labels(_lang(request)))


@get("/catalog/stats", opt=PUBLIC, include_in_schema=False)
async def stats_page(request: AnyRequest, db: Db) -> Template:
    stats = await browse.statistics(db)
    return page(request, "catalog/stats.html", stats=stats, labels=_labels(_lang(request)))


@get("/catalog/board", opt=allow(Role.HALL_STAFF, Role.SUPERVISOR), include_in_schema=False)
async def board_page(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, department_id: FromQuery[int | None] = None
) -> Template:
    board = await cases.board(db, runtime, principal, department_id)
    return page(request, "catalog/board.html", board=board)


@get("/catalog/rate/{number:str}", opt=PUBLIC, include_in_schema=False)
async def rate_page(request: AnyRequest, number: FromPath[str], token: FromQuery[str] = "") -> Template:
    return page(request, "catalog/rate.html", number=number, token=token, error=None, done=False)


@post("/catalog/rate/{number:str}", opt=PUBLIC, include_in_schema=False, status_code=200)
async def rate_submit(
    request: AnyRequest,
    runtime: Rt,
    viewer: Viewer,
    db: Db,
    number: FromPath[str],
    data: Form,
) -> Template:
    try:
        await cases.rate_case(
            db,
            runtime,
            number,
            rating=data.get("rating", ""),
            reason=data.get("reason", ""),
            token=data.get("token") or None,
            user_id=viewer.user_id if viewer else None,
        )
    except DomainError as exc:
        return page(
            request, "catalog/rate.html", status_code=exc.status_code, number=number,
            token=data.get("token", ""), error=exc.detail, done=False,
        )  # fmt: skip
    return page(request, "catalog/rate.html", number=number, token="", error=None, done=True)


ROUTE_HANDLERS = [search_page, item_page, bundle_page, stats_page, board_page, rate_page, rate_submit]
