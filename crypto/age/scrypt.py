"""The scrypt (passphrase) recipient type (C2SP age, "scrypt recipient stanza")."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .encoding import b64decode, b64encode
from .errors import HeaderError
from .header import Stanza
from .recipients import aead_unwrap, aead_wrap

__all__ = ["ScryptIdentity", "ScryptRecipient"]

_LABEL = b"age-encryption.org/v1/scrypt"
_SALT_SIZE = 16
_DECIMAL = re.compile(r"[1-9][0-9]*")  # no sign, no leading zero, no whitespace


def _passphrase_bytes(passphrase: bytes | str) -> bytes:
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data:
        raise ValueError("passphrase must not be empty")
    return data


def _derive(passphrase: bytes, salt: bytes, work_factor: int) -> bytes:
    # Memory is 128 * r * N bytes: 256 MiB at the default work factor 18.
    kdf = Scrypt(salt=_LABEL + salt, length=32, n=1 << work_factor, r=8, p=1)
    return kdf.derive(passphrase)


class ScryptRecipient:
    """Encrypts to a passphrase. Must be the file's only recipient."""

    def __init__(self, passphrase: bytes | str, work_factor: int = 18) -> None:
        if not 1 <= work_factor <= 30:
            raise ValueError("scrypt work factor must be between 1 and 30")
        self._passphrase = _passphrase_bytes(passphrase)
        self.work_factor = work_factor

    def __repr__(self) -> str:
        return f"ScryptRecipient(work_factor={self.work_factor})"

    def wrap(self, file_key: bytes) -> list[Stanza]:
        salt = os.urandom(_SALT_SIZE)
        body = aead_wrap(_derive(self._passphrase, salt, self.work_factor), file_key)
        return [Stanza("scrypt", (b64encode(salt), str(self.work_factor)), body)]


class ScryptIdentity:
    """Decrypts with a passphrase; refuses work factors above max_work_factor (a DoS guard)."""

    def __init__(self, passphrase: bytes | str, max_work_factor: int = 22) -> None:
        self._passphrase = _passphrase_bytes(passphrase)
        self.max_work_factor = max_work_factor

    def __repr__(self) -> str:
        return f"ScryptIdentity(max_work_factor={self.max_work_factor})"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        if len(stanzas) != 1 and any(s.type == "scrypt" for s in stanzas):
            raise HeaderError("an scrypt stanza must be the only stanza in the header")
        for stanza in stanzas:
            if stanza.type != "scrypt":
                continue
            if len(stanza.args) != 2:
                raise HeaderError("scrypt stanza must have exactly two arguments")
            salt = b64decode(stanza.args[0])
            if len(salt) != _SALT_SIZE:
                raise HeaderError("scrypt salt must be 16 bytes")
            if not _DECIMAL.fullmatch(stanza.args[1]):
                raise HeaderError(f"invalid scrypt work factor {stanza.args[1][:20]!r}")
            # Length first: a huge decimal string must not reach int().
            if len(stanza.args[1]) > 2 or int(stanza.args[1]) > self.max_work_factor:
                raise HeaderError(f"scrypt work factor {stanza.args[1][:20]} exceeds {self.max_work_factor}")
            work_factor = int(stanza.args[1])
            # The body length is checked before the costly key derivation.
            if len(stanza.body) != 32:
                raise HeaderError("stanza body does not hold a 16-byte file key")
            file_key = aead_unwrap(_derive(self._passphrase, salt, work_factor), stanza.body)
            if file_key is not None:
                return file_key
        return None
