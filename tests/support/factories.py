"""Small builders for test data, through the real services."""

from __future__ import annotations

from typing import Any

from core import accounts
from core.regions import JILIN_CITY, upsert_regions
from core.roles import Role
from core.runtime import Runtime

PASSWORD = "correct horse battery"


async def make_user(runtime: Runtime, username: str, *roles: Role, organisation_id: int | None = None) -> int:
    async with runtime.transaction() as session:
        user = await accounts.create_user(
            session,
            runtime.clock,
            runtime.audit,
            username=username,
            password=PASSWORD,
            display_name=username.title(),
            roles=frozenset(roles),
            organisation_id=organisation_id,
        )
        return user.id


async def seed_regions(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await upsert_regions(session, JILIN_CITY)


async def bearer(client: Any, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/auth/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
