"""API behaviour: key strings, identity files, recipient rules, progress and memory use."""

from __future__ import annotations

import io
import os
import tracemalloc

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from crypto.age import (
    AgeError,
    HeaderError,
    NoMatchingIdentity,
    ScryptIdentity,
    ScryptRecipient,
    Stanza,
    X25519Identity,
    X25519Recipient,
    bech32,
    decrypt,
    encrypt,
    header_end,
    parse_identities,
    read_header,
    unwrap_file_key,
)
from crypto.age.encoding import b64decode
from crypto.age.header import MAX_HEADER_SIZE, MAX_STANZAS
from crypto.age.stream import CHUNK_SIZE, payload_key

# From the CCTV vectors: this identity opens x25519 and friends.
KNOWN_IDENTITY = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"


def seal(plain: bytes, recipients: list[X25519Recipient | ScryptRecipient], armor: bool = False) -> bytes:
    out = io.BytesIO()
    encrypt(io.BytesIO(plain), out, recipients, armor=armor)
    return out.getvalue()


def test_identity_strings_roundtrip() -> None:
    ident = X25519Identity.generate()
    text = ident.to_str()
    assert text.startswith("AGE-SECRET-KEY-1") and text.isupper()
    assert X25519Identity.from_str(text).to_str() == text
    recipient = ident.recipient().to_str()
    assert recipient.startswith("age1") and recipient.islower()
    assert X25519Recipient.from_str(recipient) == ident.recipient()
    assert X25519Identity.from_str(KNOWN_IDENTITY).to_str() == KNOWN_IDENTITY


def test_identity_repr_hides_secret() -> None:
    ident = X25519Identity.from_str(KNOWN_IDENTITY)
    assert KNOWN_IDENTITY not in repr(ident)
    assert KNOWN_IDENTITY[16:] not in repr(ident)


@pytest.mark.parametrize(
    "text",
    [
        KNOWN_IDENTITY.lower(),  # age insists on upper case for identities
        KNOWN_IDENTITY[:-1] + "Q",  # checksum
        KNOWN_IDENTITY[:20] + KNOWN_IDENTITY[20:].lower(),  # mixed case
        KNOWN_IDENTITY.replace("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-PQ-1"),
        "",
        "AGE-SECRET-KEY-1",
    ],
)
def test_bad_identity_strings(text: str) -> None:
    with pytest.raises(AgeError):
        X25519Identity.from_str(text)


def test_bad_recipient_strings() -> None:
    good = X25519Identity.generate().recipient().to_str()
    for text in [good.upper(), good[:-1] + ("q" if good[-1] != "q" else "p"), "age1", KNOWN_IDENTITY]:
        with pytest.raises(AgeError):
            X25519Recipient.from_str(text)


def test_bech32_reference_vectors() -> None:
    # BIP 173 valid bech32 strings (checksum constant 1).
    for text in ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"]:
        hrp, data = bech32.decode(text)
        assert bech32.encode(hrp, data) == text
    with pytest.raises(AgeError):
        bech32.decode("A1G7SGD8")  # BIP 173: checksum computed over the upper-case HRP


def test_parse_identities() -> None:
    a, b = X25519Identity.generate(), X25519Identity.generate()
    text = f"# created: today\r\n# public key: x\r\n{a.to_str()}\r\n\n\n# another\n{b.to_str()}\n"
    parsed = parse_identities(text)
    assert [i.to_str() for i in parsed] == [a.to_str(), b.to_str()]


def test_parse_identities_errors_do_not_leak_keys() -> None:
    secret = X25519Identity.generate().to_str()
    with pytest.raises(AgeError) as excinfo:
        parse_identities(f"# ok\n{secret[:-1]}x\n")
    assert "line 2" in str(excinfo.value)
    assert secret[16:40] not in str(excinfo.value)
    with pytest.raises(AgeError):
        parse_identities("# only comments\n\n")


def test_multiple_recipients_and_identity_order() -> None:
    ids = [X25519Identity.generate() for _ in range(3)]
    ct = seal(b"bid", [i.recipient() for i in ids])
    assert [s.type for s in read_header(io.BytesIO(ct)).stanzas] == ["X25519"] * 3
    stranger = X25519Identity.generate()
    out = io.BytesIO()
    decrypt(io.BytesIO(ct), out, [stranger, ids[2]])
    assert out.getvalue() == b"bid"
    with pytest.raises(NoMatchingIdentity):
        decrypt(io.BytesIO(ct), io.BytesIO(), [stranger])


def test_scrypt_roundtrip_and_rules() -> None:
    ct = seal(b"secret bid", [ScryptRecipient("pass phrase", work_factor=10)])
    (stanza,) = read_header(io.BytesIO(ct)).stanzas
    assert stanza.type == "scrypt" and stanza.args[1] == "10" and len(b64decode(stanza.args[0])) == 16
    out = io.BytesIO()
    decrypt(io.BytesIO(ct), out, [ScryptIdentity(b"pass phrase")])
    assert out.getvalue() == b"secret bid"
    with pytest.raises(NoMatchingIdentity):
        decrypt(io.BytesIO(ct), io.BytesIO(), [ScryptIdentity("wrong")])
    with pytest.raises(HeaderError):  # a work factor above the limit is refused before any work
        decrypt(io.BytesIO(ct), io.BytesIO(), [ScryptIdentity("pass phrase", max_work_factor=9)])


def test_scrypt_must_be_alone() -> None:
    with pytest.raises(AgeError):
        seal(b"x", [ScryptRecipient("p", work_factor=2), X25519Identity.generate().recipient()])

    class TwoStanzas:
        def wrap(self, file_key: bytes) -> list[Stanza]:
            return [*ScryptRecipient("p", work_factor=2).wrap(file_key), Stanza("grease", (), b"")]

    with pytest.raises(AgeError):
        seal(b"x", [TwoStanzas()])  # type: ignore[list-item]


@pytest.mark.parametrize("factor", [0, 31, -1])
def test_scrypt_work_factor_bounds(factor: int) -> None:
    with pytest.raises(ValueError):
        ScryptRecipient("p", work_factor=factor)


def test_empty_passphrase_and_no_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        ScryptRecipient("")
    with pytest.raises(ValueError):
        ScryptIdentity(b"")
    with pytest.raises(ValueError):
        seal(b"x", [])
    with pytest.raises(ValueError):
        unwrap_file_key(io.BytesIO(seal(b"x", [X25519Identity.generate().recipient()])), [])


def test_progress_counts_plaintext() -> None:
    ident = X25519Identity.generate()
    plain = os.urandom(2 * CHUNK_SIZE + 7)
    seen: list[int] = []
    ct = io.BytesIO()
    encrypt(io.BytesIO(plain), ct, [ident.recipient()], progress=seen.append)
    assert seen == [CHUNK_SIZE, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 7]
    seen.clear()
    decrypt(io.BytesIO(ct.getvalue()), io.BytesIO(), [ident], progress=seen.append)
    assert seen == [CHUNK_SIZE, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 7]
    seen.clear()
    decrypt(io.BytesIO(seal(b"", [ident.recipient()])), io.BytesIO(), [ident], progress=seen.append)
    assert seen == [0]


def test_armor_output_shape() -> None:
    ident = X25519Identity.generate()
    text = seal(os.urandom(1000), [ident.recipient()], armor=True)
    lines = text.split(b"\n")
    assert lines[0] == b"-----BEGIN AGE ENCRYPTED FILE-----"
    assert lines[-2:] == [b"-----END AGE ENCRYPTED FILE-----", b""]
    assert all(len(line) == 64 for line in lines[1:-3]) and 0 < len(lines[-3]) <= 64
    assert read_header(io.BytesIO(text)).stanzas[0].type == "X25519"


class Zeros:
    """A large plaintext that is never held in memory."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = bytes(CHUNK_SIZE)

    def read(self, n: int = -1) -> bytes:
        n = min(n, self.left, CHUNK_SIZE)
        self.left -= n
        return self.block[:n]


class Spool:
    """Counts and discards plaintext."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def test_constant_memory(tmp_path: os.PathLike[str]) -> None:
    """Python-heap peak stays a few chunks, independent of the (32 MiB) stream length."""
    ident = X25519Identity.generate()
    path = os.path.join(tmp_path, "big.age")
    size = 32 << 20
    tracemalloc.start()
    try:
        with open(path, "wb") as f:
            encrypt(Zeros(size), f, [ident.recipient()])  # type: ignore[arg-type]
        _, enc_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sink = Spool()
        with open(path, "rb") as f:
            decrypt(f, sink, [ident])  # type: ignore[arg-type]
        _, dec_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size == size
    assert enc_peak < 1 << 20, enc_peak
    assert dec_peak < 1 << 20, dec_peak


def test_hostile_header_limits() -> None:
    """Oversized headers fail fast instead of being buffered without bound."""
    line = b"age-encryption.org/v1\n-> a " + b"x" * MAX_HEADER_SIZE + b"\n\n--- x\n"
    with pytest.raises(HeaderError, match="too large"):
        read_header(io.BytesIO(line))
    many = b"age-encryption.org/v1\n" + b"-> a\n\n" * (MAX_STANZAS + 1) + b"--- x\n"
    with pytest.raises(HeaderError, match="stanzas"):
        read_header(io.BytesIO(many))
    with pytest.raises(HeaderError, match="truncated"):
        read_header(io.BytesIO(b"age-encryption.org/v1\n-> a b\n"))


def test_header_end_is_where_the_payload_nonce_starts_and_unknown_until_the_mac_line_is_whole() -> None:
    ident = X25519Identity.generate()
    plain = os.urandom(1000)
    ct = seal(plain, [ident.recipient(), X25519Identity.generate().recipient()])
    end = header_end(ct)
    # The 16 bytes at the end are the nonce: with it the first (and last) chunk opens.
    key = payload_key(unwrap_file_key(io.BytesIO(ct), [ident]), ct[end : end + 16])
    assert ChaCha20Poly1305(key).decrypt((1).to_bytes(12, "big"), ct[end + 16 :], None) == plain
    assert header_end(bytearray(ct[:end])) == end  # the header alone: its end is known
    for cut in (0, 22, end - 40, end - 1):  # before the MAC line's newline: not yet
        assert header_end(ct[:cut]) == -1
    assert header_end(b"age-encryption.org/v1\n-> X25519 abc\n--- no newline yet") == -1


def test_header_inspection() -> None:
    ident = X25519Identity.generate()
    ct = seal(b"x", [ident.recipient(), X25519Identity.generate().recipient()], armor=True)
    header = read_header(io.BytesIO(ct))
    assert [s.type for s in header.stanzas] == ["X25519", "X25519"]
    assert len(header.mac) == 32 and header.raw.endswith(b"\n---")
    assert header.verify(unwrap_file_key(io.BytesIO(ct), [ident]))
    assert not header.verify(bytes(16))
