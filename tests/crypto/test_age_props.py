"""Property tests: round trips around chunk boundaries, many recipients, armor, odd readers."""

from __future__ import annotations

import io
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.age import (
    Header,
    Stanza,
    X25519Identity,
    decrypt,
    decrypt_with_file_key,
    encrypt,
    read_header,
    unwrap_file_key,
)
from crypto.age.armor import ArmorReader, ArmorWriter
from crypto.age.source import Source
from crypto.age.stream import CHUNK_SIZE

IDENTITIES = [X25519Identity.generate() for _ in range(4)]  # key generation kept out of the examples

# k * 64 KiB + small delta, the sizes where chunking goes wrong if it is going to.
boundary_sizes = st.builds(lambda k, d: max(0, k * CHUNK_SIZE + d), st.integers(0, 3), st.integers(-3, 3))
sizes = st.one_of(boundary_sizes, st.integers(0, 3 * CHUNK_SIZE))


def data_of(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


class TrickleReader:
    """Returns short reads of random length, as pipes and sockets do."""

    def __init__(self, data: bytes, seed: int) -> None:
        self._src = io.BytesIO(data)
        self._rng = random.Random(seed)

    def read(self, n: int = -1) -> bytes:
        return self._src.read(self._rng.randint(1, max(1, n)) if n > 0 else n)


@settings(max_examples=40, deadline=None)
@given(size=sizes, seed=st.integers(0, 2**32), armor=st.booleans(), n_recipients=st.integers(1, 4))
def test_roundtrip(size: int, seed: int, armor: bool, n_recipients: int) -> None:
    plain = data_of(size, seed)
    ids = IDENTITIES[:n_recipients]
    ct = io.BytesIO()
    seen: list[int] = []
    encrypt(io.BytesIO(plain), ct, [i.recipient() for i in ids], armor=armor, progress=seen.append)
    assert seen[-1] == size and seen == sorted(seen)
    assert len(read_header(io.BytesIO(ct.getvalue())).stanzas) == n_recipients
    keys = set()
    for identity in ids:  # every recipient can open it, to the same file key
        out = io.BytesIO()
        decrypt(io.BytesIO(ct.getvalue()), out, [identity])
        assert out.getvalue() == plain
        keys.add(unwrap_file_key(io.BytesIO(ct.getvalue()), [identity]))
    assert len(keys) == 1
    out = io.BytesIO()
    decrypt_with_file_key(io.BytesIO(ct.getvalue()), out, keys.pop())
    assert out.getvalue() == plain


@settings(max_examples=25, deadline=None)
@given(size=boundary_sizes, seed=st.integers(0, 2**32), armor=st.booleans())
def test_roundtrip_with_short_reads(size: int, seed: int, armor: bool) -> None:
    plain = data_of(size, seed)
    ct = io.BytesIO()
    encrypt(TrickleReader(plain, seed), ct, [IDENTITIES[0].recipient()], armor=armor)  # type: ignore[arg-type]
    out = io.BytesIO()
    seen: list[int] = []
    decrypt(TrickleReader(ct.getvalue(), seed + 1), out, [IDENTITIES[0]], progress=seen.append)  # type: ignore[arg-type]
    assert out.getvalue() == plain
    assert seen[-1] == size


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=600), cuts=st.lists(st.integers(0, 600), max_size=6), crlf=st.booleans())
def test_armor_roundtrip(data: bytes, cuts: list[int], crlf: bool) -> None:
    out = io.BytesIO()
    writer = ArmorWriter(out)
    start = 0
    for cut in sorted(c for c in cuts if c <= len(data)):  # arbitrary write boundaries
        writer.write(data[start:cut])
        start = cut
    writer.write(data[start:])
    writer.close()
    text = out.getvalue()
    lines = text.splitlines()
    assert all(len(line) <= 64 for line in lines)
    assert all(len(line) == 64 for line in lines[1:-2])
    if crlf:
        text = text.replace(b"\n", b"\r\n")
    assert ArmorReader(Source(io.BytesIO(b"  \n" + text + b"\n\t\n"))).read() == data


vchar_args = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    stanzas=st.lists(
        st.builds(
            Stanza,
            vchar_args,
            st.lists(vchar_args, max_size=3).map(tuple),
            st.one_of(st.binary(max_size=200), st.sampled_from([b"", bytes(48), bytes(96)])),
        ),
        max_size=4,
    ),
    key=st.binary(min_size=16, max_size=16),
)
def test_header_roundtrip(stanzas: list[Stanza], key: bytes) -> None:
    header = Header.build(stanzas, key)
    parsed = read_header(io.BytesIO(header.encode() + b"payload"))
    assert parsed == header
    assert parsed.verify(key)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(0, 20_000), seed=st.integers(0, 2**32), endings=st.lists(st.booleans(), min_size=1))
def test_armor_mixed_line_endings(size: int, seed: int, endings: list[bool]) -> None:
    """Each line may end in LF or CRLF independently; long runs exercise the bulk decoder."""
    data = data_of(size, seed)
    out = io.BytesIO()
    writer = ArmorWriter(out)
    writer.write(data)
    writer.close()
    lines = out.getvalue().split(b"\n")[:-1]
    text = b"".join(line + (b"\r\n" if endings[i % len(endings)] else b"\n") for i, line in enumerate(lines))
    assert ArmorReader(Source(io.BytesIO(text))).read() == data
