"""Reading a request: the body limit (ASGI middleware), JSON or multipart into a RenderRequest."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import Headers, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podrender import CHAPTER_POLICIES, ConfigError, PodrenderError, ScriptError
from podrender.web.jobs import PickerError, RenderRequest, safe_source, script_text
from podrender.web.models import (
    MAX_EDITS,
    MAX_MUSIC_BYTES,
    MAX_PREVIEW_CHARS,
    MAX_SPEAKER_CHOICES,
    MAX_VOICES_BYTES,
    ApiError,
    PreviewInput,
    RenderInput,
    WebSettings,
)
from podrender.web.preview import PreviewRequest

# --- the request body limit -----------------------------------------------------------------


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Answer 413 to a request body over `max_bytes`: at once when Content-Length says so, else
    as soon as the streamed body passes the limit (nothing more is read)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        message: str = "the request is too large",
        uploads: tuple[str, int, str] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message = message
        self.uploads = uploads
        """(path, max_bytes, message): a POST of a multipart form to `path` may be this large (music uploads)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        max_bytes, message = self.max_bytes, self.message
        multipart = headers.get("content-type", "").lower().startswith("multipart/form-data")
        if self.uploads is not None and scope["method"] == "POST" and scope["path"] == self.uploads[0] and multipart:
            _, max_bytes, message = self.uploads
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(scope, receive, send, message)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, message)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, message: str) -> None:
        body = {"error": message, "field": "script"}
        await JSONResponse(body, status_code=413, headers={"Connection": "close"})(scope, receive, send)


# --- reading requests -----------------------------------------------------------------------


def human_size(n: int) -> str:
    """2097152 -> '2 MB', 262144 -> '256 KB', 1000 -> '1000 bytes'."""
    if n >= 1024 * 1024:
        return f"{round(n / (1024 * 1024), 2):g} MB"
    if n >= 1024:
        return f"{round(n / 1024, 1):g} KB"
    return f"{n} bytes"


def _check_size(data: bytes, limit: int, what: str, field: str) -> None:
    if len(data) > limit:
        raise ApiError(
            413, f"the {what} is too large ({len(data):,} bytes); up to {human_size(limit)} is accepted", field
        )


def _choices(value: Any, field: str = "speakers", what: str = "voice") -> tuple[tuple[str, str], ...]:
    """A JSON object {name: value} of the page's choices -> (name, value) pairs, checked."""
    if value is None:
        return ()
    try:
        choices = TypeAdapter(dict[str, str]).validate_python(value)
    except ValidationError:
        raise ApiError(422, f'{field} must be an object {{"speaker": "{what}"}}', "speakers") from None
    if len(choices) > MAX_SPEAKER_CHOICES:
        raise ApiError(422, f"{field}: at most {MAX_SPEAKER_CHOICES} choices", "speakers")
    out = []
    for name, choice in choices.items():
        if not name.strip() or len(name) > 100 or not choice.strip() or len(choice) > 100:
            raise ApiError(
                422, f"{field}: '{name[:40]}' needs a name and a {what} of at most 100 characters", "speakers"
            )
        out.append((name.strip(), choice.strip()))
    return tuple(out)


def _edits(value: Any) -> tuple[tuple[int, str], ...]:
    """{"turn index": "text"} -> ((index, text), ...), checked."""
    if value is None:
        return ()
    try:
        edits = TypeAdapter(dict[int, str]).validate_python(value)
    except ValidationError:
        raise ApiError(422, 'edits must be an object {"turn index": "new text"}', "script") from None
    if len(edits) > MAX_EDITS or any(i < 0 for i in edits):
        raise ApiError(422, f"edits: at most {MAX_EDITS}, by turn index from 0", "script")
    return tuple(sorted(edits.items()))


def _json_field(texts: dict[str, bytes], key: str) -> Any:
    if not texts.get(key, b"").strip():
        return None
    try:
        return json.loads(texts[key])
    except ValueError:
        raise ApiError(422, f"{key} must be a JSON object", "speakers" if key != "edits" else "script") from None


_INPUTS = ("script", "voices", "speakers")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err['msg']}" if where else str(err["msg"])


MUSIC_ROLES = ("intro", "bed", "outro")


def _number(texts: dict[str, bytes], key: str, lo: float, hi: float) -> float | None:
    said = texts.get(key, b"").decode("utf-8", "replace").strip()
    if not said:
        return None
    try:
        value = float(said)
    except ValueError:
        value = math.nan
    if not lo <= value <= hi:
        raise ApiError(422, f"{key} must be a number from {lo:g} to {hi:g}, not '{said[:20]}'", key)
    return value


async def _store_upload(upload: UploadFile, folder: Path, role: str) -> None:
    """Copy an uploaded music file into `folder/role` (a name the server chose), refusing it past MAX_MUSIC_BYTES."""
    seen = 0
    with open(folder / role, "wb") as out:
        while chunk := await upload.read(1 << 20):
            seen += len(chunk)
            if seen > MAX_MUSIC_BYTES:
                raise ApiError(
                    413, f"{role}: '{safe_source(upload.filename)}' is larger than {human_size(MAX_MUSIC_BYTES)}; "
                    "a shorter or compressed piece will do (an intro or outro up to 2 min, a bed up to 5 min)", role,
                )  # fmt: skip
            out.write(chunk)
    if not seen:
        raise ApiError(400, f"{role}: '{safe_source(upload.filename)}' is empty", role)


async def _music(form: Any, settings: WebSettings) -> tuple[tuple[str, str, str], ...]:
    """The uploaded intro, bed and outro, each stored in a private folder under output_dir/uploads (removed with
    discard_uploads when the request is answered; a queued render keeps its own copy)."""
    uploads = [(role, form.get(role)) for role in MUSIC_ROLES if form.get(role) not in (None, "")]
    if not uploads:
        return ()
    for role, value in uploads:
        if not isinstance(value, UploadFile):
            raise ApiError(422, f"{role}: send the music as a file upload", role)
    root = settings.output_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="music-", dir=root))
    try:
        out = []
        for role, value in uploads:
            await _store_upload(value, folder, role)
            out.append((role, str(folder / role), safe_source(value.filename)))
        return tuple(out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def discard_uploads(request: RenderRequest | None) -> None:
    """Remove the folder a request's uploaded music was stored in."""
    if request is not None and request.music:
        shutil.rmtree(Path(request.music[0][1]).parent, ignore_errors=True)


async def read_render_request(request: Request, settings: WebSettings, *, music: bool = False) -> RenderRequest:
    """JSON or a multipart/urlencoded form (the script may be an uploaded file) -> RenderRequest. With `music`,
    a multipart form may also upload an intro, a bed and an outro (then call discard_uploads when done)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = settings.max_script_bytes
    if kind == "application/json":
        raw = await request.body()
        try:
            body = RenderInput.model_validate_json(raw)
        except ValidationError as exc:
            loc = exc.errors()[0].get("loc") or ("",)
            raise ApiError(422, _first_error(exc), str(loc[0]) if loc[0] in _INPUTS else None) from None
        data = body.script.encode("utf-8")
        _check_size(data, limit, "script", "script")
        voices = settings.default_voices if body.voices is None else body.voices
        _check_size(voices.encode("utf-8"), MAX_VOICES_BYTES, "voices.yaml", "voices")
        return RenderRequest(
            script_text(data), voices, body.chapters, _choices(body.speakers),
            engines=_choices(body.engines, "engines", "engine"), same_as=_choices(body.same_as, "same_as", "speaker"),
            edits=_edits(body.edits), duck_db=body.duck_db, channels=body.channels,
        )  # fmt: skip
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        size = settings.max_body_bytes
        try:
            form = await request.form(max_files=5, max_fields=24, max_part_size=size)
        except TypeError:  # Starlette before 0.40 has no part size limit (the body limit still holds)
            form = await request.form(max_files=5, max_fields=24)
        texts: dict[str, bytes] = {}
        source = "script"
        keys = ("script", "voices", "chapters", "speakers", "engines", "same_as", "edits", "duck_db", "channels")
        for key in keys:
            value = form.get(key)
            if isinstance(value, UploadFile):
                texts[key] = await value.read(size + 1)
                if key == "script":
                    source = safe_source(value.filename)
            elif value is not None:
                texts[key] = value.encode("utf-8")
        if "script" not in texts:
            raise ApiError(422, "script: give the transcript as text or a file", "script")
        _check_size(texts["script"], limit, "script", "script")
        script = script_text(texts["script"], source)
        if "voices" in texts:
            _check_size(texts["voices"], MAX_VOICES_BYTES, "voices.yaml", "voices")
            try:
                voices = texts["voices"].decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ApiError(400, "voices.yaml: is not UTF-8 text", "voices") from None
        else:
            voices = settings.default_voices
        chapters = texts.get("chapters", b"").decode("utf-8", "replace").strip() or None
        if chapters is not None and chapters not in CHAPTER_POLICIES:
            raise ApiError(422, f"chapters must be one of {', '.join(CHAPTER_POLICIES)}, not '{chapters[:40]}'")
        speakers: Any = None
        if texts.get("speakers", b"").strip():
            try:
                speakers = json.loads(texts["speakers"])
            except ValueError:
                raise ApiError(422, 'speakers must be JSON: {"speaker": "voice"}', "speakers") from None
        duck_db = _number(texts, "duck_db", 0, 60)
        channels = _number(texts, "channels", 1, 2)
        if channels is not None and channels not in (1, 2):
            raise ApiError(422, "channels must be 1 (mono) or 2 (stereo)", "channels")
        return RenderRequest(
            script, voices, chapters, _choices(speakers), source,
            engines=_choices(_json_field(texts, "engines"), "engines", "engine"),
            same_as=_choices(_json_field(texts, "same_as"), "same_as", "speaker"),
            edits=_edits(_json_field(texts, "edits")), duck_db=duck_db,
            channels=None if channels is None else int(channels),
            music=await _music(form, settings) if music else (),
        )  # fmt: skip
    raise ApiError(415, "send JSON (application/json) or a form (multipart/form-data)")


def _field(exc: PodrenderError) -> str | None:
    if isinstance(exc, PickerError):
        return "speakers"
    if isinstance(exc, ScriptError):
        return "script"
    if isinstance(exc, ConfigError):
        return "voices"
    return None




async def read_preview_request(request: Request, settings: WebSettings) -> PreviewRequest:
    """POST /api/preview: JSON {speaker and/or turn, script, voices?, speakers?, engines?, same_as?, edits?} or
    {voice, text, voices?, engine?}; or a form with the fields of a render request (the script may be a file)
    and `speaker` and/or `turn`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        base = await read_render_request(request, settings)
        form = await request.form()
        speaker, turn_field = form.get("speaker"), form.get("turn")
        name = speaker.strip()[:100] if isinstance(speaker, str) and speaker.strip() else None
        turn = _turn(turn_field.strip() if isinstance(turn_field, str) and turn_field.strip() else None)
        if name is None and turn is None:
            raise ApiError(422, "speaker: name the speaker (or the turn) to hear", "speaker")
        return PreviewRequest(
            base.script, name, base.voices, base.speakers, base.engines, base.same_as, base.edits, turn
        )
    if kind != "application/json":
        raise ApiError(415, "send JSON (application/json) or a form (multipart/form-data)")
    raw = await request.body()
    try:
        body = PreviewInput.model_validate_json(raw)
    except ValidationError as exc:
        loc = exc.errors()[0].get("loc") or ("",)
        raise ApiError(422, _first_error(exc), "turn" if loc[0] == "turn" else None) from None
    voices = settings.default_voices if body.voices is None else body.voices
    _check_size(voices.encode("utf-8"), MAX_VOICES_BYTES, "voices.yaml", "voices")
    by_script = body.speaker is not None or body.turn is not None
    if by_script and body.script is not None and body.voice is None and body.text is None:
        data = body.script.encode("utf-8")
        _check_size(data, settings.max_script_bytes, "script", "script")
        return PreviewRequest(
            script_text(data), None if body.speaker is None else body.speaker.strip()[:100], voices,
            _choices(body.speakers), _choices(body.engines, "engines", "engine"),
            _choices(body.same_as, "same_as", "speaker"), _edits(body.edits), body.turn,
        )  # fmt: skip
    if body.voice is not None and body.text is not None and not by_script and body.script is None:
        text = " ".join(body.text.split())
        if not text:
            raise ApiError(400, "text: there is nothing to say", "text")
        if len(text) > MAX_PREVIEW_CHARS or len(body.voice) > 100:
            raise ApiError(422, f"text: at most {MAX_PREVIEW_CHARS} characters; voice: at most 100", "text")
        if body.edits:
            raise ApiError(422, "edits go with {speaker or turn, script}, not with {voice, text}")
        return PreviewRequest(voices=voices, voice=body.voice.strip(), engine=body.engine, text=text)
    raise ApiError(422, "send either {speaker, script} or {voice, text} (or {turn, script} for one turn)")


def _turn(value: str | None) -> int | None:
    """A form's `turn` field: a turn index from 0, else a one-line 422."""
    if value is None:
        return None
    if not value.isdigit() or len(value) > 9:
        raise ApiError(422, f"turn must be a turn index from 0, not '{value[:20]}'", "turn")
    return int(value)
