"""End to end with the real engine (pyttsx3 + espeak-ng) and the real encoder, read back independently."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DECODE_RATE, decode, ebur128, median_pitch
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from podrender.audio import encode
from podrender.cli.main import cli
from podrender.speech import plan

SCRIPT = """\
Night Shift at the Lighthouse

A short play for three voices, written for the podrender tests.

Ada: Good evening, Brook. Did the lamp keep turning all night?

Brook: It did. The gears complained a little, but the light never stopped.

Cyrus: I oiled them at midnight. They should be quiet now.

Ada: Then what should we fix before winter comes?

Brook: The stairs, mostly. Three of them are loose near the top.

Cyrus: And the radio. It only picks up the weather station on clear days.

## Repairs

Ada: Let us start with the stairs tomorrow morning.

Cyrus: I will bring the tools.

That was the end of the night shift.
"""

VOICES = """\
narrator: Narrator
host: Ada
pause_ms: 400
chapter_pause_ms: 1000
speakers:
  Narrator: {voice: "en-us+m3", rate: 180, pitch: 30}
  Ada: {voice: "gmw/en-us+f3", rate: 185}
  Brook: {voice: "gmw/en-gb-x-rp+m7", rate: 185, pitch: 70}
  Cyrus: {voice: "gmw/en+f5", rate: 185, pitch: 80}
episode: {artist: Test Artist, album: Test Album, year: 2026, description: A test episode.}
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("real")
    (root / "play.txt").write_text(SCRIPT, encoding="utf-8")
    (root / "voices.yaml").write_text(VOICES, encoding="utf-8")
    out = root / "out" / "play.mp3"
    result = CliRunner().invoke(
        cli,
        ["render", str(root / "play.txt"), "--voices", str(root / "voices.yaml"), "-o", str(out),
         "--cache-dir", str(root / "cache")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads(out.with_suffix(".json").read_text())
    return {"root": root, "out": out, "manifest": manifest, "output": result.output}


def test_tags_and_chapters_read_back_with_mutagen(rendered: dict) -> None:
    tag = ID3(rendered["out"])
    assert tag.version == (2, 3, 0)
    assert str(tag["TIT2"]) == "Night Shift at the Lighthouse"
    assert str(tag["TPE1"]) == "Test Artist"
    assert str(tag["TALB"]) == "Test Album"
    chapters = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    titles = [str(c.sub_frames["TIT2"]) for c in chapters]
    assert titles == [
        "Introduction",
        "Did the lamp keep turning all night?",
        "Then what should we fix before winter comes?",
        "Repairs",
        "Closing",
    ]
    (toc,) = tag.getall("CTOC")
    assert toc.child_element_ids == [c.element_id for c in chapters]
    assert toc.flags & 3 == 3  # top level and ordered
    assert chapters[0].start_time == 0
    for a, b in zip(chapters, chapters[1:], strict=False):
        assert a.end_time == b.start_time
    assert chapters[-1].end_time == rendered["manifest"]["duration_ms"]


def test_duration_matches_decoded_audio(rendered: dict) -> None:
    audio = decode(rendered["out"])
    seconds = len(audio) / DECODE_RATE
    assert abs(seconds * 1000 - rendered["manifest"]["duration_ms"]) < 30
    assert abs(MP3(rendered["out"]).info.length - seconds) < 0.1
    assert 25 < seconds < 60  # ~90 words at 185 wpm plus pauses


def test_chapter_starts_match_speech_onsets(rendered: dict) -> None:
    """Each chapter starts in the silence just before its first turn is heard."""
    audio = decode(rendered["out"])
    step = int(0.005 * DECODE_RATE)
    env = np.sqrt(np.convolve(audio**2, np.ones(step) / step, mode="same"))
    loud = env > 0.01
    for chapter in rendered["manifest"]["chapters"][1:]:
        start = int(chapter["start_ms"] * DECODE_RATE / 1000)
        before = loud[start - int(0.3 * DECODE_RATE) : start]
        assert not before.any(), f"speech in the 300 ms before chapter {chapter['title']!r}"
        onset = start + int(np.argmax(loud[start:]))
        assert (onset - start) / DECODE_RATE < 0.05 + 0.025, chapter["title"]


def test_each_speaker_has_a_distinct_pitch(rendered: dict) -> None:
    audio = decode(rendered["out"])
    pitch: dict[str, list[float]] = {}
    for turn in rendered["manifest"]["turns"]:
        a = int(turn["start_ms"] * DECODE_RATE / 1000)
        b = int(turn["end_ms"] * DECODE_RATE / 1000)
        pitch.setdefault(turn["speaker"], []).append(median_pitch(audio[a:b]))
    medians = {name: float(np.median(values)) for name, values in pitch.items()}
    assert set(medians) == {"Narrator", "Ada", "Brook", "Cyrus"}
    names = sorted(medians, key=medians.get)  # type: ignore[arg-type]
    for low, high in zip(names, names[1:], strict=False):
        assert medians[high] / medians[low] >= 1.2, medians


def test_loudness_and_true_peak(rendered: dict) -> None:
    loudness, peak = ebur128(rendered["out"])
    assert abs(loudness - -16.0) <= 1.0
    assert peak <= -1.0
    recorded = rendered["manifest"]["loudness"]
    assert abs(recorded["integrated_lufs"] - loudness) <= 0.5


def test_manifest_shape(rendered: dict) -> None:
    m = rendered["manifest"]
    assert m["title"] == "Night Shift at the Lighthouse"
    assert [t["speaker"] for t in m["turns"]] == [
        "Narrator", "Narrator", "Ada", "Brook", "Cyrus", "Ada", "Brook", "Cyrus", "Ada", "Cyrus", "Narrator",
    ]  # fmt: skip
    assert all(t["cache"] == "miss" for t in m["turns"])
    starts = [t["start_ms"] for t in m["turns"]]
    assert starts == sorted(starts)
    assert all(t["end_ms"] > t["start_ms"] for t in m["turns"])
    assert m["settings"]["sample_rate"] == 44100 and m["settings"]["bitrate"] == 64
    assert "Chapters" not in m["turns"][0]["spoken"]


def test_rerender_hits_the_cache_and_is_byte_identical(rendered: dict, tmp_path: Path) -> None:
    root = rendered["root"]
    again = tmp_path / "again.mp3"
    args = ["render", str(root / "play.txt"), "--voices", str(root / "voices.yaml"), "-o", str(again)]
    result = CliRunner().invoke(cli, [*args, "--cache-dir", str(root / "cache")])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == rendered["out"].read_bytes()
    manifest = json.loads(again.with_suffix(".json").read_text())
    assert all(t["cache"] == "hit" for t in manifest["turns"])
    fresh = tmp_path / "fresh.mp3"
    result = CliRunner().invoke(cli, [*args[:-1], str(fresh), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert fresh.read_bytes() == rendered["out"].read_bytes()


def test_summary_lists_speakers_and_chapters(rendered: dict) -> None:
    out = rendered["output"]
    assert "Wrote" in out and "chapters (5)" in out
    for name in ("Ada", "Brook", "Cyrus", "Narrator"):
        assert name in out


LONG_TURN = """\
A Long Answer

Ada: Tell me how the light works.

Brook: The lamp sits inside a ring of glass prisms. Each prism bends the light a little, and together they \
gather it into one narrow beam. Every lighthouse has its own rhythm of flashes. Sailors read that rhythm from \
their charts.
"""


def test_the_episode_is_the_same_whatever_the_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With more cores than units, a worker encodes its long chunk's parts on several threads: same bytes."""
    (tmp_path / "long.txt").write_text(LONG_TURN, encoding="utf-8")
    slow = VOICES.replace('rp+m7", rate: 185', 'rp+m7", rate: 90')  # Brook speaks slowly
    (tmp_path / "voices.yaml").write_text(slow, encoding="utf-8")

    def render(name: str, *extra: str) -> tuple[bytes, dict]:
        out = tmp_path / f"{name}.mp3"
        args = ["render", str(tmp_path / "long.txt"), "--voices", str(tmp_path / "voices.yaml"), "-o", str(out)]
        result = CliRunner().invoke(cli, [*args, *extra, "--cache-dir", str(tmp_path / f"c-{name}"), "-q"])
        assert result.exit_code == 0, result.output
        return out.read_bytes(), json.loads(out.with_suffix(".json").read_text())

    one, _ = render("jobs1", "--jobs", "1")  # 3 units: one thread each
    eight, manifest = render("jobs8", "--jobs", "8")  # two threads each
    assert one == eight
    (brook,) = [t for t in manifest["turns"] if t["speaker"] == "Brook"]
    assert len(brook["spoken"]) <= 2 * plan.UNIT_MIN_CHARS  # one unit ...
    assert brook["end_ms"] - brook["start_ms"] > 2 * 10_000  # ... long enough to be encoded in parts

    # The same unit encoded whole (the workers fork from this process, patched): the seams lengthen
    # pauses, so the parts' chunk is longer, and the turn's end_ms (where the engine's audio ends)
    # moves with them: its distance to the last sound (an independent decoder's) stays the same.
    monkeypatch.setattr(encode, "MAX_PARTS", 1)
    _, whole = render("whole")
    (brook_whole,) = [t for t in whole["turns"] if t["speaker"] == "Brook"]
    assert manifest["duration_ms"] > whole["duration_ms"] + 40

    def tail_ms(name: str, turn: dict) -> float:
        audio = decode(tmp_path / f"{name}.mp3")
        return turn["end_ms"] - np.flatnonzero(np.abs(audio) > 0.01)[-1] * 1000 / DECODE_RATE

    assert tail_ms("jobs8", brook) == pytest.approx(tail_ms("whole", brook_whole), abs=10)
