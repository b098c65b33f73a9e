"""Office documents as bidders attach them, made here for the evidence tests: a DOCX and an XLSX with
the OOXML parts office suites write (core and app properties), and a PDF written by reportlab with its
document information. The code under test reads them with defusedxml and pypdf."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{modified_by}</cp:lastModifiedBy>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
    "</cp:coreProperties>"
)
APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>{application}</Application></Properties>"
)
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _props(package: zipfile.ZipFile, author: str, modified_by: str, application: str, created: str) -> None:
    package.writestr(
        "docProps/core.xml",
        CORE.format(author=escape(author), modified_by=escape(modified_by), created=escape(created)),
    )
    package.writestr("docProps/app.xml", APP.format(application=escape(application)))


def docx(
    paragraphs: list[str],
    *,
    author: str = "张工",
    modified_by: str = "张工",
    application: str = "Microsoft Office Word",
    created: str = "2026-11-20T08:00:00Z",
) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr(
            "word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
        )
        _props(package, author, modified_by, application, created)
    return out.getvalue()


def xlsx(strings: list[str], *, author: str = "李会计", application: str = "WPS 表格") -> bytes:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}">{items}</sst>')
        _props(package, author, author, application, "2026-11-21T09:30:00Z")
    return out.getvalue()


def pdf(lines: list[str], *, author: str = "王造价", creator: str = "Microsoft Word") -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=True)
    page.setAuthor(author)
    page.setCreator(creator)
    y = 800
    for line in lines:  # ASCII only: the standard fonts carry no Chinese glyphs
        page.drawString(72, y, line)
        y -= 16
    page.save()
    return out.getvalue()
