"""补抽 end to end: a committee draw runs out of alternates, the supervisor runs a supplementary draw
over the API, its member confirms, and the evaluation room seats the supplementary member (evaluation/
reads the committee through experts' service). And in a room already running: a member who leaves
with no alternate left makes the draw short, and the supplementary draw's confirmed member takes the
vacant seat (experts → core.committee_port → the room's AlternatesAdded step)."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.clock import ManualClock
from core.models import AuditEntry
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import generate_private_key, public_key_to_text
from evaluation import service
from evaluation.models import Member
from evaluation.steps import Phase
from experts import registry
from experts import service as experts
from experts.draw import DrawRules, DrawTender, Slot
from experts.idcard import synthetic_id_number
from experts.models import Invitation
from experts.registry import ExpertInput
from tests.evaluation.world import CODE, COUNTIES, opened_lot, principal, started_evaluation, world_code
from tests.experts.helpers import company
from tests.support.factories import bearer, make_user
from tests.web.test_admin import HTML, page_login


async def _pool(runtime: Runtime, count: int) -> dict[str, str]:
    """``count`` experts of A0101 with logins: code → username."""
    rng = random.Random(11)
    usernames = {}
    for n in range(1, count + 1):
        county = COUNTIES[n % len(COUNTIES)]
        async with runtime.transaction() as session:
            expert = await registry.register_expert(
                session, runtime,
                ExpertInput(
                    name=f"补抽评委{n:02d}", id_number=synthetic_id_number(rng, county, date(1970, 2, n)),
                    phone=f"138{n:08d}", county=county, employer_code=company(400 + n, county),
                    employer_name=f"某咨询公司{n}", title="高级工程师", specialties=["A0101"],
                ),
                actor="test",
            )  # fmt: skip
            expert.public_key = public_key_to_text(generate_private_key().public_key())
            code = expert.code
        username = "s" + code.lower().replace("-", "")
        user_id = await make_user(runtime, username, Role.EXPERT)
        async with runtime.transaction() as session:
            await registry.link_user(session, runtime, code, user_id, actor="test")
        usernames[code] = username
    return usernames


async def _invited(runtime: Runtime, draw_id: int) -> list[Invitation]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(Invitation).where(Invitation.draw_id == draw_id, Invitation.state == "invited")
        )
        return list(rows)


async def _answer(runtime: Runtime, usernames: dict[str, str], invitation: Invitation, accept: bool) -> None:
    who = await principal(runtime, usernames[invitation.expert.code])
    async with runtime.transaction() as session:
        await experts.respond(
            session, runtime, invitation.id, actor=who, accept=accept, reason="" if accept else "身体原因"
        )


async def test_the_room_seats_the_supplementary_member(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path)
    usernames = await _pool(runtime, 6)
    await make_user(runtime, "supervisor8", Role.SUPERVISOR)
    supervisor = await principal(runtime, "supervisor8")
    tender = DrawTender(
        tenderer_code=world_code(world, "tenderer"), tenderer_county="220281", agent_code=None,
        bidder_codes=(), evaluation_date=clock.now().date() + timedelta(days=1),
    )  # fmt: skip
    async with runtime.transaction() as session:
        draw = await experts.create_draw_request(
            session, runtime, tender_ref=CODE, lot_ref="1", tender=tender,
            rules=DrawRules(slots=(Slot("A0101", 3, 0),)), actor=supervisor,
        )  # fmt: skip
        draw_id = draw.id
    for step in ("commit", "run"):
        async with runtime.transaction() as session:
            if step == "commit":
                await experts.commit_seed(session, runtime, draw_id, actor=supervisor)
            else:
                await experts.contribute(session, runtime, draw_id, actor=supervisor, value="16180")
                await experts.run_draw(session, runtime, draw_id, actor=supervisor)
    first = await _invited(runtime, draw_id)
    await _answer(runtime, usernames, first[0], accept=False)  # no alternate: the draw is short
    for invitation in first[1:]:
        await _answer(runtime, usernames, invitation, accept=True)
    # the supervisor's console of the short draw offers the supplementary draw (a CSRF form)
    await page_login(client, "supervisor8")
    console = await client.get(f"/experts/draws/{draw_id}", headers=HTML)
    assert 'id="supplementary-form"' in console.text and "补抽" in console.text
    token = re.findall(r'name="_csrf" value="([^"]+)"', console.text)[0]
    made = await client.post(
        f"/experts/draws/{draw_id}/supplementary", data={"_csrf": token}, headers=HTML, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    extra_id = int(made.headers["location"].rsplit("/", 1)[1])
    new_console = await client.get(f"/experts/draws/{extra_id}", headers=HTML)
    assert 'id="supplements-of"' in new_console.text
    headers = await bearer(client, "supervisor8")
    running = await client.post(f"/api/experts/draws/{draw_id}/supplementary", headers=headers)
    assert running.status_code == 409 and running.json()["error"] == "supplement_running"
    refused = await client.post(f"/api/experts/draws/{extra_id}/supplementary", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"] == "is_supplementary"
    shown = (await client.get(f"/api/experts/draws/{extra_id}", headers=headers)).json()
    assert shown["state"] == "created" and shown["rules"]["slots"][0]["experts"] == 1
    async with runtime.transaction() as session:
        await experts.commit_seed(session, runtime, extra_id, actor=supervisor)
    async with runtime.transaction() as session:
        await experts.contribute(session, runtime, extra_id, actor=supervisor, value="27182")
        await experts.run_draw(session, runtime, extra_id, actor=supervisor)
    [newcomer] = await _invited(runtime, extra_id)
    assert newcomer.expert.code not in {i.expert.code for i in first}
    await _answer(runtime, usernames, newcomer, accept=True)
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        evaluation = await service.start(
            session, runtime, agent, service.NewEvaluation(CODE, "1", draw_id, "220281", ())
        )
        seated = list(
            await session.scalars(
                select(Member.code).where(Member.evaluation_id == evaluation.id, Member.kind == "member")
            )
        )
    assert newcomer.expert.code in seated and first[0].expert.code not in seated
    assert len(seated) >= 3


async def test_a_supplementary_draw_fills_the_vacancy_of_a_room_already_running(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started_evaluation(runtime, client, clock, tmp_path, members=3, alternates=1)
    code = f"{CODE}-1"
    [alternate] = ew.alternates
    first, second, third = ew.members

    async def act(who: Any, **message: Any) -> None:
        async with runtime.transaction() as session:
            await service.act(session, runtime, who, code, message)

    async def room() -> Any:
        async with runtime.sessions() as session:
            return await service.room_state(session, await service.get_evaluation(session, code), runtime)

    async def draw_state() -> str:
        async with runtime.sessions() as session:
            return (await experts.get_draw(session, ew.draw_id)).state

    # a conflict: the room's alternate takes the seat, the committee stays whole
    await act(ew.people[first], action="sign_in", venue="220281")
    await act(ew.people[first], action="declare", conflict=True, reason="曾在投标人处任职")
    assert (await room()).members == (alternate, second, third) and await draw_state() == "complete"
    # an absence with no alternate left: a vacancy; the draw is short, and no supplementary draw runs yet
    await act(ew.agent, action="absent", member=third, reason="确认后未到场")
    state = await room()
    assert state.vacancies == 1 and third not in state.members and state.phase is Phase.SIGN_IN
    assert await draw_state() == "short"
    async with runtime.transaction() as session:
        extra = await experts.create_supplementary_draw(session, runtime, ew.draw_id, actor=ew.supervisor)
        extra_id = extra.id
    async with runtime.transaction() as session:
        await experts.commit_seed(session, runtime, extra_id, actor=ew.supervisor)
    async with runtime.transaction() as session:
        await experts.contribute(session, runtime, extra_id, actor=ew.supervisor, value="27182")
        await experts.run_draw(session, runtime, extra_id, actor=ew.supervisor)
    [newcomer] = await _invited(runtime, extra_id)
    assert newcomer.expert.code not in {*ew.members, alternate}
    assert (await room()).vacancies == 1  # invited is not seated: only a confirmation seats
    await _answer(runtime, ew.usernames, newcomer, accept=True)

    # the room gained the newcomer as a member on the vacancy, with a seat row naming them
    state = await room()
    assert state.vacancies == 0 and state.members == (alternate, second, newcomer.expert.code)
    assert await draw_state() == "complete"
    async with runtime.sessions() as session:
        seat = await session.scalar(
            select(Member).where(Member.code == newcomer.expert.code, Member.kind == "member")
        )
        assert seat is not None and seat.name == newcomer.expert.name and seat.public_key
        kinds = [e.kind for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.position))]
    assert (
        kinds.count("experts.draw.seat_vacated") == 2 and kinds.count("evaluation.members_supplemented") == 1
    )
    assert kinds.index("experts.draw.supplemented") < kinds.index("evaluation.members_supplemented")
    # the newcomer signs in and declares like everyone else, and the room moves on to the chair election
    for member in (alternate, second, newcomer.expert.code):
        await act(ew.people[member], action="sign_in", venue="220281")
        await act(ew.people[member], action="declare", conflict=False)
    assert (await room()).phase is Phase.CHAIR_ELECTION
    # the room page shows the newcomer's seat to the newcomer (a member, not a visitor)
    await page_login(client, ew.usernames[newcomer.expert.code])
    page = await client.get(f"/evaluations/{code}", headers=HTML)
    assert page.status_code == 200 and newcomer.expert.name in page.text
