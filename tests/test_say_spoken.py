"""`podrender say` (real engine, WAV read back) and `podrender inspect --spoken`, through click's CliRunner."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from mutagen.wave import WAVE

from podrender.cli.main import cli
from podrender.runtime import ffmpeg

VOICES = """\
narrator: Narrator
speakers:
  Narrator: {voice: en-us+f3, rate: 165}
  Sasha: {voice: en-gb-x-rp+m7, rate: 170, aliases: [Alexander], pronounce: {Rush: "[[r'VS]]"}}
  Sayak: {voice: en-us+m3, rate: 175}
pronounce: {NLP: N L P}
"""
SCRIPT = """\
The Talk

Sayak: In 2015, did ML/NLP cost $3.50?

Alexander: No. Ask Rush: it was 10am & e.g. 5-10 GPUs.
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "voices.yaml").write_text(VOICES, encoding="utf-8")
    (tmp_path / "talk.txt").write_text(SCRIPT, encoding="utf-8")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples as floats and the rate, read by mutagen (header) and ffmpeg (samples), not by podrender."""
    info = WAVE(str(path)).info
    assert (info.channels, info.bits_per_sample) == (1, 16)
    pcm = subprocess.run(
        [ffmpeg().path, "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-"], capture_output=True, check=True
    ).stdout
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768
    assert abs(len(x) / info.sample_rate - info.length) < 0.01
    return x, info.sample_rate


def speech_fraction(x: np.ndarray, rate: int) -> float:
    """Share of 50 ms blocks louder than -45 dBFS."""
    block = rate // 20
    blocks = x[: len(x) // block * block].reshape(-1, block)
    rms = np.sqrt((blocks**2).mean(axis=1))
    return float((rms > 10 ** (-45 / 20)).mean())


# --- say ---------------------------------------------------------------------------------------------


def test_say_writes_a_wav_of_plausible_speech(files: Path) -> None:
    out = files / "sasha.wav"
    text = "In 2015 we counted 1,000 papers on NLP & ML."
    result = run("say", text, "--speaker", "sasha", "--voices", str(files / "voices.yaml"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    said = "In twenty fifteen we counted one thousand papers on N L P and M-L."
    assert said in result.output  # what the engine was asked to say, after normalization
    assert "Sasha (gmw/en-gb-x-rp+m7)" in result.output
    x, rate = read_wav(out)
    words = len(said.split())
    expected = words * 60 / 170
    seconds = len(x) / rate
    assert 0.5 * expected < seconds < 2.0 * expected, (seconds, expected)
    assert speech_fraction(x, rate) > 0.5
    peak_db = 20 * np.log10(np.abs(x).max())
    assert -12 < peak_db <= -0.9  # levelled like a render's turn: loud, under the -1 dBTP ceiling


def test_say_default_output_and_narrator(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(files)
    result = run("say", "Note: thanks for listening.")  # ./voices.yaml, the narrator; "Note:" is no label
    assert result.exit_code == 0, result.output
    out = files / "output" / "say-narrator.wav"
    x, rate = read_wav(out)
    assert rate == 22050
    assert 0.5 < len(x) / rate < 4.0
    assert "Narrator (gmw/en-us+f3) said:\n    Note: thanks for listening.\n" in result.output


def test_say_reads_phoneme_input_as_phonemes(files: Path) -> None:
    voices = str(files / "voices.yaml")
    run("say", "[[h@l'oU]]", "--speaker", "Sayak", "--voices", voices, "-o", str(files / "phonemes.wav"))
    run("say", "hello", "--speaker", "Sayak", "--voices", voices, "-o", str(files / "word.wav"))
    phonemes, _ = read_wav(files / "phonemes.wav")
    word, _ = read_wav(files / "word.wav")
    # Without espeak's phoneme flag the brackets' contents are read as letters, about twice as long.
    assert len(phonemes) == len(word)
    assert np.array_equal(phonemes, word)


def test_say_unknown_speaker_names_the_closest(files: Path) -> None:
    result = run("say", "hi", "--speaker", "Sasa", "--voices", str(files / "voices.yaml"), "-o", str(files / "x.wav"))
    assert result.exit_code == 1
    assert result.output == f"Error: no speaker 'Sasa' in {files / 'voices.yaml'}; closest: Sasha, Sayak\n"
    assert not (files / "x.wav").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["say", "hi", "-o", "x.mp3"], "Error: x.mp3: the output file name must end in .wav"),
        (["say", "   ", "-o", "x.wav"], "Error: there is no text to say"),
        (["say", "🎉 :)", "-o", "x.wav"], "has nothing to say after removing markup, links and emoji"),
    ],
)
def test_say_mistakes_are_one_line(files: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(files)
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.count("\n") == 1


def test_say_without_text_is_a_usage_error() -> None:
    assert run("say").exit_code == 2


def test_say_has_help() -> None:
    result = run("say", "--help")
    assert result.exit_code == 0
    assert "--speaker" in result.output and "output/say-<speaker>.wav" in result.output


# --- inspect --spoken -------------------------------------------------------------------------------


def test_inspect_spoken_prints_each_turn_as_the_engine_gets_it(files: Path) -> None:
    result = run("inspect", "--spoken", str(files / "talk.txt"), "--voices", str(files / "voices.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Title: The Talk\n"
        "\n"
        "line 1  Narrator (gmw/en-us+f3)\n"
        "  The Talk\n"
        "\n"
        "line 3  Sayak (gmw/en-us+m3)\n"
        "  In twenty fifteen, did M-L or N L P cost three dollars and fifty cents?\n"
        "\n"
        "line 5  Sasha (gmw/en-gb-x-rp+m7)\n"
        "  No. Ask [[r'VS]]: it was ten a.m. and for example five to ten G-P-U's.\n"
    )


def test_inspect_spoken_json_matches_the_plan(files: Path) -> None:
    from podrender.config import load_config
    from podrender.pipeline import prepare

    args = ["inspect", "--spoken", "--json", str(files / "talk.txt"), "--voices", str(files / "voices.yaml")]
    result = run(*args)
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert sheet["title"] == "The Talk"
    assert [(t["line"], t["speaker"], t["engine"]) for t in sheet["turns"]] == [
        (1, "Narrator", "pyttsx3"), (3, "Sayak", "pyttsx3"), (5, "Sasha", "pyttsx3"),
    ]  # fmt: skip
    assert set(sheet["turns"][0]) == {"turn", "line", "speaker", "engine", "voice", "units"}
    assert set(sheet["turns"][0]["units"][0]) == {"index", "text", "pause_ms"}
    assert sheet["dropped"] == []
    plan = prepare(SCRIPT, load_config(files / "voices.yaml")).plan
    assert [u["text"] for t in sheet["turns"] for u in t["units"]] == [u.text for u in plan.units]


def test_inspect_spoken_shows_long_turns_unit_by_unit_and_dropped_turns(files: Path) -> None:
    long_turn = " ".join(f"Sentence number {i} is here and it goes on for a while." for i in range(1, 25))
    (files / "long.txt").write_text(
        f"Sayak: {long_turn}\n\nSasha: 🎉\n\nSayak: Bye.\n\nSasha: One.\n\nTwo.\n\nSayak: End.\n", encoding="utf-8"
    )
    result = run("inspect", "--spoken", str(files / "long.txt"), "--voices", str(files / "voices.yaml"))
    assert result.exit_code == 0, result.output
    assert "  [1] Sentence number one is here" in result.output
    assert "  [2] " in result.output
    assert "line 3  (not spoken: nothing to say after removing markup, links and emoji)" in result.output
    assert "line 7  Sasha (gmw/en-gb-x-rp+m7)\n  One.\n  Two.\n" in result.output  # a paragraph per line


def test_say_keeps_a_pause_tag_as_silence(files: Path) -> None:
    out = files / "pause.wav"
    result = run("say", "Ready? [pause 2s] There it was.", "--speaker", "Sayak", "--voices", str(files / "voices.yaml"),
                 "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "pause" not in result.output.split("said:", 1)[1]  # the tag is not read aloud
    x, rate = read_wav(out)
    block = rate // 100
    quiet = np.sqrt((x[: len(x) // block * block].reshape(-1, block) ** 2).mean(axis=1)) < 10 ** (-50 / 20)
    longest = run_length = 0
    for q in quiet:
        run_length = run_length + 1 if q else 0
        longest = max(longest, run_length)
    assert 1.9 <= longest / 100 <= 3.0  # the 2 s asked for, plus espeak's own trailing silence


PANEL = (
    "A Panel\n\nSome narration before the talk.\n\n"
    "Maya: Thanks for coming. The first question is about tides. They rise twice a day here. The harbour "
    "floods in spring. We moved the boats twice last year. The council met three times about it. Everyone had "
    "a plan, and none of the plans agreed. Nobody expected that much water.\n\n"
    "Tom: Happy to be here.\n"
)


def test_say_script_speaks_a_speakers_first_line_in_the_renders_voice(tmp_path: Path) -> None:
    """`say --script` hears a cast before rendering: the voice is the one `inspect` shows for the speaker
    (a fallback chosen from the whole cast), the text the first sentences of their first turn."""
    (tmp_path / "panel.txt").write_text(PANEL, encoding="utf-8")
    (tmp_path / "v.yaml").write_text("engine: pyttsx3\n", encoding="utf-8")
    base = ["--voices", str(tmp_path / "v.yaml")]
    sheet = CliRunner().invoke(cli, ["inspect", str(tmp_path / "panel.txt"), *base, "--json"])
    voices = {s["name"]: s["voice"] for s in json.loads(sheet.output)["speakers"]}
    out = tmp_path / "maya.wav"
    result = CliRunner().invoke(cli, ["say", "--script", str(tmp_path / "panel.txt"), "--speaker", "maya",
                                      *base, "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Maya ({voices['Maya']}) said:" in result.output
    said = result.output.split("said:")[1]
    assert "Thanks for coming." in said and "Nobody expected" not in said  # whole sentences, about 240 characters
    assert 4.0 < WAVE(out).info.length < 25.0
    missing = CliRunner().invoke(cli, ["say", "--script", str(tmp_path / "panel.txt"), "--speaker", "Mia", *base])
    assert missing.exit_code == 1 and missing.output.strip() == "Error: no speaker 'Mia' in " + str(
        tmp_path / "panel.txt"
    ) + "; closest: Maya"
    both = CliRunner().invoke(cli, ["say", "Hello", "--script", str(tmp_path / "panel.txt"), *base])
    assert both.exit_code == 2 and "give either TEXT or --script FILE" in both.output
