"""Reading a request: the body limit (ASGI middleware), JSON or multipart into a RenderRequest."""

from __future__ import annotations

import json
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

    def __init__(self, app: ASGIApp, max_bytes: int, message: str = "the request is too large") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
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
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {"error": self.message, "field": "script"}
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


async def read_render_request(request: Request, settings: WebSettings) -> RenderRequest:
    """JSON or a multipart/urlencoded form (the script may be an uploaded file) -> RenderRequest."""
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
            edits=_edits(body.edits),
        )  # fmt: skip
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        size = settings.max_body_bytes
        try:
            form = await request.form(max_files=2, max_fields=16, max_part_size=size)
        except TypeError:  # Starlette before 0.40 has no part size limit (the body limit still holds)
            form = await request.form(max_files=2, max_fields=16)
        texts: dict[str, bytes] = {}
        source = "script"
        for key in ("script", "voices", "chapters", "speakers", "engines", "same_as", "edits"):
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
        return RenderRequest(
            script, voices, chapters, _choices(speakers), source,
            engines=_choices(_json_field(texts, "engines"), "engines", "engine"),
            same_as=_choices(_json_field(texts, "same_as"), "same_as", "speaker"),
            edits=_edits(_json_field(texts, "edits")),
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
    """POST /api/preview: JSON {speaker, script, voices?, speakers?, engines?, same_as?} or {voice, text,
    voices?, engine?}; or a form with the fields of a render request (the script may be a file) and `speaker`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        base = await read_render_request(request, settings)
        speaker = (await request.form()).get("speaker")
        if not isinstance(speaker, str) or not speaker.strip():
            raise ApiError(422, "speaker: name the speaker to hear", "speaker")
        return PreviewRequest(
            base.script, speaker.strip()[:100], base.voices, base.speakers, base.engines, base.same_as
        )
    if kind != "application/json":
        raise ApiError(415, "send JSON (application/json) or a form (multipart/form-data)")
    raw = await request.body()
    try:
        body = PreviewInput.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError(422, _first_error(exc)) from None
    voices = settings.default_voices if body.voices is None else body.voices
    _check_size(voices.encode("utf-8"), MAX_VOICES_BYTES, "voices.yaml", "voices")
    if body.speaker is not None and body.script is not None and body.voice is None and body.text is None:
        data = body.script.encode("utf-8")
        _check_size(data, settings.max_script_bytes, "script", "script")
        return PreviewRequest(
            script_text(data), body.speaker.strip()[:100], voices, _choices(body.speakers),
            _choices(body.engines, "engines", "engine"), _choices(body.same_as, "same_as", "speaker"),
        )  # fmt: skip
    if body.voice is not None and body.text is not None and body.speaker is None and body.script is None:
        text = " ".join(body.text.split())
        if not text:
            raise ApiError(400, "text: there is nothing to say", "text")
        if len(text) > MAX_PREVIEW_CHARS or len(body.voice) > 100:
            raise ApiError(422, f"text: at most {MAX_PREVIEW_CHARS} characters; voice: at most 100", "text")
        return PreviewRequest(voices=voices, voice=body.voice.strip(), engine=body.engine, text=text)
    raise ApiError(422, "send either {speaker, script} or {voice, text}")
