"""The C2SP CCTV age test vectors (../shared/testvectors/age), read in place, one test per vector."""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crypto.age import (
    AgeError,
    ArmorError,
    HeaderError,
    Identity,
    NoMatchingIdentity,
    PayloadError,
    ScryptIdentity,
    Stanza,
    WrongFileKey,
    X25519Identity,
    decrypt,
    decrypt_with_file_key,
    read_header,
)
from crypto.age.armor import ArmorReader, ArmorWriter
from crypto.age.source import Source
from crypto.age.stream import NONCE_SIZE, encrypt_stream, payload_key

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SUNBID_SHARED_DIR") or REPO.parent / "shared")
VECTORS = SHARED / "testvectors" / "age"

EXPECTED_ERROR: dict[str, type[AgeError]] = {
    "header failure": HeaderError,
    "payload failure": PayloadError,
    "armor failure": ArmorError,
    "no match": NoMatchingIdentity,
    "HMAC failure": WrongFileKey,
}
KNOWN_KEYS = {"expect", "payload", "file key", "identity", "passphrase", "armored", "compressed", "comment"}
# Identity types this implementation lacks, and the stanza type each one would unwrap.
UNSUPPORTED_IDENTITIES = {"AGE-SECRET-KEY-PQ-1": "mlkem768x25519"}


@dataclass
class Vector:
    name: str
    expect: str
    data: bytes
    payload: str | None = None
    file_key: bytes | None = None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    unknown_keys: list[str] = field(default_factory=list)


def load(name: str) -> Vector:
    raw = (VECTORS / name).read_bytes()
    head, _, body = raw.partition(b"\n\n")
    vec = Vector(name=name, expect="", data=body)
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        if key == "expect":
            vec.expect = value
        elif key == "payload":
            vec.payload = value
        elif key == "file key":
            vec.file_key = bytes.fromhex(value)
        elif key == "identity":
            vec.identities.append(value)
        elif key == "passphrase":
            vec.passphrases.append(value)
        elif key == "armored":
            vec.armored = value == "yes"
        elif key == "compressed":
            assert value == "zlib", value
            vec.data = zlib.decompress(body)
        if key not in KNOWN_KEYS:
            vec.unknown_keys.append(key)
    return vec


def _load_all() -> dict[str, Vector]:
    if not VECTORS.is_dir():
        return {}
    names = sorted(p.name for p in VECTORS.iterdir() if p.is_file() and p.name != "README.md")
    return {name: load(name) for name in names}


ALL = _load_all()
MISSING = ["<vectors missing>"]


def names(keep: Callable[[Vector], bool] = lambda v: True) -> list[str]:
    """Vector names for one test, chosen at collection time so skips only mean "unsupported"."""
    return [n for n, v in ALL.items() if keep(v)] or MISSING


def vector(name: str) -> Vector:
    if not ALL:
        msg = f"age test vectors not found at {VECTORS} (set SUNBID_SHARED_DIR)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    vec = ALL[name]
    if vec.unknown_keys:  # the README says such vectors must be ignored
        pytest.skip(f"vector has unknown keys {vec.unknown_keys}")
    return vec


class MatchesNothing:
    """Stands in for an identity that ignores every stanza in the file (see identities_or_skip)."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        return None


def binary(vec: Vector) -> bytes:
    """The age file itself, with any armor removed."""
    if not vec.armored:
        return vec.data
    return ArmorReader(Source(io.BytesIO(vec.data))).read()


def identities_or_skip(vec: Vector) -> list[Identity]:
    """Our identities for the vector; skip if an unsupported identity could change the outcome."""
    ids: list[Identity] = []
    try:
        stanza_types = {s.type for s in read_header(io.BytesIO(vec.data), armor=vec.armored).stanzas}
    except AgeError:
        stanza_types = set()  # the file fails before any identity is consulted
    for text in vec.identities:
        prefix = next((p for p in UNSUPPORTED_IDENTITIES if text.startswith(p)), None)
        if prefix is None:
            ids.append(X25519Identity.from_str(text))
        elif UNSUPPORTED_IDENTITIES[prefix] in stanza_types:
            pytest.skip(f"needs {UNSUPPORTED_IDENTITIES[prefix]} (hybrid ML-KEM) identities: not implemented")
        else:  # it would ignore every stanza in this file, exactly like MatchesNothing
            ids.append(MatchesNothing())
    ids.extend(ScryptIdentity(p) for p in vec.passphrases)
    return ids or [MatchesNothing()]


def check_outcome(vec: Vector, run: Callable[[io.BytesIO], None]) -> None:
    """Run `run(out)` and check it behaves as the vector's expect line says."""
    out = io.BytesIO()
    if vec.expect == "success":
        run(out)
    else:
        with pytest.raises(EXPECTED_ERROR[vec.expect]):
            run(out)
    if vec.payload is not None:  # also for payload failures: the released prefix must match
        assert hashlib.sha256(out.getvalue()).hexdigest() == vec.payload


@pytest.mark.parametrize("name", names())
def test_vector(name: str) -> None:
    vec = vector(name)
    ids = identities_or_skip(vec)
    check_outcome(vec, lambda out: decrypt(io.BytesIO(vec.data), out, ids, armor=vec.armored))


@pytest.mark.parametrize("name", names(lambda v: v.armored))
def test_vector_armor_autodetect(name: str) -> None:
    """decrypt() without armor= finds the armor by itself, with the same outcome."""
    vec = vector(name)
    ids = identities_or_skip(vec)
    if not vec.data.lstrip().startswith(b"-----"):
        # Garbage before the BEGIN line: auto-detection sees a (bad) binary file instead.
        with pytest.raises(HeaderError):
            decrypt(io.BytesIO(vec.data), io.BytesIO(), ids)
        return
    check_outcome(vec, lambda out: decrypt(io.BytesIO(vec.data), out, ids))


@pytest.mark.parametrize(
    "name", names(lambda v: v.expect in ("success", "payload failure", "HMAC failure") and bool(v.file_key))
)
def test_vector_file_key(name: str) -> None:
    """decrypt_with_file_key with the vector's file key: same payload, same failures."""
    vec = vector(name)
    key = vec.file_key
    assert key is not None
    out = io.BytesIO()
    if vec.expect == "HMAC failure":
        with pytest.raises(WrongFileKey):
            decrypt_with_file_key(io.BytesIO(vec.data), out, key)
        assert out.getvalue() == b""
        return
    check_outcome(vec, lambda o: decrypt_with_file_key(io.BytesIO(vec.data), o, key))


@pytest.mark.parametrize("name", names(lambda v: v.expect not in ("header failure", "armor failure")))
def test_vector_header_roundtrip(name: str) -> None:
    """Every header that parses re-encodes to exactly the same bytes."""
    vec = vector(name)
    header = read_header(io.BytesIO(vec.data), armor=vec.armored)
    assert binary(vec).startswith(header.encode())
    assert header.encode().startswith(header.raw)


@pytest.mark.parametrize("name", names(lambda v: v.expect == "success" and bool(v.file_key)))
def test_vector_stream_roundtrip(name: str) -> None:
    """Re-encrypting the payload with the file key and nonce reproduces the STREAM bytes."""
    vec = vector(name)
    assert vec.file_key is not None
    plain = io.BytesIO()
    decrypt_with_file_key(io.BytesIO(vec.data), plain, vec.file_key)
    data = binary(vec)
    start = len(read_header(io.BytesIO(data)).encode())
    nonce = data[start : start + NONCE_SIZE]
    out = io.BytesIO()
    encrypt_stream(Source(io.BytesIO(plain.getvalue())), out, payload_key(vec.file_key, nonce))
    assert out.getvalue() == data[start + NONCE_SIZE :]


@pytest.mark.parametrize("name", names(lambda v: v.armored and v.expect != "armor failure"))
def test_vector_armor_roundtrip(name: str) -> None:
    """Valid armor decodes and re-encodes to the same text, modulo CRLF and outer whitespace."""
    vec = vector(name)
    out = io.BytesIO()
    writer = ArmorWriter(out)
    writer.write(binary(vec))
    writer.close()
    assert out.getvalue() == vec.data.strip().replace(b"\r\n", b"\n") + b"\n"
