"""bidding's JSON API as an integrator reads it from /schema/openapi.json (issue #17 points 1, 3, 4):
every operation typed and described, uploads and downloads with their media types, and the real
answers of a tender's whole course — drafting to the opening — valid against the served schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.helpers import make_world
from tests.bidding.test_opening import CODE, bid_all, file_key, past_deadline

TAGS = {"bidding", "opening"}
METHODS = ("get", "post", "put", "delete", "patch")


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS and TAGS & set(op.get("tags", []))
    ]


def untyped(media: dict[str, Any]) -> bool:
    """A body schema that says nothing: missing, or a bare object with no properties or reference."""
    schema = media.get("schema") or {}
    return not schema or (
        schema.get("type") == "object" and not schema.get("properties") and "$ref" not in schema
    )


async def served_schema(client: Any) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


async def test_every_bidding_operation_is_typed_and_described(client: Any) -> None:
    schema = await served_schema(client)
    found = operations(schema)
    assert len(found) >= 35  # tenders, notices, submissions, custodians and the opening
    for path, method, op in found:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description"), where
        assert not re.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)*", op["summary"]), (where, "a handler's name")
        answers = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert answers, where
        for response in answers.values():
            content = response.get("content") or {}
            assert content, where
            for media_type, media in content.items():
                if media_type.startswith("application/json"):
                    assert not untyped(media), (where, media)
        body = op.get("requestBody")
        if body:
            for media_type, media in body["content"].items():
                if media_type == "application/json":
                    assert not untyped(media), (where, "request body", media)
        for parameter in op.get("parameters", []):
            assert parameter.get("schema"), (where, parameter["name"])


async def test_uploads_downloads_and_paths_declare_their_formats(client: Any) -> None:
    schema = await served_schema(client)
    paths = schema["paths"]
    sealed = paths["/api/tenders/{code}/lots/{lot}/submissions/{submission_id}"]["put"]
    assert sealed["requestBody"]["required"] is True
    assert sealed["requestBody"]["content"]["application/octet-stream"]["schema"]["format"] == "binary"
    headers = {p["name"].lower(): p for p in sealed["parameters"] if p["in"] == "header"}
    assert set(headers) == {"x-sunbid-manifest", "x-sunbid-device"}
    manifest = headers["x-sunbid-manifest"]
    assert manifest["name"].lower() == "x-sunbid-manifest" and manifest["required"] is True
    assert headers["x-sunbid-device"]["required"] is False  # optional: never refuses a bid
    assert "base64url" in manifest["description"]
    document = paths["/api/tenders/{code}/documents/{name}"]["put"]
    assert "application/octet-stream" in document["requestBody"]["content"]
    download = paths["/api/tenders/{code}/documents/{document_id}"]["get"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]
    feed = paths["/api/notices/feed.atom"]["get"]
    assert any(m.startswith("application/atom+xml") for m in feed["responses"]["200"]["content"])
    form = paths["/api/tenders/{code}/lots/{lot}/bid-form.schema.json"]["get"]
    assert "application/schema+json" in form["responses"]["200"]["content"]
    [code] = [p for p in paths["/api/tenders/{code}"]["get"]["parameters"] if p["name"] == "code"]
    assert code["schema"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9-]{2,39}$"
    listing = paths["/api/tenders"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 100
    kind = next(p for p in paths["/api/notices"]["get"]["parameters"] if p["name"] == "kind")
    assert kind["schema"]["oneOf"][0]["$ref"] == "#/components/schemas/NoticeKind"
    assert {"tender", "amendment", "award"} <= set(schema["components"]["schemas"]["NoticeKind"]["enum"])


def _route_pattern(path: str) -> re.Pattern[str]:
    segments = ["[^/]+" if part.startswith("{") else re.escape(part) for part in path.split("/")]
    return re.compile("^" + "/".join(segments) + "$")


class Recorder:
    """Checks every 2xx JSON answer of bidding's routes against the schema the server serves."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.routes = [(method, _route_pattern(path), op) for path, method, op in operations(schema)]
        self.checked: set[str] = set()
        self.problems: list[str] = []

    def operation_of(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        matches = [(p.pattern, op) for m, p, op in self.routes if m == method and p.match(path)]
        # a literal segment beats a parameter (/api/notices/feed.atom, not /api/notices/{notice_id})
        return max(matches, key=lambda found: len(found[0].replace("[^/]+", ""))) if matches else None

    async def __call__(self, response: httpx.Response) -> None:
        request = response.request
        found = self.operation_of(request.method.lower(), request.url.path)
        if found is None or not 200 <= response.status_code < 300:
            return
        await response.aread()
        _pattern, op = found
        declared = op["responses"].get(str(response.status_code))
        where = f"{request.method} {request.url.path} {response.status_code}"
        if declared is None:
            self.problems.append(f"{where}: status not declared")
            return
        media_type = response.headers.get("content-type", "").split(";")[0]
        content = declared.get("content", {})
        media = content.get(media_type) or next(
            (m for t, m in content.items() if t.split(";")[0] == media_type), None
        )
        if media is None:
            self.problems.append(f"{where}: {media_type} not declared ({list(content)})")
            return
        self.checked.add(f"{request.method} {op['operationId']}")
        if media_type != "application/json":
            return
        validator = Draft202012Validator({**media["schema"], "components": self.schema["components"]})
        for error in validator.iter_errors(response.json()):
            self.problems.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_real_answers_from_drafting_to_the_opening_match_the_schema(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    recorder = Recorder(await served_schema(client))
    client.event_hooks["response"].append(recorder)
    world = await make_world(runtime, client, bidders=2)
    bidder, supervisor, agent = world.bidders[0], world.supervisor, world.agent
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, ["11000000.00", "10900000.00"])
    base = f"/api/tenders/{CODE}"
    document = await client.put(f"{base}/documents/招标文件.pdf", content=b"%PDF-1.7 x", headers=agent)
    assert document.status_code == 201, document.text
    document_id = document.json()["id"]
    submission_id = sealed[0].manifest.submission_id
    for path, headers in [
        ("/api/tenders", {}),
        ("/api/tenders?mine=true&status=bidding", agent),
        (base, {}),
        (f"{base}/lots/1/bid-form.schema.json", {}),
        (f"{base}/documents/{document_id}", bidder.headers),
        ("/api/notices?kind=tender", {}),
        ("/api/notices/feed.atom", {}),
        ("/api/receipts/server-key", {}),
        ("/api/submissions", bidder.headers),
        (f"/api/submissions?tender={CODE}", bidder.headers),
        (f"/api/submissions/{submission_id}", bidder.headers),
        (f"/api/submissions/{submission_id}/receipt", bidder.headers),
        (f"{base}/submissions", supervisor),
        (f"{base}/registrations", supervisor),
        (f"{base}/custodians", supervisor),
    ]:
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
    notice_id = (await client.get("/api/notices")).json()["items"][0]["id"]
    assert (await client.get(f"/api/notices/{notice_id}")).status_code == 200
    amended = await client.post(
        f"{base}/amendments", json={"title": "澄清", "body": "图纸第3页更正"}, headers=agent
    )
    assert amended.status_code == 201, amended.text

    await past_deadline(runtime, clock)
    assert (await client.post(f"{base}/opening/start", headers=agent)).status_code == 200
    lot = f"{base}/lots/1/opening"
    assert (await client.get(lot)).status_code == 200
    contributed = await client.post(f"{lot}/contributions", json={"value": "lucky-7"}, headers=bidder.headers)
    assert contributed.status_code == 200, contributed.text
    assert (await client.get(f"{lot}/header", headers=bidder.headers)).status_code == 200
    for each, who in zip(sealed, world.bidders, strict=True):
        opened = await client.post(
            f"{lot}/key", json={"file_key": file_key(each, who.identity)}, headers=who.headers
        )
        assert opened.status_code == 200, opened.text
    assert (await client.get(lot)).json()["phase"] == "confirming"
    assert (await client.post(f"{lot}/confirm", headers=bidder.headers)).status_code == 200
    objected = await client.post(
        f"{lot}/objections", json={"reason": "报价有误"}, headers=world.bidders[1].headers
    )
    assert objected.status_code == 200, objected.text
    answered = await client.post(
        f"{lot}/answers",
        json={"submission_id": sealed[1].manifest.submission_id, "answer": "已核实"},
        headers=agent,
    )
    assert answered.status_code == 200, answered.text
    assert (await client.post(f"{lot}/finish", headers=agent)).status_code == 200
    assert (await client.get(f"{base}/bid-count")).status_code == 200
    for path in [base, lot, "/api/submissions", f"/api/submissions/{submission_id}"]:
        assert (await client.get(path, headers=bidder.headers)).status_code == 200

    assert recorder.problems == [], recorder.problems
    assert len(recorder.checked) >= 28, sorted(recorder.checked)
