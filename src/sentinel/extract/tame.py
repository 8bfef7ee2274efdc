"""HTML bounded before lexbor sees it: no element keeps more than MAX_ATTRS attributes.

lexbor checks each new attribute name against the element's others, so one element with 100k
distinct names (870 KB) took 23 s to parse. Real elements carry a handful; the pattern below
keeps the first MAX_ATTRS of a longer run and drops the rest. Its groups are atomic and its
repeats possessive, so it is linear in the page: ~0.3 ms per 100k characters of ordinary HTML.
"""

from __future__ import annotations

import re

from sentinel.extract.limits import MAX_ATTRS

# An attribute as the HTML tokenizer reads one: a name, maybe `=` and a quoted or bare value.
_ATTR = r"""[^\s/>=][^\s/>=]*+(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]*+))?+"""
_CROWDED = re.compile(rf"(<[A-Za-z][^\s/>]*+(?>[\s/]*+{_ATTR}){{{MAX_ATTRS}}})(?>[\s/]*+{_ATTR})++")


def tame_html(text: str) -> str:
    """The page with every element's attributes past the MAX_ATTRS-th dropped."""
    return _CROWDED.sub(r"\1", text)
