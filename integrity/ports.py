"""The ports integrity serves to the contexts below it (run at start-up by core.contexts.register_ports)."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from core.integrity_port import LotWarning, register_integrity
from integrity import stored


class _Port:
    async def lot_warning(
        self, session: AsyncSession, tender_code: str, lot_number: str
    ) -> LotWarning | None:
        lot = next(
            (lot for lot in await stored.latest(session, [tender_code]) if lot.lot_number == lot_number), None
        )
        if lot is None or not lot.flags:
            return None
        return LotWarning(
            flags=len(lot.flags),
            rules_zh=tuple(f["name_zh"] for f in lot.flags),
            rules_en=tuple(f["name_en"] for f in lot.flags),
            link=f"/integrity/tenders/{quote(tender_code)}",
        )


def register() -> None:
    register_integrity(_Port())
