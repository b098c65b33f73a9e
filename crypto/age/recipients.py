"""Recipient/identity protocols and the header unwrapping rules shared by all types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .errors import HeaderError, NoMatchingIdentity, WrongFileKey
from .header import Header, Stanza

__all__ = ["FILE_KEY_SIZE", "Identity", "Recipient", "aead_unwrap", "aead_wrap", "unwrap_header"]

FILE_KEY_SIZE = 16
_ZERO_NONCE = bytes(12)


class Recipient(Protocol):
    """Wraps a file key into one or more stanzas."""

    def wrap(self, file_key: bytes) -> list[Stanza]: ...


class Identity(Protocol):
    """Unwraps a file key: returns None if no stanza is for it; raises HeaderError if one is malformed."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None: ...


def aead_wrap(key: bytes, file_key: bytes) -> bytes:
    """Stanza body: ChaCha20-Poly1305 with a zero nonce (each wrapping key is used once)."""
    return ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)


def aead_unwrap(key: bytes, body: bytes) -> bytes | None:
    """Open a stanza body; None when the tag fails, which just means "not for this identity"."""
    # The length check comes first so an over-long body is a header error, never a trial decryption.
    if len(body) != FILE_KEY_SIZE + 16:
        raise HeaderError("stanza body does not hold a 16-byte file key")
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


def unwrap_header(header: Header, identities: Sequence[Identity]) -> bytes:
    """Find the file key with the first identity that matches, then check the header MAC."""
    if not identities:
        raise ValueError("no identities given")
    if len(header.stanzas) > 1 and any(s.type == "scrypt" for s in header.stanzas):
        raise HeaderError("an scrypt stanza must be the only stanza in the header")
    for identity in identities:
        file_key = identity.unwrap(header.stanzas)
        if file_key is not None:
            if not header.verify(file_key):
                raise WrongFileKey("header MAC does not verify: the header was altered")
            return file_key
    raise NoMatchingIdentity("no identity matches any recipient stanza")
