"""Input formats through the command line and the render: inspect for a file of each format, errors,
and `[pause 2s]` as real silence (fake engine, and once with the real engine, decoded with ffmpeg)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DECODE_RATE, decode

from podrender.cli.main import cli
from podrender.config import parse_config
from podrender.pipeline import prepare, render

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
FAKE_VOICES = "engine: fake\nnarrator: Narrator\npause_ms: 300\nchapter_pause_ms: 600\n"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def voices(tmp_path: Path) -> Path:
    path = tmp_path / "voices.yaml"
    path.write_text(FAKE_VOICES, encoding="utf-8")
    return path


# name: (format, speakers, turns after the title, chapter titles)
EXPECTED = {
    "bread.yaml": ("script", ["Inès Moreau", "Tomas"], 7, ["Why dough rises faster", "Boiling point"]),
    "bread.json": ("script", ["Tomas", "Inès"], 3, ["Yeast"]),
    "night-trains.md": ("markdown", ["Mara Lindqvist", "Jörg Bäumler"], 6, ["Booking a berth", "Sleeping well"]),
    "beekeeper-otter.txt": ("timestamped", ["Priya Raman", "Óscar Núñez"], 4, []),
    "harbour-rev.txt": ("timestamped", ["Priya Raman", "Óscar Núñez"], 4, []),
    "morning-desk.txt": ("radio", ["John Smith", "Dr. Jones"], 6, []),  # MR. SMITH: John Smith
    "ask-the-gardener.txt": ("radio", ["Host", "Guest"], 5, []),
    "lighthouse.txt": ("play", ["Élodie", "Mr. Halvorsen"], 5, ["Act 1, Scene 1: The lamp room, just before dusk",
                                                                "Act 1, Scene 2"]),  # directions left out
    "urban-trees.vtt": ("vtt", ["Aiyana Redcloud", "Björn Østergaard"], 3, []),
    "night-market.srt": ("srt", ["Keiko", "Luis"], 3, []),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inspect_reads_every_format(name: str, voices: Path) -> None:
    fmt, speakers, turns, chapter_titles = EXPECTED[name]
    result = run("inspect", str(FIXTURES / name), "--voices", str(voices), "--chapters", "marker", "--json")
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert sheet["format"]["name"] == fmt
    assert sheet["format"]["detected"].startswith(("from the .", "detected from content: "))
    assert [s["name"] for s in sheet["speakers"] if not s["narrator"]] == speakers
    spoken_turns = [t for t in sheet["turns"] if t["text"] != sheet["title"]]
    assert len(spoken_turns) == turns
    assert [c["title"] for c in sheet["chapters"]] == chapter_titles
    said = json.loads(run("inspect", str(FIXTURES / name), "--voices", str(voices), "--spoken", "--json").output)
    texts = [u["text"] for t in said["turns"] for u in t["units"]]
    # Timestamps, pause tags and markup never reach the engine.
    assert texts and not any("[pause" in t or "-->" in t or "**" in t or "<v" in t for t in texts)
    assert not any(re.search(r"\d:\d\d", t) for t in texts)


def test_inspect_says_which_format_and_why(voices: Path, tmp_path: Path) -> None:
    result = run("inspect", str(FIXTURES / "night-trains.md"), "--voices", str(voices))
    assert result.exit_code == 0, result.output
    assert "Format:   markdown (from the .md extension)" in result.output
    copy = tmp_path / "desk.txt"
    shutil.copy(FIXTURES / "morning-desk.txt", copy)
    result = run("inspect", str(copy), "--voices", str(voices))
    assert "Format:   radio (detected from content: 5 labels in capitals)" in result.output
    result = run("inspect", str(copy), "--voices", str(voices), "--input-format", "plain", "--json")
    assert json.loads(result.output)["format"] == {"name": "plain", "detected": "chosen with --input-format"}


def test_bad_input_format_is_a_usage_error(voices: Path) -> None:
    for command in ("inspect", "render"):
        result = run(command, str(FIXTURES / "bread.yaml"), "--input-format", "docx")
        assert result.exit_code == 2
        assert "Invalid value for '--input-format': unknown input format 'docx'" in result.output


def test_a_script_error_is_one_line_with_file_and_line(voices: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Oops\nturns:\n  - speaker: Ann\n    text: Hello.\n  - speaker: Ben\n    txet: Hi.\n")
    result = run("inspect", str(bad), "--voices", str(voices))
    assert result.exit_code == 1
    assert result.output == f"Error: {bad} line 6: turns item 2: unknown key 'txet' (did you mean 'text'?)\n"


def test_pauses_become_units_with_that_silence_and_change_the_cache_key(tmp_path: Path) -> None:
    config = parse_config(FAKE_VOICES)
    text = ("# Pauses\n\n**Ann:** One two three. [pause 2s] Four five.\n\n**Ben:** Six. [pause 500ms]\n\n"
            "**Ann:** Seven.\n")  # fmt: skip
    units = prepare(text, config, source="p.md").plan.units
    assert [(u.speaker, u.text, u.pause_ms) for u in units] == [
        ("Narrator", "Pauses", 300), ("Ann", "One two three.", 2000), ("Ann", "Four five.", 300),
        ("Ben", "Six.", 500), ("Ann", "Seven.", 0)]  # fmt: skip
    longer = prepare(text.replace("[pause 2s]", "[pause 3s]"), config, source="p.md").plan.units
    assert [u.key == v.key for u, v in zip(units, longer, strict=True)] == [True, False, True, True, True]
    # The plain format honours the tag too; a pause-only line adds to the gap after the turn before it.
    plain = prepare("Ann: Hello.\n\n[pause 1s]\n\nBen: Hi.\n", config, source="p.txt").plan
    assert [(u.text, u.pause_ms) for u in plain.units] == [("Hello.", 1000), ("Hi.", 0)]
    assert plain.dropped == ()


def longest_silence(path: Path, floor: float = 10 ** (-50 / 20)) -> float:
    """Seconds of the longest run of 10 ms windows quieter than `floor` (RMS), away from the ends."""
    audio = decode(path)
    step = DECODE_RATE // 100
    windows = audio[: len(audio) // step * step].reshape(-1, step)
    quiet = np.sqrt((windows**2).mean(axis=1)) < floor
    best = run_length = 0
    for q in quiet[:-1]:
        run_length = run_length + 1 if q else 0
        best = max(best, run_length)
    return best / 100


def test_a_pause_is_silence_in_the_fake_render(tmp_path: Path) -> None:
    config = parse_config(FAKE_VOICES)
    text = (FIXTURES / "urban-trees.vtt").read_text(encoding="utf-8")
    with_pause = render(text, config, source="trees.vtt", output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    without = render(text.replace("[pause 2s]", ""), config, source="trees.vtt", output=tmp_path / "b.mp3",
                     cache_dir=tmp_path / "c")  # fmt: skip
    assert 1.95 <= longest_silence(with_pause.path) <= 2.3
    assert longest_silence(without.path) < 0.7
    units = with_pause.prepared.plan.units
    assert [u.pause_ms for u in units if u.speaker == "Björn Østergaard"] == [2000]


@pytest.mark.slow
def test_a_pause_is_two_seconds_of_silence_with_the_real_engine(tmp_path: Path) -> None:
    script = tmp_path / "pause.md"
    script.write_text(
        "# A Short Pause\n\n**Ann:** Ready? [pause 2s] There it was.\n\n**Ben:** I heard nothing at all.\n",
        encoding="utf-8",
    )
    out = tmp_path / "episode.mp3"
    common = ["--chapters", "none", "--cache-dir", str(tmp_path / "c"), "--jobs", "2"]
    result = run("render", str(script), "-o", str(out), *common)
    assert result.exit_code == 0, result.output
    # espeak leaves a little silence after "Ready?" and the codec adds ~25 ms; the tag adds exactly 2 s.
    assert 2.0 <= longest_silence(out) <= 2.5
    control = tmp_path / "control.md"
    control.write_text(script.read_text().replace(" [pause 2s]", ""), encoding="utf-8")
    result = run("render", str(control), "-o", str(tmp_path / "control-episode.mp3"), *common)
    assert result.exit_code == 0, result.output
    assert longest_silence(tmp_path / "control-episode.mp3") < 1.0
    # The words around the tag are spoken, the tag is not.
    said = json.loads(run("inspect", str(script), "--spoken", "--json").output)
    units = [(u["text"], u["pause_ms"]) for t in said["turns"] for u in t["units"]]
    assert units[1:3] == [("Ready?", 2000), ("There it was.", 400)]
