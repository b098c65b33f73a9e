"""The daily job, the ``sunbid credit`` commands run as a user runs them, and the demo seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.runtime import Runtime
from core.scheduler import Scheduler
from core.settings import Settings
from credit import jobs
from credit.models import Appeal, Deduction, Run
from demo.seeds.credit import seed
from tests.credit.helpers import code, deduct, make_org, setup

SUNBID = str(Path(sys.executable).parent / "sunbid")


async def test_the_daily_job_evaluates_each_day_once(runtime: Runtime, clock: ManualClock) -> None:
    await setup(runtime)
    await deduct(runtime, "expert", "E1", "E03")
    scheduler = Scheduler(runtime, jobs.JOBS)
    assert await scheduler.run_due() == ["credit.daily_recompute"]
    clock.advance(hours=2)
    assert await scheduler.run_due() == ["credit.daily_recompute"]  # due again, but today is done
    clock.advance(days=1)
    await scheduler.run_due()
    async with runtime.sessions() as session:
        runs = list(await session.scalars(select(Run).order_by(Run.day)))
    assert [r.day for r in runs] == [date(2026, 1, 5), date(2026, 1, 6)] and runs[0].barred == 1


async def test_demo_seed_is_idempotent(runtime: Runtime) -> None:
    from demo.seeds.core import seed_core

    await seed_core(runtime, 220200)
    first = await seed(runtime, 220200)
    second = await seed(runtime, 220200)
    assert first["rules"] >= 20 and first["deductions"] >= 10 and first["appeals"] == 1
    assert first["evaluated days"] == 91 and set(second.values()) == {0}
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Deduction)) == first["deductions"]
        assert await session.scalar(select(func.count()).select_from(Appeal)) == 1


def sunbid(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SUNBID_VAR_DIR": str(settings.var_dir),
        "SUNBID_DATABASE_URL": settings.database_url,
    }
    return subprocess.run([SUNBID, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_cli_recompute_export_import(runtime: Runtime, settings: Settings, tmp_path: Path) -> None:
    if not settings.is_sqlite:
        pytest.skip(
            "the commands only wrap the services, tested on both engines; one engine keeps this quick"
        )
    await setup(runtime)
    await make_org(runtime, 1)
    await deduct(runtime, "bidder", code(1), "B01", day=date(2026, 1, 1))
    done = sunbid(settings, "credit", "recompute", "--date", "2026-01-02")
    assert done.returncode == 0, done.stderr
    assert "1 subjects" in done.stdout and "barred 1" in done.stdout
    bad = sunbid(settings, "credit", "recompute", "--date", "02/01/2026")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    out = tmp_path / "deductions.jsonl"
    assert sunbid(settings, "credit", "export", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["rule_code"] == "B01"
    out.write_text("{broken\n", encoding="utf-8")
    broken = sunbid(settings, "credit", "import", str(out))
    assert broken.returncode == 1 and "line 1" in broken.stderr and "Traceback" not in broken.stderr
    async with runtime.sessions() as session:
        assert await session.get(Run, date(2026, 1, 1) + timedelta(days=1)) is not None
