"""How drawn experts hear about an invitation beyond the app: a notifier interface.

The default writes to the log. A deployment plugs in an SMS or voice-call gateway with
``set_notifier``; the in-app notice (the invitation itself, pushed over the expert's WebSocket)
never depends on it, so a gateway outage cannot lose an invitation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("sunbid.experts.notify")


@dataclass(frozen=True)
class Notice:
    expert_code: str
    phone: str
    kind: str  # invited | released | reminder
    text: str


class Notifier(Protocol):
    async def send(self, notice: Notice) -> None: ...


class LogNotifier:
    def __init__(self) -> None:
        self.sent: list[Notice] = []

    async def send(self, notice: Notice) -> None:
        self.sent.append(notice)
        del self.sent[:-1000]  # keep memory bounded in long-running processes
        log.info("notice to %s (%s): %s", notice.expert_code, notice.kind, notice.text)


_notifier: Notifier = LogNotifier()


def set_notifier(notifier: Notifier) -> Notifier:
    """Install ``notifier``; returns the previous one (tests put it back)."""
    global _notifier
    previous, _notifier = _notifier, notifier
    return previous


def notifier() -> Notifier:
    return _notifier
