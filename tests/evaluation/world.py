"""A lot ready for evaluation, built the way production gets there: a published tender, sealed bids
opened online (keys revealed, 唱标 closed), and a committee drawn, confirmed and holding signing keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from bidding import opening
from core.accounts import Principal, principal_of
from core.clock import ManualClock
from core.models import User
from core.roles import Role
from core.runtime import Runtime
from crypto.age import unwrap_file_key
from crypto.signing import generate_private_key, public_key_to_text
from experts import registry
from experts import service as experts
from experts.draw import DrawRules, DrawTender, Slot
from experts.idcard import synthetic_id_number
from experts.models import Expert, Invitation
from experts.registry import ExpertInput
from tests.bidding.helpers import World, make_world, published_tender, register_all, seal, upload
from tests.experts.helpers import company
from tests.support.factories import make_user

CODE = "JLZB-2026-001"
CRITERIA: dict[str, Any] = {
    "method": "comprehensive",
    "qualification": [{"id": "Q1", "text": "具有独立法人资格，营业执照有效"}],
    "preliminary": [{"id": "R1", "text": "投标文件签字盖章齐全"}],
    "scored": [
        {"id": "T1", "group": "technical", "name": "施工组织设计", "max_points": "30", "step": "0.5"},
        {"id": "C1", "group": "commercial", "name": "企业业绩", "max_points": "10", "step": "1"},
        {"id": "P1", "group": "price", "name": "投标报价", "max_points": "60", "step": "0.01"},
    ],
    "price": {
        "benchmark": "mean",
        "coefficient_max": "0",
        "above_per_percent": "1",
        "below_per_percent": "0.5",
    },
    "anomaly_limit": "20",
}
PRICES = ["10000000.00", "10500000.00", "11000000.00"]
COUNTIES = ("220202", "220221", "220281", "220282", "220283")


async def principal(runtime: Runtime, username: str) -> Principal:
    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return principal_of(user, 0)


@dataclass
class EvalWorld:
    runtime: Runtime
    bidding: World
    agent: Principal
    supervisor: Principal
    draw_id: int
    members: list[str]  # expert codes, in draw order
    alternates: list[str]
    people: dict[str, Principal] = field(default_factory=dict)  # expert code → principal
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)

    @property
    def bidder_codes(self) -> list[str]:
        return [b.code for b in self.bidding.bidders]


async def opened_lot(
    runtime: Runtime,
    client: Any,
    clock: ManualClock,
    tmp_path: Path,
    prices: list[str] = PRICES,
    criteria: dict[str, Any] = CRITERIA,
    managers: list[str] | None = None,
) -> World:
    """A tender whose lot 1 opened with every bid valid and its opening closed (every bid naming the
    same project manager unless ``managers`` names one per bid)."""
    world = await make_world(runtime, client, bidders=len(prices))
    tender = await published_tender(runtime, client, world, criteria=criteria)
    await register_all(client, world)
    sealed = []
    for n, (bidder, price) in enumerate(zip(world.bidders, prices, strict=True)):
        one = seal(
            tmp_path, tender, bidder, price=price, **({"project_manager": managers[n]} if managers else {})
        )
        response = await upload(client, bidder, one)
        assert response.status_code == 201, response.text
        sealed.append(one)
    clock.advance(days=21, seconds=1)
    assert await opening.open_due(runtime) == [CODE]
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.start(session, runtime, agent, CODE)
    for bidder, one in zip(world.bidders, sealed, strict=True):
        with one.envelope.open("rb") as fh:
            key = unwrap_file_key(fh, [bidder.identity]).hex()
        await opening.reveal_key(runtime, await principal(runtime, bidder.username), CODE, "1", key)
    # the last key closed the decryption window early: the opening waits for confirmations
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, agent, CODE, "1")
    return world


async def committee(
    runtime: Runtime, clock: ManualClock, world: World, *, members: int = 3, alternates: int = 1
) -> EvalWorld:
    """A complete draw for the tender: every drawn expert confirms; each has a login and a key."""
    import random

    await make_user(runtime, "supervisor9", Role.SUPERVISOR)
    supervisor = await principal(runtime, "supervisor9")
    rng = random.Random(7)
    keys: dict[str, Ed25519PrivateKey] = {}
    usernames: dict[str, str] = {}
    async with runtime.transaction() as session:
        for n in range(1, members + alternates + 4):
            county = COUNTIES[n % len(COUNTIES)]
            key = generate_private_key()
            expert = await registry.register_expert(
                session, runtime,
                ExpertInput(
                    name=f"评委{n:02d}", id_number=synthetic_id_number(rng, county, date(1975, 1, n)),
                    phone=f"139{n:08d}", county=county, employer_code=company(300 + n, county),
                    employer_name=f"某设计院{n}", title="高级工程师", specialties=["A0101"],
                ),
                actor="test",
            )  # fmt: skip
            expert.public_key = public_key_to_text(key.public_key())
            keys[expert.code] = key
    for code in list(keys):
        username = "e" + code.lower().replace("-", "")
        user_id = await make_user(runtime, username, Role.EXPERT)
        async with runtime.transaction() as session:
            await registry.link_user(session, runtime, code, user_id, actor="test")
        usernames[code] = username
    tender = DrawTender(
        tenderer_code=world_code(world, "tenderer"), tenderer_county="220281", agent_code=None,
        bidder_codes=(), evaluation_date=clock.now().date() + timedelta(days=1),
    )  # fmt: skip
    rules = DrawRules(slots=(Slot("A0101", members, alternates),))
    async with runtime.transaction() as session:
        draw = await experts.create_draw_request(
            session, runtime, tender_ref=CODE, lot_ref="1", tender=tender, rules=rules, actor=supervisor
        )
        draw_id = draw.id
    async with runtime.transaction() as session:
        await experts.commit_seed(session, runtime, draw_id, actor=supervisor)
    async with runtime.transaction() as session:
        await experts.contribute(session, runtime, draw_id, actor=supervisor, value="31415")
        await experts.run_draw(session, runtime, draw_id, actor=supervisor)
    async with runtime.sessions() as session:
        invited = list(
            await session.execute(
                select(Invitation, Expert)
                .join(Expert)
                .where(Invitation.draw_id == draw_id, Invitation.state == "invited")
            )
        )
    for invitation, expert in invited:
        who = await principal(runtime, usernames[expert.code])
        async with runtime.transaction() as session:
            await experts.respond(session, runtime, invitation.id, actor=who, accept=True)
    async with runtime.sessions() as session:
        seated, spare = await experts.seats(session, draw_id)
    out = EvalWorld(
        runtime, world, await principal(runtime, "agent1"), supervisor, draw_id,
        [e.code for e in seated], [e.code for e in spare], keys=keys, usernames=usernames,
    )  # fmt: skip
    for code, username in usernames.items():
        out.people[code] = await principal(runtime, username)
    return out


def world_code(world: World, kind: str) -> str:
    from tests.bidding.helpers import credit_code

    return credit_code(1 if kind == "tenderer" else 2)


# --- for real-socket tests and bench/rooms.py: a room already in the scoring phase -------------------

MAIN_VENUE, SUB_VENUE = "220281", "220221"


async def scoring_room(
    runtime: Runtime,
    client: Any,
    clock: ManualClock,
    tmp_path: Path,
    *,
    members: int = 3,
    alternates: int = 1,
) -> EvalWorld:
    """An evaluation started on the opened lot and driven through the service to the scoring phase:
    every member signed in (alternately at the main and the sub venue) and declared no conflict, the
    first member elected chair, every bidder passed qualification and preliminary review."""
    from evaluation import service

    world = await opened_lot(runtime, client, clock, tmp_path)
    ew = await committee(runtime, clock, world, members=members, alternates=alternates)
    code = f"{CODE}-1"
    async with runtime.transaction() as session:
        await service.start(
            session, runtime, ew.agent, service.NewEvaluation(CODE, "1", ew.draw_id, MAIN_VENUE, (SUB_VENUE,))
        )

    async def act(member: str, **message: Any) -> None:
        async with runtime.transaction() as session:
            await service.act(session, runtime, ew.people[member], code, message)

    for n, member in enumerate(ew.members):
        await act(member, action="sign_in", venue=MAIN_VENUE if n % 2 == 0 else SUB_VENUE)
        await act(member, action="declare", conflict=False)
    chair = ew.members[0]
    for member in ew.members:
        await act(member, action="vote", candidate=chair)
    for review, item in (("qualification", "Q1"), ("preliminary", "R1")):
        for member in ew.members:
            for bidder in ew.bidder_codes:
                await act(member, action="verdict", review=review, bidder=bidder, item=item, passed=True)
        await act(chair, action="advance")
    return ew


async def api_headers(runtime: Runtime, username: str) -> dict[str, str]:
    """An API token (no expiry, so it survives a test clock far behind the real one) as headers."""
    from core import accounts

    async with runtime.transaction() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        token = await accounts.issue_token(session, runtime.clock, user, kind="api", lifetime=None)
    return {"Authorization": f"Bearer {token}"}


MAIN_VENUE, SUB_VENUE = "220281", "220221"


async def ready_for_evaluation(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, **kw: Any
) -> EvalWorld:
    """The lot opened and its committee drawn and confirmed: what the host needs to open the room."""
    world = await opened_lot(runtime, client, clock, tmp_path)
    return await committee(runtime, clock, world, **kw)


async def started_evaluation(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, **kw: Any
) -> EvalWorld:
    """The lot opened, the committee drawn, and the agent's room open (main venue 220281, one
    sub-venue 220221): the evaluation ``JLZB-2026-001-1`` in its sign-in phase."""
    from evaluation import service

    ew = await ready_for_evaluation(runtime, client, clock, tmp_path, **kw)
    async with runtime.transaction() as session:
        await service.start(
            session,
            runtime,
            ew.agent,
            service.NewEvaluation(CODE, "1", ew.draw_id, MAIN_VENUE, (SUB_VENUE,)),
        )
    return ew
