"""The demo city's catalog, holidays, a hall-staff login and a few weeks of cases (idempotent).

``demo_document(seed)`` is the catalog as an import document, so the demo goes through the same
validated import as any hall's file; promised limits, online flags and codes come from the seed.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from catalog.cases import NewCase, accept_case, set_holiday
from catalog.codes import KINDS
from catalog.models import Case, Department, Holiday, Item, Staff
from catalog.service import SystemActor, department_by_name
from catalog.transfer import Parsed, Row, import_catalog
from catalog.workdays import official_2026
from core import accounts
from core.regions import JILIN_CITY
from core.runtime import Runtime
from demo.seeds import catalog_data as data

CITY = "220200"
STAFF_USERNAME = "hallstaff"
STAFF_DEPARTMENT = "吉林市市场监督管理局"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"


def _promised(rng: random.Random, statutory: int, handling: str) -> int:
    if handling == "即办件" or statutory == 0:
        return 0
    # Halls promise far below the statutory limit: typically a tenth to a half of it.
    return max(1, round(statutory * rng.uniform(0.1, 0.5)))


def _expand(
    template: data.Template,
    rng: random.Random,
    main: int,
    department: str,
    region: str,
    level: str,
) -> list[dict[str, Any]]:
    name, kind, statutory, handling, objects, basis, materials, fees, subs = template
    variants = subs.split("|") if subs else [""]
    items = []
    for number, variant in enumerate(variants, start=1 if subs else 0):
        days = statutory if variant not in ("注销", "补领") else min(statutory, 5)
        items.append(
            {
                "code": f"{KINDS[kind]}{main:05d}{number:03d}000",
                "name": f"{name}（{variant}）" if variant else name,
                "kind": kind,
                "department": department,
                "implementing_body": department,
                "legal_basis": basis,
                "service_objects": ["person", "company"]
                if objects == "pc"
                else ["person" if objects == "p" else "company"],
                "materials": [
                    {
                        "name": m.rstrip("*"),
                        "deferrable": m.endswith("*"),
                        "original": "证" in m and rng.random() < 0.5,
                    }
                    for m in materials.split("|")
                ],
                "statutory_days": days,
                "promised_days": _promised(rng, days, handling),
                "handling_type": handling,
                "fees": [
                    dict(zip(("name", "basis", "standard"), data.FEES[f], strict=True))
                    for f in fees.split("|")
                    if f
                ],
                "online": rng.random() < 0.82,
                "level": level,
                "region_code": region,
                "delegated": level == "town" or (level == "county" and rng.random() < 0.15),
            }
        )
    return items


def demo_document(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    departments: list[dict[str, str]] = []
    items: list[dict[str, Any]] = []
    mains: dict[str, int] = {}
    by_index: list[list[tuple[int, Any]]] = []
    for name, templates in data.DEPARTMENTS:
        departments.append({"name": name, "region_code": CITY})
        numbered = []
        for template in templates:
            mains[template[1]] = mains.get(template[1], 100) + 1
            numbered.append((mains[template[1]], template))
            items += _expand(template, rng, mains[template[1]], name, CITY, "city")
        by_index.append(numbered)
    for region in JILIN_CITY[1:]:
        for suffix, index, take in data.COUNTY_DEPARTMENTS:
            name = region.name + suffix
            departments.append({"name": name, "region_code": region.code})
            for main, template in by_index[index][:take]:
                items += _expand(template, rng, main, name, region.code, "county")
    for region_code, town in data.TOWNS.items():
        departments.append({"name": town, "region_code": region_code})
        for template in data.TOWN_ITEMS:
            mains[template[1]] = mains.get(template[1], 100) + 1
            items += _expand(template, rng, mains[template[1]], town, region_code, "town")
    names = {i["name"]: i["code"] for i in items if i["region_code"] == CITY}
    bundles = [
        {
            "code": code,
            "name": name,
            "description": text,
            "service_object": obj,
            "items": [names[n] for n in members],
        }
        for code, name, text, obj, members in data.BUNDLES
    ]
    return {"format": "sunbid-catalog/1", "departments": departments, "items": items, "bundles": bundles}


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    added = {"items": 0, "departments": 0, "bundles": 0, "holidays": 0, "cases": 0, "staff": 0}
    actor = SystemActor("demo")
    async with runtime.transaction() as session:
        for day, kind, name in official_2026():
            if await session.get(Holiday, day) is None:
                await set_holiday(session, runtime, day, kind, name, "demo")
                added["holidays"] += 1
        if not await session.scalar(select(func.count()).select_from(Item)):
            document = demo_document(seed)
            raw = json.dumps(document, ensure_ascii=False).encode()
            parsed = Parsed(
                departments={d["name"]: d["region_code"] for d in document["departments"]},
                items=[Row(n, i) for n, i in enumerate(document["items"], start=1)],
                bundles=[Row(n, b) for n, b in enumerate(document["bundles"], start=1)],
            )
            report = await import_catalog(session, runtime, actor, parsed, raw)
            added.update(items=report.created, departments=report.departments, bundles=report.bundles)
    added["staff"] = await _seed_staff(runtime)
    added["cases"] = await _seed_cases(runtime, seed)
    return added


async def _seed_staff(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        user = await accounts.find_user(session, STAFF_USERNAME)  # seeded by demo/seeds/core.py
        department = await department_by_name(session, STAFF_DEPARTMENT)
        if user is None or department is None or await session.get(Staff, user.id) is not None:
            return 0
        session.add(Staff(user_id=user.id, department_id=department.id))
        return 1


async def _seed_cases(runtime: Runtime, seed: int, count: int = 160) -> int:
    """A few weeks of cases: finished ones (mostly on time, rated), open ones nearing or past due."""
    rng = random.Random(seed + 1)
    actor = SystemActor("demo")
    now = runtime.clock.now()
    async with runtime.transaction() as session:
        if await session.scalar(select(func.count()).select_from(Case)):
            return 0
        city = await session.scalars(
            select(Item.id)
            .join(Department, Department.id == Item.department_id)
            .where(Item.region_code == CITY, Item.promised_days > 0)
            .order_by(Item.id)
        )
        item_ids = list(city)
        for _ in range(count):
            accepted = now - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 8))
            name = (
                rng.choice(SURNAMES) + rng.choice("晓建秀志海丽国春明玉") + rng.choice("华林军英芳敏强静杰")
            )
            case = await accept_case(
                session, runtime, actor, NewCase(rng.choice(item_ids), name, accepted_at=accepted)
            )
            if case.deadline_at < now or rng.random() < 0.6:
                late = rng.random() < 0.08
                span = case.deadline_at - case.accepted_at
                finished = case.accepted_at + span * (
                    rng.uniform(1.05, 1.4) if late else rng.uniform(0.2, 0.95)
                )
                if finished < now:
                    case.state, case.finished_at = ("returned" if rng.random() < 0.05 else "done"), finished
                    case.note = "材料不齐全，申请人撤回" if case.state == "returned" else ""
                    if rng.random() < 0.7:
                        bad = rng.random() < (0.3 if late else 0.03)
                        case.rating = "bad" if bad else "good"
                        case.rating_reason = "办理超时，等待时间长" if bad else None
                        case.rated_at = finished + timedelta(hours=2)
                    continue
            case.state = "processing" if rng.random() < 0.7 else "accepted"
        await session.flush()
    return count
