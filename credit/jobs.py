"""The daily evaluation as a background job.

It wakes hourly and evaluates today (Asia/Shanghai) if nobody has yet, so each day is computed once,
soon after midnight, and a restart catches up. Re-running a day only replaces its snapshot.
"""

from __future__ import annotations

from datetime import timedelta

from core.runtime import Runtime
from core.scheduler import Job
from credit import snapshots
from credit.deductions import today
from credit.models import Run


async def daily_recompute(runtime: Runtime) -> None:
    day = today(runtime)
    async with runtime.transaction() as session:
        if await session.get(Run, day) is None:
            await snapshots.recompute(session, runtime, day)


JOBS = [Job("credit.daily_recompute", timedelta(hours=1), daily_recompute, lease=timedelta(minutes=30))]
