"""Login throttling (core/accounts.py): per (user, client) backoff, ceilings that spare known clients,
one spelling of a username, and whose address X-Forwarded-For may name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send

from core import accounts
from core.access import client_address
from core.api import DEVICE_COOKIE
from core.clock import ManualClock
from core.errors import TooManyAttempts
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings, parse_networks
from tests.conftest import SITE_ORIGIN
from tests.support.factories import PASSWORD, make_user

WRONG = "wrong-password"
PEER = "x-test-peer"


class FromPeer:
    """The app as reached from the address in the ``x-test-peer`` header (the test client's peer is fixed)."""

    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = dict(scope.get("headers", [])).get(PEER.encode())
        if peer:
            scope["client"] = (peer.decode(), 40000)
        await self.app(scope, receive, send)


@pytest.fixture
async def browser(app: Litestar) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=FromPeer(app)) as client:  # type: ignore[arg-type]
        client.headers["origin"] = SITE_ORIGIN
        yield client


async def login(client: Any, username: str, password: str, peer: str = "198.51.100.7", **headers: str) -> int:
    body = {"username": username, "password": password}
    response = await client.post("/api/auth/login", json=body, headers={PEER: peer, **headers})
    return int(response.status_code)


async def attempt(runtime: Runtime, username: str, password: str, client: accounts.LoginClient) -> bool:
    """One login through the service: True logged in, False wrong password; 429 raises."""
    settings = runtime.settings
    async with runtime.transaction() as session:
        user = await accounts.authenticate(
            session,
            runtime.clock,
            username=username,
            password=password,
            client=client,
            max_failures=settings.login_max_failures,
            window=settings.login_window_seconds,
        )
    return user is not None


def address(ip: str) -> accounts.LoginClient:
    return accounts.LoginClient(address=ip, device_key=b"k" * 32)


async def test_a_changed_spelling_of_the_name_shares_the_limit(runtime: Runtime, browser: Any) -> None:
    """The limit counted ``carol``, login looked up ``carol `` stripped: a space kept guessing, and got in."""
    await make_user(runtime, "carol", Role.BIDDER)
    for _ in range(runtime.settings.login_max_failures):
        assert await login(browser, "carol", WRONG) == 401
    for spelling in ("carol ", " Carol", "CAROL\t"):
        assert await login(browser, spelling, WRONG) == 429
        assert await login(browser, spelling, PASSWORD) == 429


async def test_delays_grow_for_one_client_and_a_success_clears_them(
    runtime: Runtime, clock: ManualClock
) -> None:
    await make_user(runtime, "dora", Role.BIDDER)
    guesser = address("203.0.113.5")
    free = runtime.settings.login_max_failures
    for _ in range(free):
        assert not await attempt(runtime, "dora", WRONG, guesser)
    waits = []
    for _ in range(5):
        with pytest.raises(TooManyAttempts) as refused:
            await attempt(runtime, "dora", PASSWORD, guesser)  # even the right password waits
        waits.append(refused.value.retry_after)
        clock.advance(seconds=refused.value.retry_after)
        assert not await attempt(runtime, "dora", WRONG, guesser)
    assert waits == [1, 2, 4, 8, 16]
    # Capped at the window, and the wait is per client: another address is not slowed down.
    clock.advance(seconds=32)
    for _ in range(10):
        assert not await attempt(runtime, "dora", WRONG, guesser)
        with pytest.raises(TooManyAttempts) as refused:
            await attempt(runtime, "dora", WRONG, guesser)
        assert refused.value.retry_after <= runtime.settings.login_window_seconds
        clock.advance(seconds=refused.value.retry_after)
    assert refused.value.retry_after == runtime.settings.login_window_seconds
    assert await attempt(runtime, "dora", PASSWORD, address("203.0.113.6"))
    assert await attempt(runtime, "dora", PASSWORD, guesser)
    assert not await attempt(runtime, "dora", WRONG, guesser)  # cleared: no wait after one failure


async def test_guessing_from_many_addresses_never_locks_out_the_users_browser(
    runtime: Runtime, browser: Any, clock: ManualClock
) -> None:
    await make_user(runtime, "erin", Role.AGENT)
    assert await login(browser, "erin", PASSWORD, peer="198.51.100.7") == 200
    assert browser.cookies.get(DEVICE_COOKIE)
    known = {"cookie": f"{DEVICE_COOKIE}={browser.cookies.get(DEVICE_COOKIE)}"}
    browser.cookies.clear()
    ceiling = runtime.settings.login_max_failures * accounts.USER_CEILING
    for n in range(ceiling):
        assert await login(browser, "erin", WRONG, peer=f"10.0.{n // 250}.{n % 250 + 1}") == 401
    # The ceiling now holds off every client that never logged in as erin, even with her password ...
    assert await login(browser, "erin", PASSWORD, peer="192.0.2.44") == 429
    assert await login(browser, "erin", PASSWORD, peer="198.51.100.7") == 429  # same address, no cookie
    # ... but her own browser, from any address, logs in.
    assert await login(browser, "erin", PASSWORD, peer="192.0.2.99", **known) == 200
    # A device cookie is hers alone: forged, or of another user, it does not help.
    await make_user(runtime, "mallory", Role.AGENT)
    browser.cookies.clear()
    assert await login(browser, "mallory", PASSWORD, peer="10.9.9.9") == 200
    mallorys = {"cookie": f"{DEVICE_COOKIE}={browser.cookies.get(DEVICE_COOKIE)}"}
    browser.cookies.clear()
    assert await login(browser, "erin", PASSWORD, peer="10.9.9.9", **mallorys) == 429
    forged = known["cookie"][:-1] + ("0" if not known["cookie"].endswith("0") else "1")
    assert await login(browser, "erin", PASSWORD, peer="10.9.9.9", cookie=forged) == 429
    clock.advance(seconds=runtime.settings.login_window_seconds + 1)
    assert await login(browser, "erin", PASSWORD, peer="192.0.2.44") == 200


async def test_one_address_guessing_many_names_is_stopped(runtime: Runtime) -> None:
    sprayer = address("203.0.113.77")
    ceiling = runtime.settings.login_max_failures * accounts.ADDRESS_CEILING
    for n in range(ceiling):
        assert not await attempt(runtime, f"name{n}", WRONG, sprayer)
    with pytest.raises(TooManyAttempts):
        await attempt(runtime, "someone-else", WRONG, sprayer)


async def test_a_device_cookie_remembers_several_users_of_one_computer() -> None:
    key = b"k" * 32
    cookie = None
    for user_id in range(1, accounts.DEVICE_USERS + 2):
        cookie = accounts.remember_device(accounts.LoginClient("1.2.3.4", cookie, key), user_id)
    device = accounts.LoginClient("5.6.7.8", cookie, key)
    assert accounts.known_device(device, accounts.DEVICE_USERS + 1) is not None
    assert accounts.known_device(device, 2) is not None
    assert accounts.known_device(device, 1) is None  # the oldest made room
    assert accounts.known_device(accounts.LoginClient("5.6.7.8", cookie, b"x" * 32), 2) is None


def scope_from(peer: str, *forwarded: str) -> Scope:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 5000), "headers": headers}  # type: ignore[typeddict-item]


def test_x_forwarded_for_counts_only_from_trusted_proxies() -> None:
    proxies = parse_networks("10.0.0.1, 172.16.0.0/12")
    # From an untrusted peer the header is whatever the caller wrote: ignored.
    assert client_address(scope_from("198.51.100.7", "1.1.1.1"), proxies) == "198.51.100.7"
    assert client_address(scope_from("198.51.100.7", "1.1.1.1"), ()) == "198.51.100.7"
    # From our proxy: the right-most hop that is not one of ours (left of it the client could lie).
    assert client_address(scope_from("10.0.0.1", "1.1.1.1, 203.0.113.9"), proxies) == "203.0.113.9"
    assert (
        client_address(scope_from("10.0.0.1", "1.1.1.1, 203.0.113.9, 172.20.0.3"), proxies) == "203.0.113.9"
    )
    assert client_address(scope_from("10.0.0.1", "1.1.1.1", "203.0.113.9"), proxies) == "203.0.113.9"
    assert client_address(scope_from("10.0.0.1"), proxies) == "10.0.0.1"  # the proxy itself calling


async def test_login_limits_use_the_forwarded_address_only_behind_a_trusted_proxy(
    runtime: Runtime, browser: Any
) -> None:
    await make_user(runtime, "fay", Role.BIDDER)
    proxy = "10.0.0.1"

    async def exhaust_then_try(forwarded_for: str, other: str) -> int:
        for _ in range(runtime.settings.login_max_failures):
            await login(browser, "fay", WRONG, peer=proxy, **{"x-forwarded-for": forwarded_for})
        return await login(browser, "fay", PASSWORD, peer=proxy, **{"x-forwarded-for": other})

    # Untrusted: both "clients" are the proxy's address, so the second is held back with the first.
    assert await exhaust_then_try("203.0.113.1", "203.0.113.2") == 429
    runtime.settings = runtime.settings.with_(trusted_proxies=parse_networks(proxy))
    assert await exhaust_then_try("203.0.113.3", "203.0.113.4") == 200


def test_settings_read_trusted_proxies_and_public_url() -> None:
    settings = Settings.from_env(
        {
            "SUNBID_TRUSTED_PROXIES": "10.0.0.1,192.168.0.0/16",
            "SUNBID_PUBLIC_URL": "HTTPS://Bid.Example:443/x",
        }
    )
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.1/32", "192.168.0.0/16"]
    assert settings.public_url == "https://bid.example"
    with pytest.raises(ValueError, match="SUNBID_TRUSTED_PROXIES"):
        Settings.from_env({"SUNBID_TRUSTED_PROXIES": "proxy.local"})
