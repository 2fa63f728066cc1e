"""The API behind the page's workbench: POST /api/preview (MP3, cached, bounded, same-origin),
turn edits that re-make only the edited unit, "same as" aliases, an engine per speaker, spoken turns."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402
from mutagen.mp3 import MP3  # noqa: E402

from podrender.web.app import create_app  # noqa: E402
from podrender.web.preview import PreviewCache  # noqa: E402

VOICES = "engine: fake\nnarrator: Narrator\nspeakers:\n  Ada: fake/high\n  Ben: fake/low\n"
SCRIPT = """\
The Tide Clock

Ada: Ben, why would anyone build a clock for the tides?

Ben: Because boats care about water, not about noon.

Bea: And the moon cares about both.

Ada: Thanks for listening.
"""
ORIGIN = {"Origin": "http://127.0.0.1"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("workbench")
    app = create_app(root / "out", cache_dir=root / "cache", default_voices=VOICES)
    with TestClient(app, base_url="http://127.0.0.1", headers=ORIGIN) as c:
        yield c


def wait_done(client: TestClient, render_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(f"/api/renders/{render_id}").json()
        if body["status"] in ("done", "failed"):
            assert body["status"] == "done", body
            return body
        time.sleep(0.05)
    raise AssertionError(f"render {render_id} did not finish")


def test_preview_of_a_speaker_is_mp3_in_their_render_voice_and_cached(client: TestClient) -> None:
    ask = {"script": SCRIPT, "speaker": "ben"}  # any case, as say --script
    first = client.post("/api/preview", json=ask)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "audio/mpeg"
    assert first.headers["x-preview-cache"] == "miss"
    heard = MP3(io.BytesIO(first.content))
    assert heard.info.sample_rate == 44100 and 1.0 < heard.info.length < 15
    again = client.post("/api/preview", json=ask)
    assert again.headers["x-preview-cache"] == "hit" and again.content == first.content
    # Another voice for Ben is another preview (the choice is part of what is asked).
    other = client.post("/api/preview", json={**ask, "speakers": {"Ben": "fake/high"}})
    assert other.status_code == 200 and other.headers["x-preview-cache"] == "miss"
    assert other.content != first.content
    # The same through a form, as the page sends it (an uploaded script works too).
    form = client.post("/api/preview", files={"script": ("tide.txt", SCRIPT.encode("utf-16"), "text/plain")},
                       data={"speaker": "Ben"})  # fmt: skip
    assert form.status_code == 200, form.text
    assert MP3(io.BytesIO(form.content)).info.length == pytest.approx(heard.info.length, abs=0.1)


def test_preview_of_a_text_in_a_voice(client: TestClient) -> None:
    said = client.post("/api/preview", json={"voice": "fake/low", "text": "Is this clear?"})
    assert said.status_code == 200, said.text
    assert MP3(io.BytesIO(said.content)).info.length > 0.3


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ({"script": SCRIPT, "speaker": "Cy"}, 400, "speaker", "no speaker 'Cy'"),
        ({"voice": "fake/nope", "text": "Hi."}, 400, "speakers", "unknown voice 'fake/nope'"),
        ({"voice": "fake/low", "text": "   "}, 400, "text", "nothing to say"),
        ({"voice": "fake/low", "text": "x" * 501}, 422, "text", "at most 500"),
        ({"script": SCRIPT}, 422, None, "either {speaker, script} or {voice, text}"),
        ({"script": SCRIPT, "speaker": "Ada", "voices": "speakers: ["}, 400, "voices", "voices.yaml"),
        # a turn or an edit that is not there (the title is turn 0, so this script has 5)
        ({"script": SCRIPT, "turn": 9}, 400, "script", "turn 10: there is no such turn (it has 5)"),
        ({"script": SCRIPT, "turn": -1}, 422, "turn", "greater than or equal to 0"),
        ({"script": SCRIPT, "turn": 2, "speaker": "Ada"}, 400, "script", "turn 3 is Ben's, not Ada's"),
        ({"script": SCRIPT, "speaker": "Ada", "edits": {"7": "Hi."}}, 400, "script", "edit of turn 8"),
        ({"script": SCRIPT, "speaker": "Ada", "edits": {"1": "  "}}, 400, "script", "the new text is empty"),
        ({"voice": "fake/low", "text": "Hi.", "edits": {"0": "x"}}, 422, None, "edits go with"),
    ],
)
def test_preview_mistakes_are_one_line(
    client: TestClient, body: dict, status: int, field: str | None, words: str
) -> None:
    response = client.post("/api/preview", json=body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["field"] == field and words in answer["error"] and "\n" not in answer["error"]


def test_preview_is_refused_from_another_site(client: TestClient) -> None:
    response = client.post(
        "/api/preview", json={"voice": "fake/low", "text": "Hi."}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_the_preview_cache_is_bounded_by_count_and_bytes() -> None:
    cache = PreviewCache(entries=3, max_bytes=100)
    for i in range(5):
        cache.put(str(i), b"x" * 10)
    assert len(cache) == 3 and cache.get("0") is None and cache.get("4") == b"x" * 10
    cache.get("2")  # used: kept over 3
    cache.put("big", b"y" * 80)
    assert cache.get("2") is not None and cache.get("3") is None
    cache.put("huge", b"z" * 101)  # larger than the whole cache: not kept
    assert cache.get("huge") is None


def test_an_edited_turn_is_the_only_unit_made_again(client: TestClient) -> None:
    first = client.post("/api/renders", json={"script": SCRIPT})
    assert first.status_code == 202, first.text
    done = wait_done(client, first.json()["id"])
    assert done["units"]["made"] + done["units"]["reused"] == 5
    edit = {"2": "Because boats care about water, not about lunch."}
    sheet = client.post("/api/inspect?spoken=true", json={"script": SCRIPT, "edits": edit}).json()
    assert sheet["turns"][2]["text"] == edit["2"]
    assert sheet["spoken"][2]["units"][0]["text"] == edit["2"]
    second = client.post("/api/renders", json={"script": SCRIPT, "edits": edit})
    status = wait_done(client, second.json()["id"])
    assert status["units"] == {"made": 1, "reused": 4}
    manifest = client.get(status["links"]["manifest"]).json()
    assert [t["index"] for t in manifest["turns"] if t["cache"] != "hit"] == [2]
    assert "lunch" in manifest["turns"][2]["spoken"]


@pytest.mark.parametrize(
    ("edits", "words"),
    [
        ({"9": "Hello."}, "edit of turn 10: there is no such turn"),
        ({"1": " \n "}, "edit of turn 2: the new text is empty"),
    ],
)
def test_a_bad_edit_is_a_script_mistake(client: TestClient, edits: dict, words: str) -> None:
    response = client.post("/api/inspect", json={"script": SCRIPT, "edits": edits})
    assert response.status_code == 400 and response.json()["field"] == "script"
    assert words in response.json()["error"]
    assert client.post("/api/inspect", json={"script": SCRIPT, "edits": {"x": "y"}}).status_code == 422


def test_same_as_makes_a_label_an_alias_with_the_same_voice(client: TestClient) -> None:
    sheet = client.post("/api/inspect", json={"script": SCRIPT, "same_as": {"Bea": "Ben"}}).json()
    names = [s["name"] for s in sheet["speakers"]]
    assert "Bea" not in names
    ben = next(s for s in sheet["speakers"] if s["name"] == "Ben")
    assert ben["aliases"] == ["Bea"] and ben["turns"] == 2
    assert sheet["turns"][3]["speaker"] == "Ben"


def test_an_engine_per_speaker(client: TestClient) -> None:
    engines = client.get("/api/engines").json()
    assert engines["default"] == "fake"
    by_name = {e["name"]: e for e in engines["engines"]}
    assert by_name["pyttsx3"]["available"] and "faulty" not in by_name
    sheet = client.post(
        "/api/inspect", json={"script": SCRIPT, "speakers": {"Ben": "en-us+m3"}, "engines": {"Ben": "pyttsx3"}}
    ).json()
    ben = next(s for s in sheet["speakers"] if s["name"] == "Ben")
    assert (ben["engine"], ben["voice"]) == ("pyttsx3", "gmw/en-us+m3")
    wrong = client.post("/api/inspect", json={"script": SCRIPT, "speakers": {"Ben": "x"}, "engines": {"Ben": "nope"}})
    assert wrong.status_code == 400 and "unknown engine 'nope'" in wrong.json()["error"]
