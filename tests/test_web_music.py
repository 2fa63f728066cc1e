"""Music in the web API: an intro, a bed and an outro uploaded with POST /api/renders (multipart), each
bounded in size, checked like the CLI's --intro/--bed/--outro before anything is queued, stored under a name
the server chose and removed when the render ends. Renders really run (the fake engine, real ffmpeg) and
the episode is decoded."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

from conftest import decode  # noqa: E402
from mutagen.mp3 import MP3  # noqa: E402
from test_music import BED_HZ, INTRO_HZ, OUTRO_HZ, band_db, span  # noqa: E402
from test_web_api import SCRIPT, VOICES, local, one_line, wait_for  # noqa: E402

from podrender.runtime import ffmpeg  # noqa: E402
from podrender.web.app import create_app  # noqa: E402
from podrender.web.models import MAX_MUSIC_BYTES  # noqa: E402

INTRO_S = 4.0


def tone(path: Path, lavfi: str) -> bytes:
    """An audio file made by ffmpeg from a lavfi source, in the format its suffix says; its bytes."""
    subprocess.run([ffmpeg().path, "-v", "error", "-y", "-f", "lavfi", "-i", lavfi, "-ar", "44100", str(path)],
                   check=True)  # fmt: skip
    return path.read_bytes()


def leftovers(out: Path) -> list[Path]:
    """Uploaded music still on disk: in the upload folders or in any render's folder."""
    return [p for p in out.rglob("*") if p.is_file() and (p.parent.name == "music" or "uploads" in p.parts)]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """One render with an uploaded intro, bed and outro, in stereo with duck_db 15."""
    root = tmp_path_factory.mktemp("webmusic")
    files = {
        "intro": ("theme.wav", tone(root / "theme.wav", f"sine=frequency={INTRO_HZ}:duration={INTRO_S}"), "audio/wav"),
        "bed": ("loop.mp3", tone(root / "loop.mp3", f"sine=frequency={BED_HZ}:duration=3"), "audio/mpeg"),
        "outro": ("end.ogg", tone(root / "end.ogg", f"sine=frequency={OUTRO_HZ}:duration=4"), "audio/ogg"),
    }
    out = root / "out"
    with local(create_app(out, cache_dir=root / "cache", default_voices=VOICES)) as client:
        form = {"script": SCRIPT, "duck_db": "15", "channels": "2"}
        response = client.post("/api/renders", data=form, files=files)
        assert response.status_code == 202, response.text
        status = wait_for(client, response.json()["id"])
        assert status["status"] == "done", status
        manifest = client.get(status["links"]["manifest"]).json()
        episode = client.get(status["links"]["episode"])
        (root / "episode.mp3").write_bytes(episode.content)
        yield {"client": client, "status": status, "manifest": manifest, "mp3": root / "episode.mp3", "out": out}


def test_uploaded_intro_plays_at_the_start_and_outro_at_the_end(mixed: dict) -> None:
    x = decode(mixed["mp3"])
    head = x[span(100, 900)]
    assert band_db(head, INTRO_HZ) - band_db(head, OUTRO_HZ) > 30
    first = mixed["manifest"]["turns"][0]
    assert first["start_ms"] == pytest.approx(INTRO_S * 1000 - 3000, abs=40)  # speech under the intro's fade
    tail = x[-int(0.8 * len(x) / (mixed["manifest"]["duration_ms"] / 1000)) :]  # the last 0.8 s
    assert band_db(tail, OUTRO_HZ) - band_db(tail, INTRO_HZ) > 30


def test_the_status_and_manifest_show_the_mix_by_the_uploads_names(mixed: dict) -> None:
    mix = mixed["status"]["mix"]
    assert mix == mixed["manifest"]["mix"]
    assert (mix["intro"], mix["bed"], mix["outro"], mix["duck_db"]) == ("theme.wav", "loop.mp3", "end.ogg", 15)
    assert mix["seats"] is not None and mix["seats"]["Ada"] != mix["seats"]["Ben"]  # stereo was asked for
    assert MP3(mixed["mp3"]).info.channels == 2


def test_uploads_are_removed_when_the_render_is_done(mixed: dict) -> None:
    assert leftovers(mixed["out"]) == []


@pytest.fixture
def client(tmp_path: Path) -> Iterator:
    with local(create_app(tmp_path / "out", cache_dir=tmp_path / "cache", default_voices=VOICES)) as client:
        yield client


def refused(client, tmp_path: Path, status: int, **post) -> str:
    """Post a render that must be refused with `status`; its one-line message. Nothing is queued or kept."""
    response = client.post("/api/renders", **post)
    assert response.status_code == status, response.text
    assert client.get("/api/renders").json()["renders"] == []
    assert leftovers(tmp_path / "out") == []
    return one_line(response.json())


def test_a_music_file_over_the_limit_is_one_line_and_no_render(client, tmp_path: Path) -> None:
    big = b"RIFF" + bytes(MAX_MUSIC_BYTES)
    message = refused(client, tmp_path, 413, data={"script": SCRIPT}, files={"bed": ("huge.wav", big)})
    assert message.startswith("bed: 'huge.wav' is larger than 20 MB;")


@pytest.mark.parametrize(
    ("role", "name", "data", "said"),
    [
        ("intro", "notes.mp3", b"these are my notes, not music\n" * 40, "is not audio ffmpeg can read"),
        ("bed", "blip.wav", "sine=frequency=500:duration=0.2", "is only 200 ms long; music needs at least"),
        ("outro", "long.mp3", "sine=frequency=500:duration=122", "is longer than 120 s; use a shorter piece"),
        ("intro", "empty.wav", b"", "is empty"),
    ],
)
def test_music_that_cannot_serve_is_one_line_and_no_render(
    client, tmp_path: Path, role: str, name: str, data: bytes | str, said: str
) -> None:
    body = data if isinstance(data, bytes) else tone(tmp_path / name, data)
    message = refused(client, tmp_path, 400, data={"script": SCRIPT}, files={role: (name, body)})
    assert message.startswith(f"{role}: '{name}' {said}")


def test_music_as_a_text_field_or_bad_numbers_are_refused(client, tmp_path: Path) -> None:
    said = refused(client, tmp_path, 422, data={"script": SCRIPT, "intro": "/etc/passwd"})
    assert said == "intro: send the music as a file upload"
    said = refused(client, tmp_path, 422, data={"script": SCRIPT, "duck_db": "-6"})
    assert said == "duck_db must be a number from 0 to 60, not '-6'"
    said = refused(client, tmp_path, 422, data={"script": SCRIPT, "channels": "3"})
    assert said.startswith("channels must be")
    said = refused(client, tmp_path, 422, json={"script": SCRIPT, "duck_db": 70})
    assert said == "duck_db: Input should be less than or equal to 60"


def test_a_cross_site_post_with_music_is_refused_before_it_is_read(client, tmp_path: Path) -> None:
    wav = tone(tmp_path / "t.wav", "sine=frequency=500:duration=1")
    headers = {"Origin": "http://evil.example"}
    said = refused(client, tmp_path, 403, data={"script": SCRIPT}, files={"intro": ("t.wav", wav)}, headers=headers)
    assert said == "requests from another site (http://evil.example) are not accepted"


def test_the_body_limit_grows_only_for_a_renders_form(client, tmp_path: Path) -> None:
    """Three files' worth more for POST /api/renders as multipart; inspect keeps the script's limit."""
    payload = bytes(3 * 1024 * 1024)  # over the 2 MB script limit + slack, far under the music limit
    inspect = client.post("/api/inspect", data={"script": SCRIPT}, files={"intro": ("a.wav", payload)})
    assert inspect.status_code == 413
    assert one_line(inspect.json()).startswith("the request is too large; scripts up to 2 MB")
    render = client.post("/api/renders", data={"script": SCRIPT}, files={"intro": ("a.wav", payload)})
    assert render.status_code == 400  # read whole, then refused as music
    assert one_line(render.json()) == "intro: 'a.wav' is not audio ffmpeg can read"
