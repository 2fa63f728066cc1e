"""The zygote: loads the synthesis side early, makes an order in forked workers, and never outlives
its parent or leaves a worker behind."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podrender.config import parse_config
from podrender.errors import CacheError, EngineError, PodrenderError
from podrender.pipeline import prepare
from podrender.runner.zygote import Order, Zygote, _rebuild, missing_tasks

VOICES = "engine: fake\nspeakers:\n  Ann: fake/low\n  Ben: fake/high\n"
SCRIPT = "Ann: Hello there, this is the first turn.\n\nBen: And this is the second one, a little longer.\n"


def _order(tmp_path: Path, text: str = SCRIPT, engine: str = "fake") -> Order:
    plan = prepare(text, parse_config(VOICES.replace("engine: fake", f"engine: {engine}"), "voices.yaml")).plan
    (tmp_path / "scratch").mkdir(exist_ok=True)
    return Order(
        tasks=missing_tasks(plan.units), units={u.index: u for u in plan.units}, audio=plan.audio,
        cache_root=tmp_path / "cache", scratch=tmp_path / "scratch", jobs=2,
    )  # fmt: skip


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _until(done: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _hung_order(zygote: Zygote, tmp_path: Path) -> tuple[threading.Thread, list[BaseException], list[int]]:
    """Send an order whose every unit hangs (PODRENDER_FAKE_FAULT=hang) from a thread; once the zygote
    runs its two workers: the thread, what `make` raised (when it returns) and the workers' pids."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            zygote.make(_order(tmp_path, engine="faulty"), lambda index, meta: None)
        except BaseException as exc:  # noqa: BLE001 - the zygote goes away under it
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    _until(lambda: len(_children(zygote.pid)) >= 2, 20, "the zygote never started its two workers")
    return thread, failure, _children(zygote.pid)


def test_an_unused_zygote_is_stopped_at_once() -> None:
    zygote = Zygote.start()
    pid = zygote.pid
    started = time.monotonic()
    zygote.close()
    assert time.monotonic() - started < 2
    assert not _alive(pid)


def test_an_order_is_made_and_each_chunk_reported(tmp_path: Path) -> None:
    order = _order(tmp_path)
    reported: dict[int, dict[str, object]] = {}
    meanwhile: list[int] = []
    zygote = Zygote.start()
    try:
        zygote.make(order, lambda index, meta: reported.update({index: meta}), lambda: meanwhile.append(1))
    finally:
        zygote.close()
    assert meanwhile == [1]
    assert sorted(reported) == sorted(order.units)
    for index, meta in reported.items():
        chunk = tmp_path / "cache" / "chunks" / order.units[index].key[:2] / f"{order.units[index].key}.mp3"
        assert chunk.stat().st_size == meta["size"] and int(str(meta["frames"])) > 0


def test_a_failing_order_raises_the_error_naming_the_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "silence")  # inherited by the zygote and its workers
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", "second")
    zygote = Zygote.start()
    try:
        with pytest.raises(EngineError, match=r"turn at line 3 \(Ben\).*silence"):
            zygote.make(_order(tmp_path, engine="faulty"), lambda index, meta: None)
    finally:
        zygote.close()


def test_errors_cross_as_the_projects_own_classes() -> None:
    err = _rebuild("CacheError", "cannot store a chunk", "/c", 3)
    assert isinstance(err, CacheError) and str(err) == "/c line 3: cannot store a chunk"
    for name in ("KeyError", "SystemExit", "NoSuchThing"):  # never anything but a PodrenderError
        assert type(_rebuild(name, "x", None, None)) is EngineError
    assert issubclass(EngineError, PodrenderError)


def test_closing_a_working_zygote_kills_its_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "hang")
    zygote = Zygote.start()
    thread, failure, workers = _hung_order(zygote, tmp_path)
    zygote.close()
    assert not _alive(zygote.pid)
    _until(lambda: not any(_alive(w) for w in workers), 10, "a worker outlived its zygote")
    thread.join(timeout=10)
    assert failure and isinstance(failure[0], (EngineError, OSError, EOFError))


def test_a_zygote_whose_parent_dies_goes_too(tmp_path: Path) -> None:
    record = tmp_path / "zygote.pid"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a parent that starts a zygote and dies without closing it
        try:
            zygote = Zygote.start()
            record.write_text(str(zygote.pid))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    orphan = int(record.read_text())
    _until(lambda: not _alive(orphan), 20, "the zygote outlived its parent")


def test_workers_of_a_killed_zygote_die_with_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "hang")
    zygote = Zygote.start()
    thread, failure, workers = _hung_order(zygote, tmp_path)
    os.kill(zygote.pid, signal.SIGKILL)  # no clean-up of its own: the kernel must stop its hung workers
    _until(lambda: not any(_alive(w) for w in workers), 10, "a hung worker outlived its killed zygote")
    thread.join(timeout=10)
    zygote.close()
    assert failure and isinstance(failure[0], EngineError), failure


def test_no_process_to_spare_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from click.testing import CliRunner

    from podrender.cli.main import cli

    def fork() -> int:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    (tmp_path / "voices.yaml").write_text(VOICES)
    (tmp_path / "talk.txt").write_text(SCRIPT)
    monkeypatch.setattr(os, "fork", fork)
    result = CliRunner().invoke(cli, [
        "render", str(tmp_path / "talk.txt"), "--voices", str(tmp_path / "voices.yaml"),
        "--cache-dir", str(tmp_path / "c"), "-o", str(tmp_path / "out.mp3"), "-q",
    ])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "Error: cannot start the worker processes (Resource temporarily unavailable)"
    assert not (tmp_path / "out.mp3").exists()


def _in_fork(fn: Callable[[], str]) -> str:
    """`fn()` in a forked child (which may fork again itself); its string result."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(writer, fn().encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        out = pipe.read().decode()
    os.waitpid(pid, 0)
    return out


def test_workers_of_a_started_espeak_speak_as_fresh_ones() -> None:
    """The zygote starts espeak (start_for_workers) before forking: the audio must not change."""
    import hashlib

    from podrender.engines import VoiceSettings, get_engine

    engine = get_engine("pyttsx3")
    engine.preload()
    said = [
        ("gmw/en-us+f3", "The tide comes in twice a day, 42 minutes later each time."),
        ("roa/fr", "La marée monte deux fois par jour."),
        ("gmw/en-gb-x-rp+m3", "Quite so; the moon does most of the work."),
    ]

    def speak(voice: str, text: str) -> Callable[[], str]:
        def run() -> str:
            pcm = engine.synthesize(text, VoiceSettings("pyttsx3", voice, rate=160, pitch=40), Path("."))
            return hashlib.sha256(pcm.samples).hexdigest()

        return run

    fresh = [_in_fork(speak(v, t)) for v, t in said]

    def started() -> str:
        engine.start_for_workers()
        return ",".join(_in_fork(speak(v, t)) for v, t in said)

    assert _in_fork(started).split(",") == fresh
    assert len(set(fresh)) == 3 and all(len(h) == 64 for h in fresh)


def _marked(marker: str) -> list[int]:
    """Live processes whose environment holds `marker` (a command's whole tree, orphans included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["render", "{script}", "--voices", "{voices}", "-o", "{out}", "--cache-dir", "{cache}", "-q"], 0),
        (["render", "--help"], 0),
        (["render"], 2),  # a usage error: the early zygote is never taken
        (["render", "{missing}", "--voices", "{voices}"], 1),
    ],
)
def test_the_console_command_forks_the_zygote_first_and_leaves_nothing(
    tmp_path: Path, args: list[str], status: int
) -> None:
    """`podrender render` (podrender.runner.launch) forks the zygote before loading the CLI; whatever happens
    next, no process of the command outlives it."""
    import subprocess
    import sys
    import uuid

    (tmp_path / "s.txt").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "voices.yaml").write_text(VOICES, encoding="utf-8")
    paths = {"script": tmp_path / "s.txt", "voices": tmp_path / "voices.yaml", "out": tmp_path / "e.mp3",
             "cache": tmp_path / "c", "missing": tmp_path / "nope.txt"}  # fmt: skip
    marker = f"PODRENDER_TEST_MARK={uuid.uuid4().hex}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    argv = [a.format(**paths) for a in args]
    done = subprocess.run([sys.executable, "-m", "podrender", *argv], env=env, capture_output=True, text=True)
    assert done.returncode == status, done.stderr
    if status == 0 and "--help" not in argv:
        assert paths["out"].stat().st_size > 0
    _until(lambda: not _marked(marker), 5, "a process of the command outlived it")


def test_sigterm_inside_a_finalizer_leaves_quietly() -> None:
    """A SIGTERM handled while a finalizer runs (a pipe's __del__) raised SystemExit there, where Python can
    only print 'Exception ignored in ...' and a traceback (seen on a CI run's terminal) and carry on. The
    zygote sends itself the signal again and leaves, quietly, with status 143."""
    code = (
        "import gc, os, signal, sys, time\n"
        "from podrender.runner.zygote import _leave, _leave_again\n"
        "signal.signal(signal.SIGTERM, _leave)\n"
        "sys.unraisablehook = _leave_again\n"
        "class Pipe:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(0.2)\n"
        "try:\n"
        "    Pipe()\n"
        "    time.sleep(5)\n"
        "    print('still here')\n"
        "except SystemExit as exc:\n"
        "    sys.exit(exc.code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 143, proc.stderr
    assert proc.stderr == "" and "still here" not in proc.stdout
