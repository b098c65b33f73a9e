"""Receipt bundles: what a bidder keeps to prove what it submitted and when, checkable offline.

A bundle holds the server-signed receipt (crypto.signing.Receipt: manifest hash, submission id,
server time, audit index, inclusion proof, signed checkpoint), the bidder's signed manifest (tender,
lot, bidder, submission id, envelope SHA-256 and length), the audit entry the proof is for, and the
salt of that entry's commitment. ``verify_bundle`` needs only the server's public key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bidding.events import BID_SUBMITTED
from core.audit import seal
from crypto import merkle
from crypto.signing import (
    BidManifest,
    Receipt,
    SignedStatement,
    SigningError,
    parse_json,
    verify_manifest,
    verify_receipt,
)

BUNDLE_TYPE = "sunbid.receipt-bundle.v1"


class ReceiptError(ValueError):
    pass


def sealed_value(manifest: BidManifest) -> dict[str, Any]:
    """What the public audit entry commits to before the deadline (revealed with the salt later)."""
    return {
        "tender": manifest.tender,
        "lot": manifest.lot,
        "bidder": manifest.bidder,
        "submission_id": manifest.submission_id,
        "supersedes": manifest.supersedes,
    }


def make_bundle(
    receipt: SignedStatement, manifest: SignedStatement, entry: str, salt: bytes
) -> dict[str, Any]:
    return {
        "type": BUNDLE_TYPE,
        "receipt": receipt.to_dict(),
        "manifest": manifest.to_dict(),
        "audit_entry": entry,
        "salt": salt.hex(),
    }


@dataclass(frozen=True)
class Verified:
    receipt: Receipt
    manifest: BidManifest
    origin: str


def verify_bundle(
    data: dict[str, Any] | str | bytes,
    server_key: Ed25519PublicKey,
    bidder_key: Ed25519PublicKey | None = None,
) -> Verified:
    """Check every link from the signed receipt down to the audit checkpoint.

    ReceiptError says which link failed."""
    try:
        bundle = parse_json(data) if isinstance(data, str | bytes) else data
    except ValueError as exc:
        raise ReceiptError(f"not a receipt file: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("type") != BUNDLE_TYPE:
        raise ReceiptError(f"not a {BUNDLE_TYPE} file")
    try:
        receipt = verify_receipt(SignedStatement.from_dict(bundle["receipt"]), server_key)
    except (SigningError, KeyError, TypeError) as exc:
        raise ReceiptError(f"receipt signature: {exc}") from None
    try:
        signed_manifest = SignedStatement.from_dict(bundle["manifest"])
        manifest = (
            verify_manifest(signed_manifest, bidder_key)
            if bidder_key
            else BidManifest.from_dict(signed_manifest.statement)
        )
    except (SigningError, KeyError, TypeError) as exc:
        raise ReceiptError(f"manifest: {exc}") from None
    if (
        manifest.canonical_hash() != receipt.manifest_sha256
        or manifest.submission_id != receipt.submission_id
    ):
        raise ReceiptError("the receipt is for a different manifest")
    entry_text = bundle.get("audit_entry")
    if not isinstance(entry_text, str):
        raise ReceiptError("audit entry missing")
    entry = json.loads(entry_text)
    if entry.get("position") != receipt.audit_index or entry.get("kind") != BID_SUBMITTED:
        raise ReceiptError("the audit entry is not the receipt's bid.submitted entry")
    data_part = entry.get("data") or {}
    if data_part.get("envelope_sha256") != manifest.envelope_sha256:
        raise ReceiptError("the audit entry records another envelope")
    try:
        salt = bytes.fromhex(str(bundle.get("salt")))
    except ValueError:
        raise ReceiptError("salt is not hex") from None
    if data_part.get("sealed") != seal(sealed_value(manifest), salt):
        raise ReceiptError("the audit entry's commitment does not open to this manifest")
    if receipt.audit_size is None or receipt.audit_root is None or receipt.checkpoint is None:
        raise ReceiptError("the receipt carries no inclusion proof or checkpoint")
    root = bytes.fromhex(receipt.audit_root)
    proof = [bytes.fromhex(h) for h in receipt.inclusion_proof]
    leaf = merkle.leaf_hash(entry_text.encode())
    if not merkle.verify_inclusion(leaf, receipt.audit_index, receipt.audit_size, proof, root):
        raise ReceiptError("the inclusion proof does not lead to the receipt's root")
    origin = receipt.checkpoint.split("\n", 1)[0]
    try:
        checkpoint = merkle.open_checkpoint(receipt.checkpoint, merkle.verifier_key(origin, server_key))
    except (merkle.CheckpointError, ValueError) as exc:
        raise ReceiptError(f"checkpoint: {exc}") from None
    if checkpoint.size != receipt.audit_size or checkpoint.root != root:
        raise ReceiptError("the signed checkpoint is for another tree")
    return Verified(receipt, manifest, origin)
