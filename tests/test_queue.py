"""Rendering on many machines: `podrender worker`s on a real Redis (Debian's redis-server, on a free port),
real worker and render subprocesses, the real espeak engine (and the tests' `faulty` engine, the fake
engine with faults on request, where a unit must hang)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("rq", reason="the queue extra (rq, redis) is not installed")
if shutil.which("redis-server") is None:
    pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)", allow_module_level=True)

from click.testing import CliRunner  # noqa: E402
from mutagen.id3 import ID3  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue, Worker  # noqa: E402
from rq.registry import StartedJobRegistry  # noqa: E402

from podrender.cli.main import cli  # noqa: E402
from podrender.runner.queue import QUEUE_NAME  # noqa: E402

SCRIPT = """\
Harbour Lights

Ines: Welcome back. Today we talk about lighthouses with Paul.

Paul: Thank you. I have kept one for twenty years.

Ines: What does a keeper do all night?

Paul: Mostly he watches the weather and writes it down.

Ines: Thanks for coming, Paul.
"""

VOICES = """\
speakers:
  Ines: {voice: en-us+f3}
  Paul: {voice: en-us+m3}
"""

FAULTY_VOICES = """\
engine: faulty
speakers:
  Ines: fake/high
  Paul: fake/low
"""
HANG = "lighthouses"  # the unit with this word hangs in a worker started with PODRENDER_FAKE_FAULT=hang


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(done: Callable[[], bool], seconds: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what if isinstance(what, str) else what()}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free port, without persistence: its base URL."""
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    conn = Redis(port=port)

    def up() -> bool:
        try:
            return bool(conn.ping())
        except Exception:  # noqa: BLE001
            return False

    try:
        _until(up, 10, "redis-server to start")
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


_DBS = iter(range(1, 16))


@pytest.fixture
def url(redis_server: str) -> str:
    """A Redis database of this test's own (so no test sees another's queue)."""
    return f"{redis_server}/{next(_DBS)}"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "talk.txt").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "voices.yaml").write_text(VOICES, encoding="utf-8")
    (tmp_path / "faulty.yaml").write_text(FAULTY_VOICES, encoding="utf-8")
    return tmp_path


class Workers:
    """`podrender worker` subprocesses, stopped after the test."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, env: dict[str, str] | None = None, python: list[str] | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - the worker writes it until stopped
        command = python or [sys.executable, "-m", "podrender"]
        proc = subprocess.Popen(
            [*command, "worker", "--queue", self.url, "--cache-dir", str(self.folder / f"cache-{name}"),
             "--lease", "3", "--name", name],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )  # fmt: skip
        self.procs.append(proc)
        conn = Redis.from_url(self.url)
        _until(lambda: name in {w.name for w in Worker.all(connection=conn)} or proc.poll() is not None, 20,
               f"worker {name} to register")  # fmt: skip
        assert proc.poll() is None, self.log(name)
        return proc

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


@pytest.fixture
def workers(url: str, tmp_path: Path) -> Iterator[Workers]:
    made = Workers(url, tmp_path)
    yield made
    made.stop()


def podrender(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podrender", *args], capture_output=True, text=True, timeout=60,
                          **kwargs)  # fmt: skip


def render_args(files: Path, name: str, voices: str = "voices.yaml") -> list[str]:
    return ["render", str(files / "talk.txt"), "--voices", str(files / voices), "-o", str(files / "out" / name),
            "--cache-dir", str(files / f"cache-{name}")]  # fmt: skip


def leftovers(url: str) -> list[bytes]:
    """What a render leaves in Redis that it should not: jobs of renders, answers, queued units."""
    conn = Redis.from_url(url)
    keys = [k for k in conn.keys("*") if b":job:podrender-" in k or k.startswith(b"podrender:")]
    return keys + [b"queued"] * Queue(QUEUE_NAME, connection=conn).count


def test_two_workers_render_byte_for_byte_what_the_local_pool_renders(
    url: str, files: Path, workers: Workers
) -> None:
    workers.start("w1")
    workers.start("w2")
    remote = podrender(*render_args(files, "remote.mp3"), "--queue", url)
    assert remote.returncode == 0, remote.stderr
    made = re.search(r"0 of (\d+) chunks from the cache", remote.stdout)
    assert made is not None, remote.stdout
    local = podrender(*render_args(files, "local.mp3"))
    assert local.returncode == 0, local.stderr
    episode = (files / "out" / "remote.mp3").read_bytes()
    assert episode == (files / "out" / "local.mp3").read_bytes()
    assert len(ID3(files / "out" / "remote.mp3").getall("CHAP")) >= 2
    for name in ("w1", "w2"):  # both took units
        assert "Job OK" in workers.log(name), workers.log(name)
    _until(lambda: leftovers(url) == [], 10, lambda: f"the render's jobs to go: {leftovers(url)}")
    # Again: every chunk is in the render's own cache now, so nothing is enqueued.
    again = podrender(*render_args(files, "remote.mp3"), "--queue", url, "--force")
    assert again.returncode == 0, again.stderr
    assert f"{made[1]} of {made[1]} chunks from the cache" in again.stdout


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_worker_killed_mid_unit_has_its_unit_made_by_another(url: str, files: Path, workers: Workers) -> None:
    hanging = workers.start("hangs", env={"PODRENDER_FAKE_FAULT": "hang", "PODRENDER_FAKE_FAULT_WORD": HANG})
    render = subprocess.Popen([sys.executable, "-m", "podrender", *render_args(files, "survived.mp3", "faulty.yaml"),
                               "--queue", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    conn = Redis.from_url(url)
    queue = Queue(QUEUE_NAME, connection=conn)
    started = StartedJobRegistry(queue=queue)
    # The worker takes the unit (longest first) and hangs on it, its horse speaking for ever.
    _until(lambda: len(started.get_job_ids(cleanup=False)) == 1 and bool(_children(hanging.pid)), 30,
           "the worker to hang on one unit")  # fmt: skip
    horses = _children(hanging.pid)
    hanging.send_signal(signal.SIGKILL)
    hanging.wait(10)
    _until(lambda: not any(_alive(p) for p in horses), 10, "the killed worker's horse to die with it")
    workers.start("rescuer")
    try:
        out, err = render.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        render.kill()
        raise AssertionError("the render did not finish:\n" + workers.log("rescuer")) from None
    assert render.returncode == 0, err
    assert "Job OK" in workers.log("rescuer")
    local = podrender(*render_args(files, "local.mp3", "faulty.yaml"))
    assert local.returncode == 0, local.stderr
    assert (files / "out" / "survived.mp3").read_bytes() == (files / "out" / "local.mp3").read_bytes()
    _until(lambda: leftovers(url) == [], 10, lambda: f"the render's jobs to go: {leftovers(url)}")


def test_ctrl_c_takes_the_renders_units_off_the_queue(url: str, files: Path, workers: Workers) -> None:
    hanging = workers.start("hangs", env={"PODRENDER_FAKE_FAULT": "hang"})  # takes one unit, never finishes it
    render = subprocess.Popen([sys.executable, "-m", "podrender", *render_args(files, "stopped.mp3", "faulty.yaml"),
                               "--queue", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    conn = Redis.from_url(url)
    queue = Queue(QUEUE_NAME, connection=conn)
    started = StartedJobRegistry(queue=queue)
    _until(lambda: queue.count >= 2 and len(started.get_job_ids(cleanup=False)) == 1, 30, "queued and running units")
    render.send_signal(signal.SIGINT)
    out, err = render.communicate(timeout=20)
    assert render.returncode == 130, err
    assert "Interrupted" in err and "Traceback" not in err
    assert not (files / "out" / "stopped.mp3").exists()
    assert queue.count == 0
    # The running unit is stopped too (RQ's stop-job command): its horse is killed, the worker lives on.
    _until(lambda: not _children(hanging.pid), 10, lambda: "the running unit to be stopped" + workers.log("hangs"))
    _until(lambda: leftovers(url) == [], 10, lambda: f"the render's jobs to go: {leftovers(url)}")
    assert hanging.poll() is None


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_a_worker_of_another_podrender_version_refuses_the_unit(url: str, files: Path, workers: Workers) -> None:
    patched = "import podrender; podrender.__version__ = '0.0.1'; from podrender.cli.main import main; main()"
    other = [sys.executable, "-c", patched]
    workers.start("old", python=other)
    result = podrender(*render_args(files, "refused.mp3", "faulty.yaml"), "--queue", url)
    line = _one_error_line(result)
    assert "worker old refused the turn at line" in line
    assert "podrender 0.0.1" in line and "0.1.0" in line
    assert not (files / "out" / "refused.mp3").exists()
    _until(lambda: leftovers(url) == [], 10, lambda: f"the render's jobs to go: {leftovers(url)}")


def test_a_worker_without_the_engine_fails_the_render_naming_it(url: str, files: Path, workers: Workers) -> None:
    # This worker cannot find the tests' engine: tests/plugins is not on its path.
    path = os.pathsep.join(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if "plugins" not in p)
    workers.start("bare", env={"PYTHONPATH": path})
    result = podrender(*render_args(files, "failed.mp3", "faulty.yaml"), "--queue", url)
    line = _one_error_line(result)
    assert "worker bare could not make the turn at line" in line and "faulty" in line
    assert not (files / "out" / "failed.mp3").exists()
    _until(lambda: leftovers(url) == [], 10, lambda: f"the render's jobs to go: {leftovers(url)}")


def test_an_unreachable_queue_is_one_line(files: Path) -> None:
    closed = f"redis://127.0.0.1:{_free_port()}/0"
    line = _one_error_line(podrender(*render_args(files, "none.mp3"), "--queue", closed))
    assert "cannot reach Redis at " + closed in line
    line = _one_error_line(podrender("worker", "--queue", "http://example/0"))
    assert "not a Redis URL" in line
    line = _one_error_line(podrender("serve", "--port", "0", "--queue", closed))
    assert "cannot reach Redis at " + closed in line


def test_worker_has_help() -> None:
    result = CliRunner().invoke(cli, ["worker", "--help"])
    assert result.exit_code == 0
    assert "--queue" in result.output and "--burst" in result.output and "--cache-dir" in result.output


def test_the_web_page_renders_through_the_queue(url: str, files: Path, workers: Workers) -> None:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    from fastapi.testclient import TestClient

    from podrender.web.app import create_app

    workers.start("web")
    app = create_app(files / "web", cache_dir=files / "web-cache", default_voices=VOICES, render_queue=url)
    with TestClient(app, base_url="http://127.0.0.1", headers={"Origin": "http://127.0.0.1"}) as client:
        response = client.post("/api/renders", json={"script": SCRIPT})
        assert response.status_code == 202, response.text
        render_id = response.json()["id"]
        deadline = time.monotonic() + 40
        while (body := client.get(f"/api/renders/{render_id}").json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, body
            time.sleep(0.1)
        assert body["status"] == "done", body
        episode = client.get(f"/api/renders/{render_id}/episode.mp3")
        assert episode.status_code == 200
    assert "Job OK" in workers.log("web")
    local = podrender(*render_args(files, "local.mp3"))
    assert local.returncode == 0, local.stderr
    assert episode.content == (files / "out" / "local.mp3").read_bytes()


def test_an_idle_worker_stops_at_once_on_sigterm(workers: Workers) -> None:
    worker = workers.start("idle")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert "idle: stopped" in workers.log("idle")


def test_a_render_with_no_worker_listening_says_so_and_waits(url: str, files: Path) -> None:
    render = subprocess.Popen([sys.executable, "-m", "podrender", *render_args(files, "alone.mp3"), "--queue", url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(url))
    _until(lambda: queue.count >= 1 or render.poll() is not None, 30, "the render's units on the queue")
    assert render.poll() is None  # it waits for a worker rather than failing
    render.send_signal(signal.SIGINT)
    _, err = render.communicate(timeout=20)
    assert render.returncode == 130, err
    assert "Warning: no podrender worker is listening on" in err and "podrender worker --queue" in err, err
    assert "Traceback" not in err and queue.count == 0


def test_a_render_with_a_worker_listening_has_no_such_warning(url: str, files: Path, workers: Workers) -> None:
    workers.start("one")
    result = podrender(*render_args(files, "with-one.mp3"), "--queue", url)
    assert result.returncode == 0, result.stderr
    assert "no podrender worker" not in result.stderr


def test_a_worker_whose_engine_differs_refuses_the_unit(url: str, files: Path, workers: Workers) -> None:
    # Same podrender, another espeak-ng build (as a machine with another library would have).
    patched = ("from podrender.engines.pyttsx3_engine import Pyttsx3Engine as E; E.identity = lambda self: 'espeak-9'; "
               "from podrender.cli.main import main; main()")  # fmt: skip
    workers.start("other-espeak", python=[sys.executable, "-c", patched])
    result = podrender(*render_args(files, "other-engine.mp3"), "--queue", url)
    line = _one_error_line(result)
    assert "worker other-espeak refused the turn at line" in line
    assert "engine is espeak-9" in line
    assert not (files / "out" / "other-engine.mp3").exists()
    _until(lambda: leftovers(url) == [], 10, lambda: f"the render's jobs to go: {leftovers(url)}")
