"""The catalog finds what citizens type: words kept as data (catalog/data/synonyms.csv) widen a query, so
营业执照, 餐饮 and 开饭店 find the food-business items and the 我要开餐馆 bundle of the demo catalog."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from catalog.service import SystemActor
from catalog.synonyms import alternatives, synonyms
from catalog.transfer import Parsed, Row, import_catalog
from core.runtime import Runtime
from demo.seeds.catalog import demo_document
from tests.support.factories import seed_regions


def test_the_synonyms_are_data_and_widen_a_word_that_contains_a_term() -> None:
    table = synonyms()
    assert "食品经营许可" in table["开饭店"] and "餐馆" in table["餐饮"]
    assert alternatives("我想开饭店")[0] == "我想开饭店"  # the word itself first
    assert "食品经营许可" in alternatives("我想开饭店")
    assert alternatives("教师资格") == ("教师资格",)  # no term: the word alone


async def demo_catalog(runtime: Runtime) -> None:
    await seed_regions(runtime)
    document = demo_document(220200)
    parsed = Parsed(
        departments={d["name"]: d["region_code"] for d in document["departments"]},
        items=[Row(n, i) for n, i in enumerate(document["items"], start=1)],
        bundles=[Row(n, b) for n, b in enumerate(document["bundles"], start=1)],
    )
    raw = json.dumps(document, ensure_ascii=False).encode()
    async with runtime.transaction() as session:
        await import_catalog(session, runtime, SystemActor("test"), parsed, raw)


@pytest.mark.parametrize("typed", ["营业执照", "餐饮", "开饭店"])
async def test_citizens_words_find_the_food_business_items_and_the_restaurant_bundle(
    runtime: Runtime, client: Any, typed: str
) -> None:
    await demo_catalog(runtime)
    found = (await client.get("/api/catalog/items", params={"q": typed, "limit": 100})).json()
    names = [i["name"] for i in found["items"]]
    assert any(n.startswith("食品经营许可") for n in names), (typed, names)
    page = (await client.get("/catalog", params={"q": typed})).text
    matches = re.search(r'id="bundle-matches">(.*?)</div>', page, re.S)
    assert matches and "我要开餐馆" in matches.group(1), typed
    assert "食品经营许可" in page.split('id="catalog-results"')[1]


async def test_a_word_with_no_synonym_still_searches_as_before(runtime: Runtime, client: Any) -> None:
    await demo_catalog(runtime)
    found = (await client.get("/api/catalog/items", params={"q": "结婚登记"})).json()
    assert found["total"] >= 1 and all("结婚登记" in i["name"] for i in found["items"])
    page = (await client.get("/catalog", params={"q": "结婚登记"})).text
    assert 'id="bundle-matches"' not in page
