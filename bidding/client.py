"""The bidder's side, run on the bidder's own machine: build the bid package, seal it, talk to the server.

Sealing never sends anything: it writes ``OUT`` (the age file, encrypted to the bidder's own
recipient and the tender's opening recipient) and ``OUT.manifest.json`` (the manifest signed with the
company's Ed25519 key). The signing key is derived from the bidder's age identity by default, so a
company keeps one key file: ``crypto.signing.signing_key_from_identity``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bidding.bid_form import (
    BidFormInvalid,
    above_ceiling,
    attachment_names,
    check_bid_form,
    schema_for,
)
from bidding.criteria import FormFieldOut
from bidding.inputs import BondForm
from bidding.submissions import encode_manifest, withdrawal_statement
from bidding.views import MoneyText, SignedManifest, SignedWithdrawal, TenderCode, TenderOut
from crypto.age import X25519Identity, X25519Recipient, encrypt
from crypto.signing import (
    BidManifest,
    SignedStatement,
    canonical_json,
    sign_statement,
    utc_timestamp,
)

MANIFEST_SUFFIX = ".manifest.json"
READ_BLOCK = 1024 * 1024


def build_package(form: dict[str, Any], attachments: Sequence[Path], out: BinaryIO) -> None:
    """The bid package: a ZIP with bid.json (the form) and the attachments under attachments/."""
    names = [path.name for path in attachments]
    if len(set(names)) != len(names):
        raise ValueError("two attachments have the same file name")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("bid.json", json.dumps(form, ensure_ascii=False, indent=2))
        for path in attachments:
            package.write(path, f"attachments/{path.name}")


class LotToSeal(msgspec.Struct, kw_only=True):
    number: str
    ceiling_price: MoneyText


class BondToSeal(msgspec.Struct, kw_only=True):
    forms: list[BondForm]


class TenderToSeal(msgspec.Struct, kw_only=True):
    """What sealing reads of a tender: these fields of ``bidding.views.TenderOut`` (the server's answer),
    so a `--tender-file` holding only them, or a whole published tender, will do offline."""

    code: TenderCode
    opening_recipient: str
    form_fields: list[FormFieldOut]
    lots: list[LotToSeal]
    bond: BondToSeal | None = None


def as_tender(tender: TenderOut | TenderToSeal | dict[str, Any]) -> TenderToSeal:
    """The tender to seal for: the server's ``TenderOut``, or its JSON (a tender file, a dict)."""
    if isinstance(tender, TenderToSeal):
        return tender
    try:
        return msgspec.convert(
            msgspec.to_builtins(tender) if isinstance(tender, TenderOut) else tender, TenderToSeal
        )
    except msgspec.ValidationError as exc:
        raise ValueError(f"not a tender as the server publishes it: {exc}") from None


def lot_schema(tender: TenderOut | TenderToSeal | dict[str, Any], lot: str) -> dict[str, Any]:
    """The bid-form schema of ``lot`` built from the tender (what the server's endpoint serves)."""
    tender = as_tender(tender)
    found = next((item for item in tender.lots if item.number == lot), None)
    if found is None:
        raise ValueError(f"tender {tender.code} has no lot {lot!r}")
    return schema_for(
        msgspec.to_builtins(tender.form_fields),
        code=tender.code,
        lot=lot,
        ceiling_price=Decimal(found.ceiling_price),
        bond_forms=list(tender.bond.forms) if tender.bond else None,
    )


def names_of(attachments: Sequence[Path]) -> set[str]:
    return {path.name for path in attachments}


def _hash_file(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(READ_BLOCK):
            sha.update(block)
            size += len(block)
    return sha.hexdigest(), size


@dataclass(frozen=True)
class Sealed:
    envelope: Path
    manifest_path: Path
    manifest: BidManifest
    signed: SignedStatement


def seal_bid(
    *,
    tender: TenderOut | TenderToSeal | dict[str, Any],
    lot: str,
    form: dict[str, Any],
    attachments: Sequence[Path],
    identity: X25519Identity,
    signing_key: Ed25519PrivateKey,
    bidder: str,
    out: Path,
    submission_id: str | None = None,
    supersedes: str | None = None,
    progress: Callable[[int], None] | None = None,
    schema: dict[str, Any] | None = None,
    above_ok: bool = False,
) -> Sealed:
    """Seal a bid for ``tender`` (as the server publishes it, or its JSON) into ``out`` + manifest.

    ``form`` is checked against ``schema`` (the lot's bid-form schema the server serves) or, without
    one, the same schema built from the tender JSON: every problem at once, before encrypting.
    ``above_ok`` lets a price above the lot's ceiling through (the opening then rejects the bid).
    """
    tender = as_tender(tender)
    if lot not in {item.number for item in tender.lots}:
        raise ValueError(f"tender {tender.code} has no lot {lot!r}")
    schema = schema or lot_schema(tender, lot)
    try:
        check_bid_form(form, schema)
    except BidFormInvalid as exc:
        if not (above_ok and all(above_ceiling(p) for p in exc.problems)):
            raise
    missing = [n for n in attachment_names(form, schema) if n not in names_of(attachments)]
    if missing:
        raise ValueError(f"bid.json names attachments not given with --attach: {', '.join(missing)}")
    recipients = [identity.recipient(), X25519Recipient.from_str(tender.opening_recipient)]
    with tempfile.TemporaryFile() as package:
        build_package(form, attachments, package)
        package.seek(0)
        with _new_file(out) as sink:
            encrypt(package, sink, recipients, progress=progress)
    sha256, length = _hash_file(out)
    manifest = BidManifest(
        tender=tender.code,
        lot=lot,
        bidder=bidder,
        submission_id=submission_id or str(uuid.uuid4()),
        envelope_sha256=sha256,
        envelope_length=length,
        client_time=utc_timestamp(),
        supersedes=supersedes,
    )
    signed = sign_statement(manifest, signing_key)
    manifest_path = out.with_name(out.name + MANIFEST_SUFFIX)
    manifest_path.write_bytes(signed.to_json() + b"\n")
    return Sealed(out, manifest_path, manifest, signed)


class _new_file:
    """Write to a temporary file beside ``path`` and rename it into place only on success."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> BinaryIO:
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part")
        self.fh = os.fdopen(fd, "wb")
        return self.fh

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.fh.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            Path(self.tmp).unlink(missing_ok=True)


def typed_manifest(signed: SignedStatement) -> SignedManifest:
    """A signed manifest as the server's own type (``bidding.views.SignedManifest``, the receipt's)."""
    try:
        return msgspec.convert(signed.to_dict(), SignedManifest)
    except msgspec.ValidationError as exc:
        raise ValueError(f"not a bid manifest the server accepts: {exc}") from None


def load_manifest(path: Path) -> SignedManifest:
    """The signed manifest `sunbid bid seal` wrote (read strictly: no floats, no duplicate keys)."""
    return typed_manifest(SignedStatement.from_json(path.read_bytes()))


def manifest_header(signed: SignedManifest) -> str:
    """The X-Sunbid-Manifest header of a signed manifest: the same signed bytes it was read from (the
    typed statement holds exactly the signed fields, as text and integers, so its canonical JSON is
    the signed JSON)."""
    return encode_manifest(SignedStatement.from_dict(msgspec.to_builtins(signed)))


def withdrawal(
    signed_manifest: SignedManifest | SignedStatement, signing_key: Ed25519PrivateKey
) -> SignedWithdrawal:
    """The signed withdrawal of the bid ``signed_manifest`` describes: the body of POST
    /api/submissions/{id}/withdrawal (``bidding.views.SignedWithdrawal``)."""
    if isinstance(signed_manifest, SignedStatement):
        signed_manifest = typed_manifest(signed_manifest)
    manifest = BidManifest.from_dict(msgspec.to_builtins(signed_manifest.statement))
    statement = withdrawal_statement(manifest, utc_timestamp())
    signed = sign_statement(msgspec.to_builtins(statement), signing_key)
    return msgspec.convert(signed.to_dict(), SignedWithdrawal)


def file_chunks(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    done = 0
    with path.open("rb") as fh:
        while block := fh.read(READ_BLOCK):
            done += len(block)
            if progress:
                progress(done)
            yield block


def canonical(obj: Any) -> bytes:
    return canonical_json(obj)


def device_description() -> dict[str, str]:
    """What identifies this machine for ``device_digest``: read locally, never sent as such.

    The hostname, the first network interface's hardware address (``uuid.getnode``), the operating
    system and machine type, and the OS installation id where there is one (/etc/machine-id on Linux).
    """
    import platform

    machine_id = ""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            machine_id = Path(path).read_text().strip()
            break
        except OSError:
            continue
    return {
        "kind": "cli",
        "hostname": platform.node(),
        "mac": f"{uuid.getnode():012x}",
        "system": platform.system(),
        "machine": platform.machine(),
        "machine_id": machine_id,
    }


def device_digest(description: dict[str, str] | None = None) -> str:
    """SHA-256 (hex) of the canonical JSON of the device description: the ``X-Sunbid-Device`` header.

    The server keys it with the platform-wide key before storing it (docs/integrity-evidence.md)."""
    return hashlib.sha256(canonical(description or device_description())).hexdigest()
