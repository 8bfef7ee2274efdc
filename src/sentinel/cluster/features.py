"""What identifies an event in Chinese local news: where, who, how much, when, and about what.

Rewrites of one event share few word bigrams (a forum post is colloquial, the portal's rewrite
formal, a message-board letter addresses a bureau), but they name the same compound or village,
the same company, the same sum and day, and they use the same few rare words. This module reads
those from a post's folded, part-of-speech-tagged text (jieba's flags, from the matcher's
segmenter); events.py compares them.

- places: a name-like stretch of tokens ending in a place word (李家村, 城东花园小区, 解放路,
  城关镇, 清河县), keyed by its kind and its name without the place words, so that 城东花园小区,
  城东小区 and 城东花园 are one place and 城东路 another. Configured region words count too.
- organisations: the same for companies, factories, hotels, schools; keyed by the trade name
  (the first rare token after any place: 临江市华强建筑有限公司 → 华强).
- amounts (50万元, 五十万元 → 500000) and dates (11月3日 → 11-03).
- terms: the salient words by TF-IDF (salience.py), title words counted twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sentinel.cluster.facts import amounts, dates
from sentinel.cluster.lexicon import (
    ADMIN,
    AREA,
    GENERIC_NAMES,
    GLUED,
    INDUSTRY,
    MAX_NAME_CHARS,
    MAX_NAME_TOKENS,
    NAME_FLAGS,
    NOT_NAMES,
    NOT_PLACES,
    NUMERAL,
    ORG_ENDINGS,
    ORG_WORDS,
    PLACE_ENDINGS,
    PLACE_WORDS,
    ROAD,
    ROUTE,
    SPOTS,
)
from sentinel.cluster.salience import idf, salient_terms


@dataclass(frozen=True, kw_only=True, slots=True)
class Place:
    kind: str  # VILLAGE, HOUSING, ROAD, FACILITY, AREA or ADMIN
    key: str  # the name without its place words: 城东花园小区 → 城东
    name: str  # as written (folded)
    # a name many places share, with no town before it to say which (中心小学, 人民医院)
    weak: bool = False

    @property
    def spot(self) -> bool:
        return self.kind in SPOTS and not self.weak

    @property
    def ident(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True, kw_only=True, slots=True)
class EventFeatures:
    places: tuple[Place, ...] = ()
    orgs: tuple[tuple[str, str], ...] = ()  # (trade name, name as written)
    amounts: tuple[int, ...] = ()  # in yuan
    dates: tuple[str, ...] = ()  # "MM-DD"
    terms: tuple[tuple[str, float], ...] = ()  # salient words, weights of unit length
    keywords: tuple[str, ...] = ()  # those of its words that are its topics' keywords

    @property
    def spots(self) -> frozenset[str]:
        return frozenset(p.ident for p in self.places if p.spot)

    @property
    def weak_spots(self) -> frozenset[str]:
        return frozenset(p.ident for p in self.places if p.weak)

    @property
    def areas(self) -> frozenset[str]:
        return frozenset(p.ident for p in self.places if p.kind == AREA)

    def to_json(self) -> dict[str, Any]:
        return {
            "places": [[p.kind, p.key, p.name, int(p.weak)] for p in self.places],
            "orgs": [list(o) for o in self.orgs],
            "amounts": list(self.amounts),
            "dates": list(self.dates),
            "terms": [[w, round(v, 4)] for w, v in self.terms],
            "keywords": list(self.keywords),
        }

    @classmethod
    def from_json(cls, data: Any) -> EventFeatures:
        """Features as stored; anything malformed is dropped rather than trusted."""
        if not isinstance(data, dict):
            return cls()

        def rows(name: str, width: int) -> list[list[Any]]:
            value = data.get(name)
            if not isinstance(value, list):
                return []
            return [r for r in value if isinstance(r, list) and len(r) == width]

        return cls(
            places=tuple(
                Place(kind=str(k), key=str(key), name=str(n), weak=bool(w))
                for k, key, n, w in rows("places", 4)
            ),
            orgs=tuple((str(a), str(b)) for a, b in rows("orgs", 2)),
            amounts=tuple(int(a) for a in data.get("amounts") or () if isinstance(a, int)),
            dates=tuple(str(d) for d in data.get("dates") or () if isinstance(d, str)),
            terms=tuple((str(w), float(v)) for w, v in rows("terms", 2)),
            keywords=tuple(str(k) for k in data.get("keywords") or () if isinstance(k, str)),
        )


def _is_cjk_name(token: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" or c.isalnum() for c in token)


def _name_token(token: str, flag: str) -> bool:
    if token in NOT_NAMES or not _is_cjk_name(token):
        return False
    return flag in NAME_FLAGS or (flag == "m" and NUMERAL.fullmatch(token) is not None)


# the last characters of every place word and ending
_LAST_CHARS = frozenset(w[-1] for w in PLACE_WORDS) | frozenset(PLACE_ENDINGS)


def _place_word(token: str, flag: str) -> tuple[str, str] | None:
    """(place kind, name part) when this token ends a place name: 小区 → (HOUSING, ""),
    李家村 → (VILLAGE, "李家"), 中心小学 → (FACILITY, "中心")."""
    kind = PLACE_WORDS.get(token)
    if kind is not None:
        return kind, ""
    if not token or token[-1] not in _LAST_CHARS:
        return None  # most tokens: one set lookup (this runs on every token of a post)
    if not _is_cjk_name(token) or flag not in NAME_FLAGS | {"m", "x", "zg"}:
        return None
    for size in (3, 2):  # a name glued to a place word of two or three characters
        word = PLACE_WORDS.get(token[-size:]) if len(token) > size else None
        if word is not None:
            return word, token[:-size]
    if len(token) >= 3 and token not in NOT_PLACES and token[:-1].isalpha():
        # 西沟 is a name, 李家村 a name and a place; 公交线路 and 3路 are neither
        ending = PLACE_ENDINGS.get(token[-1])
        if ending is not None and idf(token) >= 8.0:
            return ending, token[:-1]
    return None


def _prefix(tagged: Sequence[tuple[str, str]], end: int) -> list[str]:
    """The name-like tokens just before position `end`, nearest last."""
    out: list[str] = []
    chars = 0
    i = end - 1
    while i >= 0 and len(out) < MAX_NAME_TOKENS:
        token, flag = tagged[i]
        if not _name_token(token, flag) or _place_word(token, flag) is not None:
            break
        if _org_word(token):
            break
        chars += len(token)
        if chars > MAX_NAME_CHARS:
            break
        out.append(token)
        i -= 1
    out.reverse()
    return out


def _generic(key: str) -> bool:
    """A name many places share (中心小学, 第一中学, 人民医院): it needs its town to say which."""
    return key in GENERIC_NAMES or idf(key) < 6.0


def places(tagged: Sequence[tuple[str, str]], region: Iterable[str] = ()) -> list[Place]:
    found: dict[str, Place] = {}
    n = len(tagged)
    i = 0
    area: Place | None = None  # the town or county named just before, if any
    while i < n:
        token, flag = tagged[i]
        token = GLUED.get(token, token)
        word = _place_word(token, flag)
        if word is None:
            if flag == "x" or (flag not in NAME_FLAGS and flag != "m"):
                area = None  # a clause or a verb lies between: that town says nothing here
            i += 1
            continue
        kind, own = word
        # a run of place words (城东 花园 小区) is one place; the last word decides its kind
        j = i
        words = [token]
        while j + 1 < n:
            nxt = GLUED.get(tagged[j + 1][0], tagged[j + 1][0])
            if PLACE_WORDS.get(nxt) is None or PLACE_WORDS[nxt] in (AREA, ADMIN):
                break
            kind = PLACE_WORDS[nxt]
            words.append(nxt)
            j += 1
        if own:
            # the token holds its own name (李家村, 解放路): what stands before it is another
            # name or the area it lies in, and 李家/村 must key as 李家村 does
            key, name, before = own, "".join(words), i
        else:
            prefix = _prefix(tagged, i)
            key, name, before = "".join(prefix), "".join(prefix) + "".join(words), i - len(prefix)
        if kind == ROAD and not key.isalpha():
            key = ""  # 3路 is a bus route (see organisations), 县城3路 no road
        if len(key) >= 2:
            weak = False
            if kind in SPOTS and _generic(key):
                town = area if area is not None and before > 0 else None
                if town is not None and _adjacent(tagged, before, town):
                    key, name = town.key + key, town.name + name
                else:
                    weak = True
            place = Place(kind=kind, key=key, name=name, weak=weak)
            found.setdefault(place.ident, place)
            area = place if kind in (AREA, ADMIN) else area
        i = j + 1
    # The configured region words (地域词) name the county's towns and the county itself:
    # areas, never spots (女山湖 is the town 女山湖镇 here, not a lake), and only the longest
    # of those written (女山湖镇 holds 女山湖).
    present = sorted(region, key=len, reverse=True)
    kept: list[str] = []
    for word_ in present:
        if len(word_) >= 2 and not any(word_ in longer for longer in kept):
            kept.append(word_)
    for word_ in kept:
        known = _place_word(word_, "ns")
        kind = known[0] if known is not None and known[0] in (AREA, ADMIN) else AREA
        key = known[1] if known is not None and len(known[1]) >= 2 else word_
        found.setdefault(f"{kind}:{key}", Place(kind=kind, key=key, name=word_))
    return list(found.values())


def _adjacent(tagged: Sequence[tuple[str, str]], before: int, town: Place) -> bool:
    """The token just before position `before` ends the town's name (白沙镇 中心小学)."""
    prev = tagged[before - 1][0]
    return bool(prev) and town.name.endswith(prev)


def _org_word(token: str) -> bool:
    if token in ORG_WORDS:
        return True
    # 服装厂, 建材公司: an industry glued to what the organisation is
    return len(token) >= 3 and any(token.endswith(w) for w in ORG_ENDINGS)


def organisations(tagged: Sequence[tuple[str, str]], text: str = "") -> list[tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    # a bus route is what riders and the bus company both name it by
    for m in ROUTE.finditer(text):
        found.setdefault(f"{m.group(1)}路", (f"{m.group(1)}路", m.group(0)))
    for i, (token, _flag) in enumerate(tagged):
        if not _org_word(token):
            continue
        prefix = _prefix(tagged, i)
        # the trade name: the first rare word (华强 in 华强建筑有限公司); a generic one
        # (建筑公司) names no organisation in particular
        trade = next(
            (t for t in prefix if len(t) >= 2 and t not in INDUSTRY and idf(t) >= 8.0), None
        )
        if trade is not None:
            found.setdefault(trade, (trade, "".join(prefix) + token))
    return list(found.values())


def extract(
    title: Sequence[tuple[str, str]],
    body: Sequence[tuple[str, str]],
    text: str,
    *,
    region: Iterable[str] = (),
    known: Collection[str] = (),
    terms: int = 12,
) -> EventFeatures:
    """The features of one post: `title` and `body` tagged, `text` the folded whole. `known`:
    the keywords that made it relevant (folded), left out of its salient terms — every post of
    the topic has them, so they tell no event of that topic from another."""
    tagged = [*title, ("。", "x"), *body]
    present = [w for w in region if w in text]
    place_list = places(tagged, present)
    org_list = organisations(tagged, text)
    named = {p.name for p in place_list} | {o[1] for o in org_list}
    named |= {p.key for p in place_list} | {o[0] for o in org_list}
    named |= PLACE_WORDS.keys() | ORG_WORDS | GLUED.keys()
    keywords = {w for w, _ in tagged if len(w) >= 2 and any(w in k for k in known)}
    return EventFeatures(
        places=tuple(place_list),
        orgs=tuple(org_list),
        amounts=tuple(amounts(text)),
        dates=tuple(dates(text)),
        terms=tuple(salient_terms([*title, *title, *body], skip=named, top=terms)),
        keywords=tuple(sorted(keywords)),
    )
