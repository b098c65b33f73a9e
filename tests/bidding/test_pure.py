"""Pure parts: evaluation criteria and bid form validation, envelope framing, custody input."""

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bidding.bid_form import check_bid_form
from bidding.criteria import (
    CriteriaError,
    default_criteria,
    validate_criteria,
    validate_form_fields,
)
from bidding.envelope import BadEnvelope, EnvelopeCheck, TooLarge
from bidding.inputs import validate_custody
from core.errors import InvalidInput
from crypto.age import X25519Identity, encrypt, header_end


def test_criteria_are_validated_and_normalised() -> None:
    doc = default_criteria()
    assert doc["method"] == "comprehensive" and sum(int(c["max_points"]) for c in doc["scored"]) == 100
    broken = json.loads(json.dumps(doc))
    broken["scored"][0]["max_points"] = "31"
    with pytest.raises(CriteriaError, match="total 100"):
        validate_criteria(broken)
    broken = json.loads(json.dumps(doc))
    broken["scored"][0]["step"] = "0.7"
    with pytest.raises(CriteriaError, match="multiple of step"):
        validate_criteria(broken)
    broken = json.loads(json.dumps(doc))
    broken["scored"][1]["id"] = broken["scored"][0]["id"]
    with pytest.raises(CriteriaError, match="repeated"):
        validate_criteria(broken)
    with pytest.raises(CriteriaError, match="group"):
        validate_criteria({**doc, "scored": [{**doc["scored"][0], "group": "vibes"}]})
    lowest = validate_criteria({"method": "lowest_price", "qualification": doc["qualification"]})
    assert lowest["scored"] == [] and lowest["anomaly_limit"] == "20"


def test_bid_forms_need_a_decimal_price_string() -> None:
    fields = validate_form_fields(
        [
            {"name": "price", "type": "decimal"},
            {"name": "duration_days", "type": "integer", "required": False},
        ]
    )
    assert check_bid_form({"price": "1234.50"}, fields)
    for bad in ({"price": 1234.5}, {}, {"price": "abc"}, {"price": "1", "duration_days": "30"}):
        with pytest.raises(CriteriaError):
            check_bid_form(bad, fields)
    with pytest.raises(CriteriaError, match="price"):
        validate_form_fields([{"name": "duration_days", "type": "integer"}])


def sealed(size: int) -> bytes:
    out = io.BytesIO()
    recipients = [X25519Identity.generate().recipient(), X25519Identity.generate().recipient()]
    encrypt(io.BytesIO(b"\x01" * size), out, recipients)
    return out.getvalue()


async def run_check(data: bytes, *, limit: int = 10**9, step: int = 7000) -> EnvelopeCheck:
    check = EnvelopeCheck(limit=limit, expected_length=len(data))

    async def source() -> AsyncIterator[bytes]:
        for i in range(0, len(data), step):
            yield data[i : i + step]

    async for _ in check.wrap(source()):
        pass
    check.finish()
    return check


@pytest.mark.parametrize("size", [0, 1, 65536, 65537, 3 * 65536])
async def test_well_formed_age_files_pass_the_envelope_check(size: int) -> None:
    data = sealed(size)
    check = await run_check(data)
    assert check.stanzas == 2 and check.size == len(data)


async def test_truncated_or_foreign_files_are_refused() -> None:
    data = sealed(65536 * 2)
    header = header_end(data)
    # Framing catches what no length of STREAM allows; any other truncation is caught by the
    # manifest's SHA-256 (the server cannot see more without the key).
    cases = [
        data[:header],
        data[: header + 16 + 10],
        data[: header + 16 + 65552 + 16],
        b"PK\x03\x04" + data[4:],
    ]
    for bad in cases:
        with pytest.raises(BadEnvelope):
            check = EnvelopeCheck(limit=10**9, expected_length=len(bad))

            async def source(b: bytes = bad) -> AsyncIterator[bytes]:
                yield b

            async for _ in check.wrap(source()):
                pass
            check.finish()
    one = io.BytesIO()
    encrypt(io.BytesIO(b"x"), one, [X25519Identity.generate().recipient()])
    with pytest.raises(BadEnvelope, match="opening"):
        await run_check(one.getvalue())
    with pytest.raises(TooLarge):
        await run_check(data, limit=1000)


def test_custody_from_the_ceremony_tool(tmp_path: Path) -> None:
    from web.cli_crypto import custody_init

    custodians = [X25519Identity.generate().recipient().to_str() for _ in range(3)]
    args = ["-k", "2", "--out", str(tmp_path / "c")] + [a for c in custodians for a in ("--custodian", c)]
    result = CliRunner().invoke(custody_init, args)
    assert result.exit_code == 0, result.output
    ceremony = json.loads((tmp_path / "c" / "ceremony.json").read_text())
    for item in ceremony["custodians"]:
        item["share"] = (tmp_path / "c" / item["share_file"]).read_text()
    recipient = (tmp_path / "c" / "opening-recipient.txt").read_text().strip()
    opening, custody = validate_custody(recipient, ceremony)
    assert opening == recipient and custody["threshold"] == 2 and len(custody["custodians"]) == 3
    with pytest.raises(InvalidInput):
        validate_custody(X25519Identity.generate().recipient().to_str(), ceremony)  # another ceremony's key
    with pytest.raises(InvalidInput):
        validate_custody(recipient, {**ceremony, "threshold": 4})


def test_atom_feed_attribute_values_cannot_be_broken_out_of() -> None:
    from xml.etree import ElementTree

    from bidding.notices import atom_feed

    base = 'http://host"/><x onload="alert(1)'  # the base address comes from the request's Host header
    root = ElementTree.fromstring(atom_feed(base, [], datetime(2026, 3, 2, tzinfo=UTC)))
    self_link = root.find("{http://www.w3.org/2005/Atom}link")
    assert self_link is not None and self_link.get("href") == f"{base}/api/notices.atom"
    assert [e.tag for e in root.iter()].count("x") == 0
