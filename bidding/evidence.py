"""Evidence for the supervisors' collusion indicators (integrity/), read at the source (pure).

What is captured, and what exactly is hashed, is documented in docs/integrity-evidence.md:

- per upload: the uploader account, the client's address and User-Agent, and the sealing device's
  fingerprint — the client sends SHA-256 of its device description (``X-Sunbid-Device``), the server
  keeps only HMAC-SHA256 of it under one platform-wide key (``device_key``), so equal devices match
  across bidders and the raw description never leaves the bidder's machine;
- per bid package, once opened: SHA-256 and size of every file in the ZIP, the documents' metadata
  (author, last modified by, creating application, creation time) of DOCX/XLSX (docProps/core.xml
  and docProps/app.xml, parsed with defusedxml) and PDF (pypdf), the text of the documents (for the
  similarity and mixed-up indicators) and a keyed hash of the project manager's ID number.

None of it is public: bidding keeps it in its own tables and hands it only to integrity's services.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

import msgspec
from defusedxml import ElementTree
from pypdf import PdfReader
from pypdf.errors import PyPdfError

DEVICE_HEADER = "X-Sunbid-Device"
DEVICE_KEY_PURPOSE = "integrity.device-fingerprint"
MANAGER_KEY_PURPOSE = "integrity.manager-id"
MANAGER_ID_FIELD = "project_manager_id"  # 项目负责人身份证号 in bid.json (kept, ignored by the form)
DIGEST = re.compile(r"^[0-9a-f]{64}$")
TEXT_LIMIT = 200_000  # characters of text kept per package (the similarity needs no more)
FILE_LIMIT = 64 << 20  # a member larger than this is hashed but not parsed for metadata or text
USER_AGENT_LIMIT = 512

_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
}
OOXML = (".docx", ".xlsx", ".docm", ".xlsm")
PDF = (".pdf",)


def keyed(key: bytes, value: bytes) -> str:
    """HMAC-SHA256 of ``value`` under a platform-wide ``key`` (hex): equal inputs match, nothing reverses."""
    return hmac.new(key, value, hashlib.sha256).hexdigest()


def device_key(platform_key: bytes, client_digest: str | None) -> str | None:
    """The stored device fingerprint: HMAC of the client's SHA-256 of its device description.

    A missing or malformed header gives ``None`` (a bid is never refused for it)."""
    digest = (client_digest or "").strip().lower()
    if not DIGEST.match(digest):
        return None
    return keyed(platform_key, bytes.fromhex(digest))


def manager_id_key(platform_key: bytes, id_number: object) -> tuple[str, str] | None:
    """(keyed hash, last four characters) of a project manager's ID number, normalised (no spaces,
    upper-case X); ``None`` when the bid names none."""
    text = re.sub(r"\s+", "", str(id_number or "")).upper()
    if not text:
        return None
    return keyed(platform_key, text.encode()), text[-4:]


class FileEvidence(msgspec.Struct, frozen=True, omit_defaults=True):
    """One file of an opened bid package."""

    name: str
    sha256: str
    size: int
    author: str | None = None
    last_modified_by: str | None = None
    application: str | None = None
    created: str | None = None


@dataclass
class PackageEvidence:
    files: list[FileEvidence] = field(default_factory=list)
    text: str = ""
    manager_id: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _clean(value: object) -> str | None:
    text = " ".join(str(value or "").split())
    return text[:200] or None


def _xml_text(raw: bytes, path: str) -> str | None:
    root = ElementTree.fromstring(raw)
    found = root.find(path, _NS)
    return _clean(found.text) if found is not None else None


def ooxml_metadata(package: zipfile.ZipFile) -> dict[str, str | None]:
    """Author, last modified by, creation time (docProps/core.xml) and application (docProps/app.xml)."""
    out: dict[str, str | None] = {}
    names = set(package.namelist())
    if "docProps/core.xml" in names:
        core = package.read("docProps/core.xml")
        out["author"] = _xml_text(core, "dc:creator")
        out["last_modified_by"] = _xml_text(core, "cp:lastModifiedBy")
        out["created"] = _xml_text(core, "dcterms:created")
    if "docProps/app.xml" in names:
        out["application"] = _xml_text(package.read("docProps/app.xml"), "ep:Application")
    return out


def docx_text(package: zipfile.ZipFile) -> str:
    """The running text of word/document.xml (paragraphs on their own lines)."""
    if "word/document.xml" not in package.namelist():
        return ""
    root = ElementTree.fromstring(package.read("word/document.xml"))
    paragraphs = root.iter(f"{{{_NS['w']}}}p")
    return "\n".join("".join(t.text or "" for t in p.iter(f"{{{_NS['w']}}}t")) for p in paragraphs)


def xlsx_text(package: zipfile.ZipFile) -> str:
    """The shared strings of a workbook (its words; the numbers stay in bid.json)."""
    if "xl/sharedStrings.xml" not in package.namelist():
        return ""
    root = ElementTree.fromstring(package.read("xl/sharedStrings.xml"))
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}t"
    return "\n".join(t.text or "" for t in root.iter(main))


def _pdf_date(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else _clean(value)


def pdf_evidence(data: IO[bytes]) -> tuple[dict[str, str | None], str]:
    reader = PdfReader(data)
    info = reader.metadata
    meta: dict[str, str | None] = {}
    if info is not None:
        meta = {
            "author": _clean(info.author),
            "application": _clean(info.creator or info.producer),
            "created": _pdf_date(info.creation_date),
        }
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return meta, text


def _document(name: str, data: bytes) -> tuple[dict[str, str | None], str]:
    lower = name.lower()
    if lower.endswith(OOXML):
        with zipfile.ZipFile(io.BytesIO(data)) as doc:
            meta = ooxml_metadata(doc)
            text = docx_text(doc) if lower.endswith((".docx", ".docm")) else xlsx_text(doc)
        return meta, text
    if lower.endswith(PDF):
        return pdf_evidence(io.BytesIO(data))
    if lower.endswith(".txt"):
        return {}, data.decode("utf-8", errors="replace")
    return {}, ""


def package_evidence(source: IO[bytes], manager_key: bytes) -> PackageEvidence:
    """Everything the indicators read from one opened bid package (a ZIP with bid.json + attachments/)."""
    found = PackageEvidence()
    texts: list[str] = []
    with zipfile.ZipFile(source) as package:
        for info in package.infolist():
            if info.is_dir():
                continue
            digest, size = hashlib.sha256(), 0
            head = bytearray()
            with package.open(info) as member:
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    if size <= FILE_LIMIT:
                        head += chunk
            meta: dict[str, str | None] = {}
            if info.filename == "bid.json":
                try:
                    form = msgspec.json.decode(bytes(head))
                except msgspec.DecodeError:
                    form = None
                if isinstance(form, dict) and (pm := manager_id_key(manager_key, form.get(MANAGER_ID_FIELD))):
                    found.manager_id = {"key": pm[0], "tail": pm[1]}
            elif size <= FILE_LIMIT:
                try:
                    meta, text = _document(info.filename, bytes(head))
                except (zipfile.BadZipFile, ElementTree.ParseError, PyPdfError, ValueError, KeyError) as exc:
                    found.problems.append(f"{info.filename}: {type(exc).__name__}")
                    text = ""
                if text.strip():
                    texts.append(text)
            found.files.append(FileEvidence(info.filename, digest.hexdigest(), size, **meta))
    found.text = "\n".join(texts)[:TEXT_LIMIT]
    return found
