"""The ports disputes serves to the contexts below it (run at start-up by core.contexts.register_ports)."""

from __future__ import annotations

from core.hold_port import register_hold_cases
from core.retender_port import register_retender_source
from disputes import complaints, service


def register() -> None:
    register_hold_cases(service)
    register_retender_source("disputes", complaints)
