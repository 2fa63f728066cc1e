"""The intelligibility benchmark's scoring (bench/wer.py) and pitch helper (bench/pitch.py): pure Python
and numpy, no recognizer."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from conftest import median_pitch as reference_median_pitch  # noqa: E402
from pitch import median_pitch  # noqa: E402
from wer import (  # noqa: E402
    align,
    error_phrases,
    long_deletions,
    missed_words,
    normalize_words,
    score,
    strip_urls,
    wer,
    worst_phrases,
)


def _w(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", "hello world"),
        ("I’m a fan — really…", "im a fan really"),
        ("It wasn't until 2015.", "it wasnt until twenty fifteen"),
        ("PyTorch Dev Con 2019", "pytorch dev con twenty nineteen"),
        ("in 2009 and 1905", "in two thousand nine and nineteen oh five"),
        ("about 5 years, in 8 pages", "about five years in eight pages"),
        ("105 and 1,000 and 12,345", "one hundred five and one thousand and twelve thousand three hundred forty five"),
        ("the 1st and 22nd", "the first and twenty second"),
        ("3.5% of $20", "three point five percent of twenty dollars"),
        ("NLP, N L P, N.L.P. and N-L-P", "nlp nlp nlp and nlp"),
        ("e.g. this, for example that", "eg this eg that"),
        ("et cetera, etc.", "etc etc"),
        ("Q & A", "q and a"),
        ("follow @srush_nlp", "follow at srush nlp"),
        ("`model.fit()` works", "model dot fit works"),
        ("data-to-text, ML/NLP", "data to text ml nlp"),
        ("courses online :) 🤗", "courses online"),
        ("Torch-Struct (https://github.com/x/y) a library", "torch struct a library"),
        ("site: https://sayak.dev/ and www.example.com/page.", "site and"),
    ],
)
def test_normalize_words(text: str, words: str) -> None:
    assert normalize_words(text) == words.split()


def test_both_sides_the_same_way() -> None:
    """What a script writes and what a recognizer types for the same speech come out equal."""
    assert normalize_words("Alexander’s NLP group, since 2015 (5 years)...") == normalize_words(
        "Alexanders N.L.P. group since twenty fifteen, five years."
    )


def test_strip_urls_keeps_the_words_around() -> None:
    assert strip_urls("see https://a.b/c?d=1, then (www.x.org) go").split() == ["see", ",", "then", "go"]


def test_align_counts_each_kind() -> None:
    ops = align(_w("a b c d e f"), _w("a x c e f g"))
    s = score(ops)
    assert (s.substitutions, s.deletions, s.insertions) == (1, 1, 1)
    assert (s.ref_words, s.hyp_words) == (6, 6)
    assert s.wer == pytest.approx(3 / 6)
    assert [o.kind for o in ops] == ["ok", "sub", "ok", "del", "ok", "ok", "ins"]
    assert [(o.ref, o.hyp) for o in ops if o.kind != "ok"] == [("b", "x"), ("d", None), (None, "g")]


def test_align_edge_cases() -> None:
    assert score(align([], [])).wer == 0.0
    assert score(align([], ["a"])).wer == float("inf")
    s = score(align(["a", "b"], []))
    assert (s.deletions, s.wer) == (2, 1.0)
    s = score(align(["a"], ["x", "y", "z"]))
    assert (s.substitutions, s.insertions, s.wer) == (1, 2, 3.0)


def test_compounds_split_differently_are_the_same_word() -> None:
    ops = align(_w("better datasets for pretraining"), _w("better data sets for pre training"))
    assert score(ops).errors == 0
    assert score(ops).ref_words == 4
    ops = align(_w("a front end"), _w("a frontend"))
    assert score(ops).errors == 0
    assert score(ops).ref_words == 3
    # a split that is not the same word is still an error
    assert score(align(["datasets"], ["data", "set"])).errors == 2


def _levenshtein(a: list[str], b: list[str]) -> int:
    """Textbook edit distance, to check the alignment's total (no compounds in the random words)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def test_alignment_is_minimal_and_consistent() -> None:
    rng = random.Random(5)
    vocab = ["a", "bb", "ccc", "dd", "e"]  # no word is two others joined, so no compound shortcut applies
    for _ in range(200):
        ref = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        hyp = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        ops = align(ref, hyp)
        assert score(ops).errors == _levenshtein(ref, hyp)
        assert [w for o in ops if o.ref for w in o.ref.split()] == ref
        assert [w for o in ops if o.hyp for w in o.hyp.split()] == hyp


def test_wer_of_texts() -> None:
    assert wer("It wasn't until 2015.", "it wasn't until twenty fifteen") == 0.0
    assert wer("Hi Alexander! Thank you.", "Hi Alan Lander, thank you.") == pytest.approx(2 / 4)


def test_error_phrases_group_adjacent_errors() -> None:
    ref = _w("hi alexander thank you for the interview on nlp and nlp again")
    hyp = _w("hi alan lander thank you for interview on an lp and an lp again")
    phrases = error_phrases(align(ref, hyp))
    assert [(p.ref, p.hyp) for p in phrases] == [
        (("alexander",), ("alan", "lander")),
        (("the",), ()),
        (("nlp",), ("an", "lp")),
        (("nlp",), ("an", "lp")),
    ]
    worst = worst_phrases(phrases)
    assert (worst[0].ref, worst[0].hyp, worst[0].times, worst[0].errors) == ("nlp", "an lp", 2, 4)
    assert worst[-1].ref == "the" and worst[-1].hyp == ""
    assert missed_words(align(ref, hyp))[0] == ("nlp", 2, 2)


def test_long_deletions_are_skipped_stretches() -> None:
    ref = [f"w{i}" for i in range(30)]
    hyp = ref[:5] + ["x"] + ref[20:]  # 15 words gone, one heard in their place
    assert long_deletions(error_phrases(align(ref, hyp))) == (1, 15)
    assert long_deletions(error_phrases(align(ref, ref[:25] + ["x"] * 5))) == (0, 0)


def _vowel(f0: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * 0.3


@pytest.mark.parametrize("f0", [90.0, 140.0, 230.0])
def test_pitch_matches_the_tests_helper(f0: float) -> None:
    rate = 16000
    x = np.concatenate([_vowel(f0, rate, 0.5), np.zeros(rate // 4), _vowel(f0 * 1.1, rate, 0.3)])
    fast = median_pitch(x, rate)
    assert fast == pytest.approx(reference_median_pitch(x, rate), rel=1e-9)
    assert fast == pytest.approx(f0, rel=0.03)


def test_pitch_of_silence_and_noise() -> None:
    assert median_pitch(np.zeros(16000), 16000) == 0.0
    assert median_pitch(np.zeros(10), 16000) == 0.0
    noise = np.random.default_rng(1).standard_normal(16000)
    assert median_pitch(noise, 16000) == 0.0
