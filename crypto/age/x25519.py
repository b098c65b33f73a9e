"""The X25519 recipient type (C2SP age, "X25519 recipient stanza") and its key strings."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import bech32
from .encoding import b64decode, b64encode
from .errors import AgeError, HeaderError
from .header import Stanza
from .recipients import aead_unwrap, aead_wrap

__all__ = ["X25519Identity", "X25519Recipient", "parse_identities"]

_LABEL = b"age-encryption.org/v1/X25519"
_RAW = serialization.Encoding.Raw


def _wrapping_key(shared: bytes, share: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=share + recipient, info=_LABEL).derive(shared)


def _exchange(private: X25519PrivateKey, public: bytes) -> bytes:
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as exc:  # cryptography rejects the all-zero (low-order point) result
        raise HeaderError("X25519 share is a low-order point") from exc


class X25519Recipient:
    """A public key, written `age1...`."""

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise AgeError("X25519 public key must be 32 bytes")
        self.public_key = bytes(public_key)

    @classmethod
    def from_str(cls, text: str) -> X25519Recipient:
        hrp, data = bech32.decode(text)
        if hrp != "age" or len(data) != 32:
            raise AgeError("malformed X25519 recipient (expected age1...)")
        return cls(data)

    def to_str(self) -> str:
        return bech32.encode("age", self.public_key)

    def __repr__(self) -> str:
        return f"X25519Recipient({self.to_str()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Recipient) and other.public_key == self.public_key

    def __hash__(self) -> int:
        return hash(self.public_key)

    def wrap(self, file_key: bytes) -> list[Stanza]:
        ephemeral = X25519PrivateKey.generate()
        share = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        shared = _exchange(ephemeral, self.public_key)
        body = aead_wrap(_wrapping_key(shared, share, self.public_key), file_key)
        return [Stanza("X25519", (b64encode(share),), body)]


class X25519Identity:
    """A private key, written `AGE-SECRET-KEY-1...`."""

    def __init__(self, private_key: X25519PrivateKey) -> None:
        self._key = private_key
        self._public = private_key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_str(cls, text: str) -> X25519Identity:
        hrp, data = bech32.decode(text.strip())
        if hrp != "AGE-SECRET-KEY-" or len(data) != 32:
            raise AgeError("malformed X25519 identity (expected AGE-SECRET-KEY-1...)")
        return cls(X25519PrivateKey.from_private_bytes(data))

    def to_str(self) -> str:
        secret = self._key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        return bech32.encode("AGE-SECRET-KEY-", secret)

    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._public)

    def __repr__(self) -> str:  # never print the secret
        return f"X25519Identity(recipient={self.recipient().to_str()!r})"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != "X25519":
                continue
            if len(stanza.args) != 1:
                raise HeaderError("X25519 stanza must have exactly one argument")
            share = b64decode(stanza.args[0])
            if len(share) != 32:
                raise HeaderError("X25519 share must be 32 bytes")
            shared = _exchange(self._key, share)
            file_key = aead_unwrap(_wrapping_key(shared, share, self._public), stanza.body)
            if file_key is not None:
                return file_key
        return None


def parse_identities(text: str) -> list[X25519Identity]:
    """Parse an age identity file: one key per line, '#' comments and blank lines ignored."""
    identities = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(X25519Identity.from_str(line))
        except AgeError as exc:  # the message names the line, never its content (it may be a secret)
            raise AgeError(f"identity file line {number}: {exc}") from None
    if not identities:
        raise AgeError("no identities found")
    return identities
