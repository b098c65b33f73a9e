"""The committee port: how experts tells a running evaluation room that its committee grew.

experts keeps the draws and their supplementary draws (补抽, experts/supplementary.py); evaluation,
above experts, seats the committee in its room. When a supplementary draw's members confirm after the
room opened (a seat fell vacant in the room and no alternate was left), experts calls
``committee().supplemented(...)`` and evaluation seats them on the vacancy (the room's
``AlternatesAdded`` step). evaluation registers itself here at start-up (``evaluation/ports.py``, run by
``core.contexts.register_ports``); experts never imports evaluation.

Without evaluation, ``committee()`` is None and a supplementary draw only completes its draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from core.runtime import Runtime


class CommitteePort(Protocol):
    async def supplemented(self, session: AsyncSession, runtime: Runtime, draw_id: int) -> None:
        """Draw ``draw_id``'s committee is complete again through its supplementary draws: a room already
        running on it seats the newcomers (a room not opened yet seats them when it opens)."""
        ...


_registered: CommitteePort | None = None


def register_committee(port: CommitteePort | None) -> CommitteePort | None:
    """Serve ``port`` from now on (None: no context seats committees); returns the port it replaces."""
    global _registered
    previous, _registered = _registered, port
    return previous


def committee() -> CommitteePort | None:
    return _registered
