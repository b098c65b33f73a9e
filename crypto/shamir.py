"""Shamir secret sharing over GF(256), for splitting a tender's opening key among custodians.

Each byte of the secret is the constant term of its own random polynomial of degree k-1; share i
holds the values of all those polynomials at x = i. Any k shares recover the secret by Lagrange
interpolation at x = 0; fewer reveal nothing about it.

Field: GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11b). 0x03 generates its
multiplicative group, so log/exp tables make multiplication and division cheap.

What this module cannot catch: a share that is well formed but wrong (from another ceremony, or
altered before its checksum was recomputed) combines to a wrong secret without any error, because
Shamir's scheme carries no integrity of its own. Callers must check the result against something
published beforehand — `sunbid custody combine` compares the recovered identity's recipient with the
ceremony's opening recipient. When more than k shares are given, `combine` does check that they all
lie on one polynomial, which catches a single bad share among k+1.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SHARE_PREFIX", "ShamirError", "Share", "combine", "split"]

SHARE_PREFIX = "sunbid-share-1"
_CHECKSUM_LEN = 4  # bytes of SHA-256 shown as 8 hex digits: catches typos, not forgeries


class ShamirError(ValueError):
    """Bad parameters, malformed shares, or a set of shares that cannot be combined."""


def _build_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 510  # doubled so exp[log a + log b] never needs a modulo
    log = [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        # multiply by the generator 0x03 = x * 2 xor x, reducing by 0x11b on overflow
        x2 = x << 1
        if x2 & 0x100:
            x2 ^= 0x11B
        x = x2 ^ x
    for i in range(255, 510):
        exp[i] = exp[i - 255]
    return exp, log


_EXP, _LOG = _build_tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


@dataclass(frozen=True)
class Share:
    """One point of the sharing polynomials: x = index, y = value (one byte per secret byte)."""

    index: int
    threshold: int
    value: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.index <= 255:
            raise ShamirError(f"share index must be 1..255, got {self.index}")
        if not 2 <= self.threshold <= 255:
            raise ShamirError(f"share threshold must be 2..255, got {self.threshold}")
        if not self.value:
            raise ShamirError("share value is empty")

    def _body(self) -> str:
        b64 = base64.urlsafe_b64encode(self.value).rstrip(b"=").decode("ascii")
        return f"{SHARE_PREFIX}:{self.threshold}:{self.index}:{b64}"

    def to_str(self) -> str:
        """`sunbid-share-1:<k>:<index>:<base64url value>:<8 hex checksum>`."""
        body = self._body()
        return f"{body}:{_checksum(body)}"

    @classmethod
    def from_str(cls, text: str) -> Share:
        text = text.strip()
        parts = text.split(":")
        if len(parts) != 5 or parts[0] != SHARE_PREFIX:
            raise ShamirError(f"not a share (expected {SHARE_PREFIX}:<k>:<index>:<value>:<checksum>)")
        _, k_text, index_text, b64, check = parts
        if _checksum(":".join(parts[:4])) != check.lower():
            raise ShamirError("share checksum mismatch: the share was mistyped or altered")
        try:
            threshold, index = int(k_text), int(index_text)
            value = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        except (ValueError, binascii.Error) as exc:
            raise ShamirError(f"malformed share: {exc}") from None
        return cls(index=index, threshold=threshold, value=value)


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).digest()[:_CHECKSUM_LEN].hex()


def split(secret: bytes, k: int, n: int) -> list[Share]:
    """Split `secret` into `n` shares (indices 1..n), any `k` of which recover it."""
    if not secret:
        raise ShamirError("secret is empty")
    if not 2 <= k <= n <= 255:
        raise ShamirError(f"need 2 <= k <= n <= 255, got k={k}, n={n}")
    # coeffs[j][b]: coefficient of x^(j+1) for secret byte b; the constant term is the secret byte
    coeffs = [secrets.token_bytes(len(secret)) for _ in range(k - 1)]
    shares = []
    for x in range(1, n + 1):
        value = bytearray(len(secret))
        for b, s in enumerate(secret):
            # Horner's rule from the highest coefficient down to the constant term
            y = 0
            for row in reversed(coeffs):
                y = _mul(y, x) ^ row[b]
            value[b] = _mul(y, x) ^ s
        shares.append(Share(index=x, threshold=k, value=bytes(value)))
    return shares


def _interpolate(points: Sequence[Share], x: int) -> bytes:
    """Values at `x` of the polynomials through `points` (Lagrange form)."""
    weights = []
    for i, pi in enumerate(points):
        # basis_i(x) = prod_{j != i} (x - x_j) / (x_i - x_j); subtraction is xor in GF(2^8)
        num, den = 1, 1
        for j, pj in enumerate(points):
            if i != j:
                num = _mul(num, x ^ pj.index)
                den = _mul(den, pi.index ^ pj.index)
        weights.append(_div(num, den))
    out = bytearray(len(points[0].value))
    for w, p in zip(weights, points, strict=True):
        if w:
            lw = _LOG[w]
            for b, y in enumerate(p.value):
                if y:
                    out[b] ^= _EXP[lw + _LOG[y]]
    return bytes(out)


def combine(shares: Sequence[Share]) -> bytes:
    """Recover the secret from at least `threshold` shares of one split.

    Raises ShamirError for too few shares, duplicate indices, or mixed thresholds or lengths, and
    when more than k shares do not lie on one polynomial. A wrong set of exactly k well-formed
    shares yields a wrong secret silently (see the module docstring).
    """
    if not shares:
        raise ShamirError("no shares given")
    k = shares[0].threshold
    length = len(shares[0].value)
    if any(s.threshold != k for s in shares):
        raise ShamirError("shares have different thresholds: they come from different splits")
    if any(len(s.value) != length for s in shares):
        raise ShamirError("shares have different lengths: they come from different splits")
    seen: dict[int, Share] = {}
    for s in shares:
        if s.index in seen:
            raise ShamirError(f"share {s.index} given more than once")
        seen[s.index] = s
    if len(shares) < k:
        raise ShamirError(f"need {k} shares, got {len(shares)}")
    base = list(shares[:k])
    for extra in shares[k:]:
        if _interpolate(base, extra.index) != extra.value:
            raise ShamirError(f"share {extra.index} is inconsistent with the others")
    return _interpolate(base, 0)
