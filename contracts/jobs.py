"""contracts' background job: open the contract of every new award, and end the contracts whose 30 days
(招标投标法第四十六条) ran out, raising B04/T04 against whoever had not signed. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from contracts import service
from core.runtime import Runtime
from core.scheduler import Job


async def contract_clock(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await service.open_awarded(session, runtime)
    async with runtime.transaction() as session:
        await service.lapse_overdue(session, runtime)


JOBS = [Job("contracts.clock", timedelta(minutes=1), contract_clock)]
