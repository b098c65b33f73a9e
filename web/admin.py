"""The admin's dashboard at /admin: what needs doing, gathered from core, experts and bidding.

It lives in web because it reads several contexts (each through its façade); the users' and
organisations' pages it links to are core's (core/admin_pages.py), the expert applications experts'.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import get
from litestar.response import Template

from bidding import service as bidding
from core import admin
from core.access import Caller, allow
from core.accounts import Principal
from core.clock import as_utc, format_local
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest
from experts import service as experts

CUSTODY_HORIZON = timedelta(days=7)  # tenders closing this soon with unassigned custody shares are flagged


async def tenders_without_custodians(db: Db, principal: Principal, now: datetime) -> list[dict[str, Any]]:
    """Tenders still taking bids, closing within the horizon, whose custody shares are not all
    assigned to custodian accounts (the admin assigns them on the tender's custodians page)."""
    candidates = []
    for state in (bidding.State.PUBLISHED, bidding.State.BIDDING):
        found = await bidding.list_tenders(db, principal, bidding.TenderFilter(state=state.value), limit=100)
        for tender in found.rows:
            deadline = as_utc(tender.bid_deadline)
            shares = len(bidding.share_indexes(tender))
            if shares and now <= deadline <= now + CUSTODY_HORIZON:
                candidates.append((tender, deadline, shares))
    assigned = await bidding.assigned_counts(db, [t.id for t, _d, _n in candidates])
    flagged = [
        {
            "code": tender.code,
            "title": tender.title,
            "deadline": format_local(deadline),
            "at": deadline,
            "shares": shares,
            "assigned": assigned.get(tender.id, 0),
        }
        for tender, deadline, shares in candidates
        if assigned.get(tender.id, 0) < shares
    ]
    return sorted(flagged, key=lambda t: t["at"])


@get("/admin", opt=allow(Role.ADMIN), include_in_schema=False)
async def dashboard(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    now = runtime.clock.now()
    lockouts = await admin.lockouts(db, runtime.clock, max_failures=runtime.settings.login_max_failures)
    return page(
        request,
        "admin/dashboard.html",
        counts=await admin.counts(db),
        pending=await experts.count_pending_applications(db),
        lockouts=[
            {
                "username": x.username,
                "failures": x.failures,
                "last": format_local(x.last),
                "user_id": x.user_id,
            }
            for x in lockouts
        ],
        tenders=await tenders_without_custodians(db, principal, now),
        horizon_days=CUSTODY_HORIZON.days,
    )


HANDLERS = [dashboard]
