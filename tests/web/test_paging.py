"""Every paged listing states and keeps the same bounds: limit 1..100, offset >= 0, else 422 bad_paging."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Region
from core.paging import MAX_OFFSET, MAX_PAGE, paginate
from core.roles import Role
from core.runtime import Runtime
from tests.support.factories import bearer, make_user

# The offset-paged listings (the credit ones answer supervisors only).
LISTINGS = [
    "/api/tenders",
    "/api/notices",
    "/api/catalog/items",
    "/api/credit/rankings",
    "/api/credit/deductions",
]


def query_parameters(schema: dict, path: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}


async def test_the_schema_states_the_bounds_of_every_listing(client) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    for path in LISTINGS:
        params = query_parameters(schema, path)
        assert params["limit"]["schema"]["minimum"] == 1, path
        assert params["limit"]["schema"]["maximum"] == MAX_PAGE, path
        assert params["offset"]["schema"]["minimum"] == 0, path
        assert params["offset"]["schema"]["maximum"] == MAX_OFFSET, path
        assert not params["limit"].get("required") and not params["offset"].get("required"), path


@pytest.mark.parametrize("bad", ["limit=0", f"limit={MAX_PAGE + 1}", "offset=-1", f"offset={MAX_OFFSET + 1}"])
async def test_every_listing_refuses_a_bad_page_alike(runtime: Runtime, client, bad: str) -> None:  # type: ignore[no-untyped-def]
    await make_user(runtime, "sup", Role.SUPERVISOR)
    sup = await bearer(client, "sup")
    for path in LISTINGS:
        response = await client.get(f"{path}?{bad}", headers=sup)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"] == "bad_paging", path
        good = await client.get(f"{path}?limit={MAX_PAGE}&offset=0", headers=sup)
        assert good.status_code == 200, (path, good.text)
        last = await client.get(f"{path}?offset={MAX_OFFSET}", headers=sup)  # was a 500 past 2**63
        assert last.status_code == 200, (path, last.text)


async def test_paginate_counts_every_match_and_pages_in_order(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        session.add_all(Region(code=f"99000{i}", name=f"区{i}", level="county") for i in (4, 1, 3, 0, 2))
    async with runtime.transaction() as session:
        everything = list(await session.scalars(select(Region.code).order_by(Region.code)))
        assert len(everything) >= 5
        query = select(Region.code)
        first = await paginate(session, query, order_by=[Region.code], limit=2, offset=0)
        second = await paginate(session, query, order_by=[Region.code], limit=2, offset=2)
        past = await paginate(session, query, order_by=[Region.code], limit=2, offset=len(everything) + 5)
        pairs = await paginate(
            session, select(Region.code, Region.name), order_by=[Region.code], limit=1, offset=1
        )
        nothing = await paginate(
            session, query.where(Region.code == "none"), order_by=[Region.code], limit=5, offset=0
        )
    assert first.rows + second.rows == everything[:4]
    assert first.total == second.total == past.total == len(everything)
    assert past.rows == [] and (past.limit, past.offset) == (2, len(everything) + 5)
    assert len(pairs.rows) == 1 and pairs.rows[0][0] == everything[1] and len(pairs.rows[0]) == 2
    assert (nothing.rows, nothing.total) == ([], 0)
