"""One read for many: a crowd asking the same question at once (sockets joining a hall) shares a
single database read instead of each taking a connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from core.runtime import Runtime

T = TypeVar("T")


async def shared_read(runtime: Runtime, key: str, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``read``'s answer as stored now, one read for those who ask for ``key`` together.

    A read is shared only by those who asked before it began, so each gets an answer at least as new
    as everything committed before it asked: as good as a read of its own. The read takes a connection
    of its own, so ask holding none (a crowd holding connections while waiting would exhaust the pool).
    An error is every sharer's error."""
    waiting: dict[str, asyncio.Future[Any]] = runtime.cache("core.shared_reads", dict)
    found = waiting.get(key)
    if found is None:
        found = waiting[key] = asyncio.get_running_loop().create_future()
        reading = asyncio.create_task(_read(runtime, key, read, waiting, found))
        _READS.add(reading)
        reading.add_done_callback(_READS.discard)
    return cast(T, await asyncio.shield(found))


_READS: set[asyncio.Task[None]] = set()


async def _read(
    runtime: Runtime,
    key: str,
    read: Callable[[AsyncSession], Awaitable[Any]],
    waiting: dict[str, asyncio.Future[Any]],
    found: asyncio.Future[Any],
) -> None:
    try:
        async with runtime.sessions() as session:
            await session.connection()  # who asks while this waits for a connection shares the read
            if waiting.get(key) is found:
                del waiting[key]  # from here on, a new asker gets a read of its own
            found.set_result(await read(session))
    except Exception as exc:
        if not found.done():
            found.set_exception(exc)
    finally:
        if waiting.get(key) is found:
            del waiting[key]
        if not found.done():
            found.cancel()
