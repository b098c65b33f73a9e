"""Import and export of the whole catalog as JSON or CSV, all-or-nothing.

JSON: one object ``{"format", "departments", "items", "bundles"}``, written one item per line so a
problem can be reported by line. CSV: one row per item (lists as JSON cells); bundles go to a
sibling ``<name>.bundles.csv``. An import first validates every row, reporting each bad one with
its line; only a clean file is written, in one transaction, as creates and new versions.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.bundling import bundle_json, list_bundles, save_bundle
from catalog.events import CATALOG_IMPORTED
from catalog.items import ItemInput, parse_item
from catalog.models import Department, Item
from catalog.service import (
    VERSIONED_FIELDS,
    CatalogActor,
    apply_input,
    check_department_access,
    record_version,
    snapshot,
)
from catalog.views import ItemBody, ServiceObject
from core.errors import DomainError, InvalidInput
from core.models import Region
from core.runtime import Runtime

FORMAT = "sunbid-catalog/1"
CSV_FIELDS = [
    "code", "name", "kind", "department", "department_region", "implementing_body", "legal_basis",
    "service_objects", "statutory_days", "promised_days", "handling_type", "online", "level",
    "region_code", "delegated", "materials", "fees", "steps",
]  # fmt: skip
BUNDLE_FIELDS = ["code", "name", "description", "service_object", "items"]
MAX_REPORTED = 20


@dataclass
class Row:
    line: int
    data: dict[str, Any]


@dataclass
class Parsed:
    departments: dict[str, str] = field(default_factory=dict)  # name -> region
    items: list[Row] = field(default_factory=list)
    bundles: list[Row] = field(default_factory=list)


# ---- reading ---------------------------------------------------------------------------------


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int, chars: str = " \t\r\n") -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _array(decoder: json.JSONDecoder, text: str, pos: int) -> tuple[list[Row], int]:
    """Decode a JSON array element by element, remembering the line each element starts on."""
    rows: list[Row] = []
    pos = _skip(text, pos + 1)
    while text[pos] != "]":
        value, end = decoder.raw_decode(text, pos)
        rows.append(Row(_line(text, pos), value))
        pos = _skip(text, end)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
    return rows, pos + 1


def read_json(text: str) -> Parsed:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"第{exc.lineno}行：JSON 格式错误 (line {exc.lineno}: {exc.msg})", code="bad_file"
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise InvalidInput(
            "JSON 应为含 items 列表的对象 (expected an object with an items list)", code="bad_file"
        )
    parsed = Parsed()
    decoder = json.JSONDecoder()
    pos = _skip(text, _skip(text, 0) + 1)  # just past the opening brace
    while text[pos] != "}":  # walk the top-level keys so array elements keep their lines
        key, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, _skip(text, pos) + 1)
        if key in ("items", "bundles") and text[pos] == "[":
            rows, pos = _array(decoder, text, pos)
            setattr(parsed, key, rows)
        else:
            _, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, _skip(text, pos), " \t\r\n,")
    for dept in document.get("departments") or []:
        if isinstance(dept, dict) and isinstance(dept.get("name"), str):
            parsed.departments[dept["name"].strip()] = str(dept.get("region_code") or "")
    return parsed


def _cell_list(row: dict[str, Any], key: str, line: int) -> None:
    value = (row.get(key) or "").strip()
    try:
        row[key] = json.loads(value) if value else []
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"第{line}行 {key}: 应为JSON列表 (must be a JSON list)", code="bad_file") from exc


def read_csv(text: str, bundles_text: str | None = None) -> Parsed:
    parsed = Parsed()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [f for f in ("code", "name", "kind", "department") if f not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"CSV 缺少列 (missing columns): {', '.join(missing)}", code="bad_file")
    start = 2
    for row in reader:
        line = start
        start = reader.line_num + 1
        for key in ("materials", "fees", "steps"):
            _cell_list(row, key, line)
        if row.get("department") and row.get("department_region"):
            parsed.departments[row["department"].strip()] = row["department_region"].strip()
        parsed.items.append(Row(line, dict(row)))
    if bundles_text:
        reader = csv.DictReader(io.StringIO(bundles_text.lstrip("\ufeff")))
        for number, row in enumerate(reader, start=2):
            row["items"] = [r.strip() for r in (row.get("items") or "").split(";") if r.strip()]
            parsed.bundles.append(Row(number, dict(row)))
    return parsed


# ---- importing -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    departments: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bundles: int = 0
    sha256: str = ""


def _validate(parsed: Parsed, known_departments: set[str], regions: set[str]) -> list[tuple[Row, ItemInput]]:
    errors: list[str] = []
    valid: list[tuple[Row, ItemInput]] = []
    seen: dict[tuple[str, str], int] = {}
    for name, region in parsed.departments.items():
        if name not in known_departments and region not in regions:
            errors.append(f"部门 {name}: 行政区划 {region!r} 不存在 (unknown region)")
    for row in parsed.items:
        if not isinstance(row.data, dict):
            errors.append(f"第{row.line}行 (line {row.line}): 事项应为对象 (an item must be an object)")
            continue
        try:
            item = parse_item(row.data)
        except DomainError as exc:
            errors.append(f"第{row.line}行 (line {row.line}): {exc.detail}")
            continue
        if item.department not in known_departments and item.department not in parsed.departments:
            errors.append(f"第{row.line}行 (line {row.line}): department: 未知部门 {item.department}")
        if item.region_code not in regions:
            errors.append(f"第{row.line}行 (line {row.line}): region_code: 未知行政区划 {item.region_code}")
        key = (item.code, item.region_code)
        if key in seen:
            errors.append(
                f"第{row.line}行 (line {row.line}): 编码 {item.code} 与第{seen[key]}行重复 (duplicate)"
            )
        seen[key] = row.line
        valid.append((row, item))
    if errors:
        shown = errors[:MAX_REPORTED]
        more = f"；另有{len(errors) - len(shown)}处错误" if len(errors) > len(shown) else ""
        raise InvalidInput(
            "导入失败，未写入任何数据 (nothing imported): " + "；".join(shown) + more, code="import_failed"
        )
    return valid


async def import_catalog(
    session: AsyncSession, runtime: Runtime, actor: CatalogActor, parsed: Parsed, raw: bytes
) -> ImportReport:
    """Validate everything, then write; the caller's transaction makes it all-or-nothing."""
    report = ImportReport(sha256=hashlib.sha256(raw).hexdigest())
    departments = {d.name: d for d in await session.scalars(select(Department))}
    regions = set(await session.scalars(select(Region.code)))
    valid = _validate(parsed, set(departments), regions)
    for name, region in parsed.departments.items():
        if name not in departments:
            departments[name] = Department(name=name, region_code=region)
            session.add(departments[name])
            report.departments += 1
    await session.flush()
    for name in {item.department for _, item in valid}:
        await check_department_access(session, actor, departments[name].id)
    existing = {(i.code, i.region_code): i for i in await session.scalars(select(Item))}
    now = runtime.clock.now()
    for _, data in valid:
        item = existing.get((data.code, data.region_code))
        if item is None:
            item = Item(version=1, updated_at=now)
            apply_input(item, data, departments[data.department])
            session.add(item)
            await session.flush()
            await record_version(session, item, list(VERSIONED_FIELDS), actor.actor, runtime)
            report.created += 1
            continue
        before = snapshot(item)
        apply_input(item, data, departments[data.department])
        changed = [k for k, v in snapshot(item).items() if before[k] != v]
        if changed:
            item.version += 1
            item.updated_at = now
            await record_version(session, item, changed, actor.actor, runtime)
            report.updated += 1
        else:
            report.unchanged += 1
    for row in parsed.bundles:
        try:
            if not isinstance(row.data, dict):
                raise InvalidInput("一件事应为对象 (a bundle must be an object)")
            await save_bundle(session, runtime, row.data, actor.actor)
        except DomainError as exc:
            raise InvalidInput(
                f"导入失败，未写入任何数据：一件事第{row.line}行 (bundle line {row.line}): {exc.detail}",
                code="import_failed",
            ) from exc
        report.bundles += 1
    await runtime.audit.append(
        session, CATALOG_IMPORTED, actor=actor.actor, data=report.__dict__ | {"items": len(valid)}
    )
    return report


# ---- exporting -------------------------------------------------------------------------------


async def _export_rows(
    session: AsyncSession,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    departments = {d.id: d for d in await session.scalars(select(Department).order_by(Department.id))}
    items = []
    for item in await session.scalars(select(Item).order_by(Item.code, Item.region_code)):
        data = {key: getattr(item, key) for key in VERSIONED_FIELDS}
        data["service_objects"] = item.service_objects.split(",")
        data["department"] = departments[item.department_id].name
        items.append(data)
    bundles = []
    for bundle in await list_bundles(session):
        full = await bundle_json(session, bundle)
        bundles.append(
            {
                "code": bundle.code,
                "name": bundle.name,
                "description": bundle.description,
                "service_object": bundle.service_object,
                "items": [i["ref"] for i in full["items"]],
            }
        )
    depts = [{"name": d.name, "region_code": d.region_code} for d in departments.values()]
    return depts, items, bundles


def _lines(rows: list[dict[str, Any]]) -> str:
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]"


class DepartmentRow(msgspec.Struct, kw_only=True):
    name: str
    region_code: str


class BundleRow(msgspec.Struct, kw_only=True):
    code: str
    name: str
    description: str
    service_object: ServiceObject
    items: Annotated[list[str], msgspec.Meta(description="item codes (city) or code@region")]


class CatalogDocument(msgspec.Struct, kw_only=True):
    """The whole catalog as exported and imported (``format`` sunbid-catalog/1); each item is written
    with exactly the fields POST /api/catalog/items takes (``ItemBody``)."""

    format: Literal["sunbid-catalog/1"]
    departments: list[DepartmentRow]
    items: list[ItemBody]
    bundles: list[BundleRow]


async def export_json(session: AsyncSession) -> str:
    depts, items, bundles = await _export_rows(session)
    return (
        f'{{"format": "{FORMAT}",\n"departments": {_lines(depts)},\n'
        f'"items": {_lines(items)},\n"bundles": {_lines(bundles)}\n}}\n'
    )


def _csv(fields: list[str], rows: Iterator[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def export_csv(session: AsyncSession) -> tuple[str, str]:
    """The items CSV and the bundles CSV."""
    depts, items, bundles = await _export_rows(session)
    regions = {d["name"]: d["region_code"] for d in depts}

    def item_rows() -> Iterator[dict[str, Any]]:
        for item in items:
            row = dict(item)
            row["department_region"] = regions[item["department"]]
            row["service_objects"] = ",".join(item["service_objects"])
            row["online"] = str(item["online"]).lower()
            row["delegated"] = str(item["delegated"]).lower()
            for key in ("materials", "fees", "steps"):
                row[key] = json.dumps(item[key], ensure_ascii=False)
            yield row

    bundle_rows = ({**b, "items": ";".join(b["items"])} for b in bundles)
    return _csv(CSV_FIELDS, item_rows()), _csv(BUNDLE_FIELDS, bundle_rows)
