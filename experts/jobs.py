"""Background job: invitations past their response window expire and the next alternate is called."""

from __future__ import annotations

from datetime import timedelta

from core.runtime import Runtime
from core.scheduler import Job
from experts import service


async def expire_invitations(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await service.expire_unanswered(session, runtime)


JOBS = [Job("experts.expire_invitations", timedelta(seconds=30), expire_invitations)]
