"""Named preconditions shared by bidding's API, pages and services, each refusing with one domain error.

The rules themselves are ``bidding.lifecycle``'s (pure); these ask it about a tender (a ``Moment``
from ``lock_tender`` or ``moment_of``) or about the database, and turn a "no" into the error the
API has always given, so every entry point refuses the same way.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bidding import lifecycle
from bidding.common import domain_error, registration_of
from bidding.lifecycle import Action, Actor, LifecycleError, Moment, State
from bidding.models import Registration
from core.errors import Conflict, PermissionDenied


class DeadlinePassed(Conflict):
    code = "deadline_passed"


def require_transition(state: State, action: Action, actor: Actor) -> State:
    """The state ``action`` moves the tender to, or the error saying why it may not."""
    try:
        return lifecycle.check(state, action, actor)
    except LifecycleError as exc:
        raise domain_error(exc) from None


def require_status(state: State, *allowed: State, detail: str) -> None:
    if state not in allowed:
        raise Conflict(detail, code="invalid_state")


def require_registration_open(moment: Moment) -> None:
    if not moment.registration_open:
        raise Conflict("不在报名期内 (registration is not open)", code="registration_closed")


def require_accepting_bids(
    moment: Moment, detail: str = "投标截止时间已过，不再接收投标 (the bid deadline has passed)"
) -> None:
    """Before the deadline by the server clock, in a state that takes bids (``lifecycle.accepting_bids``)."""
    if not moment.accepting_bids:
        raise DeadlinePassed(detail)


async def require_registered(
    session: AsyncSession,
    tender_id: int,
    org_id: int,
    detail: str = "请先报名 (register for the tender before bidding)",
) -> Registration:
    found = await registration_of(session, tender_id, org_id)
    if found is None:
        raise PermissionDenied(detail, code="not_registered")
    return found
