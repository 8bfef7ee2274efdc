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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sentinel.cluster.salience import idf, salient_terms

# Place kinds. Spots (a village, a compound, a road, a school) pin an event down; areas (towns,
# streets) and administrative names (county, city) narrow it only a little.
VILLAGE, HOUSING, ROAD, FACILITY, AREA, ADMIN = "村", "小区", "路", "场所", "镇", "县"
SPOTS = frozenset({VILLAGE, HOUSING, ROAD, FACILITY})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Tokens that are a place word by themselves.
PLACE_WORDS: dict[str, str] = {
    "村": VILLAGE, "行政村": VILLAGE, "自然村": VILLAGE, "村组": VILLAGE, "组": VILLAGE,
    "小区": HOUSING, "花园": HOUSING, "家园": HOUSING, "公寓": HOUSING, "新村": HOUSING,
    "苑": HOUSING, "社区": HOUSING, "新城": HOUSING, "佳苑": HOUSING, "名苑": HOUSING,
    "雅苑": HOUSING, "华府": HOUSING, "华庭": HOUSING, "府": HOUSING, "安置小区": HOUSING,
    "公馆": HOUSING, "雅居": HOUSING,
    "路": ROAD, "街": ROAD, "大街": ROAD, "大道": ROAD, "巷": ROAD, "公路": ROAD,
    "国道": ROAD, "省道": ROAD, "大桥": ROAD, "桥": ROAD, "隧道": ROAD,
    "学校": FACILITY, "中学": FACILITY, "小学": FACILITY, "幼儿园": FACILITY,
    "医院": FACILITY, "卫生院": FACILITY, "市场": FACILITY, "农贸市场": FACILITY,
    "菜市场": FACILITY, "广场": FACILITY, "工业园": FACILITY, "工业园区": FACILITY,
    "园区": FACILITY, "开发区": FACILITY, "水库": FACILITY, "公园": FACILITY,
    "车站": FACILITY, "汽车站": FACILITY, "垃圾场": FACILITY, "填埋场": FACILITY,
    "养殖场": FACILITY, "河": FACILITY, "湖": FACILITY, "港": FACILITY,
    "镇": AREA, "乡": AREA, "街道": AREA, "办事处": AREA, "片区": AREA,
    "县": ADMIN, "市": ADMIN, "区": ADMIN, "省": ADMIN, "州": ADMIN,
}  # fmt: skip
# A token ending in one of these, when it is a name (李家村, 解放路, 城关镇), is a place.
PLACE_ENDINGS: dict[str, str] = {
    "村": VILLAGE, "庄": VILLAGE, "屯": VILLAGE, "苑": HOUSING, "园": HOUSING,
    "路": ROAD, "街": ROAD, "巷": ROAD, "道": ROAD, "桥": ROAD,
    "河": FACILITY, "湖": FACILITY, "塘": FACILITY, "沟": FACILITY, "渠": FACILITY,
    "镇": AREA, "乡": AREA, "县": ADMIN, "市": ADMIN, "省": ADMIN, "区": ADMIN,
}  # fmt: skip
# Common words that end like a place name and are none.
NOT_PLACES = _words(
    "线路 公交线路 道路 马路 电路 线路板 出路 思路 套路 门路 来路 网路 铁路 水路 陆路 "
    "地区 辖区 景区 城区 市区 郊区 园区 小区 社区 误区 雷区 专区 "
    "农村 乡村 城市 都市 超市 股市 楼市 车市 夜市 上市 城镇 乡镇 村镇 集镇 "
    "校园 公园 家园 田园 花园 乐园 果园 菜园 庄园 陵园 "
    "街道 大街 渠道 频道 通道 管道 报道 知道 味道 跑道 轨道 隧道 赛道 "
    "水沟 山沟 河沟 池塘 鱼塘 水塘 河道 沟渠 水渠"
)
# Where a place word is glued to what follows it: 路上 (on the road), 村里 (in the village).
GLUED: dict[str, str] = {
    "路上": "路", "路口": "路", "路边": "路", "路段": "路", "街上": "街",
    "街头": "街", "村里": "村", "村口": "村", "村头": "村", "小区内": "小区", "小区里": "小区",
    "桥上": "桥", "桥下": "桥", "镇上": "镇", "镇里": "镇", "县里": "县", "河里": "河",
}  # fmt: skip
ORG_WORDS = _words(
    "公司 有限公司 有限责任公司 股份有限公司 集团 厂 工厂 加工厂 酒店 宾馆 "
    "饭店 餐厅 超市 商场 银行 物业 物业公司 合作社 驾校 诊所 药店 "
    "培训机构 培训学校 项目部 工程队 砖厂 化工厂 造纸厂 水泥厂 搅拌站 "
    "洗浴中心 网吧 幼儿园 "
)
# Flags of tokens that may be part of a name: nouns, names, abbreviations, place nouns,
# descriptive adjectives (幸福路, 阳光花园), numerals (三号路) and unknown words.
_NAME_FLAGS = frozenset({"n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "j", "ng", "a", "an", "s"})
# Of those, the flags of proper names; a common noun or adjective is part of a name only when
# it is not a common word (幸福 in 幸福路 is rare enough in news; 通报, 部分 are not).
_PROPER_FLAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz", "j"})
# What a company does, not what it is called: 清河县公共交通有限公司 has no trade name.
INDUSTRY = _words(
    "公共交通 公交 建设工程 建筑工程 建筑 工程 房地产 房地产开发 置业 物业管理 物业服务 自来水 "
    "供水 供电 燃气 热力 环保 环境 科技 实业 贸易 商贸 投资 发展 建设 开发 城市 城投 交通 "
    "运输 客运 劳务 餐饮 食品 化工 服饰 服装"
)
_NOT_NAMES = _words(
    "我们 你们 他们 这个 那个 这里 那里 附近 周边 周围 旁边 对面 全体 "
    "广大 部分 很多 一些 所有 整个 本地 当地 外地 老旧 新建 小区 居民 "
    "村民 业主 群众 百姓 工人 农民工 网友 记者 政府 领导 问题 情况 拆迁 "
    "补偿 补偿款 污染 垃圾 噪音 工资 物业 学生 家长 老师 村委会 居委会 "
    "前面 后面 开发商 承包商 施工方 业主方 厂家 商家 老板 "
)
# Names that many towns give a school, hospital or compound: 中心小学, 第一中学, 人民医院.
GENERIC_NAMES = _words(
    "中心 第一 第二 第三 第四 第五 实验 人民 城关 新华 育才 希望 阳光 幸福 和平 胜利 光明 "
    "东方 红星 向阳 中医 妇幼 县 市 镇 乡"
)
_ORG_ENDINGS = ("厂", "公司", "集团", "酒店", "超市", "银行", "宾馆", "饭店")
_ROUTE = re.compile(r"(?<![0-9])([0-9]{1,3})路(?:公交|公共汽车|班车|车)")
_MAX_NAME_TOKENS = 2
_MAX_NAME_CHARS = 5
_NUMERAL = re.compile(r"[0-9一二三四五六七八九十]{1,4}号?")

# Bounded repetitions: an unbounded \d+ would rescan a long digit run from every start (issue:
# quadratic time on hostile pages).
_AMOUNT = re.compile(
    r"(?<![0-9.])([0-9]{1,12}(?:\.[0-9]{1,4})?|[零一二两三四五六七八九十百千]{1,8})"
    r"\s?(?:余|多)?\s?(亿|万|千)?\s?(?:余|多)?\s?(?:元|块钱)"
)
_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})月([0-9]{1,2})[日号]")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_DIGITS |= {"八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_SCALE = {"亿": 100_000_000, "万": 10_000, "千": 1_000, None: 1}


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
        )


def _is_cjk_name(token: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" or c.isalnum() for c in token)


def _name_token(token: str, flag: str) -> bool:
    if token in _NOT_NAMES or not _is_cjk_name(token):
        return False
    return flag in _NAME_FLAGS or (flag == "m" and _NUMERAL.fullmatch(token) is not None)


def _place_word(token: str, flag: str) -> tuple[str, str] | None:
    """(place kind, name part) when this token ends a place name: 小区 → (HOUSING, ""),
    李家村 → (VILLAGE, "李家"), 中心小学 → (FACILITY, "中心")."""
    kind = PLACE_WORDS.get(token)
    if kind is not None:
        return kind, ""
    if not _is_cjk_name(token) or flag not in _NAME_FLAGS | {"m", "x", "zg"}:
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
    while i >= 0 and len(out) < _MAX_NAME_TOKENS:
        token, flag = tagged[i]
        if not _name_token(token, flag) or _place_word(token, flag) is not None:
            break
        if _org_word(token):
            break
        chars += len(token)
        if chars > _MAX_NAME_CHARS:
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
            if flag == "x" or (flag not in _NAME_FLAGS and flag != "m"):
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
    for word_ in region:
        known = _place_word(word_, "ns")
        if known is not None and len(known[1]) >= 2:
            place = Place(kind=known[0], key=known[1], name=word_)
            found.setdefault(place.ident, place)
    return list(found.values())


def _adjacent(tagged: Sequence[tuple[str, str]], before: int, town: Place) -> bool:
    """The token just before position `before` ends the town's name (白沙镇 中心小学)."""
    prev = tagged[before - 1][0]
    return bool(prev) and town.name.endswith(prev)


def _org_word(token: str) -> bool:
    if token in ORG_WORDS:
        return True
    # 服装厂, 建材公司: an industry glued to what the organisation is
    return len(token) >= 3 and any(token.endswith(w) for w in _ORG_ENDINGS)


def organisations(tagged: Sequence[tuple[str, str]], text: str = "") -> list[tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    # a bus route is what riders and the bus company both name it by
    for m in _ROUTE.finditer(text):
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


def _cn_number(text: str) -> int | None:
    total, digit = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[c]
            digit = 0
        else:
            return None
    return total + digit


def amounts(text: str) -> list[int]:
    out: list[int] = []
    for m in _AMOUNT.finditer(text):
        number, scale = m.group(1), m.group(2)
        if number[0].isdigit():
            try:
                value = float(number)
            except ValueError:
                continue
        else:
            parsed = _cn_number(number)
            if parsed is None:
                continue
            value = float(parsed)
        yuan = int(value * _SCALE[scale])
        # a few yuan (两块钱) names no event; an amount worth comparing is a sum owed or paid
        if yuan >= 100 and yuan not in out:
            out.append(yuan)
    return out


def dates(text: str) -> list[str]:
    out: list[str] = []
    for m in _DATE.finditer(text):
        month, day = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            key = f"{month:02d}-{day:02d}"
            if key not in out:
                out.append(key)
    return out


def extract(
    title: Sequence[tuple[str, str]],
    body: Sequence[tuple[str, str]],
    text: str,
    *,
    region: Iterable[str] = (),
    terms: int = 12,
) -> EventFeatures:
    """The features of one post: `title` and `body` tagged, `text` the folded whole."""
    tagged = [*title, ("。", "x"), *body]
    present = [w for w in region if w in text]
    place_list = places(tagged, present)
    org_list = organisations(tagged, text)
    named = {p.name for p in place_list} | {o[1] for o in org_list}
    named |= {p.key for p in place_list} | {o[0] for o in org_list}
    named |= PLACE_WORDS.keys() | ORG_WORDS | GLUED.keys()
    return EventFeatures(
        places=tuple(place_list),
        orgs=tuple(org_list),
        amounts=tuple(amounts(text)),
        dates=tuple(dates(text)),
        terms=tuple(salient_terms([*title, *title, *body], skip=named, top=terms)),
    )
