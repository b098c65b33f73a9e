"""The kinds of the audit-log entries experts appends (named after their values; stored: never change one).

experts/service.py's docstring tells the order of a draw's entries and what each one seals.
"""

from __future__ import annotations

import msgspec

from core.room_protocol import Frame

# the pool
EXPERTS_REGISTERED = "experts.registered"
EXPERTS_IMPORTED = "experts.imported"
EXPERTS_GENERATED = "experts.generated"
EXPERTS_USER_LINKED = "experts.user_linked"
EXPERTS_STATUS_CHANGED = "experts.status_changed"
EXPERTS_PROFILE_UPDATED = "experts.profile_updated"
EXPERTS_LEAVE_ADDED = "experts.leave_added"
EXPERTS_LEAVE_REMOVED = "experts.leave_removed"
EXPERTS_APPLICATION_SUBMITTED = "experts.application.submitted"
EXPERTS_APPLICATION_APPROVED = "experts.application.approved"
EXPERTS_APPLICATION_REJECTED = "experts.application.rejected"

# a draw
EXPERTS_DRAW_REQUESTED = "experts.draw.requested"
EXPERTS_DRAW_COMMITTED = "experts.draw.committed"
EXPERTS_DRAW_CONTRIBUTED = "experts.draw.contributed"
EXPERTS_DRAW_DRAWN = "experts.draw.drawn"
EXPERTS_DRAW_SHORT = "experts.draw.short"
EXPERTS_DRAW_COMPLETE = "experts.draw.complete"
# 补抽: a short draw's supplementary draw is requested (on the short draw, naming the new one), and the
# short draw's committee is complete once its supplementary draws filled the missing seats
EXPERTS_DRAW_SUPPLEMENTARY = "experts.draw.supplementary"
EXPERTS_DRAW_SUPPLEMENTED = "experts.draw.supplemented"
# a member left the running room's committee (conflict of interest, absent): the seat is released, and
# taken by the room's alternate or vacant (the draw is short again until a supplementary draw fills it)
EXPERTS_DRAW_SEAT_VACATED = "experts.draw.seat_vacated"
EXPERTS_DRAW_UNSEALED = "experts.draw.unsealed"
EXPERTS_DRAW_PUBLISHED = "experts.draw.published"

# its invitations
EXPERTS_INVITATION_SENT = "experts.invitation.sent"
EXPERTS_INVITATION_CONFIRMED = "experts.invitation.confirmed"
EXPERTS_INVITATION_DECLINED = "experts.invitation.declined"
EXPERTS_INVITATION_EXPIRED = "experts.invitation.expired"


# --- live notices (core/pubsub.py ``forward``): /ws/experts/me and /ws/experts/draws/{draw_id} ------------


class InvitationNotice(Frame, tag="invitation"):
    """To the expert: invitation ``id`` awaits a confirm or decline (GET /api/experts/me/invitations)."""

    id: int


class DrawNews(msgspec.Struct, kw_only=True):
    """To supervisors watching a draw: ``type`` names what happened (committed, contributed, drawn,
    unsealed, published; an invitation confirmed, declined or expired), ``state`` is the draw's state."""

    type: str
    draw: int
    state: str
