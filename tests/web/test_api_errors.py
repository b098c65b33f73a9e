"""One documented error body (ApiError) and, on every operation, the error statuses it can answer."""

from __future__ import annotations

from datetime import MAXYEAR
from typing import Any

import msgspec
import pytest

from core.paging import MAX_OFFSET
from web.errors import ApiError

ERROR_REF = {"$ref": "#/components/schemas/ApiError"}


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


async def test_every_error_answer_is_documented_as_api_error_and_nothing_else(client) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["components"]["schemas"]["ApiError"]["required"] == ["detail", "error"]
    for method, path, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (method, path, status)
                assert response["description"], (method, path, status)
    # Litestar's own error shape is gone from the document.
    assert '"status_code"' not in (await client.get("/schema/openapi.json")).text


async def test_error_statuses_follow_from_what_each_route_declares(client) -> None:  # type: ignore[no-untyped-def]
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    def statuses(method: str, path: str) -> set[str]:
        return {status for status in paths[path][method]["responses"] if int(status) >= 400}

    # Roles: any logged-in user → 401 and 403 (the roles named), a path parameter → 404.
    revoke = paths["/api/auth/tokens/{token_id}"]["delete"]["responses"]
    assert {"401", "403", "404", "409"} <= statuses("delete", "/api/auth/tokens/{token_id}")
    assert "admin" in revoke["403"]["description"]
    # A public read without parameters can only succeed.
    assert statuses("get", "/healthz") <= {"503"}
    # A public read of one thing: 404, and no 401/403.
    one = statuses("get", "/api/organisations/{org_id}")
    assert "404" in one and not {"401", "403"} & one
    # The login is throttled: 429 with Retry-After; a body → 400, 413, 422.
    login = paths["/api/auth/login"]["post"]["responses"]
    assert {"400", "413", "415", "422", "429"} <= statuses("post", "/api/auth/login")
    assert login["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}


async def test_a_refused_body_answers_api_error_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/auth/login", json={"username": "x"})
    assert response.status_code == 400
    error = msgspec.json.decode(response.content, type=ApiError)
    assert error.error == "invalid_request" and error.fields
    assert error.fields[0].source == "body" and "password" in error.fields[0].message


async def test_a_wrong_method_answers_405_with_allow_listing_the_path_s_methods(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.put("/api/auth/tokens", json={})
    assert response.status_code == 405, response.text
    assert response.json()["error"] == "method_not_allowed"
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed and "PUT" not in allowed


# Found by tests/web/test_api_schemathesis.py: numbers past what the database or a date holds were 500s.
@pytest.mark.parametrize(
    ("refused", "accepted"),
    [
        (f"/api/audit/consistency?old=1&new={2**62 + 1}", None),
        (f"/api/audit/entries?after={2**62 + 1}", f"/api/audit/entries?after={2**62}"),
        (f"/api/organisations?offset={MAX_OFFSET + 1}", f"/api/organisations?offset={MAX_OFFSET}"),
        (f"/api/catalog/holidays?year={MAXYEAR + 1}", f"/api/catalog/holidays?year={MAXYEAR}"),
        (f"/api/tenders?offset={MAX_OFFSET + 1}", f"/api/tenders?offset={MAX_OFFSET}"),
    ],
)
async def test_numbers_past_what_the_server_holds_are_refused_not_a_server_error(
    client, refused: str, accepted: str | None
) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(refused)
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"] in ("invalid_request", "bad_paging")
    if accepted:
        assert (await client.get(accepted)).status_code == 200


async def test_an_id_past_64_bits_in_a_path_names_nothing(client) -> None:  # type: ignore[no-untyped-def]
    # The driver cannot bind it (SQLite raised OverflowError, a 500): no record has such an id.
    response = await client.get(f"/api/organisations/{2**100}")
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    assert (await client.get(f"/api/organisations/{2**62}")).status_code == 404
