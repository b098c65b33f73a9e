"""integrity's background job: the flags of every lot whose opening closed or whose evaluation report
was signed since the last run, computed and stored (integrity/stored.py) — a freshly opened lot's
packages read first, so its flags never miss their evidence."""

from __future__ import annotations

from datetime import timedelta

from bidding import service as bidding
from core.runtime import Runtime
from core.scheduler import Job
from integrity import stored


async def compute_flags(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        opened = await stored.opened_since(session)
    for lot in opened:  # bidding's capture job may not have read these packages yet
        await bidding.capture_packages(runtime, limit=None, lot=lot)
    async with runtime.write_transaction() as session:  # it reads, then writes lot by lot
        await stored.catch_up(session)


JOBS = [Job("integrity.compute_flags", timedelta(minutes=1), compute_flags, lease=timedelta(minutes=10))]
