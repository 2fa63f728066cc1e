"""Spoken forms remembered between renders (podrender.speech.memo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podrender.cache import sealed, unsealed
from podrender.config import parse_config
from podrender.pipeline import render
from podrender.speech import memo as memo_module
from podrender.speech.memo import SpokenMemo, normalizer_stamp
from podrender.speech.normalize import spoken, spoken_text

VOICES = """\
engine: fake
narrator: Narrator
speakers:
  Narrator: fake/mid
  Ann: {voice: fake/high}
  Ben: {voice: fake/low}
pronounce:
  SoTA: state of the art
"""

SCRIPT = """\
Counting in Public

Ann: In 2015 we had 3 servers and 1,200 users; SoTA was a dream.

Ben: By 2019 it was $4.5 million a year, and 40% of it went to storage.

Ann: And today?

Ben: Today we do not talk about it.
"""


@pytest.fixture
def config():  # type: ignore[no-untyped-def]
    return parse_config(VOICES, "voices.yaml")


def _count_normalizations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = spoken._spoken.__wrapped__

    def counting(text: str, lexicon: tuple[tuple[str, str], ...]) -> str:
        calls.append(text)
        return real(text, lexicon)

    monkeypatch.setattr(spoken, "_spoken", counting)
    return calls


def test_a_second_render_takes_every_spoken_form_from_the_memo(tmp_path: Path, config, monkeypatch) -> None:
    first = render(SCRIPT, config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    files = list((tmp_path / "c" / "memo").glob("spoken-*.json"))
    assert len(files) == 1
    stored = unsealed(files[0].read_bytes())
    assert "twenty fifteen" in " ".join(stored.values())  # the memo holds spoken forms
    calls = _count_normalizations(monkeypatch)
    second = render(SCRIPT, config, output=tmp_path / "b.mp3", cache_dir=tmp_path / "c")
    assert calls == []
    assert second.path.read_bytes() == first.path.read_bytes()
    def said(manifest: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [(t["text"], t["spoken"]) for t in manifest["turns"]]

    assert said(second.manifest) == said(first.manifest)


def test_after_an_edit_only_the_edited_text_is_normalized(tmp_path: Path, config, monkeypatch) -> None:
    render(SCRIPT, config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    calls = _count_normalizations(monkeypatch)
    edited = SCRIPT.replace("And today?", "And this year?")
    result = render(edited, config, output=tmp_path / "b.mp3", cache_dir=tmp_path / "c")
    assert calls and all("this year" in text for text in calls)
    # the memo's answers are what normalizing afresh gives
    monkeypatch.undo()
    spoken._spoken.cache_clear()
    fresh = render(edited, config, output=tmp_path / "fresh.mp3", use_cache=False)
    assert fresh.path.read_bytes() == result.path.read_bytes()


def test_a_damaged_memo_is_ignored(tmp_path: Path, config) -> None:
    reference = render(SCRIPT, config, output=tmp_path / "ref.mp3", use_cache=False)
    folder = tmp_path / "c" / "memo"
    folder.mkdir(parents=True)
    (folder / f"spoken-{normalizer_stamp()}.json").write_text('{"truncated": ')
    result = render(SCRIPT, config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    assert result.path.read_bytes() == reference.path.read_bytes()
    assert unsealed((folder / f"spoken-{normalizer_stamp()}.json").read_bytes())  # rewritten whole


def test_a_memo_changed_by_one_byte_is_not_spoken(tmp_path: Path, config) -> None:
    """A flipped byte in a memo file ("Cornell" -> "Bornell") must not reach the episode: the memo's
    checksum fails, it is ignored and rewritten, and the spoken text is made afresh."""
    text = "The Show\n\nAnn: I studied at Cornell.\n\nBen: So did I, at Cornell too.\n"
    first = render(text, config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    memo = next((tmp_path / "c" / "memo").glob("spoken-*.json"))
    data = memo.read_bytes()
    assert data.count(b"Cornell") >= 2
    memo.write_bytes(data.replace(b"Cornell", b"Bornell"))
    second = render(text, config, output=tmp_path / "b.mp3", cache_dir=tmp_path / "c")
    spoken = " ".join(t["spoken"] for t in second.manifest["turns"])
    assert "Bornell" not in spoken and spoken.count("Cornell") == 2
    assert second.path.read_bytes() == first.path.read_bytes()
    assert b"Bornell" not in memo.read_bytes()


def test_the_stamp_changes_when_the_normalizer_changes(tmp_path: Path, monkeypatch) -> None:
    before = normalizer_stamp()
    source = Path(memo_module.__file__).parent / "normalize" / "numerals.py"
    st = source.stat()
    try:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert normalizer_stamp() != before
    finally:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert normalizer_stamp() == before


def test_the_memo_keeps_what_was_used_first_and_stays_bounded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(memo_module, "MAX_ENTRIES", 3)
    path = tmp_path / "memo.json"
    path.write_bytes(sealed({"old1": "a", "old2": "b", "old3": "c"}))
    memo = SpokenMemo(path)
    with memo.active():
        spoken_text("Route 66")
        spoken_text("Route 66")  # the second time from the memo
    assert memo.added == 1
    memo.save()
    kept = unsealed(path.read_bytes())
    assert len(kept) == 3
    assert "route sixty six" in " ".join(kept.values()).lower()
    assert spoken.MEMO.get() is None  # no memo outside a render


def test_cache_clear_removes_the_memo(tmp_path: Path, config) -> None:
    from podrender.cache import Cache

    render(SCRIPT, config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    assert list((tmp_path / "c" / "memo").glob("spoken-*.json"))
    Cache(tmp_path / "c").clear()
    assert not list((tmp_path / "c" / "memo").glob("spoken-*.json"))

