"""The web API (`podrender serve`) through FastAPI's TestClient, with the fast fake engine.

Renders really run: in spawned processes that call podrender.pipeline.render, as in production.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402
from mutagen.id3 import ID3  # noqa: E402

from podrender.config import parse_config  # noqa: E402
from podrender.errors import ConfigError  # noqa: E402
from podrender.output.castsheet import cast_sheet  # noqa: E402
from podrender.pipeline import prepare  # noqa: E402
from podrender.web.app import create_app  # noqa: E402
from podrender.web.jobs import ID_PATTERN, STOPPED, write_status  # noqa: E402
from podrender.web.ranges import parse_range  # noqa: E402

VOICES = """\
engine: fake
narrator: Narrator
pause_ms: 200
chapter_pause_ms: 400
speakers:
  Narrator: fake/mid
  Ada: {voice: fake/high, aliases: [Dr. Ada]}
  Ben: fake/low
"""

SCRIPT = """\
The Tide Clock

A short talk about clocks that follow the sea.

Ada: Ben, why would anyone build a clock for the tides?

Ben: Because boats care about water, not about noon.

Ada: How does it know when the tide turns?

Ben: It runs a little slow, once every lunar day.

Thanks for listening.
"""

FAULTY = VOICES.replace("engine: fake", "engine: faulty")  # the tests' engine (tests/plugins)
HANG = "glacier"  # a word that makes the tests' faulty engine hang (PODRENDER_FAKE_FAULT=hang)


def local(app, **options) -> TestClient:
    """A client of `app` as the page is one: at http://127.0.0.1 (an allowed host), its posts saying they
    come from there (Origin), keeping the session cookie the server gives it."""
    return TestClient(app, base_url="http://127.0.0.1", headers={"Origin": "http://127.0.0.1"}, **options)


def wait_for(client: TestClient, render_id: str, states: tuple[str, ...] = ("done", "failed"), timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/renders/{render_id}").json()
        if body["status"] in states:
            return body
        time.sleep(0.1)
    raise AssertionError(f"render {render_id} did not reach {states}: {body}")


def one_line(body: dict) -> str:
    assert set(body) == {"error", "field"}, body
    message = body["error"]
    assert isinstance(message, str) and message and "\n" not in message and "Traceback" not in message
    return message


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator:
    """make_client(**create_app options) -> a started TestClient; every app is shut down after the test."""
    clients: list[TestClient] = []

    def make(**options) -> TestClient:
        options.setdefault("cache_dir", tmp_path / "cache")
        options.setdefault("default_voices", VOICES)
        client = local(create_app(options.pop("output_dir", tmp_path / "out"), **options))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """One render, done, shared by the download tests: {"client", "id", "status", "output"}."""
    root = tmp_path_factory.mktemp("finished")
    with local(create_app(root / "out", cache_dir=root / "cache", default_voices=VOICES)) as client:
        response = client.post("/api/renders", json={"script": SCRIPT, "speakers": {"Ben": "fake/bright"}})
        assert response.status_code == 202, response.text
        status = wait_for(client, response.json()["id"])
        assert status["status"] == "done", status
        yield {"client": client, "id": status["id"], "status": status, "output": root / "out"}


# --- inspect ----------------------------------------------------------------------------------------


def test_inspect_json_is_the_cast_sheet_of_podrender_inspect(client: TestClient) -> None:
    response = client.post("/api/inspect", json={"script": SCRIPT, "voices": VOICES})
    assert response.status_code == 200, response.text
    sheet = response.json()
    assert sheet == cast_sheet(prepare(SCRIPT, parse_config(VOICES), source="script"))
    assert sheet["title"] == "The Tide Clock"
    assert [(s["name"], s["voice"]) for s in sheet["speakers"]] == [
        ("Narrator", "fake/mid"), ("Ada", "fake/high"), ("Ben", "fake/low"),
    ]  # fmt: skip
    assert [c["title"] for c in sheet["chapters"]][:2] == [
        "Introduction", "Ben, why would anyone build a clock for the tides?",
    ]  # fmt: skip


def test_inspect_without_voices_uses_the_servers_default_and_applies_picker_choices(client: TestClient) -> None:
    sheet = client.post("/api/inspect", json={"script": SCRIPT, "speakers": {"ben": "fake/bright", "Cy": "x"}})
    assert sheet.status_code == 400  # Cy's voice is checked even though Cy does not speak
    assert "unknown voice 'x'" in one_line(sheet.json())
    sheet = client.post("/api/inspect", json={"script": SCRIPT + "\nCy: one more thing.\n", "speakers": {
        "ben": "fake/bright", "Cy": "fake/mid", "Dr. Ada": "fake/low"}})  # fmt: skip
    assert sheet.status_code == 200, sheet.text
    voices = {s["name"]: (s["voice"], s["fallback"]) for s in sheet.json()["speakers"]}
    assert voices["Ben"] == ("fake/bright", False)  # an existing entry gets the new voice
    assert voices["Cy"] == ("fake/mid", False)  # a missing speaker is added
    assert voices["Ada"] == ("fake/low", False)  # an alias names its speaker


def test_inspect_multipart_with_an_uploaded_file(client: TestClient) -> None:
    body = SCRIPT.split("\n", 2)[2].replace("\n", "\r\n").encode("utf-16")  # no title line, UTF-16 with BOM
    response = client.post(
        "/api/inspect",
        files={"script": ("../../secret/harbour-notes.txt", io.BytesIO(body), "text/plain")},
        data={"voices": VOICES, "chapters": "turn", "speakers": json.dumps({"Ada": "fake/bright"})},
    )
    assert response.status_code == 200, response.text
    sheet = response.json()
    assert sheet["title"] == "harbour-notes"  # the file's name (no folders), since there is no title line
    assert sheet["source"] == "harbour-notes.txt"
    assert sheet["chapter_policy"] == "turn"
    assert {s["name"]: s["voice"] for s in sheet["speakers"]}["Ada"] == "fake/bright"
    # the same as a form field instead of a file
    as_text = client.post("/api/inspect", data={"script": SCRIPT, "voices": VOICES})
    assert as_text.status_code == 200 and as_text.json()["title"] == "The Tide Clock"


@pytest.mark.parametrize(
    ("request_kwargs", "expected"),
    [
        ({"json": {"script": "   \n\n  "}}, "script: is empty"),
        ({"files": {"script": ("notes.txt", b"", "text/plain")}}, "notes.txt: is empty"),
        ({"files": {"script": ("a.txt", b"\x89PNG\x00\x00binary", "text/plain")}}, "a.txt: looks like a binary"),
        ({"files": {"script": ("b.txt", "Ada: café".encode("latin-1"), "text/plain")}}, "b.txt line 1: is not UTF-8"),
    ],
)  # fmt: skip
def test_a_bad_script_is_400_with_one_line(client: TestClient, request_kwargs: dict, expected: str) -> None:
    response = client.post("/api/inspect", **request_kwargs)
    assert response.status_code == 400, response.text
    assert one_line(response.json()).startswith(expected)
    assert response.json()["field"] == "script"


def test_a_script_with_nothing_to_say_is_not_rendered(client: TestClient) -> None:
    response = client.post("/api/renders", json={"script": "Ada: :) 🤗\n"})
    assert response.status_code == 400
    assert "nothing to say" in one_line(response.json())


@pytest.mark.parametrize(
    ("voices", "speakers", "field", "expected"),
    [
        ("engine: fake\nspeakers:\n  Ada: fake/nope\n", None, "voices",
         "voices.yaml line 3: unknown voice 'fake/nope'; closest: fake/low"),
        ("engine: fake\nspeakers:\n  Ada: [fake/low\n", None, "voices", "voices.yaml line 4: invalid YAML"),
        ("engine: fake\nspeakerz: {}\n", None, "voices", "voices.yaml line 2: unknown key 'speakerz'"),
        ("engine: fakr\n", None, "voices", "voices.yaml line 1: engine: unknown engine 'fakr' (did you mean 'fake'?)"),
        (VOICES, {"Ada": "fake/loww"}, "speakers", "voice for 'Ada': unknown voice 'fake/loww'; closest: fake/low"),
    ],
)  # fmt: skip
def test_bad_voices_are_400_with_the_message(client, voices: str, speakers, field: str, expected: str) -> None:
    for endpoint in ("/api/inspect", "/api/renders"):
        response = client.post(endpoint, json={"script": SCRIPT, "voices": voices, "speakers": speakers})
        assert response.status_code == 400, response.text
        assert one_line(response.json()).startswith(expected), response.json()
        assert response.json()["field"] == field
    assert client.get("/api/renders").json()["renders"] == []


@pytest.mark.parametrize(
    ("request_kwargs", "expected"),
    [
        ({"json": {"voices": VOICES}}, "script: Field required"),
        ({"json": {"script": 42}}, "script: Input should be a valid string"),
        ({"json": {"script": SCRIPT, "chapters": "often"}}, "chapters: Input should be"),
        ({"json": {"script": SCRIPT, "speakers": ["Ada"]}}, "speakers: Input should be"),
        ({"json": {"script": SCRIPT, "voice": "x"}}, "voice: Extra inputs are not permitted"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "Invalid JSON"),
        ({"data": {"voices": VOICES}}, "script: give the transcript"),
        ({"data": {"script": SCRIPT, "speakers": "{nope"}}, "speakers must be JSON"),
        ({"data": {"script": SCRIPT, "chapters": "often"}}, "chapters must be one of host, turn, marker, none"),
    ],
)  # fmt: skip
def test_a_malformed_request_is_422(client: TestClient, request_kwargs: dict, expected: str) -> None:
    response = client.post("/api/inspect", **request_kwargs)
    assert response.status_code == 422, response.text
    assert one_line(response.json()).startswith(expected), response.json()


def test_other_content_types_are_415(client: TestClient) -> None:
    response = client.post("/api/inspect", content=SCRIPT.encode(), headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "JSON" in one_line(response.json())


def test_cover_in_voices_is_refused(client: TestClient, tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    for value in (str(cover), "/etc/passwd", "null"):
        voices = f"engine: fake\nepisode:\n  title: T\n  cover: {value}\n"
        for endpoint in ("/api/inspect", "/api/renders"):
            response = client.post(endpoint, json={"script": SCRIPT, "voices": voices})
            assert response.status_code == 400, response.text
            assert one_line(response.json()) == (
                "voices.yaml line 4: episode: cover is not allowed here "
                "(voices.yaml from the web page cannot name files)"
            )
    # the library keeps reading covers by default, and refuses them when asked
    assert parse_config(f"episode: {{cover: {cover}}}\n").episode.cover == cover
    with pytest.raises(ConfigError, match="cover is not allowed here"):
        parse_config(f"episode: {{cover: {cover}}}\n", allow_files=False)


# --- voices and the page ----------------------------------------------------------------------------


def test_voices_endpoint(client: TestClient) -> None:
    body = client.get("/api/voices").json()  # the engine of the server's voices.yaml
    assert body["engine"] == "fake"
    assert [v["id"] for v in body["voices"]] == ["fake/low", "fake/mid", "fake/high", "fake/bright"]
    assert body["voices"][0] == {"id": "fake/low", "name": "Low", "languages": ["en"], "gender": "Male"}
    assert body["choices"] == ["fake/low", "fake/mid", "fake/high", "fake/bright"]
    response = client.get("/api/voices", params={"engine": "nope"})
    assert response.status_code == 400 and "unknown engine 'nope'" in one_line(response.json())


def test_picker_choices_offer_english_voices_with_common_variants() -> None:
    from podrender.web.app import voice_choices

    voices = [{"id": "gmw/en-us", "languages": ["en-us"]}, {"id": "roa/fr", "languages": ["fr"]}]
    choices = voice_choices(voices, ["f3", "m3", "whisper", "m7"])
    assert choices == ["gmw/en-us", "gmw/en-us+f3", "gmw/en-us+m3", "gmw/en-us+m7", "roa/fr"]


def test_defaults_give_the_servers_voices_yaml(client: TestClient, make_client, tmp_path: Path, monkeypatch) -> None:
    assert client.get("/api/defaults").json() == {
        "voices": VOICES, "chapters": ["host", "turn", "marker", "none"], "max_script_bytes": 2 * 1024 * 1024,
    }  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert make_client(default_voices=None).get("/api/defaults").json()["voices"] == ""  # no ./voices.yaml
    (tmp_path / "voices.yaml").write_text("engine: fake\n", encoding="utf-8")
    assert make_client(default_voices=None).get("/api/defaults").json()["voices"] == "engine: fake\n"


def test_the_page_is_served_from_package_data_without_a_cdn(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'src="/static/app.js"' in page.text and 'href="/static/style.css"' in page.text
    static = Path(__file__).resolve().parents[1] / "src" / "podrender" / "web" / "static"
    for name in ("index.html", "app.js", "style.css"):
        served = client.get("/" if name == "index.html" else f"/static/{name}")
        assert served.status_code == 200
        assert served.content == (static / name).read_bytes()
        assert "http://" not in served.text and "https://" not in served.text and "//cdn" not in served.text


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/inspect", "/api/renders", "/api/renders/{render_id}", "/api/renders/{render_id}/episode.mp3",
                 "/api/renders/{render_id}/manifest.json", "/api/voices"):  # fmt: skip
        assert path in paths, path
    content = paths["/api/renders"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert "429" in paths["/api/renders"]["post"]["responses"]
    assert client.get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN


# --- rendering --------------------------------------------------------------------------------------


def test_render_end_to_end(finished: dict) -> None:
    client, render_id, status = finished["client"], finished["id"], finished["status"]
    assert ID_PATTERN.fullmatch(render_id)
    assert status["title"] == "The Tide Clock"
    assert status["error"] is None
    assert status["progress"]["done"] == status["progress"]["total"] > 0
    titles = [c["title"] for c in status["chapters"]]
    assert titles == ["Introduction", "Ben, why would anyone build a clock for the tides?",
                      "How does it know when the tide turns?", "Closing"]  # fmt: skip
    assert status["links"] == {
        "self": f"/api/renders/{render_id}",
        "episode": f"/api/renders/{render_id}/episode.mp3",
        "manifest": f"/api/renders/{render_id}/manifest.json",
    }
    folder = finished["output"] / "renders" / render_id
    assert {p.name for p in folder.iterdir()} >= {
        "script.txt",
        "voices.yaml",
        "status.json",
        "episode.mp3",
        "episode.json",
    }
    manifest = client.get(status["links"]["manifest"])
    assert manifest.status_code == 200 and manifest.headers["content-type"] == "application/json"
    data = manifest.json()
    assert [c["title"] for c in data["chapters"]] == titles
    assert [c["start_ms"] for c in data["chapters"]] == [c["start_ms"] for c in status["chapters"]]
    assert {s["name"]: s["voice"] for s in data["speakers"]}["Ben"] == "fake/bright"  # the picker's choice
    listed = client.get("/api/renders").json()["renders"]
    assert [r["id"] for r in listed] == [render_id] and listed[0]["status"] == "done"


def test_episode_download(finished: dict, tmp_path: Path) -> None:
    client, render_id = finished["client"], finished["id"]
    response = client.get(f"/api/renders/{render_id}/episode.mp3")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["content-disposition"] == 'attachment; filename="the-tide-clock.mp3"'
    assert response.headers["accept-ranges"] == "bytes"
    on_disk = (finished["output"] / "renders" / render_id / "episode.mp3").read_bytes()
    assert response.content == on_disk and int(response.headers["content-length"]) == len(on_disk)
    saved = tmp_path / "episode.mp3"
    saved.write_bytes(response.content)
    tag = ID3(saved)
    assert str(tag["TIT2"]) == "The Tide Clock"
    assert len(tag.getall("CHAP")) == 4
    head = client.head(f"/api/renders/{render_id}/episode.mp3")
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(on_disk))


def test_range_requests(finished: dict) -> None:
    client = finished["client"]
    url = f"/api/renders/{finished['id']}/episode.mp3"
    data = (finished["output"] / "renders" / finished["id"] / "episode.mp3").read_bytes()
    size = len(data)
    spans = [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, size - 1), ("bytes=-500", size - 500, size - 1),
             (f"bytes=10-{size + 50}", 10, size - 1), ("bytes=-999999999", 0, size - 1)]  # fmt: skip
    for header, first, last in spans:
        response = client.get(url, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.content == data[first : last + 1], header
        assert response.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert response.headers["content-length"] == str(last - first + 1)
        assert response.headers["content-disposition"].startswith("attachment")
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        response = client.get(url, headers={"Range": header})
        assert response.status_code == 416, header
        assert response.headers["content-range"] == f"bytes */{size}"
    for header in ("bytes=0-1,5-9", "bytes=9-1", "lines=0-9", "bytes=a-b", "bytes=-"):  # ignored: the whole file
        response = client.get(url, headers={"Range": header})
        assert response.status_code == 200 and response.content == data, header
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"some-other-version"'})
    assert stale.status_code == 200 and len(stale.content) == size
    etag = stale.headers["etag"]
    fresh = client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status_code == 206 and fresh.content == data[:10]


def test_parse_range() -> None:
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range(" bytes = 2 - 4 ", 10) == (2, 4)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=5-", 10) == (5, 9)
    assert parse_range("bytes=0-1, 3-4", 10) is None


# --- safety -----------------------------------------------------------------------------------------


def test_a_too_big_script_is_413(client: TestClient) -> None:
    big = "Ada: " + "word " * (2 * 1024 * 1024 // 5) + "\n"  # a little over 2 MB
    for endpoint in ("/api/inspect", "/api/renders"):
        response = client.post(endpoint, json={"script": big})
        assert response.status_code == 413, response.text
        assert one_line(response.json()) == "the script is too large (2,097,156 bytes); up to 2 MB is accepted"
        response = client.post(endpoint, data={"script": big})
        assert response.status_code == 413
    assert client.get("/api/renders").json()["renders"] == []


def test_a_too_big_upload_is_413_before_it_is_read(client: TestClient, make_client) -> None:
    upload = b"Ada: " + b"x" * (3 * 1024 * 1024)
    response = client.post("/api/inspect", files={"script": ("big.txt", upload, "text/plain")})
    assert response.status_code == 413
    assert one_line(response.json()) == "the request is too large; scripts up to 2 MB are accepted"

    # Without a Content-Length (chunked), the body is cut off once it passes the limit.
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * (100 * 1024)

    response = client.post("/api/renders", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert one_line(response.json()) == "the request is too large; scripts up to 2 MB are accepted"
    # A smaller configured limit applies to uploads too.
    small = make_client(max_script_bytes=1000)
    response = small.post("/api/inspect", files={"script": ("a.txt", b"Ada: " + b"y" * 2000, "text/plain")})
    assert response.status_code == 413
    assert one_line(response.json()) == "the script is too large (2,005 bytes); up to 1000 bytes is accepted"


def test_queue_full_is_429_with_retry_after(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "hang")
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", HANG)
    app = create_app(tmp_path / "out", cache_dir=tmp_path / "cache", default_voices=FAULTY, workers=1, max_queued=1)
    script = SCRIPT.replace("noon", HANG)
    with local(app) as client:
        first = client.post("/api/renders", json={"script": script})
        second = client.post("/api/renders", json={"script": script})
        assert (first.status_code, second.status_code) == (202, 202)
        assert second.json()["status"] == "queued"
        third = client.post("/api/renders", json={"script": script})
        assert third.status_code == 429
        assert int(third.headers["retry-after"]) > 0
        assert one_line(third.json()).startswith("the render queue is full (1 rendering, 1 waiting)")
        assert wait_for(client, first.json()["id"], ("running",))["status"] == "running"
    # shutting the server down stopped the render and failed both
    client = local(create_app(tmp_path / "out", cache_dir=tmp_path / "cache", default_voices=VOICES))
    for job in (first, second):
        status = client.get(f"/api/renders/{job.json()['id']}").json()
        assert (status["status"], status["error"]) == ("failed", STOPPED)


def test_a_render_over_the_time_limit_is_stopped_and_failed(make_client, monkeypatch) -> None:
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "hang")
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", HANG)
    # The limit leaves the next render (well under a second on a quiet machine) room on a busy one.
    client = make_client(time_limit=6, default_voices=FAULTY)
    started = time.monotonic()
    job = client.post("/api/renders", json={"script": SCRIPT.replace("noon", HANG)}).json()
    status = wait_for(client, job["id"], timeout=30)
    assert status["status"] == "failed"
    assert status["error"] == "the render took longer than the time limit (6 s) and was stopped"
    assert time.monotonic() - started < 20
    # the queue is free again: the next render runs
    monkeypatch.delenv("PODRENDER_FAKE_FAULT")
    job = client.post("/api/renders", json={"script": SCRIPT}).json()
    status = wait_for(client, job["id"])
    assert status["status"] == "done", status


def test_odd_ids_are_404(finished: dict, tmp_path: Path) -> None:
    client, output = finished["client"], finished["output"]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "episode.mp3").write_bytes(b"secret")
    (outside / "status.json").write_text(json.dumps({"id": "x", "status": "done", "title": "x"}))
    (outside / "episode.json").write_text("{}")
    linked = "L" * 22
    os.symlink(outside, output / "renders" / linked)
    (output / "renders" / ("F" * 22)).write_text("not a folder")
    odd = [
        "nope", "A" * 22, "A" * 21, "A" * 23, "..", "...", "%2e%2e", "..%2F..%2Fetc", "%2Fetc%2Fpasswd",
        finished["id"] + "%00", finished["id"][:-1] + ".", linked, "F" * 22,
    ]  # fmt: skip
    for render_id in odd:
        for suffix in ("", "/episode.mp3", "/manifest.json"):
            response = client.get(f"/api/renders/{render_id}{suffix}")
            assert response.status_code == 404, (render_id, suffix, response.text)
            assert b"secret" not in response.content
    assert client.get("/api/renders/../../etc/passwd").status_code == 404
    assert client.get(f"/api/renders/{finished['id']}/script.txt").status_code == 404


def test_an_unfinished_render_has_no_files(make_client, monkeypatch) -> None:
    monkeypatch.setenv("PODRENDER_FAKE_FAULT", "hang")
    monkeypatch.setenv("PODRENDER_FAKE_FAULT_WORD", HANG)
    client = make_client(default_voices=FAULTY)
    job = client.post("/api/renders", json={"script": SCRIPT.replace("noon", HANG)}).json()
    assert client.get(f"/api/renders/{job['id']}/episode.mp3").status_code == 404
    assert client.get(f"/api/renders/{job['id']}/manifest.json").status_code == 404


def test_finished_renders_survive_a_restart(tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    with local(create_app(out, cache_dir=cache, default_voices=VOICES)) as first:
        render_id = first.post("/api/renders", json={"script": SCRIPT}).json()["id"]
        assert wait_for(first, render_id)["status"] == "done"
        mp3 = first.get(f"/api/renders/{render_id}/episode.mp3").content
    # a render that was running when the server died
    crashed = out / "renders" / ("C" * 22)
    crashed.mkdir()
    write_status(crashed, {"id": "C" * 22, "status": "running", "done": 2, "total": 6, "created": 1.0})
    with local(create_app(out, cache_dir=cache, default_voices=VOICES), cookies=first.cookies) as second:
        listed = {r["id"]: r for r in second.get("/api/renders").json()["renders"]}  # the same person's list
        assert listed[render_id]["status"] == "done"
        assert listed[render_id]["title"] == "The Tide Clock" and len(listed[render_id]["chapters"]) == 4
        assert second.get(f"/api/renders/{render_id}/episode.mp3").content == mp3
        crashed_state = second.get(f"/api/renders/{'C' * 22}").json()
        assert (crashed_state["status"], crashed_state["error"]) == ("failed", STOPPED)


# --- the command ------------------------------------------------------------------------------------


def test_serve_command_and_lazy_imports() -> None:
    from click.testing import CliRunner

    from podrender.cli.main import cli

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "127.0.0.1" in result.output and "--output-dir" in result.output
    probe = (
        "import sys, podrender.cli.main, podrender.pipeline; "
        "print([m for m in ('fastapi', 'uvicorn') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
