"""Bech32 (BIP 173 checksum, not bech32m) as age uses it for keys: no 90-character length limit."""

from __future__ import annotations

from .errors import AgeError

__all__ = ["decode", "encode"]

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_REV = {c: i for i, c in enumerate(_CHARSET)}
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], frm: int, to: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to) - 1
    for value in data:
        acc = (acc << frm) | value
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to - bits)) & maxv)
    elif bits >= frm or (acc << (to - bits)) & maxv:
        raise AgeError("bech32: non-zero or excess padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode data under hrp; the result has the case of hrp (all lower or all upper)."""
    upper = hrp.isupper()
    hrp = hrp.lower()
    values = _convert_bits(data, 8, 5, pad=True)
    poly = _polymod([*_hrp_expand(hrp), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    text = hrp + "1" + "".join(_CHARSET[v] for v in values + checksum)
    return text.upper() if upper else text


def decode(text: str) -> tuple[str, bytes]:
    """Return (hrp, data); hrp keeps its case so callers can insist on it, like age does."""
    if text.lower() != text and text.upper() != text:
        raise AgeError("bech32: mixed case")
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise AgeError("bech32: separator at invalid position")
    hrp = text[:pos]
    if any(not 33 <= ord(c) <= 126 for c in hrp):
        raise AgeError("bech32: invalid character in human-readable part")
    try:
        values = [_REV[c] for c in text[pos + 1 :].lower()]
    except KeyError as exc:
        raise AgeError("bech32: invalid character in data part") from exc
    if _polymod(_hrp_expand(hrp.lower()) + values) != 1:
        raise AgeError("bech32: invalid checksum")
    return hrp, bytes(_convert_bits(values[:-6], 5, 8, pad=False))
