"""A small buffered reader: lets the header parser read lines without losing payload bytes."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Readable", "Source", "Writable"]


class Readable(Protocol):
    """Anything with a file-like read(n); the result may be bytes or any bytes-like view."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    """Anything with a file-like write(data)."""

    def write(self, data: bytes | bytearray | memoryview, /) -> object: ...


class Source:
    """Wraps a reader with a push-back buffer, exact-size reads and a sticky EOF."""

    def __init__(self, raw: Readable) -> None:
        self._raw = raw
        self._buf = bytearray()
        self._eof = False

    def _fill(self, want: int) -> bool:
        """Append up to `want` raw bytes to the buffer; False once the reader is exhausted."""
        if self._eof:
            return False
        data = self._raw.read(want)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def peek(self, n: int) -> bytes:
        """Up to n bytes from the front, without consuming them."""
        while len(self._buf) < n and self._fill(n - len(self._buf)):
            pass
        return bytes(self._buf[:n])

    def readline(self, limit: int) -> bytes:
        """One line including its b"\\n"; without it only at EOF or when `limit` bytes had no newline."""
        start = 0
        while True:
            idx = self._buf.find(b"\n", start, limit)
            if idx >= 0:
                return self._take(idx + 1)
            start = len(self._buf)
            if start >= limit or not self._fill(65536):
                return self._take(min(limit, len(self._buf)))

    def read_some(self, n: int) -> bytes:
        """At most n bytes, at least one unless at EOF; buffered bytes first."""
        if not self._buf and not self._fill(n):
            return b""
        return self._take(min(n, len(self._buf)))

    def read_exact(self, n: int) -> bytes:
        """Exactly n bytes, or fewer only at EOF.

        The fast path hands back whatever the reader returned, so a reader that returns
        memoryviews over its own memory costs no copy at all.
        """
        if not self._buf:
            if self._eof:
                return b""
            data = self._raw.read(n)
            if len(data) == n:
                return data
            if not data:
                self._eof = True
                return b""
            self._buf += data
        while len(self._buf) < n and self._fill(n - len(self._buf)):
            pass
        return self._take(min(n, len(self._buf)))

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out
