"""The ports credit serves to the contexts above it (run at start-up by core.contexts.register_ports)."""

from __future__ import annotations

from core.credit_port import register_credit
from credit import service


def register() -> None:
    register_credit(service)
