"""Segmentation engines: rjieba (corrected) gives jieba's tokens; dictionaries stay per instance."""

from __future__ import annotations

import random
from collections import Counter
from importlib import resources
from typing import cast

import pytest

from sentinel.match.boundaries import Boundaries
from sentinel.match.fold import fold
from sentinel.match.segment import (
    _JIEBA_DUPLICATE_FREQ,
    JiebaSegmenter,
    RJiebaSegmenter,
    cut_text,
    is_word,
    segmenter,
)


def _fast(*words: str) -> RJiebaSegmenter:
    return cast(RJiebaSegmenter, segmenter("fast", words))


def _reference(*words: str) -> JiebaSegmenter:
    # jieba takes ~1.5 s to load its dictionary: share instances through the module's cache
    return cast(JiebaSegmenter, segmenter("reference", words))


@pytest.fixture(scope="module")
def pair() -> tuple[RJiebaSegmenter, JiebaSegmenter]:
    return _fast(), _reference()


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("南京市长江大桥", ["南京市", "长江大桥"]),
        ("省城管理", ["省城", "管理"]),
        ("拆迁户补偿款", ["拆迁户", "补偿款"]),
        # jieba-rs returns these ASCII stretches whole; jieba splits them (finalseg's re_skip)
        ("style_name", ["style", "_", "name"]),
        ("blogbus.com", ["blogbus", ".", "com"]),
        ("3-5", ["3", "-", "5"]),
        ("1.5zb", ["1.5", "zb"]),
        ("c++", ["c++"]),  # a dictionary word stays whole in both
        # a near-tie that breaks differently unless the dictionary totals are equal
        ("理理理1.5zb的拆+南b3.14%", ["理", "理理", "1.5", "zb", "的", "拆", "+", "南", "b3.14%"]),
        ("a\r\nb\n\u3000c", ["a", "\r\n", "b", "\n", "\u3000", "c"]),
    ],
)
def test_both_engines_cut_like_jieba(
    pair: tuple[RJiebaSegmenter, JiebaSegmenter], text: str, tokens: list[str]
) -> None:
    fast, reference = pair
    assert list(reference._tokenizer.cut(text, HMM=True)) == tokens
    assert cut_text(text, reference.cut) == tokens
    assert cut_text(text, fast.cut) == tokens


def test_engines_agree_on_random_mixed_runs(pair: tuple[RJiebaSegmenter, JiebaSegmenter]) -> None:
    fast, reference = pair
    rng = random.Random(1)
    pool = [*"abcxyz019+#&._%-", *"中国人民拆迁户城管理南京市长江大桥我的了是在有理哈"]
    pool += ["c++", "c#", "4s店", "江南style", "1.5", "3.14%", " ", "，", "\r\n"]
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 14)))
        assert cut_text(text, fast.cut) == cut_text(text, reference.cut), text


def test_duplicate_frequency_matches_jiebas_dictionary() -> None:
    """jieba sums every line of dict.txt into its total, duplicates included; jieba-rs keeps one
    entry per word. The pad the fast engine adds must be exactly that surplus."""
    lines = resources.files("jieba").joinpath("dict.txt").read_text("utf-8").splitlines()
    entries = [(w, int(f)) for w, f, *_ in (line.split() for line in lines)]
    counts = Counter(w for w, _ in entries)
    last = dict(entries)
    surplus = sum(f for _, f in entries) - sum(last.values())
    assert [w for w, n in counts.items() if n > 1] == ["B超"]
    assert surplus == _JIEBA_DUPLICATE_FREQ
    assert _reference()._tokenizer.total == sum(f for _, f in entries)


def test_added_words_get_the_same_frequency_in_both_engines() -> None:
    rng = random.Random(3)
    chars = "中国人民拆迁户城管理南京市长江大桥我的了是在有理光明湖山镇街道"
    words = ["女山湖镇", "管店镇", "自来桥镇", "张八岭", "明东街道", "px项目", "abc", "wifi"]
    words += ["".join(rng.choice(chars) for _ in range(rng.randint(2, 6))) for _ in range(100)]
    words = list(dict.fromkeys(words))
    fast, reference = RJiebaSegmenter(words), JiebaSegmenter(words)
    assert len(fast.added) > 90
    assert fast.added == reference.added
    assert "拆迁户" not in fast.added  # already known: left as it is


def test_dictionary_words_change_segmentation_per_instance() -> None:
    import rjieba

    plain, local = RJiebaSegmenter(), RJiebaSegmenter(["女山湖镇", "管店镇"])
    assert plain.cut("女山湖镇政府") == ["女山湖", "镇政府"]
    assert local.cut("女山湖镇政府") == ["女山湖镇", "政府"]
    assert plain.cut("管店镇上") == ["管店", "镇上"]  # another instance is not affected
    assert rjieba.cut("管店镇上") == ["管店", "镇上"]  # nor rjieba's module-level default
    ref_plain, ref_local = _reference(), _reference("女山湖镇")
    assert ref_local.cut("女山湖镇政府") == ["女山湖镇", "政府"]
    assert ref_plain.cut("女山湖镇政府") == ["女山湖", "镇政府"]


def test_segmenters_are_shared_per_engine_and_dictionary() -> None:
    assert segmenter("fast", ("管店镇",)) is segmenter("fast", ("管店镇",))
    assert segmenter("fast", ("管店镇",)) is not segmenter("fast", ())
    assert isinstance(segmenter("reference", ()), JiebaSegmenter)


@pytest.mark.parametrize(
    ("text", "start", "end", "accepted"),
    [
        ("省城管理", 1, 3, False),  # 城管: 省城|管理 cuts both sides
        ("南京市长江大桥", 2, 4, False),  # 市长: 南京市|长江大桥
        ("拆迁户补偿", 0, 2, True),  # 拆迁: 拆迁户 starts where it starts
        ("补偿拆迁户", 2, 4, True),
        ("老拆迁户", 2, 4, True),  # 迁户: 老|拆迁户 — it ends where 拆迁户 ends
        ("长江大桥管理处", 2, 5, False),  # 大桥管: 长江大桥|管理处
        ("城管，执法", 0, 2, True),
        ("ab cd", 1, 4, False),  # "b c": inside ab and inside cd
        ("ab cd", 0, 4, True),
        ("a\r\nbc", 2, 4, False),  # "\nb": \r\n is one token (2 is inside it), bc another
    ],
)
def test_boundary_rule(
    pair: tuple[RJiebaSegmenter, JiebaSegmenter], text: str, start: int, end: int, accepted: bool
) -> None:
    for engine in pair:
        tokens = cut_text(text, engine.cut)
        ends = {sum(len(t) for t in tokens[:i]) for i in range(len(tokens) + 1)}
        assert accepted == (start in ends or end in ends)
        assert Boundaries(text, engine.cut, fold).accepts(start, end) is accepted


def test_boundaries_fold_and_segment_only_the_runs_they_need() -> None:
    seen: list[str] = []

    def cut(run: str) -> list[str]:
        seen.append(run)
        return list(run)

    bounds = Boundaries("第一段文字，第二段ＡＢ字。第三段", cut, fold)
    assert bounds.accepts(1, 3)
    assert bounds.at(8)
    assert bounds.at(5) and bounds.at(6)  # next to punctuation: no segmentation needed
    assert seen == ["第一段文字", "第二段ab字"]  # the full-width letters are part of the run


def test_characters_that_fold_out_of_a_run_end_it() -> None:
    # 俓 folds to a character outside jieba's range (CJK extension B): a token by itself
    text = "中俓国"
    assert len(fold(text)) == 3 and fold(text)[1] > "\u9fd5"
    bounds = Boundaries(text, lambda run: pytest.fail(f"segmented {run!r}"), fold)
    assert bounds.at(1) and bounds.at(2)


def test_is_word() -> None:
    assert [t for t in ["拆迁", " ", "，", "\r\n", "3.5%", "-", "px"] if is_word(t)] == [
        "拆迁",
        "3.5%",
        "px",
    ]
