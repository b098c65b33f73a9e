"""The demo's live opening: a tender whose 不见面开标 a visitor can watch end to end in a few minutes.

``sunbid demo`` seeds (``demo/seeds/bidding.py``) the demo bidder companies' age identities — kept only in
``<var>/demo/bidders/`` (never in the database, never committed) — registers the signing keys derived
from them, and writes ``<var>/demo/live-opening.json``: a request for a live opening. That file is
what makes a process a demo: the driver job (``drive``, in ``demo.JOBS``) does nothing without it.

The driver fulfils the request once: it publishes a fresh live tender whose deadline is ``LEAD`` after
the running server first sees the request (so ``sunbid demo --seed-only`` followed by a later start
still gives a watchable opening, and re-running the demo later starts a new one), then plays every
part but the scheduler's, through the same service functions real users call:

    bidders     register, seal their bids on "their machine" (``bidding.client.seal_bid``) and submit
                them before the deadline; reveal their file keys one by one in the decryption window
                (unwrapped locally from their bid's header, as ``sunbid bid decrypt`` does); confirm
                the 唱标 — the last one objects with a reason
    host        starts the opening a few seconds after the deadline, answers the objection, and
                closes the confirmation time once every bidder has answered

Each bid is uploaded as a real client uploads it (``bidding.submissions.UploadSource``: its address,
User-Agent and ``bidding.client.device_digest`` of the sealing machine's description) from a desk of its
own (``DESKS``, taken in the order the companies bid), and its bid.json names a project manager with the
manager's ID number — except that the second and third companies to bid seal on one computer and name
one project manager with one ID number (in the seeded demo 鑫源路桥 and 天宇建设: 恒通市政 is barred by
its credit record and does not bid). The evidence capture and integrity's flag job record it after the
opening as for any real bid, and the supervisors' integrity page of the live tender shows the
same-device (E1) and same-manager (E3) flags on that pair and nothing on the first bid (issue #21's
synthetic cartel). Machines, addresses (RFC 5737 documentation addresses, which the address indicator
ignores like private ones) and ID numbers (under 220200, a code no ID number is issued under) are
synthetic.

The deadline itself, the end of the window and the 唱标 are the real scheduler job's (``open_due`` and
``advance``): the demo does not shortcut the script, it only uses a 1-minute window.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import logging
import os
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import func, select

from bidding import opening, registration, submissions, tenders
from bidding.client import READ_BLOCK, device_digest, seal_bid
from bidding.common import lots_of
from bidding.evidence import MANAGER_ID_FIELD
from bidding.lifecycle import State
from bidding.models import Lot, Opening, OpeningBid, Submission, Tender
from bidding.notices import NoticeKind, publish_notice
from bidding.submissions import ACTIVE, UploadSource, encode_manifest
from bidding.views import TenderOut, tender_view
from core import accounts, organisations
from core.accounts import Principal, principal_of
from core.clock import as_utc
from core.errors import DomainError
from core.models import Organisation
from core.runtime import Runtime
from crypto.age import AgeError, X25519Identity, read_header
from crypto.age.recipients import unwrap_header
from crypto.signing import public_key_to_text, signing_key_from_identity
from demo.seeds import guarantees as demo_guarantees

log = logging.getLogger("sunbid.demo")

LIVE_PREFIX = "JLGGZY-2026-K"  # K for 开标: JLGGZY-2026-K001, K002, …
REQUEST_FILE = "live-opening.json"
HOST = "agent"
BIDDERS = ("bidder", "bidder2", "bidder3", "bidder4")
PLAYERS = 3  # bidders that bid (the first ones whose registration the credit gate lets through)
LEAD = timedelta(seconds=60)  # from the live tender's creation to its deadline
STEP = timedelta(seconds=4)  # the pause between two players' moves, so a visitor can follow
WINDOW_MINUTES = 1
CONFIRM_MINUTES = 2


@dataclass(frozen=True)
class Desk:
    """Where a demo company seals and uploads its bid from, and the project manager its bid names."""

    hostname: str  # the sealing computer, described as ``bidding.client.device_description`` does
    address: str
    manager: str
    manager_id: str  # 项目负责人身份证号 (synthetic)

    def source(self) -> UploadSource:
        mac = "02" + hashlib.sha256(self.hostname.encode()).hexdigest()[:10]  # locally administered
        machine = {"kind": "cli", "hostname": self.hostname, "mac": mac, "system": "Windows",
                   "machine": "AMD64", "machine_id": ""}  # fmt: skip
        return UploadSource(self.address, USER_AGENT, device_digest(machine))


USER_AGENT = f"python-httpx/{httpx.__version__}"  # what ``sunbid bid submit`` sends
# The desks the bids come from, in the order the companies bid: the second and third share a computer
# and a project manager — the live opening's collusion pair.
PAIR_DESK = Desk("DESKTOP-7KQ2M4D", "198.51.100.37", "刘建华", "220200198209074616")
DESKS = (
    Desk("DESKTOP-H3N8VRA", "198.51.100.24", "王海涛", "220200197803122313"),
    PAIR_DESK,
    replace(PAIR_DESK, address="198.51.100.81"),
    Desk("DESKTOP-T5WJ9CE", "198.51.100.112", "李明哲", "22020019860215572X"),
)
TITLES = (
    "吉林市松花江大桥景观照明维修工程",
    "昌邑区中小学校舍维修改造工程",
    "船营区市政道路雨污分流改造工程",
    "丰满区旅游码头护岸加固工程",
)
OBJECTION = "请核对第1家投标人的工期是否响应招标文件要求"


def answer_to_objection(first_form: dict[str, Any] | None) -> str:
    """The host's answer, naming the duration the first bidder's opened form states (the table's)."""
    days = (first_form or {}).get("duration_days")
    if days is None:
        return "经核对，第1家投标人的工期已在开标记录中列明，满足招标文件要求；异议已答复。"
    return f"经核对，第1家投标人工期为{days}日历天，与开标记录一致，满足招标文件要求；异议已答复。"


def demo_dir(runtime: Runtime) -> Path:
    return runtime.settings.var_dir / "demo"


def _identity_path(runtime: Runtime, username: str) -> Path:
    return demo_dir(runtime) / "bidders" / f"{username}.key"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def load_identity(runtime: Runtime, username: str) -> X25519Identity | None:
    path = _identity_path(runtime, username)
    if not path.exists():
        return None
    return X25519Identity.from_str(path.read_text().strip())


# --- seeding (called from demo/seeds/bidding.py) -----------------------------------------------------------


async def ensure_bidders(runtime: Runtime) -> int:
    """Every demo bidder company gets an identity on "its machine" and its signing key registered.

    Idempotent: returns how many signing keys it (re)registered.
    """
    registered = 0
    async with runtime.transaction() as session:
        for username in BIDDERS:
            user = await accounts.find_user(session, username)
            if user is None or user.organisation_id is None:
                continue
            identity = load_identity(runtime, username)
            if identity is None:
                identity = X25519Identity.generate()
                _write_private(_identity_path(runtime, username), identity.to_str() + "\n")
            key = public_key_to_text(signing_key_from_identity(identity).public_key())
            org = await session.get(Organisation, user.organisation_id)
            if org is not None and org.signing_key != key:
                await organisations.set_signing_key(session, runtime.audit, org.id, key, actor="demo")
                registered += 1
    return registered


def request_live_opening(runtime: Runtime, seed: int) -> None:
    """Ask the running demo server for a fresh live opening (the driver job fulfils it once)."""
    _write_private(
        demo_dir(runtime) / REQUEST_FILE,
        json.dumps({"seed": seed, "requested_at": runtime.clock.now().isoformat(), "tender": None}) + "\n",
    )


# --- the driver job -----------------------------------------------------------------------------------


async def drive(runtime: Runtime) -> None:
    """One step of the live demo opening (a scheduler job; a no-op outside the demo)."""
    path = demo_dir(runtime) / REQUEST_FILE
    if not path.exists():
        return
    request = json.loads(path.read_text())
    code = request.get("tender")
    if not code:
        code = await _live_tender(runtime, int(request.get("seed") or 0))
        if code is None:
            return
        request["tender"] = code
        _write_private(path, json.dumps(request) + "\n")
    await drive_tender(runtime, code)


async def _live_tender(runtime: Runtime, seed: int) -> str | None:
    """The live tender still to be watched, or a new one with its deadline ``LEAD`` from now."""
    now = runtime.clock.now()
    async with runtime.transaction() as session:
        latest = await session.scalar(
            select(Tender).where(Tender.code.like(f"{LIVE_PREFIX}%")).order_by(Tender.id.desc()).limit(1)
        )
        if latest is not None and latest.state in (State.PUBLISHED, State.BIDDING):
            if as_utc(latest.bid_deadline) > now + LEAD / 2:
                return latest.code  # not opened yet and enough time to bid: watch this one
        host = await accounts.find_user(session, HOST)
        tenderer = await session.scalar(
            select(Organisation).where(Organisation.kind == "tenderer").order_by(Organisation.id).limit(1)
        )
        if host is None or tenderer is None:
            return None
        count = await session.scalar(select(func.count()).where(Tender.code.like(f"{LIVE_PREFIX}%"))) or 0
        code = f"{LIVE_PREFIX}{count + 1:03d}"
        title = f"{TITLES[count % len(TITLES)]}（不见面开标演示）"
        deadline = (now + LEAD).replace(microsecond=0)
        notice_at = now - timedelta(days=21)
        budget = Decimal(4_860_000 + 120_000 * (count % 5))
        new = tenders.NewTender(
            code=code,
            title=title,
            category="construction",
            method="open",
            region_code="220202",
            tenderer_id=tenderer.id,
            budget=budget,
            ceiling_price=(budget * Decimal("0.96")).quantize(Decimal("0.01")),
            bond_amount=Decimal(80000),
            registration_start=notice_at,
            registration_end=deadline,
            clarification_deadline=deadline - timedelta(days=3),
            bid_deadline=deadline,
            opening_recipient=_opening_identity(seed, code).recipient().to_str(),
            description="演示项目：投标截止后自动开标，演示投标人在线解密、唱标、确认与异议答复的全过程。",
            max_envelope_mib=8,
            min_credit_index=Decimal(0),
            decryption_minutes=WINDOW_MINUTES,
            confirm_minutes=CONFIRM_MINUTES,
        )
        tender = await tenders.save_draft(session, runtime, principal_of(host, 0), new)
        # As it stands three weeks after its notice went out (the statutory 20 days have passed).
        tender.state = State.PUBLISHED
        tender.notice_at = notice_at
        lots = await lots_of(session, tender.id)
        await publish_notice(
            session, runtime, tender, NoticeKind.TENDER, title, tenders.notice_text(tender, lots)
        )
        await runtime.audit.append(
            session,
            "tender.published",
            actor="demo",
            subject=f"tender:{code}",
            data={"bid_deadline": deadline.isoformat(), "opening_recipient": tender.opening_recipient},
        )
    log.info("demo: live opening %s, deadline %s", code, deadline.isoformat())
    # the bidders' bonds (demo/seeds/guarantees.py LIVE_BONDS): in the full demo one verified guarantee,
    # one short of the bond (鑫源路桥, bidder2: it fails at opening) and one cash deposit
    await demo_guarantees.secure_live(runtime, seed, code, new.bond_amount, deadline)
    return code


def _opening_identity(seed: int, code: str) -> X25519Identity:
    raw = hashlib.sha256(f"sunbid-demo-opening:{seed}:{code}".encode()).digest()
    return X25519Identity(X25519PrivateKey.from_private_bytes(raw))


@dataclass
class _Player:
    username: str
    principal: Principal
    identity: X25519Identity


async def _players(runtime: Runtime) -> list[_Player]:
    out = []
    async with runtime.sessions() as session:
        for username in BIDDERS:
            user = await accounts.find_user(session, username)
            identity = load_identity(runtime, username)
            if user is not None and user.organisation_id is not None and identity is not None:
                out.append(_Player(username, principal_of(user, 0), identity))
    return out


async def _host(runtime: Runtime) -> Principal | None:
    async with runtime.sessions() as session:
        user = await accounts.find_user(session, HOST)
        return principal_of(user, 0) if user is not None else None


async def drive_tender(runtime: Runtime, code: str) -> None:
    """Whatever the players should do now in this tender's script (each move at most once)."""
    async with runtime.sessions() as session:
        tender = await session.scalar(select(Tender).where(Tender.code == code))
        if tender is None:
            return
        state, deadline = tender.state, as_utc(tender.bid_deadline)
        openings = list(await session.scalars(select(Opening).where(Opening.tender_id == tender.id)))
    players = await _players(runtime)
    now = runtime.clock.now()
    try:
        if state in (State.PUBLISHED, State.BIDDING):
            if now < deadline - STEP:
                await _bid(runtime, code, players)
        elif state == State.OPENING:
            for row in openings:
                await _open(runtime, code, row, players, now)
    except DomainError as exc:  # a race with the clock or another process: the next tick looks again
        log.info("demo: %s: %s", code, exc.detail)


async def _bid(runtime: Runtime, code: str, players: list[_Player]) -> None:
    async with runtime.sessions() as session:
        tender = await session.scalar(select(Tender).where(Tender.code == code))
        assert tender is not None
        lots = await lots_of(session, tender.id)
        public = tender_view(tender, lots)
        bid_orgs = set(
            await session.scalars(
                select(Submission.organisation_id).where(
                    Submission.tender_id == tender.id, Submission.status == ACTIVE
                )
            )
        )
    rng = random.Random(code)
    bidding = len(bid_orgs)
    for n, player in enumerate(players):
        price_factor = Decimal(rng.randint(8800, 9700)) / 10000
        if bidding >= PLAYERS:
            return
        if player.principal.organisation_id in bid_orgs:
            continue
        try:
            async with runtime.transaction() as session:
                await registration.register(session, runtime, player.principal, code)
        except DomainError as exc:  # e.g. the credit gate: another demo company bids instead
            log.info("demo: %s cannot register: %s", player.username, exc.detail)
            continue
        lot = public.lots[0]
        price = (Decimal(lot.ceiling_price) * price_factor).quantize(Decimal("0.01"))
        await _seal_and_submit(runtime, public, lot.number, player, price, n, DESKS[bidding % len(DESKS)])
        bidding += 1


async def _seal_and_submit(
    runtime: Runtime, public: TenderOut, lot: str, player: _Player, price: Decimal, n: int, desk: Desk
) -> None:
    """The bidder's client: seal on its machine (``desk``; the files go to the demo folder), then upload."""
    async with runtime.sessions() as session:
        org = await session.get(Organisation, player.principal.organisation_id)
        assert org is not None
        bidder_code = org.credit_code
    form = {
        "price": str(price),
        "duration_days": 300 + 15 * n,
        "quality": "合格",
        "project_manager": desk.manager,
        MANAGER_ID_FIELD: desk.manager_id,
    }
    folder = demo_dir(runtime) / "bids" / public.code
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{player.username}.age"
    submission_id = hashlib.sha256(f"{public.code}:{bidder_code}".encode()).hexdigest()[:32]
    seal = functools.partial(
        seal_bid,
        tender=public,
        lot=lot,
        form=form,
        attachments=[],
        identity=player.identity,
        signing_key=signing_key_from_identity(player.identity),
        bidder=bidder_code,
        out=out,
        submission_id=submission_id,
    )
    sealed = await anyio.to_thread.run_sync(seal)

    async def body() -> AsyncIterator[bytes]:
        data = await anyio.to_thread.run_sync(sealed.envelope.read_bytes)
        for start in range(0, len(data), READ_BLOCK):
            yield data[start : start + READ_BLOCK]

    await submissions.submit(
        runtime,
        player.principal,
        public.code,
        lot,
        submission_id,
        encode_manifest(sealed.signed),
        body(),
        content_length=sealed.manifest.envelope_length,
        source=desk.source(),
    )


async def _open(runtime: Runtime, code: str, row: Opening, players: list[_Player], now: datetime) -> None:
    host = await _host(runtime)
    if host is None:
        return
    async with runtime.sessions() as session:
        bids = list(
            await session.scalars(
                select(OpeningBid).where(OpeningBid.opening_id == row.id).order_by(OpeningBid.id)
            )
        )
        tender = await session.get(Tender, row.tender_id)
        lot = await session.get(Lot, row.lot_id)
        assert tender is not None and lot is not None
    mine = {p.principal.organisation_id: p for p in players}
    ours = [(b, mine[b.organisation_id]) for b in bids if b.organisation_id in mine]
    if row.phase == opening.AWAITING_HOST and now >= as_utc(row.opened_at) + STEP:
        async with runtime.transaction() as session:
            await opening.start(session, runtime, host, code)
    elif row.phase == opening.DECRYPTING and row.window_ends_at is not None:
        ends = as_utc(row.window_ends_at)
        begun = ends - timedelta(minutes=tender.decryption_minutes)
        for i, (bid, player) in enumerate(ours):
            if bid.outcome == opening.QUEUED and begun + STEP * (i + 1) <= now < ends:
                key = await _file_key(runtime, player, code, lot.number)
                if key is not None:
                    await opening.reveal_key(runtime, player.principal, code, lot.number, key.hex())
    elif row.phase == opening.CONFIRMING and row.confirm_ends_at is not None:
        begun = as_utc(row.confirm_ends_at) - timedelta(minutes=tender.confirm_minutes)
        for i, (bid, player) in enumerate(ours):
            if bid.confirmation is None and bid.outcome in (opening.OPENED, opening.REJECTED):
                if now >= begun + STEP * (i + 1):
                    async with runtime.transaction() as session:
                        if i == len(ours) - 1 and len(ours) > 1:
                            await opening.object_to(
                                session, runtime, player.principal, code, lot.number, OBJECTION
                            )
                        else:
                            await opening.confirm(session, runtime, player.principal, code, lot.number)
        async with runtime.sessions() as session:
            fresh = list(
                await session.execute(
                    select(OpeningBid, Submission)
                    .join(Submission, Submission.id == OpeningBid.submission_id)
                    .where(OpeningBid.opening_id == row.id)
                    .order_by(Submission.submitted_at, Submission.id)  # the record's (唱标) order
                )
            )
        first_form = next((bid.form for bid, _sub in fresh if bid.form), None)
        answer_at = begun + STEP * (len(ours) + 1)
        answered = {sub.submission_id for bid, sub in fresh if bid.answer}
        for bid, sub in fresh:
            if bid.objection and not bid.answer and now >= answer_at:
                async with runtime.transaction() as session:
                    await opening.answer(
                        session, runtime, host, code, lot.number, sub.submission_id,
                        answer_to_objection(first_form),
                    )  # fmt: skip
                answered.add(sub.submission_id)
        settled = all(
            bid.confirmation is not None or bid.outcome not in (opening.OPENED, opening.REJECTED)
            for bid, _sub in fresh
        )
        unanswered = any(bid.objection and sub.submission_id not in answered for bid, sub in fresh)
        if settled and not unanswered and now >= answer_at + STEP:
            async with runtime.transaction() as session:
                await opening.finish(session, runtime, host, code, lot.number)


async def _file_key(runtime: Runtime, player: _Player, code: str, lot: str) -> bytes | None:
    """As ``sunbid bid decrypt`` does: fetch the bid's header, unwrap the file key with the identity."""
    found = await opening.own_header(runtime, player.principal, code, lot)
    try:
        header = read_header(io.BytesIO(base64.b64decode(found.header)), armor=False)
        return unwrap_header(header, [player.identity])
    except AgeError as exc:
        log.warning("demo: %s cannot unwrap its bid: %s", player.username, exc)
        return None
