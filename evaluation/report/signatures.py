"""Members' signatures over the report digest, and the signed report with its signature page.

A member signs ``signing_message(digest) = b"sunbid-evaluation-report-v1\\n" + digest`` (the hex
digest as ASCII) with Ed25519, from their own page; the prefix keeps a report signature from being
passed off as any other statement the same key signs. :func:`verify_member_signature` checks one.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.signing import SignatureError, SigningError, key_id, public_key_from_text
from evaluation.report.document import Report
from evaluation.report.facts import ReportError, report_digest
from evaluation.report.html import render_html
from evaluation.report.pdf import render_pdf
from evaluation.report.view import time_zh

SIGNATURES_TYPE = "sunbid.evaluation-report-signatures.v1"
SIGNING_PREFIX = b"sunbid-evaluation-report-v1\n"

_HEX64 = re.compile(r"[0-9a-f]{64}")


class ReportSignatureError(ReportError, SignatureError):
    """A member's signature over the report digest is malformed, by another key, or over another digest."""


@dataclass(frozen=True)
class MemberSignature:
    """A member's Ed25519 signature (standard base64) over ``signing_message(report.digest)``."""

    member: str
    signature: str
    signed_at: datetime | None = None


@dataclass(frozen=True)
class SignedReport:
    """The report with its signature page. ``digest`` is the report's (signatures do not change it);
    ``record`` is the JSON-able list of signatures to store beside the facts."""

    digest: str
    record: dict[str, Any]
    html: str
    pdf: bytes


def _check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise ReportSignatureError("a report digest is 64 lowercase hex digits (SHA-256)")
    return digest


def signing_message(digest: str) -> bytes:
    """What a member signs: ``b"sunbid-evaluation-report-v1\\n"`` + the hex digest (ASCII)."""
    return SIGNING_PREFIX + _check_digest(digest).encode("ascii")


def sign_report(digest: str, private_key: Ed25519PrivateKey) -> str:
    """A member's signature over the report digest, standard base64 (what the member's page does)."""
    return base64.b64encode(private_key.sign(signing_message(digest))).decode("ascii")


def verify_member_signature(report_digest: str, public_key_text: str, signature_b64: str) -> None:
    """Check a member's Ed25519 signature over ``signing_message(report_digest)``; raise
    :class:`ReportSignatureError` saying what is wrong otherwise."""
    message = signing_message(report_digest)
    try:
        key = public_key_from_text(public_key_text)
    except SigningError as error:
        raise ReportSignatureError(f"the member's public key is not usable: {error}") from None
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise ReportSignatureError("the signature is not valid base64") from None
    if len(signature) != 64:
        raise ReportSignatureError(f"an Ed25519 signature is 64 bytes, got {len(signature)}")
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise ReportSignatureError(
            f"the signature does not match report {report_digest[:12]}… under key {key_id(key)}: "
            "signed with another key, or over another report"
        ) from None


def signature_page(
    report: Report,
    signatures: Sequence[MemberSignature],
    *,
    require_all: bool = True,
    font: str | Path | None = None,
) -> SignedReport:
    """The signed report: every signature verified against the member's key in the facts, then the
    HTML and PDF rendered with a signature page. The digest is the report's, unchanged."""
    members = {m["code"]: m for m in report.facts["committee"]["members"]}
    if report_digest(report.facts) != report.digest:
        raise ReportError("the report's digest does not match its facts")
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for s in signatures:
        member = members.get(s.member)
        if member is None:
            raise ReportSignatureError(f"{s.member} is not a member of the committee")
        if s.member in seen:
            raise ReportSignatureError(f"{s.member} has signed twice")
        if member["public_key"] is None:
            raise ReportSignatureError(f"{s.member} has no public key in the report")
        verify_member_signature(report.digest, member["public_key"], s.signature)
        seen.add(s.member)
        rows.append(
            {
                "member": s.member,
                "key_id": member["key_id"],
                "signature": s.signature.strip(),
                "signed_at": s.signed_at.isoformat() if s.signed_at else None,
                "signed_at_zh": time_zh(s.signed_at) if s.signed_at else None,
            }
        )
    order = list(members)
    rows.sort(key=lambda r: order.index(r["member"]))
    missing = [m for m in order if m not in seen]
    if require_all and missing:
        raise ReportError(f"{len(missing)} of {len(order)} members have not signed: {', '.join(missing)}")
    record = {
        "type": SIGNATURES_TYPE,
        "report": report.digest,
        "signatures": [{k: r[k] for k in ("member", "key_id", "signature", "signed_at")} for r in rows],
    }
    return SignedReport(
        report.digest,
        record,
        render_html(report.facts, signatures=rows),
        render_pdf(report.facts, signatures=rows, font=font),
    )
