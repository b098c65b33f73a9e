"""The two call sites where the guarantees context is told about a contract (wired at merge).

Guarantees (bid deposits, bid guarantees, performance bonds given as guarantees) are another context's;
until it is wired in these do nothing, and every caller already calls them at the right moment.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Contract
from contracts.rules import Party
from core.runtime import Runtime


async def _after_signed(session: AsyncSession, runtime: Runtime, contract: Contract) -> None:
    """Both parties signed: the bidders' deposits of the lot fall due for refund (条例第五十七条) and a
    performance bond given as a guarantee is attached. Guarantees are another context's; nothing here."""
    return None


async def _after_refusal(session: AsyncSession, runtime: Runtime, contract: Contract, party: Party) -> None:
    """A party refused or let the period lapse: a refusing winner's deposit or bid guarantee is forfeited
    (条例第七十四条) and a claim may be filed. Guarantees are another context's; nothing here."""
    return None
