"""The runtime: settings, clock, database, blob store, audit log — built once, shared by app and CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.audit import AuditLog, AuditSigner
from core.blobs import BlobStore, open_blob_store
from core.clock import Clock, SystemClock
from core.contexts import register_ports
from core.db import make_engine, make_sessionmaker, take_write_lock
from core.group_commit import GroupCommit
from core.pubsub import publish_pending, take_pending
from core.settings import Settings

# How handlers ask for the request's unit of work (provided by web/app.py as ``db``).
Db = NamedDependency[AsyncSession]
T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    blobs: BlobStore
    audit: AuditLog
    channels: ChannelsPlugin | None = field(default=None)
    # What contexts keep per runtime (one database), by a key of their own: see ``cache``.
    caches: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls, settings: Settings, clock: Clock | None = None, *, engine_options: dict[str, Any] | None = None
    ) -> Runtime:
        if settings.is_sqlite or settings.blob_url.startswith("file:"):
            settings.ensure_var_dir()
        clock = clock or SystemClock()
        engine = make_engine(settings.database_url, **(engine_options or {}))
        assert settings.audit_key_file is not None
        signer = AuditSigner.from_file(settings.audit_origin, settings.audit_key_file)
        register_ports()  # the optional contexts (credit) serve their ports before anything runs
        return cls(
            settings=settings,
            clock=clock,
            engine=engine,
            sessions=make_sessionmaker(engine),
            blobs=open_blob_store(settings.blob_url),
            audit=AuditLog(signer, clock),
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success (then publish what it queued), roll back on error."""
        async with self.sessions() as session:
            try:
                async with session.begin():
                    yield session
            except BaseException:
                take_pending(session)
                raise
            publish_pending(session, self.channels)

    @asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[AsyncSession]:
        """``transaction`` for work that reads before it writes, as a job does: on SQLite it holds the
        write lock from the start (``core.db.take_write_lock``), so a commit of another connection
        between its reads and its first write cannot refuse that write."""
        async with self.transaction() as session:
            await take_write_lock(session)
            yield session

    async def shared_transaction(self, unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``unit`` in a transaction shared with concurrent units of this process (group commit,
        core/group_commit.py): one commit for all; its result once committed."""
        return await self._group_commit().run(unit)

    def shared_transaction_soon(self, unit: Callable[[AsyncSession], Awaitable[Any]], what: str) -> None:
        """Run ``unit`` in the next shared transaction, not waiting for it (nothing is answered from
        it; a failure is logged as ``what``). ``close`` waits for it."""
        self._group_commit().submit(unit, what)

    def _group_commit(self) -> GroupCommit:
        # One per event loop: a batch's tasks and futures belong to the loop they were made on.
        groups: dict[asyncio.AbstractEventLoop, GroupCommit] = self.cache("core.group_commit", dict)
        loop = asyncio.get_running_loop()
        group = groups.get(loop)
        if group is None:
            group = groups[loop] = GroupCommit(self.transaction)
        return group

    def cache(self, key: str, make: Callable[[], T]) -> T:
        """A context's cache for this runtime (``key`` names it, e.g. ``"evaluation.room_states"``):
        made on first use, dropped with the runtime, so a second runtime (another database) never sees it."""
        found = self.caches.get(key)
        if found is None:
            found = self.caches[key] = make()
        return found

    async def close(self) -> None:
        """Wait until what ``shared_transaction_soon`` queued on this event loop is committed (or its
        failure logged), then dispose of the engine. Another loop's work is its own: a test's client
        serves the app from its own loop and closes the runtime there."""
        group = self.caches.get("core.group_commit", {}).get(asyncio.get_running_loop())
        if group is not None:
            await group.settled()
        await self.engine.dispose()


# How handlers ask for the runtime (provided by web/app.py as ``runtime``); never validated, as
# Litestar would otherwise convert (copy) the dataclass field by field.
Rt = NamedDependency[SkipValidation[Runtime]]


def provide_runtime(state: State) -> Runtime:
    """The app's runtime (web/app.py keeps it in the app state), for handlers that take ``runtime: Rt``."""
    runtime: Runtime = state.runtime
    return runtime


def run_job(job: Callable[[Runtime], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run one async job on a fresh runtime and dispose of it afterwards (every CLI command's shape)."""

    async def main() -> T:
        runtime = Runtime.build(settings or Settings.from_env())
        try:
            return await job(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())
