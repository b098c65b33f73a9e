"""bidding's background jobs: close registration windows, open tenders at their deadline and move their
openings on, and sweep abandoned staged uploads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from bidding import opening
from bidding.evidence_store import capture_packages
from bidding.models import StagedUpload, Submission
from bidding.tenders import close_due_registrations
from core.runtime import Runtime
from core.scheduler import Job

STAGING_GRACE = timedelta(hours=1)


async def sweep_staged_uploads(runtime: Runtime, *, older_than: timedelta = STAGING_GRACE) -> int:
    """Delete staged blobs older than the grace period that no committed submission adopted.

    A crash between upload and commit leaves a staging row (and perhaps a blob); an upload still
    running is younger than the grace period, so it is left alone. Idempotent.
    """
    cutoff = runtime.clock.now() - older_than
    async with runtime.transaction() as session:
        keys = list(
            await session.scalars(select(StagedUpload.blob_key).where(StagedUpload.created_at < cutoff))
        )
        adopted = set(await session.scalars(select(Submission.blob_key).where(Submission.blob_key.in_(keys))))
    for key in keys:
        if key not in adopted:
            await runtime.blobs.delete(key)
    async with runtime.transaction() as session:
        await session.execute(delete(StagedUpload).where(StagedUpload.blob_key.in_(keys)))
    return len(keys) - len(adopted)


async def close_registrations(runtime: Runtime) -> None:
    await close_due_registrations(runtime)


async def sweep(runtime: Runtime) -> None:
    await sweep_staged_uploads(runtime)


async def open_tenders(runtime: Runtime) -> None:
    """Exactly once per tender even when several processes run it: see ``bidding.opening.open_tender``."""
    await opening.open_due(runtime)
    await opening.advance(runtime)


async def autostart_openings(runtime: Runtime) -> None:
    """Start the openings whose host has not, N minutes after the deadline (exactly once: see
    ``bidding.opening.autostart_due``)."""
    await opening.autostart_due(runtime)


async def capture_evidence(runtime: Runtime) -> None:
    """Read the packages opened since the last run for the integrity indicators (see evidence_store)."""
    await capture_packages(runtime)


JOBS = [
    # Due on every scheduler tick (1 s), so an opening starts within a second of its deadline.
    Job("bidding.open_tenders", timedelta(milliseconds=500), open_tenders, lease=timedelta(seconds=30)),
    Job("bidding.autostart_openings", timedelta(seconds=5), autostart_openings, lease=timedelta(seconds=30)),
    Job("bidding.close_registrations", timedelta(minutes=1), close_registrations),
    Job("bidding.sweep_staged_uploads", timedelta(minutes=10), sweep),
    Job("bidding.capture_evidence", timedelta(seconds=30), capture_evidence, lease=timedelta(minutes=5)),
]
