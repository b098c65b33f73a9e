"""The CJK font the PDF embeds, subset to the characters it shows.

The PDF embeds a subset of a CJK font when it finds one, in this order: the ``font`` argument,
the ``SUNBID_REPORT_FONT`` environment variable (a font file path, or ``STSong-Light`` to force the
built-in font), then :data:`FONT_SEARCH` (Debian's fonts-noto-cjk first). OpenType fonts with
PostScript (CFF) outlines, as Noto Sans CJK is, are converted to TrueType outlines for the subset
(fontTools), since reportlab embeds TrueType only. With no font file (a fresh machine with only the
Python packages) the PDF uses reportlab's built-in Adobe-GB1 font ``STSong-Light``: not embedded,
every PDF viewer supplies it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from evaluation.report.facts import ReportError

FONT_ENV = "SUNBID_REPORT_FONT"
FALLBACK_FONT = "STSong-Light"  # reportlab's built-in Adobe-GB1 CID font (not embedded)
FONT_SEARCH: tuple[str, ...] = (
    # Debian/Ubuntu: fonts-noto-cjk, fonts-noto-cjk-extra, fonts-wqy-*, fonts-arphic-*, fonts-droid
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/STHeiti Light.ttc",  # macOS
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/simhei.ttf",  # Windows
    "C:/Windows/Fonts/simsun.ttc",
)


@dataclass(frozen=True)
class _Font:
    path: Path | None  # None: the built-in CID font
    index: int = 0


def find_cjk_font(env: Mapping[str, str] | None = None) -> Path | None:
    """The CJK font file the PDF embeds: ``SUNBID_REPORT_FONT``, else the first of FONT_SEARCH that
    exists; None when there is none (or the variable says ``STSong-Light``): the built-in font."""
    env = os.environ if env is None else env
    configured = (env.get(FONT_ENV) or "").strip()
    if configured:
        if configured == FALLBACK_FONT:
            return None
        path = Path(configured)
        if not path.is_file():
            raise ReportError(f"{FONT_ENV}={configured}: no such font file")
        return path
    return next((Path(p) for p in FONT_SEARCH if Path(p).is_file()), None)


def _collection_index(path: Path) -> int:
    """In a font collection (.ttc), the Simplified Chinese face when there is one, else the first."""
    return _face_index(str(path), path.stat().st_mtime)


@lru_cache(maxsize=8)
def _face_index(path: str, mtime: float) -> int:
    from fontTools.ttLib import TTCollection

    with open(path, "rb") as file:
        if file.read(4) != b"ttcf":
            return 0
    with TTCollection(path, lazy=True) as collection:
        for i, face in enumerate(collection.fonts):
            name = str(face["name"].getDebugName(6) or "")
            if re.search(r"sc\b|sc-|SC|GB|Hans", name):  # NotoSansCJKsc-Regular, SourceHanSansSC, …
                return i
    return 0


@lru_cache(maxsize=8)
def _subset(path: str, index: int, mtime: float, text: str) -> bytes | None:
    """A TrueType-outline subset of the font with the characters of ``text``; None when the font lacks
    one of them (the PDF then falls back to the built-in font rather than show a missing glyph)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(path, fontNumber=index, lazy=False, recalcTimestamp=False)
    cmap = font.getBestCmap() or {}
    if any(ord(ch) not in cmap for ch in text if not ch.isspace()):
        return None
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "DSIG", "BASE", "GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if "CFF " in font or "CFF2" in font:
        # PostScript outlines → TrueType (quadratic) outlines, which is what reportlab embeds.
        glyphs = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = font.getGlyphOrder()
        glyf.glyphs = {}
        for name in glyf.glyphOrder:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf[name] = pen.glyph()
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        for tag in ("CFF ", "CFF2"):
            if tag in font:
                del font[tag]
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in (
            "maxZones",
            "maxTwilightPoints",
            "maxStorage",
            "maxFunctionDefs",
            "maxInstructionDefs",
            "maxStackElements",
            "maxSizeOfInstructions",
            "maxComponentElements",
        ):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        font["head"].glyphDataFormat = 0
        font["post"].formatType = 3.0
        font.sfntVersion = "\x00\x01\x00\x00"
    # A PostScript name of its own (reportlab would otherwise reuse an earlier subset of the face).
    tag = hashlib.sha256(text.encode()).hexdigest()[:10].upper()
    for record in font["name"].names:
        if record.nameID == 6:
            record.string = f"{record.toUnicode()[:50]}-{tag}"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


# reportlab keeps registered fonts in process-wide tables, and maps a second TrueType font whose
# PostScript name it has seen to the first one: each subset gets its own PostScript name (see
# _subset), and a PDF is rendered holding this lock, its subset registered only while it renders.
_font_lock = threading.Lock()


@contextmanager
def registered(font: _Font, text: str) -> Iterator[str]:
    """The reportlab font name to render ``text`` with, registered for the duration."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    with _font_lock:
        data = None
        if font.path is not None:
            data = _subset(str(font.path), font.index, font.path.stat().st_mtime, text)
        if data is None:
            if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
            yield FALLBACK_FONT
            return
        name = "SunbidCJK-" + hashlib.sha256(data).hexdigest()[:16]
        ttf = TTFont(name, io.BytesIO(data))
        pdfmetrics.registerFont(ttf)
        try:
            yield name
        finally:
            # forget the subset (reportlab has no public way to): a long-running server renders many
            for table, key in (
                (getattr(pdfmetrics, "_fonts", {}), name),
                (getattr(pdfmetrics, "_dynFaceNames", {}), ttf.face.name),
            ):
                if table.get(key) is ttf:
                    del table[key]


def choose_font(font: str | Path | None) -> _Font:
    if font is None:
        path = find_cjk_font()
    elif str(font) == FALLBACK_FONT:
        path = None
    else:
        path = Path(font)
        if not path.is_file():
            raise ReportError(f"no such font file: {font}")
    if path is None:
        return _Font(None)
    try:
        return _Font(path, _collection_index(path))
    except Exception as error:  # a broken or unreadable font file: say which
        raise ReportError(f"cannot read font {path}: {error}") from None
