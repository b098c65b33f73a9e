"""What bidding reads from an opened bid package and an upload for the integrity indicators: file
hashes, the documents' metadata (DOCX/XLSX core and app properties, PDF information) and text, the
project manager's keyed ID number, and the keyed device fingerprint."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import zipfile

from bidding.client import device_description, device_digest
from bidding.evidence import device_key, manager_id_key, package_evidence
from tests.support.documents import docx, pdf, xlsx

KEY = b"k" * 32


def package(files: dict[str, bytes]) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    out.seek(0)
    return out


def test_a_package_yields_every_files_hash_and_the_documents_metadata_and_text() -> None:
    bid = json.dumps(
        {"price": "100.00", "project_manager": "李四", "project_manager_id": "22028119800101 123x"}
    )
    doc = docx(
        ["施工组织设计", "本工程采用分段流水施工"], author="张工", modified_by="李工", application="WPS 文字"
    )
    sheet = xlsx(["工程量清单", "土方开挖"], author="李会计")
    paper = pdf(["Construction plan for lot 1"], author="Wang", creator="Microsoft Word")
    found = package_evidence(
        package(
            {
                "bid.json": bid.encode(),
                "attachments/tech.docx": doc,
                "attachments/boq.xlsx": sheet,
                "attachments/plan.pdf": paper,
                "attachments/photo.jpg": b"\xff\xd8binary",
            }
        ),
        KEY,
    )
    files = {f.name: f for f in found.files}
    assert set(files) == {
        "bid.json",
        "attachments/tech.docx",
        "attachments/boq.xlsx",
        "attachments/plan.pdf",
        "attachments/photo.jpg",
    }
    assert files["attachments/tech.docx"].sha256 == hashlib.sha256(doc).hexdigest()
    assert files["attachments/tech.docx"].size == len(doc)
    tech = files["attachments/tech.docx"]
    assert (tech.author, tech.last_modified_by, tech.application, tech.created) == (
        "张工",
        "李工",
        "WPS 文字",
        "2026-11-20T08:00:00Z",
    )
    assert (files["attachments/boq.xlsx"].author, files["attachments/boq.xlsx"].application) == (
        "李会计",
        "WPS 表格",
    )
    plan = files["attachments/plan.pdf"]
    assert (plan.author, plan.application) == ("Wang", "Microsoft Word")
    assert plan.created is not None
    assert files["attachments/photo.jpg"].author is None
    assert "本工程采用分段流水施工" in found.text and "土方开挖" in found.text
    assert "Construction plan for lot 1" in found.text
    # the ID number: normalised (spaces out, X upper-case), keyed, its last four kept to show
    expected = hmac.new(KEY, b"22028119800101123X", hashlib.sha256).hexdigest()
    assert found.manager_id == {"key": expected, "tail": "123X"}
    assert found.problems == []


def test_a_broken_document_is_noted_and_the_rest_still_read() -> None:
    found = package_evidence(
        package(
            {"bid.json": b"{}", "attachments/bad.docx": b"not a zip", "attachments/ok.txt": "说明".encode()}
        ),
        KEY,
    )
    assert [f.name for f in found.files] == ["bid.json", "attachments/bad.docx", "attachments/ok.txt"]
    assert found.problems == ["attachments/bad.docx: BadZipFile"]
    assert found.text == "说明" and found.manager_id == {}


def test_an_xml_bomb_in_a_document_is_refused_not_expanded() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        '<cp:coreProperties xmlns:cp="c" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>&b;</dc:creator>'
        "</cp:coreProperties>"
    )
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("docProps/core.xml", bomb)
    found = package_evidence(package({"attachments/x.docx": inner.getvalue()}), KEY)
    assert found.problems and found.problems[0].startswith("attachments/x.docx: ")
    assert found.files[0].author is None


def test_the_device_fingerprint_is_keyed_and_equal_devices_match() -> None:
    digest = device_digest({"kind": "cli", "hostname": "pc-01", "mac": "001122334455"})
    assert digest == hashlib.sha256(b'{"hostname":"pc-01","kind":"cli","mac":"001122334455"}').hexdigest()
    stored = device_key(KEY, digest)
    assert stored == hmac.new(KEY, bytes.fromhex(digest), hashlib.sha256).hexdigest()
    assert device_key(KEY, digest.upper()) == stored  # the same device, however the hex is written
    assert device_key(b"other" * 8, digest) != stored  # without the platform key nothing matches
    assert device_key(KEY, "not-hex") is None and device_key(KEY, None) is None
    description = device_description()
    assert description["kind"] == "cli" and len(description["mac"]) == 12
    assert device_digest() == device_digest(description)


def test_no_manager_id_gives_no_key() -> None:
    assert manager_id_key(KEY, None) is None and manager_id_key(KEY, "  ") is None
