"""Background jobs in every app process, each run by one process at a time.

A job is due when its interval has passed on the server clock since its last run (kept in the
database, so a restart catches up at once). Before running, a process takes the job's lease row with
a conditional UPDATE; whoever's UPDATE matched runs it, the others skip. Jobs must still be
idempotent (a lease can expire under a very slow run), and state changes that must happen exactly
once — opening a tender — are guarded by their own conditional transition, not only by the lease.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from core.models import JobLease

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger("sunbid.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: Callable[[Runtime], Awaitable[None]]
    lease: timedelta = timedelta(minutes=10)


class Scheduler:
    def __init__(self, runtime: Runtime, jobs: list[Job], *, tick_seconds: float = 1.0) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.tick_seconds = tick_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.jobs and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="sunbid-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self.run_due()
            await asyncio.sleep(self.tick_seconds)

    async def run_due(self) -> list[str]:
        """Run every job that is due and whose lease this process wins; returns their names."""
        ran = []
        for job in self.jobs:
            try:
                if await self._acquire(job):
                    try:
                        await job.run(self.runtime)
                        ran.append(job.name)
                    finally:
                        await self._release(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s failed; it will be retried when due", job.name)
        return ran

    async def _acquire(self, job: Job) -> bool:
        now = self.runtime.clock.now()
        async with self.runtime.transaction() as session:
            if await session.get(JobLease, job.name) is None:
                try:
                    async with session.begin_nested():
                        session.add(JobLease(name=job.name, holder=None, expires_at=None, last_run_at=None))
                except IntegrityError:
                    pass  # another process created it first
            result = await session.execute(
                update(JobLease)
                .where(
                    JobLease.name == job.name,
                    or_(JobLease.expires_at.is_(None), JobLease.expires_at < now),
                    or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= now - job.interval),
                )
                .values(holder=self.holder, expires_at=now + job.lease)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _release(self, job: Job) -> None:
        now: datetime = self.runtime.clock.now()
        async with self.runtime.transaction() as session:
            await session.execute(
                update(JobLease)
                .where(JobLease.name == job.name, JobLease.holder == self.holder)
                .values(holder=None, expires_at=None, last_run_at=now)
            )
