"""Folding: traditional → simplified, full width → half width, lower case; one char to one char."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from sentinel.match.fold import fold, fold_reference, fold_table, unfolded_chars
from sentinel.match.scan import AhoCorasickScanner, FindScanner


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("徵地拆遷", "征地拆迁"),
        ("強拆", "强拆"),
        ("農民工討薪", "农民工讨薪"),
        ("ＰＸ项目", "px项目"),
        ("ｐｘ項目", "px项目"),
        ("ＰＭ２．５", "pm2.5"),
        ("PX Project", "px project"),
        ("全角\u3000空格", "全角 空格"),
        ("薴", "苎"),  # a chain in OpenCC's table (薴→苧→苎), followed to its end
        ("拆迁户", "拆迁户"),  # simplified text is left alone
    ],
)
def test_folds(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert fold_reference(text) == folded


def test_table_maps_one_char_to_one_char_and_is_idempotent() -> None:
    table = fold_table()
    assert len(table) > 4000  # OpenCC's TSCharacters, plus widths and case
    assert all(0 <= v < 0x110000 and v != k for k, v in table.items())
    assert not set(table.values()) & set(table)  # folding a folded text changes nothing


def _random_text(rng: random.Random, n: int) -> str:
    keys = [chr(k) for k in fold_table()]
    pool = [*keys[:2000], *"中文拆迁户明光abcXYZ 123，。！\r\n\t", "\ud800", "\U00020000", "é"]
    return "".join(rng.choice(pool) for _ in range(n))


def test_fast_fold_equals_translate_on_random_text() -> None:
    rng = random.Random(7)
    for n in [0, 1, 5, 47, 48, 49, 300, 3000]:
        for _ in range(20):
            text = _random_text(rng, n)
            folded = fold(text)
            assert folded == fold_reference(text)
            assert len(folded) == len(text)


def test_lone_surrogates_fold_to_themselves() -> None:
    text = "拆遷\udc80" * 40
    assert fold(text) == "拆迁\udc80" * 40


def test_unfolded_chars_are_those_that_fold_into_the_alphabet() -> None:
    chars = unfolded_chars({"迁", "p"})
    assert "遷" in chars and "P" in chars and "Ｐ" in chars and "ｐ" in chars
    assert "拆" not in chars and "x" not in chars


def test_scan_without_folding_only_when_safe() -> None:
    """The fast scanner skips folding on texts without unfolded characters; the reference always
    folds. They must still find the same occurrences in mixed traditional/simplified text."""
    patterns = ["征地", "拆迁", "强拆", "px项目", "补偿款", "迁户"]
    fast, reference = AhoCorasickScanner(patterns), FindScanner(patterns)
    rng = random.Random(3)
    pool = list("征徵地拆迁遷强強补補偿償款項项目户戶pPＰxXｘ的了，")
    for _ in range(2000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 30)))
        assert sorted(fast.scan(text)) == sorted(reference.scan(text)), text


def test_table_is_built_on_first_use_not_at_import() -> None:
    code = (
        "import sentinel.match, sentinel.match.fold as f;"
        "print(f.fold_table.cache_info().currsize, f._lookup.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]
