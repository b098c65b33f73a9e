"""Blob storage for sealed bids, tender documents and reports.

``open_blob_store(settings.blob_url)`` gives a ``BlobStore``: a folder on disk (``file://``, the
embedded default) or an S3 bucket (``s3://``, production). Both stream in both directions, so
memory stays bounded whatever the size of a blob, and both store a blob whole or not at all.

    info = await store.put("tenders/T-1/bids/42.sealed", request.stream())
    reader = await store.open(info.key)      # BlobNotFound here, before a response starts
    return Stream(reader, headers={"Content-Length": str(reader.size)})
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from ._base import (
    DEFAULT_CHUNK_SIZE,
    MAX_KEY_LENGTH,
    BlobInfo,
    BlobNotFound,
    BlobReader,
    BlobSource,
    BlobStore,
    validate_key,
)
from .file import FileBlobStore
from .s3 import S3BlobStore

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_KEY_LENGTH",
    "BlobInfo",
    "BlobNotFound",
    "BlobReader",
    "BlobSource",
    "BlobStore",
    "FileBlobStore",
    "S3BlobStore",
    "open_blob_store",
    "validate_key",
]


def open_blob_store(url: str) -> BlobStore:
    """The store a ``SUNBID_BLOB_URL`` names.

    - ``file:///abs/path`` or ``file://relative/path``: a folder (created on first write);
    - ``s3://ACCESS:SECRET@host[:port]/bucket[?secure=false&region=...]``: a bucket (created on
      first write or by ``check()``); ``secure`` defaults to true (HTTPS).

    Raises ValueError for anything else; messages never repeat the credentials.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.query or parts.fragment:
            raise ValueError("a file:// blob URL takes no query or fragment")
        # file:///abs/path has an empty netloc; in file://relative/path the first segment lands
        # in netloc, so the two together are the path either way.
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise ValueError("the file:// blob URL names no folder")
        return FileBlobStore(path)
    if scheme == "s3":
        return S3BlobStore.from_url(url)
    raise ValueError(f"unsupported blob URL scheme {scheme!r}: expected file:// or s3://")
