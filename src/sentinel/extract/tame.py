"""HTML bounded before lexbor sees it: attributes per element, and nesting.

lexbor checks each new attribute name against the element's others, so one element with 100k
distinct names (870 KB) took 23 s to parse. Real elements carry a handful; the pattern below
keeps the first MAX_ATTRS of a longer run and drops the rest. Its groups are atomic and its
repeats possessive, so it is linear in the page: ~0.3 ms per 100k characters of ordinary HTML.

lexbor's tree building is also quadratic in nesting depth (40k nested <div>: 2 s; 87k: 8 s).
And it is quadratic in memory when one text node grows by many pieces with some other string
stored between two of them: the node's text is copied to a new place each time and the old
copies are kept (about pieces × characters / 6 bytes). HTML merges text across tags that make
no node: end tags of nothing open, <td> outside any table, comments after </body>, text
fostered out of a table; the stored string is their attributes (or the comment, or the cell's
text). 8k mutated table rows, 1 MB: 690 MB. A page with more tags than MAX_DEPTH_CHECK, or with
tags × characters over MERGE_CHECK, could do either, and only such a page is scanned (in Python,
~13 ms per 10k tags; see _shallow). Real pages nest a few dozen deep, put text in cells and make
no long runs of ignored tags. End tags lose their attributes on every page: HTML ignores them.
"""

from __future__ import annotations

import re

from sentinel.extract.limits import (
    MAX_ATTRS,
    MAX_DEPTH,
    MAX_DEPTH_CHECK,
    MAX_FOSTERED,
    MAX_IGNORED,
    MERGE_CHECK,
)

# An attribute as the HTML tokenizer reads one: a name, maybe `=` and a quoted or bare value.
# Names and bare values are bounded and no name starts with `<`, so that an attempt starting
# at each `<x` of a long run without whitespace (49k `<![CDATA[` after one tag: 25 s) reads
# only its own few characters; a longer name only counts as more attributes.
_ATTR = r"""[^\s/>=<][^\s/>=]{0,255}+(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]{0,2048}+))?+"""
_CROWDED = re.compile(
    rf"(<[A-Za-z][^\s/><]{{0,255}}+(?>[\s/]*+{_ATTR}){{{MAX_ATTRS}}})(?>[\s/]*+{_ATTR})++"
)

# An end tag with attributes, quoted values read as the tokenizer reads them (a quote anywhere
# else might hide a `>`: such a tag is left alone).
_END_ATTRS = re.compile(
    r"""(</[A-Za-z][^\s/>]{0,255}+)[\s/]++[^\s/>"'<=]"""
    r"""(?:[^>"'<=]++|=[\t\n\f\r ]*+(?:"[^"]*+"|'[^']*+'|(?=[^"'])))*+>"""
)

# A tag, a comment, or the start of an element whose content is text (skipped to its end).
_TOKEN = re.compile(r"<(/?)([A-Za-z][^\s/>]*)|<!--")
# Where a quoted attribute value starts: an attribute's name after whitespace (or `/`), `=`.
_QUOTE = re.compile(r"""[\s/][^\s/>=]++[\t\n\f\r ]*+=[\t\n\f\r ]*+(["'])""")
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
# Start tags HTML ignores in a page's body (their attributes are still stored): parts of a
# table outside any table, and the document's own elements again.
_TABLE_PART = frozenset(("caption", "col", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr"))
_DOCUMENT = frozenset(("html", "head", "body", "frame", "frameset"))
# What an end tag of another element does not close through (HTML's "in scope"), and what
# the end tag of a table or a cell does not (its "table scope").
_SCOPE = frozenset(("table", "td", "th", "caption", "object", "marquee", "applet", "template"))
_TABLE_SCOPE = frozenset(("table", "template"))
_RAW = frozenset(
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"]
)


def tame_html(text: str) -> str:
    """The page with every element's attributes past the MAX_ATTRS-th dropped, and no element
    nested deeper than MAX_DEPTH."""
    text = _END_ATTRS.sub(r"\1>", _CROWDED.sub(r"\1", text))
    tags = text.count("<")
    if tags > MAX_DEPTH_CHECK or tags * len(text) > MERGE_CHECK:
        text = _shallow(text)
    return text


def _shallow(text: str) -> str:
    """The page without what lexbor would spend more than linear time or memory on.

    Start tags that would nest deeper than MAX_DEPTH are dropped (an end tag closes the
    innermost open element of its name, as HTML's tree builder does; one with no such open
    element is ignored, as there). Text written directly in a table, outside any cell, is kept
    MAX_FOSTERED times and then dropped: HTML moves it before the table, and lexbor appends
    each such piece to one growing text node, keeping every copy (20k pieces: 131 MB).
    Start tags HTML ignores (and comments after </body>) that follow each other with nothing
    that makes a node between them are kept MAX_IGNORED times and then dropped, for the same
    reason: the text between them is one node, and each stores its attributes between pieces.
    """
    stack: list[str] = []
    open_count: dict[str, int] = {}
    lower = text.lower()
    drops: list[tuple[int, int]] = []
    fostered = 0
    ignored = 0  # tags in a row that make no node (the text around them is one node)
    after_body = False  # a comment now goes after the body, not where the text is
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
            ignored = ignored + 1 if after_body else 0
            if ignored > MAX_IGNORED:
                drops.append((m.start(), content))
            continue
        name = m.group(2).lower()
        # the scan goes on after the tag: a `<!--` or `<script>` in its attribute values is
        # text (a link titled "<!--" hid 80k nested <div> from the count: 31 s in lexbor)
        at = content = _tag_end(text, at)
        if m.group(1):
            after_body = name in ("body", "html")
            if name in ("p", "br") or (open_count.get(name) and _in_scope(stack, name)):
                ignored = 0  # it closes an element, or makes one (</p> is <p></p>)
        elif (
            name in _DOCUMENT
            or (name in _TABLE_PART and not open_count.get("table"))
            or (name == "form" and open_count.get("form"))
        ):
            ignored += 1  # and it opens nothing
            if ignored > MAX_IGNORED:
                drops.append((m.start(), content))
            continue
        else:
            ignored = 0
            after_body = False
        if name in _ENDS_CELL and stack and stack[-1] in _CELL:
            top = stack.pop()  # a cell ends where the next cell, row or table part starts
            open_count[top] -= 1
        if name in _OPTIONAL_END:
            continue  # never nests in itself (<li><li> are siblings): not counted as depth
        if m.group(1):  # an end tag
            if open_count.get(name) and _in_scope(stack, name):
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


def _tag_end(text: str, at: int) -> int:
    """Where the tag being read from `at` ends, just after its `>`: a quoted attribute value
    may hold `>`, as the tokenizer reads it; an unclosed one runs to the end of the page.
    Linear: each search starts past the last quote read."""
    gt = text.find(">", at)
    while gt >= 0:
        quote = _QUOTE.search(text, at, gt)
        if quote is None:
            return gt + 1
        close = text.find(quote.group(1), quote.end())
        if close < 0:
            break
        at = close + 1
        if close > gt:
            gt = text.find(">", at)
    return len(text)


def _in_scope(stack: list[str], name: str) -> bool:
    """Whether an end tag of `name` closes the open one (a stray </div> in a table does not)."""
    bounds = _TABLE_SCOPE if name in _TABLE or name in _TABLE_PART else _SCOPE
    for top in reversed(stack):
        if top == name:
            return True
        if top in bounds:
            return False
    return False
