"""An item as the outside world writes it (API body, JSON or CSV import), validated in one place.

``parse_item`` takes a plain mapping and returns an ``ItemInput`` or raises ``InvalidInput`` naming
the field, so the API and the importer report the same problems in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from catalog.codes import HANDLING_TYPES, LEVELS, OBJECTS, check_code_matches_kind
from core.errors import InvalidInput
from core.numbers import int_input
from core.regions import validate_region_code

MAX_DAYS = 365
DEFAULT_STEPS = ["申请", "受理", "审查", "决定", "送达"]


@dataclass(frozen=True)
class Material:
    name: str
    copies: int = 1
    original: bool = False  # the original must be shown (核验原件)
    deferrable: bool = False  # 容缺: may be supplied after acceptance


@dataclass(frozen=True)
class Fee:
    name: str
    basis: str
    standard: str


@dataclass(frozen=True)
class ItemInput:
    code: str
    name: str
    kind: str
    department: str
    implementing_body: str
    legal_basis: str
    service_objects: tuple[str, ...]
    materials: tuple[Material, ...]
    statutory_days: int
    promised_days: int
    handling_type: str
    fees: tuple[Fee, ...] = ()
    steps: tuple[str, ...] = tuple(DEFAULT_STEPS)
    online: bool = False
    level: str = "city"
    region_code: str = "220200"
    delegated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        data["service_objects"] = list(self.service_objects)
        data["materials"] = [asdict(m) for m in self.materials]
        data["fees"] = [asdict(f) for f in self.fees]
        data["steps"] = list(self.steps)
        return data


def _bad(field_name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field_name}: {message}", code="invalid_item")


def _text(data: Mapping[str, Any], key: str, *, limit: int = 200, required: bool = True) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(key, "应为文本 (must be text)")
    value = value.strip()
    if required and not value:
        raise _bad(key, "不能为空 (is required)")
    if len(value) > limit:
        raise _bad(key, f"不能超过{limit}字 (at most {limit} characters)")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    """Working days, 0..MAX_DAYS (an int or its text)."""
    return int_input(data.get(key), f"{key} 工作日 (working days)", maximum=MAX_DAYS, code="invalid_item")


def _bool(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes", "是", "y"}:
            return True
        if lowered in {"false", "0", "no", "否", "n", ""}:
            return False
    if not isinstance(value, bool):
        raise _bad(key, "应为是/否 (must be true or false)")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise _bad(key, "应为列表 (must be a list)")
    return value


def _materials(data: Mapping[str, Any]) -> tuple[Material, ...]:
    found: list[Material] = []
    for index, raw in enumerate(_list(data, "materials"), start=1):
        where = f"materials[{index}]"
        if isinstance(raw, str):
            raw = {"name": raw}
        if not isinstance(raw, Mapping):
            raise _bad(where, "应为对象 (must be an object)")
        copies = raw.get("copies", 1)
        if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= 20:
            raise _bad(where + ".copies", "份数应为1-20 (copies must be 1-20)")
        found.append(
            Material(
                name=_text(raw, "name", limit=200),
                copies=copies,
                original=_bool(raw, "original"),
                deferrable=_bool(raw, "deferrable"),
            )
        )
    names = [m.name for m in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _bad("materials", f"材料重复：{'、'.join(duplicates)} (duplicate materials)")
    return tuple(found)


def _fees(data: Mapping[str, Any]) -> tuple[Fee, ...]:
    fees = []
    for index, raw in enumerate(_list(data, "fees"), start=1):
        if not isinstance(raw, Mapping):
            raise _bad(f"fees[{index}]", "应为对象 (must be an object)")
        fees.append(Fee(_text(raw, "name"), _text(raw, "basis", limit=500), _text(raw, "standard")))
    return tuple(fees)


def _objects(data: Mapping[str, Any]) -> tuple[str, ...]:
    raw = data.get("service_objects")
    values = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise _bad("service_objects", "应为 person 和/或 company (person and/or company)")
    cleaned = sorted({str(v).strip() for v in values if str(v).strip()})
    unknown = [v for v in cleaned if v not in OBJECTS]
    if unknown or not cleaned:
        raise _bad("service_objects", f"未知的服务对象 {unknown} (use person, company)")
    return tuple(cleaned)


def parse_item(data: Mapping[str, Any]) -> ItemInput:
    kind = _text(data, "kind", limit=8)
    code = check_code_matches_kind(_text(data, "code", limit=20), kind)
    statutory = _int(data, "statutory_days")
    promised = _int(data, "promised_days")
    handling = _text(data, "handling_type", limit=8)
    if handling not in HANDLING_TYPES:
        raise _bad("handling_type", f"应为{'/'.join(HANDLING_TYPES)}之一 (unknown handling type)")
    if promised > statutory and statutory > 0:
        raise _bad("promised_days", "承诺时限不能超过法定时限 (promised limit exceeds the statutory one)")
    if handling == "即办件" and promised != 0:
        raise _bad("promised_days", "即办件的承诺时限应为0 (an on-the-spot item is promised in 0 days)")
    if handling != "即办件" and promised == 0:
        raise _bad("promised_days", "承诺件、上报件的承诺时限至少1个工作日 (at least 1 working day)")
    level = _text(data, "level", limit=8, required=False) or "city"
    if level not in LEVELS:
        raise _bad("level", f"应为{'/'.join(LEVELS)}之一 (unknown level)")
    region = validate_region_code(_text(data, "region_code", limit=6, required=False) or "220200")
    delegated = _bool(data, "delegated")
    if level == "city" and delegated:
        raise _bad("delegated", "市级事项不能标为下放 (a city-level item is not delegated down)")
    steps = tuple(str(s).strip() for s in _list(data, "steps") if str(s).strip()) or tuple(DEFAULT_STEPS)
    department = _text(data, "department", limit=100)
    return ItemInput(
        code=code,
        name=_text(data, "name"),
        kind=kind,
        department=department,
        implementing_body=_text(data, "implementing_body", limit=100, required=False) or department,
        legal_basis=_text(data, "legal_basis", limit=4000),
        service_objects=_objects(data),
        materials=_materials(data),
        statutory_days=statutory,
        promised_days=promised,
        handling_type=handling,
        fees=_fees(data),
        steps=steps,
        online=_bool(data, "online"),
        level=level,
        region_code=region,
        delegated=delegated,
    )
