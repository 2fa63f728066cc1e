"""Second round of hardening, the web server: it answers only its own host names, refuses cross-site posts,
shows each client only its own renders, sends security headers on every answer, closes half-sent
requests, runs user work in child processes that die with their client, gives memory back, and stops on
SIGTERM within 5 s. docs/reliability.md, "The web server (second round)", lists each case."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402
from test_web_api import SCRIPT, VOICES, local, wait_for  # noqa: E402

from podrender.web.app import create_app  # noqa: E402

SLOW_VOICES = 'engine: fake\nskip:\n  - "(a|aa)+$"\n'


def slow_script(lines: int = 400) -> str:
    """A script each of whose lines takes the skip pattern about 0.1 s: tens of seconds in all."""
    return "Slow\n\n" + "".join(f"Ann: {'a' * 26}!\n" for _ in range(lines))


@pytest.fixture
def app(tmp_path: Path):
    return create_app(tmp_path / "out", cache_dir=tmp_path / "cache", default_voices=VOICES)


def test_lists_show_only_the_callers_own_renders(app) -> None:
    with local(app) as alice, local(app) as bob:
        mine = alice.post("/api/renders", json={"script": SCRIPT})
        assert mine.status_code == 202
        render_id = mine.json()["id"]
        assert wait_for(alice, render_id)["status"] == "done"
        assert [r["id"] for r in alice.get("/api/renders").json()["renders"]] == [render_id]
        assert bob.get("/api/renders").json()["renders"] == []  # another session sees none of alice's
        assert bob.get(f"/api/renders/{render_id}").status_code == 200  # the unguessable id still works
        cookie = alice.cookies.get("podrender_session")
        assert cookie and len(cookie) >= 22
        folder = next((app.state.queue.root).iterdir())
        assert cookie not in (folder / "status.json").read_text()  # only a digest of it is kept


def test_a_cross_site_form_post_starts_nothing(app) -> None:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        evil = client.post("/api/renders", data={"script": SCRIPT}, headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403
        assert evil.json()["error"] == "requests from another site (http://evil.example) are not accepted"
        referred = client.post("/api/renders", json={"script": SCRIPT},
                               headers={"Referer": "http://evil.example/page"})  # fmt: skip
        assert referred.status_code == 403
        bare_form = client.post("/api/renders", data={"script": SCRIPT})  # neither Origin nor Referer
        assert bare_form.status_code == 403 and "must come from this server's page" in bare_form.json()["error"]
        plain = client.post("/api/inspect", content=SCRIPT, headers={"Content-Type": "text/plain"})
        assert plain.status_code == 403
        assert app.state.queue.jobs() == []
        # what is allowed: the page itself, and a JSON client that sends no Origin (curl, a script)
        same = client.post("/api/inspect", data={"script": SCRIPT}, headers={"Origin": "http://127.0.0.1"})
        assert same.status_code == 200, same.text
        assert client.post("/api/inspect", json={"script": SCRIPT}).status_code == 200


def test_only_allowed_host_names_are_served(tmp_path: Path) -> None:
    app = create_app(tmp_path / "out", default_voices=VOICES, allowed_hosts=("podcasts.example",))
    ok, bad = TestClient(app, base_url="http://podcasts.example"), TestClient(app, base_url="http://evil.example")
    with ok, bad:
        assert ok.get("/api/defaults").status_code == 200
        refused = bad.get("/api/defaults")
        assert refused.status_code == 400 and "does not answer to that host name" in refused.json()["error"]
    default = create_app(tmp_path / "out2", default_voices=VOICES)
    with TestClient(default) as rebinding:  # Host: testserver, as a rebound DNS name would be
        assert rebinding.get("/").status_code == 400


@pytest.mark.parametrize("path", ["/", "/static/index.html", "/static/app.js", "/api/defaults", "/openapi.json",
                                  "/api/renders/nope", "/api/renders/{id}/manifest.json"])  # fmt: skip
def test_every_answer_has_the_security_headers(app, path: str) -> None:
    with local(app) as client:
        if "{id}" in path:
            render_id = client.post("/api/renders", json={"script": SCRIPT}).json()["id"]
            assert wait_for(client, render_id)["status"] == "done"
            path = path.replace("{id}", render_id)
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"


# --- a real server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            found.add(child)
            todo.append(child)
    return found


class Server:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc, self.port = proc, port
        self.url = f"http://127.0.0.1:{port}"

    def post(self, path: str, body: dict, timeout: float = 60) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def get(self, path: str, timeout: float = 10) -> int:
        with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
            return int(response.status)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    (tmp_path / "v.yaml").write_text(SLOW_VOICES)
    proc = subprocess.Popen(
        [sys.executable, "-m", "podrender", "serve", "--port", str(port), "--output-dir", str(tmp_path / "out"),
         "--voices", str(tmp_path / "v.yaml"), "--cache-dir", str(tmp_path / "cache"), "--request-timeout", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError(f"the server did not start: {proc.communicate()[1]}") from None
            time.sleep(0.05)
    yield Server(proc, port)
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def test_a_half_sent_request_is_closed(server: Server) -> None:
    partials = [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",  # the headers never end
        b"POST /api/inspect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{\"script\": ",  # the body stops
    ]
    for partial in partials:
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(partial)
            s.settimeout(20)
            start = time.monotonic()
            data = s.recv(4096)
            while data and not data.endswith(b"}") and s.recv(4096):
                pass
            assert time.monotonic() - start < 10  # --request-timeout 2; it waited for ever before
    assert server.get("/api/defaults") == 200  # and the server still answers


def test_a_slow_inspect_neither_blocks_others_nor_outlives_its_client(server: Server) -> None:
    assert server.post("/api/inspect", {"script": SCRIPT, "voices": VOICES})[0] == 200  # starts the fork server
    base = descendants(server.proc.pid)
    body = json.dumps({"script": slow_script()}).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /api/inspect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
        time.sleep(1.0)
        start = time.monotonic()
        assert server.get("/api/defaults") == 200
        assert time.monotonic() - start < 2  # another client is answered while the inspect runs
        working = descendants(server.proc.pid) - base
        assert working, "the inspect runs in a child process"
    # the client left: its work is stopped within a second or so
    deadline = time.monotonic() + 10
    while any(p in descendants(server.proc.pid) for p in working) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(p in descendants(server.proc.pid) for p in working)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text() + Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def test_memory_returns_to_its_baseline_after_large_requests(server: Server) -> None:
    """Each inspect's memory belongs to its child process (the server grew about 1 GB per 105,000-turn request
    and kept it). Four 1 MB scripts of about 20,000 turns each; the server's RSS stays within 60 MB of where it
    was after the first (which loads what the page needs)."""
    script = "Big\n\n" + "".join(f"{'Ann' if i % 2 else 'Ben'}: Turn {i} is a line of plain words.\n"
                                 for i in range(40_000))[:1_000_000]  # fmt: skip
    status, _ = server.post("/api/inspect", {"script": script, "voices": "engine: fake\n"})
    assert status == 200
    baseline = rss_kb(server.proc.pid)
    for _ in range(3):
        status, sheet = server.post("/api/inspect", {"script": script, "voices": "engine: fake\n"})
        assert status == 200 and len(sheet["turns"]) > 1000
    grown = rss_kb(server.proc.pid) - baseline
    print(f"server RSS: {baseline / 1024:.0f} MB after one request, +{grown / 1024:.1f} MB after three more")
    assert grown < 60 * 1024


def test_sigterm_stops_a_busy_server_within_5_s(server: Server) -> None:
    assert server.post("/api/inspect", {"script": SCRIPT, "voices": VOICES})[0] == 200  # starts the fork server
    body = json.dumps({"script": slow_script()}).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /api/inspect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
        time.sleep(1.0)
        family = descendants(server.proc.pid)
        assert family
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(15)
        assert time.monotonic() - start < 5
    time.sleep(0.5)
    left = [p for p in family if os.path.exists(f"/proc/{p}") and _cmdline(p) and not _zombie(p)]
    assert left == []  # the fork server and the inspect's process went with the server


def test_serve_names_the_real_api_schema(server: Server) -> None:
    from click.testing import CliRunner

    from podrender.cli.main import cli

    helped = CliRunner().invoke(cli, ["serve", "--help"])
    assert "/docs" not in helped.output and "/openapi.json" in helped.output
    assert "--allowed-host" in helped.output and "--request-timeout" in helped.output
    assert server.get("/openapi.json") == 200
