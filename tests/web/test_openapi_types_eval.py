"""The served OpenAPI document for the evaluation and experts contexts (issue #17): every operation is
described and answers a typed body, and what the routes really answer validates against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from core.clock import ManualClock
from core.runtime import Runtime
from tests.evaluation.world import CODE, started_evaluation
from tests.support.factories import bearer

TAGS = {"evaluation", "experts"}
ROOM = f"{CODE}-1"


async def served_schema(client: Any) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and TAGS & set(operation.get("tags", [])):
                found.append((method.upper(), path, operation))
    return found


def answer_schema(document: dict[str, Any], method: str, path: str, status: int = 200) -> dict[str, Any]:
    content = document["paths"][path][method.lower()]["responses"][str(status)]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def assert_valid(document: dict[str, Any], method: str, path: str, body: Any) -> None:
    schema = {**answer_schema(document, method, path), "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


async def test_every_operation_is_described_and_typed(client: Any) -> None:
    document = await served_schema(client)
    found = operations(document)
    assert len(found) >= 34, [f"{m} {p}" for m, p, _ in found]
    untyped = []
    for method, path, operation in found:
        if not operation.get("description", "").strip():
            untyped.append(f"{method} {path}: no description")
        for status, answer in operation["responses"].items():
            if not status.startswith("2") or status == "204":
                continue
            for media_type, body in answer.get("content", {}).items():
                schema = body.get("schema", {})
                if schema in ({}, {"type": "object"}) or (
                    schema.get("type") == "object" and not schema.get("properties")
                ):
                    untyped.append(f"{method} {path} {status} {media_type}: untyped")
        request = operation.get("requestBody", {}).get("content", {})
        for media_type, body in request.items():
            if body.get("schema", {}) in ({}, {"type": "object"}):
                untyped.append(f"{method} {path} request {media_type}: untyped")
    assert not untyped, "\n".join(untyped)


async def test_closed_sets_and_files_are_declared(client: Any) -> None:
    document = await served_schema(client)
    report = document["paths"]["/api/evaluations/{code}/report/{kind}"]["get"]
    kind = next(p for p in report["parameters"] if p["name"] == "kind")
    assert sorted(kind["schema"]["enum"]) == ["html", "pdf"]
    assert set(report["responses"]["200"]["content"]) == {"application/pdf", "text/html"}
    csv_import = document["paths"]["/api/experts/import"]["post"]
    assert list(csv_import["requestBody"]["content"]) == ["text/csv"]
    publicity = document["paths"]["/api/evaluations/{code}/publicity"]["post"]
    days = next(p for p in publicity["parameters"] if p["name"] == "days")["schema"]
    assert days["minimum"] == 3  # 《招标投标法实施条例》第五十四条
    draw_steps = ["", "/commit", "/contributions", "/run"]
    for step in draw_steps:
        path = "/api/experts/draws" + ("/{draw_id}" + step if step else "")
        assert "create" in document["paths"][path]["post"]["description"]
        assert "→ run" in document["paths"][path]["post"]["description"]
    act = document["paths"]["/api/evaluations/{code}/actions"]["post"]
    assert "sunbid-evaluation-report-v1" in act["description"]  # what exactly a member signs
    listing = answer_schema(document, "GET", "/api/experts")
    assert listing["$ref"].startswith("#/components/schemas/Listing")


async def test_real_answers_validate_against_the_schema(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started_evaluation(runtime, client, clock, tmp_path)
    document = await served_schema(client)
    supervisor = await bearer(client, "supervisor9")
    member = await bearer(client, ew.usernames[ew.members[0]])
    host = await bearer(client, "agent1")
    seen = 0
    for headers in (supervisor, member, host):
        for method, concrete, path in [
            ("GET", "/api/evaluations", "/api/evaluations"),
            ("GET", f"/api/evaluations/{ROOM}", "/api/evaluations/{code}"),
        ]:
            response = await client.request(method, concrete, headers=headers)
            assert response.status_code == 200, response.text
            assert_valid(document, method, path, response.json())
            seen += 1
    acted = await client.post(
        f"/api/evaluations/{ROOM}/actions", json={"action": "sign_in", "venue": "220281"}, headers=member
    )
    assert acted.status_code == 200, acted.text
    assert_valid(document, "POST", "/api/evaluations/{code}/actions", acted.json())
    scores = (await client.get(f"/api/evaluations/{ROOM}", headers=supervisor)).json()
    assert "scores" in scores  # supervisors' own field, declared optional

    draw = ew.draw_id
    for concrete, path, headers in [
        ("/api/experts/specialties", "/api/experts/specialties", {}),
        ("/api/experts", "/api/experts", supervisor),
        ("/api/experts/draws", "/api/experts/draws", supervisor),
        (f"/api/experts/draws/{draw}", "/api/experts/draws/{draw_id}", supervisor),
        (f"/api/experts/draws/{draw}", "/api/experts/draws/{draw_id}", {}),
        (f"/api/experts/draws/{draw}/committee", "/api/experts/draws/{draw_id}/committee", supervisor),
        (f"/api/experts/draws/{draw}/committee", "/api/experts/draws/{draw_id}/committee", member),
        (f"/api/experts/draws/{draw}/counts", "/api/experts/draws/{draw_id}/counts", supervisor),
        (f"/api/experts/draws/{draw}/document", "/api/experts/draws/{draw_id}/document", supervisor),
        ("/api/experts/me", "/api/experts/me", member),
        ("/api/experts/me/invitations", "/api/experts/me/invitations", member),
        ("/api/experts/applications?status=", "/api/experts/applications", supervisor),
    ]:
        response = await client.get(concrete, headers=headers)
        assert response.status_code == 200, f"{concrete}: {response.text}"
        assert_valid(document, "GET", path, response.json())
        seen += 1
    pool = (await client.get("/api/experts", headers=supervisor)).json()
    expert = pool["items"][0]["code"]
    response = await client.get(f"/api/experts/{expert}", headers=supervisor)
    assert_valid(document, "GET", "/api/experts/{code}", response.json())
    assert seen == 18
