"""A preview says what a render would: `say_from_script(edits=..., turn=...)` with the real engine, and
POST /api/preview with `edits` and `turn` (MP3 read back with mutagen; the cache tells edits apart)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mutagen.wave import WAVE

from podrender import ScriptError, parse_config, say_from_script

VOICES = "narrator: Narrator\nspeakers:\n  Ada: {voice: en-us+f3, rate: 175}\n  Ben: {voice: en-us+m3, rate: 175}\n"
SCRIPT = """\
The Lighthouse Log

Ada: Hello there.

Ben: The lamp is lit every evening at dusk.

Ada: And who keeps it burning?

Ben: A keeper with a long memory.
"""
LONGER = "Hello there, and welcome aboard the night ferry to the northern islands, where the fog never lifts."


# --- the library -------------------------------------------------------------------------------------


def test_say_from_script_speaks_the_edited_text_and_a_chosen_turn(tmp_path: Path) -> None:
    config = parse_config(VOICES)
    before = say_from_script(SCRIPT, "ada", config, tmp_path / "before.wav")
    after = say_from_script(SCRIPT, "Ada", config, tmp_path / "after.wav", edits={1: LONGER})
    assert before.texts == ("Hello there.",)
    assert after.texts == (LONGER,)
    # The real engine said more words: the WAV (read by mutagen, not podrender) is much longer.
    short, long = WAVE(str(before.path)).info.length, WAVE(str(after.path)).info.length
    assert long > 3 * short > 0
    # One turn, as edited; the speaker is that turn's.
    third = say_from_script(SCRIPT, None, config, tmp_path / "third.wav", turn=3, edits={3: "Who keeps it, then?"})
    assert (third.speaker, third.texts) == ("Ada", ("Who keeps it, then?",))
    assert third.voice == before.voice
    fourth = say_from_script(SCRIPT, "ben", config, tmp_path / "fourth.wav", turn=4)
    assert fourth.texts == ("A keeper with a long memory.",) and fourth.speaker == "Ben"


@pytest.mark.parametrize(
    ("speaker", "turn", "edits", "words"),
    [
        (None, 5, None, "turn 6: there is no such turn (it has 5)"),
        ("Ada", 2, None, "turn 3 is Ben's, not Ada's"),
        ("Ada", None, {9: "Hi."}, "edit of turn 10: there is no such turn"),
        (None, None, None, "name a speaker or a turn"),
    ],
)
def test_say_from_script_mistakes_are_script_errors(
    tmp_path: Path, speaker: str | None, turn: int | None, edits: dict | None, words: str
) -> None:
    with pytest.raises(ScriptError, match="^script: .*" + words.replace("(", r"\(").replace(")", r"\)")):
        say_from_script(SCRIPT, speaker, parse_config(VOICES), tmp_path / "x.wav", turn=turn, edits=edits)
    assert not (tmp_path / "x.wav").exists()


# --- the API -----------------------------------------------------------------------------------------

fastapi = pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402
from mutagen.mp3 import MP3  # noqa: E402

from podrender.web.app import create_app  # noqa: E402
from podrender.web.preview import PreviewRequest  # noqa: E402

ORIGIN = {"Origin": "http://127.0.0.1"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("prevedit")
    app = create_app(root / "out", cache_dir=root / "cache", default_voices=VOICES)
    with TestClient(app, base_url="http://127.0.0.1", headers=ORIGIN) as c:
        yield c


def seconds(mp3: bytes) -> float:
    return float(MP3(io.BytesIO(mp3)).info.length)


def test_a_preview_after_an_edit_says_the_new_words(client: TestClient) -> None:
    ask = {"script": SCRIPT, "speaker": "Ada"}
    before = client.post("/api/preview", json=ask)
    assert before.status_code == 200, before.text
    edited = client.post("/api/preview", json={**ask, "edits": {"1": LONGER}})
    assert edited.status_code == 200, edited.text
    assert edited.headers["x-preview-cache"] == "miss"  # not the cached answer of the unedited script
    assert seconds(edited.content) > 3 * seconds(before.content) > 0
    # An edit of another turn does not change what Ada's first line sounds like, but is its own entry.
    other = client.post("/api/preview", json={**ask, "edits": {"2": "The lamp is out."}})
    assert other.headers["x-preview-cache"] == "miss"
    assert seconds(other.content) == pytest.approx(seconds(before.content), abs=0.05)
    again = client.post("/api/preview", json={**ask, "edits": {"1": LONGER}})
    assert again.headers["x-preview-cache"] == "hit" and again.content == edited.content


def test_a_preview_of_one_turn_as_edited_also_through_a_form(client: TestClient) -> None:
    turn = client.post("/api/preview", json={"script": SCRIPT, "turn": 4})
    assert turn.status_code == 200, turn.text
    edited = client.post("/api/preview", data={"script": SCRIPT, "turn": "4", "edits": json.dumps({"4": LONGER})})
    assert edited.status_code == 200, edited.text
    assert seconds(edited.content) > 2 * seconds(turn.content) > 0
    # Ben's first line is not turn 4: the turn is part of what is asked.
    first = client.post("/api/preview", json={"script": SCRIPT, "speaker": "Ben"})
    assert first.status_code == 200 and first.content != turn.content


def test_the_cache_key_holds_the_edits_and_the_turn() -> None:
    plain = PreviewRequest(script=SCRIPT, speaker="Ada")
    keys = {
        plain.key(),
        PreviewRequest(script=SCRIPT, speaker="Ada", edits=((1, "Hi."),)).key(),
        PreviewRequest(script=SCRIPT, speaker="Ada", edits=((1, "Hi!"),)).key(),
        PreviewRequest(script=SCRIPT, speaker="Ada", edits=((2, "Hi."),)).key(),
        PreviewRequest(script=SCRIPT, speaker="Ada", turn=1).key(),
    }
    assert len(keys) == 5
    assert PreviewRequest(script=SCRIPT, speaker="Ada").key() == plain.key()


def test_a_bad_turn_in_a_form_is_one_line(client: TestClient) -> None:
    response = client.post("/api/preview", data={"script": SCRIPT, "turn": "two"})
    assert response.status_code == 422
    assert response.json() == {"error": "turn must be a turn index from 0, not 'two'", "field": "turn"}


def test_a_turn_preview_is_refused_from_another_site(client: TestClient) -> None:
    response = client.post(
        "/api/preview", json={"script": SCRIPT, "turn": 0}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
