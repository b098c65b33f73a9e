"""Tests decide what credit answers by serving their own port for a block (core/credit_port.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.credit_port import CreditPort, register_credit

Standings = Callable[[AsyncSession, str, Sequence[str], date], Awaitable[Mapping[str, Any]]]


class StandingsOnly:
    """A credit port answering ``standings`` with the test's function; it records no deduction."""

    def __init__(self, standings: Standings) -> None:
        self._standings = standings

    async def standings(
        self, session: AsyncSession, kind: str, keys: Sequence[str], day: date
    ) -> Mapping[str, Any]:
        return await self._standings(session, kind, keys, day)

    async def record_event_deduction(self, *args: Any, **kwargs: Any) -> object:
        raise AssertionError("this test's credit port answers standings only")


@contextmanager
def credit_serving(port: CreditPort | None) -> Iterator[None]:
    """Serve ``port`` (None: credit not installed) for the block, then the port served before."""
    previous = register_credit(port)
    try:
        yield
    finally:
        register_credit(previous)
