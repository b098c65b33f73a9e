"""The demo catalog: realistic scale, valid throughout, and seeding twice adds nothing."""

from __future__ import annotations

from catalog.items import parse_item
from catalog.pinyin import initials
from core.runtime import Runtime
from demo.seeds import catalog as catalog_demo
from tests.support.factories import seed_regions


def test_demo_document_is_deterministic_valid_and_large_enough() -> None:
    document = catalog_demo.demo_document(220200)
    assert document == catalog_demo.demo_document(220200)
    items = [parse_item(raw) for raw in document["items"]]  # every demo item passes validation
    assert len(items) >= 300 and len({i.department for i in items}) >= 20
    assert {i.level for i in items} == {"city", "county", "town"}
    assert len({i.kind for i in items}) == 10
    assert len({(i.code, i.region_code) for i in items}) == len(items)
    names = {i.name for i in items}
    assert {"食品经营许可（新办）", "建设工程规划许可证核发（新办）", "结婚登记"} <= names
    assert all(initials(i.name) for i in items)  # every name has pinyin initials for search
    assert len(document["bundles"]) >= 3


async def test_seeding_twice_adds_nothing(runtime: Runtime) -> None:
    await seed_regions(runtime)
    first = await catalog_demo.seed(runtime, 220200)
    assert first["items"] >= 300 and first["bundles"] >= 3 and first["holidays"] == 39 and first["cases"] > 0
    second = await catalog_demo.seed(runtime, 220200)
    assert set(second.values()) == {0}
