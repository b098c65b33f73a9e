"""Pinyin initials without a dictionary package, and the normalised text that search matches.

GB2312's level-1 hanzi (3,755 common characters) are ordered by pinyin, so the first letter of a
character follows from where its GB2312 code falls between the first characters of each letter.
Level-2 hanzi are ordered by radical instead; the few of them that catalog names use are listed in
``_EXTRA``. Polyphonic characters get the reading GB2312 files them under; phrases where that is
wrong for the catalog (银行 is yinhang, not yinxing) are fixed in ``_PHRASES``.
"""

from __future__ import annotations

import unicodedata

# The first level-1 character of each initial, in GB2312 order (no i, u, v initials in pinyin).
_FIRSTS = "啊芭擦搭蛾发噶哈击喀垃妈拿哦啪期然撒塌挖昔压匝"
_LETTERS = "abcdefghjklmnopqrstwxyz"
_BOUNDS = [int.from_bytes(c.encode("gb2312"), "big") for c in _FIRSTS]
_LEVEL1_END = 0xD7F9
_EXTRA = {
    "桦": "h",
    "珲": "h",
    "磐": "p",
    "蛟": "j",
    "丰": "f",
    "瓯": "o",
    "漯": "l",
    "濮": "p",
    "亳": "b",
    "钊": "z",
    "滦": "l",
    "泸": "l",
    "缙": "j",
    "邛": "q",
    "崂": "l",
    "婺": "w",
    "嵊": "s",
    "犍": "q",
    "殡": "b",
    "殓": "l",
    "骸": "h",
    "嗣": "s",
    "馏": "l",
    "熔": "r",
    "焊": "h",
    "氡": "d",
    "镭": "l",
    "钚": "b",
    "铀": "y",
    "砼": "t",
    "斫": "z",
    "砷": "s",
    "汞": "g",
    "甾": "z",
    "罂": "y",
    "粟": "s",
    "鳖": "b",
    "鲟": "x",
    "獭": "t",
    "麝": "s",
    "貂": "d",
    "兽": "s",
    "醚": "m",
    "肽": "t",
    "疝": "s",
    "阈": "y",
    "赁": "l",
    "蔬": "s",
    "鳗": "m",
    "蚝": "h",
    "嫁": "j",
    "娶": "q",
    "芪": "q",
    "靶": "b",
}
_PHRASES = {"银行": "yh", "重新": "cx", "重大": "zd", "长春": "cc", "长白": "cb", "调解": "tj"}


def initial(char: str) -> str:
    """The pinyin initial of one hanzi; other characters come back lower-cased (letters, digits)."""
    if char in _EXTRA:
        return _EXTRA[char]
    if not "\u4e00" <= char <= "\u9fff":
        return char.lower() if char.isalnum() else ""
    try:
        code = int.from_bytes(char.encode("gb2312"), "big")
    except UnicodeEncodeError:
        return ""
    if not _BOUNDS[0] <= code < _LEVEL1_END:
        return ""
    letter = ""
    for bound, candidate in zip(_BOUNDS, _LETTERS, strict=True):
        if code < bound:
            break
        letter = candidate
    return letter


def initials(text: str) -> str:
    """``食品经营许可`` → ``spjyxk``; ASCII letters and digits pass through."""
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _PHRASES:
            out.append(_PHRASES[pair])
            i += 2
            continue
        out.append(initial(text[i]))
        i += 1
    return "".join(out)


def normalise(text: str) -> str:
    """What both the stored search text and the query go through: NFKC, lower case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def search_text(*parts: str) -> str:
    """The precomputed haystack of an item: its fields, then the pinyin initials of its name."""
    joined = "|".join(normalise(p) for p in parts if p)
    return f"{joined}|{initials(normalise(parts[0]))}" if parts else ""
