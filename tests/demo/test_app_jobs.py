"""The demo plays only in the app ``sunbid demo`` serves: a plain app (``sunbid serve``) on a database the
demo seeded runs no demo job and so plays no live opening."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from bidding.models import Tender
from core.runtime import Runtime
from demo import JOBS
from demo.opening import LIVE_PREFIX
from demo.seeds import bidding as bidding_demo
from demo.seeds.core import seed_core
from web.app import create_app


async def seed_the_demo(runtime: Runtime) -> None:
    await seed_core(runtime, 220200)
    await bidding_demo.seed(runtime, 220200)  # asks the running demo server for a live opening


async def live_tender_codes(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Tender.code).where(Tender.code.like(f"{LIVE_PREFIX}%"))))


async def test_a_plain_app_on_a_demo_database_plays_no_demo(runtime: Runtime, app: Litestar, client) -> None:  # type: ignore[no-untyped-def]
    await seed_the_demo(runtime)
    ran = await app.state.scheduler.run_due()
    assert "bidding.open_tenders" in ran and not any(name.startswith("demo.") for name in ran)
    assert await live_tender_codes(runtime) == []


async def test_the_app_sunbid_demo_serves_plays_the_live_opening(runtime: Runtime) -> None:
    await seed_the_demo(runtime)
    app = create_app(runtime=runtime, extra_jobs=JOBS)
    async with AsyncTestClient(app=app):
        ran = await app.state.scheduler.run_due()
    assert {"demo.opening", "demo.room"} <= set(ran)
    assert await live_tender_codes(runtime) == [f"{LIVE_PREFIX}001"]
