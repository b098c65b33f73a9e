"""The integrity port: how the evaluation room tells a supervisor that a lot carries collusion flags.

integrity sits above evaluation, so evaluation cannot import it. integrity registers itself here at
start-up (``integrity/ports.py``, run by ``core.contexts.register_ports`` from ``Runtime.build``);
the evaluation room asks ``integrity()`` for the lot's warning when, and only when, the viewer is a
supervisor. Without integrity, ``integrity()`` is None and the room shows no warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class LotWarning:
    """A lot's stored flags as the supervisor's room shows them: how many, which rules (both
    languages), and the integrity page where each flag's evidence is."""

    flags: int
    rules_zh: tuple[str, ...]
    rules_en: tuple[str, ...]
    link: str


class IntegrityPort(Protocol):
    async def lot_warning(
        self, session: AsyncSession, tender_code: str, lot_number: str
    ) -> LotWarning | None:
        """The lot's warning, or None when no flag is stored for it."""
        ...


_registered: IntegrityPort | None = None


def register_integrity(port: IntegrityPort | None) -> IntegrityPort | None:
    """Serve ``port`` from now on (None: integrity is not installed); returns the port it replaces."""
    global _registered
    previous, _registered = _registered, port
    return previous


def integrity() -> IntegrityPort | None:
    return _registered
