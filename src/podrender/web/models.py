"""What the API documents (OpenAPI): request and response models, and the shared settings and error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from podrender import CHAPTER_POLICIES

STATIC = Path(__file__).parent / "static"
MAX_SCRIPT_BYTES = 2 * 1024 * 1024
MAX_VOICES_BYTES = 256 * 1024
#: Room in a request body for the fields beside the script (voices.yaml, choices, multipart framing).
BODY_SLACK = MAX_VOICES_BYTES + 64 * 1024
#: The largest intro, bed or outro the page may upload (a 2-minute WAV at 44.1 kHz stereo is 21 MB; compressed
#: music is a tenth of that). POST /api/renders' body limit grows by three of these for a multipart form.
MAX_MUSIC_BYTES = 20 * 1024 * 1024
MAX_SPEAKER_CHOICES = 100
MAX_EDITS = 500
#: The longest text POST /api/preview says in a given voice.
MAX_PREVIEW_CHARS = 500
#: The common espeak-ng variants offered in the pickers for every English voice.
PICKER_VARIANTS = ("f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m6", "m7")
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class WebSettings:
    output_dir: Path
    default_voices: str
    max_script_bytes: int

    @property
    def max_body_bytes(self) -> int:
        return self.max_script_bytes + BODY_SLACK

    @property
    def max_upload_body_bytes(self) -> int:
        """The body limit of a render's multipart form, which may carry an intro, a bed and an outro."""
        return self.max_body_bytes + 3 * MAX_MUSIC_BYTES


class ApiError(Exception):
    """Answered as `{"error": message, "field": field}` with `status`."""

    def __init__(
        self, status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers


# --- what the API documents (OpenAPI) -------------------------------------------------------


class RenderInput(BaseModel):
    """The JSON body of POST /api/inspect and POST /api/renders."""

    model_config = ConfigDict(extra="forbid")

    script: str = Field(description="The transcript text (never a path).")
    voices: str | None = Field(
        None,
        description="voices.yaml text; omitted means the server's default voices.yaml. `episode.cover` is refused.",
    )
    chapters: Literal["host", "turn", "marker", "none"] | None = Field(None, description="Chapter policy.")
    speakers: dict[str, str] | None = Field(
        None, description="Voice choices from the pickers, {speaker: voice}, merged over voices.yaml."
    )
    engines: dict[str, str] | None = Field(
        None, description="Engine choices, {speaker: engine}: that speaker's voice in `speakers` is the engine's."
    )
    same_as: dict[str, str] | None = Field(
        None, description='"Same as" choices, {label: speaker}: the label is another name of that speaker.'
    )
    edits: dict[str, str] | None = Field(
        None, description="Edited turns, {turn index: new text} (indexes as in the cast sheet's turns)."
    )
    duck_db: float | None = Field(
        None, ge=0, le=60, description="How far the bed drops under speech, dB (music is uploaded in a form)."
    )
    channels: Literal[1, 2] | None = Field(None, description="1 (mono) or 2 (stereo); default: voices.yaml's.")


class PreviewInput(BaseModel):
    """The JSON body of POST /api/preview: a speaker of a script, or a voice and a text."""

    model_config = ConfigDict(extra="forbid")

    speaker: str | None = Field(None, description="Whose first line to say (with `script`).")
    turn: int | None = Field(
        None, ge=0, description="Say this turn of `script` (index as in the cast sheet's turns) instead."
    )
    script: str | None = Field(None, description="The transcript the speaker is in.")
    voices: str | None = Field(None, description="voices.yaml text; omitted means the server's.")
    speakers: dict[str, str] | None = Field(None, description="As in POST /api/inspect.")
    engines: dict[str, str] | None = Field(None, description="As in POST /api/inspect.")
    same_as: dict[str, str] | None = Field(None, description="As in POST /api/inspect.")
    edits: dict[str, str] | None = Field(None, description="As in POST /api/inspect: the preview says them.")
    voice: str | None = Field(None, description="A voice id to say `text` in (instead of speaker and script).")
    engine: str | None = Field(None, description="The engine of `voice` (default: voices.yaml's).")
    text: str | None = Field(None, description="What to say in `voice`, up to 500 characters.")


class ErrorOut(BaseModel):
    error: str = Field(description="One line, for people.")
    field: str | None = Field(None, description="The input at fault: script, voices or speakers.")


class ProgressOut(BaseModel):
    done: int
    total: int


class ChapterOut(BaseModel):
    title: str
    start_ms: int
    end_ms: int


class RenderOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: ProgressOut
    title: str | None
    chapters: list[ChapterOut]
    error: str | None
    duration_ms: int | None
    units: dict[str, int] | None = Field(
        None, description="When done: units `made` by this render and `reused` from the shared chunk cache."
    )
    created: float
    started: float | None
    finished: float | None
    mix: dict[str, Any] | None = Field(
        None, description="When done and mixed: the manifest's `mix` (music files, duck_db, stereo seats, gain)."
    )
    links: dict[str, str] = Field(description="self; when done also episode (MP3) and manifest (JSON).")


class RenderList(BaseModel):
    renders: list[RenderOut]


class VoiceOut(BaseModel):
    id: str
    name: str
    languages: list[str]
    gender: str | None


class VoicesOut(BaseModel):
    engine: str
    voices: list[VoiceOut]
    variants: list[str]
    choices: list[str] = Field(description="Ids offered in the page's pickers: English voices with common variants.")


class EngineOut(BaseModel):
    name: str
    available: bool
    missing: str | None = Field(None, description="When not available: what to install.")


class EnginesOut(BaseModel):
    default: str = Field(description="The engine of the server's voices.yaml.")
    engines: list[EngineOut]


class DefaultsOut(BaseModel):
    voices: str = Field(description="The server's default voices.yaml text (./voices.yaml where it runs, else empty).")
    chapters: list[str]
    max_script_bytes: int


_SCRIPT_FIELDS = {
    "voices": {"type": "string", "description": "voices.yaml text (or a file)."},
    "chapters": {"type": "string", "enum": list(CHAPTER_POLICIES)},
    "speakers": {"type": "string", "description": 'JSON object {"speaker": "voice"}.'},
    "engines": {"type": "string", "description": 'JSON object {"speaker": "engine"}.'},
    "same_as": {"type": "string", "description": 'JSON object {"label": "speaker"}.'},
    "edits": {"type": "string", "description": 'JSON object {"turn index": "new text"}.'},
    "duck_db": {"type": "number", "minimum": 0, "maximum": 60, "description": "How far the bed drops under speech."},
    "channels": {"type": "integer", "enum": [1, 2], "description": "1 (mono) or 2 (stereo)."},
}
_MUSIC_FIELDS = {
    role: {"type": "string", "format": "binary", "description": f"{what} (POST /api/renders only; up to 20 MB)."}
    for role, what in (
        ("intro", "Music played alone before the first turn"),
        ("bed", "Music looped under the talk, ducked under speech"),
        ("outro", "Music rising after the last turn"),
    )
}
REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RenderInput.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["script"],
                    "properties": {
                        "script": {"type": "string", "format": "binary", "description": "A transcript file or text."},
                        **_SCRIPT_FIELDS,
                        **_MUSIC_FIELDS,
                    },
                }
            },
        },
    }
}
EPISODE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/mpeg": {}}, "description": "The whole file"},
    206: {"content": {"audio/mpeg": {}}, "description": "The requested byte range"},
    404: {"model": ErrorOut, "description": "No finished render with this id"},
    416: {"description": "The range starts beyond the end of the file"},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A mistake in the script, voices.yaml or a chosen voice."},
    413: {"model": ErrorOut, "description": "The script or the request is too large."},
    415: {"model": ErrorOut, "description": "Neither JSON nor a form."},
    422: {"model": ErrorOut, "description": "The request's shape is wrong (missing script, wrong types)."},
}


