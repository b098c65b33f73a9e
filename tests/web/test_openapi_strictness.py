"""The served schema is exactly as strict as the code (issue #17, point 1): every constraint msgspec's
decoder enforces on a request body — inside list items, on optional values, bounds of zero — is in
/schema/openapi.json, so no schema-valid body is refused with 400 for a reason the schema could state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from core.errors import InvalidInput
from web.error_docs import CONSTRAINTS, struct_components, struct_schema

# Request bodies that are not msgspec Structs (their decoder is not msgspec's): the multipart upload.
NOT_STRUCTS = {"DocumentUpload"}
REF = re.compile(r'"#/components/schemas/([^"]+)"')


def constraints(
    node: Any, defs: dict[str, Any], path: str = "", out: set[tuple[str, str, str]] | None = None
) -> set[tuple[str, str, str]]:
    """(where, keyword, value) of every constraint in a schema, following properties, items, unions
    (where a branch sits does not count) and references to a value's definition (an enum); another
    object it refers to is checked as its own component."""
    out = set() if out is None else out
    if isinstance(node, dict) and "$ref" in node:
        target = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        node = {} if "properties" in target else target
    if not isinstance(node, dict):
        return out
    for key in CONSTRAINTS:
        if key in node:
            value = node[key]
            if key == "enum":  # in any order; a single-value enum and a const say the same
                value = sorted((v for v in value if v is not None), key=str)  # null: a union's other branch
                key, value = ("const", value[0]) if len(value) == 1 else (key, value)
            out.add((path, key, json.dumps(value, sort_keys=True)))
    for name, sub in (node.get("properties") or {}).items():
        constraints(sub, defs, f"{path}.{name}", out)
    if isinstance(node.get("items"), dict):
        constraints(node["items"], defs, f"{path}[]", out)
    for branch in [*node.get("anyOf", []), *node.get("oneOf", []), *node.get("allOf", [])]:
        constraints(branch, defs, path, out)
    return out


def request_components(schema: dict[str, Any]) -> set[str]:
    """Every component a request body refers to, directly or through other components."""
    components = schema["components"]["schemas"]
    todo = [
        name
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "requestBody" in op
        for name in REF.findall(json.dumps(op["requestBody"]))
    ]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen and name in components:
            seen.add(name)
            todo.extend(REF.findall(json.dumps(components[name])))
    return seen


async def test_every_request_body_states_every_constraint_its_struct_enforces(client) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    components = schema["components"]["schemas"]
    bodies = request_components(schema)
    structs = {id(component): cls for component, cls in struct_components(schema)}
    assert len(bodies) > 30
    unchecked, dropped = [], []
    for name in sorted(bodies):
        component = components[name]
        if "properties" not in component or name in NOT_STRUCTS:
            continue  # an enum or a non-Struct upload
        cls = structs.get(id(component))
        own = struct_schema(cls) if cls else None
        if cls is None or own is None:
            unchecked.append(name)
            continue
        missing = constraints(own, msgspec.json.schema(cls).get("$defs", {})) - constraints(
            component, components
        )
        dropped += [f"{name}{where}: {key}={value}" for where, key, value in sorted(missing)]
    assert unchecked == [], f"request bodies not matched to one msgspec Struct: {unchecked}"
    assert dropped == [], "constraints the code enforces but the schema drops:\n" + "\n".join(dropped)


async def test_the_schema_refuses_what_the_decoder_refused_before(client) -> None:  # type: ignore[no-untyped-def]
    """The cases the review found: a list item's pattern, an optional code, a bound of zero."""
    schema = (await client.get("/schema/openapi.json")).json()

    def valid(component: str, body: dict[str, Any]) -> bool:
        validator = Draft202012Validator({"$ref": f"#/components/schemas/{component}", **schema})
        return validator.is_valid(body)

    draw: dict[str, Any] = {
        "tender_ref": "T",
        "tenderer_code": "91220201MA0Y3B5X2R",
        "tenderer_county": "220202",
    }
    draw |= {"evaluation_date": "2026-09-01", "slots": [{"specialty": "A0101", "experts": 1}]}
    assert valid("DrawBody", draw), "the base body is valid"
    assert not valid("DrawBody", draw | {"bidder_codes": ["x"]})
    assert not valid("DrawBody", draw | {"agent_code": "x"})
    assert not valid("DrawBody", draw | {"counties_allowed": ["22020"]})
    assert not valid("DrawBody", draw | {"max_recent_for_tenderer": -1})
    assert valid("DrawBody", draw | {"max_recent_for_tenderer": 0, "agent_code": None})
    assert valid("RulesInput", {"min_notice_days": 0}), "zero is the last allowed"
    assert not valid("RulesInput", {"min_notice_days": -1}), "minus one is the first refused"


async def test_every_answer_the_downloads_and_the_release_feed_give_is_declared(client) -> None:  # type: ignore[no-untyped-def]
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    releases = paths["/api/ocds/releases"]["get"]["responses"]
    assert "204" in releases and "content" not in releases["204"], "nothing new yet: 204 without a body"
    binary = {"type": "string", "format": "binary"}
    tender_doc = paths["/api/tenders/{code}/documents/{document_id}"]["get"]["responses"]["200"]["content"]
    assert tender_doc == {"application/octet-stream": {"schema": binary}}
    evidence = paths["/api/credit/deductions/{deduction_id}/documents/{document_id}"]["get"]["responses"][
        "200"
    ]
    assert evidence["content"] == {"*/*": {"schema": binary}}, "served as the type it was uploaded with"


def _schema_of(alias: Any) -> dict[str, Any]:
    if isinstance(alias, dict):
        return alias
    Probe = msgspec.defstruct("Probe", [("value", alias)])
    found: dict[str, Any] = msgspec.json.schema(Probe)["$defs"]["Probe"]["properties"]["value"]
    return found


def _parsers() -> list[tuple[str, Any, Callable[[Any], object], list[str]]]:
    """(name, alias, the parser the service runs, texts the parser refuses) per pattern stated for the
    schema only: the schema refuses each of those texts, and every text it allows the parser accepts."""
    from bidding import criteria
    from core import numbers, texts
    from credit import rules

    def points(positive: bool) -> Callable[[Any], object]:
        return lambda v: criteria._decimal("x", v, positive=positive)

    def coefficient(value: Any) -> object:
        assert criteria._decimal("x", value, positive=False) < 1
        return value

    return [
        (
            "money",
            texts.MoneyDecimal,
            lambda v: numbers.money_input(v, "x"),
            ["-1", "1.234", "1" * 17],
        ),
        (
            "credit index",
            texts.CreditIndexDecimal,
            lambda v: numbers.decimal_input(v, "x", numbers.CREDIT_INDEX),
            ["100.01", "-0.5", "1.001", "101"],
        ),
        (
            "rule points",
            {"pattern": rules.RULE_POINTS_PATTERN},
            rules.check_points,
            ["0", "0.0", "100.1", "0.05", "1.25"],
        ),
        ("points", criteria.PointsText, points(False), ["100.0001", "-1", "0.00001", "101"]),
        ("positive points", criteria.PositivePointsText, points(True), ["0", "0.0000", "100.5", "0.00001"]),
        ("coefficient", criteria.CoefficientText, coefficient, ["1", "1.0", "-0.1", "0.00001"]),
        (
            "form bound",
            criteria.FormBoundText,
            lambda v: numbers.decimal_input(v, "x", criteria.FORM_DECIMAL),
            ["-1", "1.0000001", "1" * 17],
        ),
    ]


@pytest.mark.parametrize("name", [p[0] for p in _parsers()])
def test_a_number_the_schema_allows_is_one_the_service_accepts(name: str) -> None:
    [(_, alias, parse, refused)] = [p for p in _parsers() if p[0] == name]
    schema = _schema_of(alias)
    pattern = re.compile(schema["pattern"])
    for text in refused:  # refused by the parser (at its boundary): refused by the schema too
        with pytest.raises((InvalidInput, AssertionError, ValueError)):
            parse(text)
        assert not pattern.search(text), text

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(pattern, fullmatch=True))
    def accepted(text: str) -> None:
        parse(text)

    accepted()
    if "minimum" in schema:  # the whole numbers it allows, at both ends
        for number in (schema["minimum"], schema.get("maximum", 10**15)):
            parse(number)
