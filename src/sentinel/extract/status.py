"""A message board's handling status, as boards print it, in three words.

Boards say the same thing many ways (已答复, 已办结, 处理中, 待回复 …); the workflow's 3-day reply
rule and the status-change record need one vocabulary: 已回复, 未回复, 办理中.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from sentinel.extract.text import short_text

REPLIED = "已回复"
UNREPLIED = "未回复"
IN_PROGRESS = "办理中"

# Longer, more specific words first: "已受理" is in progress although it starts with 已.
_WORDS: tuple[tuple[str, str], ...] = (
    ("未回复", UNREPLIED),
    ("未答复", UNREPLIED),
    ("待回复", UNREPLIED),
    ("待答复", UNREPLIED),
    ("未办理", UNREPLIED),
    ("未受理", UNREPLIED),
    ("待受理", UNREPLIED),
    ("待处理", UNREPLIED),
    ("办理中", IN_PROGRESS),
    ("处理中", IN_PROGRESS),
    ("受理中", IN_PROGRESS),
    ("已受理", IN_PROGRESS),
    ("已转办", IN_PROGRESS),
    ("已交办", IN_PROGRESS),
    ("已回复", REPLIED),
    ("已答复", REPLIED),
    ("已办结", REPLIED),
    ("已反馈", REPLIED),
    ("已处理", REPLIED),
    ("已解决", REPLIED),
    ("办结", REPLIED),
)
# A status cell is a label ("状态：已回复"), never a sentence: a title such as
# "反映问题一个月仍未回复" must not be read as the message's status.
_MAX_LEN = 12


def status_of(text: str) -> str | None:
    """The normalised status a short label names, or None."""
    text = "".join(text.split())
    if not text or len(text) > _MAX_LEN:
        return None
    for word, status in _WORDS:
        if word in text:
            return status
    return None


def read_status(item: LexborNode, css: str) -> str | None:
    """The first element `css` matches in the item whose short text names a status."""
    for el in item.css(css):
        found = status_of(short_text(el, _MAX_LEN) or "")
        if found is not None:
            return found
    return None
