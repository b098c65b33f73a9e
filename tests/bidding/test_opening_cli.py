"""`sunbid bid decrypt` and `sunbid custody reveal` against a real app process: the bidder's identity and
the custodians' identities stay on their machines; only a file key and shares are sent."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select, update

from bidding.models import Opening, OpeningBid, Tender
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings
from crypto.age import X25519Identity, encrypt
from crypto.shamir import split
from tests.bidding.helpers import make_world, published_tender, register_all, seal, upload
from tests.support.factories import PASSWORD, make_user
from tests.support.live import live_server, run_cli
from web.cli import main

pytestmark = pytest.mark.e2e
CODE = "JLZB-2026-001"


async def wait_for(check: Any, what: str, within: float = 15) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


async def test_bid_decrypt_and_custody_reveal_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    monkeypatch.setenv("SUNBID_CLIENT_CONFIG", str(tmp_path / "client.json"))
    custodians = [X25519Identity.generate() for _ in range(3)]
    opening_key = X25519PrivateKey.generate()
    shares = split(opening_key.private_bytes_raw(), 2, 3)
    share_files = []
    for share, custodian in zip(shares, custodians, strict=True):
        sealed_share = io.BytesIO()
        encrypt(
            io.BytesIO(share.to_str().encode() + b"\n"), sealed_share, [custodian.recipient()], armor=True
        )
        path = tmp_path / f"share-{share.index}.age"
        path.write_bytes(sealed_share.getvalue())
        share_files.append(path)
    for i, custodian in enumerate(custodians):
        (tmp_path / f"custodian{i}.key").write_text(custodian.to_str() + "\n")
    (tmp_path / "pw").write_text(PASSWORD)
    runner = CliRunner()

    def sunbid(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    try:
        with live_server(settings, tmp_path) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=3)
                await make_user(runtime, "cust1", Role.CUSTODIAN)
                tender = await published_tender(
                    runtime,
                    http,
                    world,
                    opening_recipient=X25519Identity(opening_key).recipient().to_str(),
                    custody={
                        "threshold": 2,
                        "custodians": [
                            {"index": s.index, "recipient": c.recipient().to_str()}
                            for s, c in zip(shares, custodians, strict=True)
                        ],
                    },
                )
                await register_all(http, world)
                for bidder in world.bidders:
                    response = await upload(http, bidder, seal(tmp_path, tender, bidder))
                    assert response.status_code == 201, response.text
                bidder = world.bidders[0]
                (tmp_path / "bidder.key").write_text(bidder.identity.to_str() + "\n")
                login = ["login", "--server", server.url, "--password-file", str(tmp_path / "pw")]
                sunbid(*login, "--username", bidder.username)
                early = runner.invoke(
                    main, ["bid", "decrypt", "--tender", CODE, "--identity", str(tmp_path / "bidder.key")]
                )
                assert early.exit_code != 0 and "not_open" in early.output

                # The deadline passes (moved here rather than waiting 21 days); the scheduler opens it.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Tender).values(bid_deadline=datetime.now(UTC) - timedelta(seconds=1))
                    )

                async def opened() -> bool:
                    return (await http.get(f"/api/tenders/{CODE}/lots/1/opening")).status_code == 200

                await wait_for(opened, "the tender did not open")
                started = await http.post(f"/api/tenders/{CODE}/opening/start", headers=world.agent)
                assert started.status_code == 200, started.text
                out = sunbid("bid", "decrypt", "--tender", CODE, "--identity", str(tmp_path / "bidder.key"))
                assert "opened" in out and "11000000.00" in out
                # `bid status` has a header row and, after the opening, says what it made of the bid
                lines = sunbid("bid", "status").splitlines()
                assert lines[0].split()[:4] == ["TENDER", "LOT", "SUBMISSION", "STATUS"]
                assert "OPENING" in lines[0] and len(lines) == 2
                assert CODE in lines[1] and "active" in lines[1]
                assert lines[1].endswith("opened, price 11,000,000.00 yuan")

                # Nobody else revealed a key: the window ends and the custodians are called.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Opening).values(window_ends_at=datetime.now(UTC) - timedelta(seconds=1))
                    )

                async def custody() -> bool:
                    state = (await http.get(f"/api/tenders/{CODE}/lots/1/opening")).json()
                    return bool(state["phase"] == "custody")

                await wait_for(custody, "the custodians were not called")
                sunbid(*login, "--username", "cust1")
                reveal = ["custody", "reveal", "--tender", CODE]
                first = sunbid(
                    *reveal, "--share", str(share_files[0]), "--identity", str(tmp_path / "custodian0.key")
                )
                assert "1 of 2" in first
                wrong = runner.invoke(
                    main,
                    [*reveal, "--share", str(share_files[1]), "--identity", str(tmp_path / "custodian0.key")],
                )
                assert wrong.exit_code != 0 and "cannot open the share" in wrong.output
                second = sunbid(
                    *reveal, "--share", str(share_files[2]), "--identity", str(tmp_path / "custodian2.key")
                )
                assert "2 bid(s) opened by the custodians" in second
        async with runtime.sessions() as session:
            outcomes = sorted((b.outcome, b.opened_by) for b in await session.scalars(select(OpeningBid)))
        assert outcomes == [("opened", "bidder"), ("opened", "custodians"), ("opened", "custodians")]
    finally:
        await runtime.close()
