"""guarantees' background job: the deposits of a tender that failed or was terminated fall due for
refund (《招标投标法实施条例》第三十一条, guarantees/releases.py). Idempotent."""

from __future__ import annotations

from datetime import timedelta

from core.runtime import Runtime
from core.scheduler import Job
from guarantees import service


async def release_clock(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await service.release_ended_tenders(session, runtime)


JOBS = [Job("guarantees.releases", timedelta(minutes=1), release_clock)]
