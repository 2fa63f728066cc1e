"""The command line: help, the inspect/voices JSON shapes, and one clear line for every mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podrender.cli.main import cli

SCRIPT = "Garden Talk\n\nIris: What grows best in shade?\n\nOwen: Ferns, mostly. And moss.\n\nNote: bring gloves.\n"
VOICES = "speakers:\n  Iris: {voice: en-us+f3}\n  Owen: {voice: en-us+m3, aliases: [Owen B]}\n"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "talk.txt").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "voices.yaml").write_text(VOICES, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("command", [[], ["render"], ["inspect"], ["voices"], ["cache"], ["cache", "info"],
                                     ["cache", "clear"], ["doctor"]])  # fmt: skip
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 15, result.output


def test_inspect_json_shape(files: Path) -> None:
    result = run("inspect", str(files / "talk.txt"), "--voices", str(files / "voices.yaml"), "--json")
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert {"title", "speakers", "turns", "chapters", "skipped", "warnings"} <= set(sheet)
    assert sheet["title"] == "Garden Talk"
    by_name = {s["name"]: s for s in sheet["speakers"]}
    assert by_name["Iris"]["voice"] == "gmw/en-us+f3" and not by_name["Iris"]["fallback"]
    assert by_name["Note"]["fallback"] is True
    assert {"name", "voice", "aliases", "turns", "words"} <= set(by_name["Owen"])
    assert by_name["Owen"]["words"] == 4
    assert [t["speaker"] for t in sheet["turns"]] == ["Narrator", "Iris", "Owen", "Note"]
    assert {"index", "speaker", "text", "line"} <= set(sheet["turns"][1])
    assert sheet["turns"][1]["line"] == 3
    assert sheet["chapters"][1] == {"title": "What grows best in shade?", "turn": 1}
    assert any("'Note'" in w and "not in voices.yaml" in w for w in sheet["warnings"])
    assert any("speaks only once" in w for w in sheet["warnings"])


def test_inspect_text_lists_speakers_and_chapters(files: Path) -> None:
    result = run("inspect", str(files / "talk.txt"), "--voices", str(files / "voices.yaml"))
    assert result.exit_code == 0, result.output
    assert "gmw/en-us+f3" in result.output and "What grows best in shade?" in result.output
    assert "Warnings:" in result.output


def test_voices_json_lists_engine_voices() -> None:
    result = run("voices", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ids = {v["id"] for v in data["voices"]}
    assert "gmw/en-us" in ids and "f3" in data["variants"]
    assert all({"id", "name", "languages", "gender"} <= set(v) for v in data["voices"])


def test_doctor_names_library_and_ffmpeg() -> None:
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert "espeak-ng library" in result.output and "ffmpeg" in result.output
    assert "libespeak-ng" in result.output


def _error_case(tmp_path: Path, name: str) -> tuple[list[str], dict[str, str] | None]:
    script = tmp_path / "s.txt"
    voices = tmp_path / "v.yaml"
    out = tmp_path / "out" / "e.mp3"
    script.write_text(SCRIPT, encoding="utf-8")
    voices.write_text(VOICES, encoding="utf-8")
    env = None
    if name == "missing":
        script.unlink()
    elif name == "empty":
        script.write_bytes(b"")
    elif name == "whitespace":
        script.write_text("  \n\n\t\n")
    elif name == "binary":
        script.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    elif name == "latin-1":
        script.write_bytes("Zoë: Grüße aus Köln\n".encode("latin-1"))
    elif name == "nothing-to-say":
        script.write_text("Iris: 🌱🌱 :)\n", encoding="utf-8")
    elif name == "bad-yaml":
        voices.write_text("speakers:\n  Iris: {voice: en-us+f3\n")
    elif name == "unknown-key":
        voices.write_text("speakers:\n  Iris: {voice: en-us+f3, pich: 40}\n")
    elif name == "unknown-voice":
        voices.write_text("speakers:\n  Iris: {voice: en-us+f9}\n")
    elif name == "missing-cover":
        voices.write_text("episode: {cover: nowhere.jpg}\n")
    elif name == "unwritable":
        (tmp_path / "out").write_text("a file where a folder should be")
    elif name == "no-encoder":  # the ffmpeg encoder asked for, and PODRENDER_FFMPEG names nothing
        env = {"PODRENDER_FFMPEG": str(tmp_path / "no-ffmpeg"), "PODRENDER_ENCODER": "ffmpeg"}
    args = ["render", str(script), "--voices", str(voices), "-o", str(out), "--cache-dir", str(tmp_path / "c")]
    return args, env


ERRORS = {
    "missing": "no such file",
    "empty": "is empty",
    "whitespace": "only whitespace",
    "binary": "binary",
    "latin-1": "not UTF-8",
    "nothing-to-say": "nothing to say",
    "bad-yaml": "line 2",
    "unknown-key": "did you mean 'pitch'",
    "unknown-voice": "closest: en-us+f",
    "missing-cover": "does not exist",
    "unwritable": "cannot",
    "no-encoder": "PODRENDER_FFMPEG",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_user_mistakes_give_one_clear_line_and_exit_1(tmp_path: Path, name: str) -> None:
    from podrender.audio.encode import _lameenc
    from podrender.runtime import ffmpeg

    ffmpeg.cache_clear()
    _lameenc.cache_clear()
    args, env = _error_case(tmp_path, name)
    result = run(*args, env=env)
    ffmpeg.cache_clear()
    _lameenc.cache_clear()
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert ERRORS[name] in lines[0]
    assert "Traceback" not in result.output
    out = tmp_path / "out"
    assert not out.is_dir() or not list(out.iterdir())


def test_usage_errors_exit_2(files: Path) -> None:
    assert run("render").exit_code == 2
    assert run("render", str(files / "talk.txt"), "--chapters", "sometimes").exit_code == 2
    assert run("render", str(files / "talk.txt"), "--jobs", "0").exit_code == 2


def test_render_warns_about_fallback_voices(files: Path) -> None:
    args = ["render", str(files / "talk.txt"), "--voices", str(files / "voices.yaml"), "-o", str(files / "t.mp3"),
            "--cache-dir", str(files / "c")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Warning: speaker 'Note' is not in voices.yaml; using fallback voice" in result.stderr
    assert "Note" in result.stdout and "(fallback)" in result.stdout


def test_cache_info_and_clear(tmp_path: Path) -> None:
    result = run("cache", "info", "--cache-dir", str(tmp_path))
    assert result.exit_code == 0 and "0 chunks" in result.output
    assert run("cache", "clear", "--cache-dir", str(tmp_path)).output.startswith("Removed 0")


def test_pip_only_engine_and_encoder_render(tmp_path: Path) -> None:
    """With the bundled espeak-ng (espeakng-loader) and ffmpeg (imageio-ffmpeg) forced, a render works."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PODRENDER_BUNDLED_ESPEAK": "1", "PODRENDER_BUNDLED_FFMPEG": "1",
           "XDG_CACHE_HOME": str(tmp_path / "xdg")}  # fmt: skip
    doctor = subprocess.run([sys.executable, "-m", "podrender", "doctor"], env=env, capture_output=True, text=True)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "(espeakng-loader)" in doctor.stdout and "(imageio-ffmpeg;" in doctor.stdout
    (tmp_path / "s.txt").write_text("Iris: Hello there.\n\nOwen: Hello to you.\n", encoding="utf-8")
    out = tmp_path / "s.mp3"
    done = subprocess.run([sys.executable, "-m", "podrender", "render", str(tmp_path / "s.txt"), "-o", str(out), "-q"],
                          env=env, capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000
