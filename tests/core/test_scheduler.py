"""Background jobs: due by the server clock, run by one scheduler at a time, caught up after restarts."""

from datetime import timedelta

from core.clock import ManualClock
from core.runtime import Runtime
from core.scheduler import Job, Scheduler


async def test_a_due_job_runs_once_across_schedulers_and_again_after_its_interval(
    runtime: Runtime, clock: ManualClock
) -> None:
    runs: list[str] = []

    async def count(_: Runtime) -> None:
        runs.append("ran")

    job = Job("count", timedelta(hours=1), count)
    first, second = Scheduler(runtime, [job]), Scheduler(runtime, [job])
    assert await first.run_due() == ["count"]  # never ran: due at once (catch-up on start)
    assert await second.run_due() == []  # the other process sees it ran within the interval
    clock.advance(minutes=59)
    assert await first.run_due() + await second.run_due() == []
    clock.advance(minutes=2)
    assert await second.run_due() == ["count"]
    assert runs == ["ran", "ran"]


async def test_a_held_lease_keeps_others_out_until_it_expires(runtime: Runtime, clock: ManualClock) -> None:
    async def never(_: Runtime) -> None:
        raise AssertionError("must not run while another process holds the lease")

    job = Job("held", timedelta(minutes=1), never, lease=timedelta(minutes=5))
    holder = Scheduler(runtime, [job])
    assert await holder._acquire(job)  # a process took it and is still running (e.g. crashed mid-run)
    assert await Scheduler(runtime, [job]).run_due() == []
    clock.advance(minutes=6)

    async def fine(_: Runtime) -> None:
        return None

    assert await Scheduler(runtime, [Job("held", timedelta(minutes=1), fine)]).run_due() == ["held"]


async def test_a_failing_job_is_retried_when_next_due(runtime: Runtime, clock: ManualClock) -> None:
    attempts = []

    async def flaky(_: Runtime) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("boom")

    scheduler = Scheduler(runtime, [Job("flaky", timedelta(minutes=1), flaky)])
    assert await scheduler.run_due() == []
    clock.advance(minutes=2)
    assert await scheduler.run_due() == ["flaky"]
    assert len(attempts) == 2
