"""Whole-file operations: encrypt, decrypt, and the file-key paths used at bid opening."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import BinaryIO

from .armor import ArmorReader, ArmorWriter
from .errors import AgeError, HeaderError, WrongFileKey
from .header import MAX_HEADER_SIZE, Header, header_end, parse_header
from .recipients import FILE_KEY_SIZE, Identity, Recipient, unwrap_header
from .scrypt import ScryptRecipient
from .source import Readable, Source, Writable
from .stream import (
    ENC_CHUNK_SIZE,
    NONCE_SIZE,
    TAG_SIZE,
    Progress,
    StreamDecryptor,
    decrypt_stream,
    encrypt_stream,
    payload_key,
)

__all__ = [
    "FileKeyDecryptor",
    "decrypt",
    "decrypt_with_file_key",
    "encrypt",
    "read_header",
    "unwrap_file_key",
]

_ARMOR_SNIFF = 1024 + 5  # armor may follow up to 1 KiB of whitespace
_WS = b" \t\r\n\x0b\x0c"


def _open(src: Readable, armor: bool | None) -> Source:
    """Wrap src, undoing armor; armor=None detects it (after whitespace, the file starts '-----')."""
    source = Source(src)
    if armor is None:
        armor = source.peek(_ARMOR_SNIFF).lstrip(_WS).startswith(b"-----")
    return Source(ArmorReader(source)) if armor else source


def _decrypt_payload(source: Source, dst: Writable, file_key: bytes, progress: Progress | None) -> None:
    nonce = source.read_exact(NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise HeaderError("file ends before the payload nonce")
    decrypt_stream(source, dst, payload_key(file_key, bytes(nonce)), progress)


def encrypt(
    src: BinaryIO,
    dst: BinaryIO,
    recipients: Sequence[Recipient],
    *,
    armor: bool = False,
    progress: Progress | None = None,
) -> None:
    """Encrypt src to every recipient, streaming 64 KiB chunks into dst (which is not closed)."""
    if not recipients:
        raise ValueError("no recipients given")
    if len(recipients) > 1 and any(isinstance(r, ScryptRecipient) for r in recipients):
        raise AgeError("a passphrase (scrypt) recipient must be the only recipient")
    file_key = os.urandom(FILE_KEY_SIZE)
    stanzas = [stanza for r in recipients for stanza in r.wrap(file_key)]
    if len(stanzas) > 1 and any(s.type == "scrypt" for s in stanzas):
        raise AgeError("an scrypt stanza must be the only stanza in the header")
    nonce = os.urandom(NONCE_SIZE)
    out: Writable = ArmorWriter(dst) if armor else dst
    out.write(Header.build(stanzas, file_key).encode() + nonce)
    encrypt_stream(Source(src), out, payload_key(file_key, nonce), progress)
    if isinstance(out, ArmorWriter):
        out.close()


def decrypt(
    src: BinaryIO,
    dst: BinaryIO,
    identities: Sequence[Identity],
    *,
    progress: Progress | None = None,
    armor: bool | None = None,
) -> None:
    """Decrypt src into dst. Only authenticated chunks are written; errors come after the good prefix.

    armor=None detects ASCII armor; True/False insist on armored/binary input.
    """
    source = _open(src, armor)
    file_key = unwrap_header(parse_header(source), identities)
    _decrypt_payload(source, dst, file_key, progress)


def read_header(src: BinaryIO, *, armor: bool | None = None) -> Header:
    """Parse just the header, for inspection (stanza types, MAC); nothing is verified."""
    return parse_header(_open(src, armor))


def unwrap_file_key(src: BinaryIO, identities: Sequence[Identity], *, armor: bool | None = None) -> bytes:
    """The 16-byte file key, after checking it against the header MAC."""
    return unwrap_header(parse_header(_open(src, armor)), identities)


def decrypt_with_file_key(
    src: BinaryIO,
    dst: BinaryIO,
    file_key: bytes,
    *,
    progress: Progress | None = None,
    armor: bool | None = None,
) -> None:
    """Decrypt with a revealed file key. The header MAC is checked first, so a wrong key raises
    WrongFileKey before any payload byte is decrypted or written."""
    source = _open(src, armor)
    header = parse_header(source)
    if len(file_key) != FILE_KEY_SIZE or not header.verify(bytes(file_key)):
        raise WrongFileKey("the file key does not authenticate this header")
    _decrypt_payload(source, dst, bytes(file_key), progress)


class FileKeyDecryptor:
    """``decrypt_with_file_key`` driven by the caller, for async code that reads the envelope
    itself: ``feed`` the binary (not armored) file's bytes in any pieces, each call returning the
    authenticated plaintext it completed (a view valid until the next call), then ``finish``.

    The header MAC is checked as soon as the header is complete, so a wrong key raises
    WrongFileKey before any payload byte is decrypted; ``header`` is then the parsed header.
    Only the header and nonce are copied; the payload goes to the decryptor as the views fed.
    """

    _STEP = 64 * 1024  # header bytes looked at per step: a header is usually a few hundred bytes

    def __init__(self, file_key: bytes) -> None:
        if len(file_key) != FILE_KEY_SIZE:
            raise WrongFileKey("the file key does not authenticate this header")
        self._file_key = bytes(file_key)
        self._prefix = bytearray()  # the header and nonce, until the payload starts
        self._header_end = 0
        self._payload: StreamDecryptor | None = None
        self.header: Header | None = None

    @property
    def size(self) -> int:
        """Plaintext bytes returned so far."""
        return self._payload.total if self._payload else 0

    def plaintext_size(self, file_size: int) -> int | None:
        """How many plaintext bytes a file of ``file_size`` bytes holds, once its header is in (None
        before): its payload's chunks are all full but the last. A file whose payload is not well
        formed fails its decryption all the same."""
        if self._payload is None:
            return None
        payload = file_size - self._header_end - NONCE_SIZE
        return max(0, payload - TAG_SIZE * max(1, -(-payload // ENC_CHUNK_SIZE)))

    def feed(self, data: bytes | bytearray | memoryview) -> memoryview:
        if self._payload is not None:
            return self._payload.feed(data)
        view = memoryview(data).cast("B")
        taken = 0
        while taken < view.nbytes:
            step = view[taken : taken + self._STEP]
            self._prefix += step
            taken += step.nbytes
            start = self._start()
            if start >= 0:  # the payload's first bytes are the last ones of the prefix
                rest = view[taken - (len(self._prefix) - start) :]
                self._prefix = bytearray()
                return self.feed(rest)
        return view[:0]

    def finish(self) -> memoryview:
        if self._payload is not None:
            return self._payload.finish()
        if self.header is None:  # let the parser say what is wrong with the short header
            parse_header(Source(io.BytesIO(bytes(self._prefix))))
            raise HeaderError("header truncated")
        raise HeaderError("file ends before the payload nonce")

    def _start(self) -> int:
        """Where the payload starts in the prefix once the header (checked) and nonce are in, else -1."""
        if self.header is None:
            end = header_end(self._prefix)
            if end < 0:
                if len(self._prefix) > MAX_HEADER_SIZE:
                    parse_header(Source(io.BytesIO(bytes(self._prefix))))  # raises "header too large"
                return -1
            source = Source(io.BytesIO(bytes(self._prefix[:end])))
            header = parse_header(source)
            if source.read_some(1):
                raise HeaderError("malformed header")
            if not header.verify(self._file_key):
                raise WrongFileKey("the file key does not authenticate this header")
            self.header, self._header_end = header, end
        start = self._header_end + NONCE_SIZE
        if len(self._prefix) < start:
            return -1
        nonce = bytes(self._prefix[self._header_end : start])
        self._payload = StreamDecryptor(payload_key(self._file_key, nonce))
        return start
