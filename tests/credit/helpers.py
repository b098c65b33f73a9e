"""Builders for credit tests, through the real services."""

from __future__ import annotations

from datetime import date

from core import organisations
from core.credit_code import make_credit_code
from core.organisations import NewOrganisation
from core.runtime import Runtime
from credit import service
from credit.models import Deduction
from tests.support.factories import seed_regions


def code(n: int, region: str = "220281") -> str:
    return make_credit_code("9", "1", region, f"{n:08d}X")


async def setup(runtime: Runtime) -> None:
    await seed_regions(runtime)
    async with runtime.transaction() as session:
        await service.ensure_catalogue(session, runtime)


async def make_org(runtime: Runtime, n: int, kind: str = "bidder", region: str = "220281") -> int:
    async with runtime.transaction() as session:
        org = await organisations.register_organisation(
            session,
            runtime.clock,
            runtime.audit,
            NewOrganisation(code(n, region), f"测试公司{n}", kind, "张三", region),
        )
        return org.id


async def deduct(
    runtime: Runtime, kind: str, key: str, rule: str, day: date | None = None, reason: str = "测试事由"
) -> Deduction:
    async with runtime.transaction() as session:
        return await service.record_deduction(
            session,
            runtime,
            service.NewDeduction(
                kind=kind, key=key, rule_code=rule, reason=reason, evidence="私密证据", day=day
            ),
            actor="test",
        )
