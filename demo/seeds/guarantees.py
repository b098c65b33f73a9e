"""Demo guarantors and their guarantees (issue 19, guarantee half).

An insurer and a bank, each with a user (``insurer`` / ``bank``, the demo password) and an Ed25519 key
derived from the seed; guarantees on the demo tenders still open for bids; cash deposits on the awarded
tender whose refund is late (red warning on /guarantees/refunds) once demo/seeds/contracts.py signs its
contract. The demo's opened tenders (their opening records name the demo bidders) have their bids
secured as they stood at the deadline: guarantees issued the day before it,
the last bidder paying cash, so the statistics page shows a real guarantee share. The live opening
(demo/opening.py) asks ``secure_live`` for the bonds on its fresh tender: the guarantee of a company
that does bid is short of the tender's bond, so the 唱标 table shows it failing verification.
Deterministic for a seed; a second run adds nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from bidding import service as bidding
from core import accounts, organisations
from core.accounts import principal_of
from core.clock import ManualClock, as_utc
from core.credit_code import make_credit_code
from core.errors import DomainError
from core.models import Organisation, User
from core.organisations import NewOrganisation, OrgKind
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import public_key_to_text
from demo.seeds.core import DEMO_PASSWORD, organisation_code
from guarantees import service

GUARANTORS = (
    ("insurer", "中国人民财产保险股份有限公司吉林市分公司", "guarantee_insurance", "保险 保函专员 高洁"),
    ("bank", "吉林银行股份有限公司吉林分行", "guarantee_letter", "银行 保函专员 韩松"),
)
OPEN_TENDERS = ("JLGGZY-2026-001", "JLGGZY-2026-002")
# Awarded: its two cash deposits fall due when the demo contract is signed (demo/seeds/contracts.py runs
# after this seed and schedules them from its signing time, as signing does): about 2 days late.
LATE_REFUND_TENDER = "JLGGZY-2026-007"
# Opened tenders (an opening record names their bidders: demo/seeds/bidding.py) and how many bid on each.
OPENED_TENDERS = (
    ("JLGGZY-2026-005", 4),
    ("JLGGZY-2026-006", 4),
    ("JLGGZY-2026-007", 4),
    ("JLGGZY-2026-009", 2),
)


def _key(seed: int, name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"sunbid-demo-guarantor:{seed}:{name}".encode()).digest()
    )


async def _guarantor(runtime: Runtime, seed: int, index: int) -> tuple[int, bool]:
    username, name, _kind, display = GUARANTORS[index]
    rng = random.Random(seed * 31 + index)
    code = make_credit_code("9", "1", "220202", organisation_code(rng))
    async with runtime.transaction() as session:
        org = await organisations.find_by_credit_code(session, code)
        if org is not None:
            return org.id, False
        key = public_key_to_text(_key(seed, username).public_key())
        org = await organisations.register_organisation(
            session, runtime.clock, runtime.audit,
            NewOrganisation(code, name, OrgKind.GUARANTOR, display.split()[-1], "220202", signing_key=key),
            actor="demo",
        )  # fmt: skip
        if await accounts.find_user(session, username) is None:
            await accounts.create_user(
                session, runtime.clock, runtime.audit, username=username, password=DEMO_PASSWORD,
                display_name=display, roles=frozenset({Role.GUARANTOR}), organisation_id=org.id,
            )  # fmt: skip
        return org.id, True


async def _issue(
    runtime: Runtime,
    seed: int,
    index: int,
    tender: str,
    bidder: str,
    amount: Decimal,
    valid_until: Any,
    *,
    issued_at: datetime | None = None,
) -> str | None:
    """Issue through the real service; ``issued_at`` (before the tender's deadline) issues it as it
    stood then, for a tender the demo writes as already opened."""
    username, _name, kind, _display = GUARANTORS[index]
    if issued_at is not None:
        runtime = dataclasses.replace(runtime, clock=ManualClock(issued_at))
    async with runtime.transaction() as session:
        user = await session.scalar(select(User).where(User.username == username))
        org = await session.get(Organisation, user.organisation_id) if user else None
        if user is None or org is None:
            return None
        statement = msgspec.convert({  # checked against the API's own type, as a guarantor's tool would
            "type": service.GUARANTEE_TYPE, "guarantor": org.credit_code, "kind": kind, "tender": tender,
            "lot": "1", "bidder": bidder, "amount": f"{amount:.2f}", "valid_until": valid_until.isoformat(),
            "reference": f"{username.upper()}-{tender[-3:]}-{bidder[-4:]}",
        }, service.GuaranteeStatement)  # fmt: skip
        stood = None
        if issued_at is not None:  # the tender as it stood before its deadline, restored below
            row = await bidding.tender_by_code(session, tender)
            stood, row.state = row.state, bidding.State.BIDDING
        try:
            async with session.begin_nested():
                out = await service.issue_guarantee(
                    session,
                    runtime,
                    principal_of(user, 0),
                    service.sign_guarantee(statement, _key(seed, username)),
                )
        except DomainError:
            return None
        finally:
            if stood is not None:
                row.state = stood
        return out.number


async def _bidders(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(Organisation.credit_code).where(Organisation.kind == "bidder").order_by(Organisation.id)
        )
        return list(rows)


# The live opening's bonds, by the demo bidder user whose company bids (demo/opening.py lets the first
# three through the credit gate bid, in this order): the failing guarantee goes to 鑫源路桥 (bidder2),
# who always bids, so the 唱标 table shows it failing. 恒通市政 (bidder3) is barred by its credit record
# in the full demo and does not bid; its guarantee shows only when the credit demo is not seeded.
LIVE_BONDS = (
    ("bidder", "insurer"),  # the whole bond: verified
    ("bidder2", "short"),  # the bank's guarantee for half the bond: fails at opening (amount_short)
    ("bidder3", "insurer"),
    ("bidder4", "cash"),  # a cash deposit, recorded by the supervisor
)


async def _company_of(runtime: Runtime, username: str) -> str | None:
    async with runtime.sessions() as session:
        user = await accounts.find_user(session, username)
        org = await session.get(Organisation, user.organisation_id) if user and user.organisation_id else None
        return org.credit_code if org is not None and org.kind == OrgKind.BIDDER else None


async def secure_live(runtime: Runtime, seed: int, code: str, bond: Decimal, deadline: Any) -> int:
    """Guarantees for the live opening's bidders (``LIVE_BONDS``): two secure the whole bond, one from
    the bank is short of it (it fails at opening), one company pays cash. Returns how many it issued."""
    until = deadline + timedelta(days=90)
    issued = 0
    for username, how in LIVE_BONDS:
        bidder = await _company_of(runtime, username)
        if bidder is None:
            continue
        if how == "cash":
            await _deposit(runtime, code, bidder, bond)
            continue
        amount = bond if how == "insurer" else (bond / 2).quantize(Decimal("0.01"))
        issued += (
            await _issue(runtime, seed, 0 if how == "insurer" else 1, code, bidder, amount, until) is not None
        )
    return issued


async def _deposit(runtime: Runtime, code: str, bidder: str, amount: Decimal) -> int | None:
    async with runtime.transaction() as session:
        supervisor = await session.scalar(select(User).where(User.username == "supervisor"))
        if supervisor is None:
            return None
        try:
            async with session.begin_nested():
                new = service.NewDeposit(
                    bidder=bidder,
                    amount=f"{amount:.2f}",
                    payer_account=f"6217 0000 {bidder[-8:-4]} {bidder[-4:]}",
                )
                out = await service.record_deposit(
                    session, runtime, principal_of(supervisor, 0), code, "1", new
                )
        except DomainError:
            return None
        return out.id


async def _secure_opened(runtime: Runtime, seed: int, bidders: list[str]) -> tuple[int, int]:
    """The opened tenders' bids secured as they stood at the deadline: guarantees issued the day before
    it (the insurer and the bank in turn), the last bidder paying cash; the awarded tender's first two
    bidders paid cash already (their late refund)."""
    issued = deposits = 0
    for t, (code, count) in enumerate(OPENED_TENDERS):
        async with runtime.sessions() as session:
            try:
                tender = await bidding.tender_by_code(session, code)
            except DomainError:
                continue
            bond, deadline = tender.bond_amount, as_utc(tender.bid_deadline)
        for n, bidder in enumerate(bidders[:count]):
            if code == LATE_REFUND_TENDER and n < 2:
                continue  # cash deposits, recorded with their late refund
            if n == count - 1 and code != LATE_REFUND_TENDER:
                deposits += await _deposit(runtime, code, bidder, bond) is not None
                continue
            issued += (
                await _issue(
                    runtime,
                    seed,
                    (n + t) % 2,
                    code,
                    bidder,
                    bond,
                    deadline + timedelta(days=90),
                    issued_at=deadline - timedelta(days=1),
                )
                is not None
            )
    return issued, deposits


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    created = [await _guarantor(runtime, seed, i) for i in range(len(GUARANTORS))]
    if not any(new for _id, new in created):
        return {"guarantors": 0, "guarantees": 0, "deposits": 0}
    bidders = await _bidders(runtime)
    issued = deposits = 0
    for t, code in enumerate(OPEN_TENDERS):
        async with runtime.sessions() as session:
            try:
                tender = await bidding.tender_by_code(session, code)
            except DomainError:
                continue
            bond, deadline = tender.bond_amount, tender.bid_deadline
        for n, bidder in enumerate(bidders[:3]):
            issued += (
                await _issue(runtime, seed, (n + t) % 2, code, bidder, bond, deadline + timedelta(days=90))
                is not None
            )
    if len(bidders) > 1:
        async with runtime.sessions() as session:
            try:
                late = await bidding.tender_by_code(session, LATE_REFUND_TENDER)
            except DomainError:
                late = None
        if late is not None:
            for bidder in bidders[:2]:  # held until the contract is signed (demo/seeds/contracts.py)
                deposits += await _deposit(runtime, late.code, bidder, late.bond_amount) is not None
    more_issued, more_deposits = await _secure_opened(runtime, seed, bidders)
    issued, deposits = issued + more_issued, deposits + more_deposits
    return {"guarantors": sum(new for _id, new in created), "guarantees": issued, "deposits": deposits}
