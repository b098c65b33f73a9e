"""``sunbid demo``: core's demo city first, then every context's own demo data, in layer order; and the
demo's jobs, which play the live opening and the live evaluation.

Only ``sunbid demo`` imports this package: the seeds write demo data, and the jobs run only in the
app that command serves (a plain ``sunbid serve`` on a demo database plays nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from core.contexts import CONTEXTS, part
from core.runtime import Runtime
from core.scheduler import Job
from demo import opening, room
from demo.seeds.core import DEMO_PASSWORD, DEMO_USERS, SeedReport, seed_core

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "JOBS", "seed_demo"]


# Told before each part is seeded (counts None) and after it (what it added), for progress lines.
Progress = Callable[[str, "dict[str, int] | None"], None]


async def seed_demo(runtime: Runtime, seed: int = 220200, progress: Progress | None = None) -> SeedReport:
    tell = progress or (lambda _part, _counts: None)
    tell("core", None)
    report = await seed_core(runtime, seed)
    tell("core", {"regions": report.regions, "organisations": report.organisations, "users": report.users})
    # demo/seeds/<ctx>.py: async def seed(runtime, seed) -> dict[str, int], idempotent.
    for context in CONTEXTS:
        if (module := part("demo.seeds", context)) is not None:
            tell(context, None)
            report.contexts[context] = await module.seed(runtime, seed)
            tell(context, report.contexts[context])
    return report


JOBS = [
    # Each does nothing until the demo seed has asked for a live opening (<var>/demo/live-opening.json).
    Job("demo.opening", timedelta(milliseconds=500), opening.drive, lease=timedelta(seconds=60)),
    Job("demo.room", timedelta(milliseconds=500), room.drive, lease=timedelta(seconds=60)),
]
