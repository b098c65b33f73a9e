"""The ports disputes serves to the contexts below it (run at start-up by core.contexts.register_ports)."""

from __future__ import annotations

from core.hold_port import register_hold_cases
from disputes import service


def register() -> None:
    register_hold_cases(service)
