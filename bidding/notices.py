"""Public notices (公告): every kind a trading centre publishes, their list, filters and Atom feed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.events import NOTICE_PUBLISHED
from bidding.models import Notice, Tender
from core.errors import InvalidInput, NotFound
from core.i18n import register_messages
from core.paging import Page, paginate
from core.runtime import Runtime
from crypto.signing import canonical_json


class NoticeKind(StrEnum):
    TENDER = "tender"  # 招标公告
    AMENDMENT = "amendment"  # 变更/澄清公告
    OPENING_RECORD = "opening_record"  # 开标记录
    CANDIDATES = "candidates"  # 中标候选人公示
    AWARD = "award"  # 中标结果公告
    FAILURE = "failure"  # 流标公告
    TERMINATION = "termination"  # 终止公告
    COMPLAINT_DECISION = "complaint_decision"  # 投诉处理决定 (disputes/complaints.py)


KIND_ZH = {
    NoticeKind.TENDER: "招标公告",
    NoticeKind.AMENDMENT: "变更公告",
    NoticeKind.OPENING_RECORD: "开标记录",
    NoticeKind.CANDIDATES: "中标候选人公示",
    NoticeKind.AWARD: "中标结果公告",
    NoticeKind.FAILURE: "流标公告",
    NoticeKind.TERMINATION: "终止公告",
    NoticeKind.COMPLAINT_DECISION: "投诉处理决定",
}
KIND_EN = {
    NoticeKind.TENDER: "Tender notice",
    NoticeKind.AMENDMENT: "Amendment notice",
    NoticeKind.OPENING_RECORD: "Opening record",
    NoticeKind.CANDIDATES: "Candidates publicity",
    NoticeKind.AWARD: "Award notice",
    NoticeKind.FAILURE: "Failed tender notice",
    NoticeKind.TERMINATION: "Termination notice",
    NoticeKind.COMPLAINT_DECISION: "Complaint decision",
}
register_messages({f"bidding.notice_kind.{k.value}": (KIND_ZH[k], KIND_EN[k]) for k in NoticeKind})


async def publish_notice(
    session: AsyncSession,
    runtime: Runtime,
    tender: Tender,
    kind: NoticeKind,
    title: str,
    body: str,
    *,
    data: dict[str, Any] | None = None,
) -> Notice:
    """Publish a notice now; the audit entry carries the digest of its text (and of its structured
    data, if any) so neither can ever change quietly."""
    digests = {"sha256": hashlib.sha256(body.encode()).hexdigest()}
    if data is not None:
        digests["data_sha256"] = hashlib.sha256(canonical_json(data)).hexdigest()
    entry = await runtime.audit.append(
        session,
        NOTICE_PUBLISHED,
        subject=f"tender:{tender.code}",
        data={"kind": kind.value, "title": title, **digests},
    )
    notice = Notice(
        tender_id=tender.id,
        kind=kind.value,
        title=title,
        body=body,
        category=tender.category,
        region_code=tender.region_code,
        published_at=entry.created_at,
        audit_position=entry.position,
        data=data,
    )
    session.add(notice)
    await session.flush()
    return notice


@dataclass(frozen=True)
class NoticeFilter:
    category: str | None = None
    region: str | None = None
    kind: str | None = None
    status: str | None = None  # the tender's lifecycle state
    since: datetime | None = None
    until: datetime | None = None
    query: str | None = None


async def list_notices(
    session: AsyncSession, filters: NoticeFilter, *, limit: int = 20, offset: int = 0
) -> Page[tuple[Notice, Tender]]:
    if filters.kind and filters.kind not in NoticeKind._value2member_map_:
        raise InvalidInput(f"unknown notice kind {filters.kind!r}", code="bad_filter")
    # A training tender's notices (培训项目) stay on its own page: never in a public list or the feed.
    query = (
        select(Notice, Tender).join(Tender, Tender.id == Notice.tender_id).where(Tender.training.is_(False))
    )
    if filters.category:
        query = query.where(Notice.category == filters.category)
    if filters.region:
        query = query.where(Notice.region_code == filters.region)
    if filters.kind:
        query = query.where(Notice.kind == filters.kind)
    if filters.status:
        query = query.where(Tender.state == filters.status)
    if filters.since:
        query = query.where(Notice.published_at >= filters.since)
    if filters.until:
        query = query.where(Notice.published_at < filters.until)
    if filters.query:
        like = f"%{filters.query.strip()}%"
        query = query.where(Notice.title.like(like) | Tender.code.like(like))
    return await paginate(
        session, query, order_by=(Notice.published_at.desc(), Notice.id.desc()), limit=limit, offset=offset
    )


async def get_notice(session: AsyncSession, notice_id: int) -> tuple[Notice, Tender]:
    row = (
        await session.execute(
            select(Notice, Tender).join(Tender, Tender.id == Notice.tender_id).where(Notice.id == notice_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"公告 {notice_id} 不存在 (no such notice)", code="unknown_notice")
    return row[0], row[1]


async def notices_of(session: AsyncSession, tender_id: int) -> list[Notice]:
    rows = await session.scalars(
        select(Notice).where(Notice.tender_id == tender_id).order_by(Notice.published_at, Notice.id)
    )
    return list(rows)


def atom_feed(base_url: str, rows: list[tuple[Notice, Tender]], updated: datetime) -> str:
    """An Atom 1.0 feed (RFC 4287) of the given notices."""

    def when(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def attr(value: str) -> str:  # an attribute value: quotes escaped too
        return escape(value, {'"': "&quot;"})

    entries = []
    for notice, tender in rows:
        link = f"{base_url}/notices/{notice.id}"
        entries.append(
            "<entry>"
            f"<id>{escape(link)}</id>"
            f"<title>{escape(f'[{KIND_ZH[NoticeKind(notice.kind)]}] {notice.title}')}</title>"
            f'<link rel="alternate" href="{attr(link)}"/>'
            f"<updated>{when(notice.published_at)}</updated>"
            f'<category term="{attr(notice.kind)}"/><category term="{attr(tender.category)}"/>'
            f"<summary>{escape(notice.body[:500])}</summary>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">'
        f"<id>{escape(base_url)}/notices</id><title>阳光招标 · 交易公告</title>"
        f'<link rel="self" href="{attr(base_url)}/api/notices.atom"/>'
        f"<updated>{when(updated)}</updated><author><name>阳光招标</name></author>"
        + "".join(entries)
        + "</feed>\n"
    )
