"""``sunbid demo``: core's demo city first, then every context's own demo data, in layer order."""

from __future__ import annotations

from core.contexts import parts
from core.demo import DEMO_PASSWORD, DEMO_USERS, SeedReport, seed_core
from core.runtime import Runtime

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "seed_demo"]


async def seed_demo(runtime: Runtime, seed: int = 220200) -> SeedReport:
    report = await seed_core(runtime, seed)
    for module in parts("demo"):
        report.contexts[module.__name__.split(".")[0]] = await module.seed(runtime, seed)
    return report
