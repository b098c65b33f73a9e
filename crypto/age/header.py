"""The age header: version line, recipient stanzas and the MAC line (C2SP age, "Header")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .encoding import b64decode, b64encode
from .errors import HeaderError
from .source import Source

__all__ = ["INTRO", "MAX_HEADER_SIZE", "MAX_STANZAS", "Header", "Stanza", "header_mac", "parse_header"]

INTRO = b"age-encryption.org/v1\n"
# The spec sets no limits; these bound memory and unwrap work on hostile input while leaving
# room for hundreds of post-quantum stanzas or thousands of X25519 ones.
MAX_HEADER_SIZE = 1 << 20
MAX_STANZAS = 4096
_BODY_LINE_BYTES = 48  # 64 base64 columns
_FOOTER = b"---"


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: `-> type args...` followed by its wrapped base64 body."""

    type: str
    args: tuple[str, ...]
    body: bytes

    def encode(self) -> bytes:
        """Canonical encoding: 64-column body lines, always ending with a short (maybe empty) line."""
        text = b64encode(self.body)
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        if len(text) % 64 == 0:
            lines.append("")
        head = " ".join(("->", self.type, *self.args))
        return "".join(line + "\n" for line in (head, *lines)).encode("ascii")


@dataclass(frozen=True)
class Header:
    """A parsed header. `raw` is the exact text the MAC covers (intro through '---')."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    raw: bytes

    @classmethod
    def build(cls, stanzas: Sequence[Stanza], file_key: bytes) -> Header:
        """Assemble a header for writing and compute its MAC under file_key."""
        raw = INTRO + b"".join(s.encode() for s in stanzas) + _FOOTER
        return cls(tuple(stanzas), header_mac(file_key, raw), raw)

    def encode(self) -> bytes:
        """The header bytes as they appear in the file, including the final newline."""
        return self.raw + b" " + b64encode(self.mac).encode("ascii") + b"\n"

    def verify(self, file_key: bytes) -> bool:
        """True if the MAC authenticates this header under file_key (constant-time compare)."""
        try:
            _hmac(file_key, self.raw).verify(self.mac)
        except InvalidSignature:
            return False
        return True


def _hmac(file_key: bytes, raw: bytes) -> hmac.HMAC:
    # salt=None is HKDF's all-zero salt, which RFC 5869 makes equivalent to the spec's empty salt.
    key = HKDF(hashes.SHA256(), 32, salt=None, info=b"header").derive(file_key)
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(raw)
    return h


def header_mac(file_key: bytes, raw: bytes) -> bytes:
    """HMAC-SHA-256 over the header text, keyed by HKDF(file_key, info="header")."""
    return _hmac(file_key, raw).finalize()


def _is_vchar_arg(arg: bytes) -> bool:
    return bool(arg) and all(33 <= c <= 126 for c in arg)


class _LineReader:
    """Reads newline-terminated header lines, keeping the raw text and enforcing the size cap."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.raw = bytearray()

    def next(self) -> bytes:
        room = MAX_HEADER_SIZE - len(self.raw)
        line = self.src.readline(room) if room > 0 else b""
        if not line.endswith(b"\n"):
            raise HeaderError("header too large" if len(line) >= room else "header truncated")
        return line


def _read_stanza(lines: _LineReader, first: bytes) -> Stanza:
    parts = first[:-1].split(b" ")
    if parts[0] != b"->" or len(parts) < 2 or not all(_is_vchar_arg(a) for a in parts[1:]):
        raise HeaderError(f"malformed stanza line {first[:80]!r}")
    lines.raw += first
    body = bytearray()
    while True:
        line = lines.next()
        try:
            chunk = b64decode(line[:-1])
        except HeaderError:
            if line.startswith((b"->", _FOOTER)):
                raise HeaderError("stanza ended without a short body line") from None
            raise
        if len(chunk) > _BODY_LINE_BYTES:
            raise HeaderError("stanza body line longer than 64 columns")
        lines.raw += line
        body += chunk
        if len(chunk) < _BODY_LINE_BYTES:
            args = tuple(a.decode("ascii") for a in parts[1:])
            return Stanza(args[0], args[1:], bytes(body))


def header_end(data: bytes | bytearray) -> int:
    """Where the header of a binary age file ends in its first bytes ``data``: the offset just past
    the MAC line ("--- …\\n"), which is where the payload nonce starts; -1 while that line is not
    all in ``data``. Only finds the end: ``parse_header`` says whether the header is well formed."""
    mark = data.find(b"\n" + _FOOTER)
    end = data.find(b"\n", mark + 1) if mark >= 0 else -1
    return end + 1 if end >= 0 else -1


def parse_header(src: Source) -> Header:
    """Parse the header strictly; the source is left positioned at the payload nonce."""
    lines = _LineReader(src)
    intro = lines.src.readline(len(INTRO))
    if intro != INTRO:
        raise HeaderError(f"not an age v1 file (intro {intro[:40]!r})")
    lines.raw += intro
    stanzas: list[Stanza] = []
    while True:
        line = lines.next()
        if line.startswith(_FOOTER):
            break
        if len(stanzas) == MAX_STANZAS:
            raise HeaderError(f"more than {MAX_STANZAS} stanzas")
        stanzas.append(_read_stanza(lines, line))
    parts = line[:-1].split(b" ")
    if parts[0] != _FOOTER or len(parts) != 2:
        raise HeaderError(f"malformed MAC line {line[:80]!r}")
    mac = b64decode(parts[1])
    if len(mac) != 32:
        raise HeaderError("header MAC has the wrong length")
    lines.raw += _FOOTER
    return Header(tuple(stanzas), mac, bytes(lines.raw))
