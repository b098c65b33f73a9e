"""The bond port: how bidding's opening shows each bid's bond verified without importing guarantees.

guarantees sits above bidding (it reads tenders and lots), so the opening cannot call it. guarantees
registers ``guarantees.service`` (its ``verify_bonds``) here at start-up (``guarantees/ports.py``, run by
``core.contexts.register_ports`` from ``Runtime.build``); the opening asks ``bonds()``.

Without guarantees, ``bonds()`` is None and the 唱标 table's bond column shows the bond form as a label
(the tender's amount and forms), as it always did. With it, ``verify_bonds`` answers None for a bid it has
nothing to say about (the tender asks for no bond and none is recorded): the label again. A tender that
asks for a bond and received none fails the bid (``no_bond``), as a failed guarantee does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class BondCheck:
    """One bid's bond as verified at opening: ``verified`` or the reason it failed (zh and en)."""

    verified: bool
    zh: str  # what the 唱标 table shows, in Chinese ("电子保函 BH-2026-000001 已核验" or the failure)
    en: str
    number: str | None = None  # the guarantee's number, when the bid is secured by one
    code: str | None = None  # the failure's code (``bad_signature``, ``altered``, ``wrong_bidder``…)

    def text(self) -> str:
        return f"{self.zh} ({self.en})"


class BondPort(Protocol):
    async def verify_bonds(
        self,
        session: AsyncSession,
        *,
        tender_code: str,
        lot: str,
        bids: Sequence[tuple[str, Mapping[str, Any]]],
    ) -> list[BondCheck | None]:
        """Each bid's bond, given as (bidder's credit code, bid form), verified against the tender, the
        lot and the bidder, in the bids' order (None: nothing to verify). One call for the lot's bids."""
        ...


_registered: BondPort | None = None


def register_bonds(port: BondPort | None) -> BondPort | None:
    """Serve ``port`` from now on (None: guarantees is not installed); returns the port it replaces."""
    global _registered
    previous, _registered = _registered, port
    return previous


def bonds() -> BondPort | None:
    """The registered bond port, or None when guarantees is not installed (see the module docstring)."""
    return _registered
