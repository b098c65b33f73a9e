"""Search and browse the catalog, and gather the facts the published statistics are made of.

Free text matches a substring of ``catalog_items.search_text`` (name, department, code, implementing
body, pinyin initials; normalised once when the item is written, the query the same way at search
time). ``LIKE '%…%'`` works for Chinese on SQLite and PostgreSQL alike; on one narrow column it
scans tens of thousands of items in milliseconds (see bench/catalog_search.py).

Each query word is first widened by the synonyms kept as data (catalog/synonyms.py,
catalog/data/synonyms.csv): 开饭店 also matches 餐饮, 餐馆 and 食品经营许可. Several words: every
word (or one of its synonyms) must match. Bundles (一件事) are searched the same way, on their name
and description (:func:`matching_bundles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import KINDS, LEVELS, OBJECTS
from catalog.models import Bundle, Case, Department, Item
from catalog.pinyin import normalise
from catalog.stats import CaseFacts, ItemFacts, case_statistics, item_statistics
from catalog.synonyms import alternatives
from core.errors import InvalidInput
from core.paging import Page, paginate

MAX_QUERY = 100  # characters of free text a search takes


@dataclass(frozen=True)
class Query:
    text: str = ""
    department_id: int | None = None
    kind: str | None = None
    level: str | None = None
    service_object: str | None = None
    region_code: str | None = None
    online: bool | None = None
    limit: int = 20
    offset: int = 0

    def validated(self) -> Query:
        if self.kind and self.kind not in KINDS:
            raise InvalidInput(f"kind: 未知权力类型 {self.kind} (unknown kind)", code="bad_filter")
        if self.level and self.level not in LEVELS:
            raise InvalidInput(f"level: 应为 {'/'.join(LEVELS)} (unknown level)", code="bad_filter")
        if self.service_object and self.service_object not in OBJECTS:
            raise InvalidInput("object: 应为 person 或 company (unknown object)", code="bad_filter")
        if len(self.text) > MAX_QUERY:
            raise InvalidInput("q: 搜索词不超过100字 (query too long)", code="bad_filter")
        return self


def conditions(query: Query) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for word in query.text.split():  # several words: every one (or one of its synonyms) must match
        words = [normalise(w) for w in alternatives(word) if normalise(w)]
        if words:
            where.append(or_(*(Item.search_text.contains(w, autoescape=True) for w in words)))
    if query.department_id is not None:
        where.append(Item.department_id == query.department_id)
    if query.kind:
        where.append(Item.kind == query.kind)
    if query.level:
        where.append(Item.level == query.level)
    if query.service_object:
        where.append(Item.service_objects.contains(query.service_object))
    if query.region_code:
        where.append(Item.region_code == query.region_code)
    if query.online is not None:
        where.append(Item.online.is_(query.online))
    return where


async def search(session: AsyncSession, query: Query) -> Page[tuple[Item, str]]:
    """One page of (item, department name) ordered by code, and the total number of matches.

    Only the page's ids come from the search (with the total: see ``paginate``); the page's full
    rows are then fetched by primary key.
    """
    query = query.validated()
    ids: Page[int] = await paginate(
        session,
        select(Item.id).where(*conditions(query)),
        order_by=(Item.code, Item.region_code),
        limit=query.limit,
        offset=query.offset,
    )
    if not ids.rows:
        return Page([], ids.total, ids.limit, ids.offset)
    rows = await session.execute(
        select(Item, Department.name)
        .join(Department, Department.id == Item.department_id)
        .where(Item.id.in_(ids.rows))
    )
    found = {item.id: (item, name) for item, name in rows}
    return Page([found[i] for i in ids.rows], ids.total, ids.limit, ids.offset)


async def matching_bundles(session: AsyncSession, text: str, limit: int = 10) -> list[Bundle]:
    """Bundles whose name or description matches every query word (or one of its synonyms)."""
    where: list[ColumnElement[bool]] = []
    for word in text.split():
        words = list(alternatives(word))
        where.append(
            or_(*(c.contains(w, autoescape=True) for w in words for c in (Bundle.name, Bundle.description)))
        )
    if not where:
        return []
    return list(await session.scalars(select(Bundle).where(*where).order_by(Bundle.code).limit(limit)))


async def statistics(session: AsyncSession) -> dict[str, Any]:
    item_rows = await session.execute(
        select(
            Item.kind,
            Department.name,
            Item.level,
            Item.statutory_days,
            Item.promised_days,
            Item.online,
            Item.delegated,
        ).join(Department, Department.id == Item.department_id)
    )
    case_rows = await session.execute(
        select(Department.name, Case.state, Case.finished_at, Case.deadline_at, Case.rating).join(
            Department, Department.id == Case.department_id
        )
    )
    stats = item_statistics([ItemFacts(*row) for row in item_rows])
    stats["cases_by_department"] = case_statistics([CaseFacts(*row) for row in case_rows])
    return stats
