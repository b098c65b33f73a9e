"""What the catalog's JSON API answers for items (and the pages show): msgspec Structs, so
/schema/openapi.json states them as they are written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from catalog.items import Fee, Material
from catalog.models import Item


class ItemSummary(msgspec.Struct, kw_only=True):
    """An item (事项) as a search lists it."""

    id: int
    code: str
    name: str
    kind: str
    department: str
    level: str
    region_code: str
    handling_type: str
    statutory_days: int
    promised_days: int
    online: bool
    service_objects: list[str]


class ItemOut(ItemSummary, kw_only=True):
    """The current version of an item, with everything an applicant needs to bring and pay."""

    department_id: int
    implementing_body: str
    legal_basis: str
    materials: list[Material]
    fees: list[Fee]
    free: bool
    steps: list[str]
    delegated: bool
    version: int
    updated_at: datetime


def summary_out(item: Item, department: str) -> ItemSummary:
    return ItemSummary(**_summary_fields(item, department))


def _summary_fields(item: Item, department: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "kind": item.kind,
        "department": department,
        "level": item.level,
        "region_code": item.region_code,
        "handling_type": item.handling_type,
        "statutory_days": item.statutory_days,
        "promised_days": item.promised_days,
        "online": item.online,
        "service_objects": item.service_objects.split(","),
    }


def item_out(item: Item, department: str) -> ItemOut:
    # materials and fees are stored as the JSON of Material and Fee (ItemInput.as_json)
    return ItemOut(
        **_summary_fields(item, department),
        department_id=item.department_id,
        implementing_body=item.implementing_body,
        legal_basis=item.legal_basis,
        materials=[Material(**m) for m in item.materials],
        fees=[Fee(**f) for f in item.fees],
        free=not item.fees,
        steps=list(item.steps),
        delegated=item.delegated,
        version=item.version,
        updated_at=item.updated_at,
    )
