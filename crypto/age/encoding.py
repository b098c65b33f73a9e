"""Strict base64 helpers used by the header (no padding, canonical, no whitespace)."""

from __future__ import annotations

import base64
import binascii
import re

from .errors import HeaderError

__all__ = ["b64decode", "b64encode"]

# Only the standard alphabet: binascii would otherwise silently skip stray characters.
_B64_CHARS = re.compile(rb"[A-Za-z0-9+/]*")


def b64encode(data: bytes) -> str:
    """Base64 without padding, as every base64 string in an age header is written."""
    return base64.b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str | bytes) -> bytes:
    """Decode unpadded, canonical base64; raise HeaderError on anything else."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    if not _B64_CHARS.fullmatch(raw) or len(raw) % 4 == 1:
        raise HeaderError(f"invalid base64 {raw[:80]!r}")
    try:
        data = binascii.a2b_base64(raw + b"=" * (-len(raw) % 4), strict_mode=True)
    except binascii.Error as exc:
        raise HeaderError(f"invalid base64 {raw[:80]!r}") from exc
    # Reject non-zero trailing bits, so every value has exactly one encoding (the MAC covers text).
    if b64encode(data).encode("ascii") != raw:
        raise HeaderError(f"non-canonical base64 {raw[:80]!r}")
    return data
