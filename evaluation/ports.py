"""The ports evaluation serves to the contexts below it (run at start-up by core.contexts.register_ports)."""

from __future__ import annotations

from core.committee_port import register_committee
from evaluation import supplementary


def register() -> None:
    register_committee(supplementary)
