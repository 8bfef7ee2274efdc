"""Reading one value with a selector spec: `css` for text, `css@attr` for an attribute.

Specs are split once per distinct string (cached); lexbor compiles the CSS itself.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from selectolax.lexbor import LexborNode

from sentinel.extract.text import inline_text

_ATTR = re.compile(r"^[A-Za-z_:][\w:.\-]*$")


class Spec(NamedTuple):
    css: str  # empty: the context node itself
    attr: str | None


@functools.lru_cache(maxsize=4096)
def spec(selector: str) -> Spec:
    css, sep, attr = selector.rpartition("@")
    if sep and _ATTR.match(attr.strip()) and "[" not in attr:
        return Spec(css.strip(), attr.strip())
    return Spec(selector.strip(), None)


def first(node: LexborNode, css: str) -> LexborNode | None:
    """The first match in document order; the node itself counts (lexbor's rule)."""
    return node.css_first(css) if css else node


def read(node: LexborNode, selector: str) -> str | None:
    """The text (or attribute) the selector names inside `node`, or None when absent."""
    s = spec(selector)
    el = first(node, s.css)
    if el is None:
        return None
    if s.attr is not None:
        value = el.attributes.get(s.attr)
        return value.strip() if value else None
    return inline_text(el)


def href(node: LexborNode, selector: str | None) -> str | None:
    """A link: the selector's attribute, else the element's href, else its first link's."""
    if selector is None:
        el: LexborNode | None = node
        attr = None
    else:
        s = spec(selector)
        el, attr = first(node, s.css), s.attr
    if el is None:
        return None
    if attr is not None:
        return el.attributes.get(attr) or None
    value = el.attributes.get("href")
    if not value:
        link = el.css_first("a[href]")
        value = link.attributes.get("href") if link is not None else None
    return value or None
