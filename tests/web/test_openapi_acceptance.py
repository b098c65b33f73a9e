"""The schema is exactly as strict as the code (#17 point 1): where a service refuses a text for a rule a
keyword can state, the served schema states it, so a request the schema allows is one the service takes
(schemathesis's positive_data_acceptance, tests/web/test_api_schemathesis.py, holds the whole API to it).
Each pattern here is checked against the service function it stands for, both ways, on edge cases."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bidding.inputs import CATEGORIES, LOT_PATTERN
from bidding.opening.keys import parse_file_key
from catalog import codes
from core.accounts import check_username
from core.errors import InvalidInput
from core.regions import validate_region_code
from core.roles import Role
from credit.subjects import SubjectKind, normalise_key
from tests.support.factories import bearer, make_user, seed_regions


def body_of(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The component a JSON request body refers to."""
    ref: str = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    found: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


def param_of(schema: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)
    return found["schema"]


def enums(spec: dict[str, Any]) -> set[Any]:
    """The texts an enum (or a nullable one, or a union of enums and constants) allows."""
    branches = spec.get("oneOf") or spec.get("anyOf") or [spec]
    return {v for b in branches for v in b.get("enum", [b.get("const")]) if v is not None}


async def test_catalog_search_filters_are_typed_and_values_outside_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()

    def param(name: str) -> dict[str, Any]:
        return param_of(schema, "get", "/api/catalog/items", name)

    assert enums(param("kind")) == set(codes.KINDS)
    assert enums(param("level")) == set(codes.LEVELS)
    assert enums(param("object")) == set(codes.OBJECTS)
    assert {b.get("type") for b in param("online")["oneOf"]} == {"boolean", "null"}
    assert param("q")["maxLength"] == 100
    for bad in ({"kind": "行政许可"}, {"level": "province"}, {"object": "alien"}, {"online": "maybe"}):
        answer = await client.get("/api/catalog/items", params=bad)
        assert answer.status_code == 400 and set(answer.json()) >= {"error", "detail"}, bad
    fine = await client.get("/api/catalog/items", params={"online": "false", "level": "city"})
    assert fine.status_code == 200


async def test_closed_vocabularies_and_shared_patterns_are_stated(client) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    # a lot another context names is a lot number as bidding defines it
    assert body_of(schema, "post", "/api/evaluations")["properties"]["lot"]["pattern"] == LOT_PATTERN
    assert body_of(schema, "post", "/api/contracts")["properties"]["lot"]["pattern"] == LOT_PATTERN
    rule = body_of(schema, "put", "/api/notice-review/rules")["properties"]
    assert enums(rule["category"]) == {*CATEGORIES, ""}
    assert param_of(schema, "put", "/api/catalog/holidays/{day}", "day")["format"] == "date"
    assert param_of(schema, "delete", "/api/catalog/holidays/{day}", "day")["format"] == "date"
    application = body_of(schema, "post", "/api/experts/applications")
    assert application["properties"]["password"]["minLength"] == 8


def _accepts(check: Callable[[str], object], text: str) -> bool:
    try:
        check(text)
    except InvalidInput:
        return False
    return True


def _at_least_four(text: str) -> None:  # integrity/service.py decide_flag's rule on a decision's reason
    if len(" ".join(text.split())) < 4:
        raise InvalidInput("short")


def _tender_ref(text: str) -> None:  # experts/service.py draw's rule
    if not 1 <= len(text.strip()) <= 64:
        raise InvalidInput("bad")


def _department(text: str) -> None:  # catalog/service.py add_department's rule
    if not 1 <= len(text.strip()) <= 100:
        raise InvalidInput("bad")


SAMPLES = [
    "", " ", "\t\n", "a", "ab", "abc", " Abc ", "ABC", "a.b", "-ab", "ab-", "a b", "a  b", "ab c", "a b c",
    "abcd", " ab  cd ", "a" * 32, "a" * 33, "a" * 64, "a" * 65, "a" * 66, "a" * 100, "a" * 101,
    "220281", " 220281 ", "22028", "2202811", "22028x",
    "00112233445566778899aabbccddeeff", "00112233445566778899AABBCCDDEEFF", "AAAAAAAAAAAAAAAAAAAAAA",
    "AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAA", "A" * 24,
    "张三丰", "E220200-00001", "x" * 22 + "!",
    "\x1c", "\x1cab\x1c", "\ufeff", "abc\ufeff", "\x85abc", "a\x1cb\x1cc", "\u3000220281",
]  # fmt: skip

# (method, path, field, the service's own check): the field's pattern must accept exactly what it does
PATTERNED = [
    ("post", "/api/experts/applications", "username", check_username),
    ("post", "/api/credit/links", "expert_key", lambda t: normalise_key(SubjectKind.EXPERT, t)),
    ("post", "/api/integrity/tenders/{code}/lots/{lot}/flags/{rule}/decision", "reason", _at_least_four),
    ("post", "/api/experts/draws", "tender_ref", _tender_ref),
    ("post", "/api/catalog/departments", "name", _department),
    ("post", "/api/catalog/departments", "region_code", validate_region_code),
    ("post", "/api/tenders/{code}/lots/{lot}/opening/key", "file_key", parse_file_key),
]


@pytest.mark.parametrize(("method", "path", "field", "check"), PATTERNED, ids=[p[2] for p in PATTERNED])
async def test_a_pattern_accepts_exactly_what_its_service_accepts(  # type: ignore[no-untyped-def]
    client, method: str, path: str, field: str, check: Callable[[str], object]
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    spec = body_of(schema, method, path)["properties"][field]
    pattern = re.compile(spec["pattern"])
    disagree = [
        text
        for text in SAMPLES
        if bool(pattern.search(text) and len(text) >= spec.get("minLength", 0)) != _accepts(check, text)
    ]
    assert not disagree, f"{field}: the schema and the service disagree on {disagree}"


async def test_the_review_rule_states_its_region_and_basis(client, runtime) -> None:  # type: ignore[no-untyped-def]
    """An empty region means every region; a blank legal basis is refused by the service (422) and the
    schema says so, as it says the category's vocabulary (400 from the decoder)."""
    await seed_regions(runtime)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    supervisor = await bearer(client, "sup")
    schema = (await client.get("/schema/openapi.json")).json()
    rule = body_of(schema, "put", "/api/notice-review/rules")["properties"]
    region, basis = re.compile(rule["region_code"]["pattern"]), re.compile(rule["legal_basis"]["pattern"])
    assert region.search("") and region.search("220281") and not region.search("2202")
    assert basis.search("《办法》第5条") and not basis.search("  ")
    base = {"required": True, "legal_basis": "《办法》第5条"}
    blank = await client.put(
        "/api/notice-review/rules", json={**base, "legal_basis": " "}, headers=supervisor
    )
    assert blank.status_code == 422
    unknown = await client.put(
        "/api/notice-review/rules", json={**base, "category": "ships"}, headers=supervisor
    )
    assert unknown.status_code == 400
    fine = await client.put(
        "/api/notice-review/rules", json={**base, "category": "goods"}, headers=supervisor
    )
    assert fine.status_code == 200, fine.text
