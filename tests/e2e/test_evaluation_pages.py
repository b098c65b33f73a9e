"""The evaluation room in headless Chromium: two committee members in two browser contexts sign in at
two venues, review, and score one bidder at a time while each sees the other's progress live over the
room socket; the chair's page moves the steps on (and shows a refused step's reason next to the
button); each member signs the report in the browser with their own key file (PEM, and the base64
seed) and the room shows the signatures. The third member acts through the API. Real ``sunbid serve``
process; the lot, bids and committee are built in its database beforehand (tests/evaluation/world.py).
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.pool import NullPool

from core.clock import ManualClock
from core.runtime import Runtime
from core.security_headers import STORED_DOCUMENT_POLICY
from core.settings import Settings
from crypto.signing import private_key_to_pem, private_key_to_text
from evaluation.models import Clarification
from evaluation.report.signatures import signing_message
from tests.evaluation.world import (
    CODE,
    MAIN_VENUE,
    SUB_VENUE,
    EvalWorld,
    ready_for_evaluation,
    started_evaluation,
)
from tests.support.browser import CHROMIUM_ARGS, wait_until
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli
from web.app import create_app

pytestmark = pytest.mark.e2e

SCREENSHOTS = os.environ.get("SUNBID_SCREENSHOTS")  # a folder to keep the pictures in, when set
ROOM = f"{CODE}-1"
SHEET = {0: ("28", "9"), 1: ("20", "6"), 2: ("25", "8")}  # T1 (max 30, step 0.5), C1 (max 10, step 1)


async def build(settings: Settings, tmp_path: Path, *, start: bool = True) -> EvalWorld:
    """The evaluation, open and in sign-in, in the server's database (built in-process beforehand,
    on a clock a month back so that everything it dated lies in the live server's past)."""
    clock = ManualClock(datetime.now(UTC) - timedelta(days=30))
    runtime = Runtime.build(settings, clock, engine_options={"poolclass": NullPool})
    try:
        async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
            if start:
                return await started_evaluation(runtime, client, clock, tmp_path)
            return await ready_for_evaluation(runtime, client, clock, tmp_path)
    finally:
        await runtime.close()


def shots_dir() -> Path | None:
    if not SCREENSHOTS:
        return None
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    return Path(SCREENSHOTS)


async def shot(page: Any, name: str) -> None:
    folder = shots_dir()
    if folder is not None:
        await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def progress_is(page: Any, member: str, text: str) -> None:
    """Wait until the committee table shows ``text`` (scored/of) as the member's progress."""
    await wait_until(
        page,
        "([member, text]) => document.querySelector(`#members tr[data-member='${member}'] td.progress`)"
        ".textContent === text",
        arg=[member, text],
    )


async def expire(settings: Settings, question: str) -> None:
    """The clarification's time runs out (the live server's clock is the real one)."""
    runtime = Runtime.build(settings)
    try:
        async with runtime.transaction() as session:
            await session.execute(
                update(Clarification)
                .where(Clarification.question == question)
                .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        await runtime.close()


async def login(page: Any, url: str, username: str, target: str) -> None:
    await page.goto(f"{url}/login?next={target}")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(f"{url}{target}")
    if target.startswith("/evaluations/"):
        await page.wait_for_selector("#conn[data-state=online]")


async def token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/auth/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def phase(page: Any, name: str) -> None:
    await page.wait_for_selector(f"#phase[data-phase={name}]", timeout=30_000)


async def progress(page: Any, member: str) -> str:
    text: str = await page.inner_text(f"#members tr[data-member='{member}'] td.progress")
    return text


async def test_two_members_score_and_sign_in_two_browsers(tmp_path: Path, chromium: str) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var", run_scheduler=False)
    run_cli(settings, "db", "upgrade")
    ew = await build(settings, tmp_path)
    first, second, third = ew.members
    bidders = ew.bidder_codes
    pem = tmp_path / "first.pem"
    pem.write_bytes(private_key_to_pem(ew.keys[first]))
    seed = tmp_path / "second.key"
    seed.write_text(private_key_to_text(ew.keys[second]) + "\n")
    target = f"/evaluations/{ROOM}"

    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            headers = await token(http, ew.usernames[third])

            async def api_act(**message: Any) -> dict[str, Any]:
                done = await http.post(f"/api/evaluations/{ROOM}/actions", json=message, headers=headers)
                assert done.status_code == 200, done.text
                result: dict[str, Any] = done.json()
                return result

            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            a = await (await browser.new_context(viewport={"width": 1200, "height": 1000})).new_page()
            b = await (await browser.new_context(viewport={"width": 1200, "height": 1000})).new_page()
            script_errors: list[str] = []
            for page in (a, b):
                page.on("pageerror", lambda error: script_errors.append(str(error)))
            await login(a, server.url, ew.usernames[first], target)
            await login(b, server.url, ew.usernames[second], target)
            assert await a.get_attribute("#role", "data-role") == "member"
            # Each sees the other online (presence), before anyone has signed in.
            await a.wait_for_selector(f"#members tr[data-member='{second}'][data-online=yes]")

            # Sign-in at two venues and the avoidance declaration, from the pages.
            await a.select_option("select[data-key='sign_in.venue']", MAIN_VENUE)
            await a.click("[data-act=sign_in]")
            await a.wait_for_selector("#signed-in-at")
            await b.select_option("select[data-key='sign_in.venue']", SUB_VENUE)
            await b.click("[data-act=sign_in]")
            await b.wait_for_selector("#signed-in-at")
            # A sees B at the sub-venue, live.
            await a.wait_for_selector(
                f"#venues [data-venue='{SUB_VENUE}'] .venue-member[data-member='{second}'][data-online=yes]"
            )
            await a.click("[data-act=declare]")
            await b.click("[data-act=declare]")
            await b.wait_for_selector(f"#members tr[data-member='{first}'] >> text=✓")
            await api_act(action="sign_in", venue=MAIN_VENUE)
            await api_act(action="declare", conflict=False)
            await phase(a, "chair_election")
            await phase(b, "chair_election")

            # The chair election: both vote for the first member on the page, the third by API.
            for page in (a, b):
                await page.select_option("select[data-key='vote.candidate']", first)
                await page.click("[data-act=vote]")
                await page.wait_for_selector("#voted")
            await api_act(action="vote", candidate=first)
            await phase(a, "qualification")
            await a.wait_for_selector("#chair-tools:not([hidden]) [data-act=advance]")
            assert await b.is_hidden("#chair-tools")

            # A step refused by the room: its reason appears next to the chair's button.
            await a.click("[data-act=advance]")
            await wait_until(
                a, "document.querySelector('[data-err=advance]').textContent.includes('verdicts missing')"
            )
            # Reviews: every verdict from the pages (a fail needs a reason, checked before sending).
            for review in ("qualification", "preliminary"):
                for page in (a, b):
                    await phase(page, review)
                    for bidder in bidders:
                        key = f"verdict:{review}:{bidder}:{'Q1' if review == 'qualification' else 'R1'}"
                        await page.click(f"[data-act='{key}']")
                        await page.wait_for_selector(f"[data-ok='{key}'] >> text=✓")
                for bidder in bidders:
                    item = "Q1" if review == "qualification" else "R1"
                    await api_act(action="verdict", review=review, bidder=bidder, item=item, passed=True)
                await a.click("[data-act=advance]")
            await phase(a, "scoring")
            await phase(b, "scoring")
            assert await progress(b, first) == "0/6"

            # The chair asks a bidder to clarify, with a time limit; the bidder answers from its own
            # page and the answer reaches the room. A late answer is refused, and the text stays.
            await a.select_option("select[data-key='clarify.bidder']", bidders[1])
            await a.fill("input[data-key='clarify.question']", "请说明工期计划")
            await a.fill("input[data-key='clarify.minutes']", "20")
            await a.click("[data-act=clarify]")
            await b.wait_for_selector("#clarifications >> text=请说明工期计划")
            company = await (await browser.new_context()).new_page()
            await login(company, server.url, ew.bidding.bidders[1].username, "/bidder/clarifications")
            left = await company.inner_text(".clarification .left")
            assert left.startswith(("20:", "19:")), left
            await company.fill(".answer-form textarea", "工期 300 天，详见附表")
            await company.click(".answer-form button")
            await company.wait_for_selector(".answered >> text=工期 300 天")
            await a.wait_for_selector("#clarifications >> text=工期 300 天，详见附表")
            await a.fill("input[data-key='clarify.question']", "请补充项目经理证书")
            await a.click("[data-act=clarify]")
            await b.wait_for_selector("#clarifications >> text=请补充项目经理证书")
            await expire(settings, "请补充项目经理证书")
            await company.reload()
            await company.fill(".answer-form textarea", "迟到的答复")
            await company.click(".answer-form button")
            await company.wait_for_selector(".answer-form .ev-err >> text=时限")
            assert await company.input_value(".answer-form textarea") == "迟到的答复"
            assert await a.locator("#clarifications [data-clarification]").count() == 2

            # Scoring, one bidder at a time. A value off the criterion's step is held back on the
            # page with the reason, and what was typed stays in the box.
            t1 = f"input[data-key='score:{bidders[0]}:T1']"
            await a.fill(t1, "28.3")
            await a.press(t1, "Enter")
            await wait_until(
                a,
                f"document.querySelector(\"[data-err='score:{bidders[0]}:T1']\").textContent.includes('0.5')",
            )
            assert await a.input_value(t1) == "28.3"
            assert await progress(b, first) == "0/6"
            await a.fill(t1, "28")
            await a.press(t1, "Enter")
            # The other member's page shows the first member's progress change, live.
            await progress_is(b, first, "1/6")
            assert "28" not in await b.inner_text("#desk")  # values stay with their member
            await shot(a, "evaluation-scoring-first")

            async def score_sheet(page: Any, member: str, watcher: Any) -> None:
                for i, bidder in enumerate(bidders):
                    await page.click(f"[data-bidder-tab='{bidder}']")
                    await page.wait_for_selector(f"#sheet[data-bidder='{bidder}']")
                    for criterion, value in zip(("T1", "C1"), SHEET[i], strict=True):
                        box = f"input[data-key='score:{bidder}:{criterion}']"
                        if await page.input_value(box) == value:
                            continue
                        await page.fill(box, value)
                        await page.press(box, "Enter")
                        await page.wait_for_selector(f"[data-ok='score:{bidder}:{criterion}'] >> text=✓")
                await page.wait_for_selector("#missing >> text=" + ("全部打分已完成，可以提交"))
                await progress_is(watcher, member, "6/6")
                await page.click("[data-act=submit]")
                await page.wait_for_selector("#sheet-submitted")

            await score_sheet(a, first, b)
            # The first member's connection drops as the second scores: the page shows it, reconnects
            # with ?after=<its last seq> and catches up with everything it missed.
            seen = await a.evaluate("window.evaluationRoom.seq()")
            await a.evaluate("window.evaluationRoom.drop()")
            await a.wait_for_selector("#conn[data-state=offline]")
            await score_sheet(b, second, a)
            await a.wait_for_selector("#conn[data-state=online]")
            assert await a.evaluate("window.evaluationRoom.seq()") > seen
            await a.wait_for_selector(f"#members tr[data-member='{second}'] td.submitted >> text=✓")
            for i, bidder in enumerate(bidders):
                await api_act(action="score", bidder=bidder, criterion="T1", value=SHEET[i][0])
                await api_act(action="score", bidder=bidder, criterion="C1", value=SHEET[i][1])
            await api_act(action="submit")
            await progress_is(b, third, "6/6")
            # The chair closes the scoring; the platform computes prices, ranks, drafts the report.
            await a.click("[data-act=advance]")
            await phase(a, "report")
            await phase(b, "report")
            await a.wait_for_selector("#report-links:not([hidden])")
            digest = (await a.inner_text("#digest")).strip()
            assert len(digest) == 64
            pdf = await a.request.get(f"{server.url}/api/evaluations/{ROOM}/report/pdf")
            assert pdf.ok and (await pdf.body()).startswith(b"%PDF")
            # The stored HTML report keeps its own inline style under its own policy (no script at all).
            report = await a.context.new_page()
            shown = await report.goto(f"{server.url}/api/evaluations/{ROOM}/report/html")
            assert shown is not None and shown.headers["content-security-policy"] == STORED_DOCUMENT_POLICY
            th = "() => getComputedStyle(document.querySelector('th')).backgroundColor"
            assert await report.evaluate(th) == "rgb(238, 238, 238)"
            await report.close()

            # Signing: the key file is read in the browser; a sign without one is refused on the page.
            await a.click("[data-act=sign]")
            await a.wait_for_selector("[data-err=sign] >> text=请先选择私钥文件")
            await a.set_input_files("#key-file", str(pem))
            await a.wait_for_selector("#key-name >> text=first.pem")
            await a.click("[data-act=sign]")
            await a.wait_for_selector("#report-signed")
            await b.wait_for_selector(f"#members tr[data-member='{first}'] td.signed >> text=✓")
            await b.set_input_files("#key-file", str(seed))
            await b.click("[data-act=sign]")
            await b.wait_for_selector("#report-signed")
            await a.wait_for_selector(f"#members tr[data-member='{second}'] td.signed >> text=✓")
            signature = base64.b64encode(ew.keys[third].sign(signing_message(digest))).decode()
            await api_act(action="sign", signature=signature)
            await phase(a, "signed")
            await shot(b, "evaluation-signed-second")
            await b.wait_for_selector("#state.signed")

            # The supervisor's live view: every venue, every score, no controls.
            s = await (await browser.new_context()).new_page()
            await login(s, server.url, "supervisor9", target)
            assert await s.locator("#scores tr[data-score-row]").count() == 9
            assert await s.locator("[data-act]").count() == 0
            venues = await s.inner_text("#venues")
            assert "评委" in venues
            assert await s.locator(f"#members tr[data-member='{first}'] td.signed").inner_text() == "✓"
            await shot(s, "evaluation-supervisor")
            # The host publishes the candidates from the page.
            h = await (await browser.new_context()).new_page()
            await login(h, server.url, "agent1", target)
            await h.click("[data-act=publish]")
            await h.wait_for_selector("#state.publicity")
            await browser.close()
            assert script_errors == []
        assert "Traceback" not in server.log.read_text()


async def test_the_host_opens_the_room_from_the_form(tmp_path: Path, chromium: str) -> None:
    """A refused start names what is wrong and keeps the form as typed; the corrected one opens the
    room and lands on its page."""
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var", run_scheduler=False)
    run_cli(settings, "db", "upgrade")
    ew = await build(settings, tmp_path, start=False)
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            host = await (await browser.new_context()).new_page()
            await host.goto(f"{server.url}/login?next=/evaluations")
            await host.fill("input[name=username]", "agent1")
            await host.fill("input[name=password]", PASSWORD)
            await host.click("#login-submit")
            await host.wait_for_url(f"{server.url}/evaluations")
            assert "暂无评标" in await host.inner_text("#evaluations")
            await host.fill("input[name=tender]", CODE)
            await host.fill("input[name=lot]", "9")
            await host.fill("input[name=draw_id]", str(ew.draw_id))
            await host.select_option("select[name=main_venue]", MAIN_VENUE)
            await host.check(f"input[name=venues][value='{SUB_VENUE}']")
            await host.click("#start-submit")
            await wait_until(host, "document.getElementById('start-error').textContent.includes('9')")
            assert "标段" in await host.inner_text("#start-error")
            assert await host.input_value("input[name=draw_id]") == str(ew.draw_id)  # nothing lost
            assert await host.is_checked(f"input[name=venues][value='{SUB_VENUE}']")
            await host.fill("input[name=lot]", "1")
            await host.click("#start-submit")
            await host.wait_for_url(f"{server.url}/evaluations/{ROOM}")
            await host.wait_for_selector("#phase[data-phase=sign_in]")
            assert await host.get_attribute("#role", "data-role") == "host"
            assert await host.locator("#venues [data-venue]").count() == 2
            assert await host.locator("#members tbody tr").count() == len(ew.members)
            # A member who confirmed did not come: the host records it; the alternate takes the seat.
            absent = ew.members[0]
            row = host.locator(f"#host-body [data-absent='{absent}']")
            await row.locator("button").click()  # no reason yet: refused, named, nothing lost
            await wait_until(
                host,
                f"document.querySelector(\"[data-err='absent.{absent}']\").textContent.includes('reason')",
            )
            await row.locator("input").fill("开标后联系不上，未到评标场地")
            await row.locator("button").click()
            await host.wait_for_selector(f"#host-body [data-absent='{ew.alternates[0]}']")
            assert await host.locator(f"#host-body [data-absent='{absent}']").count() == 0
            assert await host.locator("#members tbody tr").count() == len(ew.members)
            await browser.close()
