"""一件事 bundles: create and read them, with merged materials and combined limits."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.bundles import BundlePart, limits, merge_materials
from catalog.codes import OBJECTS
from catalog.events import CATALOG_BUNDLE_SAVED
from catalog.models import Bundle, BundleItem, Department, Item
from core.errors import Conflict, InvalidInput, NotFound
from core.runtime import Runtime

_BUNDLE_CODE = re.compile(r"^[A-Za-z0-9-]{2,32}$")


def _validate(raw: dict[str, Any]) -> tuple[str, str, str, str, list[str]]:
    code = str(raw.get("code") or "").strip()
    if not _BUNDLE_CODE.match(code):
        raise InvalidInput("code: 一件事编码为2-32位字母数字或- (bundle code)", code="invalid_bundle")
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: 一件事名称须为1-200字 (bundle name)", code="invalid_bundle")
    description = str(raw.get("description") or "").strip()
    service_object = str(raw.get("service_object") or "company").strip()
    if service_object not in OBJECTS:
        raise InvalidInput("service_object: 应为 person 或 company", code="invalid_bundle")
    items = raw.get("items")
    if not isinstance(items, list) or len(items) < 2 or not all(isinstance(i, str) for i in items):
        raise InvalidInput(
            "items: 一件事至少包含两个事项编码 (a bundle lists at least two item codes)",
            code="invalid_bundle",
        )
    if len(set(items)) != len(items):
        raise InvalidInput("items: 事项重复 (an item is listed twice)", code="invalid_bundle")
    return code, name, description, service_object, items


async def _resolve_items(session: AsyncSession, refs: list[str]) -> list[Item]:
    """Items by ``code`` (city level) or ``code@region``, in the order given."""
    found = []
    for ref in refs:
        code, _, region = ref.partition("@")
        item = await session.scalar(
            select(Item).where(Item.code == code.strip().upper(), Item.region_code == (region or "220200"))
        )
        if item is None:
            raise InvalidInput(f"items: 找不到事项 {ref} (unknown item)", code="invalid_bundle")
        found.append(item)
    return found


async def save_bundle(session: AsyncSession, runtime: Runtime, raw: dict[str, Any], actor: str) -> Bundle:
    """Create a bundle, or replace the one with the same code (imports are repeatable)."""
    code, name, description, service_object, refs = _validate(raw)
    items = await _resolve_items(session, refs)
    bundle = await session.scalar(select(Bundle).where(Bundle.code == code))
    if bundle is None:
        bundle = Bundle(code=code)
        session.add(bundle)
    elif raw.get("replace") is False:
        raise Conflict(f"一件事 {code} 已存在 (bundle exists)", code="bundle_exists")
    bundle.name, bundle.description, bundle.service_object = name, description, service_object
    bundle.updated_at = runtime.clock.now()
    await session.flush()
    await session.execute(delete(BundleItem).where(BundleItem.bundle_id == bundle.id))
    for position, item in enumerate(items):
        session.add(BundleItem(bundle_id=bundle.id, item_id=item.id, position=position))
    await session.flush()
    await runtime.audit.append(
        session,
        CATALOG_BUNDLE_SAVED,
        actor=actor,
        subject=f"bundle:{bundle.id}",
        data={"code": code, "items": [i.code for i in items]},
    )
    return bundle


async def list_bundles(session: AsyncSession) -> list[Bundle]:
    return list(await session.scalars(select(Bundle).order_by(Bundle.code)))


async def bundle_items(session: AsyncSession, bundle_id: int) -> list[tuple[Item, str]]:
    rows = await session.execute(
        select(Item, Department.name)
        .join(BundleItem, BundleItem.item_id == Item.id)
        .join(Department, Department.id == Item.department_id)
        .where(BundleItem.bundle_id == bundle_id)
        .order_by(BundleItem.position)
    )
    return [(item, name) for item, name in rows]


async def get_bundle(session: AsyncSession, ref: str) -> Bundle:
    # An id is ASCII digits within a database integer ("¹" is a digit to str.isdigit, not to int()).
    by_id = ref.isascii() and ref.isdigit() and len(ref) <= 18
    bundle = await session.scalar(
        select(Bundle).where(Bundle.id == int(ref)) if by_id else select(Bundle).where(Bundle.code == ref)
    )
    if bundle is None:
        raise NotFound(f"一件事 {ref} 不存在 (unknown bundle)", code="unknown_bundle")
    return bundle


async def bundle_json(session: AsyncSession, bundle: Bundle) -> dict[str, Any]:
    members = await bundle_items(session, bundle.id)
    parts = [BundlePart(i.name, i.promised_days, i.statutory_days, i.materials) for i, _ in members]
    combined = limits(parts)
    return {
        "id": bundle.id,
        "code": bundle.code,
        "name": bundle.name,
        "description": bundle.description,
        "service_object": bundle.service_object,
        "items": [
            {
                "id": i.id,
                "code": i.code,
                "ref": i.code if i.region_code == "220200" else f"{i.code}@{i.region_code}",
                "name": i.name,
                "department": dept,
                "promised_days": i.promised_days,
                "statutory_days": i.statutory_days,
                "materials": len(i.materials),
            }
            for i, dept in members
        ],
        "materials": [m.__dict__ | {"for_items": list(m.for_items)} for m in merge_materials(parts)],
        "limits": combined.__dict__,
    }
