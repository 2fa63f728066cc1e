"""Lexicon entries written in espeak phonemes reach only engines that read them."""

from __future__ import annotations

from podrender.config import parse_config
from podrender.pipeline import prepare

SCRIPT = "Names\n\nAnn: Sasha Rush wrote Torch-Struct.\n\nBen: Thanks, Sasha.\n"


def _prepared(engine: str, voices: str):  # type: ignore[no-untyped-def]
    text = f"""\
engine: {engine}
speakers:
  Ann: {{voice: {voices[0]}}}
  Ben: {{voice: {voices[1]}}}
pronounce:
  Sasha: "[[s'A:S@]]"
  Torch-Struct: torch struct
"""
    return prepare(SCRIPT, parse_config(text, "voices.yaml"))


def test_an_engine_without_phoneme_input_says_the_word_as_written() -> None:
    prepared = _prepared("fake", ("fake/high", "fake/low"))
    ann = prepared.cast.role("Ann")
    assert dict(ann.pronounce) == {"Torch-Struct": "torch struct"}
    spoken = [u.text for u in prepared.plan.units]
    assert not any("[[" in t for t in spoken)
    assert any("Sasha" in t and "torch struct" in t for t in spoken)
    warnings = [w for w in prepared.cast.warnings if "phonemes" in w]
    assert len(warnings) == 1 and "'Sasha'" in warnings[0] and "engine 'fake'" in warnings[0]
    assert "Ann" in warnings[0] and "Ben" in warnings[0]


def test_espeak_gets_the_phonemes() -> None:
    prepared = _prepared("pyttsx3", ("gmw/en-us+f3", "gmw/en-us+m3"))
    assert dict(prepared.cast.role("Ann").pronounce)["Sasha"] == "[[s'A:S@]]"
    assert any("[[s'A:S@]]" in u.text for u in prepared.plan.units)
    assert not [w for w in prepared.cast.warnings if "phonemes" in w]
