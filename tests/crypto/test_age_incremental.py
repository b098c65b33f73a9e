"""The incremental decryptor (``FileKeyDecryptor``): the same plaintext and the same failures as
``decrypt_with_file_key``, however the envelope is cut into pieces (the opening feeds blob reads)."""

from __future__ import annotations

import hashlib
import io
import os
import random

import pytest

from crypto.age import FileKeyDecryptor, PayloadError, WrongFileKey, X25519Identity, encrypt, unwrap_file_key
from crypto.age.stream import CHUNK_SIZE, ENC_CHUNK_SIZE
from tests.crypto.test_age_vectors import EXPECTED_ERROR, binary, names, vector

PIECES = [997, ENC_CHUNK_SIZE - 1, ENC_CHUNK_SIZE, ENC_CHUNK_SIZE + 1, 1 << 20]


def run(data: bytes, key: bytes, piece: int) -> bytes:
    decryptor = FileKeyDecryptor(key)
    out = bytearray()
    for at in range(0, len(data), piece):
        out += decryptor.feed(data[at : at + piece])
    out += decryptor.finish()
    assert decryptor.size == len(out)
    return bytes(out)


@pytest.mark.parametrize("piece", [13, 4096])
@pytest.mark.parametrize(
    "name",
    names(
        lambda v: (
            bool(v.file_key)
            and (v.expect in ("success", "payload failure", "HMAC failure"))
            and not (v.armored and v.expect != "success")
        )  # armor failures are the armor reader's
    ),
)
def test_vector_incremental(name: str, piece: int) -> None:
    """Every binary C2SP vector decrypt_with_file_key runs: same payload, or the same kind of failure."""
    vec = vector(name)
    assert vec.file_key is not None
    data = binary(vec)
    if vec.expect == "success":
        assert hashlib.sha256(run(data, vec.file_key, piece)).hexdigest() == vec.payload
    else:
        with pytest.raises(EXPECTED_ERROR[vec.expect]):
            run(data, vec.file_key, piece)


def sealed(size: int) -> tuple[bytes, bytes, bytes]:
    identity = X25519Identity.generate()
    plain = os.urandom(size)
    out = io.BytesIO()
    encrypt(io.BytesIO(plain), out, [identity.recipient()])
    data = out.getvalue()
    return plain, data, unwrap_file_key(io.BytesIO(data), [identity])


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 9]
)
def test_roundtrip_any_pieces(size: int) -> None:
    plain, data, key = sealed(size)
    for piece in PIECES:
        assert run(data, key, piece) == plain
    rng = random.Random(size)
    decryptor = FileKeyDecryptor(key)
    out, at = bytearray(), 0
    while at < len(data):
        step = rng.randint(0, 3 * ENC_CHUNK_SIZE)
        out += decryptor.feed(memoryview(data)[at : at + step])
        at += step
    out += decryptor.finish()
    assert out == plain


def test_wrong_key_before_any_payload() -> None:
    _, data, key = sealed(3 * CHUNK_SIZE)
    decryptor = FileKeyDecryptor(bytes(16))
    with pytest.raises(WrongFileKey):
        decryptor.feed(data)
    with pytest.raises(WrongFileKey):
        FileKeyDecryptor(key[:15])


@pytest.mark.parametrize("size", [CHUNK_SIZE, 2 * CHUNK_SIZE + 5])
def test_truncated_and_trailing_are_refused(size: int) -> None:
    _, data, key = sealed(size)
    for piece in PIECES:
        with pytest.raises(PayloadError):
            run(data[: -ENC_CHUNK_SIZE // 2], key, piece)
        with pytest.raises(PayloadError):
            run(data + b"x", key, piece)
    full_chunks_only = data[: len(data) - (len(data) - 1) % ENC_CHUNK_SIZE - 1] if size % CHUNK_SIZE else None
    if full_chunks_only:  # cut at a chunk boundary: the last chunk is missing
        with pytest.raises(PayloadError):
            run(full_chunks_only, key, ENC_CHUNK_SIZE)


def test_flipped_byte_fails_authentication() -> None:
    _, data, key = sealed(2 * CHUNK_SIZE)
    bad = bytearray(data)
    bad[-100] ^= 1
    with pytest.raises(PayloadError):
        run(bytes(bad), key, 1 << 20)


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 5]
)
def test_the_plaintext_size_is_known_from_the_file_size_once_the_header_is_in(size: int) -> None:
    _plain, data, key = sealed(size)
    decryptor = FileKeyDecryptor(key)
    assert decryptor.plaintext_size(len(data)) is None  # nothing fed: the header's length is unknown
    decryptor.feed(data[:20])
    assert decryptor.plaintext_size(len(data)) is None  # the header is not complete yet
    out = bytearray(decryptor.feed(data[20:]))
    assert decryptor.plaintext_size(len(data)) == size
    out += decryptor.finish()
    assert len(out) == size
