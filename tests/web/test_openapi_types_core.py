"""The served /schema/openapi.json states what core, catalog, credit and open data answer (issue #17):
every operation is described and has a typed success body, and real answers validate against it."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import pytest
from jsonschema import Draft202012Validator

from catalog import codes, views
from core.credit_code import CREDIT_CODE_PATTERN, make_credit_code
from core.roles import Role
from core.runtime import Runtime
from experts import idcard
from guarantees import rules
from tests.support.factories import bearer, make_user, seed_regions

PREFIXES = (
    "/api/auth",
    "/api/users",
    "/api/organisations",
    "/api/regions",
    "/api/audit",
    "/api/admin",
    "/api/catalog",
    "/api/credit",
    "/api/ocds",
    "/api/feed",
    "/api/statistics",
    "/healthz",
)
METHODS = {"get", "post", "put", "delete", "patch"}


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in schema["paths"].items()
        if path.startswith(PREFIXES)
        for method, op in item.items()
        if method in METHODS
    ]


def untyped(body: dict[str, Any]) -> bool:
    """An object of anything, or a string where JSON was promised."""
    if body.get("type") == "array":
        return untyped(body.get("items", {}))
    return (body.get("type") == "object" and "properties" not in body) or body == {}


async def test_every_operation_is_described_and_answers_a_typed_body(client) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    found = operations(schema)
    assert len(found) >= 80  # core 17, admin 15, catalog 26, credit 19, open data 4, health 1
    problems = []
    for method, path, op in found:
        if not op.get("summary") or not op.get("description"):
            problems.append(f"{method} {path}: no summary or description")
        for status, answer in op["responses"].items():
            if not status.startswith("2"):
                continue
            for media_type, content in (answer.get("content") or {}).items():
                body = content.get("schema", {})
                if media_type.startswith("application/json"):
                    if body.get("type") == "string" or ("$ref" not in body and untyped(body)):
                        problems.append(f"{method} {path}: {status} answers an untyped {body}")
    assert not problems, "\n".join(problems)


async def test_downloads_declare_their_content_types(client) -> None:  # type: ignore[no-untyped-def]
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    def types_of(path: str) -> set[str]:
        return set(paths[path]["get"]["responses"]["200"]["content"])

    assert {"application/json", "text/csv; charset=utf-8"} <= types_of("/api/statistics")
    assert {"application/json", "text/csv; charset=utf-8"} <= types_of("/api/catalog/export")
    assert types_of("/api/credit/export") == {"application/x-ndjson"}
    assert types_of("/api/credit/subjects/{kind}/{key}/history.svg") == {"image/svg+xml"}
    # the OCDS package and the statistics are objects, not the strings our own encoder writes
    release = paths["/api/ocds/releases"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "$ref" in release and "ReleasePackage" in release["$ref"]
    stats = paths["/api/statistics"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "TradingStatistics" in stats["$ref"]


def test_catalog_body_vocabularies_are_the_catalogs_own() -> None:
    """The enums the item body's schema states are the closed vocabularies catalog/codes.py checks."""
    assert get_args(views.Kind) == tuple(codes.KINDS)
    assert re.fullmatch(r"\^\((.*)\)\\d\{11\}\$", views.ITEM_CODE)
    assert set(views.ITEM_CODE[2:31].split("|")) == set(codes.KINDS.values())
    assert get_args(views.HandlingType) == codes.HANDLING_TYPES
    assert get_args(views.Level) == codes.LEVELS
    assert get_args(views.ServiceObject) == codes.OBJECTS


def check(schema: dict[str, Any], method: str, path: str, status: int, answer: Any) -> None:
    """``answer`` (the decoded body) is valid under the operation's documented ``status`` body."""
    body = schema["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**body, "components": schema["components"]})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(answer)]
    assert not errors, f"{method} {path}: " + "; ".join(errors)


@pytest.fixture
async def seeded(runtime: Runtime, client) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    await seed_regions(runtime)
    await make_user(runtime, "root", Role.ADMIN)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    await make_user(runtime, "ivy", Role.BIDDER)
    return {name: await bearer(client, name) for name in ("root", "sup", "ivy")}


async def test_real_answers_validate_against_the_schema(client, seeded) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    root, sup, ivy = seeded["root"], seeded["sup"], seeded["ivy"]

    async def call(method: str, path: str, url: str, status: int, headers: Any = None, **kw: Any) -> Any:
        answer = await client.request(method.upper(), url, headers=headers, **kw)
        assert answer.status_code == status, (url, answer.text)
        check(schema, method, path, status, answer.json())
        return answer.json()

    org = {
        "credit_code": make_credit_code("9", "1", "220281", "12345678X"),
        "name": "蛟河市测试建设有限公司",
        "kind": "bidder",
        "legal_representative": "韩某",
        "region_code": "220281",
    }
    made = await call("post", "/api/organisations", "/api/organisations", 201, ivy, json=org)
    await call("get", "/api/organisations/{org_id}", f"/api/organisations/{made['id']}", 200)
    await call("get", "/api/organisations", "/api/organisations?kind=bidder", 200)
    await call("get", "/api/regions", "/api/regions", 200)
    await call("get", "/api/auth/me", "/api/auth/me", 200, ivy)
    await call("get", "/api/auth/tokens", "/api/auth/tokens", 200, ivy)
    await call("get", "/api/users", "/api/users", 200, sup)
    await call("get", "/api/audit/checkpoint", "/api/audit/checkpoint", 200)
    entries = await call("get", "/api/audit/entries", "/api/audit/entries", 200)
    assert entries
    await call("get", "/api/audit/entries/{position}/proof", "/api/audit/entries/0/proof", 200)
    await call("get", "/api/audit/consistency", f"/api/audit/consistency?old=1&new={len(entries)}", 200)
    new_user = {"username": "newbie", "display_name": "New", "roles": ["bidder"]}
    created = await call("post", "/api/admin/users", "/api/admin/users", 201, root, json=new_user)
    assert created["password"]  # generated, shown once
    await call("get", "/api/admin/users", "/api/admin/users", 200, root)
    await call("get", "/api/admin/users/{user_id}", f"/api/admin/users/{created['id']}", 200, root)
    org_path = f"/api/admin/organisations/{made['id']}"
    await call("get", "/api/admin/organisations/{org_id}", org_path, 200, root)
    await call("get", "/api/admin/lockouts", "/api/admin/lockouts", 200, root)
    await call("get", "/api/credit/rules", "/api/credit/rules", 200)
    await call("get", "/api/credit/rankings", "/api/credit/rankings", 200)
    await call("get", "/api/credit/deductions", "/api/credit/deductions", 200, sup)
    code = org["credit_code"]
    await call("get", "/api/credit/subjects/{kind}/{key}", f"/api/credit/subjects/bidder/{code}", 200)
    await call("get", "/api/catalog/departments", "/api/catalog/departments", 200)
    await call("get", "/api/catalog/items", "/api/catalog/items", 200)
    await call("get", "/api/catalog/holidays", "/api/catalog/holidays", 200)
    await call("get", "/api/catalog/settings", "/api/catalog/settings", 200, sup)
    await call("get", "/api/catalog/export", "/api/catalog/export", 200)
    await call("get", "/api/catalog/stats", "/api/catalog/stats", 200)
    await call("get", "/api/catalog/bundles", "/api/catalog/bundles", 200)
    await call("get", "/api/catalog/board", "/api/catalog/board", 200, sup)
    await call("get", "/api/statistics", "/api/statistics", 200)
    await call("get", "/api/feed", "/api/feed", 200)
    await call("get", "/healthz", "/healthz", 200)


async def test_bodies_state_what_the_code_checks(client) -> None:  # type: ignore[no-untyped-def]
    """Patterns, enums and nested documents are in the schema, not only in the validators (#17)."""
    schema = (await client.get("/schema/openapi.json")).json()
    components, paths = schema["components"]["schemas"], schema["paths"]

    def prop(component: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = components[component]["properties"][name]
        return found

    for component in ("ExpertInput", "Application"):
        assert prop(component, "id_number")["pattern"] == idcard.ID_NUMBER_PATTERN
        assert prop(component, "phone")["pattern"] == idcard.PHONE_PATTERN
        assert prop(component, "employer_code")["pattern"] == CREDIT_CODE_PATTERN
    assert prop("DrawBody", "tenderer_code")["pattern"] == CREDIT_CODE_PATTERN
    # tender criteria and bid-form fields are documents with their own shapes, not free objects
    assert "Criteria" in json.dumps(prop("NewTender", "criteria"))
    assert "FormField" in json.dumps(prop("NewTender", "form_fields"))
    assert set(prop("ScoredCriterion", "group")["enum"]) == {"technical", "commercial", "price"}
    assert prop("ItemBody", "kind")["enum"] == list(codes.KINDS)
    assert prop("BundleBody", "items")["minItems"] == 2
    # one rule body: the credit service's own RuleInput
    rule_body = paths["/api/credit/rules"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert rule_body["$ref"].endswith("/RuleInput") and prop("RuleInput", "validity_days")["maximum"] == 3650
    # the raw imports declare their bodies
    catalog_import = paths["/api/catalog/import"]["post"]["requestBody"]["content"]
    assert catalog_import["application/json"]["schema"]["$ref"] == "#/components/schemas/CatalogDocument"
    assert "CatalogDocument" in components
    credit_import = paths["/api/credit/import"]["post"]["requestBody"]
    assert set(credit_import["content"]) == {"application/x-ndjson"} and "uid" in credit_import["description"]


async def test_the_newer_contexts_bodies_state_their_bounds(client) -> None:  # type: ignore[no-untyped-def]
    """Guarantees, contracts and disputes (#18/#19): the schema states the limits their services check,
    so a client refuses what the server would refuse before sending it (#17 point 1)."""
    schema = (await client.get("/schema/openapi.json")).json()
    components, paths = schema["components"]["schemas"], schema["paths"]

    def prop(component: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = components[component]["properties"][name]
        return found

    def bounds(component: str, name: str) -> tuple[int | None, int | None]:
        return prop(component, name).get("minLength"), prop(component, name).get("maxLength")

    def body(path: str) -> str:  # the component a POST's JSON body refers to (names may be qualified)
        ref: str = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return ref.rsplit("/", 1)[1]

    decision, acceptance = (
        body("/api/complaints/{complaint_id}/decision"),
        body("/api/complaints/{complaint_id}/acceptance"),
    )
    assert set(prop("FileClaim", "reason")["enum"]) == set(rules.CLAIM_REASONS)
    for component, name in (("FileClaim", "detail"), ("AnswerClaim", "answer"), ("FileObjection", "reason"),
                            ("AnswerObjection", "answer"), ("AskQuestion", "question"),
                            ("QuestionAnswer", "answer")):  # fmt: skip
        assert bounds(component, name) == (1, 2000), (component, name)
    for component, name in (("FileComplaint", "request"), ("FileComplaint", "grounds"),
                            (decision, "reasons"), ("RefuseContract", "reason")):  # fmt: skip
        assert bounds(component, name) == (1, 4000), (component, name)
    for component, name in (("Draft", "terms"), ("MilestoneIn", "description"), ("PerformanceIn", "comment"),
                            (acceptance, "reason")):  # fmt: skip
        assert bounds(component, name) == (None, 4000), (component, name)
    assert bounds("MilestoneIn", "title") == (1, 200)
    assert bounds("NewDeposit", "payer_account") == (4, 64)
    assert prop("NewDeposit", "bidder")["pattern"] == CREDIT_CODE_PATTERN
    assert re.fullmatch(prop("NewDeposit", "amount")["pattern"], "200000.00")
    signature = prop("SignContract", "signature")["pattern"]
    assert re.fullmatch(signature, "A" * 86 + "==") and not re.search(signature, "x")
    upload = paths["/api/complaints/{complaint_id}/documents"]["post"]["parameters"]
    name = next(p for p in upload if p["name"] == "name")
    assert name["schema"]["maxLength"] == 120  # as disputes/complaints.py cuts it


def _untyped_anywhere(body: dict[str, Any]) -> bool:
    """``untyped`` through nullable unions: an object of anything is untyped in any branch."""
    if "$ref" in body:
        return False
    branches = body.get("oneOf") or body.get("anyOf")
    if branches:
        return any(_untyped_anywhere(b) for b in branches)
    if body.get("type") == "array":
        return _untyped_anywhere(body.get("items", {}))
    return (
        body.get("type") == "object" and not body.get("properties") and not body.get("additionalProperties")
    )


PAGING = {"limit", "offset", "after", "page", "per_page", "page_size", "size", "days"}


async def test_no_operation_anywhere_takes_or_answers_an_untyped_body_or_a_number_for_a_page(client) -> None:  # type: ignore[no-untyped-def]
    """Over the whole API (not only this file's prefixes): every request body and 2xx body is typed, and
    every paging parameter is an integer with integer bounds (a number would let a client send 2.5)."""
    schema = (await client.get("/schema/openapi.json")).json()
    problems = []
    count = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            count += 1
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                if _untyped_anywhere(content.get("schema", {})):
                    problems.append(f"{method} {path}: request {media} is an untyped object")
            for status, answer in op.get("responses", {}).items():
                for media, content in (answer.get("content") or {}).items():
                    if status.startswith("2") and _untyped_anywhere(content.get("schema", {})):
                        problems.append(f"{method} {path}: {status} {media} is an untyped object")
            for param in op.get("parameters", []):
                if param["in"] != "query" or param["name"] not in PAGING:
                    continue
                p = param["schema"]
                types = {p.get("type")} | {b.get("type") for b in p.get("oneOf", [])}
                if "number" in types or "integer" not in types:
                    problems.append(
                        f"{method} {path}: ?{param['name']} is {sorted(map(str, types))}, not an integer"
                    )
                if any(isinstance(p.get(k), float) or k not in p for k in ("minimum", "maximum")):
                    problems.append(f"{method} {path}: ?{param['name']} lacks integer bounds: {p}")
    assert count >= 200 and not problems, "\n".join(problems)
    audit = {p["name"]: p["schema"] for p in schema["paths"]["/api/audit/entries"]["get"]["parameters"]}
    assert audit["limit"] == {**audit["limit"], "type": "integer", "minimum": 1, "maximum": 1000}


async def test_signed_documents_state_every_field(client) -> None:  # type: ignore[no-untyped-def]
    """A guarantee, a performance guarantee and a withdrawal are signed JSON: every statement field is
    required and text with a pattern, an enum or a constant (their type), so a schema-valid document is
    refused only by its signature or the rules, never for a shape the schema could state."""
    schema = (await client.get("/schema/openapi.json")).json()
    components = schema["components"]["schemas"]
    bodies = {
        "/api/guarantees": "IssueGuarantee",
        "/api/contracts/{contract_id}/performance-guarantee": "PerformanceGuarantee",
    }
    for path, name in bodies.items():
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}
    for signed in ("SignedGuarantee", "SignedPerformanceGuarantee", "SignedWithdrawal", "SignedManifest"):
        envelope = components[signed]
        assert set(envelope["required"]) == {"statement", "signature", "key_id"}
        assert all("pattern" in envelope["properties"][k] for k in ("signature", "key_id"))
        statement = components[envelope["properties"]["statement"]["$ref"].rsplit("/", 1)[1]]
        assert statement["properties"]["type"]["const"].startswith("sunbid.")
        # a field more is refused (400) and the schema says so, on the statement and around it
        assert envelope["additionalProperties"] is False and statement["additionalProperties"] is False
        for field, spec in statement["properties"].items():
            stated = (
                spec.get("pattern") or spec.get("enum") or spec.get("const") or spec.get("type") == "integer"
            )
            assert stated, f"{signed}.statement.{field} is free text: {spec}"
            if field != "supersedes":  # a manifest may leave it out (and then it stays out)
                assert field in statement["required"], f"{signed}.statement.{field} is optional"
    amount = components["GuaranteeStatement"]["properties"]["amount"]["pattern"]
    assert (
        re.fullmatch(amount, "0.01") and not re.fullmatch(amount, "0.00") and not re.fullmatch(amount, "1e3")
    )
