"""The FastAPI application behind `podrender serve`: the page, and a JSON API over the library.

Handlers are thin: they read a request into a `RenderRequest`, call the same code as
`podrender inspect` (`prepare` + `cast_sheet`), or hand the request to a `JobQueue`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podrender import __version__
from podrender.config import CHAPTER_POLICIES, parse_config
from podrender.errors import ConfigError, PodrenderError, ScriptError
from podrender.web.jobs import (
    JobQueue,
    JobStatus,
    LocalProcessQueue,
    PickerError,
    QueueFull,
    RenderRequest,
    catalog_for,
    check_request,
    safe_source,
    script_text,
)

STATIC = Path(__file__).parent / "static"
MAX_SCRIPT_BYTES = 2 * 1024 * 1024
MAX_VOICES_BYTES = 256 * 1024
#: Room in a request body for the fields beside the script (voices.yaml, choices, multipart framing).
BODY_SLACK = MAX_VOICES_BYTES + 64 * 1024
MAX_SPEAKER_CHOICES = 100
#: The common espeak-ng variants offered in the pickers for every English voice.
PICKER_VARIANTS = ("f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m6", "m7")
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
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
    created: float
    started: float | None
    finished: float | None
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


class DefaultsOut(BaseModel):
    voices: str = Field(description="The server's default voices.yaml text (./voices.yaml where it runs, else empty).")
    chapters: list[str]
    max_script_bytes: int


_SCRIPT_FIELDS = {
    "voices": {"type": "string", "description": "voices.yaml text (or a file)."},
    "chapters": {"type": "string", "enum": list(CHAPTER_POLICIES)},
    "speakers": {"type": "string", "description": 'JSON object {"speaker": "voice"}.'},
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


def _choices(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    try:
        choices = TypeAdapter(dict[str, str]).validate_python(value)
    except ValidationError:
        raise ApiError(422, 'speakers must be an object {"speaker": "voice"}', "speakers") from None
    if len(choices) > MAX_SPEAKER_CHOICES:
        raise ApiError(422, f"speakers: at most {MAX_SPEAKER_CHOICES} voice choices", "speakers")
    out = []
    for name, voice in choices.items():
        if not name.strip() or len(name) > 100 or not voice.strip() or len(voice) > 100:
            raise ApiError(
                422, f"speakers: '{name[:40]}' needs a name and a voice of at most 100 characters", "speakers"
            )
        out.append((name.strip(), voice.strip()))
    return tuple(out)


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
        return RenderRequest(script_text(data), voices, body.chapters, _choices(body.speakers))
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        size = settings.max_body_bytes
        try:
            form = await request.form(max_files=2, max_fields=10, max_part_size=size)
        except TypeError:  # Starlette before 0.40 has no part size limit (the body limit still holds)
            form = await request.form(max_files=2, max_fields=10)
        texts: dict[str, bytes] = {}
        source = "script"
        for key in ("script", "voices", "chapters", "speakers"):
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
        return RenderRequest(script, voices, chapters, _choices(speakers), source)
    raise ApiError(415, "send JSON (application/json) or a form (multipart/form-data)")


def _field(exc: PodrenderError) -> str | None:
    if isinstance(exc, PickerError):
        return "speakers"
    if isinstance(exc, ScriptError):
        return "script"
    if isinstance(exc, ConfigError):
        return "voices"
    return None


# --- responses ------------------------------------------------------------------------------


def render_json(state: JobStatus) -> dict[str, Any]:
    base = f"/api/renders/{state.id}"
    links = {"self": base}
    if state.status == "done":
        links.update(episode=f"{base}/episode.mp3", manifest=f"{base}/manifest.json")
    return {
        "id": state.id,
        "status": state.status,
        "progress": {"done": state.done, "total": state.total},
        "title": state.title,
        "chapters": [{"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in state.chapters],
        "error": state.error,
        "duration_ms": state.duration_ms,
        "created": state.created,
        "started": state.started,
        "finished": state.finished,
        "links": links,
    }


class _Unsatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """`bytes=a-b`, `bytes=a-` or `bytes=-n` -> (first, last) inclusive. None means ignore the header
    (malformed, another unit, or several ranges: the whole file is sent). _Unsatisfiable for 416."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == "") or first == last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise _Unsatisfiable
    return start, min(end, size - 1)


def _file_chunks(path: Path, start: int, length: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(start)
        while length > 0:
            data = f.read(min(chunk, length))
            if not data:
                break
            length -= len(data)
            yield data


def ranged_file(request: Request, path: Path, *, media_type: str, filename: str) -> Response:
    """A file with HTTP Range support (206 / 416), so players can seek, sent as an attachment."""
    st = path.stat()
    size = st.st_size
    etag = f'"{st.st_mtime_ns:x}-{size:x}"'
    modified = formatdate(st.st_mtime, usegmt=True)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": modified,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
    }
    start, length, status = 0, size, 200
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if wanted and (if_range is None or if_range.strip() in (etag, modified)):
        try:
            span = parse_range(wanted, size)
        except _Unsatisfiable:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        if span is not None:
            start, length, status = span[0], span[1] - span[0] + 1, 206
            headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    return StreamingResponse(
        _file_chunks(path, start, length), status_code=status, headers=headers, media_type=media_type
    )


def voice_choices(voices: list[dict[str, Any]], variants: list[str]) -> list[str]:
    """English voices, each bare and with the common variants; then every other voice, bare."""
    offered = [v for v in PICKER_VARIANTS if v in variants]
    english = [v["id"] for v in voices if any(lang.lower().startswith("en") for lang in v["languages"])]
    out: list[str] = []
    for vid in english:
        out.append(vid)
        out.extend(f"{vid}+{variant}" for variant in offered)
    out.extend(v["id"] for v in voices if v["id"] not in english)
    return out


# --- the application ------------------------------------------------------------------------


def _default_voices() -> str:
    path = Path("voices.yaml")
    try:
        return path.read_bytes().decode("utf-8-sig") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return ""


def _default_engine(voices: str) -> str:
    try:
        return parse_config(voices, allow_files=False).engine
    except ConfigError:
        return "pyttsx3"


def create_app(
    output_dir: Path = Path("output"),
    *,
    cache_dir: Path | None = None,
    queue: JobQueue | None = None,
    default_voices: str | None = None,
    workers: int = 1,
    max_queued: int = 8,
    time_limit: float = 15 * 60,
    max_script_bytes: int = MAX_SCRIPT_BYTES,
    jobs: int | None = None,
) -> FastAPI:
    """The web app. Renders are kept under `<output_dir>/renders/<id>/`; `queue` replaces the
    local process queue (then `cache_dir`, `workers`, `max_queued`, `time_limit`, `jobs` are unused)."""
    settings = WebSettings(
        output_dir=output_dir,
        default_voices=_default_voices() if default_voices is None else default_voices,
        max_script_bytes=max_script_bytes,
    )
    jobs_queue = queue or LocalProcessQueue(
        output_dir, cache_dir=cache_dir, workers=workers, max_queued=max_queued, time_limit=time_limit, jobs=jobs
    )
    default_engine = _default_engine(settings.default_voices)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # List the default engine's voices now, in the background, so the first inspect is quick.
        threading.Thread(target=_warm, args=(default_engine,), daemon=True).start()
        yield
        jobs_queue.close()

    app = FastAPI(
        title="podrender",
        version=__version__,
        summary="Turn a transcript into a chaptered MP3 podcast episode.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load their scripts from a CDN; the app serves nothing it does not ship.
        docs_url=None,
        redoc_url=None,
    )
    app.state.queue = jobs_queue
    app.state.settings = settings
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        message=f"the request is too large; scripts up to {human_size(max_script_bytes)} are accepted",
    )

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "field": exc.field}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(PodrenderError)
    async def podrender_error(_: Request, exc: PodrenderError) -> JSONResponse:
        field = _field(exc)
        return JSONResponse({"error": str(exc), "field": field}, status_code=400 if field else 500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail), "field": None}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        message = str(errors[0].get("msg")) if errors else "invalid request"
        return JSONResponse({"error": message, "field": None}, status_code=422)

    def not_found() -> ApiError:
        return ApiError(404, "no render with this id")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        headers = {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff"}
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=headers)

    @app.post("/api/inspect", tags=["podrender"], openapi_extra=REQUEST_BODY, responses=ERRORS)
    async def inspect(request: Request) -> dict[str, Any]:
        """The cast sheet, as `podrender inspect --json` prints it: speakers and voices, turns,
        chapters, skipped lines, warnings. No audio is made."""
        from podrender.output.castsheet import cast_sheet

        req = await read_render_request(request, settings)
        prepared = await run_in_threadpool(check_request, req)
        return cast_sheet(prepared)

    @app.post(
        "/api/renders", tags=["podrender"], status_code=202, openapi_extra=REQUEST_BODY, response_model=RenderOut,
        responses={**ERRORS, 429: {"model": ErrorOut, "description": "The queue is full; see Retry-After."}},
    )  # fmt: skip
    async def start_render(request: Request) -> JSONResponse:
        """Check the request like inspect does, then queue a render. Answers 202 with the render's
        status (`id`, `links.self` to poll)."""
        req = await read_render_request(request, settings)
        prepared = await run_in_threadpool(check_request, req)
        if not prepared.plan.units:
            raise ApiError(400, str(ScriptError("has nothing to say", path=req.source)), "script")
        try:
            job_id = await run_in_threadpool(jobs_queue.submit, req)
        except QueueFull as exc:
            raise ApiError(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
        state = jobs_queue.status(job_id)
        assert state is not None
        return JSONResponse(render_json(state), status_code=202, headers={"Location": f"/api/renders/{job_id}"})

    @app.get("/api/renders", tags=["podrender"], response_model=RenderList)
    async def list_renders() -> dict[str, Any]:
        """The 50 most recent renders, newest first."""
        return {"renders": [render_json(s) for s in jobs_queue.jobs(50)]}

    @app.get(
        "/api/renders/{render_id}", tags=["podrender"], response_model=RenderOut, responses={404: {"model": ErrorOut}}
    )
    async def render_status(render_id: str) -> dict[str, Any]:
        """A render's status and progress (units done of total); when done its chapters and links."""
        state = jobs_queue.status(render_id)
        if state is None:
            raise not_found()
        return render_json(state)

    @app.head("/api/renders/{render_id}/episode.mp3", include_in_schema=False)
    @app.get(
        "/api/renders/{render_id}/episode.mp3", tags=["podrender"], response_class=Response, responses=EPISODE_RESPONSES
    )
    async def episode(render_id: str, request: Request) -> Response:
        """The episode MP3, as an attachment named after the title; supports Range requests."""
        found = jobs_queue.files(render_id)
        if found is None:
            raise not_found()
        return ranged_file(request, found.episode, media_type="audio/mpeg", filename=found.download_name)

    @app.get("/api/renders/{render_id}/manifest.json", tags=["podrender"], responses={404: {"model": ErrorOut}})
    async def manifest(render_id: str) -> FileResponse:
        """The render's manifest (docs/output-files.md)."""
        found = jobs_queue.files(render_id)
        if found is None:
            raise not_found()
        return FileResponse(found.manifest, media_type="application/json")

    @app.get("/api/voices", tags=["podrender"], response_model=VoicesOut, responses={400: {"model": ErrorOut}})
    async def voices(engine: str | None = None) -> dict[str, Any]:
        """The voices an engine offers (default: the engine of the server's voices.yaml)."""
        try:
            catalog = await run_in_threadpool(catalog_for, engine or default_engine)
        except ConfigError as exc:
            raise ApiError(400, str(exc), "voices") from None
        except PodrenderError as exc:
            raise ApiError(500, str(exc)) from None
        rows = [
            {"id": v.id, "name": v.name, "languages": list(v.languages), "gender": v.gender} for v in catalog.voices
        ]
        return {
            "engine": catalog.engine,
            "voices": rows,
            "variants": list(catalog.variants),
            "choices": voice_choices(rows, list(catalog.variants)),
        }

    @app.get("/api/defaults", tags=["podrender"], response_model=DefaultsOut)
    async def defaults() -> dict[str, Any]:
        """What the page starts with: the server's voices.yaml and the limits."""
        return {
            "voices": settings.default_voices,
            "chapters": list(CHAPTER_POLICIES),
            "max_script_bytes": settings.max_script_bytes,
        }

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _warm(engine: str) -> None:
    try:
        catalog_for(engine)
    except Exception:  # noqa: BLE001 - the first request that needs the voices reports it
        pass
