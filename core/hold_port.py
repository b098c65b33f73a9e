"""The hold-cases port: how bidding's pages say why a step is suspended and until when.

bidding keeps the holds (bidding/holds.py) but not the cases that place them: an objection or a
complaint (a supervisor's suspension) lives in disputes, above bidding. disputes registers itself here
at start-up (``disputes/ports.py``, run by ``core.contexts.register_ports``); bidding and evaluation
ask ``hold_cases()`` and never import disputes.

Without disputes, ``hold_cases()`` is None and a banner shows the hold's stored reason with no due time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class HoldCase:
    """What a page says about the case behind a hold: why, in both languages, and when it is due."""

    zh: str
    en: str
    due: datetime | None  # when the party holding the step must answer or decide (UTC)
    due_kind: str = "answer"  # what is due then: "answer" (an objection), "acceptance" or "decision"


class HoldCasesPort(Protocol):
    async def hold_cases(self, session: AsyncSession, refs: Sequence[str]) -> Mapping[str, HoldCase]:
        """The cases named by hold refs (``"objection:12"``, ``"complaint:3"``); refs it does not know are
        left out."""
        ...


_registered: HoldCasesPort | None = None


def register_hold_cases(port: HoldCasesPort | None) -> HoldCasesPort | None:
    """Serve ``port`` from now on (None: no context describes holds); returns the port it replaces."""
    global _registered
    previous, _registered = _registered, port
    return previous


def hold_cases() -> HoldCasesPort | None:
    return _registered
