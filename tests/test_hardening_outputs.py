"""Second round of hardening, outputs and the cache: podrender writes only regular files, replaces only
files it wrote (or with --force), verifies everything it reads back from its cache, and cleans up after
writers that were killed. docs/reliability.md, "Outputs and the cache (second round)", lists each case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hardening import FAKE, cli, fake_config, one_error_line, talk

from podrender.cache import Cache, Facts, sealed
from podrender.output.files import sweep_parts
from podrender.pipeline import render


def setup(tmp_path: Path, title: str = "Hardening Talk") -> tuple[Path, Path]:
    script = tmp_path / "talk.txt"
    script.write_text(talk(4).replace("Hardening Talk", title), encoding="utf-8")
    voices = tmp_path / "v.yaml"
    voices.write_text(FAKE, encoding="utf-8")
    return script, voices


def render_cli(script: Path, voices: Path, *args: str, cache: Path | None = None):
    return cli("render", str(script), "--voices", str(voices), "--cache-dir", str(cache or script.parent / "c"),
               "-q", *args)  # fmt: skip


@pytest.mark.parametrize("device", ["/dev/full", "/dev/null"])
def test_a_device_as_output_is_refused_and_left_alone(tmp_path: Path, device: str) -> None:
    script, voices = setup(tmp_path)
    before = os.stat(device)
    line = one_error_line(render_cli(script, voices, "-o", device))
    assert line == f"Error: {device}: is a device, not a regular file; podrender writes only regular files"
    after = os.stat(device)
    assert (after.st_mode, after.st_rdev, after.st_ino) == (before.st_mode, before.st_rdev, before.st_ino)
    assert not list(Path("/dev").glob(f".{Path(device).name}.*"))  # no temporary file beside it
    assert not Cache(tmp_path / "c").info().entries  # refused before any work


def test_a_fifo_as_output_stays_a_fifo(tmp_path: Path) -> None:
    script, voices = setup(tmp_path)
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    line = one_error_line(render_cli(script, voices, "-o", str(fifo)))
    assert line.endswith("pipe.mp3: is a named pipe (FIFO), not a regular file; podrender writes only regular files")
    assert fifo.is_fifo()


def test_the_manifest_does_not_replace_a_file_podrender_did_not_write(tmp_path: Path) -> None:
    """A transcript titled "Package" rendered into a folder that holds a package.json."""
    script, voices = setup(tmp_path, title="Package")
    out = tmp_path / "proj"
    out.mkdir()
    (out / "package.json").write_text('{"name": "my-app"}\n')
    line = one_error_line(render_cli(script, voices, "--output-dir", str(out)))
    assert line == (f"Error: {out / 'package.json'}: already exists and was not written by podrender; use --force to "
                    "replace it, or -o to write the episode elsewhere")  # fmt: skip
    assert (out / "package.json").read_text() == '{"name": "my-app"}\n'
    assert sorted(p.name for p in out.iterdir()) == ["package.json"]


def test_the_show_notes_do_not_replace_a_readme(tmp_path: Path) -> None:
    script, voices = setup(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "README.md").write_text("# My project\n")
    line = one_error_line(render_cli(script, voices, "-o", str(proj / "README.mp3")))
    assert "README.md: already exists and was not written by podrender" in line
    assert (proj / "README.md").read_text() == "# My project\n"
    assert sorted(p.name for p in proj.iterdir()) == ["README.md"]


def test_force_replaces_and_a_second_render_needs_no_force(tmp_path: Path) -> None:
    script, voices = setup(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "README.md").write_text("# My project\n")
    done = render_cli(script, voices, "-o", str(proj / "README.mp3"), "--force")
    assert done.returncode == 0, done.stderr
    assert (proj / "README.md").read_text().startswith("# Hardening Talk")
    again = render_cli(script, voices, "-o", str(proj / "README.mp3"))  # every file is podrender's now
    assert again.returncode == 0, again.stderr
    manifest = json.loads((proj / "README.json").read_text())
    assert set(manifest["files"].values()) == {"README.mp3", "README.md", "README.vtt", "README.srt",
                                               "README.chapters.json"}  # fmt: skip


def test_an_mp3_podrender_did_not_write_is_not_replaced(tmp_path: Path) -> None:
    script, voices = setup(tmp_path)
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3 my favourite song")
    line = one_error_line(render_cli(script, voices, "-o", str(song)))
    assert "song.mp3: already exists and was not written by podrender" in line
    assert song.read_bytes() == b"ID3 my favourite song"


def test_a_part_file_left_by_a_killed_writer_is_swept_by_the_next_write(tmp_path: Path) -> None:
    """kill -9 during the final write leaves `.ep.mp3.<pid>.<random>.part`; the next render removes it
    (its writer is dead), and leaves alone a part whose writer is alive (a render running now)."""
    script, voices = setup(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".ep.mp3.{dead.pid}.0a1b2c3d.part"
    stale.write_bytes(b"half an episode")
    alive = out / f".ep.mp3.{os.getpid()}.feedbeef.part"
    alive.write_bytes(b"being written")
    done = render_cli(script, voices, "-o", str(out / "ep.mp3"))
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and alive.exists()
    alive.unlink()
    assert sorted(p.name for p in out.iterdir()) == ["ep.chapters.json", "ep.json", "ep.md", "ep.mp3", "ep.srt",
                                                     "ep.vtt"]  # fmt: skip


def test_a_writer_killed_mid_write_leaves_a_part_that_is_swept(tmp_path: Path) -> None:
    """A real process SIGKILLed between writing its part and renaming it."""
    target = tmp_path / "ep.mp3"
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from podrender.output.files import write_atomic\n"
        "def parts():\n"
        "    yield b'x' * 1000\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"write_atomic(Path({str(target)!r}), parts())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".ep.mp3.") and left[0].endswith(".part")
    assert sweep_parts(target) == 1
    assert list(tmp_path.iterdir()) == []


def test_cache_clear_during_a_render_is_survived(tmp_path: Path) -> None:
    """`podrender cache clear` while a render's workers speak: the render makes again what was removed and
    finishes with the same episode (it used to fail blaming the output path)."""
    script, voices = setup(tmp_path)
    script.write_text(talk(30), encoding="utf-8")
    reference = render_cli(script, voices, "-o", str(tmp_path / "ref.mp3"), cache=tmp_path / "ref-cache")
    assert reference.returncode == 0, reference.stderr
    cache = tmp_path / "c"
    cmd = [sys.executable, "-m", "podrender", "render", str(script), "--voices", str(voices), "-o",
           str(tmp_path / "ep.mp3"), "--cache-dir", str(cache), "-q", "--jobs", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    cleared = 0
    while proc.poll() is None and time.monotonic() < deadline:
        if not cleared and Cache(cache).info().entries >= 3:
            cleared = Cache(cache).clear()
        time.sleep(0.005)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    if not cleared:
        pytest.skip("the render finished before the cache could be cleared")
    assert (tmp_path / "ep.mp3").read_bytes() == (tmp_path / "ref.mp3").read_bytes()


def test_a_damaged_fact_is_measured_again(tmp_path: Path) -> None:
    facts = Facts(tmp_path)
    facts.put("codec-x.json", -0.443)
    assert facts.get("codec-x.json") == -0.443
    path = tmp_path / "codec-x.json"
    path.write_bytes(path.read_bytes().replace(b"-0.443", b"-9.443"))
    assert facts.get("codec-x.json") is None  # does not verify: measured again by its user
    path.write_bytes(b"-0.443")  # an older, unsealed fact
    assert facts.get("codec-x.json") is None
    path.write_bytes(sealed(-0.5))
    assert facts.get("codec-x.json") == -0.5


def test_a_damaged_chunk_is_made_again(tmp_path: Path) -> None:
    config = fake_config()
    text = talk(4)
    first = render(text, config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    chunk = next((tmp_path / "c" / "chunks").rglob("*.mp3"))
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    second = render(text, config, output=tmp_path / "b.mp3", cache_dir=tmp_path / "c")
    assert second.misses == 1
    assert second.path.read_bytes() == first.path.read_bytes()


def test_files_of_earlier_renders_in_other_formats_stay_podrenders(tmp_path: Path) -> None:
    """MP3, then WAV, then no sidecars, then MP3 with sidecars again: each render may replace what an earlier
    one wrote for this episode (the manifest keeps them in `written_here`), without --force."""
    script, voices = setup(tmp_path)
    target = tmp_path / "out" / "ep.mp3"
    wav = str(target.with_suffix(".wav"))
    for args in (["-o", str(target)], ["-o", wav], ["-o", str(target), "--sidecars", "none"], ["-o", str(target)]):
        done = render_cli(script, voices, *args)
        assert done.returncode == 0, (args, done.stderr)
    manifest = json.loads(target.with_suffix(".json").read_text())
    assert manifest["written_here"] == ["ep.chapters.json", "ep.md", "ep.mp3", "ep.srt", "ep.vtt", "ep.wav"]
