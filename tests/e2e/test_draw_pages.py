"""A supervisor runs a draw through the console to a full committee; experts answer from their page.

Real ``sunbid serve`` process, Debian's chromium driven by Playwright; the console updates live over
its WebSocket while experts decline and confirm.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from core import accounts
from core.credit_code import make_credit_code
from core.regions import JILIN_CITY, upsert_regions
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings
from experts import registry
from tests.support.browser import CHROMIUM_ARGS, wait_until
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

SCREENSHOTS = os.environ.get("SUNBID_SCREENSHOTS")  # a folder to keep the pictures in, when set


async def prepare(settings: Settings) -> tuple[str, dict[str, str]]:
    """A pool of 150 experts; every holder of the busiest specialty gets a login. Returns it and them."""
    runtime = Runtime.build(settings)
    logins: dict[str, str] = {}
    try:
        async with runtime.transaction() as session:
            await upsert_regions(session, JILIN_CITY)
            await accounts.create_user(
                session, runtime.clock, runtime.audit, username="supervisor", password=PASSWORD,
                display_name="监督员", roles=frozenset({Role.SUPERVISOR}),
            )  # fmt: skip
            made = await registry.generate_pool(session, runtime, 150, 11, actor="test")
            specialty = Counter(s for e in made for s in e.specialties).most_common(1)[0][0]
            for expert in made:
                if specialty in expert.specialties and expert.status == "active":
                    username = "x" + expert.code[-5:]
                    user = await accounts.create_user(
                        session, runtime.clock, runtime.audit, username=username, password=PASSWORD,
                        display_name=expert.name, roles=frozenset({Role.EXPERT}),
                    )  # fmt: skip
                    await registry.link_user(session, runtime, expert.code, user.id, actor="test")
                    logins[expert.code] = username
    finally:
        await runtime.close()
    return specialty, logins


async def token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/auth/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def login(page, url: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{url}/login?next={target}")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(f"{url}{target}")


async def test_a_draw_runs_to_a_full_committee(chromium: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    specialty, logins = await prepare(settings)
    shots = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    evaluation = (date.today() + timedelta(days=3)).isoformat()
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url) as http:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            console = await browser.new_page(viewport={"width": 1100, "height": 900})
            await login(console, server.url, "supervisor", "/experts/draws")
            await console.fill("input[name=tender_ref]", "JLGC-2026-0777")
            await console.fill("input[name=evaluation_date]", evaluation)
            await console.fill("input[name=tenderer_code]", make_credit_code("9", "1", "220202", "12345678X"))
            await console.select_option("select[name=specialty]", specialty)
            await console.fill("input[name=experts]", "3")
            await console.fill("input[name=alternates]", "2")
            await console.fill("input[name=min_counties]", "2")
            await console.uncheck("input[name=exclude_tenderer_county]")
            await console.click("#draw-submit")
            await console.wait_for_url(f"{server.url}/experts/draws/*")
            await console.wait_for_selector("#counts tr[data-rule=credit]")
            await console.wait_for_selector("body[data-live=yes]")
            await console.click("#commit")
            await wait_until(console, "document.getElementById('commitment').textContent.length === 64")
            await console.fill("#contribution", "8 3 5 1")
            await console.click("#contribute")
            await console.wait_for_selector("#contributions li")
            await console.click("#run")
            await console.wait_for_selector("#committee tbody tr:nth-child(5)")
            await console.screenshot(path=str(shots / "draw-console-drawn.png"), full_page=True)
            draw_id = console.url.rsplit("/", 1)[1]

            sup = await token(http, "supervisor")
            seats = (await http.get(f"/api/experts/draws/{draw_id}/committee", headers=sup)).json()
            invited = [s for s in seats if s["state"] == "invited"]
            assert len(invited) == 3 and all(s["name"] != "***" for s in seats)
            public = (await http.get(f"/api/experts/draws/{draw_id}/committee")).json()
            assert public == []  # nobody has confirmed, and names are sealed anyway

            # The first alternate has their page open: it shows the invitation as soon as it is sent.
            alternate = next(s for s in seats if s["kind"] == "alternate" and s["position"] == 0)
            waiting = await (await browser.new_context()).new_page()
            await login(waiting, server.url, logins[alternate["code"]], "/experts/me")
            assert await waiting.locator("button.confirm").count() == 0
            await waiting.wait_for_selector("body[data-live=yes]")  # its WebSocket is subscribed
            # The first drawn expert declines from their own page, with a reason.
            first = logins[invited[0]["code"]]
            expert_page = await (await browser.new_context()).new_page()
            await login(expert_page, server.url, first, "/experts/me")
            assert "********" in await expert_page.inner_text("#id-number")
            await expert_page.fill("input.reason", "当日已有评标任务")
            await expert_page.click("button.decline")
            await expert_page.wait_for_selector("#invitations .ex-state.declined")
            await expert_page.click("details summary")  # the expert keeps their own profile
            await expert_page.fill("#profile-form input[name=phone]", "13912345678")
            await expert_page.click("#profile-submit")
            await expert_page.wait_for_selector("#profile >> text=13912345678")
            await expert_page.screenshot(path=str(shots / "expert-page.png"), full_page=True)
            # The first alternate is called at once (their open page hears it live); all invited confirm.
            await console.wait_for_selector("#committee tr[data-state=declined]")
            await waiting.wait_for_selector("button.confirm")
            seats = (await http.get(f"/api/experts/draws/{draw_id}/committee", headers=sup)).json()
            now_invited = [s for s in seats if s["state"] == "invited"]
            assert any(s["kind"] == "alternate" and s["position"] == 0 for s in now_invited)
            for seat in now_invited:
                headers = await token(http, logins[seat["code"]])
                mine = (await http.get("/api/experts/me/invitations", headers=headers)).json()
                answer = await http.post(
                    f"/api/experts/me/invitations/{mine[0]['id']}/respond",
                    json={"accept": True}, headers=headers,
                )  # fmt: skip
                assert answer.status_code == 200, answer.text
            # The console hears it live, without a reload.
            await console.wait_for_selector("#draw-state[data-state=complete]")
            assert await console.locator("#committee tr[data-state=confirmed]").count() == 3
            await console.screenshot(path=str(shots / "draw-console-complete.png"), full_page=True)
            await browser.close()
