"""The contract port: how guarantees learns whether a bidder refused to sign, without importing contracts.

contracts sits above guarantees (it tells guarantees when a contract is signed or refused), so a claim
on a bid guarantee cannot read contracts' tables. contracts registers its service here at start-up
(``contracts/ports.py``, run by ``core.contexts.register_ports``); guarantees asks ``contract_standing()``.

Without contracts, ``contract_standing()`` is None: nobody can have refused a contract that does not
exist, so a claim for a refusal to sign is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class SupplierStanding:
    """Where a bidder stands on the contract of a lot it was awarded (as winner or next candidate)."""

    status: str  # pending | signed | completed | refused | lapsed
    supplier_failed: bool  # the supplier refused, or let the signing period lapse without signing
    due_at: datetime  # the first moment the contract may no longer be signed (UTC)


class ContractStandingPort(Protocol):
    async def supplier_standing(
        self, session: AsyncSession, tender_code: str, lot: str, supplier_id: int
    ) -> SupplierStanding | None:
        """The latest contract of ``lot`` with ``supplier_id`` as supplier, or None when it was never
        awarded the lot."""
        ...


_registered: ContractStandingPort | None = None


def register_contract_standing(port: ContractStandingPort | None) -> ContractStandingPort | None:
    """Serve ``port`` from now on (None: contracts is not installed); returns the port it replaces."""
    global _registered
    previous, _registered = _registered, port
    return previous


def contract_standing() -> ContractStandingPort | None:
    return _registered
