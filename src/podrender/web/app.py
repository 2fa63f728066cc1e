"""The FastAPI application behind `podrender serve`: the page, and a JSON API over the library.

Handlers are thin: they read a request into a `RenderRequest`, call the same code as
`podrender inspect` (`prepare` + `cast_sheet`), or hand the request to a `JobQueue`.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from podrender import CHAPTER_POLICIES, ConfigError, PodrenderError, ScriptError, __version__, parse_config
from podrender.web.jobs import (
    JobQueue,
    JobStatus,
    LocalProcessQueue,
    QueueFull,
    catalog_for,
)
from podrender.web.models import (
    EPISODE_RESPONSES,
    ERRORS,
    MAX_MUSIC_BYTES,
    MAX_SCRIPT_BYTES,
    PAGE_POLICY,
    PICKER_VARIANTS,
    REQUEST_BODY,
    STATIC,
    ApiError,
    DefaultsOut,
    EnginesOut,
    ErrorOut,
    PreviewInput,
    RenderList,
    RenderOut,
    VoicesOut,
    WebSettings,
)
from podrender.web.preview import PreviewCache
from podrender.web.ranges import ranged_file
from podrender.web.reading import (
    BodyLimit,
    _field,
    discard_uploads,
    human_size,
    read_preview_request,
    read_render_request,
)
from podrender.web.security import LOCAL_HOSTS, Security  # noqa: F401 - LOCAL_HOSTS: the default of `serve`
from podrender.web.server import run as run_server  # noqa: F401 - `podrender serve` runs the app with it
from podrender.web.work import ClientGone, run_work, stop_all

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
        "units": None if state.made is None else {"made": state.made, "reused": state.reused or 0},
        "mix": state.mix,
        "created": state.created,
        "started": state.started,
        "finished": state.finished,
        "links": links,
    }


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


def engine_rows(default: str) -> list[dict[str, Any]]:
    """Every registered engine: its name, whether it can be used here, else what to install. The
    test engines (fake, ...) only when they are the `default`."""
    from podrender import engine_names, get_engine

    rows = []
    for name in engine_names():
        if name in ("fake", "faulty") and name != default:
            continue
        try:
            missing = get_engine(name).missing()
        except Exception as exc:  # noqa: BLE001 - an engine that cannot even be made is not available
            missing = str(exc)
        rows.append({"name": name, "available": not missing, "missing": missing or None})
    return rows


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
    allowed_hosts: Collection[str] = LOCAL_HOSTS,
    render_queue: str | None = None,
) -> FastAPI:
    """The web app. Renders are kept under `<output_dir>/renders/<id>/`; `queue` replaces the
    local process queue (then `cache_dir`, `workers`, `max_queued`, `time_limit`, `jobs` are unused).
    `allowed_hosts`: the Host names answered ("*" for any); others get 400 (DNS rebinding).
    `render_queue`: a Redis URL; each render then has `podrender worker`s on it make its turns."""
    settings = WebSettings(
        output_dir=output_dir,
        default_voices=_default_voices() if default_voices is None else default_voices,
        max_script_bytes=max_script_bytes,
    )
    jobs_queue = queue or LocalProcessQueue(
        output_dir, cache_dir=cache_dir, workers=workers, max_queued=max_queued, time_limit=time_limit, jobs=jobs,
        render_queue=render_queue,
    )  # fmt: skip
    default_engine = _default_engine(settings.default_voices)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # List the default engine's voices now, in the background, so the first inspect is quick.
        threading.Thread(target=_warm, args=(default_engine,), daemon=True).start()
        yield
        stop_all()
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
    previews = PreviewCache()
    app.state.previews = previews
    app.state.settings = settings
    # Renders' multipart forms may carry music: their limit is three files larger (each file is then
    # held to MAX_MUSIC_BYTES as it is read, the script to max_script_bytes).
    shutil.rmtree(output_dir / "uploads", ignore_errors=True)  # left by a server that was killed
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        message=f"the request is too large; scripts up to {human_size(max_script_bytes)} are accepted",
        uploads=("/api/renders", settings.max_upload_body_bytes,
                 f"the request is too large; a script up to {human_size(max_script_bytes)} and music files "
                 f"up to {human_size(MAX_MUSIC_BYTES)} each are accepted"),
    )  # fmt: skip
    app.add_middleware(Security, allowed_hosts=allowed_hosts)
    app.state.allowed_hosts = tuple(allowed_hosts)  # outermost: before the body is read

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
    async def inspect(request: Request, spoken: bool = False) -> Any:
        """The cast sheet, as `podrender inspect --json` prints it: speakers and voices, turns,
        chapters, skipped lines, warnings. No audio is made. With `?spoken=true` it also holds
        `spoken`: `podrender inspect --spoken --json`'s turns (what each voice will be asked to say)."""
        req = await read_render_request(request, settings)
        try:
            sheet: dict[str, Any] = await run_work(request, "inspect-spoken" if spoken else "inspect", req)
        except ClientGone:
            return Response(status_code=499)  # nobody to answer; the work was stopped
        return sheet

    @app.post(
        "/api/renders", tags=["podrender"], status_code=202, openapi_extra=REQUEST_BODY, response_model=RenderOut,
        responses={**ERRORS, 429: {"model": ErrorOut, "description": "The queue is full; see Retry-After."}},
    )  # fmt: skip
    async def start_render(request: Request) -> Response:
        """Check the request like inspect does, then queue a render. Answers 202 with the render's
        status (`id`, `links.self` to poll)."""
        req = await read_render_request(request, settings, music=True)
        try:  # uploaded music is checked with the script (one line if it cannot serve), copied into the job
            try:
                checked = await run_work(request, "check", req)
            except ClientGone:
                return Response(status_code=499)
            except ConfigError as exc:
                role = next((r for r, _, _ in req.music if exc.path is None and exc.detail.startswith(f"{r}:")), None)
                if role is None:
                    raise
                raise ApiError(400, exc.detail, role) from None
            if not checked["units"]:
                raise ApiError(400, str(ScriptError("has nothing to say", path=req.source)), "script")
            try:
                job_id = await run_in_threadpool(jobs_queue.submit, req, request.state.owner)
            except QueueFull as exc:
                raise ApiError(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
        finally:
            discard_uploads(req)
        state = jobs_queue.status(job_id)
        assert state is not None
        return JSONResponse(render_json(state), status_code=202, headers={"Location": f"/api/renders/{job_id}"})

    @app.post(
        "/api/preview", tags=["podrender"], response_class=Response,
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": PreviewInput.model_json_schema()}}}},
        responses={200: {"content": {"audio/mpeg": {}}, "description": "The line, as MP3"}, **ERRORS},
    )  # fmt: skip
    async def preview(request: Request) -> Response:
        """A short MP3 of `speaker`'s first line in `script` (with the page's voice choices), in the voice
        a render gives them; or of `text` in `voice`. Answers are cached (X-Preview-Cache: hit|miss)."""
        req = await read_preview_request(request, settings)
        key = req.key()
        found = previews.get(key)
        if found is None:
            try:
                found = await run_work(request, "preview", req)
            except ClientGone:
                return Response(status_code=499)
            except ConfigError as exc:
                if exc.detail.startswith("no speaker"):
                    raise ApiError(400, str(exc), "speaker") from None
                raise
            assert isinstance(found, bytes)
            previews.put(key, found)
            state = "miss"
        else:
            state = "hit"
        headers = {"X-Preview-Cache": state, "Cache-Control": "private, max-age=3600"}
        return Response(found, media_type="audio/mpeg", headers=headers)

    @app.get("/api/engines", tags=["podrender"], response_model=EnginesOut)
    async def engines() -> dict[str, Any]:
        """The engines podrender knows, whether each can be used here, and if not the command that adds it."""
        return {"default": default_engine, "engines": await run_in_threadpool(engine_rows, default_engine)}

    @app.get("/api/renders", tags=["podrender"], response_model=RenderList)
    async def list_renders(request: Request) -> dict[str, Any]:
        """Your 50 most recent renders, newest first: those made with this session's cookie (the page's).
        Anyone else's render is reached only by its unguessable id."""
        return {"renders": [render_json(s) for s in jobs_queue.jobs(50, owner=request.state.owner)]}

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
