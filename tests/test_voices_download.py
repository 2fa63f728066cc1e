"""`podrender voices download`: fetched from a local HTTP server standing in for GitHub and Hugging Face.

The server serves files the tests make: a small .npz voice pack for Kokoro, and for Piper a voices.json
with fake `.onnx` voices (bytes that start as an ONNX file does) and valid configs. It counts the requests
for each path, so the tests can tell what was fetched and what was not.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from podrender.cli.main import cli
from podrender.engines import download, piper_engine
from podrender.errors import DownloadError
from podrender.runtime import data_dir

LESSAC = "en_US-lessac-medium"
LIBRITTS = "en_US-libritts_r-medium"


class Server:
    """Files by URL path; `hits` counts the requests for each path; `slow` paths answer after 2 s."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.slow: set[str] = set()
        self.short: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.hits[self.path] += 1
                if self.path in server.slow:
                    time.sleep(2)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                announced = len(body) + 100 if self.path in server.short else len(body)
                self.send_header("Content-Length", str(announced))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def voice_pack() -> bytes:
    """A Kokoro voice pack in miniature: an .npz of af_*, am_*, bf_*, bm_* style vectors."""
    rng = np.random.default_rng(7)
    buf = io.BytesIO()
    np.savez(buf, **{v: rng.standard_normal((4, 1, 8)).astype(np.float32)
                     for v in ("af_heart", "am_adam", "bf_emma", "bm_george")})  # fmt: skip
    return buf.getvalue()


def onnx_bytes(seed: int) -> bytes:
    """Not a real model, but it starts as an ONNX file does (field 1, ir_version: 0x08)."""
    return b"\x08\x07" + np.random.default_rng(seed).bytes(3000)


def config(speakers: int = 1) -> bytes:
    data = {"audio": {"sample_rate": 22050}, "num_speakers": speakers, "language": {"code": "en_US"}}
    return json.dumps(data).encode()


def publish(server: Server, name: str, onnx: bytes, cfg: bytes) -> dict:
    """Serve a Piper voice's two files where piper-voices keeps them; its voices.json entry."""
    folder = download.piper_path(name)
    files = {}
    for suffix, body in ((".onnx", onnx), (".onnx.json", cfg)):
        server.files[f"/v1.0.0/{folder}{name}{suffix}"] = body
        files[f"{folder}{name}{suffix}"] = {"size_bytes": len(body), "md5_digest": hashlib.md5(body).hexdigest()}
    files[f"{folder}MODEL_CARD"] = {"size_bytes": 10, "md5_digest": "0" * 32}
    return {"key": name, "num_speakers": json.loads(cfg)["num_speakers"], "files": files}


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    srv = Server()
    pack = voice_pack()
    srv.files["/kokoro/voices-v1.0.bin"] = pack
    index = {
        LESSAC: publish(srv, LESSAC, onnx_bytes(1), config()),
        LIBRITTS: publish(srv, LIBRITTS, onnx_bytes(2), config(904)),
        "en_GB-alan-medium": publish(srv, "en_GB-alan-medium", onnx_bytes(3), config()),
    }
    srv.files["/v1.0.0/voices.json"] = json.dumps(index).encode()
    monkeypatch.setattr(download, "KOKORO_SHA256", hashlib.sha256(pack).hexdigest())
    monkeypatch.setenv("PODRENDER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the remembered voice lists
    monkeypatch.setenv("PODRENDER_KOKORO_URL", f"{srv.url}/kokoro/voices-v1.0.bin")
    monkeypatch.setenv("PODRENDER_PIPER_URL", f"{srv.url}/v1.0.0/")
    piper_engine.installed_models.cache_clear()
    yield srv
    srv.close()
    piper_engine.installed_models.cache_clear()


def run(*args: str):
    return CliRunner().invoke(cli, ["voices", "download", *args])


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- where things go


def test_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PODRENDER_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "podrender"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "podrender"
    monkeypatch.setenv("PODRENDER_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"


@pytest.mark.parametrize("name, path", [
    (LESSAC, "en/en_US/lessac/medium/"),
    (LIBRITTS, "en/en_US/libritts_r/medium/"),
    ("ca_ES-upc_ona-x_low", "ca/ca_ES/upc_ona/x_low/"),
])  # fmt: skip
def test_piper_path_is_derived_from_the_name(name: str, path: str) -> None:
    assert download.piper_path(name) == path


@pytest.mark.parametrize("name", ["lessac", "en_US-lessac", "../en_US-x-medium", "en_US-a-b-c"])
def test_a_name_that_is_not_a_piper_voice_name_is_refused(name: str) -> None:
    with pytest.raises(DownloadError, match="not a Piper voice name"):
        download.piper_path(name)


def test_the_pinned_kokoro_checksum_is_a_sha256() -> None:
    assert len(download.KOKORO_SHA256) == 64 and int(download.KOKORO_SHA256, 16) >= 0
    assert download.KOKORO_URL.endswith("/model-files-v1.0/voices-v1.0.bin")


# --- Kokoro


def test_kokoro_is_fetched_verified_and_not_fetched_twice(server: Server, tmp_path: Path) -> None:
    result = run("kokoro")
    assert result.exit_code == 0, result.output
    target = tmp_path / "data" / "kokoro" / "voices-v1.0.bin"
    assert target.read_bytes() == server.files["/kokoro/voices-v1.0.bin"]
    assert sorted(np.load(target).files) == ["af_heart", "am_adam", "bf_emma", "bm_george"]
    lines = result.stdout.splitlines()
    assert lines[0] == f"Downloaded voices-v1.0.bin (0.0 MB, sha256 ok) to {target.parent}"
    assert "`engine: kokoro`" in lines[1] and "`voice: af_heart`" in lines[1]
    assert result.stderr == ""  # no progress line when stderr is not a terminal
    assert server.hits["/kokoro/voices-v1.0.bin"] == 1

    again = run("kokoro")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Already there: voices-v1.0.bin (0.0 MB, sha256 ok)")
    assert server.hits["/kokoro/voices-v1.0.bin"] == 1

    forced = run("kokoro", "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stdout.startswith("Downloaded voices-v1.0.bin")
    assert server.hits["/kokoro/voices-v1.0.bin"] == 2
    assert leftovers(target.parent) == ["voices-v1.0.bin"]


def test_a_damaged_copy_is_fetched_again_without_force(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "data" / "kokoro" / "voices-v1.0.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a file")
    result = run("kokoro")
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == server.files["/kokoro/voices-v1.0.bin"]
    assert server.hits["/kokoro/voices-v1.0.bin"] == 1


def test_kokoro_checksum_mismatch_keeps_nothing(server: Server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(download, "KOKORO_SHA256", "0" * 64)
    line = one_error_line(run("kokoro"))
    assert line.startswith(f"Error: cannot download {server.url}/kokoro/voices-v1.0.bin: checksum mismatch (sha256 ")
    assert line.endswith("; the file was not kept")
    assert leftovers(tmp_path / "data" / "kokoro") == []


def test_a_mismatch_leaves_the_verified_copy_alone(server: Server, tmp_path: Path, monkeypatch) -> None:
    assert run("kokoro").exit_code == 0
    target = tmp_path / "data" / "kokoro" / "voices-v1.0.bin"
    good = target.read_bytes()
    server.files["/kokoro/voices-v1.0.bin"] = good[:-1] + bytes([good[-1] ^ 0xFF])
    one_error_line(run("kokoro", "--force"))
    assert target.read_bytes() == good
    assert leftovers(target.parent) == ["voices-v1.0.bin"]


def test_http_404_is_one_line(server: Server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PODRENDER_KOKORO_URL", f"{server.url}/gone/voices-v1.0.bin")
    line = one_error_line(run("kokoro"))
    assert line == f"Error: cannot download {server.url}/gone/voices-v1.0.bin: HTTP 404 Not Found"
    assert leftovers(tmp_path / "data") == []


def test_connection_refused_is_one_line(server: Server, monkeypatch) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PODRENDER_KOKORO_URL", f"http://127.0.0.1:{port}/voices-v1.0.bin")
    line = one_error_line(run("kokoro"))
    assert line == f"Error: cannot download http://127.0.0.1:{port}/voices-v1.0.bin: connection refused"


def test_a_silent_server_times_out_in_one_line(server: Server, monkeypatch) -> None:
    monkeypatch.setattr(download, "TIMEOUT_S", 0.3)
    server.slow.add("/kokoro/voices-v1.0.bin")
    line = one_error_line(run("kokoro"))
    assert line == f"Error: cannot download {server.url}/kokoro/voices-v1.0.bin: no answer within 0.3 s (timed out)"


def test_a_connection_that_closes_early_is_one_line(server: Server, tmp_path: Path) -> None:
    server.short.add("/kokoro/voices-v1.0.bin")
    line = one_error_line(run("kokoro"))
    assert line.startswith(f"Error: cannot download {server.url}/kokoro/voices-v1.0.bin: ")
    assert "closed early" in line
    assert leftovers(tmp_path / "data" / "kokoro") == []


def test_a_full_disk_is_one_line_and_leaves_no_part(server: Server, tmp_path: Path, monkeypatch) -> None:
    def full(out: object, block: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download, "write_block", full)
    line = one_error_line(run("kokoro"))
    folder = tmp_path / "data" / "kokoro"
    assert line == (f"Error: cannot download {server.url}/kokoro/voices-v1.0.bin: cannot write to {folder} "
                    "(No space left on device)")  # fmt: skip
    assert leftovers(folder) == []


def test_ctrl_c_removes_the_part_file_and_exits_130(server: Server, tmp_path: Path, monkeypatch) -> None:
    def interrupted(out: object, block: bytes) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "write_block", interrupted)
    result = run("kokoro")
    assert result.exit_code == 130
    assert leftovers(tmp_path / "data" / "kokoro") == []


def test_a_url_that_is_not_http_is_one_line(server: Server, monkeypatch) -> None:
    monkeypatch.setenv("PODRENDER_KOKORO_URL", "ftp://example.invalid/voices-v1.0.bin")
    assert one_error_line(run("kokoro")).endswith(": not an http, https or file URL")


# --- Piper


def test_piper_voice_is_fetched_checked_and_not_fetched_twice(server: Server, tmp_path: Path) -> None:
    result = run("piper", LESSAC)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "data" / "piper"
    assert leftovers(folder) == [f"{LESSAC}.onnx", f"{LESSAC}.onnx.json"]
    base = f"/v1.0.0/en/en_US/lessac/medium/{LESSAC}"
    assert (folder / f"{LESSAC}.onnx").read_bytes() == server.files[base + ".onnx"]
    assert result.stdout.splitlines() == [
        f"Downloaded {LESSAC}.onnx (0.0 MB, md5 ok) to {folder}",
        f"Downloaded {LESSAC}.onnx.json (0.0 MB, md5 ok) to {folder}",
        f"Use it under a speaker: `speakers: {{Ann: {{engine: piper, model: {LESSAC}}}}}`.",
    ]
    assert (server.hits["/v1.0.0/voices.json"], server.hits[base + ".onnx"], server.hits[base + ".onnx.json"]) == (
        1, 1, 1)  # fmt: skip

    again = run("piper", LESSAC)
    assert again.exit_code == 0, again.output
    assert all(line.startswith("Already there: ") for line in again.stdout.splitlines()[:2])
    assert (server.hits[base + ".onnx"], server.hits[base + ".onnx.json"]) == (1, 1)

    forced = run("piper", LESSAC, "--force")
    assert forced.exit_code == 0, forced.output
    assert (server.hits[base + ".onnx"], server.hits[base + ".onnx.json"]) == (2, 2)


def test_piper_md5_mismatch_keeps_nothing(server: Server, tmp_path: Path) -> None:
    path = f"/v1.0.0/en/en_US/lessac/medium/{LESSAC}.onnx"
    server.files[path] = server.files[path][:-1] + bytes([server.files[path][-1] ^ 0xFF])  # same size, other md5
    line = one_error_line(run("piper", LESSAC))
    assert line.startswith(f"Error: cannot download {server.url}{path}: checksum mismatch (md5 ")
    assert leftovers(tmp_path / "data" / "piper") == []


def test_piper_size_mismatch_keeps_nothing(server: Server, tmp_path: Path) -> None:
    path = f"/v1.0.0/en/en_US/lessac/medium/{LESSAC}.onnx"
    server.files[path] += b"more"
    line = one_error_line(run("piper", LESSAC))
    assert "more than the" in line or "size mismatch" in line
    assert leftovers(tmp_path / "data" / "piper") == []


def test_piper_file_missing_on_the_server_is_http_404(server: Server) -> None:
    path = f"/v1.0.0/en/en_US/lessac/medium/{LESSAC}.onnx.json"
    del server.files[path]
    assert one_error_line(run("piper", LESSAC)) == f"Error: cannot download {server.url}{path}: HTTP 404 Not Found"


def test_piper_without_voices_json_is_one_line(server: Server) -> None:
    del server.files["/v1.0.0/voices.json"]
    line = one_error_line(run("piper", LESSAC))
    assert line == f"Error: cannot download {server.url}/v1.0.0/voices.json: HTTP 404 Not Found"


@pytest.mark.parametrize("name, closest", [
    ("en_US-lesac-medium", LESSAC),
    ("lessac", LESSAC),
    ("en_GB-alan-mediun", "en_GB-alan-medium"),
])  # fmt: skip
def test_unknown_piper_name_names_close_ones(server: Server, tmp_path: Path, name: str, closest: str) -> None:
    line = one_error_line(run("piper", name))
    assert line.startswith(f"Error: no Piper voice named '{name}'; closest: ")
    assert closest in line.split("closest: ")[1].split(", ")
    assert len(line.split("closest: ")[1].split(", ")) <= 3
    assert leftovers(tmp_path / "data") == []


def test_downloaded_voices_are_installed_models_and_listed(server: Server, tmp_path: Path) -> None:
    pytest.importorskip("piper", reason="the piper extra is not installed: pip install -e '.[piper]'")
    for name in (LESSAC, LIBRITTS):
        assert run("piper", name).exit_code == 0
    piper_engine.installed_models.cache_clear()
    models = {m.name: m for m in piper_engine.installed_models()}
    assert models[LESSAC].path == tmp_path / "data" / "piper" / f"{LESSAC}.onnx"
    assert models[LIBRITTS].num_speakers == 904
    assert piper_engine.find_model("lessac").name == LESSAC

    listed = CliRunner().invoke(cli, ["voices", "--engine", "piper"])
    assert listed.exit_code == 0, listed.output
    assert LESSAC in listed.output and f"{LIBRITTS} (904 speakers)" in listed.output
    as_json = CliRunner().invoke(cli, ["voices", "--engine", "piper", "--json"])
    assert {LESSAC, LIBRITTS} <= {v["id"] for v in json.loads(as_json.output)["voices"]}


def test_the_voice_list_is_not_remembered_across_a_download(server: Server) -> None:
    pytest.importorskip("piper", reason="the piper extra is not installed: pip install -e '.[piper]'")
    before = CliRunner().invoke(cli, ["voices", "--engine", "piper", "--json"])
    assert LESSAC not in {v["id"] for v in json.loads(before.output)["voices"]}
    assert run("piper", LESSAC).exit_code == 0
    piper_engine.installed_models.cache_clear()
    after = CliRunner().invoke(cli, ["voices", "--engine", "piper", "--json"])
    assert LESSAC in {v["id"] for v in json.loads(after.output)["voices"]}


def test_voices_options_do_not_go_with_download(server: Server) -> None:
    result = CliRunner().invoke(cli, ["voices", "--json", "download", "kokoro"])
    assert result.exit_code == 2
    assert server.hits == Counter()


# --- the real command, in its own process


def podrender(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podrender", *args], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ), stdin=subprocess.DEVNULL)  # fmt: skip


def test_the_command_downloads_a_piper_voice(server: Server, tmp_path: Path) -> None:
    proc = podrender("voices", "download", "piper", LIBRITTS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    folder = tmp_path / "data" / "piper"
    assert leftovers(folder) == [f"{LIBRITTS}.onnx", f"{LIBRITTS}.onnx.json"]
    assert proc.stdout.splitlines()[0] == f"Downloaded {LIBRITTS}.onnx (0.0 MB, md5 ok) to {folder}"


@pytest.mark.parametrize("case", ["404", "unknown", "mismatch"])
def test_the_command_fails_with_exactly_one_line(server: Server, tmp_path: Path, case: str) -> None:
    if case == "404":
        del server.files[f"/v1.0.0/en/en_US/lessac/medium/{LESSAC}.onnx"]
    elif case == "mismatch":
        server.files["/kokoro/voices-v1.0.bin"] += b"x"
    args = ("kokoro",) if case == "mismatch" else ("piper", "en_US-lesac-medium" if case == "unknown" else LESSAC)
    proc = podrender("voices", "download", *args)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list((tmp_path / "data").rglob("*.part")) and not list((tmp_path / "data").rglob("*.onnx"))
