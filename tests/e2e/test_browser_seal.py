"""A bidder seals, signs and submits a bid in headless Chromium (web/static/bidding/seal.js), and the
result is checked with the tools a bidder, an auditor and the opening use: Debian's ``age -d``,
``sunbid receipt verify``, the server's own upload checks. Nothing secret leaves the page: every
request the page sends is captured and searched for the identity, the file key and the plaintext,
and every file the server keeps (database and blobs) is searched for the plaintext.

Real ``sunbid serve`` process, real Chromium; the identity file is made by ``sunbid keygen`` with a
passphrase, as the CLI's users have them."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bidding.bid_form import problems, schema_for
from bidding.criteria import DEFAULT_FORM_FIELDS
from bidding.evidence import DEVICE_KEY_PURPOSE, device_key
from bidding.models import Submission, SubmissionEvidence
from core.runtime import Runtime
from core.settings import Settings
from crypto.age import ScryptIdentity, X25519Identity, decrypt, parse_identities, unwrap_file_key
from crypto.signing import (
    BidManifest,
    SignedStatement,
    canonical_json,
    public_key_to_text,
    signing_key_from_identity,
    verify_manifest,
    verify_statement,
)
from tests.bidding.helpers import make_world, published_tender, register_all
from tests.support.browser import CHROMIUM_ARGS
from tests.support.factories import PASSWORD
from tests.support.live import SUNBID, live_server, run_cli, settings_env

pytestmark = pytest.mark.e2e

CODE = "JLZB-2026-001"
SECRET = "绝密-BROWSER-SEALED-PLAINTEXT-91c4"
ATTACHMENT_MARKER = b"ATTACHMENT-PLAINTEXT-5e2a0b" * 64


async def login(page: Any, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/")


def keygen(settings: Settings, tmp_path: Path) -> tuple[Path, str, X25519Identity]:
    """``sunbid keygen`` with a passphrase: the armored, scrypt-protected file a bidder keeps."""
    passphrase = "correct horse battery staple 7"
    (tmp_path / "pass.txt").write_text(passphrase + "\n")
    path = tmp_path / "identity.age"
    subprocess.run(
        [SUNBID, "keygen", "-o", str(path), "--passphrase-file", str(tmp_path / "pass.txt")],
        env=settings_env(settings),
        check=True,
        capture_output=True,
    )
    plain = io.BytesIO()
    decrypt(io.BytesIO(path.read_bytes()), plain, [ScryptIdentity(passphrase)])
    [identity] = parse_identities(plain.getvalue().decode())
    assert isinstance(identity, X25519Identity)
    return path, passphrase, identity


def age_decrypt(identity: Path, envelope: Path) -> bytes:
    """Debian's age, as an auditor opens a bid."""
    return subprocess.run(
        ["age", "-d", "-i", str(identity), str(envelope)], capture_output=True, check=True
    ).stdout


def receipt_verify(
    settings: Settings, receipt: Path, server_key: str, bidder_key: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SUNBID, "receipt", "verify", str(receipt), "--server-key", server_key, "--bidder-key", bidder_key],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )


def server_files(settings: Settings) -> bytes:
    """Every byte the server keeps: the SQLite database (and its journal) and every stored blob."""
    return b"".join(p.read_bytes() for p in sorted(settings.var_dir.rglob("*")) if p.is_file())


async def test_a_bidder_seals_signs_and_submits_in_the_browser(tmp_path: Path, chromium: str) -> None:
    from playwright.async_api import Request, async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    identity_path, passphrase, identity = keygen(settings, tmp_path)
    identity_text = identity.to_str()
    expected_key = public_key_to_text(signing_key_from_identity(identity).public_key())
    attachment = ATTACHMENT_MARKER + os.urandom(1024 * 1024 + 77) + ATTACHMENT_MARKER
    (tmp_path / "技术标.bin").write_bytes(attachment)
    (tmp_path / "商务标.txt").write_text(f"商务标 {SECRET}\n" * 200)
    form = {
        "price": "10980000.50",
        "duration_days": 365,
        "quality": f"合格 {SECRET}",
        "project_manager": "李四",
    }
    requests: list[Request] = []
    try:
        with live_server(settings, tmp_path) as server:
            async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=1)
                await published_tender(runtime, http, world)
                await register_all(http, world)
                bidder = world.bidders[0]

                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = await browser.new_page()

                page.on("request", lambda request: requests.append(request))
                await login(page, server.url, bidder.username)
                await page.goto(f"{server.url}/tenders/{CODE}")
                await page.click("a.seal-link")
                await page.wait_for_url(f"{server.url}/tenders/{CODE}/lots/1/seal")
                assert "在线制作并密封投标文件" in await page.inner_text("h1")

                # The identity: sunbid keygen's passphrase-protected file, opened in the page.
                await page.set_input_files("#identity-file", str(identity_path))
                await page.fill("#identity-passphrase", "wrong passphrase")
                await page.click("#identity-load")
                await page.wait_for_selector("#identity-status.error")
                assert "口令错误" in await page.inner_text("#identity-status")
                await page.fill("#identity-passphrase", passphrase)
                await page.click("#identity-load")
                await page.wait_for_selector("#identity-status.ok", timeout=120_000)
                assert identity.recipient().to_str() in await page.inner_text("#identity-status")
                # The page derives the same Ed25519 key as the CLI (HKDF over the identity) ...
                assert await page.inner_text("#signing-key-text") == expected_key
                # ... which is not the company's registered key yet: register it from the page.
                assert "不同" in await page.inner_text("#signing-key-status")
                await page.click("#signing-key-register")
                await page.wait_for_selector("#signing-key-status.ok")
                me = (await http.get(f"/api/organisations/{bidder.org_id}")).json()
                assert me["signing_key"] == expected_key

                # A wrong form is refused field by field, and nothing is sealed.
                await page.fill("#field-price", "12.345")
                await page.click("#seal-submit")
                await page.wait_for_selector("#seal-status.error")
                assert "2 位小数" in await page.inner_text("#error-price")
                assert await page.inner_text("#error-duration_days") == "此项必填"
                await page.fill("#field-price", "11,600,000")  # above the lot's ceiling (bid-form schema)
                await page.click("#seal-submit")
                await page.wait_for_selector("#error-price:has-text('11,500,000.00 元')")

                await page.fill("#field-price", "10,980,000.5")
                await page.fill("#field-duration_days", "365")
                await page.fill("#field-quality", form["quality"])
                await page.fill("#field-project_manager", form["project_manager"])
                await page.set_input_files(
                    "#attachments", [str(tmp_path / "技术标.bin"), str(tmp_path / "商务标.txt")]
                )
                await page.click("#seal-submit")
                await page.wait_for_selector("#seal-status.ok", timeout=120_000)
                assert "投标已受理" in await page.inner_text("#seal-status")
                receipt_text = await page.inner_text("#seal-receipt-text")
                assert "北京时间" in receipt_text and "Z" not in receipt_text.split("SHA-256")[0]

                async with page.expect_download() as receipt_download:
                    await page.click("#receipt-download")
                receipt_path = tmp_path / "bid.receipt.json"
                await (await receipt_download.value).save_as(receipt_path)
                async with page.expect_download() as envelope_download:
                    await page.click("#envelope-download")
                envelope_path = tmp_path / "bid.age"
                await (await envelope_download.value).save_as(envelope_path)
                # The page's canonical JSON and statement signatures are the CLI's, byte for byte.
                tricky = {"é": '\u2028\x00\x1f"\\/', "a": [None, True, -(2**53) + 1], "😀": {}, "ｚ": "中"}
                js = await page.evaluate(
                    """async ([value, identity]) => {
                        const m = await import('/static/bidding/seal.js');
                        const signed = m.signStatement({type: 't', v: value}, m.signingSeed(identity));
                        return [m.canonicalJson(value), signed];
                    }""",
                    [tricky, identity_text],
                )
                assert js[0].encode() == canonical_json(tricky)
                verify_statement(
                    SignedStatement.from_dict(js[1]), signing_key_from_identity(identity).public_key()
                )
                # The device fingerprint the page sent: SHA-256 of its description's canonical JSON.
                description, digest = await page.evaluate(
                    """async () => {
                        const m = await import('/static/bidding/seal.js');
                        return [m.deviceDescription(), m.deviceDigest()];
                    }"""
                )
                assert description["kind"] == "browser" and "Chrome" in description["user_agent"]
                assert digest == hashlib.sha256(canonical_json(description)).hexdigest()
                await browser.close()

                key = (await http.get("/api/receipts/server-key")).json()["server_key"]

        # The stored envelope is the one the page sealed, and its manifest is signed with the CLI's key.
        async with runtime.sessions() as session:
            stored = (await session.scalars(select(Submission))).one()
        reader = await runtime.blobs.open(stored.blob_key)
        envelope = b"".join([chunk async for chunk in reader])
        assert envelope == envelope_path.read_bytes()
        signed = SignedStatement.from_json(stored.manifest)
        manifest = verify_manifest(signed, signing_key_from_identity(identity).public_key())
        assert isinstance(manifest, BidManifest) and manifest.tender == CODE and manifest.lot == "1"
        assert manifest.envelope_length == len(envelope)
        # The upload's evidence, for the supervisors: the page's device fingerprint, keyed by the platform.
        async with runtime.sessions() as session:
            evidence = (await session.scalars(select(SubmissionEvidence))).one()
        assert evidence.device == device_key(settings.signing_key(DEVICE_KEY_PURPOSE), digest)
        assert evidence.client_ip == "127.0.0.1" and "Chrome" in evidence.user_agent

        # Debian's age opens it with the bidder's identity and with the tender's opening key.
        plain_identity = tmp_path / "identity.txt"
        plain_identity.write_text(identity_text + "\n")
        opening_identity = tmp_path / "opening.txt"
        opening_identity.write_text(world.opening.to_str() + "\n")
        for key_file in (plain_identity, opening_identity):
            package = zipfile.ZipFile(io.BytesIO(age_decrypt(key_file, envelope_path)))
            assert package.testzip() is None
            assert sorted(package.namelist()) == [
                "attachments/商务标.txt",
                "attachments/技术标.bin",
                "bid.json",
            ]
            assert json.loads(package.read("bid.json")) == form
            assert package.read("attachments/技术标.bin") == attachment
            assert package.read("attachments/商务标.txt") == (tmp_path / "商务标.txt").read_bytes()
            assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in package.infolist())
        bid_json = package.read("bid.json")

        # The receipt verifies offline, with the bidder's signature too.
        verified = receipt_verify(settings, receipt_path, key, expected_key)
        assert verified.returncode == 0, verified.stderr
        assert "receipt OK" in verified.stdout and manifest.submission_id in verified.stdout

        # Nothing secret left the page: not the identity, not the file key, not the plaintext.
        file_key = unwrap_file_key(io.BytesIO(envelope), [identity])
        secrets_ = [
            identity_text.encode(),
            identity_text.lower().encode(),
            passphrase.encode(),
            file_key,
            file_key.hex().encode(),
            base64.b64encode(file_key),
            base64.b64encode(file_key).rstrip(b"="),
            bid_json,
            SECRET.encode(),
            json.dumps(SECRET).encode(),
            ATTACHMENT_MARKER[:64],
        ]
        # Chromium hands DevTools no body that is a Blob: the one such request is the upload, whose
        # body the server stored only after checking its SHA-256 against the signed manifest.
        sent = b""
        uploads = []
        for request in requests:
            sent += request.url.encode() + json.dumps(request.headers).encode()
            if request.post_data_buffer is not None:
                sent += request.post_data_buffer
            elif request.method not in ("GET", "HEAD"):
                uploads.append(request)
        assert [(r.method, r.url.split("/api/")[1]) for r in uploads] == [
            ("PUT", f"tenders/{CODE}/lots/1/submissions/{manifest.submission_id}")
        ]
        sent += envelope
        assert b'"signing_key"' in sent  # the one JSON body the page sent: the public signing key
        for secret in secrets_:
            assert secret not in sent, secret[:40]
        # ... and the server keeps none of the plaintext (the opening has not happened).
        kept = server_files(settings)
        assert envelope in kept
        for secret in (bid_json, SECRET.encode(), ATTACHMENT_MARKER[:64], identity_text.encode(), file_key):
            assert secret not in kept, secret[:40]
    finally:
        await runtime.close()


async def test_a_new_identity_made_in_the_page_must_be_downloaded_before_sealing(
    tmp_path: Path, chromium: str
) -> None:
    """In English: the page generates an identity, warns that losing it leaves only the custodians,
    refuses to seal until the file is downloaded; the file (passphrase-protected like `sunbid keygen
    -p`) opens with the CLI's age code and names the recipient the envelope is sealed to."""
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    try:
        with live_server(settings, tmp_path) as server:
            async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=1)
                fields = [
                    *DEFAULT_FORM_FIELDS,
                    {"name": "boq", "label": "工程量清单", "type": "bill_of_quantities", "required": True},
                ]
                await published_tender(runtime, http, world, form_fields=fields)
                await register_all(http, world)
                bidder = world.bidders[0]
                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = await browser.new_page(accept_downloads=True)
                await login(page, server.url, bidder.username)
                await page.goto(f"{server.url}/tenders/{CODE}/lots/1/seal?lang=en")
                assert await page.inner_text("h1") == "Prepare and seal a bid online"
                await page.click("#identity-generate")
                await page.wait_for_selector("#identity-status.ok")
                warning = await page.inner_text("#identity-warning")
                assert "custodians" in warning and "Download" in warning
                recipient = (await page.inner_text("#identity-status")).split(": ")[-1].strip()
                assert recipient.startswith("age1")
                for name, value in {
                    "price": "11000000",
                    "duration_days": "300",
                    "quality": "Qualified",
                    "project_manager": "Li Si",
                }.items():
                    await page.fill(f"#field-{name}", value)
                await page.fill("#field-boq", "土方开挖\tm³\t1,200.5\t35.80")
                await page.click("#seal-submit")
                await page.wait_for_selector("#seal-status.error")
                assert await page.inner_text("#seal-status") == "Download the new identity file first"

                await page.fill("#identity-new-passphrase", "a passphrase of five words")
                async with page.expect_download() as identity_download:
                    await page.click("#identity-download")
                identity_file = tmp_path / "identity.age"
                await (await identity_download.value).save_as(identity_file)
                plain = io.BytesIO()
                decrypt(
                    io.BytesIO(identity_file.read_bytes()),
                    plain,
                    [ScryptIdentity("a passphrase of five words")],
                )
                assert f"# public key: {recipient}" in plain.getvalue().decode()
                [identity] = parse_identities(plain.getvalue().decode())
                assert isinstance(identity, X25519Identity) and identity.recipient().to_str() == recipient

                assert "Differs" in await page.inner_text("#signing-key-status")
                await page.click("#signing-key-register")
                await page.wait_for_selector("#signing-key-status.ok")
                await page.click("#seal-submit")  # the bill of quantities has a thousands separator
                await page.wait_for_selector("#error-boq:has-text('Row 1 is wrong')")
                await page.fill("#field-boq", "土方开挖\tm³\t1200.5\t35.80\n混凝土浇筑, m³, 300, 480.00\n")
                await page.click("#seal-submit")
                await page.wait_for_selector("#seal-status.ok", timeout=120_000)
                assert await page.inner_text("#error-boq") == ""
                assert "Bid accepted" in await page.inner_text("#seal-status")
                assert "Beijing" in await page.inner_text("#seal-receipt-text")
                async with page.expect_download() as envelope_download:
                    await page.click("#envelope-download")
                envelope = tmp_path / "bid.age"
                await (await envelope_download.value).save_as(envelope)
                await browser.close()
        package = zipfile.ZipFile(io.BytesIO(age_decrypt_with(identity, envelope, tmp_path)))
        bid = json.loads(package.read("bid.json"))
        assert bid["price"] == "11000000.00"
        assert bid["boq"] == [
            {"item": "土方开挖", "unit": "m³", "quantity": "1200.5", "unit_price": "35.80"},
            {"item": "混凝土浇筑", "unit": "m³", "quantity": "300", "unit_price": "480.00"},
        ]
        assert not problems(bid, schema_for(fields)), problems(bid, schema_for(fields))
    finally:
        await runtime.close()


def age_decrypt_with(identity: X25519Identity, envelope: Path, tmp_path: Path) -> bytes:
    key_file = tmp_path / "key.txt"
    key_file.write_text(identity.to_str() + "\n")
    return age_decrypt(key_file, envelope)
