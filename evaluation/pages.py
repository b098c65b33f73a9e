"""evaluation's HTML pages: the list of rooms (and the host's form to open one), the room itself —
one page, role-aware: a member's scoring desk, the chair's controls, the supervisor's live view of all
venues, the host's read-only progress with publicity and award — and the bidder's clarification page.

Pages render the room as ``GET /api/evaluations/{code}`` returns it (evaluation/views.py). The room
socket only says that something happened; the page then asks for the view again (the database is
the truth). Actions go over the socket (``act`` frames), or over HTTP while it is down.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import get
from litestar.params import FromPath
from litestar.response import Template

from bidding import service as bidding
from core import rooms
from core.access import Caller, allow
from core.clock import as_utc, format_local
from core.i18n import language_of
from core.integrity_port import integrity
from core.regions import list_regions
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest
from evaluation import clarifications, i18n, room

ROOM_ROLES = (Role.EXPERT, Role.AGENT, Role.TENDERER, Role.SUPERVISOR)
HOSTS = (Role.AGENT, Role.TENDERER)


@get("/evaluations", opt=allow(*ROOM_ROLES), include_in_schema=False)
async def evaluation_list(request: AnyRequest, principal: Caller, db: Db) -> Template:
    rows = await room.evaluations_for(db, principal)
    host = bool(principal.roles & set(HOSTS))
    regions = [r for r in await list_regions(db) if r.level != "city"] if host else []
    return page(request, "evaluation/list.html", rows=rows, host=host, regions=regions)


def _room_texts(lang: str) -> dict[str, str]:
    index = 0 if lang == "zh" else 1
    texts = {key: value[index] for key, value in i18n.ROOM.items()}
    texts.update({f"phase.{key}": value[index] for key, value in i18n.PHASES.items()})
    texts.update({f"state.{key}": value[index] for key, value in i18n.STATES.items()})
    texts.update({f"log.{key}": value[index] for key, value in i18n.LOG.items()})
    return texts


@get("/evaluations/{code:str}", opt=allow(*ROOM_ROLES), include_in_schema=False)
async def room_page(request: AnyRequest, principal: Caller, db: Db, code: FromPath[str]) -> Template:
    """The evaluation room (403 for anyone not admitted: other experts, other companies' hosts)."""
    head = await rooms.head(db, room.room_name(code))
    view = await room.view(db, principal, code)  # raises 404 / 403 before anything is shown
    evaluation = await room.get_evaluation(db, code)
    items = {
        str(i["id"]): str(i.get("text", i["id"]))
        for key in ("qualification", "preliminary")
        for i in evaluation.criteria.get(key, [])
    }
    me = view.me
    role = "member" if me.member else "supervisor" if me.supervisor else "host"
    texts = _room_texts(language_of(request))
    names = {m.code: m.name for m in view.members}
    log = [
        {
            "seq": e["seq"],
            "at": format_local(e["at"])[11:],
            "words": texts.get(f"log.{e['kind']}", texts["log.other"]),
            "member": names.get(e["member"], e["member"]) if e["member"] else "",
        }
        for e in await room.recent_log(db, principal, code, head)
    ]
    # The integrity port's warning, for a supervisor only (integrity sits above evaluation).
    port = integrity() if role == "supervisor" else None
    warning = await port.lot_warning(db, evaluation.tender_code, evaluation.lot_number) if port else None
    return page(
        request,
        "evaluation/room.html",
        integrity_warning=warning,
        view=msgspec.to_builtins(view),  # the page's JSON: what GET /api/evaluations/{code} answers
        head=head,
        role=role,
        items=items,
        texts=texts,
        log=log,
        training=await bidding.is_training(db, evaluation.tender_code),
        holds=await bidding.banners(
            db, evaluation.tender_code, bidding.Step.AWARD, lot=evaluation.lot_number
        ),
    )


@get("/bidder/clarifications", opt=allow(Role.BIDDER), include_in_schema=False)
async def bidder_clarifications(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    """The committee's clarification requests to the caller's company, with the time left to answer."""
    rows = await clarifications.clarifications_for_bidder(db, principal)
    now = runtime.clock.now()
    return page(
        request,
        "evaluation/clarifications.html",
        rows=rows,
        now=now.isoformat(),
        fmt=lambda iso: format_local(_parse(iso)) if iso else "",
        open=lambda row: row.answer is None and _parse(row.due_at) > now,
    )


def _parse(iso: str) -> datetime:
    return as_utc(datetime.fromisoformat(iso))


ROUTE_HANDLERS = [evaluation_list, room_page, bidder_clarifications]
