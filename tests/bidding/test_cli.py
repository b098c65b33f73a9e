"""The bidder's CLI against a real server: login, seal, submit (twice, with the upload's evidence), status,
receipt verify, withdraw."""

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bidding.client import device_digest
from bidding.evidence import DEVICE_KEY_PURPOSE, device_key
from bidding.models import SubmissionEvidence
from core.runtime import Runtime
from core.settings import Settings
from crypto.age import X25519Identity
from crypto.signing import public_key_to_text, signing_key_from_identity
from tests.bidding.helpers import make_world, published_tender, register_all
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli
from web.cli import main

pytestmark = pytest.mark.e2e


async def test_bidder_cli_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    monkeypatch.setenv("SUNBID_CLIENT_CONFIG", str(tmp_path / "client.json"))
    try:
        with live_server(settings, tmp_path) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                world = await make_world(runtime, http, bidders=1)
                await published_tender(runtime, http, world)
                await register_all(http, world)
                server_key = (await http.get("/api/receipts/server-key")).json()["server_key"]
            bidder = world.bidders[0]
            identity = tmp_path / "bidder.key"
            identity.write_text(bidder.identity.to_str() + "\n")
            (tmp_path / "pw").write_text(PASSWORD)
            (tmp_path / "bid.json").write_text(
                json.dumps(
                    {
                        "price": "10999999.50",
                        "duration_days": 300,
                        "quality": "优良",
                        "project_manager": "王五",
                    }
                )
            )
            (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.4 technical plan")
            runner = CliRunner()

            def sunbid(*args: str) -> str:
                result = runner.invoke(main, list(args), catch_exceptions=False)
                assert result.exit_code == 0, result.output
                return result.output

            assert "logged in" in sunbid(
                "login",
                "--server",
                server.url,
                "--username",
                bidder.username,
                "--password-file",
                str(tmp_path / "pw"),
            )
            # the key the identity derives, registered (again) through the server's own types
            key = sunbid("bid", "signing-key", "--identity", str(identity), "--register").strip()
            assert key == public_key_to_text(signing_key_from_identity(bidder.identity).public_key())
            out = tmp_path / "bid.age"
            sealed = sunbid(
                "bid", "seal", "--tender", "JLZB-2026-001", "--form", str(tmp_path / "bid.json"),
                "--attach", str(tmp_path / "plan.pdf"), "--identity", str(identity), "-o", str(out),
            )  # fmt: skip
            assert "submission id" in sealed
            assert "accepted at" in sunbid("bid", "submit", str(out))
            first = (tmp_path / "bid.age.receipt.json").read_text()
            # the upload's evidence (supervisors only): address, client, this machine's keyed fingerprint
            async with runtime.sessions() as session:
                [evidence] = list(await session.scalars(select(SubmissionEvidence)))
            assert evidence.client_ip == "127.0.0.1" and evidence.user_agent.startswith("python-httpx/")
            assert evidence.device == device_key(settings.signing_key(DEVICE_KEY_PURPOSE), device_digest())
            assert "accepted at" in sunbid("bid", "submit", str(out))  # a re-run is safe: same receipt
            assert (tmp_path / "bid.age.receipt.json").read_text() == first
            listed = sunbid("bid", "status").splitlines()
            assert listed[0].startswith("TENDER") and "active" in listed[1]
            assert listed[1].endswith("not opened yet")
            verified = sunbid(
                "receipt", "verify", str(tmp_path / "bid.age.receipt.json"), "--server-key", server_key
            )
            assert "receipt OK" in verified and bidder.code in verified
            other = X25519Identity.generate().recipient()  # any other key fails
            wrong = runner.invoke(
                main,
                [
                    "receipt",
                    "verify",
                    str(tmp_path / "bid.age.receipt.json"),
                    "--server-key",
                    server_key[:-4] + "AAA=",
                ],
            )
            assert wrong.exit_code != 0 and other
            assert "withdrawn" in sunbid("bid", "withdraw", str(out), "--identity", str(identity))
    finally:
        await runtime.close()
