"""Tampering: truncation, reordering, extension and bit flips must fail cleanly.

Decryption must only ever release whole authenticated chunks, so each case also checks exactly
which plaintext prefix reached the output.
"""

from __future__ import annotations

import io
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from crypto.age import (
    AgeError,
    ArmorError,
    Header,
    HeaderError,
    NoMatchingIdentity,
    PayloadError,
    WrongFileKey,
    X25519Identity,
    decrypt,
    decrypt_with_file_key,
    encrypt,
    read_header,
    unwrap_file_key,
)
from crypto.age.stream import CHUNK_SIZE, ENC_CHUNK_SIZE, NONCE_SIZE, payload_key

IDENTITY = X25519Identity.generate()
CHUNK = CHUNK_SIZE


def seal(plain: bytes, *, armor: bool = False) -> bytes:
    out = io.BytesIO()
    encrypt(io.BytesIO(plain), out, [IDENTITY.recipient()], armor=armor)
    return out.getvalue()


def payload_start(ct: bytes) -> int:
    """Offset of the first STREAM chunk (just after the header and the 16-byte nonce)."""
    return len(read_header(io.BytesIO(ct)).encode()) + NONCE_SIZE


def open_(ct: bytes) -> tuple[bytes, Exception | None]:
    """Decrypt, returning what was released and the error (if any)."""
    out = io.BytesIO()
    try:
        decrypt(io.BytesIO(ct), out, [IDENTITY])
    except AgeError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


PLAIN3 = os.urandom(2 * CHUNK + 1000)  # two full chunks and a short last one
CT3 = seal(PLAIN3)
P0 = payload_start(CT3)


def test_intact() -> None:
    assert open_(CT3) == (PLAIN3, None)


@pytest.mark.parametrize(
    ("cut", "released"),
    [
        (len(CT3) - 1, 2 * CHUNK),  # last chunk loses a byte of its tag
        (len(CT3) - 16, 2 * CHUNK),  # last chunk loses its whole tag
        (P0 + 2 * ENC_CHUNK_SIZE + 1, 2 * CHUNK),  # one byte of the last chunk left
        (P0 + 2 * ENC_CHUNK_SIZE, 2 * CHUNK),  # chunk boundary: last chunk missing entirely
        (P0 + ENC_CHUNK_SIZE + 10, CHUNK),
        (P0 + ENC_CHUNK_SIZE, CHUNK),  # chunk boundary
        (P0 + ENC_CHUNK_SIZE - 1, 0),  # first chunk one byte short: now a short "last" chunk that fails
        (P0 + 1, 0),
        (P0, 0),  # nonce but no chunks
    ],
)
def test_truncated_payload(cut: int, released: int) -> None:
    out, err = open_(CT3[:cut])
    assert isinstance(err, PayloadError)
    assert out == PLAIN3[:released]


@pytest.mark.parametrize("cut", [P0 - 1, P0 - NONCE_SIZE, 30, 0])
def test_truncated_header_or_nonce(cut: int) -> None:
    out, err = open_(CT3[:cut])
    assert isinstance(err, HeaderError)
    assert out == b""


def test_truncated_at_boundary_of_exact_multiple() -> None:
    """With a full last chunk, cutting it off leaves a valid-looking non-last chunk: still an error."""
    plain = os.urandom(2 * CHUNK)
    ct = seal(plain)
    start = payload_start(ct)
    assert len(ct) == start + 2 * ENC_CHUNK_SIZE  # no empty trailing chunk is ever written
    out, err = open_(ct[: start + ENC_CHUNK_SIZE])
    assert isinstance(err, PayloadError)
    assert out == plain[:CHUNK]


def test_reordered_chunks() -> None:
    first, second = CT3[P0 : P0 + ENC_CHUNK_SIZE], CT3[P0 + ENC_CHUNK_SIZE : P0 + 2 * ENC_CHUNK_SIZE]
    swapped = CT3[:P0] + second + first + CT3[P0 + 2 * ENC_CHUNK_SIZE :]
    out, err = open_(swapped)
    assert isinstance(err, PayloadError)
    assert out == b""


def test_dropped_middle_chunk() -> None:
    out, err = open_(CT3[: P0 + ENC_CHUNK_SIZE] + CT3[P0 + 2 * ENC_CHUNK_SIZE :])
    assert isinstance(err, PayloadError)
    assert out == PLAIN3[:CHUNK]


@pytest.mark.parametrize("extra", [b"\x00", b"garbage" * 10, os.urandom(ENC_CHUNK_SIZE)])
def test_extended_short_last_chunk(extra: bytes) -> None:
    out, err = open_(CT3 + extra)
    assert isinstance(err, PayloadError)
    assert out == PLAIN3[: 2 * CHUNK]


@pytest.mark.parametrize("extra", [b"\x00", os.urandom(100)])
def test_extended_full_last_chunk(extra: bytes) -> None:
    """A full last chunk authenticates and is released, then the trailing bytes are refused."""
    plain = os.urandom(CHUNK)
    out, err = open_(seal(plain) + extra)
    assert isinstance(err, PayloadError)
    assert "trailing" in str(err)
    assert out == plain


def test_last_chunk_repeated() -> None:
    plain = os.urandom(CHUNK)
    ct = seal(plain)
    out, err = open_(ct + ct[payload_start(ct) :])
    assert isinstance(err, PayloadError)
    assert out == plain


def _hand_built(chunks: list[tuple[bytes, bool]]) -> bytes:
    """A file whose STREAM chunks (plaintext, last flag) are chosen by the test."""
    file_key, nonce = os.urandom(16), os.urandom(NONCE_SIZE)
    header = Header.build(IDENTITY.recipient().wrap(file_key), file_key)
    aead = ChaCha20Poly1305(payload_key(file_key, nonce))
    body = b"".join(
        aead.encrypt(i.to_bytes(11, "big") + bytes([last]), p, None) for i, (p, last) in enumerate(chunks)
    )
    return header.encode() + nonce + body


def test_empty_last_chunk_after_full_chunk() -> None:
    plain = os.urandom(CHUNK)
    out, err = open_(_hand_built([(plain, False), (b"", True)]))
    assert isinstance(err, PayloadError)
    assert out == plain


def test_two_last_chunks() -> None:
    plain = os.urandom(CHUNK)
    out, err = open_(_hand_built([(plain, True), (b"more", True)]))
    assert isinstance(err, PayloadError)
    assert out == plain


def test_short_non_last_chunk() -> None:
    out, err = open_(_hand_built([(b"short", False), (b"x", True)]))
    assert isinstance(err, PayloadError)
    assert out == b""


def test_no_last_chunk() -> None:
    plain = os.urandom(CHUNK)
    out, err = open_(_hand_built([(plain, False)]))
    assert isinstance(err, PayloadError)
    assert out == plain


def test_hand_built_valid_file_decrypts() -> None:
    """Control for the hand-built cases: the same construction with correct flags works."""
    chunks = [os.urandom(CHUNK), b"tail"]
    assert open_(_hand_built([(chunks[0], False), (chunks[1], True)])) == (b"".join(chunks), None)


@pytest.mark.parametrize("chunk", [0, 1, 2])
@pytest.mark.parametrize("where", [0, 1000, -17, -1])  # start, middle, last ciphertext byte, tag byte
def test_payload_bit_flip(chunk: int, where: int) -> None:
    start = P0 + chunk * ENC_CHUNK_SIZE
    end = min(start + ENC_CHUNK_SIZE, len(CT3))
    pos = (start if where >= 0 else end) + where
    ct = bytearray(CT3)
    ct[pos] ^= 0x01
    out, err = open_(bytes(ct))
    assert isinstance(err, PayloadError)
    assert out == PLAIN3[: chunk * CHUNK]


def test_nonce_bit_flip() -> None:
    ct = bytearray(CT3)
    ct[P0 - 1] ^= 0x80
    out, err = open_(bytes(ct))
    assert isinstance(err, PayloadError)
    assert out == b""


def test_header_mac_flip() -> None:
    header = read_header(io.BytesIO(CT3))
    mac = bytearray(header.mac)
    mac[5] ^= 0x04
    forged = Header(header.stanzas, bytes(mac), header.raw).encode()
    out, err = open_(forged + CT3[len(header.encode()) :])
    assert isinstance(err, WrongFileKey)
    assert out == b""


def test_header_stanza_body_flip() -> None:
    header = read_header(io.BytesIO(CT3))
    stanza = header.stanzas[0]
    body = bytearray(stanza.body)
    body[0] ^= 0x01
    changed = type(stanza)(stanza.type, stanza.args, bytes(body))
    raw = header.raw.replace(stanza.encode(), changed.encode())
    forged = Header((changed,), header.mac, raw).encode()
    out, err = open_(forged + CT3[len(header.encode()) :])
    assert isinstance(err, NoMatchingIdentity)
    assert out == b""


def test_header_text_flip_added_stanza() -> None:
    """Any extra byte in the header (here a whole grease stanza) breaks the MAC."""
    header = read_header(io.BytesIO(CT3))
    raw = header.raw.replace(b"\n---", b"\n-> grease x\n\n---")
    forged = Header(header.stanzas, header.mac, raw).encode()
    out, err = open_(forged + CT3[len(header.encode()) :])
    assert isinstance(err, WrongFileKey)
    assert out == b""


@pytest.mark.parametrize("pos", [0, 5, 21, 25, 40])
def test_header_byte_flip_is_an_error(pos: int) -> None:
    ct = bytearray(CT3)
    ct[pos] ^= 0x20
    out, err = open_(bytes(ct))
    assert isinstance(err, HeaderError | NoMatchingIdentity | WrongFileKey)
    assert out == b""


def test_wrong_file_key_writes_nothing() -> None:
    out = io.BytesIO()
    with pytest.raises(WrongFileKey):
        decrypt_with_file_key(io.BytesIO(CT3), out, os.urandom(16))
    assert out.getvalue() == b""


@pytest.mark.parametrize("key", [b"", b"\x00" * 15, b"\x00" * 17])
def test_malformed_file_key_writes_nothing(key: bytes) -> None:
    out = io.BytesIO()
    with pytest.raises(WrongFileKey):
        decrypt_with_file_key(io.BytesIO(CT3), out, key)
    assert out.getvalue() == b""


class TrackingReader(io.BytesIO):
    """Records the furthest offset read, to show the payload is never touched on a wrong key."""

    furthest = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data


def test_wrong_file_key_reads_no_payload() -> None:
    ct = seal(os.urandom(10 * CHUNK))
    src = TrackingReader(ct)
    with pytest.raises(WrongFileKey):
        decrypt_with_file_key(src, io.BytesIO(), os.urandom(16))
    assert src.furthest < payload_start(ct) + ENC_CHUNK_SIZE  # header plus at most one read-ahead block


def test_right_file_key() -> None:
    key = unwrap_file_key(io.BytesIO(CT3), [IDENTITY])
    assert len(key) == 16
    out = io.BytesIO()
    decrypt_with_file_key(io.BytesIO(CT3), out, key)
    assert out.getvalue() == PLAIN3


def test_armor_tampering() -> None:
    armored = seal(PLAIN3[:5000], armor=True)
    assert open_(armored) == (PLAIN3[:5000], None)
    lines = armored.splitlines(keepends=True)
    no_end = b"".join(lines[:-1])
    assert isinstance(open_(no_end)[1], ArmorError)
    short_line = b"".join([*lines[:2], lines[2][:40] + b"\n", *lines[3:]])
    assert isinstance(open_(short_line)[1], ArmorError)
    # Valid armor around a truncated file: the armor is fine, the payload is not.
    out = io.BytesIO()
    with pytest.raises(PayloadError):
        decrypt(io.BytesIO(seal(PLAIN3[:5000])[:-1]), out, [IDENTITY])


@pytest.mark.parametrize("bad", [b"*", b"=", b" ", b"\n"])
def test_armor_corruption_deep_inside(bad: bytes) -> None:
    """A bad character far into a large armored file: the chunks before it are released, then ArmorError."""
    armored = bytearray(seal(PLAIN3, armor=True))
    pos = len(armored) * 3 // 4  # inside the third chunk's text
    pos += 1 if armored[pos : pos + 1] == b"\n" else 0
    armored[pos : pos + 1] = bad
    out, err = open_(bytes(armored))
    assert isinstance(err, ArmorError)
    assert out == PLAIN3[: len(out)] and len(out) % CHUNK == 0
