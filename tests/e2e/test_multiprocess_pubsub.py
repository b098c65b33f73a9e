"""Two app processes sharing database and Redis: an event committed on one reaches a socket on the other."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from core.settings import Settings
from tests.support.live import live_server, run_cli
from tests.support.services import redis_url

pytestmark = pytest.mark.e2e


async def test_audit_event_on_one_process_reaches_websocket_on_the_other(
    settings: Settings, tmp_path: Path
) -> None:
    shared = settings.with_(redis_url=redis_url())
    run_cli(shared, "db", "upgrade")
    run_cli(shared, "user", "create", "ops", "--role", "admin", "--password", "ops-password-1")
    with live_server(shared, tmp_path, "a") as a, live_server(shared, tmp_path, "b") as b:
        async with connect(b.url.replace("http", "ws") + "/ws/audit") as socket:
            hello = json.loads(await socket.recv(decode=True))
            assert hello == {"type": "subscribed", "channels": ["audit"]}
            async with httpx.AsyncClient(base_url=a.url) as http:
                token = (
                    await http.post(
                        "/api/auth/tokens", json={"username": "ops", "password": "ops-password-1"}
                    )
                ).json()
                created = await http.post(
                    "/api/users",
                    json={
                        "username": "watcher",
                        "password": "watcher-pw-1",
                        "display_name": "W",
                        "roles": ["expert"],
                    },
                    headers={"Authorization": f"Bearer {token['token']}"},
                )
                assert created.status_code == 201, created.text
                message = json.loads(await socket.recv(decode=True))
                assert message["kind"] == "account.created"
                entry = (
                    await http.get(
                        "/api/audit/entries", params={"after": message["position"] - 1, "limit": 1}
                    )
                ).json()
                assert json.loads(entry[0]["entry"])["subject"] == f"user:{created.json()['id']}"
