"""Exception hierarchy for the age implementation."""

from __future__ import annotations

__all__ = [
    "AgeError",
    "ArmorError",
    "HeaderError",
    "NoMatchingIdentity",
    "PayloadError",
    "WrongFileKey",
]


class AgeError(Exception):
    """Base class of every error raised by crypto.age (also used for malformed keys)."""


class HeaderError(AgeError):
    """The header is malformed, or a recipient stanza is invalid for its type."""


class NoMatchingIdentity(AgeError):
    """The header parsed, but no identity could unwrap any recipient stanza."""


class WrongFileKey(AgeError):
    """The header MAC does not verify under the file key (wrong key, or tampered header)."""


class PayloadError(AgeError):
    """The STREAM payload is truncated, extended, reordered or corrupted."""


class ArmorError(AgeError):
    """The ASCII armor is malformed."""
