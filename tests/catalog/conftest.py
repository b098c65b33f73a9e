"""A small hall: two departments, a supervisor, an admin, staff of each department, a bidder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from catalog import service
from core import accounts
from core.models import User, UserRole
from core.roles import Role
from core.runtime import Runtime
from tests.support.factories import PASSWORD, seed_regions

MARKET = "吉林市市场监督管理局"
HOUSING = "吉林市住房和城乡建设局"


def item_body(code: str = "XK00101001000", department: str = MARKET, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "食品经营许可（新办）",
        "kind": "行政审批",
        "department": department,
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "service_objects": ["person", "company"],
        "materials": [
            {"name": "营业执照", "copies": 1},
            {"name": "经营场所使用证明", "deferrable": True},
        ],
        "statutory_days": 20,
        "promised_days": 5,
        "handling_type": "承诺件",
        "online": True,
        **changes,
    }


_HASH = accounts.hash_password(PASSWORD)  # once: Argon2 per user would dominate every test's setup


async def quick_user(runtime: Runtime, username: str, role: Role) -> int:
    """A user with one role, stored directly with a shared password hash (tests log in by token)."""
    async with runtime.transaction() as session:
        user = User(
            username=username,
            display_name=username,
            password_hash=_HASH,
            is_active=True,
            created_at=runtime.clock.now(),
            roles=[UserRole(role=role.value)],
        )
        session.add(user)
        await session.flush()
        return user.id


async def token(runtime: Runtime, username: str) -> dict[str, str]:
    """An API token without a login round trip (Argon2 verification is the slow part of a test)."""
    async with runtime.transaction() as session:
        user = await accounts.find_user(session, username)
        assert user is not None
        secret = await accounts.issue_token(session, runtime.clock, user, kind="api", lifetime=None)
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class Hall:
    market: int
    housing: int
    users: dict[str, int]
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def hall(runtime: Runtime) -> Hall:
    await seed_regions(runtime)
    async with runtime.transaction() as session:
        market = await service.add_department(session, runtime, MARKET, "220200")
        housing = await service.add_department(session, runtime, HOUSING, "220200")
        ids = (market.id, housing.id)
    users = {
        "supervisor": await quick_user(runtime, "sup", Role.SUPERVISOR),
        "admin": await quick_user(runtime, "root", Role.ADMIN),
        "staff_market": await quick_user(runtime, "staff-a", Role.HALL_STAFF),
        "staff_housing": await quick_user(runtime, "staff-b", Role.HALL_STAFF),
        "staff_unlinked": await quick_user(runtime, "staff-c", Role.HALL_STAFF),
        "bidder": await quick_user(runtime, "bid", Role.BIDDER),
    }
    async with runtime.transaction() as session:
        await service.link_staff(
            session, runtime, user_id=users["staff_market"], department_id=ids[0], actor="t"
        )
        await service.link_staff(
            session, runtime, user_id=users["staff_housing"], department_id=ids[1], actor="t"
        )
    names = {"supervisor": "sup", "admin": "root", "staff_market": "staff-a", "staff_housing": "staff-b"}
    names |= {"staff_unlinked": "staff-c", "bidder": "bid"}
    headers = {key: await token(runtime, username) for key, username in names.items()}
    return Hall(ids[0], ids[1], users, headers)
