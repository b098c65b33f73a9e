"""The credit port: how the contexts above credit read standings and record event deductions.

credit is optional (a platform may run without the credit index). It registers itself here at start-up
(``credit/ports.py``, run by ``core.contexts.register_ports`` from ``Runtime.build``, so the app, the CLI
and the tests all get it); callers ask ``credit()`` and never import credit for these two calls.

Without credit, ``credit()`` is None and each caller keeps its fallback:

- bidding's registration gate has nothing to check: the bidder registers and no index is kept;
- a bid not opened through the bidder's fault, or an expert's misconduct, records no deduction
  (there is no index to deduct from);
- an expert draw refuses with ``credit_unavailable``: its credit bar could not be applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from core.runtime import Runtime


class CreditStanding(Protocol):
    """A subject's credit on one day (credit.service.Standing has more; callers need these)."""

    @property
    def index(self) -> Decimal: ...

    @property
    def barred(self) -> bool: ...


class CreditPort(Protocol):
    """credit.service's two calls other contexts make (the module itself implements this)."""

    async def standings(
        self, session: AsyncSession, kind: str, keys: Sequence[str], day: date
    ) -> Mapping[str, CreditStanding]:
        """Every key's standing on ``day`` (kind: ``"bidder"``, ``"expert"``, …)."""
        ...

    async def record_event_deduction(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        event: str,
        kind: str,
        key: str,
        evidence: str,
        source_ref: str,
    ) -> object:
        """The deduction another context's event raises; the same (event, key, source_ref) counts once."""
        ...


_registered: CreditPort | None = None


def register_credit(port: CreditPort | None) -> CreditPort | None:
    """Serve ``port`` from now on (None: credit is not installed); returns the port it replaces."""
    global _registered
    previous, _registered = _registered, port
    return previous


def credit() -> CreditPort | None:
    """The registered credit port, or None when credit is not installed (see the module docstring)."""
    return _registered
