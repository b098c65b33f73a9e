"""HTTP API of experts: the pool, the expert's own profile and invitations, draws, live sockets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import WebSocket, delete, get, post, put, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from msgspec import Meta

from core.access import PUBLIC, Caller, Viewer, allow
from core.accounts import Principal
from core.credit_code import CreditCodeText
from core.numbers import CREDIT_INDEX, decimal_input
from core.paging import Listing, Paging, listing, paging_from
from core.pubsub import forward
from core.raw_body import raw_body
from core.roles import Role
from core.runtime import Db, Rt
from core.texts import NOT_WS, CreditIndexText, stripped_text
from core.types import AnyRequest
from experts import enrolment, registry, service, specialties, views
from experts.draw import MAX_RECENT, MAX_SEATS, DrawRules, DrawTender, Slot
from experts.idcard import RegionCodeText
from experts.registry import ExpertStatus, SettableStatus
from experts.views import DrawOut, ExpertOut

SUPERVISOR = allow(Role.SUPERVISOR)
EXPERT = allow(Role.EXPERT)
ExpertCode = Annotated[str, Parameter(description="the expert's registry code, e.g. E220200-00001")]
DrawId = Annotated[int, Parameter(description="the draw's id (its number, not its code)")]
Seats = Annotated[int, Meta(ge=0, le=MAX_SEATS)]


class SlotBody(msgspec.Struct, kw_only=True):
    specialty: Annotated[str, Meta(description="a leaf specialty code, e.g. A0101")]
    experts: Annotated[int, Meta(ge=1, le=MAX_SEATS, description="members to draw for this specialty")]
    alternates: Seats = 0


class DrawBody(msgspec.Struct, kw_only=True):
    """A draw request: whom it is for (to avoid) and its rules (抽取规则)."""

    tender_ref: Annotated[str, stripped_text(64, "the tender's code, 1-64 characters")]
    tenderer_code: Annotated[
        CreditCodeText, Meta(description="the tenderer's credit code (its staff are avoided)")
    ]
    tenderer_county: Annotated[RegionCodeText, Meta(description="region code of the tenderer's county")]
    evaluation_date: date
    slots: Annotated[list[SlotBody], Meta(min_length=1)]
    lot_ref: str | None = None
    agent_code: Annotated[CreditCodeText | None, Meta(description="the agent's credit code, avoided too")] = (
        None
    )
    bidder_codes: Annotated[list[CreditCodeText], Meta(description="bidders' credit codes, avoided")] = (
        msgspec.field(default_factory=list)
    )
    counties_allowed: Annotated[list[RegionCodeText], Meta(description="draw only from these counties")] = (
        msgspec.field(default_factory=list)
    )
    counties_excluded: list[str] = msgspec.field(default_factory=list)
    exclude_tenderer_county: bool = False
    min_counties: Annotated[int, Meta(ge=0, description="at most the number of members drawn")] = 0
    max_per_county: Annotated[int, Meta(ge=1)] | None = None
    max_recent_for_tenderer: Annotated[int, Meta(ge=0, le=MAX_RECENT)] | None = None
    min_credit: (
        Annotated[CreditIndexText, Meta(description="minimum credit index, a decimal as text")] | None
    ) = None
    response_minutes: Annotated[
        int, Meta(ge=5, le=24 * 60, description="minutes an invited expert has to answer")
    ] = 30


class ContributionBody(msgspec.Struct, kw_only=True):
    value: Annotated[str, Meta(description="the party's random contribution to the seed (any text)")]


class ResponseBody(msgspec.Struct, kw_only=True):
    accept: bool
    reason: Annotated[str, Meta(description="why the expert declines")] = ""


class StatusBody(msgspec.Struct, kw_only=True):
    status: SettableStatus
    reason: Annotated[str, Meta(description="required to suspend")] = ""


class LeaveBody(msgspec.Struct, kw_only=True):
    start: date
    end: Annotated[date, Meta(description="the last day of leave (on or after start, within a year)")]
    reason: Annotated[str, Meta(description="kept to its first 200 characters")] = ""


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
async def list_specialties() -> list[views.SpecialtyOut]:
    """The specialty tree (评标专家专业分类): categories, classes and the leaves experts hold."""
    return [views.specialty_out(s) for s in specialties.tree().values()]


@get(
    "/api/experts",
    opt=allow(Role.SUPERVISOR, Role.ADMIN),
    tags=["experts"],
    dependencies={"paging": paging_from(50)},
)
async def list_pool(
    principal: Caller,
    db: Db,
    paging: Paging,
    q: FromQuery[Annotated[str | None, Parameter(description="part of a name, code or employer")]] = None,
    county: FromQuery[Annotated[str | None, Parameter(description="a county's region code")]] = None,
    specialty: FromQuery[Annotated[str | None, Parameter(description="a leaf specialty code")]] = None,
    status: FromQuery[ExpertStatus | None] = None,
) -> Listing[ExpertOut]:
    """The expert pool (专家库), by code; ID numbers in full for supervisors only."""
    rows, total = await registry.list_experts(
        db, q=q, county=county, specialty=specialty, status=status, limit=paging.limit, offset=paging.offset
    )
    sup = _is_supervisor(principal)
    return Listing(
        items=[views.expert_out(e, supervisor=sup) for e in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@post("/api/experts", opt=allow(Role.SUPERVISOR, Role.ADMIN), status_code=201, tags=["experts"])
async def register_expert(
    runtime: Rt,
    principal: Caller,
    db: Db,
    data: JSONBody[registry.ExpertInput],
) -> ExpertOut:
    """Register an expert record (every field checked; the code is the next number unless given)."""
    actor = principal.actor
    expert = await registry.register_expert(db, runtime, data, actor=actor)
    return views.expert_out(expert, supervisor=_is_supervisor(principal))


@post(
    "/api/experts/import",
    opt=allow(Role.SUPERVISOR, Role.ADMIN),
    status_code=201,
    tags=["experts"],
    operation_class=raw_body("text/csv", "the experts as UTF-8 CSV with a header row"),
)
async def import_pool(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> views.Imported:
    """Import experts from a UTF-8 CSV body (``Content-Type: text/csv``).

    Columns: name, id_number, phone, county, employer_code, employer_name, title, specialties
    (leaf codes separated by ``;``), optionally status, public_key and avoid. Every row is checked
    first; one bad row refuses the whole file (422 naming the lines) and nothing is imported.
    """
    text = (await request.body()).decode("utf-8", errors="replace")
    actor = principal.actor
    return views.Imported(imported=await registry.import_csv(db, runtime, text, actor=actor))


@get("/api/experts/{code:str}", opt=allow(Role.SUPERVISOR, Role.ADMIN), tags=["experts"])
async def get_expert(principal: Caller, db: Db, code: FromPath[ExpertCode]) -> ExpertOut:
    """One expert record; the ID number in full for supervisors only."""
    return views.expert_out(await registry.get_expert(db, code), supervisor=_is_supervisor(principal))


@post("/api/experts/{code:str}/status", opt=SUPERVISOR, status_code=200, tags=["experts"])
async def change_expert_status(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[ExpertCode],
    data: JSONBody[StatusBody],
) -> ExpertOut:
    """Change an expert's status: pending → active, active ⇄ suspended (with a reason), → retired (final).

    Only active experts are drawn.
    """
    actor = principal.actor
    expert = await registry.set_status(db, runtime, code, data.status, reason=data.reason, actor=actor)
    return views.expert_out(expert, supervisor=True)


# The logged-in expert's own profile, leave and invitations.


@get("/api/experts/me", opt=EXPERT, tags=["experts"])
async def my_profile(principal: Caller, db: Db) -> ExpertOut:
    """The logged-in expert's own record (ID number masked, phone in full)."""
    expert = await registry.expert_for_user(db, principal.user_id)
    return views.expert_out(expert, supervisor=False, own=True)


@put("/api/experts/me", opt=EXPERT, tags=["experts"])
async def update_my_profile(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[registry.ProfileChanges]
) -> ExpertOut:
    """Change one's own phone, title, employer, specialties, signing key or companies to avoid.

    Fields left out (or null) stay as they are. New specialties send the record back to a
    supervisor (status pending) before the next draw.
    """
    expert = await registry.expert_for_user(db, principal.user_id)
    expert = await registry.update_profile(db, runtime, expert, data, actor=principal.actor)
    return views.expert_out(expert, supervisor=False, own=True)


@post("/api/experts/me/leave", opt=EXPERT, status_code=201, tags=["experts"])
async def add_my_leave(runtime: Rt, principal: Caller, db: Db, data: JSONBody[LeaveBody]) -> ExpertOut:
    """Register a leave (请假): no draw picks the expert for an evaluation on those days.

    ``end`` is on or after ``start``, not in the past, at most 366 days after it.
    """
    expert = await registry.expert_for_user(db, principal.user_id)
    await registry.add_leave(db, runtime, expert, data.start, data.end, data.reason, actor=principal.actor)
    return views.expert_out(expert, supervisor=False, own=True)


@delete("/api/experts/me/leave/{leave_id:int}", opt=EXPERT, status_code=204, tags=["experts"])
async def remove_my_leave(runtime: Rt, principal: Caller, db: Db, leave_id: FromPath[int]) -> None:
    """Remove one of one's own leaves."""
    expert = await registry.expert_for_user(db, principal.user_id)
    await registry.remove_leave(db, runtime, expert, leave_id, actor=principal.actor)


@get("/api/experts/me/invitations", opt=EXPERT, tags=["experts"])
async def my_invitations(principal: Caller, db: Db) -> list[views.InvitationOut]:
    """The logged-in expert's invitations to evaluate, newest first (alternates on standby not shown)."""
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
) -> views.Responded:
    """Accept or decline an invitation before its deadline; a decline invites the next alternate."""
    invitation = await service.respond(
        db,
        runtime,
        invitation_id,
        actor=principal,
        accept=data.accept,
        reason=data.reason,
    )
    return views.Responded(id=invitation.id, state=invitation.state)


@post("/api/experts/draws", opt=SUPERVISOR, status_code=201, tags=["experts"])
async def create_draw(runtime: Rt, principal: Caller, db: Db, data: JSONBody[DrawBody]) -> DrawOut:
    """Step 1 of a draw: create the draw request with its rules (state created).

    A draw (专家抽取) runs in this order: create (``POST /api/experts/draws``) → commit
    (``…/commit``: the server's secret sealed, the pool snapshotted and hashed) → contributions
    (``…/contributions``: the supervisor's, and the tenderer's if it takes part) → run (``…/run``:
    the seed, the ranking, the invitations).
    """
    tender, rules = parse_draw_body(data)
    found = await service.create_draw_request(
        db, runtime, tender_ref=data.tender_ref, lot_ref=data.lot_ref, tender=tender, rules=rules,
        response_minutes=data.response_minutes, actor=principal,
    )  # fmt: skip
    return service.draw_json(found, supervisor=True)


@post("/api/experts/draws/{draw_id:int}/supplementary", opt=SUPERVISOR, status_code=201, tags=["experts"])
async def create_supplementary_draw(
    runtime: Rt, principal: Caller, db: Db, draw_id: FromPath[DrawId]
) -> DrawOut:
    """补抽: a draw that ran out of alternates (state short) gets a supplementary draw for the missing
    seats, with the same rules and tender facts and everyone drawn for the committee before excluded.

    The new draw then runs the same steps (commit, contributions, run) and has its own verifiable
    document; once its members confirm, the short draw's committee is complete and the evaluation
    room seats them.
    """
    found = await service.create_supplementary_draw(db, runtime, draw_id, actor=principal)
    return service.draw_json(found, supervisor=True)


@get("/api/experts/draws", opt=SUPERVISOR, tags=["experts"])
async def list_draws(db: Db) -> list[DrawOut]:
    """Every draw, newest first (for the supervisors' console)."""
    return [service.draw_json(d, supervisor=True) for d in await service.list_draws(db)]


@get("/api/experts/draws/{draw_id:int}", opt=PUBLIC, tags=["experts"])
async def get_draw(viewer: Viewer, db: Db, draw_id: FromPath[DrawId]) -> DrawOut:
    """One draw: its rules and commitments; seed, contributions and whom it avoids revealed to
    supervisors, and to everyone once the names are published."""
    return service.draw_json(await service.get_draw(db, draw_id), supervisor=_is_supervisor(viewer))


@get("/api/experts/draws/{draw_id:int}/counts", opt=SUPERVISOR, tags=["experts"])
async def eligible_counts(db: Db, draw_id: FromPath[DrawId]) -> list[views.EligibleCountOut]:
    """How many experts each rule leaves per slot, before running the draw (is the pool enough?)."""
    return [views.eligible_count_out(c) for c in await service.eligible_counts(db, draw_id)]


@post("/api/experts/draws/{draw_id:int}/commit", opt=SUPERVISOR, status_code=200, tags=["experts"])
async def commit_seed(runtime: Rt, principal: Caller, db: Db, draw_id: FromPath[DrawId]) -> DrawOut:
    """Step 2 of a draw: commit (the server's secret sealed in the audit log, the pool snapshotted).

    A draw (专家抽取) runs in this order: create (``POST /api/experts/draws``) → commit
    (``…/commit``: the server's secret sealed, the pool snapshotted and hashed) → contributions
    (``…/contributions``: the supervisor's, and the tenderer's if it takes part) → run (``…/run``:
    the seed, the ranking, the invitations).
    """
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
    draw_id: FromPath[DrawId],
    data: JSONBody[ContributionBody],
) -> DrawOut:
    """Step 3 of a draw: a party's random contribution to the seed, after the commit, before the run.

    The supervisor's is required, the tenderer's optional; each is sealed in the audit log.

    A draw (专家抽取) runs in this order: create (``POST /api/experts/draws``) → commit
    (``…/commit``: the server's secret sealed, the pool snapshotted and hashed) → contributions
    (``…/contributions``: the supervisor's, and the tenderer's if it takes part) → run (``…/run``:
    the seed, the ranking, the invitations).
    """
    found = await service.contribute(db, runtime, draw_id, actor=principal, value=data.value)
    return service.draw_json(found, supervisor=_is_supervisor(principal))


@post("/api/experts/draws/{draw_id:int}/run", opt=SUPERVISOR, status_code=200, tags=["experts"])
async def run_draw(runtime: Rt, principal: Caller, db: Db, draw_id: FromPath[DrawId]) -> DrawOut:
    """Step 4 of a draw: run it (seed from the secret and the contributions, rank, invite).

    A draw (专家抽取) runs in this order: create (``POST /api/experts/draws``) → commit
    (``…/commit``: the server's secret sealed, the pool snapshotted and hashed) → contributions
    (``…/contributions``: the supervisor's, and the tenderer's if it takes part) → run (``…/run``:
    the seed, the ranking, the invitations).
    """
    found = await service.run_draw(db, runtime, draw_id, actor=principal)
    return service.draw_json(found, supervisor=True)


@get("/api/experts/draws/{draw_id:int}/committee", opt=PUBLIC, tags=["experts"])
async def draw_committee(viewer: Viewer, db: Db, draw_id: FromPath[DrawId]) -> list[views.SeatOut]:
    """The drawn committee's seats; names sealed (``***``) until the viewer may see them.

    Supervisors see every invitation; others see confirmed seats, with names once the evaluation has
    started (for its members) or the names are published (for everyone).
    """
    return await service.committee(db, draw_id, viewer=viewer)


@get("/api/experts/draws/{draw_id:int}/document", opt=PUBLIC, tags=["experts"])
async def draw_document(viewer: Viewer, db: Db, draw_id: FromPath[DrawId]) -> views.DrawDocument:
    """The re-runnable draw document (``sunbid draw verify`` checks it offline).

    Supervisors once drawn, everyone once the names are published (it reveals the seed).
    """
    return msgspec.convert(await service.document(db, draw_id, viewer=viewer), views.DrawDocument)


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


class LinkBody(msgspec.Struct, kw_only=True):
    username: Annotated[str, Meta(description="the existing login to link")]


class RejectBody(msgspec.Struct, kw_only=True):
    reason: Annotated[
        str,
        Meta(
            description="why the application is rejected (shown to the applicant), not blank",
            extra_json_schema={"pattern": NOT_WS},  # schema only: the service answers 422 reason_required
        ),
    ]


ApplicationFilter = Annotated[
    Literal["pending", "approved", "rejected", ""],
    Parameter(description="the applications' state; empty: every state"),
]


@post("/api/experts/{code:str}/link", opt=STAFF, status_code=200, tags=["experts"])
async def link_expert(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[ExpertCode], data: JSONBody[LinkBody]
) -> ExpertOut:
    """Link the expert record to a user account (which gains the expert role), so the expert can log in."""
    expert = await enrolment.link_expert_to_user(db, runtime, code, data.username, actor=principal.actor)
    return views.expert_out(expert, supervisor=_is_supervisor(principal))


@post("/api/experts/applications", opt=PUBLIC, status_code=201, tags=["experts"])
async def submit_application(runtime: Rt, db: Db, data: JSONBody[enrolment.Application]) -> views.Submitted:
    """Apply to join the expert pool (logged out); a supervisor approves or rejects the application.

    Every field is checked now, as for an expert record; the login exists once approved.
    """
    row = await enrolment.submit_application(db, runtime, data)
    return views.Submitted(id=row.id, state=row.state)  # type: ignore[arg-type]  # pending


@get("/api/experts/applications", opt=STAFF, tags=["experts"])
async def list_applications(
    db: Db, paging: Paging, status: FromQuery[ApplicationFilter] = "pending"
) -> Listing[views.ApplicationOut]:
    """Applications to join the pool in one state (pending by default), oldest first."""
    found = await enrolment.list_applications(
        db, state=status or None, limit=paging.limit, offset=paging.offset
    )
    return listing(found, [views.application_out(r) for r in found.rows])


@post(
    "/api/experts/applications/{application_id:int}/approve",
    opt=SUPERVISOR,
    status_code=200,
    tags=["experts"],
)
async def approve_application(
    runtime: Rt, principal: Caller, db: Db, application_id: FromPath[int]
) -> ExpertOut:
    """Approve a pending application: the expert record and its login are created and linked."""
    expert = await enrolment.approve_application(db, runtime, application_id, principal)
    return views.expert_out(expert, supervisor=True)


@post(
    "/api/experts/applications/{application_id:int}/reject", opt=SUPERVISOR, status_code=200, tags=["experts"]
)
async def reject_application(
    runtime: Rt, principal: Caller, db: Db, application_id: FromPath[int], data: JSONBody[RejectBody]
) -> views.ApplicationOut:
    """Reject a pending application with a reason."""
    row = await enrolment.reject_application(db, runtime, application_id, data.reason, principal)
    return views.application_out(row)


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
    create_supplementary_draw,
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
