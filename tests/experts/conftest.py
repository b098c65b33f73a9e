"""A small, hand-made pool on the migrated runtime, with supervisor, tenderer and expert accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

import pytest

from core.accounts import Principal, find_user, principal_of
from core.models import User, UserRole
from core.roles import Role
from core.runtime import Runtime
from experts import registry
from experts.idcard import synthetic_id_number
from experts.registry import ExpertInput
from tests.experts.helpers import company
from tests.support.factories import seed_regions

COUNTIES = ("220202", "220203", "220204", "220221", "220281", "220282")


@dataclass
class World:
    runtime: Runtime
    supervisor: Principal
    tenderer: Principal
    experts: dict[str, Principal] = field(default_factory=dict)  # registry code -> expert's principal


async def quick_user(runtime: Runtime, username: str, role: Role) -> int:
    """A user without the Argon2 cost (service tests never log in; API tests use make_user)."""
    async with runtime.transaction() as session:
        user = User(
            username=username, display_name=username, password_hash="!", is_active=True,
            created_at=runtime.clock.now(), roles=[UserRole(role=role.value)],
        )  # fmt: skip
        session.add(user)
        await session.flush()
        return user.id


async def principal(runtime: Runtime, username: str) -> Principal:
    async with runtime.transaction() as session:
        user = await find_user(session, username)
        assert user is not None
        return principal_of(user, 0)


async def add_experts(runtime: Runtime, count: int, *, specialty: str = "A0101", start: int = 1) -> list[str]:
    rng = random.Random(start)
    codes = []
    async with runtime.transaction() as session:
        for n in range(start, start + count):
            county = COUNTIES[n % len(COUNTIES)]
            expert = await registry.register_expert(
                session,
                runtime,
                ExpertInput(
                    name=f"专家{n:03d}",
                    id_number=synthetic_id_number(rng, county, date(1970, 1, 1 + n % 28)),
                    phone=f"139{n:08d}", county=county, employer_code=company(200 + n, county),
                    employer_name=f"测试单位{n}", title="高级工程师", specialties=[specialty],
                ),
                actor="test",
            )  # fmt: skip
            codes.append(expert.code)
    return codes


@pytest.fixture
async def world(runtime: Runtime) -> World:
    await seed_regions(runtime)
    await quick_user(runtime, "sup", Role.SUPERVISOR)
    await quick_user(runtime, "ten", Role.TENDERER)
    return World(runtime, await principal(runtime, "sup"), await principal(runtime, "ten"))


async def link_experts(world: World, codes: list[str]) -> None:
    """Give each expert a login (only for tests that need the experts themselves to answer)."""
    for code in codes:
        username = "x" + code.lower().replace("-", "")
        user_id = await quick_user(world.runtime, username, Role.EXPERT)
        async with world.runtime.transaction() as session:
            await registry.link_user(session, world.runtime, code, user_id, actor="test")
        world.experts[code] = await principal(world.runtime, username)
