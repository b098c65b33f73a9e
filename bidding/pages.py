"""bidding's HTML pages: public tenders and notices; the agent's editor and publish flow; the bidder's
console (register, download, upload a sealed file made by `sunbid bid seal`, see receipts)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from urllib.parse import quote, urlencode

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

import bidding.i18n
from bidding import (
    custodians_pages,
    documents,
    hall,
    holds,
    inputs,
    journey,
    registration,
    review_pages,
    seal_pages,
    submissions,
    tenders,
)
from bidding import notices as notice_service
from bidding.common import can_see_draft, is_owner, lot_of, lots_of, moment_of, visible_tender
from bidding.lifecycle import State
from bidding.models import Lot, Registration, Tender
from core import regions
from core.access import PUBLIC, Caller, Viewer, allow
from core.clock import SHANGHAI, format_local
from core.errors import InvalidInput
from core.i18n import language_of
from core.models import Organisation
from core.numbers import int_input, money_input
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest, Form

OWNERS = (Role.AGENT, Role.TENDERER)


def _common() -> dict[str, Any]:
    return {
        "categories": inputs.CATEGORIES,
        "methods": inputs.METHODS,
        "bond_forms": inputs.BOND_FORMS,
        "fmt": format_local,
        "kinds": notice_service.KIND_ZH,
    }


TENDERS_PER_PAGE = 20


@get("/tenders", opt=PUBLIC, include_in_schema=False)
async def tender_list(
    request: AnyRequest,
    viewer: Viewer,
    db: Db,
    q: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """Public tenders: keyword search (title or code), filters, a labelled count and page links."""
    keyword = (q or "").strip()[:100]
    offset = max(offset, 0)
    filters = tenders.TenderFilter(
        category=category or None, region=region or None, state=status or None, query=keyword or None
    )
    found = await tenders.list_tenders(db, viewer, filters, limit=TENDERS_PER_PAGE, offset=offset)
    kept = {"q": keyword, "category": category or "", "region": region or "", "status": status or ""}

    def link(to: int) -> str:
        return "/tenders?" + urlencode({**{k: v for k, v in kept.items() if v}, "offset": to})

    pages = max(1, -(-found.total // TENDERS_PER_PAGE))
    return page(
        request,
        "bidding/tenders.html",
        rows=found.rows,
        total=found.total,
        q=keyword,
        page_no=offset // TENDERS_PER_PAGE + 1,
        pages=pages,
        prev_link=link(max(offset - TENDERS_PER_PAGE, 0)) if offset > 0 else None,
        next_link=link(offset + TENDERS_PER_PAGE) if offset + TENDERS_PER_PAGE < found.total else None,
        page_links=[
            (n + 1, link(n * TENDERS_PER_PAGE))
            for n in range(pages)
            if pages <= 10
            or abs(n * TENDERS_PER_PAGE - offset) <= 3 * TENDERS_PER_PAGE
            or n in (0, pages - 1)
        ],
        category=category or "",
        region=region or "",
        status=status or "",
        regions=await regions.list_regions(db),
        states=list(bidding.i18n.STATES),
        **_common(),
    )


@get("/tenders/{code:str}", opt=PUBLIC, include_in_schema=False)
async def tender_page(
    request: AnyRequest, runtime: Rt, viewer: Viewer, db: Db, code: FromPath[str]
) -> Template:
    tender = await visible_tender(db, code, viewer)
    is_bidder = viewer is not None and Role.BIDDER in viewer.roles and viewer.organisation_id is not None
    registered = None
    mine: list[tuple[Any, str]] = []
    if is_bidder and viewer is not None:
        registered = await registration.registration_of(db, tender.id, viewer.organisation_id or 0)
        for s in await submissions.own_submissions(db, viewer, tender.id):
            lot = await db.get(Lot, s.lot_id)
            mine.append((s, lot.number if lot else ""))
    moment = moment_of(tender, runtime.clock.now())
    steps: list[journey.Step] = []
    if is_bidder and viewer is not None and tender.state != State.DRAFT:
        facts = await journey.facts_of(db, tender, viewer.organisation_id or 0, moment.now)
        steps = journey.steps(facts)
    return page(
        request,
        "bidding/tender.html",
        tender=tender,
        training=tender.training,
        lots=await lots_of(db, tender.id),
        documents=await documents.documents_of(db, tender.id),
        notices=await notice_service.notices_of(db, tender.id),
        tenderer=await db.get(Organisation, tender.tenderer_id),
        is_bidder=is_bidder,
        is_owner=viewer is not None and can_see_draft(viewer, tender),
        registered=registered,
        registration_open=moment.registration_open,
        accepting=moment.accepting_bids,
        mine=mine,
        steps=steps,
        next_step=journey.next_step(steps),
        bid_count=await tenders.bid_count(db, tender.id) if tenders.bid_count_is_public(tender) else None,
        manifest_header=submissions.MANIFEST_HEADER,
        holds=await holds.banners(db, tender.code),
        **await review_pages.review_context(db, viewer, tender),
        **_common(),
    )


@post("/tenders/{code:str}/register", opt=allow(Role.BIDDER), include_in_schema=False)
async def register_form(runtime: Rt, principal: Caller, db: Db, code: FromPath[str]) -> Redirect:
    await registration.register(db, runtime, principal, code)
    return Redirect(f"/tenders/{quote(code)}", status_code=303)


@post("/tenders/{code:str}/publish", opt=allow(*OWNERS), include_in_schema=False)
async def publish_form(runtime: Rt, principal: Caller, db: Db, code: FromPath[str]) -> Redirect:
    await tenders.publish(db, runtime, principal, code)
    return Redirect(f"/tenders/{quote(code)}", status_code=303)


@get("/notices", opt=PUBLIC, include_in_schema=False)
async def notice_list(
    request: AnyRequest,
    db: Db,
    category: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    kind: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    filters = notice_service.NoticeFilter(category=category or None, region=region or None, kind=kind or None)
    found = await notice_service.list_notices(db, filters, limit=20, offset=max(offset, 0))
    return page(
        request,
        "bidding/notices.html",
        rows=found.rows,
        total=found.total,
        offset=offset,
        category=category or "",
        region=region or "",
        kind=kind or "",
        regions=await regions.list_regions(db),
        **_common(),
    )


@get("/notices/{notice_id:int}", opt=PUBLIC, include_in_schema=False)
async def notice_page(request: AnyRequest, db: Db, notice_id: FromPath[int]) -> Template:
    notice, tender = await notice_service.get_notice(db, notice_id)
    return page(
        request, "bidding/notice.html", notice=notice, tender=tender, training=tender.training, **_common()
    )


@get("/agent/tenders/new", opt=allow(*OWNERS), include_in_schema=False)
async def editor(request: AnyRequest, db: Db) -> Template:
    tenderers = await db.scalars(
        select(Organisation).where(Organisation.kind == "tenderer").order_by(Organisation.id)
    )
    return page(
        request,
        "bidding/editor.html",
        tenderers=list(tenderers),
        regions=await regions.list_regions(db),
        values={},
        error=None,
        **_common(),
    )


def _local(value: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)
    except ValueError:
        raise InvalidInput(f"{name}: 请填写日期时间 (enter a date and time)") from None


def _amount(value: str, name: str) -> Decimal:
    return money_input(value.replace(",", ""), f"{name} 请填写金额 (enter an amount)")


def _minutes(value: str, name: str) -> int | None:
    if not value.strip():
        return None
    return int_input(
        value, f"{name} 请填写分钟数 (enter whole minutes)", minimum=1, maximum=inputs.MAX_MINUTES
    )


@post("/agent/tenders", opt=allow(*OWNERS), include_in_schema=False)
async def editor_save(runtime: Rt, principal: Caller, db: Db, data: Form) -> Redirect:
    """The editor posts here; the draft is saved (invisible) and the owner lands on its page to publish."""
    get_ = data.get
    tenderer = get_("tenderer_id") or ""
    new = tenders.NewTender(
        code=get_("code", "").strip(),
        title=get_("title", ""),
        # the form's text as typed: inputs.validated refuses an unknown category or method
        category=cast(inputs.Category, get_("category", "")),
        method=cast(inputs.Method, get_("method", "")),
        region_code=get_("region_code", ""),
        budget=_amount(get_("budget", ""), "budget"),
        ceiling_price=_amount(get_("ceiling_price", ""), "ceiling_price"),
        bond_amount=_amount(get_("bond_amount", "0"), "bond_amount"),
        registration_start=_local(get_("registration_start", ""), "registration_start"),
        registration_end=_local(get_("registration_end", ""), "registration_end"),
        clarification_deadline=_local(get_("clarification_deadline", ""), "clarification_deadline"),
        bid_deadline=_local(get_("bid_deadline", ""), "bid_deadline"),
        opening_recipient=get_("opening_recipient", ""),
        tenderer_id=int_input(tenderer, "tenderer_id", maximum=2**31 - 1) if tenderer.strip() else None,
        description=get_("description", ""),
        max_envelope_mib=int_input(
            get_("max_envelope_mib") or 512, "max_envelope_mib", minimum=1, maximum=inputs.MAX_ENVELOPE_MIB
        ),
        decryption_minutes=_minutes(get_("decryption_minutes", ""), "decryption_minutes"),
        confirm_minutes=_minutes(get_("confirm_minutes", ""), "confirm_minutes"),
        training=get_("training") == "1",
        publish_contract_document=get_("publish_contract_document") == "1",
    )
    tender = await tenders.save_draft(db, runtime, principal, new)
    return Redirect(f"/tenders/{quote(tender.code)}", status_code=303)


@get("/bidder", opt=allow(Role.BIDDER), include_in_schema=False)
async def console(request: AnyRequest, principal: Caller, db: Db) -> Template:
    org = await registration.bidder_org(db, principal)
    regs = await db.execute(
        select(Registration, Tender)
        .join(Tender, Tender.id == Registration.tender_id)
        .where(Registration.organisation_id == org.id)
        .order_by(Registration.registered_at.desc())
    )
    rows = []
    for s in await submissions.own_submissions(db, principal):
        tender = await db.get(Tender, s.tender_id)
        lot = await db.get(Lot, s.lot_id)
        rows.append((s, tender.code if tender else "", lot.number if lot else ""))
    return page(
        request, "bidding/console.html", org=org, registrations=list(regs), submissions=rows, **_common()
    )


@get("/tenders/{code:str}/opening", opt=PUBLIC, include_in_schema=False)
async def opening_hall(
    request: AnyRequest, runtime: Rt, viewer: Viewer, db: Db, code: FromPath[str], lot: FromQuery[str] = "1"
) -> Template:
    """The opening hall (开标大厅): countdown, progress and the 唱标 table, live over the room socket."""
    tender = await visible_tender(db, code, viewer)
    found = await lot_of(db, tender, lot)
    role = "public"
    if viewer is not None:
        if is_owner(viewer, tender):
            role = "host"
        elif Role.BIDDER in viewer.roles:
            role = "bidder"
        elif Role.SUPERVISOR in viewer.roles:
            role = "supervisor"
    state = await hall.hall(db, tender.code, found.number, tender.bid_deadline, viewer)
    now = runtime.clock.now()
    left = max(0, int((state.ends_at - now).total_seconds())) if state.ends_at else None
    lang = language_of(request)
    return page(
        request,
        "bidding/opening.html",
        tender=tender,
        lot=found,
        holds=await holds.banners(db, tender.code, holds.Step.OPENING),
        role=role,
        training=tender.training,
        hall=state,
        left=left,
        now=now,
        bond_words=lambda bond: hall.bond_words(lang, bond),
        event_words=hall.event_words,
        outcomes=hall.OUTCOMES,
        event_labels={k: v[0 if lang == "zh" else 1] for k, v in hall.KINDS.items()},
        outcome_labels={k: v[0 if lang == "zh" else 1] for k, v in hall.OUTCOMES.items()},
        bond_labels={k: v[0 if lang == "zh" else 1] for k, v in inputs.BOND_FORMS.items()},
        **_common(),
    )


ROUTE_HANDLERS = [
    tender_list,
    tender_page,
    register_form,
    publish_form,
    notice_list,
    notice_page,
    editor,
    editor_save,
    console,
    opening_hall,
    *seal_pages.ROUTE_HANDLERS,
    *custodians_pages.ROUTE_HANDLERS,
    *review_pages.ROUTE_HANDLERS,
]
