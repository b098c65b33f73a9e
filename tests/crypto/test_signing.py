import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.signing import (
    MANIFEST_TYPE,
    RECEIPT_TYPE,
    BidManifest,
    Receipt,
    SignatureError,
    SignedStatement,
    SigningError,
    StatementError,
    canonical_json,
    generate_private_key,
    key_id,
    load_private_key,
    parse_json,
    private_key_to_pem,
    private_key_to_text,
    public_key_from_text,
    public_key_to_text,
    sign_statement,
    utc_timestamp,
    verify_manifest,
    verify_receipt,
    verify_statement,
)

USCC = "91440300708461136T"


# --- canonical JSON ------------------------------------------------------------------------------


def test_rfc8785_sorting_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: 😀 (U+1F600, surrogates D83D DE00) sorts before U+FB33 in UTF-16
    obj = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_json(obj)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_rfc8785_string_escaping() -> None:
    # RFC 8785 §3.2.2.2 example
    # the example's input "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/" decodes to:
    value = '\u20ac$\x0f\nA\'B"\\\\"/'
    assert canonical_json({"string": value}) == '{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'.encode()


def test_canonical_literals_and_nesting() -> None:
    assert canonical_json([56, {"d": True, "10": None, "1": []}]) == b'[56,{"1":[],"10":null,"d":true}]'
    assert canonical_json({"b": (1, -2), "a": "招标"}) == '{"a":"招标","b":[1,-2]}'.encode()
    assert canonical_json("\x7f\u2028") == '"\x7f\u2028"'.encode()
    assert canonical_json(2**53 - 1) == b"9007199254740991"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (1.5, ValueError),
        (float("nan"), ValueError),
        (2**53, ValueError),
        ({"a": [0.0]}, ValueError),
        ("\ud800", ValueError),
        ({1: "x"}, TypeError),
        ({"x"}, TypeError),
        (b"bytes", TypeError),
    ],
)
def test_canonical_rejects(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        canonical_json(value)


def test_parse_json_is_strict() -> None:
    assert parse_json('{"a": [1, "x", null]}') == {"a": [1, "x", None]}
    for bad in ['{"a": 1.0}', '{"a": NaN}', '{"a": 1, "a": 2}', "[1e3]"]:
        with pytest.raises(ValueError):
            parse_json(bad)


# --- keys ----------------------------------------------------------------------------------------


def test_key_text_and_pem_round_trips() -> None:
    key = generate_private_key()
    pub = key.public_key()
    assert load_private_key(private_key_to_text(key)).public_key() == pub
    assert load_private_key(private_key_to_pem(key)).public_key() == pub
    encrypted = private_key_to_pem(key, b"correct horse")
    assert b"ENCRYPTED" in encrypted
    assert load_private_key(encrypted.decode(), b"correct horse").public_key() == pub
    with pytest.raises(SigningError):
        load_private_key(encrypted, b"wrong")
    text = public_key_to_text(pub)
    assert text.startswith("ed25519:") and len(base64.b64decode(text[8:])) == 32
    assert public_key_from_text(text) == pub
    assert key_id(pub) == hashlib.sha256(pub.public_bytes_raw()).digest()[:8].hex()


def test_bad_keys_rejected() -> None:
    for bad in ["ed25519:AAAA", "rsa:AAAA", "ed25519:!!!"]:
        with pytest.raises(SigningError):
            public_key_from_text(bad)
    with pytest.raises(SigningError):
        load_private_key("AAAA")
    with pytest.raises(SigningError):
        load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


# --- manifests and receipts ---------------------------------------------------------------------


def _manifest(**changes: Any) -> BidManifest:
    values: dict[str, Any] = {
        "tender": "SZ-2025-GC-0042",
        "lot": "1",
        "bidder": USCC,
        "submission_id": "0193a4e2-7c1f-7000-8000-000000000001",
        "envelope_sha256": hashlib.sha256(b"envelope").hexdigest(),
        "envelope_length": 1234,
        "client_time": "2025-03-01T08:00:00Z",
    }
    values.update(changes)
    return BidManifest(**values)


def _receipt(manifest: BidManifest, **changes: Any) -> Receipt:
    values: dict[str, Any] = {
        "manifest_sha256": manifest.canonical_hash(),
        "submission_id": manifest.submission_id,
        "server_time": "2025-03-01T08:00:01.250000Z",
        "audit_index": 41,
    }
    values.update(changes)
    return Receipt(**values)


@pytest.mark.parametrize("bidder", ["9144030070846113", "91440300708461136t", "9144030070846113OT"])
def test_manifest_bidder_must_have_the_shape_of_a_credit_code(bidder: str) -> None:
    with pytest.raises(StatementError, match="bidder"):
        _manifest(bidder=bidder)


def test_utc_timestamp() -> None:
    assert (
        utc_timestamp(datetime(2025, 3, 1, 16, 0, tzinfo=timezone(timedelta(hours=8))))
        == "2025-03-01T08:00:00Z"
    )
    assert utc_timestamp(datetime(2025, 3, 1, 8, 0, 0, 5000, tzinfo=UTC)) == "2025-03-01T08:00:00.005000Z"
    assert utc_timestamp().endswith("Z")
    with pytest.raises(ValueError):
        utc_timestamp(datetime(2025, 3, 1))


def test_manifest_round_trip() -> None:
    m = _manifest(supersedes="0193a4e2-7c1f-7000-8000-000000000000")
    d = m.to_dict()
    assert d["type"] == MANIFEST_TYPE
    assert BidManifest.from_dict(d) == m
    assert BidManifest.from_dict(json.loads(canonical_json(d))) == m
    plain = _manifest()
    assert plain.to_dict()["supersedes"] is None
    no_supersedes = {k: v for k, v in plain.to_dict().items() if k != "supersedes"}
    assert BidManifest.from_dict(no_supersedes) == plain
    assert plain.canonical_hash() == hashlib.sha256(canonical_json(plain.to_dict())).hexdigest()


@pytest.mark.parametrize(
    "changes",
    [
        {"bidder": "91440300708461136I"},
        {"tender": ""},
        {"lot": " 1"},
        {"tender": "a\nb"},
        {"envelope_sha256": "AB" * 32},
        {"envelope_sha256": "ab"},
        {"envelope_length": 0},
        {"envelope_length": True},
        {"envelope_length": "12"},
        {"client_time": "2025-03-01 08:00:00"},
        {"client_time": "2025-03-01T08:00:00+08:00"},
        {"client_time": "2025-02-30T08:00:00Z"},
        {"supersedes": "0193a4e2-7c1f-7000-8000-000000000001"},
    ],
)
def test_manifest_validation(changes: dict[str, Any]) -> None:
    with pytest.raises(StatementError):
        _manifest(**changes)


def test_manifest_from_dict_is_strict() -> None:
    d = _manifest().to_dict()
    for bad in [
        {**d, "type": RECEIPT_TYPE},
        {**d, "price": "100.00"},
        {k: v for k, v in d.items() if k != "lot"},
        {k: v for k, v in d.items() if k != "type"},
    ]:
        with pytest.raises(StatementError):
            BidManifest.from_dict(bad)


def test_receipt_round_trip_and_validation() -> None:
    m = _manifest()
    r = _receipt(m, audit_size=42, audit_root="ab" * 32, inclusion_proof=["cd" * 32], checkpoint="note\n")
    assert r.inclusion_proof == ("cd" * 32,)
    assert Receipt.from_dict(r.to_dict()) == r
    assert Receipt.from_dict(json.loads(canonical_json(r.to_dict()))) == r
    minimal = _receipt(m)
    assert Receipt.from_dict({"type": RECEIPT_TYPE, **{k: v for k, v in minimal.to_dict().items() if v}})
    bad_changes: list[dict[str, Any]] = [
        {"audit_index": -1},
        {"audit_size": 41},
        {"inclusion_proof": ["cd" * 32]},
        {"audit_root": "xyz"},
        {"manifest_sha256": "00"},
        {"server_time": "yesterday"},
    ]
    for changes in bad_changes:
        with pytest.raises(StatementError):
            _receipt(m, **changes)


# --- signed statements ---------------------------------------------------------------------------


def test_sign_and_verify_manifest() -> None:
    key = Ed25519PrivateKey.generate()
    m = _manifest()
    signed = sign_statement(m, key)
    assert signed.key_id == key_id(key.public_key())
    assert verify_manifest(signed, key.public_key()) == m
    # the signature is plain Ed25519 over the prefix and the canonical JSON
    key.public_key().verify(
        base64.b64decode(signed.signature), b"sunbid-statement-v1\n" + canonical_json(m.to_dict())
    )
    again = SignedStatement.from_json(signed.to_json())
    assert again == signed
    assert verify_manifest(again, key.public_key()) == m


def test_sign_and_verify_receipt() -> None:
    key = Ed25519PrivateKey.generate()
    r = _receipt(_manifest(), audit_size=50, audit_root="ab" * 32, inclusion_proof=["cd" * 32, "ef" * 32])
    signed = SignedStatement.from_json(sign_statement(r, key).to_json().decode())
    assert verify_receipt(signed, key.public_key()) == r


def test_tampered_statement_rejected() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_statement(_manifest(), key)
    changed = dict(signed.statement, envelope_length=1235)
    with pytest.raises(SignatureError, match="does not match"):
        verify_statement(dataclasses.replace(signed, statement=changed), key.public_key())
    sig = bytearray(base64.b64decode(signed.signature))
    sig[0] ^= 1
    bad_sig = dataclasses.replace(signed, signature=base64.b64encode(bytes(sig)).decode())
    with pytest.raises(SignatureError, match="does not match"):
        verify_statement(bad_sig, key.public_key())
    with pytest.raises(SignatureError, match="malformed"):
        verify_statement(dataclasses.replace(signed, signature="AAAA"), key.public_key())


def test_wrong_key_rejected() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signed = sign_statement(_manifest(), key)
    with pytest.raises(SignatureError, match="different key"):
        verify_manifest(signed, other.public_key())
    # claiming the other key's id does not help
    with pytest.raises(SignatureError, match="does not match"):
        verify_manifest(dataclasses.replace(signed, key_id=key_id(other.public_key())), other.public_key())


def test_types_cannot_be_swapped() -> None:
    key = Ed25519PrivateKey.generate()
    receipt = sign_statement(_receipt(_manifest()), key)
    manifest = sign_statement(_manifest(), key)
    with pytest.raises(SignatureError, match=r"expected a sunbid\.bid-manifest\.v1"):
        verify_manifest(receipt, key.public_key())
    with pytest.raises(SignatureError, match=r"expected a sunbid\.receipt\.v1"):
        verify_receipt(manifest, key.public_key())


def test_generic_statements() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_statement({"type": "sunbid.test.v1", "amount": "1234.50"}, key)
    assert verify_statement(signed, key.public_key(), expected_type="sunbid.test.v1")["amount"] == "1234.50"
    bad_statements: list[dict[str, Any]] = [{"amount": "1"}, {"type": 1}, {"type": "x", "amount": 1234.5}]
    for bad in bad_statements:
        with pytest.raises((StatementError, ValueError)):
            sign_statement(bad, key)


def test_signed_statement_parsing() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_statement(_manifest(), key).to_dict()
    bad_inputs: list[Any] = [b"[]", b"{", {**signed, "extra": 1}, {**signed, "statement": "x"}]
    for bad in bad_inputs:
        with pytest.raises(SignatureError):
            if isinstance(bad, bytes):
                SignedStatement.from_json(bad)
            else:
                SignedStatement.from_dict(bad)
