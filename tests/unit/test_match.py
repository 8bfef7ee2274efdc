"""Matcher semantics, on both engines: rules, folding, the word-boundary rule, positions."""

from __future__ import annotations

from typing import Any

import pytest

from sentinel.config.models import KeywordsFile
from sentinel.match import Hit, Matcher
from sentinel.match.fold import fold


@pytest.fixture(params=["fast", "reference"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def topic(id: str, any: list[str], **rest: Any) -> dict[str, Any]:
    return {"id": id, "name": id, "department": "d", "any": any, **rest}


def matcher(engine: str, *topics: dict[str, Any], **rest: Any) -> Matcher:
    return Matcher(KeywordsFile.model_validate({"topics": list(topics), **rest}), engine=engine)


def ids(hits: list[Hit]) -> list[str]:
    return [h.topic_id for h in hits]


@pytest.mark.parametrize(
    ("word", "text", "found"),
    [
        ("城管", "省城管理水平不断提高", False),  # 省城|管理
        ("市长", "南京市长江大桥今日通车", False),  # 南京市|长江大桥
        ("拆迁", "我家是拆迁户，安置房还没交付", True),  # 拆迁户 starts at 拆迁
        ("城管", "城管执法人员态度粗暴", True),
        ("市长", "市长信箱回复了", True),
        ("管理", "城管理念需要转变", True),  # 城|管理|念
    ],
)
def test_word_boundary_traps(engine: str, word: str, text: str, found: bool) -> None:
    m = matcher(engine, topic("t", [word], region=False))
    assert bool(m.match(text)) is found, m.tokens(text)


def test_any_all_none(engine: str) -> None:
    m = matcher(
        engine,
        topic("px", ["PX"], all=["项目", "落户"], none=["已取消"], region=False),
    )
    assert ids(m.match("反对PX项目落户本地")) == ["px"]
    assert m.match("反对PX项目") == []  # 落户 missing
    assert m.match("PX项目落户已取消") == []  # a none word
    assert m.match("项目落户本地") == []  # no any word


def test_all_words_are_listed_and_positioned(engine: str) -> None:
    m = matcher(engine, topic("t", ["欠薪"], all=["农民工"], region=False))
    (hit,) = m.match("农民工欠薪问题，农民工很无奈")
    assert hit.words == ("农民工", "欠薪")
    assert hit.positions == (("农民工", 0, 3), ("农民工", 8, 11), ("欠薪", 3, 5))


def test_all_word_must_pass_the_boundary_rule(engine: str) -> None:
    m = matcher(engine, topic("t", ["拆迁"], all=["市长"], region=False))
    assert m.match("南京市长江大桥旁的拆迁") == []
    assert ids(m.match("市长回应拆迁问题")) == ["t"]


def test_none_word_must_pass_the_boundary_rule(engine: str) -> None:
    m = matcher(engine, topic("t", ["拆迁"], none=["城管"], region=False))
    assert ids(m.match("省城管理部门回应拆迁问题")) == ["t"]  # 城管 is not a word here
    assert m.match("城管回应拆迁问题") == []


def test_exclude_applies_to_every_topic(engine: str) -> None:
    m = matcher(
        engine,
        topic("a", ["拆迁"], region=False),
        topic("b", ["欠薪"], region=False),
        exclude=["招聘启事"],
    )
    assert ids(m.match("拆迁欠薪")) == ["a", "b"]
    assert m.match("招聘启事：拆迁协调员，欠薪者勿扰") == []


def test_region_required_unless_territorial_or_disabled(engine: str) -> None:
    m = matcher(
        engine,
        topic("land", ["拆迁"]),
        topic("fire", ["火灾"], region=False),
        region=["明光", "女山湖镇"],
    )
    assert m.match("某地拆迁补偿不到位") == []
    (hit,) = m.match("明光某地拆迁补偿不到位")
    assert hit.region_words == ("明光",)
    assert ids(m.match("某地拆迁补偿不到位", territorial=True)) == ["land"]
    assert ids(m.match("某地发生火灾")) == ["fire"]
    hits = m.match("女山湖镇发生火灾，明光消防赶到；拆迁")
    assert ids(hits) == ["fire", "land"]  # sorted by topic id
    assert all(h.region_words == ("女山湖镇", "明光") for h in hits)


def test_region_word_must_pass_the_boundary_rule(engine: str) -> None:
    m = matcher(engine, topic("land", ["拆迁"]), region=["明光"])
    assert m.match("文明光荣的拆迁") == []  # 文明|光荣
    assert ids(m.match("明光的拆迁")) == ["land"]


def test_territorial_source_lists_region_words_it_finds(engine: str) -> None:
    m = matcher(engine, topic("land", ["拆迁"]), region=["明光"])
    assert m.match("拆迁", territorial=True)[0].region_words == ()
    assert m.match("明光拆迁", territorial=True)[0].region_words == ("明光",)


def test_traditional_post_matches_simplified_keywords(engine: str) -> None:
    m = matcher(engine, topic("land", ["征地", "拆迁", "强拆"]), region=["明光"])
    text = "明光徵地拆遷補償款遲遲不到位，還有強拆"
    (hit,) = m.match(text)
    assert hit.words == ("强拆", "征地", "拆迁")
    assert [text[s:e] for _, s, e in hit.positions] == ["強拆", "徵地", "拆遷"]


def test_full_width_post_matches(engine: str) -> None:
    m = matcher(engine, topic("px", ["PX项目", "pm2.5"], region=False))
    text = "反对ＰＸ项目！ＰＭ２．５超标"
    (hit,) = m.match(text)
    assert hit.words == ("PX项目", "pm2.5")
    assert [text[s:e] for _, s, e in hit.positions] == ["ＰＸ项目", "ＰＭ２．５"]


def test_keyword_written_in_traditional_matches_simplified_text(engine: str) -> None:
    m = matcher(engine, topic("land", ["拆遷", "ＰＸ"]), region=["明光"])
    (hit,) = m.match("明光拆迁户反映px问题")
    assert hit.words == ("拆遷", "ＰＸ")  # as configured (sorted by code point)


def test_two_spellings_of_one_word_both_listed(engine: str) -> None:
    m = matcher(engine, topic("land", ["拆迁", "拆遷"], region=False))
    (hit,) = m.match("拆遷")
    assert hit.words == ("拆迁", "拆遷")
    assert hit.positions == (("拆迁", 0, 2), ("拆遷", 0, 2))


def test_dictionary_words_change_segmentation(engine: str) -> None:
    plain = matcher(engine, topic("t", ["山湖"], region=False))
    local = matcher(engine, topic("t", ["山湖"], region=False), dictionary=["女山湖鎮"])
    text = "女山湖镇政府门口"
    assert ids(plain.match(text)) == ["t"]  # 女山湖|镇政府: 山湖 ends a word
    assert local.match(text) == []  # 女山湖镇 is one word now (written traditional in YAML)
    assert plain.tokens(text)[:2] == ["女山湖", "镇政府"]  # and the other matcher is unaffected


def test_positions_point_into_the_original_text(engine: str) -> None:
    m = matcher(engine, topic("t", ["拆迁", "强拆", "PX"], region=False))
    text = "ＡＢ　拆遷戶；強拆！\r\n再拆迁。PX、ｐｘ"
    (hit,) = m.match(text)
    assert len(hit.positions) == 5
    for word, start, end in hit.positions:
        assert fold(text[start:end]) == fold(word)
    assert list(hit.positions) == sorted(hit.positions)


def test_overlapping_occurrences_are_all_found(engine: str) -> None:
    m = matcher(engine, topic("t", ["拆迁", "拆迁户", "迁户"], region=False))
    (hit,) = m.match("拆迁户")
    # 迁户 cuts 拆迁户 on one side only (its end is the word's end)
    assert hit.positions == (("拆迁", 0, 2), ("拆迁户", 0, 3), ("迁户", 1, 3))


def test_one_hit_per_topic(engine: str) -> None:
    m = matcher(engine, topic("t", ["拆迁", "强拆"], region=False))
    hits = m.match("拆迁拆迁强拆")
    assert len(hits) == 1
    assert hits[0].words == ("强拆", "拆迁")
    assert len(hits[0].positions) == 3


def test_tokens_are_folded_words_of_the_whole_text(engine: str) -> None:
    m = matcher(engine, topic("t", ["拆迁"]))
    assert m.tokens("明光市拆遷戶補償款未到位，ＰＸ項目！ Hello  3.5%") == [
        "明光市",
        "拆迁户",
        "补偿款",
        "未",
        "到位",
        "px",
        "项目",
        "hello",
        "3.5%",
    ]


def test_no_topics_no_hits(engine: str) -> None:
    m = Matcher(KeywordsFile(), engine=engine)
    assert m.match("拆迁") == []
    assert m.tokens("拆迁") == ["拆迁"]


def test_region_and_exclude_words_alone_do_not_make_a_candidate(engine: str) -> None:
    m = matcher(engine, topic("t", ["拆迁"]), region=["明光"], exclude=["广告"])
    assert m.match("明光广告") == []


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown match engine"):
        Matcher(KeywordsFile(), engine="turbo")
