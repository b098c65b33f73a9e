"""The re-tender port: which lots of a tender may be tendered again for a reason a higher context knows.

bidding creates the re-tender draft (bidding/retender.py) from a failed tender or the lots whose opening
failed. Two other reasons live above bidding: contracts, where the owner decided to tender a lot again
after its contract was refused or lapsed and no next candidate took it (《招标投标法实施条例》第五十五条),
and disputes, where a complaint was upheld with the remedy 重新招标. Each registers a source here at
start-up (``<ctx>/ports.py``, run by ``core.contexts.register_ports``); bidding asks
``retender_sources()`` and never imports them.

Without them, only failures are tendered again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class RetenderCause:
    """Why a lot (``lot``; None: every lot of the tender) may be tendered again, in both languages."""

    lot: str | None
    zh: str
    en: str
    basis: str


class RetenderSource(Protocol):
    async def retender_causes(self, session: AsyncSession, tender_code: str) -> Sequence[RetenderCause]:
        """The lots of ``tender_code`` this context says may be tendered again, and why."""
        ...


_registered: dict[str, RetenderSource] = {}


def register_retender_source(name: str, source: RetenderSource | None) -> RetenderSource | None:
    """Serve ``source`` under ``name`` from now on (None: withdraw it); returns the one it replaces."""
    previous = _registered.pop(name, None)
    if source is not None:
        _registered[name] = source
    return previous


def retender_sources() -> list[RetenderSource]:
    return [_registered[name] for name in sorted(_registered)]
