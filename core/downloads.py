"""A stored file sent back as a download: one shape for every route that serves a blob-store document."""

from __future__ import annotations

from urllib.parse import quote

from litestar.response import Stream

from core.blobs import BlobStore


def attachment(name: str) -> str:
    """The ``Content-Disposition`` value that saves the answer as ``name`` (any script, RFC 6266/5987)."""
    return f"attachment; filename*=UTF-8''{quote(name, safe='')}"


async def stored_file(blobs: BlobStore, blob_key: str, name: str, sha256: str) -> Stream:
    """The blob streamed as ``name``, with its length and its SHA-256 in ``X-Content-SHA256``."""
    reader = await blobs.open(blob_key)
    return Stream(
        reader,
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(reader.size),
            "Content-Disposition": attachment(name),
            "X-Content-SHA256": sha256,
        },
    )
