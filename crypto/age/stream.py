"""The STREAM payload: 64 KiB ChaCha20-Poly1305 chunks, counter nonces, last-chunk flag.

Both directions run in constant memory. The loops are written for throughput: one AEAD object,
preallocated output buffers filled by encrypt_into/decrypt_into, and the 12-byte nonce
(11-byte big-endian counter, then the last-chunk flag byte) built with a single int.to_bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import PayloadError
from .source import Source, Writable

__all__ = [
    "CHUNK_SIZE",
    "ENC_CHUNK_SIZE",
    "NONCE_SIZE",
    "Progress",
    "StreamDecryptor",
    "decrypt_stream",
    "encrypt_stream",
    "payload_key",
]

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENC_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
NONCE_SIZE = 16  # the random per-file nonce that salts the payload key

Progress = Callable[[int], None]


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """HKDF-SHA-256(ikm=file_key, salt=nonce, info="payload")."""
    return HKDF(hashes.SHA256(), 32, salt=nonce, info=b"payload").derive(file_key)


def encrypt_stream(src: Source, dst: Writable, key: bytes, progress: Progress | None = None) -> int:
    """Encrypt src to dst; returns the plaintext length.

    A chunk is only known to be the last once the next read comes back empty, so one chunk is
    always held back. Per the spec the last chunk may be full, and is empty only for an empty
    payload.
    """
    aead = ChaCha20Poly1305(key)
    out = memoryview(bytearray(ENC_CHUNK_SIZE))
    counter = 0  # shifted left by 8 below: the low nonce byte is the last-chunk flag
    total = 0
    cur = src.read_exact(CHUNK_SIZE)
    while True:
        nxt = src.read_exact(CHUNK_SIZE) if len(cur) == CHUNK_SIZE else b""
        last = not nxt
        n = len(cur)
        view = out if n == CHUNK_SIZE else out[: n + TAG_SIZE]
        aead.encrypt_into((counter | last).to_bytes(12, "big"), cur, None, view)
        dst.write(view)
        total += n
        if progress is not None:
            progress(total)
        if last:
            return total
        cur = nxt
        counter += 256


def decrypt_stream(src: Source, dst: Writable, key: bytes, progress: Progress | None = None) -> int:
    """Decrypt src to dst, writing only authenticated chunks; returns the plaintext length.

    Mirrors the reference implementation: a short chunk must be the last one; a full chunk is
    tried as non-last first and, if that fails, as a full-size last chunk. After the last chunk
    the source must be at EOF. Anything else raises PayloadError after the good prefix is written.
    """
    aead = ChaCha20Poly1305(key)
    out = memoryview(bytearray(CHUNK_SIZE))
    counter = 0
    total = 0
    while True:
        chunk = src.read_exact(ENC_CHUNK_SIZE)
        n = len(chunk)
        if n == ENC_CHUNK_SIZE:
            view = out
            try:
                aead.decrypt_into(counter.to_bytes(12, "big"), chunk, None, view)
                last = False
            except InvalidTag:
                _open_last(aead, counter, chunk, view)
                last = True
        elif n == 0:
            raise PayloadError("payload truncated: missing last chunk")
        elif n < TAG_SIZE:
            raise PayloadError("payload truncated: chunk shorter than its tag")
        elif n == TAG_SIZE and counter:
            raise PayloadError("last chunk is empty (only an empty payload may have one)")
        else:
            view = out[: n - TAG_SIZE]
            _open_last(aead, counter, chunk, view)
            last = True
        dst.write(view)
        total += len(view)
        if progress is not None:
            progress(total)
        if last:
            if src.read_exact(1):
                raise PayloadError("trailing data after the last chunk")
            return total
        counter += 256


class StreamDecryptor:
    """The STREAM payload decrypted incrementally: ``feed`` ciphertext as it arrives (any sizes),
    get back the authenticated plaintext of the chunks it completed; ``finish`` at the end.

    The rules are decrypt_stream's: a full chunk is tried as non-last first, then as a full-size
    last chunk; a short chunk must be the last; nothing may follow the last chunk. A violation
    raises PayloadError; every byte returned before it was authenticated. For speed the plaintext
    of one call is a view of a buffer reused by the next call: use or copy it before feeding more.
    """

    def __init__(self, key: bytes) -> None:
        self._aead = ChaCha20Poly1305(key)
        self._counter = 0  # shifted left by 8: the low nonce byte is the last-chunk flag
        self._pending = bytearray()  # a chunk split between two feeds
        self._out = memoryview(bytearray(0))
        self._done = False
        self.total = 0

    def feed(self, data: bytes | bytearray | memoryview) -> memoryview:
        view = memoryview(data).cast("B")
        if not view.nbytes:
            return view
        if self._done:
            raise PayloadError("trailing data after the last chunk")
        if self._pending:
            need = ENC_CHUNK_SIZE - len(self._pending)
            if view.nbytes <= need:  # a full pending chunk may be the last: keep it until more comes
                self._pending += view
                return view[:0]
            self._pending += view[:need]
            view = view[need:]
        first = ENC_CHUNK_SIZE if self._pending else 0
        # Only chunks followed by more data are opened now: a chunk that ends the data fed so far
        # stays pending, as it may be the last (which ``finish`` or the next feed decides).
        whole = (view.nbytes - 1) // ENC_CHUNK_SIZE
        size = (whole + (1 if first else 0)) * CHUNK_SIZE
        if len(self._out) < size:
            self._out = memoryview(bytearray(size))
        at = 0
        if first:
            at = self._open_full(memoryview(self._pending), self._out[:CHUNK_SIZE])
            self._pending = bytearray()
        for i in range(whole):
            chunk = view[i * ENC_CHUNK_SIZE : (i + 1) * ENC_CHUNK_SIZE]
            at += self._open_full(chunk, self._out[at : at + CHUNK_SIZE])
        rest = view[whole * ENC_CHUNK_SIZE :]
        if self._done and rest.nbytes:
            raise PayloadError("trailing data after the last chunk")
        self._pending += rest
        self.total += at
        return self._out[:at]

    def finish(self) -> memoryview:
        """The last chunk's plaintext; raises PayloadError if the payload is truncated."""
        chunk = memoryview(self._pending)
        self._pending = bytearray()
        n = chunk.nbytes
        if self._done:
            return chunk[:0]
        if n == 0:
            raise PayloadError("payload truncated: missing last chunk")
        if n < TAG_SIZE:
            raise PayloadError("payload truncated: chunk shorter than its tag")
        if n == TAG_SIZE and self._counter:
            raise PayloadError("last chunk is empty (only an empty payload may have one)")
        out = memoryview(bytearray(n - TAG_SIZE))
        if n == ENC_CHUNK_SIZE:
            self._open_full(chunk, out)
            if not self._done:
                raise PayloadError("payload truncated: missing last chunk")
        else:
            _open_last(self._aead, self._counter, chunk, out)
            self._done = True
        self.total += len(out)
        return out

    def _open_full(self, chunk: memoryview, out: memoryview) -> int:
        if self._done:
            raise PayloadError("trailing data after the last chunk")
        try:
            self._aead.decrypt_into(self._counter.to_bytes(12, "big"), chunk, None, out)
        except InvalidTag:
            _open_last(self._aead, self._counter, chunk, out)
            self._done = True
        self._counter += 256
        return CHUNK_SIZE


def _open_last(aead: ChaCha20Poly1305, counter: int, chunk: bytes | memoryview, view: memoryview) -> None:
    try:
        aead.decrypt_into((counter | 1).to_bytes(12, "big"), chunk, None, view)
    except InvalidTag:
        raise PayloadError(f"payload chunk {counter >> 8} failed authentication") from None
