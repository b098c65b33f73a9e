"""No body in /schema/openapi.json is a free-form object anywhere inside it (issue #17): following every
``$ref`` from every request body and 2xx answer, each object states its properties or the type of its
values, except the few listed below, each with the reason it stays open."""

from __future__ import annotations

from typing import Any

METHODS = {"get", "post", "put", "delete", "patch"}

# component.field -> why it is an object of anything
ALLOWED = {
    "BidFormSchema.properties{}": "a JSON Schema per bid-form field: the tender's own form, itself a schema",
    "BidFormSchema.examples[]": "an example bid.json, shaped by that lot's own form",
    "OcdsRecord.compiledRelease": "an OCDS 1.1 release: typing it would restate the official schema",
    "OcdsRecord.releases[]": "an OCDS 1.1 release (as above)",
    "ReleasePackage.releases[]": "an OCDS 1.1 release (as above)",
}


def _free(node: dict[str, Any]) -> bool:
    """An object of anything (``dict[str, Any]``), or ``{}`` (``Any``)."""
    if node == {}:
        return True
    open_values = node.get("additionalProperties") in (None, True, {})
    return node.get("type") == "object" and not node.get("properties") and open_values


def free_objects(schema: dict[str, Any]) -> dict[str, set[str]]:
    """Where each free-form object is (``Component.field[]``), and which operations reach it."""
    components = schema["components"]["schemas"]
    found: dict[str, set[str]] = {}

    def walk(node: dict[str, Any], where: str, operation: str, seen: set[str]) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                walk(components[name], name, operation, seen | {name})
            return
        if _free(node):
            found.setdefault(where, set()).add(operation)
            return
        for key in ("oneOf", "anyOf", "allOf"):
            for branch in node.get(key, []):
                walk(branch, where, operation, seen)
        if isinstance(node.get("items"), dict):
            walk(node["items"], where + "[]", operation, seen)
        for name, value in (node.get("properties") or {}).items():
            walk(value, f"{where}.{name}", operation, seen)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], where + "{}", operation, seen)

    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            operation = f"{method.upper()} {path}"
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), f"{operation} request", operation, set())
            for status, answer in op.get("responses", {}).items():
                for content in (answer.get("content") or {}).values() if status.startswith("2") else ():
                    walk(content.get("schema", {}), f"{operation} {status}", operation, set())
    return found


async def test_no_body_holds_a_free_form_object_but_the_listed_ones(client: Any) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    found = free_objects(schema)
    unexpected = {where: sorted(ops)[:3] for where, ops in found.items() if where not in ALLOWED}
    assert not unexpected, "\n".join(f"{where} (in {ops})" for where, ops in sorted(unexpected.items()))
    assert set(found) == set(ALLOWED), f"no longer open, drop from ALLOWED: {set(ALLOWED) - set(found)}"


async def test_the_bodies_once_free_form_now_name_their_shapes(client: Any) -> None:
    """The catalog document's items are the item body POST /api/catalog/items takes; a version's
    snapshot, a public contract's document and every OCDS release say what they are."""
    schema = (await client.get("/schema/openapi.json")).json()
    components = schema["components"]["schemas"]
    items = components["CatalogDocument"]["properties"]["items"]["items"]
    assert items == {"$ref": "#/components/schemas/ItemBody"}
    snapshot = components[components["ItemVersionOut"]["properties"]["snapshot"]["$ref"].rsplit("/", 1)[1]]
    assert {"code", "department_id", "materials", "promised_days"} <= set(snapshot["required"])
    document = components["PublicContract"]["properties"]["document"]["oneOf"]
    assert {"$ref": "#/components/schemas/ContractDocument"} in document
    assert components["ContractDocument"]["properties"]["type"]["const"] == "sunbid.contract.v1"
    for package, field in (("OcdsRecord", "releases"), ("ReleasePackage", "releases")):
        assert "release-schema.json" in components[package]["properties"][field]["description"]
    assert "release-schema.json" in components["OcdsRecord"]["properties"]["compiledRelease"]["description"]
