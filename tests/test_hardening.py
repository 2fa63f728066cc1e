"""Bad input, faults and interruptions: each case either renders sensibly or fails with one clear line.

docs/reliability.md lists every case with the test here (or elsewhere) that proves it. Faults are
real: processes that hang or kill themselves, signals, a read-only and a full filesystem (mounted
in a private mount namespace with `unshare`, so nothing outlives the test), a failing ffmpeg.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import DECODE_RATE, decode, faulty
from mutagen.mp3 import MP3

from podrender.cache import Cache
from podrender.config import parse_config
from podrender.engines import get_engine
from podrender.errors import ConfigError, EngineError, ScriptError, VoiceError
from podrender.input.script import parse
from podrender.input.source import decode_script, read_script
from podrender.pipeline import prepare, render
from podrender.runner.pool import Task, run_tasks

FAKE = "engine: fake\nspeakers:\n  Ann: fake/low\n  Ben: fake/high\n  Narrator: fake/mid\n"


def fake_config():
    return parse_config(FAKE, "voices.yaml")


def talk(turns: int = 6) -> str:
    lines = ["Hardening Talk", ""]
    for i in range(turns):
        who = "Ann" if i % 2 == 0 else "Ben"
        lines += [f"{who}: Turn {i} says a few plain words about boats and tides.", ""]
    return "\n".join(lines)


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120):
    """Run `podrender ARGS` in a fresh process (runtime lookups are cached per process)."""
    return subprocess.run(
        [sys.executable, "-m", "podrender", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, cwd=cwd,
    )  # fmt: skip


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


def in_namespace(shell: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (mounts vanish with it), or skip the test."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) to mount a private filesystem")
    probe = subprocess.run([unshare, "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.decode().strip()}")
    return subprocess.run([unshare, "--mount", "sh", "-c", shell], capture_output=True, text=True, timeout=timeout)


# --- bad input: the transcript ----------------------------------------------------------------------


def test_non_utf8_script_is_refused_with_the_line_and_how_to_convert_it(tmp_path: Path) -> None:
    path = tmp_path / "talk.txt"
    path.write_bytes("Ann: hello\n\nZoë: Grüße aus Köln\n".encode("cp1252"))
    with pytest.raises(ScriptError) as info:
        read_script(path)
    assert info.value.line == 3
    assert "is not UTF-8 text (byte 0xeb)" in str(info.value)
    assert f"iconv -f cp1252 -t utf-8 {path}" in str(info.value)
    # Bytes that are not Windows-1252 either get no conversion hint.
    with pytest.raises(ScriptError) as info:
        decode_script(b"Ann: hi\n\x81\x8d\x8f\n")
    assert info.value.line == 2 and "iconv" not in str(info.value)


def test_utf16_and_utf8_with_bom_are_read() -> None:
    text = "Ann: Grüße, 你好\n"
    assert decode_script(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_script(text.encode("utf-16-le").join([b"\xff\xfe", b""])) == text
    assert decode_script(b"\xfe\xff" + text.encode("utf-16-be")) == text


def test_zero_width_characters_do_not_hide_a_label() -> None:
    text = decode_script("A\u200bnn: He\u200bllo.\n\nBen:\u2060 Hi\ufeff there.\n".encode())
    script = parse(text)
    assert [(t.speaker, t.text) for t in script.turns] == [("Ann", "Hello."), ("Ben", "Hi there.")]
    # ZWJ and ZWNJ stay in the text (emoji sequences, Persian and Indic spelling need them) and
    # are removed from what is spoken.
    prepared = prepare("Ann: Hel\u200dlo wor\u200cld.\n", fake_config())
    assert prepared.script.turns[0].text == "Hel\u200dlo wor\u200cld."
    assert prepared.plan.units[0].text == "Hello world."


def big_script(size: int) -> str:
    """A title and turns of 5-120 words by two speakers, repeated up to `size` characters."""
    words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "about", "tides", "and", "boats"]
    rng = np.random.default_rng(7)
    turns = []
    for i in range(300):
        picked = rng.integers(0, len(words), int(rng.integers(5, 120)))
        turns.append(f"{('Ann', 'Ben')[i % 2]}: " + " ".join(words[j] for j in picked) + ".\n\n")
    block = "".join(turns)
    return "Big Episode\n\n" + block * (size // len(block) + 1)


def test_ten_megabyte_script_is_read_and_parsed_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(big_script(10 * 1024 * 1024), encoding="utf-8")
    start = time.process_time()
    script = parse(read_script(path))
    took = time.process_time() - start
    assert len(script.turns) > 30_000
    assert took < 10, f"reading and parsing 10 MB took {took:.1f} s of CPU"


def test_planning_time_grows_linearly_with_the_script() -> None:
    """Normalizing and planning is linear: 8x the text takes about 8x the time, never 64x."""
    config = fake_config()
    small, large = big_script(20_000), big_script(160_000)
    prepare(small, config)  # warm up imports and the voice list

    def cpu(text: str) -> float:
        start = time.process_time()
        prepare(text, config)
        return time.process_time() - start

    t_small = min(cpu(small) for _ in range(2))
    t_large = cpu(large)
    assert t_large < 20 * t_small, (t_small, t_large)


def test_script_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    from podrender.input.source import MAX_SCRIPT_BYTES

    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(MAX_SCRIPT_BYTES + 1)  # sparse: no 20 MB is written
    with pytest.raises(ScriptError, match="transcripts up to 20 MB are accepted"):
        read_script(path)


@pytest.mark.parametrize("punctuated", [True, False], ids=["sentences", "no-punctuation"])
def test_fifty_thousand_word_turn_is_split_under_the_engine_limit(punctuated: bool) -> None:
    """The real engine's limit (pyttsx3/espeak) decides the pieces; every word is kept, in order."""
    vocabulary = ["tide", "boat", "river", "harbour", "keel", "sail", "anchor", "rope", "gull", "wave", "shore"]
    words = [vocabulary[i % 11] + ("." if punctuated and i % 23 == 22 else "") for i in range(50_000)]
    config = parse_config("speakers:\n  Ann: en-us+f3\n", "voices.yaml")
    prepared = prepare("Ann: " + " ".join(words) + "\n", config)
    limit = get_engine("pyttsx3").max_chars
    units = prepared.plan.units
    assert len(prepared.script.turns) == 1
    assert max(len(u.text) for u in units) <= limit
    assert " ".join(u.text for u in units).split() == words


def test_long_unpunctuated_turn_renders_as_one_turn(tmp_path: Path) -> None:
    text = "Ann: " + " ".join(["tide", "boat", "harbour", "keel", "a"][i % 5] for i in range(800)) + "\n"
    result = render(text, fake_config(), output=tmp_path / "l.mp3", cache_dir=tmp_path / "c", jobs=2)
    (turn,) = result.manifest["turns"]
    assert turn["units"] == len(result.prepared.plan.units) > 1
    assert abs(MP3(result.path).info.length * 1000 - result.timeline.duration_ms) < 60


UNICODE_TALK = (
    "Ann: Hello there, this is a test of odd characters.\n\n"
    "مريم: مرحبا بكم في البرنامج\n\n"  # right to left, a speaker known to voices.yaml
    "Ann: 你好，世界。今天我们谈谈潮汐和小船，还有天气。\n\n"  # CJK with an English voice: spelled out
    "Lin: 你好，世界。今天我们谈谈潮汐和小船，还有天气，明天再见。\n\n"  # and with a Mandarin voice
    "Ann: Cafe\u0301 na\u0308ive Zoe\u0308, combining marks.\n\n"
    "Ann: שלום לכולם\n\n"
    "Ben: 😀👍🏽🎉\n\n"  # emoji only: dropped with a warning
    "Ann: Zero\u200b width\u200d joiners\u200c inside.\n"
)


def test_unicode_turns_render_with_the_real_engine(tmp_path: Path) -> None:
    (tmp_path / "u.txt").write_text(UNICODE_TALK, encoding="utf-8")
    voices = "speakers:\n  Ann: en-us+f3\n  Ben: en-us+m3\n  مريم: {voice: ar}\n  Lin: {voice: cmn}\n"
    (tmp_path / "v.yaml").write_text(voices, encoding="utf-8")
    out = tmp_path / "u.mp3"
    proc = cli("render", str(tmp_path / "u.txt"), "--voices", str(tmp_path / "v.yaml"), "-o", str(out),
               "--cache-dir", str(tmp_path / "c"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Warning: line 13: nothing to say" in proc.stderr
    manifest = json.loads(out.with_suffix(".json").read_text())
    turns = manifest["turns"]
    assert [t["speaker"] for t in turns] == ["Ann", "مريم", "Ann", "Lin", "Ann", "Ann", "Ann"]
    assert turns[4]["spoken"] == "Café näive Zoë, combining marks."
    assert turns[6]["spoken"] == "Zero width joiners inside."
    audio = decode(out)
    for t in turns:  # every turn has sound where the manifest says it is
        part = audio[int(t["start_ms"] * DECODE_RATE / 1000) : int(t["end_ms"] * DECODE_RATE / 1000)]
        assert np.sqrt(np.mean(part**2)) > 0.01, t


def test_label_like_prose_current_rule() -> None:
    """The plain-text parser's rule today (docs/reliability.md): a capitalized `Word:` opens a turn and
    is flagged when it speaks once; lower-case prose with a colon continues; names in scripts without
    capitals (Arabic, Hebrew, CJK) are labels only when voices.yaml names them."""
    text = (
        "Ann: Hi.\n\nNote: bring gloves.\n\nso here is the thing: it continues.\n\nBen: Yes.\n\n"
        "يوسف: شكرا\n\n王: 我很高兴。\n\nمريم: مرحبا\n\nLi：全角冒号\n\nBen: Bye.\n"
    )
    config = parse_config(FAKE + "  مريم: fake/bright\n", "voices.yaml")
    prepared = prepare(text, config)
    said = [(t.speaker, t.text) for t in prepared.script.turns]
    assert said[1] == ("Note", "bring gloves.\n\nso here is the thing: it continues.")
    assert said[2] == ("Ben", "Yes.\n\nيوسف: شكرا\n\n王: 我很高兴。")
    assert said[3] == ("مريم", "مرحبا\n\nLi：全角冒号")
    assert any("'Note' speaks only once" in w and "prose rather than a speaker" in w for w in prepared.cast.warnings)


# --- bad input: voices.yaml ------------------------------------------------------------------------------

LAUGHS = "\n".join(
    ["fallback_voices: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"x{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)]
    + ["skip: *l9"]
)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (LAUGHS, 2, "unknown key 'x1'"),  # a billion laughs (10^10 strings if expanded)
        # an alias's error names the line where the aliased value is written
        ("fallback_voices: &a [x, x, x, x]\nskip: &b [*a, *a, *a, *a]\npronounce: {a: *b}\n", 1, "single value"),
        ("skip: &a [*a]\n", 1, "skip item must be a single value"),  # recursive
        ("speakers: &s\n  Ann: *s\n", 2, "unknown key 'Ann'"),  # recursive mapping
        ("- engine: fake\n", 1, "must be a mapping"),  # wrong type at the top
        ("just words\n", 1, "must be a mapping"),
        ("speakers: [Ann, Ben]\n", 1, "must be a mapping"),
        ("speakers:\n  Ann: {voice: [fake/low]}\n", 2, "must be a single value"),
        ("pause_ms: {a: 1}\n", 1, "must be a single value"),
        ("engine: fake\nspeakers:\n  Ann: {voice: fake/low\n", 4, "invalid YAML"),  # malformed
    ],
)
def test_hostile_yaml_fails_fast_in_little_memory_with_one_line(text: str, line: int, fragment: str) -> None:
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(ConfigError) as info:
            parse_config(text, "voices.yaml")
        took = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert info.value.line == line, message
    assert fragment in message and "\n" not in message
    assert took < 1.0 and peak < 5_000_000, (took, peak)


def test_cover_that_is_a_folder_or_not_an_image_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text(talk(2), encoding="utf-8")
    (tmp_path / "art").mkdir()
    (tmp_path / "art.png").write_text("a text file named like an image")
    for cover, said in [("art", "is a folder, not an image"), ("art.png", "is not a JPEG or PNG image")]:
        (tmp_path / "v.yaml").write_text(FAKE + f"episode:\n  cover: {cover}\n", encoding="utf-8")
        proc = cli("render", str(tmp_path / "s.txt"), "--voices", str(tmp_path / "v.yaml"),
                   "-o", str(tmp_path / "o.mp3"), "--cache-dir", str(tmp_path / "c"))  # fmt: skip
        assert said in one_error_line(proc) and "v.yaml line 7" in proc.stderr
    assert not (tmp_path / "o.mp3").exists()


def test_speaker_mapped_to_a_voice_the_engine_lacks() -> None:
    config = parse_config(FAKE + "  Cleo: fake/purple\n", "voices.yaml")
    with pytest.raises(VoiceError) as info:
        prepare("Cleo: Hello.\n", config)
    assert info.value.line == 6
    assert str(info.value).startswith("voices.yaml line 6: unknown voice 'fake/purple'")
    assert "closest:" in str(info.value) and "(speaker 'Cleo')" in str(info.value)


# --- bad output paths -------------------------------------------------------------------------------------


def test_read_only_output_folder(tmp_path: Path) -> None:
    """A read-only filesystem refuses root too: one line, nothing written, the chunks stay cached."""
    (tmp_path / "s.txt").write_text(talk(), encoding="utf-8")
    (tmp_path / "v.yaml").write_text(FAKE, encoding="utf-8")
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:  # permission bits do stop other users: no mount needed
        ro.chmod(0o555)
        try:
            proc = cli("render", str(tmp_path / "s.txt"), "--voices", str(tmp_path / "v.yaml"),
                       "-o", str(ro / "ep.mp3"), "--cache-dir", str(tmp_path / "c"))  # fmt: skip
        finally:
            ro.chmod(0o755)
        assert f"{ro}: cannot write here (Permission denied)" in one_error_line(proc)
        assert not list(ro.iterdir())
        return
    args = f"{sys.executable} -m podrender render {tmp_path}/s.txt --voices {tmp_path}/v.yaml --cache-dir {tmp_path}/c"
    proc = in_namespace(f"mount -t tmpfs -o size=1m,ro tmpfs {ro} && {args} -o {ro}/ep.mp3; echo rc=$?; ls -A {ro}")
    assert "rc=1" in proc.stdout and proc.stdout.strip().endswith("rc=1"), proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"Error: {ro}: cannot write here (Read-only file system)"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_full_disk_leaves_nothing_at_the_target_and_keeps_the_chunks(tmp_path: Path) -> None:
    """A 64 KB filesystem fills up while the episode is written: one line, no partial file."""
    (tmp_path / "s.txt").write_text(talk(10), encoding="utf-8")
    (tmp_path / "v.yaml").write_text(FAKE, encoding="utf-8")
    full = tmp_path / "full"
    full.mkdir()
    args = f"{sys.executable} -m podrender render {tmp_path}/s.txt --voices {tmp_path}/v.yaml --cache-dir {tmp_path}/c"
    proc = in_namespace(f"mount -t tmpfs -o size=64k tmpfs {full} && {args} -o {full}/ep.mp3; echo rc=$?; ls -A {full}")
    assert proc.stdout.strip() == "rc=1", proc.stdout + proc.stderr  # and `ls` printed nothing
    line = proc.stderr.strip()
    assert line.startswith(f"Error: {full}/ep.mp3: cannot write the episode (No space left on device)"), line
    assert Cache(tmp_path / "c").info().entries == 11  # the title and 10 turns: the next render makes none
    again = cli("render", str(tmp_path / "s.txt"), "--voices", str(tmp_path / "v.yaml"),
                "-o", str(tmp_path / "ep.mp3"), "--cache-dir", str(tmp_path / "c"))  # fmt: skip
    assert again.returncode == 0 and "11 of 11 chunks from the cache" in again.stdout, again.stderr


def test_full_cache_disk_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text(talk(10), encoding="utf-8")
    (tmp_path / "v.yaml").write_text(FAKE, encoding="utf-8")
    small = tmp_path / "small"
    small.mkdir()
    args = f"{sys.executable} -m podrender render {tmp_path}/s.txt --voices {tmp_path}/v.yaml -o {tmp_path}/ep.mp3"
    proc = in_namespace(f"mount -t tmpfs -o size=24k tmpfs {small} && {args} --cache-dir {small}/c --jobs 1")
    assert proc.returncode == 1, proc.stderr
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert f"cannot store a chunk in the cache {small}/c (No space left on device); free some space" in line
    assert not (tmp_path / "ep.mp3").exists()


# --- faults: workers, ffmpeg, signals, two renders -------------------------------------------------------


def _hang_or_crash_once(marker: Path, fault: str):
    def work(task: Task) -> int:
        if task.id == 1 and not marker.exists():
            marker.write_text("tried")
            if fault == "hang":
                time.sleep(3600)
            os.kill(os.getpid(), signal.SIGKILL)
        return task.id * 10

    return work


@pytest.mark.parametrize("fault", ["hang", "crash"])
def test_a_worker_that_hangs_or_dies_once_is_retried_and_the_others_finish(tmp_path: Path, fault: str) -> None:
    done: dict[int, int] = {}
    tasks = [Task(i, f"turn at line {i}", 1.0) for i in range(4)]
    start = time.monotonic()
    run_tasks(tasks, _hang_or_crash_once(tmp_path / "marker", fault), lambda t, r: done.update({t.id: r}), jobs=2)
    assert done == {0: 0, 1: 10, 2: 20, 3: 30}
    assert (tmp_path / "marker").exists()
    if fault == "hang":
        assert time.monotonic() - start >= 1.0  # it waited for the deadline, then killed and retried


def test_a_worker_that_always_hangs_is_named_after_its_retry(tmp_path: Path, monkeypatch) -> None:
    import podrender.runner.zygote as zygote_module

    monkeypatch.setattr(zygote_module, "turn_timeout", lambda unit: 1.0)
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "hang")
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", "gravel")
    text = talk().replace("Turn 3 says a few", "Turn 3 says gravel and a few")
    start = time.monotonic()
    with pytest.raises(EngineError) as info:
        render(text, faulty(fake_config()), output=tmp_path / "x.mp3", cache_dir=tmp_path / "c", jobs=2)
    assert str(info.value) == "turn at line 9 (Ben): the engine did not finish within 1 s"
    assert time.monotonic() - start >= 2.0  # two attempts of one second each
    assert not (tmp_path / "x.mp3").exists()
    assert Cache(tmp_path / "c").info().entries == 6  # the title and the other five turns were kept


def test_failing_ffmpeg_message_is_shown(tmp_path: Path) -> None:
    fake_ffmpeg = tmp_path / "ffmpeg"
    fake_ffmpeg.write_text("#!/bin/sh\necho 'Unknown encoder libmp3lame' >&2\nexit 1\n")
    fake_ffmpeg.chmod(0o755)
    (tmp_path / "s.txt").write_text(talk(2), encoding="utf-8")
    (tmp_path / "v.yaml").write_text(FAKE, encoding="utf-8")
    args = ["render", str(tmp_path / "s.txt"), "--voices", str(tmp_path / "v.yaml"), "-o", str(tmp_path / "o.mp3"),
            "--cache-dir", str(tmp_path / "c")]  # fmt: skip
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    line = one_error_line(cli(*args, env={**env, "PODRENDER_FFMPEG": str(fake_ffmpeg)}))
    assert "ffmpeg" in line and "Unknown encoder libmp3lame" in line
    line = one_error_line(cli(*args, env={**env, "PODRENDER_FFMPEG": str(tmp_path / "missing")}))
    assert "PODRENDER_FFMPEG" in line and "is not an executable file" in line
    assert not (tmp_path / "o.mp3").exists()


def _cache_is_whole(root: Path) -> int:
    """Every entry with metadata reads back whole. A worker killed mid-write may leave a temporary
    file or a chunk without metadata: an absent entry, swept later (see the next test). Returns
    the number of whole entries."""
    cache = Cache(root)
    keys = {p.stem for p in (root / "chunks").rglob("*.json") if not p.name.startswith(".")}
    for key in keys:
        assert cache.get(key) is not None, key
    return len(keys)


def test_leftovers_of_killed_writers_are_swept_when_stale(tmp_path: Path) -> None:
    from podrender.cache import STALE_SECONDS

    cache = Cache(tmp_path)
    cache.ensure()
    key = "ab" + "0" * 62
    cache.put(key, b"\xff\xfb" * 100, {"frames": 1})
    folder = cache.data_path(key).parent
    stale = [folder / f".{key}.mp3.x1y2.tmp", folder / ("ab" + "1" * 62 + ".mp3")]  # temp file, chunk alone
    fresh = folder / f".{key}.json.q9w8.tmp"  # perhaps a render writing right now
    for path in [*stale, fresh]:
        path.write_bytes(b"partial")
    old = time.time() - STALE_SECONDS - 60
    for path in stale:
        os.utime(path, (old, old))
    os.utime(cache.data_path(key), (old, old))  # an old but whole entry stays
    cache.prune()
    assert [p.exists() for p in stale] == [False, False]
    assert fresh.exists() and cache.get(key) is not None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_leaves_every_cache_entry_whole(tmp_path: Path, sig: signal.Signals) -> None:
    (tmp_path / "s.txt").write_text(talk(16), encoding="utf-8")
    (tmp_path / "v.yaml").write_text(FAKE, encoding="utf-8")
    target = tmp_path / "out" / "ep.mp3"
    cmd = [sys.executable, "-m", "podrender", "render", str(tmp_path / "s.txt"), "--voices", str(tmp_path / "v.yaml"),
           "-o", str(target), "--cache-dir", str(tmp_path / "c"), "--jobs", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while Cache(tmp_path / "c").info().entries < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the render finished before the signal arrived")
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert not target.exists()
    assert not target.parent.exists() or not list(target.parent.iterdir())
    assert _cache_is_whole(tmp_path / "c") >= 4


def test_two_renders_of_the_same_target_leave_one_whole_file(tmp_path: Path) -> None:
    """Two processes render different episodes to one path at once: the file is exactly one of them,
    and its manifest is whole."""
    target = tmp_path / "out" / "ep.mp3"
    texts = {"a": talk(8), "b": talk(8).replace("boats", "sailing boats")}
    (tmp_path / "v.yaml").write_text(FAKE, encoding="utf-8")
    refs = {}
    for name, text in texts.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        ref = cli("render", str(tmp_path / f"{name}.txt"), "--voices", str(tmp_path / "v.yaml"),
                  "-o", str(tmp_path / f"ref-{name}.mp3"), "--cache-dir", str(tmp_path / f"c-{name}"))  # fmt: skip
        assert ref.returncode == 0, ref.stderr
        refs[name] = (tmp_path / f"ref-{name}.mp3").read_bytes()
    assert refs["a"] != refs["b"]
    for _ in range(2):
        procs = [
            subprocess.Popen([sys.executable, "-m", "podrender", "render", str(tmp_path / f"{name}.txt"), "--voices",
                              str(tmp_path / "v.yaml"), "-o", str(target), "--cache-dir", str(tmp_path / f"c-{name}"),
                              "-q"], stderr=subprocess.PIPE, text=True)
            for name in texts
        ]  # fmt: skip
        for p in procs:
            assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
        winner = next(name for name, ref in refs.items() if ref == target.read_bytes())
        manifest = json.loads(target.with_suffix(".json").read_text())
        said = " ".join(t["spoken"] for t in manifest["turns"])
        assert ("sailing" in said) == (winner == "b"), "the manifest is the other render's"
        assert sorted(p.name for p in target.parent.iterdir()) == [
            "ep.chapters.json", "ep.json", "ep.md", "ep.mp3", "ep.srt", "ep.vtt"
        ]  # fmt: skip
        chapters = json.loads(target.with_name("ep.chapters.json").read_text())["chapters"]
        assert [round(c["startTime"] * 1000) for c in chapters] == [c["start_ms"] for c in manifest["chapters"]]
        vtt = target.with_name("ep.vtt").read_text()
        assert ("sailing" in vtt) == (winner == "b"), "the sidecars are the same render's"


# --- podrender doctor ---------------------------------------------------------------------------------------


def test_doctor_says_what_is_wrong_and_how_to_fix_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad_ffmpeg = tmp_path / "ffmpeg"
    bad_ffmpeg.write_text("#!/bin/sh\necho 'ffmpeg: cannot open libmp3lame.so.0' >&2\nexit 1\n")
    bad_ffmpeg.chmod(0o755)
    env = {"PODRENDER_ESPEAK_LIBRARY": "/nonexistent/libespeak-ng.so.1", "PODRENDER_FFMPEG": str(bad_ffmpeg),
           "XDG_CACHE_HOME": str(tmp_path / "xdg")}  # fmt: skip
    proc = cli("doctor", "--cache-dir", str(blocker / "cache"), "--output-dir", str(blocker / "out"), env=env)
    assert proc.returncode == 1, proc.stdout
    out = proc.stdout
    bad = {line.split()[1] for line in out.splitlines() if line.startswith("BAD")}
    assert {"espeak-ng", "voices", "ffmpeg", "cache", "output"} <= bad, out
    assert "/nonexistent/libespeak-ng.so.1 does not exist" in out
    assert "fix: unset PODRENDER_ESPEAK_LIBRARY, or point it at a libespeak-ng.so.1" in out
    assert "ffmpeg: cannot open libmp3lame.so.0" in out and "fix: unset PODRENDER_FFMPEG" in out
    assert "ok  MP3 encoder        lameenc: encodes 44100 Hz" in out  # in process: no ffmpeg needed
    assert f"{blocker} is a file, not a folder" in out and "fix: use --cache-dir DIR" in out
    assert out.count("fix:") == out.count("\nBAD") + out.startswith("BAD")
    assert proc.stderr.strip().startswith("Error: ") and "problem(s) found" in proc.stderr


@pytest.mark.parametrize("given", [True, False], ids=["--voices", "./voices.yaml"])
def test_doctor_checks_the_voices_in_voices_yaml(tmp_path: Path, given: bool) -> None:
    (tmp_path / "voices.yaml").write_text("speakers:\n  Ann: en-us+f3\n  Ben: en-us+f99\n", encoding="utf-8")
    voices = ["--voices", str(tmp_path / "voices.yaml")] if given else []  # else the one in the folder, as render
    proc = cli("doctor", *voices, "--cache-dir", str(tmp_path / "c"), "--output-dir", str(tmp_path / "o"),
               env={"XDG_CACHE_HOME": str(tmp_path / "xdg")}, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1
    bad = [line for line in proc.stdout.splitlines() if line.startswith("BAD")]
    assert len(bad) == 1 and "speaker voices" in bad[0] and "unknown voice 'en-us+f99'" in bad[0], proc.stdout
    assert "fix: choose a voice from `podrender voices`" in proc.stdout
    assert "ok  MP3 encoder" in proc.stdout and "ok  cache" in proc.stdout and "ok  output" in proc.stdout


def test_doctor_sees_a_read_only_output_folder(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    proc = in_namespace(
        f"mount -t tmpfs -o size=1m,ro tmpfs {ro} && XDG_CACHE_HOME={tmp_path}/xdg "
        f"{sys.executable} -m podrender doctor --output-dir {ro}/episodes --cache-dir {tmp_path}/c"
    )
    assert proc.returncode == 1, proc.stdout
    assert f"BAD output             {ro}/episodes: cannot write in {ro} (Read-only file system)" in proc.stdout
