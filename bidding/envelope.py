"""Checks on a sealed envelope as it streams past, without decrypting (the server cannot).

``EnvelopeCheck`` wraps the upload stream: it counts bytes (413 past the tender's limit, 422 past the
length the manifest announced), hashes nothing itself (the blob store does) and parses the age
header from the first bytes. ``finish`` then checks the STREAM payload's framing from the total
length: a nonce, then 64 KiB + 16-byte-tag chunks, the last one shorter (or full) but never empty
unless it is the only one. That is all a well-formed binary age file promises without a key.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterable, AsyncIterator

from core.errors import DomainError, InvalidInput
from crypto.age import AgeError, header_end, read_header

HEADER_LIMIT = 1 << 20
NONCE = 16
TAG = 16
CHUNK = 64 * 1024
SEALED_CHUNK = CHUNK + TAG


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class BadEnvelope(InvalidInput):
    code = "bad_envelope"


class EnvelopeCheck:
    def __init__(self, *, limit: int, expected_length: int) -> None:
        self.limit = limit
        self.expected_length = expected_length
        self.size = 0
        self.header_length: int | None = None
        self.header: bytes | None = None  # the header's bytes as sent (kept with the submission)
        self.stanzas = 0
        self._prefix = bytearray()

    async def wrap(self, source: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        async for chunk in source:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.limit:
                raise TooLarge(
                    f"投标文件超过本项目上限 {self.limit // (1024 * 1024)} MiB "
                    f"(sealed bid larger than this tender's limit of {self.limit} bytes)"
                )
            if self.size > self.expected_length:
                raise BadEnvelope(
                    f"上传内容长于清单声明的 {self.expected_length} 字节 (body longer than the manifest says)"
                )
            if self.header_length is None:
                self._feed_header(chunk)
            yield chunk

    def _feed_header(self, chunk: bytes) -> None:
        self._prefix += chunk
        end = header_end(self._prefix)
        if end < 0:  # the MAC line is not all here yet
            if len(self._prefix) > HEADER_LIMIT:
                raise BadEnvelope("age 文件头过大或缺失 (no age header in the first MiB)")
            if not b"age-encryption.org/v1\n".startswith(bytes(self._prefix[:22])):
                raise BadEnvelope("不是 age v1 加密文件 (not an age v1 file)")
            return
        try:
            header = read_header(io.BytesIO(bytes(self._prefix[:end])), armor=False)
        except AgeError as exc:
            raise BadEnvelope(f"age 文件头无效 (malformed age header): {exc}") from None
        if not header.stanzas or any(s.type != "X25519" for s in header.stanzas):
            raise BadEnvelope("投标文件须加密给 X25519 接收方 (only X25519 recipients are accepted)")
        self.stanzas = len(header.stanzas)
        self.header = bytes(self._prefix[:end])
        self.header_length = len(self.header)
        self._prefix = bytearray()

    def finish(self) -> None:
        """After the last byte: the header was seen and the payload is framed like STREAM."""
        if self.header_length is None:
            raise BadEnvelope("不是完整的 age 加密文件 (truncated: no complete age header)")
        if self.stanzas < 2:
            raise BadEnvelope(
                "投标文件须同时加密给投标人和开标公钥 (needs the bidder's and the opening recipient)"
            )
        payload = self.size - self.header_length - NONCE
        if payload < TAG:
            raise BadEnvelope("age 文件不完整 (truncated payload)")
        full, last = divmod(payload, SEALED_CHUNK)
        # An empty final chunk is only allowed when it is the only chunk (empty plaintext).
        if (last == 0 and full == 0) or (0 < last < TAG) or (last == TAG and full > 0):
            raise BadEnvelope("age 数据分块长度无效 (payload length is not a valid STREAM framing)")
