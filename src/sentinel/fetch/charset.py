"""Bytes to text, the way Chinese sites need it.

Order of evidence (first that holds wins):
1. the operator's override for the source (`encoding:` in sources.yaml) — always used;
2. a byte-order mark;
3. the HTTP header's charset;
4. `<meta charset>` / `<meta http-equiv=content-type>` (HTML) or the XML declaration (feeds);
5. strict UTF-8 (the commonest answer, and cheap to check);
6. detection by charset-normalizer;
7. UTF-8 with U+FFFD for whatever is left. This step cannot fail: no exception escapes.

Declarations lie, so a declared charset (steps 3–4) must earn its place: it is skipped when it
does not decode (more than one bad sequence per 8 KB), when it names UTF-16/32 for bytes with no
NULs in them, and when it names a legacy CJK charset for bytes that are valid, non-ASCII UTF-8 — a
page saved from a browser keeps `charset=gb2312` while its bytes are UTF-8, and CJK text in GBK
or Big5 is practically never valid UTF-8. GB2312/GBK are decoded as GB18030 and Big5 as
Big5-HKSCS, the supersets, so characters outside the old tables survive.

A Latin charset in the header (ISO-8859-1, windows-1252: a web server's default, not the page's
choice) decodes any bytes at all, so it cannot fail the check above: a GBK page served that way
would read as mojibake, silently. When the header names a Latin charset and the bytes are
clearly CJK (nearly all non-ASCII bytes come in pairs, as GBK, Big5 and UTF-8 write Chinese,
while Latin text has lone accented letters), the page's own `<meta>` / XML declaration is taken
first, then UTF-8, then detection; the header stands when none of them holds.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterator

from charset_normalizer import from_bytes

# Labels browsers treat as another encoding (WHATWG Encoding), plus the Chinese supersets.
_ALIASES = {
    **dict.fromkeys(
        (
            "gb2312",
            "gb_2312",
            "gb-2312",
            "gb_2312-80",
            "gbk",
            "x-gbk",
            "cp936",
            "ms936",
            "windows-936",
            "csgb2312",
            "csiso58gb231280",
            "chinese",
            "iso-ir-58",
            "euc-cn",
            "x-euc-cn",
            "gb18030",
        ),
        "gb18030",
    ),
    **dict.fromkeys(
        ("big5", "big-5", "big5-hkscs", "big5hkscs", "cn-big5", "csbig5", "x-x-big5", "x-big5"),
        "big5hkscs",
    ),
    **dict.fromkeys(
        (
            "iso-8859-1",
            "iso8859-1",
            "iso_8859-1",
            "latin1",
            "latin-1",
            "l1",
            "cp819",
            "ibm819",
            "ascii",
            "us-ascii",
            "windows-1252",
            "x-cp1252",
            "x-user-defined",
        ),
        "cp1252",
    ),
    **dict.fromkeys(("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"), "utf-8"),
}
# Codecs a page may not select: not text encodings for the web, or unsafe (UTF-7 smuggles markup).
_REFUSED = frozenset(
    {
        "utf-7",
        "undefined",
        "idna",
        "punycode",
        "unicode-escape",
        "raw-unicode-escape",
        "mbcs",
        "oem",
    }
)
_CJK_LEGACY = frozenset(
    {
        "gb18030",
        "big5hkscs",
        "gbk",
        "gb2312",
        "big5",
        "cp950",
        "euc_jp",
        "shift_jis",
        "euc_kr",
        "cp949",
    }
)

_META = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)

META_SCAN = 4096  # always looked at; further up to </head>, within META_SCAN_MAX
META_SCAN_MAX = 65536
XML_DECL_SCAN = 1024
DETECT_SAMPLE = 65536
BAD_PER_BYTES = 8192


@functools.lru_cache(maxsize=256)
def normalize_charset(name: str) -> str:
    """The codec we decode a charset label with (gb2312 → gb18030, big5 → big5hkscs, latin1 →
    cp1252 …). Raises LookupError for labels that name no usable text encoding."""
    label = name.strip().strip("\"'").lower()
    if label in _ALIASES:
        return _ALIASES[label]
    info = codecs.lookup(label)
    canonical = info.name
    if canonical in _REFUSED or not getattr(info, "_is_text_encoding", True):
        raise LookupError(f"not a usable text encoding: {name!r}")
    return _ALIASES.get(canonical, canonical)


def decode_html(
    body: bytes, *, header_charset: str | None = None, override: str | None = None
) -> tuple[str, str]:
    """(text, encoding used) for an HTML page."""
    return _decode(body, header_charset, override, html=True)


def decode_xml(
    body: bytes, *, header_charset: str | None = None, override: str | None = None
) -> tuple[str, str]:
    """(text, encoding used) for a feed or other XML document."""
    return _decode(body, header_charset, override, html=False)


def _decode(
    body: bytes,
    header_charset: str | None,
    override: str | None,
    *,
    html: bool,
) -> tuple[str, str]:
    if override:
        codec = _codec(override)
        if codec is not None:
            return body.decode(codec, errors="replace"), codec
    found = _bom(body) or (None if html else _utf16_sniff(body))
    if found is not None:
        return found
    if header_charset:
        codec = _codec(header_charset)
        if codec is not None and _latin(codec) and _looks_cjk(body):
            found = _cjk_instead(body, html=html)
            if found is not None:
                return found
        result = _declared(body, codec)
        if result is not None:
            return result
    label = _meta_charset(body) if html else _xml_charset(body)
    if label:
        codec = _codec(label)
        if html and codec is not None and codec.startswith("utf-16"):
            codec = "utf-8"  # a meta read as ASCII cannot be UTF-16; browsers take UTF-8
        result = _declared(body, codec)
        if result is not None:
            return result
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    detected = _detect(body)
    if detected is not None:
        return body.decode(detected, errors="replace"), detected
    return body.decode("utf-8", errors="replace"), "utf-8"


def trusted_header(body: bytes, header_charset: str | None, *, html: bool = False) -> str | None:
    """The header's charset, or None when it is a Latin one the bytes plainly contradict (for
    parsers that decode by themselves, such as feedparser: they fall back to the document's own
    declaration and detection)."""
    if not header_charset:
        return None
    codec = _codec(header_charset)
    contradicted = codec is not None and _latin(codec) and _looks_cjk(body)
    if contradicted and _cjk_instead(body, html=html) is not None:
        return None
    return header_charset


def _codec(label: str) -> str | None:
    try:
        return normalize_charset(label)
    except LookupError:
        return None


def _bom(body: bytes) -> tuple[str, str] | None:
    if body[:3] == codecs.BOM_UTF8:
        return body[3:].decode("utf-8", errors="replace"), "utf-8"
    if body[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        codec = "utf-32-le" if body[:4] == codecs.BOM_UTF32_LE else "utf-32-be"
        return body[4:].decode(codec, errors="replace"), codec
    if body[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        codec = "utf-16-le" if body[:2] == codecs.BOM_UTF16_LE else "utf-16-be"
        return body[2:].decode(codec, errors="replace"), codec
    return None


def _utf16_sniff(body: bytes) -> tuple[str, str] | None:
    """An XML document starts with `<`: UTF-16 without a BOM shows as `<\\0` or `\\0<`."""
    if body[:4] == b"<\x00?\x00":
        return body.decode("utf-16-le", errors="replace"), "utf-16-le"
    if body[:4] == b"\x00<\x00?":
        return body.decode("utf-16-be", errors="replace"), "utf-16-be"
    return None


def _declared(body: bytes, codec: str | None) -> tuple[str, str] | None:
    """Decode with a declared codec, or None when the declaration does not hold."""
    if codec is None:
        return None
    if codec.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:1024]:
        return None  # 8-bit bytes declared as UTF-16: a lie (strict decoding would "succeed")
    if codec in _CJK_LEGACY and not body.isascii():
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return body.decode(codec), codec
    except UnicodeDecodeError:
        pass
    text = body.decode(codec, errors="replace")
    # A stray byte or two in a large page is a typo, not a wrong declaration.
    if text.count("\ufffd") <= max(1, len(body) // BAD_PER_BYTES):
        return text, codec
    return None


def _meta_charset(body: bytes) -> str | None:
    m = _META.search(body, 0, META_SCAN)
    if m is None and len(body) > META_SCAN:
        # Long heads (inline scripts, injected archive toolbars) push the meta further down.
        end = _HEAD_END.search(body, 0, META_SCAN_MAX)
        m = _META.search(body, 0, end.start() if end else META_SCAN_MAX)
    return m.group(1).decode("ascii") if m else None


def _xml_charset(body: bytes) -> str | None:
    m = _XML_DECL.search(body, 0, XML_DECL_SCAN)
    return m.group(1).decode("ascii") if m else None


def _detect(body: bytes) -> str | None:
    best = from_bytes(body[:DETECT_SAMPLE]).best()
    if best is None:
        return None
    return _codec(best.encoding)


def _latin(codec: str) -> bool:
    return codec.startswith(("cp125", "iso8859-", "latin"))


_HIGH = re.compile(rb"[\x80-\xff]+")
CJK_PAIRED = 0.8  # share of non-ASCII bytes in runs of two or more: CJK ~1.0, Latin text ~0


def _looks_cjk(body: bytes) -> bool:
    """Whether the non-ASCII bytes look like Chinese (runs of 2+), not lone Latin letters."""
    sample = body[:DETECT_SAMPLE]
    runs = [len(m) for m in _HIGH.findall(sample)]
    high = sum(runs)
    return high >= 4 and sum(n for n in runs if n >= 2) >= CJK_PAIRED * high


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]")


def _mostly_cjk(text: str) -> bool:
    """Whether the non-ASCII characters are mostly Chinese (ideographs, CJK punctuation)."""
    wide = sum(not c.isascii() for c in text[:DETECT_SAMPLE])
    return wide > 0 and len(_CJK.findall(text[:DETECT_SAMPLE])) >= CJK_PAIRED * wide


def _cjk_instead(body: bytes, *, html: bool) -> tuple[str, str] | None:
    """The page as UTF-8, its own declaration or a detected CJK charset, when that reads as
    Chinese; None: keep the header's. Valid UTF-8 is UTF-8 (its accented Latin letters come in
    byte pairs too, and would read as hanzi in GBK); GBK and Big5 are practically never valid
    UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return (text, "utf-8") if _mostly_cjk(text) else None
    for found in _cjk_candidates(body, html=html):
        if _mostly_cjk(found[0]):
            return found
    return None


def _cjk_candidates(body: bytes, *, html: bool) -> Iterator[tuple[str, str]]:
    label = _meta_charset(body) if html else _xml_charset(body)
    codec = _codec(label) if label else None
    if codec is not None and not _latin(codec):
        found = _declared(body, codec)
        if found is not None:
            yield found
    detected = _detect(body)
    for name in dict.fromkeys((detected, "gb18030", "big5hkscs")):
        if name in _CJK_LEGACY:
            try:
                yield body.decode(name), name
            except UnicodeDecodeError:
                continue
