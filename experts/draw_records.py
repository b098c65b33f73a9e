"""A stored draw: look-ups, its deferred columns, its invitations in seat order, the seals that
hide the committee until the award, and its live channels (used by service.py and invitations.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import seal
from core.errors import NotFound
from core.pubsub import after_commit
from experts.draw import DrawRules, DrawTender
from experts.events import DrawNews
from experts.models import Draw, Invitation


def channel_for_expert(user_id: int) -> str:
    return f"expert:{user_id}"


def channel_for_draw(draw_id: int) -> str:
    return f"draw:{draw_id}"


async def get_draw(session: AsyncSession, draw_id: int) -> Draw:
    found = await session.get(Draw, draw_id)
    if found is None:
        raise NotFound(f"抽取申请 {draw_id} 不存在 (no such draw)", code="unknown_draw")
    return found


async def list_draws(session: AsyncSession, limit: int = 50) -> list[Draw]:
    return list(await session.scalars(select(Draw).order_by(Draw.id.desc()).limit(limit)))


async def load_snapshot(session: AsyncSession, found: Draw) -> None:
    """Load the deferred pool and eligible columns (async sessions cannot lazy-load them)."""
    if "pool" in inspect(found).unloaded:
        await session.refresh(found, attribute_names=["pool", "eligible"])


def rules_of(found: Draw) -> tuple[DrawRules, DrawTender]:
    return DrawRules.from_json(found.rules), DrawTender.from_json(found.tender)


async def invitations_of(session: AsyncSession, draw_id: int) -> list[Invitation]:
    return list(
        await session.scalars(
            select(Invitation)
            .where(Invitation.draw_id == draw_id)
            .order_by(Invitation.slot, Invitation.kind.desc(), Invitation.position)
        )
    )


def draw_seal(found: Draw, value: Any) -> str:
    """A commitment opened at award, when :func:`publish_names` reveals the draw's salt."""
    assert found.name_salt is not None
    return seal(value, bytes.fromhex(found.name_salt))


def tell_supervisors(session: AsyncSession, found: Draw, event: str) -> None:
    after_commit(session, channel_for_draw(found.id), DrawNews(type=event, draw=found.id, state=found.state))
