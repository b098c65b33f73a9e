"""HTTP API of experts: the pool, the expert's own profile and invitations, draws, live sockets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from litestar import WebSocket, delete, get, post, put, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from core.access import PUBLIC, Caller, Viewer, allow
from core.accounts import Principal
from core.numbers import CREDIT_INDEX, decimal_input
from core.paging import Paging
from core.pubsub import forward
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest
from experts import enrolment, registry, service, specialties
from experts.draw import DrawRules, DrawTender, Slot
from experts.models import ExpertApplication

SUPERVISOR = allow(Role.SUPERVISOR)
EXPERT = allow(Role.EXPERT)


@dataclass
class SlotBody:
    specialty: str
    experts: int
    alternates: int = 0


@dataclass
class DrawBody:
    tender_ref: str
    tenderer_code: str
    tenderer_county: str
    evaluation_date: date
    slots: list[SlotBody]
    lot_ref: str | None = None
    agent_code: str | None = None
    bidder_codes: list[str] = field(default_factory=list)
    counties_allowed: list[str] = field(default_factory=list)
    counties_excluded: list[str] = field(default_factory=list)
    exclude_tenderer_county: bool = False
    min_counties: int = 0
    max_per_county: int | None = None
    max_recent_for_tenderer: int | None = None
    min_credit: str | None = None
    response_minutes: int = 30


@dataclass
class ContributionBody:
    value: str


@dataclass
class ResponseBody:
    accept: bool
    reason: str = ""


@dataclass
class StatusBody:
    status: str
    reason: str = ""


@dataclass
class LeaveBody:
    start: date
    end: date
    reason: str = ""


def _decimal(raw: str | None) -> Decimal | None:
    if raw in (None, ""):
        return None
    return decimal_input(raw, "min_credit 信用分阈值 (credit index)", CREDIT_INDEX, code="bad_rule")


def parse_draw_body(data: DrawBody) -> tuple[DrawTender, DrawRules]:
    tender = DrawTender(
        data.tenderer_code,
        data.tenderer_county,
        data.agent_code,
        tuple(data.bidder_codes),
        data.evaluation_date,
    )
    rules = DrawRules(
        slots=tuple(Slot(s.specialty, s.experts, s.alternates) for s in data.slots),
        counties_allowed=tuple(data.counties_allowed),
        counties_excluded=tuple(data.counties_excluded),
        exclude_tenderer_county=data.exclude_tenderer_county,
        min_counties=data.min_counties,
        max_per_county=data.max_per_county,
        max_recent_for_tenderer=data.max_recent_for_tenderer,
        min_credit=_decimal(data.min_credit),
    )
    return tender, rules


def _is_supervisor(principal: Principal | None) -> bool:
    return principal is not None and Role.SUPERVISOR in principal.roles


@get("/api/experts/specialties", opt=PUBLIC, tags=["experts"])
async def list_specialties() -> list[dict[str, Any]]:
    return [s.__dict__ for s in specialties.tree().values()]


@get("/api/experts", opt=allow(Role.SUPERVISOR, Role.ADMIN), tags=["experts"])
async def list_pool(
    principal: Caller,
    db: Db,
    q: FromQuery[str | None] = None,
    county: FromQuery[str | None] = None,
    specialty: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    limit: FromQuery[int] = 50,
    offset: FromQuery[int] = 0,
) -> dict[str, Any]:
    rows, total = await registry.list_experts(
        db, q=q, county=county, specialty=specialty, status=status, limit=limit, offset=offset
    )
    sup = _is_supervisor(principal)
    return {"total": total, "items": [registry.profile_json(e, supervisor=sup) for e in rows]}


@post("/api/experts", opt=allow(Role.SUPERVISOR, Role.ADMIN), status_code=201, tags=["experts"])
async def register_expert(
    runtime: Rt,
    principal: Caller,
    db: Db,
    data: JSONBody[registry.ExpertInput],
) -> dict[str, Any]:
    actor = principal.actor
    expert = await registry.register_expert(db, runtime, data, actor=actor)
    return registry.profile_json(expert, supervisor=_is_supervisor(principal))


@post("/api/experts/import", opt=allow(Role.SUPERVISOR, Role.ADMIN), status_code=201, tags=["experts"])
async def import_pool(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> dict[str, int]:
    text = (await request.body()).decode("utf-8", errors="replace")
    actor = principal.actor
    return {"imported": await registry.import_csv(db, runtime, text, actor=actor)}


@get("/api/experts/{code:str}", opt=allow(Role.SUPERVISOR, Role.ADMIN), tags=["experts"])
async def get_expert(principal: Caller, db: Db, code: FromPath[str]) -> dict[str, Any]:
    return registry.profile_json(await registry.get_expert(db, code), supervisor=_is_supervisor(principal))


@post("/api/experts/{code:str}/status", opt=SUPERVISOR, status_code=200, tags=["experts"])
async def change_expert_status(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    data: JSONBody[StatusBody],
) -> dict[str, Any]:
    actor = principal.actor
    expert = await registry.set_status(db, runtime, code, data.status, reason=data.reason, actor=actor)
    return registry.profile_json(expert, supervisor=True)


# The logged-in expert's own profile, leave and invitations.


@get("/api/experts/me", opt=EXPERT, tags=["experts"])
async def my_profile(principal: Caller, db: Db) -> dict[str, Any]:
    expert = await registry.expert_for_user(db, principal.user_id)
    return registry.profile_json(expert, supervisor=False, own=True)


@put("/api/experts/me", opt=EXPERT, tags=["experts"])
async def update_my_profile(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[registry.ProfileChanges]
) -> dict[str, Any]:
    expert = await registry.expert_for_user(db, principal.user_id)
    expert = await registry.update_profile(db, runtime, expert, data, actor=principal.actor)
    return registry.profile_json(expert, supervisor=False, own=True)


@post("/api/experts/me/leave", opt=EXPERT, status_code=201, tags=["experts"])
async def add_my_leave(runtime: Rt, principal: Caller, db: Db, data: JSONBody[LeaveBody]) -> dict[str, Any]:
    expert = await registry.expert_for_user(db, principal.user_id)
    await registry.add_leave(db, runtime, expert, data.start, data.end, data.reason, actor=principal.actor)
    return registry.profile_json(expert, supervisor=False, own=True)


@delete("/api/experts/me/leave/{leave_id:int}", opt=EXPERT, status_code=204, tags=["experts"])
async def remove_my_leave(runtime: Rt, principal: Caller, db: Db, leave_id: FromPath[int]) -> None:
    expert = await registry.expert_for_user(db, principal.user_id)
    await registry.remove_leave(db, runtime, expert, leave_id, actor=principal.actor)


@get("/api/experts/me/invitations", opt=EXPERT, tags=["experts"])
async def my_invitations(principal: Caller, db: Db) -> list[dict[str, Any]]:
    expert = await registry.expert_for_user(db, principal.user_id)
    return await service.invitations_for(db, expert)


@post(
    "/api/experts/me/invitations/{invitation_id:int}/respond", opt=EXPERT, status_code=200, tags=["experts"]
)
async def respond_to_invitation(
    runtime: Rt,
    principal: Caller,
    db: Db,
    invitation_id: FromPath[int],
    data: JSONBody[ResponseBody],
) -> dict[str, Any]:
    invitation = await service.respond(
        db,
        runtime,
        invitation_id,
        actor=principal,
        accept=data.accept,
        reason=data.reason,
    )
    return {"id": invitation.id, "state": invitation.state}


@post("/api/experts/draws", opt=SUPERVISOR, status_code=201, tags=["experts"])
async def create_draw(runtime: Rt, principal: Caller, db: Db, data: JSONBody[DrawBody]) -> dict[str, Any]:
    tender, rules = parse_draw_body(data)
    found = await service.create_draw_request(
        db, runtime, tender_ref=data.tender_ref, lot_ref=data.lot_ref, tender=tender, rules=rules,
        response_minutes=data.response_minutes, actor=principal,
    )  # fmt: skip
    return service.draw_json(found, supervisor=True)


@get("/api/experts/draws", opt=SUPERVISOR, tags=["experts"])
async def list_draws(db: Db) -> list[dict[str, Any]]:
    return [service.draw_json(d, supervisor=True) for d in await service.list_draws(db)]


@get("/api/experts/draws/{draw_id:int}", opt=PUBLIC, tags=["experts"])
async def get_draw(viewer: Viewer, db: Db, draw_id: FromPath[int]) -> dict[str, Any]:
    return service.draw_json(await service.get_draw(db, draw_id), supervisor=_is_supervisor(viewer))


@get("/api/experts/draws/{draw_id:int}/counts", opt=SUPERVISOR, tags=["experts"])
async def eligible_counts(db: Db, draw_id: FromPath[int]) -> list[dict[str, Any]]:
    return [
        {"specialty": c.specialty, "name": specialties.path_name(c.specialty), "needed": c.needed,
         "holders": c.holders, "eligible": c.eligible, "rules": [r.__dict__ for r in c.rules]}
        for c in await service.eligible_counts(db, draw_id)
    ]  # fmt: skip


@post("/api/experts/draws/{draw_id:int}/commit", opt=SUPERVISOR, status_code=200, tags=["experts"])
async def commit_seed(runtime: Rt, principal: Caller, db: Db, draw_id: FromPath[int]) -> dict[str, Any]:
    found = await service.commit_seed(db, runtime, draw_id, actor=principal)
    return service.draw_json(found, supervisor=True)


@post(
    "/api/experts/draws/{draw_id:int}/contributions",
    opt=allow(Role.SUPERVISOR, Role.TENDERER),
    status_code=200,
    tags=["experts"],
)
async def contribute_to_draw(
    runtime: Rt,
    principal: Caller,
    db: Db,
    draw_id: FromPath[int],
    data: JSONBody[ContributionBody],
) -> dict[str, Any]:
    found = await service.contribute(db, runtime, draw_id, actor=principal, value=data.value)
    return service.draw_json(found, supervisor=_is_supervisor(principal))


@post("/api/experts/draws/{draw_id:int}/run", opt=SUPERVISOR, status_code=200, tags=["experts"])
async def run_draw(runtime: Rt, principal: Caller, db: Db, draw_id: FromPath[int]) -> dict[str, Any]:
    found = await service.run_draw(db, runtime, draw_id, actor=principal)
    return service.draw_json(found, supervisor=True)


@get("/api/experts/draws/{draw_id:int}/committee", opt=PUBLIC, tags=["experts"])
async def draw_committee(viewer: Viewer, db: Db, draw_id: FromPath[int]) -> list[dict[str, Any]]:
    return await service.committee(db, draw_id, viewer=viewer)


@get("/api/experts/draws/{draw_id:int}/document", opt=PUBLIC, tags=["experts"])
async def draw_document(viewer: Viewer, db: Db, draw_id: FromPath[int]) -> dict[str, Any]:
    return await service.document(db, draw_id, viewer=viewer)


@websocket("/ws/experts/me", opt=EXPERT)
async def my_notices(
    socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin], principal: Caller
) -> None:
    """Invitation notices for the logged-in expert, live."""
    await forward(socket, channels, [service.channel_for_expert(principal.user_id)])


@websocket("/ws/experts/draws/{draw_id:int}", opt=SUPERVISOR)
async def draw_events(
    socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin], draw_id: FromPath[int]
) -> None:
    """A draw's progress for the supervisor's console: commit, draw, confirmations, alternates."""
    await forward(socket, channels, [service.channel_for_draw(draw_id)])


# Logins for experts: linking a record to an account, and self-registration approved by a supervisor.

STAFF = allow(Role.SUPERVISOR, Role.ADMIN)


@dataclass
class LinkBody:
    username: str


@dataclass
class RejectBody:
    reason: str


def application_json(row: ExpertApplication) -> dict[str, Any]:
    """For supervisors and admins only (the ID number and phone in full, as for an expert record)."""
    return {
        "id": row.id,
        "username": row.username,
        "name": row.name,
        "id_number": row.id_number,
        "phone": row.phone,
        "county": row.county_code,
        "employer_code": row.employer_code,
        "employer_name": row.employer_name,
        "title": row.title,
        "specialties": [{"code": c, "name": specialties.path_name(c)} for c in row.specialties],
        "state": row.state,
        "reason": row.reason,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }


@post("/api/experts/{code:str}/link", opt=STAFF, status_code=200, tags=["experts"])
async def link_expert(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[LinkBody]
) -> dict[str, Any]:
    """Link the expert record to a user account (which gains the expert role), so the expert can log in."""
    expert = await enrolment.link_expert_to_user(db, runtime, code, data.username, actor=principal.actor)
    return registry.profile_json(expert, supervisor=_is_supervisor(principal))


@post("/api/experts/applications", opt=PUBLIC, status_code=201, tags=["experts"])
async def submit_application(runtime: Rt, db: Db, data: JSONBody[enrolment.Application]) -> dict[str, Any]:
    """Register as an expert (logged out); a supervisor approves or rejects the application."""
    row = await enrolment.submit_application(db, runtime, data)
    return {"id": row.id, "state": row.state}


@get("/api/experts/applications", opt=STAFF, tags=["experts"])
async def list_applications(
    db: Db, paging: Paging, status: FromQuery[str] = enrolment.PENDING
) -> dict[str, Any]:
    """Applications in one state (``status``: pending, approved, rejected; empty: all)."""
    found = await enrolment.list_applications(
        db, state=status or None, limit=paging.limit, offset=paging.offset
    )
    items = [application_json(r) for r in found.rows]
    return {"items": items, "total": found.total, "limit": found.limit, "offset": found.offset}


@post(
    "/api/experts/applications/{application_id:int}/approve",
    opt=SUPERVISOR,
    status_code=200,
    tags=["experts"],
)
async def approve_application(
    runtime: Rt, principal: Caller, db: Db, application_id: FromPath[int]
) -> dict[str, Any]:
    """Create the expert record and its login (linked); the applicant can log in at once."""
    expert = await enrolment.approve_application(db, runtime, application_id, principal)
    return registry.profile_json(expert, supervisor=True)


@post(
    "/api/experts/applications/{application_id:int}/reject", opt=SUPERVISOR, status_code=200, tags=["experts"]
)
async def reject_application(
    runtime: Rt, principal: Caller, db: Db, application_id: FromPath[int], data: JSONBody[RejectBody]
) -> dict[str, Any]:
    row = await enrolment.reject_application(db, runtime, application_id, data.reason, principal)
    return application_json(row)


ROUTE_HANDLERS = [
    link_expert,
    submit_application,
    list_applications,
    approve_application,
    reject_application,
    list_specialties,
    list_pool,
    register_expert,
    import_pool,
    get_expert,
    change_expert_status,
    my_profile,
    update_my_profile,
    add_my_leave,
    remove_my_leave,
    my_invitations,
    respond_to_invitation,
    create_draw,
    list_draws,
    get_draw,
    eligible_counts,
    commit_seed,
    contribute_to_draw,
    run_draw,
    draw_committee,
    draw_document,
    my_notices,
    draw_events,
]
