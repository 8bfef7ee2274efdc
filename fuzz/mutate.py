"""Mutations of real inputs: byte flips, hostile snippets, splices, repeats and truncation.

The snippets are the shapes fuzzing has found hurting page and config parsers before: long
digit runs, deep nesting, crowded elements, unclosed tags, escapes a decoder refuses, numbers
past every range, control characters. Repeats grow a page towards the body cap, since what is
slow is usually what repeats.
"""

from __future__ import annotations

import random

PAGE_SNIPPETS: tuple[bytes, ...] = (
    b"9" * 400,
    b"1" * 5000 + "天前".encode(),
    b"<object>" + b"<span>a" * 2000,
    b"<a " + b" ".join(b"a%d=1" % i for i in range(3000)) + b">x</a>",
    b"<div>" * 3000,
    b"<table><tr><td>" * 1000,
    b"<script>" * 2000,
    b"<title>" * 2000,
    b"<li><a href='https:////]'>x</a></li>",
    b"<li><a href='javascript:alert(1)'>x</a></li>",
    b"<li><a href='http://[::1'>x</a></li>",
    b"<li><a href='http://a.cn:99999/'>x</a></li>",
    "<li><a href='/中文?a=\udcff'>x</a></li>".encode("utf-8", "surrogateescape"),
    b"&#0;&#xD800;&#x110000;&#99999999999;",
    b"\x00\x01\x1a\x7f\xff\xfe\xef\xbb\xbf",
    b"<![CDATA[" * 100,
    b"<!--" * 500,
    b'<?xml version="1.0" encoding="utf-16"?>',
    b'<meta charset="x-unknown-\xff">',
    b'<meta http-equiv="content-type" content="text/html; charset=gbk">',
    b"<item><title>t</title><link>http://x.cn/1</link></item>" * 200,
    b"<entry><title>t</title><link href='http://x.cn/2'/></entry>" * 200,
    b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>&b;',
    b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>&x;',
    "0001-01-01T00:00:00 9999-12-31 2026-13-45 25:61 下午13:99 三十四天前 十万年前".encode(),
    b'{"n": 1e999, "m": -Infinity, "k": NaN, "big": ' + b"9" * 5000 + b"}",
    b'"\\ud800\\udfff\\u0000"',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"\xd6\xd0\xce\xc4" * 100,  # GBK 中文
    b"\xa4\xa4\xa4\xe5" * 100,  # Big5 中文
)

CONFIG_SNIPPETS: tuple[bytes, ...] = (
    b"\x0c",
    b"\x1a",
    b"\x00",
    b"\x7f",
    "\ufffe".encode(),
    b"\xff\xfe",
    b"[" * 600 + b"]" * 600,
    b"{a: " * 400 + b"1" + b"}" * 400,
    b"!!float x",
    b"!!timestamp 2026-13-45",
    b"!!binary ***",
    b"!!python/object:os.system {}",
    b"9999999999d",
    b"1e999",
    b"-1",
    b"Asia/Shangai",
    b"UTC+8",
    b"''",
    b"<<: *a",
    b"&a ",
    b"*a",
    b"*undefined",
    b"\n  - id: dup\n    kind: rss\n    url: http://a.cn/f\n",
    b": : :",
    b"\t",
    b"? [a, b]\n: c\n",
    b"%YAML 1.1\n---\n",
    b"\n---\n",
    b"9" * 5000,
)

LOL = b'lol0: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + b"".join(
    b"lol%d: &%c [%s]\n" % (i, 97 + i, b", ".join([b"*%c" % (96 + i)] * 9)) for i in range(1, 9)
)


def mutate(data: bytes, rng: random.Random, snippets: tuple[bytes, ...], cap: int) -> bytes:
    """One to four mutations of `data`, at most `cap` bytes long."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        at = rng.randint(0, len(out))
        if op == 0 and out:  # flip bytes
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(out))
                out[i] = rng.randrange(256)
        elif op == 1:  # a hostile snippet
            out[at:at] = rng.choice(snippets)
        elif op == 2 and out:  # delete a run
            out[at : at + rng.randint(1, 200)] = b""
        elif op == 3 and out:  # repeat a run many times
            end = min(len(out), at + rng.randint(1, 400))
            piece = bytes(out[at:end]) or b"<"
            out[at:at] = piece * rng.randint(2, max(2, min(20_000, cap // len(piece))))
        elif op == 4:  # truncate
            del out[at:]
        elif op == 5 and out:  # splice a run from elsewhere
            src = rng.randrange(len(out))
            out[at:at] = out[src : src + rng.randint(1, 2000)]
        else:  # a snippet, repeated
            snippet = rng.choice(snippets)
            out[at:at] = snippet * rng.randint(1, max(1, min(50, cap // max(1, len(snippet)))))
        if len(out) > cap:
            del out[cap:]
    return bytes(out)
