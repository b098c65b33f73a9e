"""The ports guarantees serves to the contexts below it (run at start-up by core.contexts.register_ports)."""

from __future__ import annotations

from core.bond_port import register_bonds
from guarantees import service


def register() -> None:
    register_bonds(service)
