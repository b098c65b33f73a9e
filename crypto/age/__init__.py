"""age v1 file encryption (C2SP age spec, https://age-encryption.org/v1) on `cryptography`.

Sealed bids are plain age files: X25519 or scrypt recipient stanzas, a header HMAC, and a
STREAM payload of 64 KiB ChaCha20-Poly1305 chunks, optionally ASCII-armored. Encryption and
decryption stream in constant memory. Interoperates with the reference `age` tool.
"""

from __future__ import annotations

from .api import FileKeyDecryptor, decrypt, decrypt_with_file_key, encrypt, read_header, unwrap_file_key
from .errors import AgeError, ArmorError, HeaderError, NoMatchingIdentity, PayloadError, WrongFileKey
from .header import Header, Stanza, header_end
from .recipients import Identity, Recipient
from .scrypt import ScryptIdentity, ScryptRecipient
from .x25519 import X25519Identity, X25519Recipient, parse_identities

__all__ = [
    "AgeError",
    "ArmorError",
    "FileKeyDecryptor",
    "Header",
    "HeaderError",
    "Identity",
    "NoMatchingIdentity",
    "PayloadError",
    "Recipient",
    "ScryptIdentity",
    "ScryptRecipient",
    "Stanza",
    "WrongFileKey",
    "X25519Identity",
    "X25519Recipient",
    "decrypt",
    "decrypt_with_file_key",
    "encrypt",
    "header_end",
    "parse_identities",
    "read_header",
    "unwrap_file_key",
]
