"""The bounded contexts above core, and the optional parts each may provide.

web wires them in this order; a context that does not have a part yet is simply skipped, so a new
context plugs in by adding files in its own folder, never by editing another context's:

    <ctx>/api.py         ROUTE_HANDLERS: list of module-level Litestar handlers (JSON API)
    <ctx>/pages.py       ROUTE_HANDLERS: list of HTML page handlers
    <ctx>/templates/     Jinja templates, under templates/<ctx>/
    <ctx>/migrations/    Alembic revisions (a branch labelled <ctx>, based on core's 0001)
    <ctx>/cli.py         def register(group: click.Group) -> None
    <ctx>/jobs.py        JOBS: list[core.scheduler.Job]
    <ctx>/ports.py       def register() -> None: serve the ports of core this context implements
                         (credit: core/credit_port.py; integrity: core/integrity_port.py);
                         run at start-up by ``Runtime.build``

A context's demo data is not one of its parts: it lives in ``demo/seeds/<ctx>.py``, imported only by
``sunbid demo``.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

CONTEXTS = (
    "credit",
    "catalog",
    "experts",
    "bidding",
    "guarantees",
    "evaluation",
    "disputes",
    "integrity",
    "contracts",
    "publication",
)
ROOT = Path(__file__).resolve().parent.parent


def part(context: str, name: str) -> ModuleType | None:
    """``<context>.<name>`` if that module exists; import errors inside it still surface."""
    if importlib.util.find_spec(f"{context}.{name}") is None:
        return None
    return importlib.import_module(f"{context}.{name}")


def parts(name: str) -> list[ModuleType]:
    return [module for context in CONTEXTS if (module := part(context, name)) is not None]


def register_ports() -> None:
    """Let every installed context serve the ports it implements (idempotent; ``Runtime.build`` calls it)."""
    for module in parts("ports"):
        module.register()


def folders(name: str, *, include_core: bool = True) -> list[Path]:
    names = (("core",) if include_core else ()) + CONTEXTS
    return [path for context in names if (path := ROOT / context / name).is_dir()]
