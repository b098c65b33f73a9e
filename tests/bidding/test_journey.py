"""The bidder's journey on the tender page: each step's state for the bidder's own facts, what to do
next, and the page a logged-in bidder sees from registration to the opening (anyone else: no journey)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bidding import journey, opening
from bidding.journey import Bid, Facts
from bidding.lifecycle import Moment, State, Timeline
from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.helpers import make_world, published_tender, seal, upload
from tests.bidding.test_opening import CODE, file_key, host_starts, past_deadline, principal

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Beijing time
TIMELINE = Timeline(
    registration_start=START,
    registration_end=START + timedelta(days=10),
    clarification_deadline=START + timedelta(days=15),
    bid_deadline=START + timedelta(days=21),
)


def facts(state: State = State.PUBLISHED, at: timedelta = timedelta(days=1), **over: Any) -> Facts:
    base = Facts(
        code="JLZB-2026-001",
        moment=Moment(state, TIMELINE, START + at),
        lots=["1"],
        documents=2,
        credit_code="91220281MA0000010X",
    )
    return replace(base, **over)


def by_key(found: Facts) -> dict[str, journey.Step]:
    return {s.key: s for s in journey.steps(found)}


def bid(status: str = "active", **over: Any) -> Bid:
    base = Bid("S-1", "1", status, START + timedelta(days=2, hours=1, minutes=5), 42)
    return replace(base, **over)


REGISTERED = START + timedelta(hours=2)


def test_before_registering_only_registration_is_open_and_it_posts_the_register_form() -> None:
    steps = by_key(facts())
    assert [s.key for s in journey.steps(facts())] == list(journey.STEPS)
    assert steps["register"].state == "todo"
    [action] = steps["register"].actions
    assert (action.kind, action.target) == ("post", "/tenders/JLZB-2026-001/register")
    assert steps["register"].lines == [("journey.register.todo", {"end": "2026-03-12 09:00:00"})]
    assert {steps[k].state for k in ("documents", "seal", "submit", "receipt")} == {"locked"}
    assert steps["opening"].state == "waiting" and steps["result"].state == "waiting"
    assert journey.next_step(journey.steps(facts())) == steps["register"]


def test_registration_not_yet_open_and_missed() -> None:
    soon = by_key(facts(at=-timedelta(hours=1)))["register"]
    assert soon.state == "waiting" and soon.lines[0][1] == {"start": "2026-03-02 09:00:00"}
    missed = by_key(facts(State.BIDDING, at=timedelta(days=11)))["register"]
    assert missed.state == "missed" and not missed.actions


def test_registered_then_documents_then_sealing_and_submitting_are_next() -> None:
    steps = by_key(facts(registered_at=REGISTERED))
    assert steps["register"].state == "done"
    assert steps["register"].lines == [("journey.register.done", {"at": "2026-03-02 11:00:00"})]
    assert steps["documents"].state == "todo" and steps["documents"].lines[0][1] == {"n": "0", "m": "2"}
    assert steps["seal"].state == "todo" and steps["submit"].state == "todo"
    targets = [a.target for a in steps["seal"].actions]
    assert "/tenders/JLZB-2026-001/lots/1/seal" in targets  # sealed in the browser (seal.js)
    assert "/api/tenders/JLZB-2026-001/lots/1/bid-form.schema.json" in targets
    assert "sunbid bid form JLZB-2026-001 1 --example" in targets
    read = by_key(facts(registered_at=REGISTERED, downloaded=2, last_download=REGISTERED))
    assert read["documents"].state == "done" and read["documents"].lines[0][1]["at"] == "2026-03-02 11:00:00"
    assert journey.next_step(journey.steps(facts(registered_at=REGISTERED, downloaded=2))).key == "seal"


def test_a_submitted_bid_shows_its_receipt_and_the_replace_and_withdraw_actions() -> None:
    history = [bid("superseded", submission_id="S-0"), bid(), bid("withdrawn", submission_id="S-2")]
    history[2] = replace(history[2], withdrawn_at=START + timedelta(days=3))
    steps = by_key(facts(State.BIDDING, timedelta(days=12), registered_at=REGISTERED, bids=history))
    submit = steps["submit"]
    assert submit.state == "done"
    assert submit.lines == [
        ("journey.submit.active", {"lot": "1", "id": "S-1", "at": "2026-03-04 10:05:00"}),
        ("journey.submit.replaced", {"n": "1"}),
        ("journey.submit.withdrawn", {"id": "S-2", "at": "2026-03-05 09:00:00"}),
    ]
    assert [a.label for a in submit.actions] == [
        "journey.action.upload",
        "journey.action.replace",
        "journey.action.withdraw",
    ]
    receipt = steps["receipt"]
    assert receipt.state == "done" and receipt.lines == [("journey.receipt.done", {"id": "S-1", "n": "42"})]
    assert receipt.actions[0].target == "/api/submissions/S-1/receipt"
    assert steps["seal"].state == "done"


def test_only_a_withdrawn_bid_means_bidding_again_is_next() -> None:
    withdrawn = bid("withdrawn", withdrawn_at=START + timedelta(days=3))
    steps = by_key(facts(State.BIDDING, timedelta(days=12), registered_at=REGISTERED, bids=[withdrawn]))
    assert steps["submit"].state == "todo" and steps["receipt"].state == "locked"


def test_past_the_deadline_without_a_bid() -> None:
    steps = by_key(facts(State.OPENING, timedelta(days=21), registered_at=REGISTERED))
    assert steps["seal"].state == "missed" and steps["submit"].state == "missed"
    assert not steps["submit"].actions
    assert steps["opening"].lines == [("journey.no_bid", {})] and steps["result"].state == "info"


def test_the_opening_step_follows_the_bids_outcome() -> None:
    def opening_step(**over: Any) -> journey.Step:
        found = facts(State.OPENING, timedelta(days=21), registered_at=REGISTERED, bids=[bid(**over)])
        return by_key(found)["opening"]

    assert opening_step().state == "waiting"
    assert opening_step(outcome="queued", phase="awaiting_host").state == "waiting"
    assert opening_step(outcome="queued", phase="custody").lines == [
        ("journey.opening.custody", {"lot": "1"})
    ]
    queued = opening_step(outcome="queued", phase="decrypting")
    assert queued.state == "todo" and queued.lines == [("journey.opening.queued", {"lot": "1"})]
    assert "sunbid bid decrypt --tender JLZB-2026-001 --lot 1 --identity bidder.key" in [
        a.target for a in queued.actions
    ]
    opened = opening_step(outcome="opened", price=Decimal("10950000.50"))
    assert opened.state == "done" and opened.lines[0][1]["price"] == "10,950,000.50"
    rejected = opening_step(outcome="rejected", reason="投标报价超过最高投标限价")
    assert rejected.state == "missed"
    assert rejected.lines == [
        ("journey.opening.rejected", {"lot": "1", "reason": "投标报价超过最高投标限价"})
    ]
    before = by_key(facts(State.BIDDING, timedelta(days=12), registered_at=REGISTERED, bids=[bid()]))
    assert before["opening"].lines == [("journey.opening.at", {"at": "2026-03-23 09:00:00"})]
    assert before["opening"].actions[0].target == "/tenders/JLZB-2026-001/opening?lot=1"


def test_the_result_step_reads_the_published_candidates_and_award() -> None:
    me = "91220281MA0000010X"
    row = {"lot": "1", "rank": 2, "bidder": {"name": "我", "credit_code": me}, "price": "10950000.50"}
    other = {**row, "rank": 1, "bidder": {"name": "他", "credit_code": "X"}}

    def result(state: State, **over: Any) -> journey.Step:
        return by_key(facts(state, timedelta(days=30), registered_at=REGISTERED, bids=[bid()], **over))[
            "result"
        ]

    assert result(State.EVALUATING).lines == [("journey.result.evaluating", {})]
    assert result(State.PUBLICITY, candidates=[other, row]).lines == [
        ("journey.result.candidate", {"lot": "1", "rank": "2"})
    ]
    assert result(State.PUBLICITY, candidates=[other]).lines == [("journey.result.not_candidate", {})]
    won = result(State.AWARDED, candidates=[row], awards=[row])
    assert won.state == "done" and won.lines == [
        ("journey.result.winner", {"lot": "1", "price": "10,950,000.50"})
    ]
    assert result(State.AWARDED, awards=[other]).lines == [("journey.result.not_awarded", {})]
    assert result(State.CANCELLED).lines == [("journey.result.cancelled", {})]
    assert result(State.FAILED).lines == [("journey.result.failed", {})]


def _step_states(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="step-(\w+)" data-state="(\w+)"', html))


async def test_the_tender_page_walks_one_bidder_from_registering_to_the_opening(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=1)
    bidder = world.bidders[0]
    tender = await published_tender(runtime, client, world)
    html = {"accept": "text/html"}
    page = f"/tenders/{CODE}"

    anonymous = await client.get(page, headers=html)
    assert anonymous.status_code == 200 and 'id="journey"' not in anonymous.text
    agent = await client.get(page, headers={**html, **world.agent})
    assert 'id="journey"' not in agent.text

    mine = {**html, **bidder.headers}
    first = await client.get(page, headers=mine)
    assert _step_states(first.text) == {
        "register": "todo",
        "documents": "info",
        "seal": "locked",
        "submit": "locked",
        "receipt": "locked",
        "opening": "waiting",
        "result": "waiting",
    }
    assert 'id="journey-next" data-step="register"' in first.text
    assert f'action="/tenders/{CODE}/register"' in first.text and 'name="_csrf' in first.text

    assert (await client.post(f"/api/tenders/{CODE}/registration", headers=bidder.headers)).status_code == 201
    registered = await client.get(page, headers=mine)
    assert _step_states(registered.text)["register"] == "done"
    assert _step_states(registered.text)["seal"] == "todo"
    assert "/api/tenders/JLZB-2026-001/lots/1/bid-form.schema.json" in registered.text

    sealed = seal(tmp_path, tender, bidder, price="10950000.50")
    accepted = await upload(client, bidder, sealed)
    assert accepted.status_code == 201
    submitted = await client.get(f"{page}?lang=en", headers=mine)
    states = _step_states(submitted.text)
    assert (states["submit"], states["receipt"]) == ("done", "done")
    submission_id = sealed.manifest.submission_id
    assert f"bid {submission_id} submitted on" in submitted.text and "(Beijing time)" in submitted.text
    receipt = await client.get(f"/api/submissions/{submission_id}/receipt", headers=bidder.headers)
    assert receipt.status_code == 200 and "attachment" in receipt.headers["content-disposition"]
    assert json.loads(receipt.content) == accepted.json()  # the file `sunbid receipt verify` reads

    await past_deadline(runtime, clock)
    awaiting = await client.get(f"{page}?lang=zh", headers=mine)
    assert _step_states(awaiting.text)["opening"] == "waiting" and "等待主持人开始开标" in awaiting.text
    await host_starts(runtime)
    queued = await client.get(page, headers=mine)
    assert _step_states(queued.text)["opening"] == "todo"
    assert 'id="journey-next" data-step="opening"' in queued.text
    done = await opening.reveal_key(
        runtime, await principal(runtime, bidder.username), CODE, "1", file_key(sealed, bidder.identity)
    )
    assert done.outcome == "opened"
    opened = await client.get(f"{page}?lang=en", headers=mine)
    assert _step_states(opened.text)["opening"] == "done"
    assert "Lot 1: opened; price 10,950,000.50 yuan." in opened.text
