"""The admin's dashboard: what needs doing, counted from accounts, expert applications and tenders."""

from __future__ import annotations

import re
from typing import Any

from core.clock import ManualClock
from core.roles import Role
from core.runtime import Runtime
from crypto.age import X25519Identity
from tests.bidding.helpers import make_world, published_tender
from tests.bidding.test_opening import custody_tender
from tests.experts.test_enrolment import application
from tests.support.factories import PASSWORD, make_user

HTML = {"accept": "text/html"}


async def page_login(client: Any, username: str) -> Any:
    form = await client.get("/login", headers=HTML)
    token = re.findall(r'name="_csrf" value="([^"]+)"', form.text)[0]
    body = {"username": username, "password": PASSWORD, "next": "/", "_csrf": token}
    return await client.post("/login", data=body, follow_redirects=False)


def card(html: str, name: str) -> int:
    found = re.search(rf'id="card-{name}"><div class="n">(\d+)</div>', html)
    assert found, name
    return int(found.group(1))


async def test_dashboard_counts_what_needs_doing(runtime: Runtime, client: Any, clock: ManualClock) -> None:
    world = await make_world(runtime, client, bidders=0)
    over, _shares = custody_tender([X25519Identity.generate() for _ in range(2)])
    await published_tender(runtime, client, world, **over)  # deadline in 21 days, shares not assigned
    await make_user(runtime, "root", Role.ADMIN)
    await make_user(runtime, "gone", Role.BIDDER)
    assert (await client.post("/api/experts/applications", json=application(7))).status_code == 201
    clock.advance(days=15)  # the deadline is now six days away
    for _ in range(runtime.settings.login_max_failures):
        await client.post("/api/auth/login", json={"username": "gone", "password": "wrong-password"})

    login = await page_login(client, "root")
    assert login.status_code == 303 and login.headers["location"] == "/admin"  # an admin lands here
    page = await client.get("/admin", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert card(html, "applications") == 1 and card(html, "lockouts") == 1 and card(html, "custody") == 1
    assert "JLZB-2026-001" in html and ">gone</a>" in html
    assert 'id="nav-admin"' in html
    english = await client.get("/admin?lang=en", headers=HTML)
    assert (
        "Admin dashboard" in english.text
        and "Tenders closing within 7 days with custody shares not assigned to custodians" in english.text
    )


async def test_other_users_land_where_they_asked(runtime: Runtime, client: Any) -> None:
    await make_user(runtime, "plain", Role.BIDDER)
    login = await page_login(client, "plain")
    assert login.status_code == 303 and login.headers["location"] == "/"
    assert 'id="nav-admin"' not in (await client.get("/", headers=HTML)).text
