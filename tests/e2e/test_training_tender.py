"""A whole training tender (培训项目, issue #15 point 3) on the real clock, in about two minutes:
publish → register → sealed bids → the deadline (the real scheduler job) → opening (keys revealed,
the window closes early, confirmations) → expert draw → evaluation (scores, an unexplained anomaly,
signatures) → publicity (3 training days = 9 s) → award; then nothing of it is public and nobody
lost credit.

Everything after the seeded accounts and organisations goes through the HTTP API (the ASGI client of
the real app): bidding, the opening, the expert pool (an administrator creates the experts' logins, the
supervisor registers the experts and links them), the draw (created, committed, both contributions,
run), the experts confirming their invitations, the evaluation room, publicity and the award.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from bidding.jobs import JOBS
from core.clock import SystemClock
from core.roles import Role
from core.runtime import Runtime
from core.scheduler import Scheduler
from credit.models import Deduction
from crypto.age import unwrap_file_key
from crypto.signing import generate_private_key, public_key_to_text
from evaluation.report.signatures import signing_message
from experts.idcard import synthetic_id_number
from tests.bidding.helpers import World, credit_code, make_world, published_tender, register_all, seal, upload
from tests.evaluation.world import CODE, COUNTIES, CRITERIA, PRICES
from tests.experts.helpers import company
from tests.support.factories import PASSWORD, bearer, make_user

pytestmark = pytest.mark.e2e

MAIN, SUB = "220281", "220221"
EVAL = f"{CODE}-1"
BASE = f"/api/tenders/{CODE}"
# Technical (max 30) and commercial (max 10) per bidder; one member's 29 for bidder 1 is an outlier.
SHEET = {0: ("28", "9"), 1: ("20", "6"), 2: ("25", "8")}


@pytest.fixture
def clock() -> SystemClock:  # type: ignore[override]
    """The real clock: a training tender has to run in real minutes, nothing is moved forward."""
    return SystemClock()


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


async def until(what: str, check: Any, *, seconds: float) -> Any:
    """Poll ``check`` (async, truthy when done) once a second on the real clock, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        done = await check()
        if done:
            return done
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        await asyncio.sleep(1)


@dataclass
class Committee:
    draw_id: int
    members: list[str]  # expert codes of the confirmed seats, in the committee's order
    bidder_codes: list[str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # expert code → bearer headers
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)  # the experts' own signing keys


async def drawn_committee(
    runtime: Runtime, client: Any, clock: SystemClock, world: World, *, members: int = 3, alternates: int = 1
) -> Committee:
    """What tests/evaluation/world.py's ``committee`` establishes, over HTTP: a pool of seven experts in
    specialty A0101, each with a login and a signing key; a draw of ``members`` seats and ``alternates``
    for lot 1; every invited expert accepts."""
    await make_user(runtime, "admin1", Role.ADMIN)  # the one seeded account: who creates the logins
    admin = await bearer(client, "admin1")
    rng = random.Random(7)
    codes: list[str] = []
    usernames: dict[str, str] = {}
    for n in range(1, members + alternates + 4):
        county = COUNTIES[n % len(COUNTIES)]
        registered = await client.post(
            "/api/experts",
            json={
                "name": f"评委{n:02d}", "id_number": synthetic_id_number(rng, county, date(1975, 1, n)),
                "phone": f"139{n:08d}", "county": county, "employer_code": company(300 + n, county),
                "employer_name": f"某设计院{n}", "title": "高级工程师", "specialties": ["A0101"],
            },
            headers=world.supervisor,
        )  # fmt: skip
        assert registered.status_code == 201, registered.text
        code = registered.json()["code"]
        username = f"expert{n:02d}"
        user = await client.post(
            "/api/admin/users",
            json={
                "username": username,
                "display_name": f"评委{n:02d}",
                "roles": ["expert"],
                "password": PASSWORD,
            },
            headers=admin,
        )
        assert user.status_code == 201, user.text
        linked = await client.post(
            f"/api/experts/{code}/link", json={"username": username}, headers=world.supervisor
        )
        assert linked.status_code == 200, linked.text
        codes.append(code)
        usernames[code] = username
    out = Committee(0, [], [b.code for b in world.bidders])
    for code in codes:
        # Each expert logs in and registers the public half of a key only it holds.
        out.headers[code] = await bearer(client, usernames[code])
        out.keys[code] = generate_private_key()
        own = {"public_key": public_key_to_text(out.keys[code].public_key())}
        changed = await client.put("/api/experts/me", json=own, headers=out.headers[code])
        assert changed.status_code == 200 and changed.json()["status"] == "active", changed.text

    # The supervisor on duty draws: create, commit the seed, both contributions, run.
    created = await client.post(
        "/api/experts/draws",
        json={
            "tender_ref": CODE, "lot_ref": "1", "tenderer_code": credit_code(1), "tenderer_county": "220281",
            "evaluation_date": (clock.now().date() + timedelta(days=1)).isoformat(),
            "slots": [{"specialty": "A0101", "experts": members, "alternates": alternates}],
        },
        headers=world.supervisor,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    out.draw_id = draw_id = created.json()["id"]
    draw = f"/api/experts/draws/{draw_id}"
    assert (await client.post(f"{draw}/commit", headers=world.supervisor)).status_code == 200
    for headers, value in ((world.tenderer, "27182"), (world.supervisor, "31415")):
        contributed = await client.post(f"{draw}/contributions", json={"value": value}, headers=headers)
        assert contributed.status_code == 200, contributed.text
    ran = await client.post(f"{draw}/run", headers=world.supervisor)
    assert ran.status_code == 200, ran.text

    # Every invited expert sees the invitation and accepts it.
    for code in codes:
        mine = (await client.get("/api/experts/me/invitations", headers=out.headers[code])).json()
        for invitation in mine:
            if invitation["state"] == "invited" and invitation["tender_ref"] == CODE:
                answered = await client.post(
                    f"/api/experts/me/invitations/{invitation['id']}/respond",
                    json={"accept": True},
                    headers=out.headers[code],
                )
                assert answered.status_code == 200 and answered.json()["state"] == "confirmed", answered.text
    seats = (await client.get(f"{draw}/committee", headers=world.supervisor)).json()
    out.members = [s["code"] for s in seats if s["state"] == "confirmed"]
    assert len(out.members) == members and sum(s["state"] == "unused" for s in seats) == alternates, seats
    # The public sees the seats filled but not who fills them.
    sealed = (await client.get(f"{draw}/committee")).json()
    assert len(sealed) == members and {s["name"] for s in sealed} == {"***"}, sealed
    return out


async def test_a_whole_training_tender_runs_in_minutes_and_stays_out_of_public_data(
    runtime: Runtime, client: Any, clock: SystemClock, tmp_path: Path
) -> None:
    # No stopwatch assertion (no timed tests): the training clock itself bounds the run — 62 s to the
    # deadline and 9 s of publicity, each waited for with a bounded poll (measured: about 2 minutes).
    world = await make_world(runtime, client, bidders=3)
    now = clock.now()
    tender = await published_tender(
        runtime,
        client,
        world,
        CODE,
        criteria=CRITERIA,
        training=True,
        registration_start=now.isoformat(),
        registration_end=(now + timedelta(seconds=25)).isoformat(),
        clarification_deadline=(now + timedelta(seconds=40)).isoformat(),
        bid_deadline=(now + timedelta(seconds=62)).isoformat(),  # 20 training days are 60 s
    )
    assert tender["training"] is True
    await register_all(client, world)
    sealed = []
    for bidder, price in zip(world.bidders, PRICES, strict=True):
        one = seal(tmp_path, tender, bidder, price=price)
        assert (await upload(client, bidder, one)).status_code == 201
        sealed.append(one)

    # The deadline passes on the real clock; the real job opens the tender.
    scheduler = Scheduler(runtime, JOBS)

    async def opened() -> bool:
        await scheduler.run_due()
        got = await client.get(f"{BASE}/lots/1/opening")
        return got.status_code == 200 and got.json()["phase"] == "awaiting_host"

    await until("the opening", opened, seconds=120)

    # The host starts; every bidder reveals its key; the last one closes the window at once.
    assert (await client.post(f"{BASE}/opening/start", headers=world.agent)).status_code == 200
    for bidder, one in zip(world.bidders, sealed, strict=True):
        with one.envelope.open("rb") as fh:
            key = unwrap_file_key(fh, [bidder.identity]).hex()
        done = await client.post(f"{BASE}/lots/1/opening/key", json={"file_key": key}, headers=bidder.headers)
        assert done.status_code == 200 and done.json()["outcome"] == "opened", done.text
    assert (await client.get(f"{BASE}/lots/1/opening")).json()["phase"] == "confirming"
    for bidder in world.bidders:
        confirmed = await client.post(f"{BASE}/lots/1/opening/confirm", headers=bidder.headers)
        assert confirmed.status_code == 200, confirmed.text
    finished = await client.post(f"{BASE}/lots/1/opening/finish", headers=world.agent)
    assert finished.status_code == 200, finished.text
    hall = await client.get(f"/tenders/{CODE}/opening", headers={"accept": "text/html"})
    assert 'id="training-banner"' in hall.text

    # The committee is drawn and confirmed; the host opens the room.
    ew = await drawn_committee(runtime, client, clock, world)
    room = await client.post(
        "/api/evaluations",
        json={"tender": CODE, "lot": "1", "draw_id": ew.draw_id, "main_venue": MAIN, "venues": [SUB]},
        headers=world.agent,
    )
    assert room.status_code == 201, room.text
    experts = ew.headers

    async def act(member: str, /, **message: Any) -> dict[str, Any]:
        response = await client.post(
            f"/api/evaluations/{EVAL}/actions", json=message, headers=experts[member]
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    members = list(ew.members)
    for n, code in enumerate(members):
        await act(code, action="sign_in", venue=MAIN if n % 2 == 0 else SUB)
        await act(code, action="declare", conflict=False)
    chair = members[1]
    for code in members:
        await act(code, action="vote", candidate=chair)
    for review, item in (("qualification", "Q1"), ("preliminary", "R1")):
        for code in members:
            for bidder in ew.bidder_codes:
                await act(code, action="verdict", review=review, bidder=bidder, item=item, passed=True)
        await act(chair, action="advance")
    outlier = members[0]
    for code in members:
        for i, bidder in enumerate(ew.bidder_codes):
            technical, commercial = SHEET[i]
            if code == outlier and i == 1:
                technical = "29"
            await act(code, action="score", bidder=bidder, criterion="T1", value=technical)
            await act(code, action="score", bidder=bidder, criterion="C1", value=commercial)
        await act(code, action="submit")
    # In a real tender the chair marking it unexplained costs the expert credit (test_service proves it).
    seen = (await client.get(f"/api/evaluations/{EVAL}", headers=world.supervisor)).json()
    anomaly = seen["open_anomalies"][0]
    await act(chair, action="unexplained", member=outlier, bidder=anomaly["bidder"], unit=anomaly["unit"])
    done = await act(chair, action="advance")
    assert done["phase"] == "report"
    digest = (await client.get(f"/api/evaluations/{EVAL}", headers=experts[chair])).json()["report_digest"]
    for code in members:
        signature = base64.b64encode(ew.keys[code].sign(signing_message(digest))).decode()
        await act(code, action="sign", signature=signature)

    # The signed report carries the training watermark, in the PDF and the HTML.
    pdf = await client.get(f"/api/evaluations/{EVAL}/report/pdf", headers=world.agent)
    assert pdf.status_code == 200 and "培训 TRAINING" in pdf_text(pdf.content)
    html = await client.get(f"/api/evaluations/{EVAL}/report/html", headers=world.agent)
    assert 'id="training-mark"' in html.text

    # Publicity lasts 3 training days (9 s), then the award.
    publicity = await client.post(f"/api/evaluations/{EVAL}/publicity", headers=world.agent)
    assert publicity.status_code == 200, publicity.text
    early = await client.post(f"/api/evaluations/{EVAL}/award", json={}, headers=world.agent)
    assert early.status_code == 409 and early.json()["error"] == "publicity_running"

    async def awarded() -> dict[str, Any] | None:
        got = await client.post(f"/api/evaluations/{EVAL}/award", json={}, headers=world.agent)
        return dict(got.json()) if got.status_code == 200 else None

    result = await until("the award", awarded, seconds=30)
    assert result["winner"] == ew.bidder_codes[0]
    assert (await client.get(BASE, headers=world.agent)).json()["state"] == "awarded"

    # Nothing of it is public: notices, the feed, open data, statistics; and nobody lost credit.
    assert (await client.get("/api/notices")).json()["total"] == 0
    assert CODE not in (await client.get("/api/notices/feed.atom")).text
    assert CODE not in (await client.get("/api/tenders")).text
    assert CODE not in (await client.get("/api/feed")).text
    assert CODE not in (await client.get("/api/ocds/releases")).text
    assert (await client.get(f"/api/ocds/records/ocds-sunbid-{CODE}")).status_code == 404
    statistics = (await client.get("/api/statistics")).json()
    assert statistics["total"]["tenders"] == 0, statistics["total"]
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(Deduction))) == []
