"""Character sets: synthetic cases, then the real third-party pages of the corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sentinel.fetch.charset import decode_html, decode_xml, normalize_charset

CORPUS = os.environ.get("SENTINEL_CORPUS")
corpus = pytest.mark.skipif(not CORPUS, reason="SENTINEL_CORPUS not set")

TEXT = "女山湖镇强拆农户房屋，补偿款至今未到位"


def page(charset_meta: str, text: str = TEXT) -> str:
    return f'<html><head><meta charset="{charset_meta}"><title>{text}</title></head></html>'


# -- synthetic -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("x-gbk", "gb18030"),
        ("gb_2312", "gb18030"),
        ("GB18030", "gb18030"),
        ("big5", "big5hkscs"),
        ("Big5-HKSCS", "big5hkscs"),
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("windows-1251", "cp1251"),
        ("'shift_jis'", "shift_jis"),
    ],
)
def test_normalize_charset(label: str, codec: str) -> None:
    assert normalize_charset(label) == codec


@pytest.mark.parametrize("label", ["bogus", "utf-7", "base64", "rot13", ""])
def test_normalize_charset_refuses(label: str) -> None:
    with pytest.raises(LookupError):
        normalize_charset(label)


def test_gbk_bytes_with_meta() -> None:
    body = page("gb2312", TEXT + "镕").encode("gbk")  # 镕 is in GBK, not in GB2312
    text, enc = decode_html(body)
    assert enc == "gb18030" and TEXT + "镕" in text


def test_gb18030_four_byte_characters() -> None:
    body = page("gbk", "𠮷").encode("gb18030")
    text, enc = decode_html(body)
    assert enc == "gb18030" and "𠮷" in text


def test_big5_bytes_from_the_header() -> None:
    body = "<ul><li>女山湖鎮強拆農戶房屋，補償款至今未到位</li></ul>".encode("big5")
    text, enc = decode_html(body, header_charset="big5")
    assert enc == "big5hkscs" and "女山湖鎮強拆農戶房屋" in text


def test_hkscs_characters_in_a_big5_page() -> None:
    body = page("big5", "深水埗").encode("big5hkscs")  # 埗 exists only in HKSCS
    text, enc = decode_html(body)
    assert enc == "big5hkscs" and "深水埗" in text


def test_header_beats_meta() -> None:
    body = page("big5", "城管执法").encode("gbk")
    text, enc = decode_html(body, header_charset="GBK")
    assert enc == "gb18030" and "城管执法" in text


def test_meta_used_when_header_has_none() -> None:
    body = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gbk'>"
        f"</head><body>{TEXT}</body></html>"
    ).encode("gbk")
    assert decode_html(body, header_charset=None) == (body.decode("gbk"), "gb18030")


def test_override_beats_everything() -> None:
    body = "\ufeff".encode() + page("utf-8", "拖欠工资").encode("utf-8")
    text, enc = decode_html(body, header_charset="utf-8", override="latin-1")
    assert enc == "cp1252" and "拖欠工资" not in text


def test_declared_gb2312_but_utf8_bytes() -> None:
    body = page("gb2312").encode("utf-8")
    text, enc = decode_html(body, header_charset="gb2312")
    assert enc == "utf-8" and TEXT in text


def test_wrong_declaration_falls_through_to_detection() -> None:
    body = (
        "<html><head><meta charset='utf-8'></head><body>"
        + "明光市人民政府关于女山湖镇群众反映问题的回复。" * 20
        + "</body></html>"
    ).encode("gbk")
    text, enc = decode_html(body)
    assert enc == "gb18030" and "女山湖镇群众反映问题" in text


LIST = "".join(f"<li><a href='/t/{n}.html'>{TEXT}（{n}）</a></li>" for n in range(20))


@pytest.mark.parametrize("latin", ["ISO-8859-1", "iso-8859-1", "windows-1252", "latin1"])
def test_a_gbk_page_served_as_latin_reads_by_its_meta(latin: str) -> None:
    body = f"<html><head><meta charset='gbk'></head><body><ul>{LIST}</ul></body></html>"
    text, enc = decode_html(body.encode("gbk"), header_charset=latin)
    assert enc == "gb18030" and text.count(TEXT) == 20


def test_a_gbk_page_served_as_latin_without_meta_is_detected() -> None:
    body = f"<html><body><ul>{LIST}</ul></body></html>".encode("gbk")
    text, enc = decode_html(body, header_charset="ISO-8859-1")
    assert enc == "gb18030" and text.count(TEXT) == 20
    # a UTF-8 feed served as Latin-1: its bytes are valid UTF-8
    feed = f"<?xml version='1.0'?><rss><channel><title>{TEXT}</title></channel></rss>"
    text, enc = decode_xml(feed.encode("utf-8"), header_charset="ISO-8859-1")
    assert enc == "utf-8" and TEXT in text
    big5 = "<rss><channel><title>女山湖鎮強拆農戶房屋，補償款至今未到位</title></channel></rss>"
    text, enc = decode_xml(
        f"<?xml version='1.0' encoding='big5'?>{big5}".encode("big5hkscs"), header_charset="latin1"
    )
    assert enc == "big5hkscs" and "女山湖鎮" in text


def test_a_latin_page_served_as_latin_stays_latin() -> None:
    body = "<html><body><p>Café, résumé, naïve — ¿qué pasó?</p></body></html>".encode("cp1252")
    text, enc = decode_html(body, header_charset="ISO-8859-1")
    assert enc == "cp1252" and "Café, résumé, naïve" in text


def test_meta_after_a_long_head_is_found() -> None:
    head = "<html><head><script>" + "var x = 1;\n" * 600 + "</script>"
    body = (head + '<meta charset="gbk"></head><body>' + TEXT + "</body></html>").encode("gbk")
    assert len(body) > 4096
    assert decode_html(body) == (body.decode("gbk"), "gb18030")


def test_boms() -> None:
    assert decode_html(b"\xef\xbb\xbf" + page("gbk").encode()) == (page("gbk"), "utf-8")
    assert decode_html(b"\xff\xfe" + page("gbk").encode("utf-16-le"))[0] == page("gbk")
    assert decode_html(b"\xfe\xff" + page("gbk").encode("utf-16-be"))[1] == "utf-16-be"


def test_xml_declaration() -> None:
    feed = f'<?xml version="1.0" encoding="gb2312"?><rss><title>{TEXT}</title></rss>'
    assert decode_xml(feed.encode("gbk")) == (feed, "gb18030")
    big5 = '<?xml version="1.0" encoding="BIG5"?><rss><title>補償款</title></rss>'
    assert decode_xml(big5.encode("big5")) == (big5, "big5hkscs")


def test_xml_declared_utf16_on_8bit_bytes_is_a_lie() -> None:
    feed = f'<?xml version="1.0" encoding="utf-16"?><rss><title>{TEXT}</title></rss>'
    assert decode_xml(feed.encode("utf-8")) == (feed, "utf-8")
    assert decode_xml(feed.encode("utf-8"), header_charset="utf-16") == (feed, "utf-8")


def test_xml_utf16_without_bom() -> None:
    feed = f'<?xml version="1.0" encoding="utf-16"?><rss><title>{TEXT}</title></rss>'
    assert decode_xml(feed.encode("utf-16-le")) == (feed, "utf-16-le")


def test_a_stray_byte_does_not_discard_the_declaration() -> None:
    body = (
        "<html><head><meta charset='utf-8'></head><body>"
        + "Grüße aus Mäscot. " * 600
        + "</body></html>"
    ).encode("utf-8")
    body = body.replace(b"Gr\xc3\xbc\xc3\x9fe", b"Gr\xe4e", 1)
    text, enc = decode_html(body)
    assert enc == "utf-8" and text.count("Grüße") == 599 and "\ufffd" in text


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\x00\x00",
        bytes(range(256)) * 8,
        b"\xff\xfe\x00",
        b"<meta charset=bogus>\xff",
        b'<?xml version="1.0" encoding="rot13"?>\x81',
    ],
)
def test_never_raises(body: bytes) -> None:
    for fn in (decode_html, decode_xml):
        text, enc = fn(body, header_charset="nonsense")
        assert isinstance(text, str) and enc


# -- the real pages ------------------------------------------------------------------------------


def corpus_file(name: str) -> bytes:
    assert CORPUS is not None
    return (Path(CORPUS) / name).read_bytes()


@corpus
@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "header", "encoding", "needle"),
    [
        ("rss_zh/chardet_gb2312_rss10_rdf_b2evolution.xml", None, "gb18030", "加西公社温哥华大队"),
        ("rss_zh/chardet_gb2312_rss20_softsea_100items.xml", None, "gb18030", "系统工具"),
        ("rss_zh/chardet_big5_rss10_rdf_coolloud.xml", None, "big5hkscs", "苦勞網"),
        ("rss_zh/sz_gov_policy_rss2_utf8.xml", None, "utf-8", "深圳政策RSS聚合"),
        (
            "feeds_edge/fastfeedparser_declared_utf16_actually_utf8.xml",
            None,
            "utf-8",
            "Eliot Jones",
        ),
        (
            "feeds_edge/feedparser_atom_gb2312_charset_overrides_utf8.xml",
            "gb2312",
            "gb18030",
            "<feed",
        ),
        ("feeds_edge/feedparser_atom_gb2312_encoding_decl.xml", None, "gb18030", "<feed"),
        ("feeds_edge/feedparser_chardet_gb2312_nodecl.xml", None, "gb18030", "不归移民漫画系列"),
        ("feeds_edge/feedparser_chardet_big5_nodecl.xml", None, "big5hkscs", "其翻"),
        ("feeds_edge/nodefeedparser_windows1251_oren_ru.xml", None, "cp1251", "Новости Оренбурга"),
    ],
)
def test_corpus_feeds(name: str, header: str | None, encoding: str, needle: str) -> None:
    text, enc = decode_xml(corpus_file(name), header_charset=header)
    assert enc == encoding and needle in text


@corpus
@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "header", "encoding", "needle"),
    [
        ("html_edge/gne_people_declared_gb2312_actual_utf8.html", None, "utf-8", "郑板桥"),
        ("html_edge/gne_qq_declared_gb2312_actual_utf8.html", "gb2312", "utf-8", "数据业大整顿"),
        ("other/gerapy_rtfund_disclosure_list.html", None, "utf-8", "融通基金"),
        (
            "html_edge/chardet_gb18030_html_no_charset_saved_from_sina.html",
            None,
            "gb18030",
            "中国制造",
        ),
        ("html_edge/chardet_gb2312_html_fragment_no_head_sohu.html", None, "gb18030", "搜狐"),
        ("html_edge/trafilatura_wayback_he_xinhuanet_gb2312.html", None, "gb18030", "约定无期限"),
        ("discuz/1984bbs_discuz7_viewthread_tid1770_gbk.html", "GBK", "gb18030", "睡衣族"),
        ("gov_portal/xinxiang_gov_xxgk_info_list_gbk.html", None, "gb18030", "新乡市人民政府"),
        ("html_edge/trafilatura_declared_utf8_with_latin1_byte.html", None, "utf-8", "Mäscot"),
        ("html_edge/trafilatura_rp_pl_windows1250.html", None, "cp1250", "bliżej"),
        # W3C: the header beats the meta; a BOM beats the meta; nothing at all means UTF-8.
        ("html_edge/w3c_http_vs_meta_charset.html", "ISO-8859-15", "iso8859-15", "ÃœÃ€Ãš"),
        ("html_edge/w3c_utf8_bom_vs_meta_charset.html", None, "utf-8", "ýäè"),
        ("html_edge/w3c_no_encoding_declaration_utf8.html", None, "utf-8", "ýäè"),
        ("html_edge/w3c_utf16le_bom_no_meta.html", None, "utf-16-le", "UTF-16LE BOM"),
    ],
)
def test_corpus_pages(name: str, header: str | None, encoding: str, needle: str) -> None:
    text, enc = decode_html(corpus_file(name), header_charset=header)
    assert enc == encoding and needle in text


@corpus
@pytest.mark.corpus
def test_every_corpus_file_decodes_without_exception() -> None:
    assert CORPUS is not None
    files = sorted(p for p in Path(CORPUS).rglob("*") if p.is_file() and p.suffix != ".tsv")
    assert len(files) > 50
    for path in files:
        body = path.read_bytes()
        for fn in (decode_html, decode_xml):
            for header in (None, "gb2312", "utf-16", "bogus"):
                text, enc = fn(body, header_charset=header)
                assert isinstance(text, str) and enc, path
