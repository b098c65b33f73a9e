"""Ed25519 keys, canonical JSON, and signed statements (bid manifests and receipts).

A statement is a JSON object with a "type" field. It is signed as
`b"sunbid-statement-v1\\n" + canonical_json(statement)`: canonical JSON (RFC 8785 / JCS style) gives
the same bytes for the same object on any platform, the prefix keeps statement signatures apart
from anything else the same key signs (the server key also signs audit checkpoints), and the "type"
field keeps a receipt from being passed off as a manifest or the other way round.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.age import X25519Identity, bech32

MANIFEST_TYPE = "sunbid.bid-manifest.v1"
RECEIPT_TYPE = "sunbid.receipt.v1"
PUBLIC_KEY_PREFIX = "ed25519:"
_SIGNING_PREFIX = b"sunbid-statement-v1\n"
# Other JSON implementations read numbers as IEEE doubles; larger integers would silently change.
_MAX_SAFE_INT = 2**53 - 1


class SigningError(ValueError):
    """Base class for everything this module rejects."""


class SignatureError(SigningError):
    """A signature is missing, malformed, by another key, or over another statement type."""


class StatementError(SigningError):
    """A statement's content is not a valid manifest or receipt."""


# --- canonical JSON --------------------------------------------------------------------------


def canonical_json(obj: Any) -> bytes:
    """Encode `obj` as canonical JSON (RFC 8785 style), UTF-8, no whitespace.

    Object keys are sorted by UTF-16 code units; strings are escaped as ECMAScript's JSON.stringify
    does. Only null, booleans, integers within ±(2^53-1), strings, lists/tuples and str-keyed
    mappings are allowed: floats are rejected outright because money travels as decimal strings.
    """
    out: list[str] = []
    _encode(obj, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("string contains a lone surrogate") from None


def _encode(obj: Any, out: list[str]) -> None:
    if obj is None:
        out.append("null")
    elif obj is True or obj is False:
        out.append("true" if obj else "false")
    elif isinstance(obj, int):
        if abs(obj) > _MAX_SAFE_INT:
            raise ValueError(f"integer {obj} is outside ±(2^53-1); send it as a string")
        out.append(str(int(obj)))
    elif isinstance(obj, float):
        raise ValueError("floats are not allowed in canonical JSON; use a decimal string")
    elif isinstance(obj, str):
        # json.dumps escapes exactly ", \\ and U+0000..U+001F (short forms where JSON has them,
        # else lowercase \\u00xx), which is what JCS prescribes
        out.append(json.dumps(obj, ensure_ascii=False))
    elif isinstance(obj, Mapping):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("canonical JSON object keys must be strings")
        out.append("{")
        for i, key in enumerate(sorted(obj, key=lambda k: k.encode("utf-16-be", "surrogatepass"))):
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _encode(obj[key], out)
        out.append("}")
    elif isinstance(obj, list | tuple):
        out.append("[")
        for i, item in enumerate(obj):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(obj).__name__} as canonical JSON")


def parse_json(data: bytes | str) -> Any:
    """Parse JSON strictly: no floats, NaN/Infinity or duplicate keys (they have no canonical form)."""

    def no_float(text: str) -> Any:
        raise ValueError(f"floats are not allowed: {text}")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {key!r}")
            result[key] = value
        return result

    return json.loads(data, parse_float=no_float, parse_constant=no_float, object_pairs_hook=no_duplicates)


# --- keys ------------------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the best available algorithm when a passphrase is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def private_key_to_text(key: Ed25519PrivateKey) -> str:
    """The 32-byte seed as standard base64 (unencrypted: keep it in a protected file)."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def load_private_key(data: bytes | str, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load a private key from PKCS#8 PEM (optionally encrypted) or base64 seed text."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"-----BEGIN" in raw:
        try:
            key = serialization.load_pem_private_key(raw, password=passphrase)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise SigningError(f"cannot load PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningError("PEM key is not an Ed25519 private key")
        return key
    seed = _b64decode(raw.strip(), 32, "private key")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_to_text(public_key: Ed25519PublicKey) -> str:
    """`ed25519:<standard base64 of the 32-byte key>`."""
    return PUBLIC_KEY_PREFIX + base64.b64encode(_raw_public(public_key)).decode("ascii")


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """Parse `ed25519:<base64>` (or a PEM SubjectPublicKeyInfo)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise SigningError(f"cannot load PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningError("PEM key is not an Ed25519 public key")
        return key
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise SigningError(f"public key must start with {PUBLIC_KEY_PREFIX!r}")
    raw = _b64decode(text[len(PUBLIC_KEY_PREFIX) :].encode("ascii"), 32, "public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Short fingerprint naming the key in a signed statement: hex of SHA-256(raw key)[:8]."""
    return hashlib.sha256(_raw_public(public_key)).digest()[:8].hex()


def _b64decode(data: bytes, length: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise SigningError(f"{what} is not valid base64") from None
    if len(raw) != length:
        raise SigningError(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


# --- manifests and receipts ----------------------------------------------------------------------

# The shape of a unified social credit code; its check character is core/credit_code.py's job (the
# server checks the bidder against its registered company, whose code was fully validated there).
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC text as statements carry it: `2025-03-01T08:00:00Z` (microseconds if any)."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _check_text(name: str, value: object, max_len: int = 200) -> None:
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise StatementError(f"{name} must be a non-empty string of at most {max_len} characters")
    if value != value.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise StatementError(f"{name} has surrounding spaces or control characters")


def _check_time(name: str, value: object) -> None:
    if not isinstance(value, str) or not _UTC_TIME.fullmatch(value):
        raise StatementError(f"{name} must be ISO-8601 UTC like 2025-03-01T08:00:00Z")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise StatementError(f"{name} is not a valid date and time") from None


def _check_hex64(name: str, value: object) -> None:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise StatementError(f"{name} must be 64 lowercase hex digits")


def _check_int(name: str, value: object, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= _MAX_SAFE_INT:
        raise StatementError(f"{name} must be an integer >= {minimum}")


def _fields_of(data: Mapping[str, Any], expected_type: str, required: set[str], optional: set[str]) -> None:
    if data.get("type") != expected_type:
        raise StatementError(f"statement type must be {expected_type!r}, got {data.get('type')!r}")
    keys = set(data) - {"type"}
    if missing := required - keys:
        raise StatementError(f"missing fields: {', '.join(sorted(missing))}")
    if unknown := keys - required - optional:
        raise StatementError(f"unknown fields: {', '.join(sorted(unknown))}")


@dataclass(frozen=True)
class BidManifest:
    """What a bidder signs about its sealed envelope; validated on construction."""

    tender: str
    lot: str
    bidder: str  # unified social credit code
    submission_id: str
    envelope_sha256: str  # lowercase hex of the age file's SHA-256
    envelope_length: int
    client_time: str  # ISO-8601 UTC, informative only: the server clock is the one that counts
    supersedes: str | None = None  # submission id this bid replaces

    def __post_init__(self) -> None:
        _check_text("tender", self.tender)
        _check_text("lot", self.lot)
        _check_text("submission_id", self.submission_id)
        if not isinstance(self.bidder, str) or not _USCC_SHAPE.fullmatch(self.bidder):
            raise StatementError("bidder must be an 18-character unified social credit code")
        if self.supersedes is not None:
            _check_text("supersedes", self.supersedes)
            if self.supersedes == self.submission_id:
                raise StatementError("a submission cannot supersede itself")
        _check_hex64("envelope_sha256", self.envelope_sha256)
        _check_int("envelope_length", self.envelope_length, 1)
        _check_time("client_time", self.client_time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": MANIFEST_TYPE,
            "tender": self.tender,
            "lot": self.lot,
            "bidder": self.bidder,
            "submission_id": self.submission_id,
            "supersedes": self.supersedes,
            "envelope_sha256": self.envelope_sha256,
            "envelope_length": self.envelope_length,
            "client_time": self.client_time,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BidManifest:
        required = {"tender", "lot", "bidder", "submission_id", "envelope_sha256", "envelope_length"}
        _fields_of(data, MANIFEST_TYPE, required | {"client_time"}, {"supersedes"})
        return cls(**{k: v for k, v in data.items() if k != "type"})

    def canonical_hash(self) -> str:
        """Hex SHA-256 of the manifest's canonical JSON; the receipt quotes it."""
        return hashlib.sha256(canonical_json(self.to_dict())).hexdigest()


@dataclass(frozen=True)
class Receipt:
    """What the server signs back: the manifest it accepted, when, and where in the audit log."""

    manifest_sha256: str
    submission_id: str
    server_time: str
    audit_index: int
    audit_size: int | None = None  # tree size the root and proof below refer to
    audit_root: str | None = None  # hex
    inclusion_proof: tuple[str, ...] = field(default=())  # hex hashes, RFC 9162 order
    checkpoint: str | None = None  # signed checkpoint note text

    def __post_init__(self) -> None:
        _check_hex64("manifest_sha256", self.manifest_sha256)
        _check_text("submission_id", self.submission_id)
        _check_time("server_time", self.server_time)
        _check_int("audit_index", self.audit_index, 0)
        if self.audit_size is not None:
            _check_int("audit_size", self.audit_size, 1)
            if self.audit_index >= self.audit_size:
                raise StatementError("audit_index must be below audit_size")
        if self.audit_root is not None:
            _check_hex64("audit_root", self.audit_root)
        if not isinstance(self.inclusion_proof, tuple):
            object.__setattr__(self, "inclusion_proof", tuple(self.inclusion_proof))
        for h in self.inclusion_proof:
            _check_hex64("inclusion_proof entry", h)
        if self.inclusion_proof and (self.audit_size is None or self.audit_root is None):
            raise StatementError("an inclusion proof needs audit_size and audit_root")
        if self.checkpoint is not None and not isinstance(self.checkpoint, str):
            raise StatementError("checkpoint must be text")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": RECEIPT_TYPE,
            "manifest_sha256": self.manifest_sha256,
            "submission_id": self.submission_id,
            "server_time": self.server_time,
            "audit_index": self.audit_index,
            "audit_size": self.audit_size,
            "audit_root": self.audit_root,
            "inclusion_proof": list(self.inclusion_proof),
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        required = {"manifest_sha256", "submission_id", "server_time", "audit_index"}
        _fields_of(
            data, RECEIPT_TYPE, required, {"audit_size", "audit_root", "inclusion_proof", "checkpoint"}
        )
        values = {k: v for k, v in data.items() if k != "type"}
        proof = values.get("inclusion_proof") or []
        if not isinstance(proof, list | tuple):
            raise StatementError("inclusion_proof must be a list")
        values["inclusion_proof"] = tuple(proof)
        return cls(**values)


# --- signed statements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedStatement:
    statement: dict[str, Any]
    signature: str  # standard base64 of the 64-byte Ed25519 signature
    key_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"statement": self.statement, "signature": self.signature, "key_id": self.key_id}

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedStatement:
        if set(data) != {"statement", "signature", "key_id"}:
            raise SignatureError("a signed statement has exactly: statement, signature, key_id")
        statement, signature, kid = data["statement"], data["signature"], data["key_id"]
        if not isinstance(statement, dict) or not isinstance(signature, str) or not isinstance(kid, str):
            raise SignatureError("malformed signed statement")
        return cls(statement=statement, signature=signature, key_id=kid)

    @classmethod
    def from_json(cls, data: bytes | str) -> SignedStatement:
        try:
            parsed = parse_json(data)
        except ValueError as exc:
            raise SignatureError(f"signed statement is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise SignatureError("signed statement must be a JSON object")
        return cls.from_dict(parsed)


def _statement_dict(obj: Mapping[str, Any] | BidManifest | Receipt) -> dict[str, Any]:
    data = obj.to_dict() if isinstance(obj, BidManifest | Receipt) else obj
    # a round trip through canonical JSON both validates and deep-copies the statement
    statement = parse_json(canonical_json(data))
    if not isinstance(statement, dict) or not isinstance(statement.get("type"), str):
        raise StatementError('a statement must be a JSON object with a string "type" field')
    return statement


def sign_statement(
    obj: Mapping[str, Any] | BidManifest | Receipt, private_key: Ed25519PrivateKey
) -> SignedStatement:
    statement = _statement_dict(obj)
    signature = private_key.sign(_SIGNING_PREFIX + canonical_json(statement))
    return SignedStatement(
        statement=statement,
        signature=base64.b64encode(signature).decode("ascii"),
        key_id=key_id(private_key.public_key()),
    )


def verify_statement(
    signed: SignedStatement, public_key: Ed25519PublicKey, *, expected_type: str | None = None
) -> dict[str, Any]:
    """Check the signature (and the statement type, if given); return the statement."""
    if signed.key_id != key_id(public_key):
        raise SignatureError("statement was signed by a different key")
    try:
        signature = _b64decode(signed.signature.encode("ascii"), 64, "signature")
        message = _SIGNING_PREFIX + canonical_json(signed.statement)
    except (SigningError, ValueError, TypeError, UnicodeEncodeError) as exc:
        raise SignatureError(f"malformed signed statement: {exc}") from None
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        raise SignatureError("signature does not match the statement") from None
    if expected_type is not None and signed.statement.get("type") != expected_type:
        raise SignatureError(f"expected a {expected_type} statement, got {signed.statement.get('type')!r}")
    return signed.statement


def verify_manifest(signed: SignedStatement, public_key: Ed25519PublicKey) -> BidManifest:
    """Verify a signed bid manifest; StatementError if it is validly signed but not a valid manifest."""
    return BidManifest.from_dict(verify_statement(signed, public_key, expected_type=MANIFEST_TYPE))


def verify_receipt(signed: SignedStatement, public_key: Ed25519PublicKey) -> Receipt:
    """Verify a signed receipt; StatementError if it is validly signed but not a valid receipt."""
    return Receipt.from_dict(verify_statement(signed, public_key, expected_type=RECEIPT_TYPE))


def signing_key_from_identity(identity: X25519Identity) -> Ed25519PrivateKey:
    """A company's Ed25519 signing key (bids, contracts), derived from its age identity with
    HKDF-SHA-256, so a company keeps one key file."""
    _, secret = bech32.decode(identity.to_str())
    seed = HKDF(hashes.SHA256(), 32, salt=b"sunbid", info=b"bid-signing-key v1").derive(bytes(secret))
    return Ed25519PrivateKey.from_private_bytes(seed)
