"""ASCII armor: strict PEM-like encoding of a whole age file (C2SP age, "ASCII armor").

Rules, matching the reference implementation and the CCTV vectors: exact BEGIN/END lines, no
PEM headers, 64-column lines of padded canonical base64 with only the last line shorter, LF or
CRLF line endings, and at most 1 KiB of whitespace before and after.
"""

from __future__ import annotations

import binascii

from .errors import ArmorError
from .source import Source, Writable

__all__ = ["BEGIN", "END", "ArmorReader", "ArmorWriter"]

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
_COLUMNS = 64
_LINE_BYTES = 48
_MAX_WHITESPACE = 1024
_MAX_LINE = 4096
_WS = b" \t\r\n\x0b\x0c"


class ArmorWriter:
    """Armors everything written to it; close() writes the last line and the END line."""

    def __init__(self, dst: Writable) -> None:
        self._dst = dst
        self._pending = bytearray()
        dst.write(BEGIN + b"\n")

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        self._pending += data
        usable = len(self._pending) - len(self._pending) % _LINE_BYTES
        if usable:
            self._emit(self._pending[:usable])
            del self._pending[:usable]
        return len(data)

    def _emit(self, data: bytes | bytearray) -> None:
        text = binascii.b2a_base64(data, newline=False)
        lines = [text[i : i + _COLUMNS] for i in range(0, len(text), _COLUMNS)]
        self._dst.write(b"\n".join(lines) + b"\n")

    def close(self) -> None:
        """Flush and write the END line; the underlying writer is left open."""
        if self._pending:
            self._emit(self._pending)
            self._pending.clear()
        self._dst.write(END + b"\n")


class ArmorReader:
    """Decodes an armored file lazily; read() raises ArmorError as soon as bad armor is seen."""

    def __init__(self, src: Source) -> None:
        self._src = src
        self._text = bytearray()
        self._pos = 0
        self._src_eof = False
        self._started = False
        self._done = False
        self._out = bytearray()
        self._slow_lines = 0  # lines to take one by one after a failed bulk decode

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            while not self._done:
                self._decode_more()
            size = len(self._out)
        while len(self._out) < size and not self._done:
            self._decode_more()
        data = bytes(self._out[:size])
        del self._out[:size]
        return data

    def _more_text(self) -> bool:
        if self._src_eof:
            return False
        if self._pos > 1 << 16:  # compact occasionally rather than on every read
            del self._text[: self._pos]
            self._pos = 0
        data = self._src.read_some(1 << 16)
        if not data:
            self._src_eof = True
            return False
        self._text += data
        return True

    def _line(self) -> tuple[bytes, bool]:
        """Next line without its LF and one trailing CR; the flag is False at EOF with no text left."""
        while True:
            idx = self._text.find(b"\n", self._pos, self._pos + _MAX_LINE + 1)
            if idx >= 0:
                line, self._pos = self._text[self._pos : idx], idx + 1
                break
            if len(self._text) - self._pos > _MAX_LINE:
                raise ArmorError("armor line too long")
            if not self._more_text():
                line, self._pos = self._text[self._pos :], len(self._text)
                if not line:
                    return b"", False
                break
        return bytes(line[:-1] if line.endswith(b"\r") else line), True

    def _decode_more(self) -> None:
        if not self._started:
            self._read_begin()
            return
        # Make sure the bulk path sees a decent amount of text before trying it.
        if len(self._text) - self._pos < 1 << 15:
            self._more_text()
        if self._slow_lines:
            self._slow_lines -= 1
        elif self._decode_bulk():
            return
        line, _ = self._line()
        if line == END:
            self._finish()
            return
        data = self._decode_line(line)
        self._out += data
        if len(data) < _LINE_BYTES:
            if self._line()[0] != END:
                raise ArmorError("armor: short line not followed by the END line")
            self._finish()

    def _decode_bulk(self) -> bool:
        """Decode a run of full 64-column lines in a few C-level passes; False if there is none.

        The last full line of the run is left to the line-by-line path, since it may be the
        final line (possibly padded). Any other irregularity makes the strict decode fail; the
        run is then handed to the line-by-line path, which reports the exact error.
        """
        text, pos = self._text, self._pos
        crlf = text[pos + _COLUMNS : pos + _COLUMNS + 2] == b"\r\n"
        if not crlf and text[pos + _COLUMNS : pos + _COLUMNS + 1] != b"\n":
            return False
        width = _COLUMNS + 1 + crlf
        end = pos + (len(text) - pos) // width * width
        good = (end - pos) // width
        # Strided slices pick out the separator column(s) without copying the text itself.
        for offset, sep in ((width - 1, b"\n"), (width - 2, b"\r")) if crlf else ((width - 1, b"\n"),):
            seps = text[pos + offset : end : width]
            good = min(good, len(seps) - len(seps.lstrip(sep)))
        good -= 1
        if good < 1:
            return False
        lines = bytes(text[pos : pos + good * width]).translate(None, b"\r\n")
        try:
            data = binascii.a2b_base64(lines, strict_mode=True)
        except binascii.Error:
            data = b""
        # A stray CR/LF inside a line, padding or a bad character: all show up as a length mismatch.
        if len(lines) != good * _COLUMNS or len(data) != good * _LINE_BYTES:
            self._slow_lines = good
            return False
        self._out += data
        self._pos += good * width
        return True

    def _read_begin(self) -> None:
        skipped = 0
        while True:
            line, ok = self._line()
            if not ok:
                raise ArmorError("armor: missing BEGIN line")
            if line.strip(_WS):
                break
            skipped += len(line) + 1
            if skipped > _MAX_WHITESPACE:
                raise ArmorError("armor: too much leading whitespace")
        if line != BEGIN:
            raise ArmorError(f"armor: invalid first line {line[:80]!r}")
        self._started = True

    @staticmethod
    def _decode_line(line: bytes) -> bytes:
        if not line:
            raise ArmorError("armor: empty line or missing END line")
        if len(line) > _COLUMNS:
            raise ArmorError("armor: line longer than 64 columns")
        try:
            data = binascii.a2b_base64(line, strict_mode=True)
        except binascii.Error as exc:
            raise ArmorError(f"armor: invalid base64 line {line[:80]!r}") from exc
        # strict_mode still accepts non-zero trailing bits; re-encoding catches those.
        if binascii.b2a_base64(data, newline=False) != line:
            raise ArmorError(f"armor: non-canonical base64 line {line[:80]!r}")
        return data

    def _finish(self) -> None:
        while len(self._text) - self._pos <= _MAX_WHITESPACE and self._more_text():
            pass
        rest = self._text[self._pos :]
        if rest.strip(_WS):
            raise ArmorError("armor: trailing data after the END line")
        if len(rest) >= _MAX_WHITESPACE:
            raise ArmorError("armor: too much trailing whitespace")
        self._done = True
