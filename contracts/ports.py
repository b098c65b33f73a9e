"""The ports contracts serves to the contexts below it (run at start-up by core.contexts.register_ports)."""

from __future__ import annotations

from contracts import reading, service
from core.contract_port import register_contract_standing
from core.retender_port import register_retender_source


def register() -> None:
    register_retender_source("contracts", reading)
    register_contract_standing(service)
