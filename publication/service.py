"""publication's use cases: releases, records, the change feed and the export (async, no HTTP)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.runtime import Runtime
from publication import ocds, ocds_contracts, ocds_related, packages, sources, stats
from publication.config import OcdsConfig
from publication.feed import BadCursor, Cursor, check_limit, ready_prefix
from publication.ocds import HoldFacts, NoticeFacts, TenderFacts

log = logging.getLogger("sunbid.publication")
KIND_ZH = {
    "tender": "招标公告",
    "amendment": "变更公告",
    "opening_record": "开标记录",
    "candidates": "中标候选人公示",
    "award": "中标结果公告",
    "failure": "流标公告",
    "termination": "终止公告",
    "complaint_decision": "投诉处理决定",
}


@dataclass
class _Process:
    """One tender's facts and its notices by audit position, read once per request."""

    ocid: str
    facts: TenderFacts
    notices: dict[int, NoticeFacts]
    contracts: list[ocds_contracts.ContractFacts] = field(default_factory=list)
    previous: ocds_related.PreviousAttempt | None = None  # the attempt a re-tender tenders again

    def contract_releases(self, config: OcdsConfig) -> list[dict[str, Any]]:
        out = []
        for pub in self.contracts:
            try:
                out.append(ocds_contracts.build_contract_release(self.ocid, self.facts, pub, config.base_url))
            except ocds.PayloadError as exc:
                log.warning("contract publication %s of %s ignored: %s", pub.id, self.ocid, exc)
        return out

    def release(self, notice: NoticeFacts, config: OcdsConfig) -> dict[str, Any]:
        try:
            release = ocds.build_release(self.ocid, self.facts, notice, config.base_url)
        except ocds.PayloadError as exc:
            # a notice whose structured content is malformed is still published, as text only
            log.warning("notice %s of %s: structured content ignored: %s", notice.id, self.ocid, exc)
            plain = dataclasses.replace(notice, payload=None)
            release = ocds.build_release(self.ocid, self.facts, plain, config.base_url)
        if related := ocds_related.related_processes(self.previous, config.base_url):
            release["relatedProcesses"] = related
        return release

    def last_notice_before(self, position: int) -> NoticeFacts | None:
        before = [n for at, n in self.notices.items() if at < position]
        return max(before, key=lambda n: n.audit_position) if before else None

    def hold_at(self, position: int) -> HoldFacts | None:
        """The hold event at ``position``, if the tender had a notice before it (it always has)."""
        found = next((h for h in self.facts.holds if h.position == position), None)
        return found if found is not None and self.last_notice_before(position) is not None else None

    def hold_release(self, hold: HoldFacts, config: OcdsConfig) -> dict[str, Any]:
        last = self.last_notice_before(hold.position)
        assert last is not None  # hold_at checked it
        return ocds.build_hold_release(self.ocid, self.facts, hold, last, config.base_url)

    def any_release(self, item: NoticeFacts | HoldFacts, config: OcdsConfig) -> dict[str, Any]:
        if isinstance(item, HoldFacts):
            return self.hold_release(item, config)
        return self.release(item, config)


@dataclass
class _Reader:
    session: AsyncSession
    config: OcdsConfig
    cache: dict[str, _Process] = field(default_factory=dict)

    async def process(self, code: str) -> _Process:
        if code not in self.cache:
            tender = await sources.public_tender(self.session, code)
            notices = await sources.tender_notices(self.session, tender)
            self.cache[code] = _Process(
                self.config.ocid(code),
                await sources.tender_facts(self.session, tender),
                {n.audit_position: n for n in notices},
                await sources.contract_publications(self.session, tender.code),
                await sources.previous_attempt(self.session, self.config, tender),
            )
        return self.cache[code]


async def _checked_cursor(session: AsyncSession, cursor: str | None) -> int:
    """The audit position after which to read (-1 from the start); a foreign cursor is refused."""
    if cursor is None:
        return -1
    parsed = Cursor.decode(cursor)
    event = await sources.event_at(session, parsed.position)
    if event is None or event.time != parsed.time:
        raise BadCursor("游标不属于本数据源 (this cursor does not belong to this feed)")
    return parsed.position


@dataclass(frozen=True)
class Page:
    items: list[tuple[sources.Event, _Process, NoticeFacts | HoldFacts]]
    next_cursor: str | None
    has_more: bool


async def _page(
    session: AsyncSession, config: OcdsConfig, now: datetime, cursor: str | None, limit: int
) -> Page:
    holdback = timedelta(seconds=config.holdback_seconds)
    check_limit(limit)
    after = await _checked_cursor(session, cursor)
    events = await sources.events_after(session, after, limit + 1)
    ready = ready_prefix(events, [e.time for e in events], now, holdback)
    served = ready[:limit]
    reader = _Reader(session, config)
    items = []
    for event in served:
        try:
            process = await reader.process(event.tender_code)
        except NotFound:  # the tender was deleted since: its events are skipped, the cursor moves on
            continue
        item: NoticeFacts | HoldFacts | None = process.notices.get(event.position) or process.hold_at(
            event.position
        )
        if item is not None:
            items.append((event, process, item))
    last = served[-1] if served else None
    next_cursor = Cursor(last.position, last.time).encode() if last else cursor
    return Page(items, next_cursor, has_more=len(ready) > limit)


def _urls(config: OcdsConfig, ocid: str, notice: NoticeFacts) -> dict[str, str]:
    return {
        "notice": f"{config.base_url}/notices/{notice.id}",
        "api_notice": f"{config.base_url}/api/notices/{notice.id}",
        "record": f"{config.base_url}/api/ocds/records/{ocid}",
        "releases": f"{config.base_url}/api/ocds/releases?ocid={ocid}",
    }


def _hold_item(
    config: OcdsConfig, event: sources.Event, process: _Process, hold: HoldFacts
) -> dict[str, Any]:
    kind = "hold_placed" if hold.placed else "hold_released"
    return {
        "id": str(event.position),
        "type": "hold",
        "published_at": event.time.isoformat(),
        "kind": kind,
        "kind_name": "暂停" if hold.placed else "暂停解除",
        "title": hold.words(ended=not hold.placed),
        "tender": process.facts.code,
        "ocid": process.ocid,
        "release_id": ocds.hold_release_id(process.ocid, hold.position),
        "tag": ["tenderUpdate"],
        "urls": {
            "notice": None,
            "api_notice": None,
            "record": f"{config.base_url}/api/ocds/records/{process.ocid}",
            "releases": f"{config.base_url}/api/ocds/releases?ocid={process.ocid}",
        },
    }


async def feed_page(
    session: AsyncSession, runtime: Runtime, config: OcdsConfig, cursor: str | None, limit: int
) -> dict[str, Any]:
    """Public changes in the order they became public, after ``cursor``."""
    page = await _page(session, config, runtime.clock.now(), cursor, limit)
    items = []
    for event, process, notice in page.items:
        if isinstance(notice, HoldFacts):
            items.append(_hold_item(config, event, process, notice))
            continue
        items.append(
            {
                "id": str(event.position),
                "type": "notice",
                "published_at": event.time.isoformat(),
                "kind": notice.kind,
                "kind_name": KIND_ZH.get(notice.kind, notice.kind),
                "title": notice.title,
                "tender": process.facts.code,
                "ocid": process.ocid,
                "release_id": ocds.release_id(process.ocid, notice.id),
                "tag": ocds.tag_for(notice.kind, notice.payload),
                "urls": _urls(config, process.ocid, notice),
            }
        )
    return {
        "items": items,
        "next": page.next_cursor,
        "has_more": page.has_more,
        "holdback_seconds": config.holdback_seconds,
    }


async def release_page(
    session: AsyncSession, runtime: Runtime, config: OcdsConfig, cursor: str | None, limit: int
) -> dict[str, Any] | None:
    """A release package of the releases after ``cursor`` in feed order (None when there are none yet).

    The package's ``links.next`` continues where it ends, as the OCDS API guidance describes.
    """
    page = await _page(session, config, runtime.clock.now(), cursor, limit)
    if not page.items:
        return None
    releases = [process.any_release(item, config) for _event, process, item in page.items]
    here = f"{config.base_url}/api/ocds/releases" + (f"?cursor={cursor}" if cursor else "")
    links = {"next": f"{config.base_url}/api/ocds/releases?cursor={page.next_cursor}"}
    return packages.release_package(config, releases, here, links=links)


async def _process_of(session: AsyncSession, config: OcdsConfig, ocid: str) -> _Process:
    code = config.tender_code(ocid)
    if code is None:
        raise NotFound(f"开放合同编号 {ocid} 不存在 (no such ocid)", code="unknown_ocid")
    try:
        process = await _Reader(session, config).process(code)
    except NotFound:
        raise NotFound(f"开放合同编号 {ocid} 不存在 (no such ocid)", code="unknown_ocid") from None
    if not process.notices:
        raise NotFound(f"开放合同编号 {ocid} 尚无公开信息 (nothing public yet)", code="unknown_ocid")
    return process


async def releases_of(session: AsyncSession, config: OcdsConfig, ocid: str) -> list[dict[str, Any]]:
    """Every release of the process in the order it became public: one per notice, and one per hold
    placed or released (ocds.build_hold_release) after the first notice."""
    process = await _process_of(session, config, ocid)
    notices = sorted(process.notices.values(), key=lambda n: n.audit_position)
    out: list[tuple[int, dict[str, Any]]] = [(n.audit_position, process.release(n, config)) for n in notices]
    for hold in process.facts.holds:
        if process.hold_at(hold.position) is not None:
            out.append((hold.position, process.hold_release(hold, config)))
    ordered = [release for _position, release in sorted(out, key=lambda item: item[0])]
    return ordered + process.contract_releases(config)


async def release_package_of(session: AsyncSession, config: OcdsConfig, ocid: str) -> dict[str, Any]:
    releases = await releases_of(session, config, ocid)
    return packages.release_package(config, releases, f"{config.base_url}/api/ocds/releases?ocid={ocid}")


async def record_package_of(session: AsyncSession, config: OcdsConfig, ocid: str) -> dict[str, Any]:
    releases = await releases_of(session, config, ocid)
    return packages.record_package(
        config, [packages.record(ocid, releases)], f"{config.base_url}/api/ocds/records/{ocid}"
    )


async def public_ocids(session: AsyncSession, config: OcdsConfig) -> list[str]:
    """Every ocid with at least one public release, in the order they first became public."""
    seen: dict[str, None] = {}
    after = -1
    while True:
        events = await sources.events_after(session, after, 1000)
        if not events:
            return list(seen)
        for event in events:
            seen.setdefault(config.ocid(event.tender_code), None)
        after = events[-1].position


def _safe_name(ocid: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in ocid)


async def export(
    runtime: Runtime, config: OcdsConfig, out: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Write ``releases/<ocid>.json`` (release package) and ``records/<ocid>.json`` (record package)
    for every public contracting process, plus ``releases.json``/``records.json`` with everything."""
    (out / "releases").mkdir(parents=True, exist_ok=True)
    (out / "records").mkdir(parents=True, exist_ok=True)
    all_releases: list[dict[str, Any]] = []
    all_records: list[dict[str, Any]] = []
    async with runtime.sessions() as session:
        ocids = await public_ocids(session, config)
        for n, ocid in enumerate(ocids, start=1):
            releases = await releases_of(session, config, ocid)
            name = _safe_name(ocid)
            release_pkg = packages.release_package(
                config, releases, f"{config.base_url}/api/ocds/releases?ocid={ocid}"
            )
            rec = packages.record(ocid, releases)
            record_pkg = packages.record_package(config, [rec], f"{config.base_url}/api/ocds/records/{ocid}")
            (out / "releases" / f"{name}.json").write_bytes(packages.dumps(release_pkg, indent=1))
            (out / "records" / f"{name}.json").write_bytes(packages.dumps(record_pkg, indent=1))
            all_releases.extend(releases)
            all_records.append(rec)
            if progress:
                progress(n, len(ocids))
    if all_releases:
        everything = packages.release_package(config, all_releases, f"{config.base_url}/api/ocds/releases")
        (out / "releases.json").write_bytes(packages.dumps(everything, indent=1))
        records = packages.record_package(config, all_records, f"{config.base_url}/api/ocds/records")
        (out / "records.json").write_bytes(packages.dumps(records, indent=1))
    return {"records": len(all_records), "releases": len(all_releases)}


async def trading_statistics(
    session: AsyncSession, lang: str = "zh"
) -> tuple[stats.Statistics, dict[str, dict[str, str]]]:
    """The trading statistics of everything public, with display labels (``lang``: zh or en)."""
    index = 0 if lang == "zh" else 1
    categories = sources.category_names()
    facts = await sources.stat_facts(session)
    result = stats.compute(facts, category_order=list(categories))
    labels = {
        "tender": {t.code: t.title or t.code for t in facts},
        "total": {"total": ("合计", "Total")[index]},
        "category": {code: names[index] for code, names in categories.items()},
        "region": {code: names[index] for code, names in (await sources.region_names(session)).items()},
    }
    return result, labels
