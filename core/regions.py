"""Regions: the city and its districts and counties, by six-digit GB/T 2260 code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput, NotFound
from core.models import Region
from core.texts import spaced

_CODE = re.compile(r"^\d{6}$")
# A region code as a request may spell it (validate_region_code strips it first); for the schema.
REGION_CODE_INPUT = spaced(r"[0-9]{6}")


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None = None


# 吉林市 and the districts and counties that joined its platform for remote evaluation.
JILIN_CITY: tuple[RegionSpec, ...] = (
    RegionSpec("220200", "吉林市", "Jilin City", "city"),
    RegionSpec("220202", "昌邑区", "Changyi District", "district", "220200"),
    RegionSpec("220203", "龙潭区", "Longtan District", "district", "220200"),
    RegionSpec("220204", "船营区", "Chuanying District", "district", "220200"),
    RegionSpec("220211", "丰满区", "Fengman District", "district", "220200"),
    RegionSpec("220221", "永吉县", "Yongji County", "county", "220200"),
    RegionSpec("220281", "蛟河市", "Jiaohe City", "county", "220200"),
    RegionSpec("220282", "桦甸市", "Huadian City", "county", "220200"),
    RegionSpec("220283", "舒兰市", "Shulan City", "county", "220200"),
    RegionSpec("220284", "磐石市", "Panshi City", "county", "220200"),
)


def validate_region_code(code: str) -> str:
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput(
            f"行政区划代码应为6位数字：{code!r} (region code must be six digits)", code="bad_region"
        )
    return code


async def upsert_regions(session: AsyncSession, specs: tuple[RegionSpec, ...]) -> int:
    """Insert missing regions (parents first); returns how many were added. Idempotent."""
    added = 0
    for spec in specs:
        validate_region_code(spec.code)
        if await session.get(Region, spec.code) is None:
            session.add(Region(**spec.__dict__))
            await session.flush()
            added += 1
    return added


async def list_regions(session: AsyncSession) -> list[Region]:
    return list(await session.scalars(select(Region).order_by(Region.code)))


async def get_region(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, validate_region_code(code))
    if region is None:
        raise NotFound(f"行政区划 {code} 不存在 (unknown region)", code="unknown_region")
    return region


async def region_names(session: AsyncSession, lang: str) -> dict[str, str]:
    """Each region's name in ``lang`` by code: pages show names, never the 6-digit code."""
    return {r.code: (r.name if lang == "zh" else r.name_en) for r in await list_regions(session)}
