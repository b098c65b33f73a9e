"""Tenders: drafts, publishing, amendments, cancellation, documents, and the lists that show them.

Publishing is two-phase: ``save_draft`` (idempotent by the tender code; a draft is invisible to
everyone but its owners and supervisors) then ``publish`` (idempotent: publishing a published tender
returns it), so a retried request never makes two tenders or two notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import lifecycle, review
from bidding.common import (
    actor_of,
    can_see_draft,
    domain_error,
    lots_of,
    moment_of,
    owner_actor,
    state_of,
    tender_by_code,
    timeline_of,
    visible_tender,
)
from bidding.documents import documents_of
from bidding.events import (
    TENDER_AMENDED,
    TENDER_CANCELLED,
    TENDER_PUBLISHED,
    TENDER_REGISTRATION_CLOSED,
    TENDER_RETENDERED,
)
from bidding.inputs import (
    BOND_FORMS,
    CATEGORIES,
    LOT_REQUIRED,
    METHODS,
    Amendment,
    LotInput,
    NewTender,
    check_bond,
    money,
    validated,
)
from bidding.lifecycle import Action, Actor, LifecycleError, Rules, State
from bidding.models import DocumentDownload, Lot, Registration, Submission, Tender, TenderDocument
from bidding.notices import NoticeKind, publish_notice
from bidding.preconditions import require_status, require_transition
from bidding.retender import retender_basis
from bidding.views import DownloadOut, RegisteredBidder, RegistrationsAndDownloads, registration_fields, when
from core.accounts import Principal
from core.clock import format_local
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from core.organisations import OrgKind, get_organisation
from core.paging import Page, paginate
from core.regions import get_region
from core.roles import Role
from core.runtime import Runtime


async def _check_parties(
    session: AsyncSession, principal: Principal, new: NewTender
) -> tuple[int, int | None]:
    """(tenderer id, agent id) for the drafter: a tenderer drafts for itself, an agent for a client."""
    org_id = principal.organisation_id
    if org_id is None:
        raise PermissionDenied("起草招标项目需要所属单位 (you need an organisation to draft tenders)")
    own = await get_organisation(session, org_id)
    if Role.AGENT in principal.roles and own.kind == OrgKind.AGENT:
        if new.tenderer_id is None:
            raise InvalidInput(
                "代理机构须指定招标人 (an agent must name the tenderer)", code="tenderer_required"
            )
        tenderer = await session.get(Organisation, new.tenderer_id)
        if tenderer is None or tenderer.kind != OrgKind.TENDERER:
            raise InvalidInput(f"organisation {new.tenderer_id} is not a tenderer", code="bad_tenderer")
        return tenderer.id, own.id
    if Role.TENDERER in principal.roles and own.kind == OrgKind.TENDERER:
        if new.tenderer_id not in (None, own.id):
            raise PermissionDenied("招标人只能为本单位起草 (a tenderer drafts only for itself)")
        return own.id, None
    raise PermissionDenied("只有招标人或代理机构可以起草 (only tenderers and agents draft tenders)")


async def save_draft(session: AsyncSession, runtime: Runtime, principal: Principal, new: NewTender) -> Tender:
    """Create the draft with this code, or replace the caller's draft of that code (idempotent)."""
    values = validated(new, training=runtime.settings.training)
    lots: list[LotInput] = values.pop("_lots")
    await get_region(session, new.region_code)
    tenderer_id, agent_id = await _check_parties(session, principal, new)
    now = runtime.clock.now()
    tender = await session.scalar(select(Tender).where(Tender.code == new.code))
    if tender is None:
        tender = Tender(
            code=new.code,
            tenderer_id=tenderer_id,
            agent_id=agent_id,
            state=State.DRAFT,
            amendments=0,
            created_by=principal.user_id,
            created_at=now,
            **values,
            updated_at=now,
        )
        session.add(tender)
        await session.flush()  # no audit entry: the log is public and a draft is not
    else:
        if not can_see_draft(principal, tender) or (tender.tenderer_id, tender.agent_id) != (
            tenderer_id,
            agent_id,
        ):
            raise Conflict(f"项目编号 {new.code} 已被使用 (tender code already taken)", code="code_taken")
        require_status(
            tender.state, State.DRAFT, detail="已发布的项目只能通过变更公告修改 (published: amend it instead)"
        )
        await review.lapse_on_change(session, tender, now)
        for key, value in values.items():
            setattr(tender, key, value)
        tender.updated_at = now
        await session.execute(delete(Lot).where(Lot.tender_id == tender.id))
    for lot in lots:
        session.add(
            Lot(
                tender_id=tender.id,
                number=lot.number.strip(),
                title=lot.title.strip() or tender.title,
                budget=money(lot.budget, "lot budget"),
                ceiling_price=money(lot.ceiling_price, "lot ceiling"),
            )
        )
    await session.flush()
    return tender


def notice_text(tender: Tender, lots: list[Lot]) -> str:
    lines = [
        f"项目编号：{tender.code}",
        f"交易类别：{CATEGORIES[tender.category][0]}；采购方式：{METHODS[tender.method][0]}",
        f"预算：{tender.budget:,.2f} 元；最高投标限价：{tender.ceiling_price:,.2f} 元",
        f"投标保证金：{tender.bond_amount:,.2f} 元（"
        + "、".join(BOND_FORMS[f][0] for f in tender.bond_forms)
        + "）",
        f"报名及招标文件获取：{format_local(tender.registration_start)} 至 "
        f"{format_local(tender.registration_end)}",
        f"投标截止及开标时间：{format_local(tender.bid_deadline)}（北京时间，不见面开标）",
        "标段：" + "；".join(f"{lot.number} {lot.title}（限价 {lot.ceiling_price:,.2f} 元）" for lot in lots),
    ]
    if tender.description:
        lines.append(tender.description)
    return "\n".join(lines)


async def publish(session: AsyncSession, runtime: Runtime, principal: Principal, code: str) -> Tender:
    tender = await tender_by_code(session, code)
    actor = owner_actor(principal, tender) if can_see_draft(principal, tender) else None
    if actor is None:
        raise NotFound(f"招标项目 {code} 不存在 (no such tender)", code="unknown_tender")
    if tender.state == State.PUBLISHED:
        return tender  # a retried publish is a no-op
    require_status(tender.state, State.DRAFT, detail=f"tender is {tender.state}")
    lots = await lots_of(session, tender.id)
    if not lots:  # nothing to bid on: the draft lost its lots
        raise InvalidInput(LOT_REQUIRED, code="lot_required")
    check_bond(tender.bond_amount, lots)  # Art. 26 again: a draft copied or saved before the rule
    now = runtime.clock.now()
    rules = Rules.from_dict(tender.rules)
    timeline = lifecycle.registration_from_notice(timeline_of(tender), now)
    target = require_transition(State.DRAFT, Action.PUBLISH, actor)
    try:
        lifecycle.check_publish(timeline, rules, now)
    except LifecycleError as exc:
        raise domain_error(exc) from None
    approved_in = await review.require_reviewed(session, tender)
    tender.registration_start = timeline.registration_start
    tender.state = target
    tender.notice_at = now
    tender.updated_at = now
    await runtime.audit.append(
        session,
        TENDER_PUBLISHED,
        actor=actor_of(principal),
        subject=f"tender:{tender.code}",
        data={
            "bid_deadline": tender.bid_deadline.isoformat(),
            "opening_recipient": tender.opening_recipient,
            # the documents as published, so a later silent change would be visible
            "documents": [
                {"name": d.name, "sha256": d.sha256} for d in await documents_of(session, tender.id)
            ],
            **({"notice_review": approved_in} if approved_in is not None else {}),
            **({"attempt": tender.attempt} if tender.attempt > 1 else {}),
        },
    )
    previous = await session.get(Tender, tender.retender_of_id) if tender.retender_of_id else None
    if previous is not None:  # the failed tender names its re-tender (重新招标), now public
        await runtime.audit.append(
            session,
            TENDER_RETENDERED,
            actor=actor_of(principal),
            subject=f"tender:{previous.code}",
            data={
                "retender": tender.code,
                "attempt": tender.attempt,
                "legal_basis": await retender_basis(session, previous),
            },
        )
    await publish_notice(
        session,
        runtime,
        tender,
        NoticeKind.TENDER,
        tender.title,
        notice_text(tender, await lots_of(session, tender.id)),
    )
    return tender


async def amend(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, change: Amendment
) -> Tender:
    """An amendment or clarification notice; less than 15 days before the deadline moves it out."""
    tender = await visible_tender(session, code, principal)
    actor = owner_actor(principal, tender)
    now = runtime.clock.now()
    if not change.title.strip() or not change.body.strip():
        raise InvalidInput("变更公告须有标题和正文 (title and body are required)", code="notice_required")
    require_transition(state_of(tender), Action.AMEND, actor)
    try:
        deadline = lifecycle.amended_deadline(
            tender.bid_deadline, Rules.from_dict(tender.rules), now, change.bid_deadline
        )
    except LifecycleError as exc:
        raise domain_error(exc) from None
    old = tender.bid_deadline
    tender.bid_deadline = deadline
    tender.amendments += 1
    tender.updated_at = now
    body = change.body.strip()
    if deadline != old:
        body += f"\n投标截止及开标时间调整为：{format_local(deadline)}（北京时间）"
    await runtime.audit.append(
        session,
        TENDER_AMENDED,
        actor=actor_of(principal),
        subject=f"tender:{tender.code}",
        data={
            "old_deadline": old.isoformat(),
            "bid_deadline": deadline.isoformat(),
            "number": tender.amendments,
        },
    )
    await publish_notice(session, runtime, tender, NoticeKind.AMENDMENT, change.title.strip(), body)
    return tender


async def cancel(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, reason: str
) -> Tender:
    tender = await visible_tender(session, code, principal)
    actor = owner_actor(principal, tender)
    if not reason.strip():
        raise InvalidInput("终止须说明理由 (a reason is required)", code="reason_required")
    target = require_transition(state_of(tender), Action.CANCEL, actor)
    was_public = tender.state != State.DRAFT
    tender.state = target
    tender.updated_at = runtime.clock.now()
    if was_public:  # a cancelled draft was never public and stays out of the public log
        await runtime.audit.append(
            session,
            TENDER_CANCELLED,
            actor=actor_of(principal),
            subject=f"tender:{tender.code}",
            data={"reason": reason},
        )
        await publish_notice(
            session, runtime, tender, NoticeKind.TERMINATION, f"{tender.title} 终止公告", reason.strip()
        )
    return tender


async def close_due_registrations(runtime: Runtime) -> int:
    """published → bidding once the registration window ends (a job; idempotent)."""
    now = runtime.clock.now()
    closed = 0
    async with runtime.transaction() as session:
        due = await session.scalars(
            select(Tender)
            .where(
                Tender.state.in_(lifecycle.sources(Action.CLOSE_REGISTRATION)),
                Tender.registration_end <= now,
            )
            .with_for_update()
        )
        for tender in due:
            if not moment_of(tender, now).due_to_close_registration:
                continue
            tender.state = lifecycle.check(tender.state, Action.CLOSE_REGISTRATION, Actor.SYSTEM)
            tender.updated_at = now
            await runtime.audit.append(session, TENDER_REGISTRATION_CLOSED, subject=f"tender:{tender.code}")
            closed += 1
    return closed


async def tenders_past_deadline(session: AsyncSession, now: datetime) -> list[Tender]:
    """Tenders still taking bids by state whose deadline has passed: the opening job moves them on.

    The opening transition must call ``bidding.common.lock_tender`` first (the same lock a
    committing submission takes), then ask the lifecycle again (``Moment.due_to_open``).
    """
    rows = await session.scalars(
        select(Tender)
        .where(Tender.state.in_(lifecycle.sources(Action.OPEN)), Tender.bid_deadline <= now)
        .order_by(Tender.bid_deadline)
    )
    return [tender for tender in rows if moment_of(tender, now).due_to_open]


@dataclass(frozen=True)
class TenderFilter:
    category: str | None = None
    region: str | None = None
    state: str | None = None
    query: str | None = None
    mine: bool = False


async def list_tenders(
    session: AsyncSession,
    principal: Principal | None,
    filters: TenderFilter,
    *,
    limit: int = 20,
    offset: int = 0,
) -> Page[Tender]:
    query = select(Tender)
    if filters.mine and principal is not None and principal.organisation_id is not None:
        org = principal.organisation_id
        query = query.where(or_(Tender.tenderer_id == org, Tender.agent_id == org))
        if Role.SUPERVISOR not in principal.roles and not (principal.roles & {Role.AGENT, Role.TENDERER}):
            query = query.where(Tender.state != State.DRAFT)
    elif principal is not None and Role.SUPERVISOR in principal.roles:
        pass
    else:
        query = query.where(Tender.state != State.DRAFT)
    if principal is None:  # the public never sees a training tender (培训项目) in a list
        query = query.where(Tender.training.is_(False))
    if filters.category:
        query = query.where(Tender.category == filters.category)
    if filters.region:
        query = query.where(Tender.region_code == filters.region)
    if filters.state:
        # a status no tender can be in matches nothing (the column refuses to bind an unknown value)
        query = query.where(Tender.state == filters.state if filters.state in set(State) else false())
    if filters.query:
        like = f"%{filters.query.strip()}%"
        query = query.where(Tender.title.like(like) | Tender.code.like(like))
    return await paginate(
        session, query, order_by=(Tender.updated_at.desc(), Tender.id.desc()), limit=limit, offset=offset
    )


# 《招标投标法》第二十二条: the names and the number of potential bidders are not disclosed before the
# opening; from the opening on (and after a 流标 at or after it) the count is public.
BID_COUNT_LEGAL_BASIS = "《招标投标法》第二十二条"
BID_COUNT_PUBLIC_STATES = frozenset(
    {State.OPENING, State.EVALUATING, State.PUBLICITY, State.AWARDED, State.CLOSED, State.FAILED}
)
BID_COUNT_SECRET = (
    f"开标前不得透露投标人的名称和数量 ({BID_COUNT_LEGAL_BASIS}; "
    "Tendering Law Art. 22: the number of bids is secret until the opening)"
)


def bid_count_is_public(tender: Tender) -> bool:
    return tender.state in BID_COUNT_PUBLIC_STATES


async def bid_count(session: AsyncSession, tender_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).where(Submission.tender_id == tender_id, Submission.status == "active")
        )
        or 0
    )


async def registrations_and_downloads(session: AsyncSession, tender: Tender) -> RegistrationsAndDownloads:
    """Who registered and who downloaded which document: for supervisors only (Art. 22 keeps them
    from everyone else, the tender's owners included, before the opening)."""
    registered = await session.execute(
        select(Registration, Organisation)
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .where(Registration.tender_id == tender.id)
        .order_by(Registration.registered_at, Registration.id)
    )
    downloaded = await session.execute(
        select(DocumentDownload, TenderDocument.name, Organisation.credit_code)
        .join(TenderDocument, TenderDocument.id == DocumentDownload.document_id)
        .outerjoin(Organisation, Organisation.id == DocumentDownload.organisation_id)
        .where(TenderDocument.tender_id == tender.id)
        .order_by(DocumentDownload.at, DocumentDownload.id)
    )
    return RegistrationsAndDownloads(
        tender=tender.code,
        registrations=[
            RegisteredBidder(**registration_fields(reg, tender), bidder=org.credit_code, bidder_name=org.name)
            for reg, org in registered
        ],
        downloads=[
            DownloadOut(document=name, organisation=code, user_id=d.user_id, at=when(d.at))
            for d, name, code in downloaded
        ],
    )


async def is_training(session: AsyncSession, code: str) -> bool:
    """Whether the tender with this code is a training tender (培训项目); False for an unknown code."""
    return bool(await session.scalar(select(Tender.training).where(Tender.code == code)))


async def training_codes(session: AsyncSession) -> set[str]:
    """The codes of every training tender: what open data, statistics and credit leave out."""
    return set(await session.scalars(select(Tender.code).where(Tender.training.is_(True))))


async def statutory_day(session: AsyncSession, code: str) -> timedelta:
    """One statutory day (日) on the tender's clock: a day, or seconds for a training tender. Periods
    counted outside bidding (the candidates' publicity) ask the lifecycle's rules through this."""
    tender = await tender_by_code(session, code)
    return Rules.from_dict(tender.rules or {}).days(1)
