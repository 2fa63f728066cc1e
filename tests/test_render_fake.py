"""The whole render path with the fast fake engine: timeline, cache, resume, determinism, faults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import DECODE_RATE, decode, faulty
from mutagen.id3 import ID3

from podrender.cache import Cache
from podrender.config import parse_config
from podrender.errors import EngineError, OutputError, ScriptError
from podrender.pipeline import render

VOICES = """\
engine: fake
narrator: Narrator
host: Host
pause_ms: 300
chapter_pause_ms: 900
speakers:
  Narrator: fake/mid
  Host: {voice: fake/high}
  Guest: {voice: fake/low, aliases: [Dr. Guest]}
"""


def script(turns: int = 12) -> str:
    lines = ["Testing the Timeline", "", "Some opening words read by the narrator before anyone speaks."]
    for i in range(turns):
        if i % 3 == 0:
            lines += ["", f"Host: Question number {i}, what happens when we ask something new?"]
        else:
            who = "Guest" if i % 2 else "Dr. Guest"
            lines += ["", f"{who}: Answer {i} has a few words in it, " + "and some more words " * (i % 4 + 1)]
    lines += ["", "Closing words from the narrator."]
    return "\n".join(lines) + "\n"


@pytest.fixture
def config():
    return parse_config(VOICES, "voices.yaml")


def test_chapter_times_match_decoded_audio_within_30ms(tmp_path: Path, config) -> None:
    result = render(script(), config, output=tmp_path / "t.mp3", cache_dir=tmp_path / "c", jobs=2)
    audio = decode(result.path)
    assert abs(len(audio) * 1000 / DECODE_RATE - result.timeline.duration_ms) <= 30
    step = int(0.002 * DECODE_RATE)
    env = np.sqrt(np.convolve(audio**2, np.ones(step) / step, mode="same"))
    chapters = result.manifest["chapters"]
    titles = [c["title"] for c in chapters]
    assert titles[:3] == [
        "Introduction",
        "Question number 0, what happens when we ask something new?",
        "Question number 3, what happens when we ask something new?",
    ]
    assert len(chapters) == 1 + 4 + 1  # introduction, questions 0/3/6/9, closing
    for chapter in chapters[1:]:
        start = int(chapter["start_ms"] * DECODE_RATE / 1000)
        onset = start + int(np.argmax(env[start:] > 0.002))
        # the codec delay (about 25 ms) is the only gap between a chunk's start and its sound
        assert 0 <= (onset - start) * 1000 / DECODE_RATE <= 30, chapter


def test_cache_hits_misses_and_corruption(tmp_path: Path, config) -> None:
    cache_dir = tmp_path / "c"
    first = render(script(), config, output=tmp_path / "a.mp3", cache_dir=cache_dir)
    assert first.hits == 0 and first.misses > 0
    second = render(script(), config, output=tmp_path / "b.mp3", cache_dir=cache_dir)
    assert second.misses == 0
    assert (tmp_path / "a.mp3").read_bytes() == (tmp_path / "b.mp3").read_bytes()
    # Damage one entry: it is regenerated, never used, and the result is the same.
    victim = first.prepared.plan.units[3].key
    data = Cache(cache_dir).data_path(victim)
    data.write_bytes(data.read_bytes()[:-100])
    third = render(script(), config, output=tmp_path / "c.mp3", cache_dir=cache_dir)
    assert third.misses == 1
    assert (tmp_path / "c.mp3").read_bytes() == (tmp_path / "a.mp3").read_bytes()


def test_one_word_edit_remakes_one_chunk(tmp_path: Path, config) -> None:
    cache_dir = tmp_path / "c"
    text = script()
    render(text, config, output=tmp_path / "a.mp3", cache_dir=cache_dir)
    edited = text.replace("Answer 4 has", "Answer 4 had")
    result = render(edited, config, output=tmp_path / "b.mp3", cache_dir=cache_dir)
    assert result.misses == 1
    changed = [t for t in result.manifest["turns"] if t["cache"] == "miss"]
    assert len(changed) == 1 and "had" in changed[0]["spoken"]


def test_no_cache_leaves_nothing_behind_and_is_identical(tmp_path: Path, config) -> None:
    a = render(script(), config, output=tmp_path / "a.mp3", use_cache=False, cache_dir=tmp_path / "unused")
    b = render(script(), config, output=tmp_path / "b.mp3", cache_dir=tmp_path / "c")
    assert not (tmp_path / "unused").exists()
    assert a.path.read_bytes() == b.path.read_bytes()


def test_long_turn_is_split_but_stays_one_turn(tmp_path: Path, config) -> None:
    long_answer = " ".join(f"Sentence number {i} is here." for i in range(200))
    text = f"Host: Tell me everything?\n\nGuest: {long_answer}\n"
    result = render(text, config, output=tmp_path / "l.mp3", cache_dir=tmp_path / "c")
    units = [u for u in result.prepared.plan.units if u.speaker == "Guest"]
    assert len(units) >= 3
    assert all(len(u.text) <= 1500 for u in units)
    turns = [t for t in result.manifest["turns"] if t["speaker"] == "Guest"]
    assert len(turns) == 1 and turns[0]["units"] == len(units)


def test_worker_crash_fails_with_the_turn_then_resumes_identically(tmp_path: Path, config, monkeypatch) -> None:
    cache_dir = tmp_path / "c"
    reference = render(script(), config, output=tmp_path / "ref.mp3", cache_dir=tmp_path / "ref-cache")
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "crash")
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", "Answer seven")  # the spoken form of "Answer 7"
    target = tmp_path / "out.mp3"
    with pytest.raises(EngineError, match=r"turn at line \d+ \(Guest\): the worker process died"):
        render(script(), faulty(config), output=target, cache_dir=cache_dir)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.mp3")]
    made = Cache(cache_dir).info().entries
    assert made >= 1
    monkeypatch.delenv("PODRENDER_FAKE_FAULT")
    resumed = render(script(), faulty(config), output=target, cache_dir=cache_dir)
    assert resumed.hits == made
    assert target.read_bytes() == reference.path.read_bytes()


@pytest.mark.parametrize("fault", ["silence", "empty"])
def test_engine_silence_or_empty_output_is_detected(tmp_path: Path, config, monkeypatch, fault: str) -> None:
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", fault)
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", "Answer two")
    with pytest.raises(EngineError, match="silence|empty"):
        render(script(), faulty(config), output=tmp_path / "x.mp3", cache_dir=tmp_path / "c")
    assert not (tmp_path / "x.mp3").exists()


def test_hung_worker_is_killed_at_the_timeout(tmp_path: Path, config, monkeypatch) -> None:
    import tempfile

    import podrender.runner.zygote as zygote_module

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(zygote_module, "turn_timeout", lambda unit: 1.0)
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "hang")
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", "Answer five")
    with pytest.raises(EngineError, match=r"did not finish within 1 s"):
        render(script(), faulty(config), output=tmp_path / "x.mp3", cache_dir=tmp_path / "c")
    assert list(scratch.iterdir()) == []  # the killed workers' scratch folders are gone too


def test_manifest_and_tag_agree(tmp_path: Path, config) -> None:
    result = render(script(), config, output=tmp_path / "m.mp3", cache_dir=tmp_path / "c")
    manifest = json.loads((tmp_path / "m.json").read_text())
    chapters = sorted(ID3(result.path).getall("CHAP"), key=lambda c: c.start_time)
    assert [c.start_time for c in chapters] == [c["start_ms"] for c in manifest["chapters"]]
    assert manifest["speakers"][2]["name"] == "Guest"
    guest_turns = [t for t in manifest["turns"] if t["speaker"] == "Guest"]
    assert all(t["voice"] == "fake/low" for t in guest_turns)


def test_nothing_to_say_and_bad_targets(tmp_path: Path, config) -> None:
    with pytest.raises(ScriptError):
        render("🎉 🎉\n\nHost: :)\n", config, output=tmp_path / "x.mp3", cache_dir=tmp_path / "c")
    with pytest.raises(OutputError, match="directory"):
        render(script(2), config, output=tmp_path, cache_dir=tmp_path / "c")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        render(script(2), config, output=blocker / "x.mp3", cache_dir=tmp_path / "c")
    with pytest.raises(OutputError, match=r"\.mp3"):
        render(script(2), config, output=tmp_path / "x.ogg", cache_dir=tmp_path / "c")  # .wav is a format now
    assert os.listdir(tmp_path) == ["file.txt", "c"] or set(os.listdir(tmp_path)) == {"file.txt", "c"}


@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_signal_mid_render_leaves_no_file_and_the_next_render_resumes(tmp_path: Path, sig: str, code: int) -> None:
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "s.txt").write_text(script(), encoding="utf-8")
    (tmp_path / "v.yaml").write_text(VOICES.replace("engine: fake", "engine: faulty"), encoding="utf-8")
    target = tmp_path / "out" / "ep.mp3"
    cache_dir = tmp_path / "c"
    cmd = [sys.executable, "-m", "podrender", "render", str(tmp_path / "s.txt"), "--voices", str(tmp_path / "v.yaml"),
           "-o", str(target), "--cache-dir", str(cache_dir), "--jobs", "2"]  # fmt: skip
    env = {**os.environ, "PODRENDER_FAKE_FAULT": "hang", "PODRENDER_FAKE_FAULT_WORD": "Answer ten"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while Cache(cache_dir).info().entries < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Cache(cache_dir).info().entries >= 3
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert not target.exists() and not list(target.parent.glob(".*.part"))
    made = Cache(cache_dir).info().entries
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(target.with_suffix(".json").read_text())
    assert sum(t["cache"] != "miss" for t in manifest["turns"]) >= made - 1
    reference = tmp_path / "ref.mp3"
    cmd_ref = [*cmd[: cmd.index("-o")], "-o", str(reference), "--no-cache"]
    assert subprocess.run(cmd_ref, capture_output=True, timeout=120).returncode == 0
    assert target.read_bytes() == reference.read_bytes()


@pytest.mark.parametrize(
    ("rate", "channels", "bitrate", "samples_per_frame"),
    [(48000, 2, 96, 1152), (22050, 1, 32, 576), (44100, 1, 128, 1152)],
)
def test_audio_settings_reach_the_file(
    tmp_path: Path, config, rate: int, channels: int, bitrate: int, samples_per_frame: int
) -> None:
    from dataclasses import replace

    from mutagen.mp3 import MP3

    audio = replace(config.audio, sample_rate=rate, channels=channels, bitrate=bitrate)
    result = render(script(3), config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c", audio=audio)
    info = MP3(result.path).info
    assert (info.sample_rate, info.channels, info.bitrate // 1000) == (rate, channels, bitrate)
    frames = sum(Cache(tmp_path / "c").get(u.key)["frames"] for u in result.prepared.plan.units)
    joined = round(frames * samples_per_frame * 1000 / rate)
    if channels == 1:  # the chunks joined byte for byte
        assert result.timeline.duration_ms == joined
    else:  # stereo seats the speakers: the chunks are mixed and encoded again (docs/music.md), a frame or two longer
        assert 0 <= result.timeline.duration_ms - joined <= 2 * samples_per_frame * 1000 / rate
    assert abs(info.length * 1000 - result.timeline.duration_ms) < 60


def test_cover_and_metadata_are_written(tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    (tmp_path / "cover.png").write_bytes(png)
    voices = VOICES + "episode: {title: My Show, artist: Me, album: Shows, year: 2026, cover: cover.png}\n"
    config = parse_config(voices, str(tmp_path / "voices.yaml"), tmp_path)
    result = render(script(2), config, output_dir=tmp_path / "out", cache_dir=tmp_path / "c")
    assert result.path == tmp_path / "out" / "my-show.mp3"
    tag = ID3(result.path)
    assert str(tag["TIT2"]) == "My Show" and str(tag["TPE1"]) == "Me" and str(tag["TALB"]) == "Shows"
    assert str(tag["TDRC"]) == "2026"
    (apic,) = tag.getall("APIC")
    assert apic.mime == "image/png" and apic.data == png


def test_every_output_file_is_readable_by_others(tmp_path: Path, config) -> None:
    """The manifest and sidecars get the episode's mode, not mkstemp's 0600."""
    render(script(), config, output=tmp_path / "out" / "a.mp3", cache_dir=tmp_path / "c")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "a.json" in names and "a.mp3" in names
    for name in names:
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == 0o644, name


def test_a_render_started_without_the_collector_turns_it_back_on(tmp_path: Path, config) -> None:
    """podrender.runner.launch turns the cyclic collector off for start-up; render() turns it on after planning,
    with what start-up made frozen out of its reach. The episode is the same either way."""
    import gc

    with_collector = render(script(4), config, output=tmp_path / "a.mp3", cache_dir=tmp_path / "c1")
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        without = render(script(4), config, output=tmp_path / "b.mp3", cache_dir=tmp_path / "c2")
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.enable()
        gc.unfreeze()
    assert without.path.read_bytes() == with_collector.path.read_bytes()
