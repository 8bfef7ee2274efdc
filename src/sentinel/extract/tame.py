"""HTML bounded before lexbor sees it: attributes per element, and nesting.

lexbor checks each new attribute name against the element's others, so one element with 100k
distinct names (870 KB) took 23 s to parse. Real elements carry a handful; the pattern below
keeps the first MAX_ATTRS of a longer run and drops the rest. Its groups are atomic and its
repeats possessive, so it is linear in the page: ~0.3 ms per 100k characters of ordinary HTML.

lexbor's tree building is also quadratic in nesting depth (40k nested <div>: 2 s; 87k: 8 s),
and in memory on text written directly in a table (20k pieces: 131 MB). A page with more
tags than MAX_DEPTH_CHECK could do either, and only such a page is scanned (in Python, ~13 ms
per 10k tags; see _shallow). Real pages nest a few dozen deep and put text in cells.
"""

from __future__ import annotations

import re

from sentinel.extract.limits import MAX_ATTRS, MAX_DEPTH, MAX_DEPTH_CHECK, MAX_FOSTERED

# An attribute as the HTML tokenizer reads one: a name, maybe `=` and a quoted or bare value.
# Names and bare values are bounded and no name starts with `<`, so that an attempt starting
# at each `<x` of a long run without whitespace (49k `<![CDATA[` after one tag: 25 s) reads
# only its own few characters; a longer name only counts as more attributes.
_ATTR = r"""[^\s/>=<][^\s/>=]{0,255}+(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]{0,2048}+))?+"""
_CROWDED = re.compile(
    rf"(<[A-Za-z][^\s/><]{{0,255}}+(?>[\s/]*+{_ATTR}){{{MAX_ATTRS}}})(?>[\s/]*+{_ATTR})++"
)


# A tag, a comment, or the start of an element whose content is text (skipped to its end).
_TOKEN = re.compile(r"<(/?)([A-Za-z][^\s/>]*)|<!--")
_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param")
) | {"source", "track", "wbr", "keygen"}
_TABLE = frozenset(("table", "tbody", "thead", "tfoot", "tr"))
_CELL = frozenset(("td", "th"))
# What starts or ends after a cell ends it; elements whose end tag is optional and that close
# an open one of their kind when they start.
_ENDS_CELL = frozenset(("td", "th", "tr", "tbody", "thead", "tfoot", "table"))
_OPTIONAL_END = frozenset(
    ("li", "p", "tr", "tbody", "thead", "tfoot", "option", "optgroup", "dt", "dd", "rt", "rp")
) | {"html", "head", "body", "colgroup", "caption"}
_RAW = frozenset(
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"]
)


def tame_html(text: str) -> str:
    """The page with every element's attributes past the MAX_ATTRS-th dropped, and no element
    nested deeper than MAX_DEPTH."""
    text = _CROWDED.sub(r"\1", text)
    if text.count("<") > MAX_DEPTH_CHECK:
        text = _shallow(text)
    return text


def _shallow(text: str) -> str:
    """The page without what lexbor would spend more than linear time or memory on.

    Start tags that would nest deeper than MAX_DEPTH are dropped (an end tag closes the
    innermost open element of its name, as HTML's tree builder does; one with no such open
    element is ignored, as there). Text written directly in a table, outside any cell, is kept
    MAX_FOSTERED times and then dropped: HTML moves it before the table, and lexbor appends
    each such piece to one growing text node, keeping every copy (20k pieces: 131 MB).
    """
    stack: list[str] = []
    open_count: dict[str, int] = {}
    lower = text.lower()
    drops: list[tuple[int, int]] = []
    fostered = 0
    at = 0
    content = 0  # where the text after the last tag starts
    while (m := _TOKEN.search(text, at)) is not None:
        piece = (content, m.start())
        if (
            stack
            and stack[-1] in _TABLE
            and content < m.start()
            and not text[slice(*piece)].isspace()
        ):
            fostered += 1
            if fostered > MAX_FOSTERED:
                drops.append(piece)
        at = m.end()
        if m.group(0) == "<!--":
            end = text.find("-->", at)
            at = content = len(text) if end < 0 else end + 3
            continue
        name = m.group(2).lower()
        gt = text.find(">", at)
        content = len(text) if gt < 0 else gt + 1
        if name in _ENDS_CELL and stack and stack[-1] in _CELL:
            top = stack.pop()  # a cell ends where the next cell, row or table part starts
            open_count[top] -= 1
        if name in _OPTIONAL_END:
            continue  # never nests in itself (<li><li> are siblings): not counted as depth
        if m.group(1):  # an end tag
            if open_count.get(name):
                while stack:
                    top = stack.pop()
                    open_count[top] -= 1
                    if top == name:
                        break
            continue
        if name in _VOID:
            continue
        if name in _RAW:  # its content is text up to its end tag
            end = lower.find(f"</{name}", at)
            at = content = len(text) if end < 0 else end
            continue
        if len(stack) >= MAX_DEPTH:
            drops.append((m.start(), content))
            at = content
            continue
        stack.append(name)
        open_count[name] = open_count.get(name, 0) + 1
    if not drops:
        return text
    out, kept = [], 0
    for start, end in drops:
        out.append(text[kept:start])
        kept = end
    out.append(text[kept:])
    return "".join(out)
