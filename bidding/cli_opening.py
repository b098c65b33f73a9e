"""The bidder's commands after the deadline: `sunbid bid status|decrypt`, `sunbid custody reveal` and
`sunbid receipt verify`."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from pathlib import Path

import click

from bidding.opening.views import BidOpened, OwnHeader, ShareRevealed
from bidding.opening_api import KeyBody, ShareBody
from bidding.receipts import ReceiptError, verify_bundle
from bidding.views import (
    OpeningResult,
    OwnSubmission,
)
from core.client import api, body, check, load_config, load_identity, with_retries
from crypto.age import AgeError, decrypt, read_header
from crypto.age.recipients import unwrap_header
from crypto.signing import SigningError, public_key_from_text

# What the opening made of a bid, in words (bidding.models.BidOutcome).
OUTCOME_WORDS = {
    "queued": "at the opening, waiting for its key",
    "decrypting": "being decrypted",
    "opened": "opened",
    "rejected": "opened, rejected",
    "revoked": "revoked (failed to decrypt through the bidder's fault)",
    "withdrawn": "withdrawn at the opening",
}
STATUS_COLUMNS = ("TENDER", "LOT", "SUBMISSION", "STATUS", "SUBMITTED (Beijing)", "OPENING")


def opening_words(opening: OpeningResult | None) -> str:
    if opening is None:
        return "not opened yet"
    words = OUTCOME_WORDS.get(opening.outcome, opening.outcome)
    if opening.price:
        words += f", price {Decimal(opening.price):,.2f} yuan"
    if opening.reason:
        words += f": {opening.reason}"
    if opening.confirmation:
        words += f"; record {opening.confirmation}"
    return words


@click.command("status")
@click.option("--tender", "code", help="Only this tender's submissions.")
def status(code: str | None) -> None:
    """Your company's submissions, their status and, after the opening, what it made of each."""
    with api(load_config()) as http:
        rows = check(
            http.get("/api/submissions", params={"tender": code} if code else None), list[OwnSubmission]
        )
    if not rows:
        click.echo("no submissions")
        return
    table = [
        (row.tender, row.lot, row.submission_id, row.status, row.submitted_at_local,
         opening_words(row.opening) if row.status == "active" else "")
        for row in rows
    ]  # fmt: skip
    widths = [max(len(str(r[i])) for r in [STATUS_COLUMNS, *table]) for i in range(len(STATUS_COLUMNS) - 1)]
    for r in [STATUS_COLUMNS, *table]:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(r, widths, strict=False)) + "  " + r[-1])


@click.command("decrypt")
@click.option("--tender", "code", required=True)
@click.option("--lot", default="1", show_default=True)
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def decrypt_bid(code: str, lot: str, identity_path: str, passphrase_file: str | None) -> None:
    """Reveal your bid's file key at the opening (unwrapped here; your identity is never sent)."""
    identity = load_identity(identity_path, passphrase_file)
    base = f"/api/tenders/{code}/lots/{lot}/opening"
    with api(load_config(), timeout=600) as http:
        found = check(with_retries("header", lambda: http.get(f"{base}/header")), OwnHeader)
        try:
            header = read_header(io.BytesIO(base64.b64decode(found.header)), armor=False)
            file_key = unwrap_header(header, [identity])
        except (AgeError, ValueError) as exc:
            raise click.ClickException(f"this identity cannot open the bid's header: {exc}") from None
        done = check(http.post(f"{base}/key", json=body(KeyBody(file_key=file_key.hex()))), BidOpened)
    line = f"{found.submission_id}: {done.outcome}"
    if done.price:
        line += f" (price {done.price})"
    if done.reason:
        line += f" - {done.reason}"
    click.echo(line)


@click.command("reveal")
@click.option("--tender", "code", required=True)
@click.option("--share", "share_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def custody_reveal(code: str, share_path: str, identity_path: str, passphrase_file: str | None) -> None:
    """Open your sealed share here and reveal it to the opening (after the decryption window)."""
    identity = load_identity(identity_path, passphrase_file)
    plain = io.BytesIO()
    try:
        decrypt(io.BytesIO(Path(share_path).read_bytes()), plain, [identity])
    except AgeError as exc:
        raise click.ClickException(f"{share_path}: this identity cannot open the share: {exc}") from None
    share = plain.getvalue().decode("ascii", "replace").strip()
    with api(load_config()) as http:
        done = check(
            http.post(f"/api/tenders/{code}/opening/shares", json=body(ShareBody(share=share))), ShareRevealed
        )
    if done.combined:
        opened = done.opened if isinstance(done.opened, int) else 0
        click.echo(f"opening key combined; {opened} bid(s) opened by the custodians")
    else:
        click.echo(f"share accepted ({done.have} of {done.threshold} needed)")


@click.group("receipt")
def receipt() -> None:
    """Check receipts offline."""


@receipt.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--server-key", required=True, help="ed25519:... text, or a file holding it.")
@click.option("--bidder-key", default=None, help="Also check the bidder's signature (ed25519:...).")
def receipt_verify(path: str, server_key: str, bidder_key: str | None) -> None:
    """Verify a receipt: server signature, manifest, audit inclusion proof and signed checkpoint."""
    try:
        key_text = Path(server_key).read_text("utf-8").strip() if Path(server_key).is_file() else server_key
        key = public_key_from_text(key_text)
        bidder = public_key_from_text(bidder_key) if bidder_key else None
        verified = verify_bundle(Path(path).read_bytes(), key, bidder)
    except (ReceiptError, SigningError, OSError) as exc:
        click.echo(f"INVALID: {exc}", err=True)
        raise SystemExit(2) from None
    m, r = verified.manifest, verified.receipt
    click.echo(
        f"receipt OK: tender {m.tender} lot {m.lot} bidder {m.bidder} submission {m.submission_id}\n"
        f"  envelope sha256 {m.envelope_sha256} ({m.envelope_length} bytes)\n"
        f"  accepted {r.server_time}; audit entry #{r.audit_index} in a tree of {r.audit_size}"
        f" signed by {verified.origin}"
    )
