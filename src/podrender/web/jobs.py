"""Renders for the web page: what a request holds, how it is checked, and a bounded queue that
runs each render in its own process.

podrender's `render()` forks worker processes, and forking from a multi-threaded server is unsafe,
so every render runs in a fresh interpreter started with multiprocessing's "spawn" context. That
process calls `podrender.pipeline.render(...)` and reports progress by atomically rewriting
`status.json` in the job's folder; the server only reads it. Nothing here imports a web framework.

A job's folder, `<output-dir>/renders/<id>/`, holds `script.txt`, `voices.yaml`, `request.json`,
`status.json` and, when done, `episode.mp3` and its manifest `episode.json`.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import secrets
import shutil
import signal
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podrender import (
    Config,
    EngineError,
    PodrenderError,
    ScriptError,
    SpeakerConfig,
    VoiceError,
    atomic_write,
    decode_script,
    default_cache_dir,
    parse_config,
)

if TYPE_CHECKING:
    from podrender import Catalog, Prepared

#: Job ids are `secrets.token_urlsafe(16)`: 22 characters of A-Z a-z 0-9 - _.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
STATUSES = ("queued", "running", "done", "failed")
EPISODE = "episode.mp3"
MANIFEST = "episode.json"
STATUS = "status.json"
#: The message of a job that was queued or running when its server stopped.
STOPPED = "the server stopped before this render finished; render it again"


class PickerError(VoiceError):
    """A voice chosen in a speaker's picker on the page (not in voices.yaml) is unknown."""


class QueueFull(Exception):
    """No room for another render; try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RenderRequest:
    """What the page or an API client asks for. `script` is text, never a path."""

    script: str
    voices: str = ""
    """voices.yaml text; parsed with `allow_files=False`."""
    chapters: str | None = None
    """Chapter policy; None means voices.yaml's (else host)."""
    speakers: tuple[tuple[str, str], ...] = ()
    """(speaker, voice) choices from the page's pickers, merged over voices.yaml."""
    source: str = "script"
    """A label for messages and the default title (an uploaded file's name), never opened."""
    engines: tuple[tuple[str, str], ...] = ()
    """(speaker, engine) choices from the page: the speaker's voice is one of that engine's."""
    same_as: tuple[tuple[str, str], ...] = ()
    """(label, speaker): the label is another name of that speaker (an alias), with the same voice."""
    edits: tuple[tuple[int, str], ...] = ()
    """(turn index, new written text): turns edited on the page, applied after parsing."""
    music: tuple[tuple[str, str, str], ...] = ()
    """(role, path, name): uploaded music (intro, bed, outro), stored by the server under a name it chose;
    `name` is the upload's own, for messages and the manifest. Never a path the client gave."""
    duck_db: float | None = None
    """How far the bed drops under speech; None means voices.yaml's."""
    channels: int | None = None
    """1 or 2 (stereo); None means voices.yaml's."""


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class JobStatus:
    id: str
    status: str
    """queued | running | done | failed"""
    done: int = 0
    total: int = 0
    title: str | None = None
    chapters: tuple[Chapter, ...] = ()
    error: str | None = None
    duration_ms: int | None = None
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    owner: str = ""
    """Whose render this is (a digest of the page's session cookie); lists show a caller only theirs."""
    made: int | None = None
    """Units synthesized by this render (the rest came from the shared chunk cache); set when done."""
    reused: int | None = None
    """Units taken from the chunk cache; set when done."""
    mix: dict[str, Any] | None = None
    """The manifest's `mix` (music files, duck, stereo seats) when the episode was mixed; set when done."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobStatus:
        status = data.get("status")
        return cls(
            id=str(data["id"]),
            status=status if status in STATUSES else "failed",
            done=int(data.get("done") or 0),
            total=int(data.get("total") or 0),
            title=data.get("title"),
            chapters=tuple(
                Chapter(str(c["title"]), int(c["start_ms"]), int(c["end_ms"])) for c in data.get("chapters") or ()
            ),
            error=data.get("error"),
            duration_ms=data.get("duration_ms"),
            created=float(data.get("created") or 0.0),
            started=data.get("started"),
            finished=data.get("finished"),
            owner=str(data.get("owner") or ""),
            made=data.get("made"),
            reused=data.get("reused"),
            mix=data.get("mix") if isinstance(data.get("mix"), dict) else None,
        )


@dataclass(frozen=True)
class JobFiles:
    """A finished render's files, inside the output folder."""

    episode: Path
    manifest: Path
    download_name: str
    """`<slug-of-title>.mp3`"""


class JobQueue(ABC):
    """Where renders go. Handlers use only this interface, so a distributed queue can replace
    `LocalProcessQueue` without changing them."""

    @abstractmethod
    def submit(self, request: RenderRequest, owner: str = "") -> str:
        """Queue a checked request for `owner`; returns the job's id. Raises QueueFull when there is no room.
        The files of `request.music` are removed once this returns: a queue keeps its own copy."""

    @abstractmethod
    def status(self, job_id: str) -> JobStatus | None:
        """The job's state, or None for an unknown (or malformed) id."""

    @abstractmethod
    def files(self, job_id: str) -> JobFiles | None:
        """A finished job's episode and manifest, or None."""

    @abstractmethod
    def jobs(self, limit: int = 50, owner: str | None = None) -> list[JobStatus]:
        """The most recent jobs (of `owner` only, when given), newest first."""

    def close(self) -> None:
        """Stop running renders (they are marked failed) and release resources."""


# --- turning web input into podrender's objects ----------------------------------------------


def safe_source(filename: str | None) -> str:
    """A label from an uploaded file's name: its last path component, printable, short."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:100]
    return name if name and name not in (".", "..") else "script"


def script_text(data: bytes, source: str = "script") -> str:
    """Uploaded or pasted bytes -> transcript text (encodings, BOM, line endings), or ScriptError."""
    if not data.strip():
        raise ScriptError("is empty; paste a transcript or choose a file", path=source)
    text = decode_script(data, source)
    if not text.strip():
        raise ScriptError("has only whitespace", path=source)
    return text


def merge_speakers(
    config: Config,
    speakers: tuple[tuple[str, str], ...],
    engines: tuple[tuple[str, str], ...] = (),
    same_as: tuple[tuple[str, str], ...] = (),
) -> Config:
    """Apply the page's choices: a listed speaker gets the new voice (and engine), others are added;
    a "same as" label becomes an alias of its speaker (its own entry, if any, is dropped)."""
    if not (speakers or engines or same_as):
        return config
    aliases = config.aliases()
    entries = list(config.speakers)

    def at(name: str) -> int:
        canonical = aliases.get(name.casefold(), name)
        found = next((i for i, s in enumerate(entries) if s.name.casefold() == canonical.casefold()), None)
        if found is None:
            entries.append(SpeakerConfig(name=canonical))
            found = len(entries) - 1
        return found

    for label, speaker in same_as:
        entries = [e for e in entries if e.name.casefold() != label.casefold()]
        i = at(speaker)
        if label.casefold() not in (a.casefold() for a in entries[i].aliases):
            entries[i] = replace(entries[i], aliases=(*entries[i].aliases, label))
        aliases = {**aliases, label.casefold(): entries[i].name}
    engine_of = dict(engines)
    for name, voice in speakers:
        i = at(name)
        engine = engine_of.get(name)
        if engine is None:
            entries[i] = replace(entries[i], voice=voice, voice_line=0)
        else:  # another engine's voice: what only the old engine understood goes
            entries[i] = replace(
                entries[i], voice=voice, voice_line=0, engine=None if engine == config.engine else engine,
                engine_line=0, model=None, speaker_id=None, length_scale=None, rate=None, pitch=None,
            )  # fmt: skip
    return replace(config, speakers=tuple(entries))


def with_page_audio(config: Config, request: RenderRequest) -> Config:
    """The page's music uploads, duck and channels over voices.yaml's (through the public API, as the CLI's
    `--intro`, `--bed`, `--outro` and `--channels`)."""
    from podrender import with_audio_overrides, with_music

    paths = {role: path for role, path, _ in request.music}
    names = {role: name for role, _, name in request.music}
    config = with_music(
        config, paths.get("intro"), paths.get("bed"), paths.get("outro"), names=names, prefix=""
    )
    if request.duck_db is not None:
        config = replace(config, music=replace(config.music, duck_db=request.duck_db))
    if request.channels is not None:
        config = replace(config, audio=with_audio_overrides(config.audio, channels=request.channels))
    return config


def build_config(request: RenderRequest) -> Config:
    """voices.yaml text (no file may be named in it) with the page's choices merged in."""
    config = parse_config(request.voices, "voices.yaml", None, allow_files=False)
    return with_page_audio(merge_speakers(config, request.speakers, request.engines, request.same_as), request)


def check_request(request: RenderRequest, *, in_server: bool = True) -> Prepared:
    """Everything a render decides before making audio; raises the PodrenderError a render would.

    voices.yaml is read first (its mistakes name it), then the pickers' voices (PickerError), then
    the script is prepared with the merged voices, exactly as `podrender inspect` does. `in_server`:
    called in the threaded server (voices are listed in a spawned process), else in a single-threaded
    process, which may list them itself.
    """
    from podrender import check_music, prepare

    config = checked_config(request, in_server=in_server)
    edits = dict(request.edits)
    prepared = prepare(request.script, config, source=request.source, policy=request.chapters, edits=edits)
    if config.music.any:  # not audio, silent, too short or too long: refused before anything is queued
        check_music(config.music, prepared.plan.audio)
    return prepared


def checked_config(request: RenderRequest, *, in_server: bool = True) -> Config:
    """voices.yaml with the page's choices merged in, every picked voice checked against its engine."""
    from podrender import UnknownVoice

    config = parse_config(request.voices, "voices.yaml", None, allow_files=False)
    engine_of = dict(request.engines)
    catalogs: dict[str, Catalog] = {}
    for name, voice in request.speakers:
        engine = engine_of.get(name, config.engine)
        if engine not in catalogs:
            catalogs[engine] = _catalog(engine, in_server, name)
        try:
            catalogs[engine].resolve(voice)
        except UnknownVoice as exc:
            raise PickerError(str(exc), path=f"voice for '{name}'") from None
    return with_page_audio(merge_speakers(config, request.speakers, request.engines, request.same_as), request)


def _catalog(engine: str, in_server: bool, speaker: str) -> Catalog:
    from podrender import engine_names, get_engine, load_catalog

    if engine not in engine_names():
        known = ", ".join(engine_names())
        raise PickerError(f"unknown engine '{engine}'; engines: {known}", path=f"engine for '{speaker}'")
    return catalog_for(engine) if in_server else load_catalog(get_engine(engine))


_catalog_lock = threading.Lock()
_catalogs_listed: set[tuple[str, str, str]] = set()


def catalog_for(engine_name: str) -> Catalog:
    """The engine's voice catalog, safe to call from a threaded server.

    Listing voices may fork a child (pyttsx3 does); the first call per engine lists them in a
    spawned process instead, which leaves them remembered for `load_catalog` here to read.
    """
    from podrender import get_engine, load_catalog

    engine = get_engine(engine_name)
    key = (engine.name, engine.identity(), str(default_cache_dir()))  # where load_catalog remembers them
    with _catalog_lock:
        if key not in _catalogs_listed:
            _list_voices_in_fresh_process(engine_name)
            _catalogs_listed.add(key)
    return load_catalog(engine)


def _list_voices_in_fresh_process(engine_name: str, timeout: float = 90.0) -> None:
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_list_voices, args=(engine_name, writer), name="podrender-voices")
    proc.start()
    writer.close()
    try:
        if not reader.poll(timeout):
            raise EngineError(f"listing the voices of engine '{engine_name}' took longer than {timeout:.0f} s")
        try:
            kind, message = reader.recv()
        except EOFError:
            kind, message = "error", f"listing the voices of engine '{engine_name}' failed (the process died)"
    finally:
        reader.close()
        _stop(proc, grace=1.0)
    if kind != "ok":
        raise EngineError(message)


def _list_voices(engine_name: str, conn: Connection) -> None:
    """In a spawned process: list (and so remember) the engine's voices."""
    try:
        from podrender import get_engine, load_catalog

        load_catalog(get_engine(engine_name))
        conn.send(("ok", ""))
    except PodrenderError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the server as one line
        conn.send(("error", f"listing voices failed ({type(exc).__name__}: {exc})"))
    finally:
        conn.close()


# --- job folders ----------------------------------------------------------------------------


def read_status(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / STATUS).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_status(folder: Path, data: dict[str, Any]) -> None:
    """Write status.json whole (temporary file + os.replace), so readers never see half of it."""
    atomic_write(folder / STATUS, json.dumps(data, ensure_ascii=False).encode())


#: A job's uploaded music, `music/intro` etc.; removed when the render ends, whichever way.
MUSIC = "music"


def discard_music(folder: Path) -> None:
    shutil.rmtree(folder / MUSIC, ignore_errors=True)


def save_request(folder: Path, request: RenderRequest) -> None:
    """The request into the job's folder; its uploaded music is copied into `music/` under the role's name."""
    if request.music:
        (folder / MUSIC).mkdir(mode=0o700)
        for role, path, _ in request.music:
            shutil.copyfile(path, folder / MUSIC / role)
    (folder / "script.txt").write_bytes(request.script.encode("utf-8"))
    (folder / "voices.yaml").write_bytes(request.voices.encode("utf-8"))
    meta = {
        "chapters": request.chapters,
        "speakers": [list(p) for p in request.speakers],
        "source": request.source,
        "engines": [list(p) for p in request.engines],
        "same_as": [list(p) for p in request.same_as],
        "edits": [list(p) for p in request.edits],
        "music": [[role, name] for role, _, name in request.music],
        "duck_db": request.duck_db,
        "channels": request.channels,
    }
    (folder / "request.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def load_request(folder: Path) -> RenderRequest:
    meta = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    return RenderRequest(
        script=(folder / "script.txt").read_bytes().decode("utf-8"),
        voices=(folder / "voices.yaml").read_bytes().decode("utf-8"),
        chapters=meta.get("chapters"),
        speakers=tuple((str(n), str(v)) for n, v in meta.get("speakers") or ()),
        source=str(meta.get("source") or "script"),
        engines=tuple((str(n), str(e)) for n, e in meta.get("engines") or ()),
        same_as=tuple((str(a), str(n)) for a, n in meta.get("same_as") or ()),
        edits=tuple((int(i), str(t)) for i, t in meta.get("edits") or ()),
        music=tuple((str(r), str(folder / MUSIC / str(r)), str(n)) for r, n in meta.get("music") or ()),
        duck_db=meta.get("duck_db"),
        channels=meta.get("channels"),
    )


def run_job(folder_name: str, cache_dir: str, jobs: int | None, render_queue: str | None = None) -> None:
    """The body of a render process (spawned): render the job's request, keeping status.json current."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds, so render() kills its workers
    folder = Path(folder_name)
    state = read_status(folder) or {"id": folder.name, "created": time.time()}

    def put(**changes: Any) -> None:
        state.update(changes)
        write_status(folder, state)

    try:
        from podrender import Progress, prepare, render

        request = load_request(folder)
        # The server checked the request already; this process is single-threaded, so listing
        # voices here may fork.
        prepared = prepare(
            request.script, build_config(request), source=request.source, policy=request.chapters,
            edits=dict(request.edits),
        )  # fmt: skip
        put(status="running", title=prepared.title, done=0, total=len(prepared.plan.units))

        def progress(p: Progress) -> None:
            put(done=p.done, total=p.total)

        result = render(
            request.script, prepared.config, source=request.source, output=folder / EPISODE,
            policy=request.chapters, jobs=jobs, cache_dir=Path(cache_dir), progress=progress, prepared=prepared,
            queue=render_queue,
        )  # fmt: skip
        manifest = result.manifest
        chapters = [
            {"title": c["title"], "start_ms": c["start_ms"], "end_ms": c["end_ms"]} for c in manifest["chapters"]
        ]
        put(status="done", title=result.prepared.title, done=state.get("total", 0), chapters=chapters,
            duration_ms=manifest["duration_ms"], made=result.misses, reused=result.hits, mix=manifest.get("mix"),
            finished=time.time())  # fmt: skip
    except PodrenderError as exc:
        put(status="failed", error=str(exc), finished=time.time())
    except Exception as exc:  # noqa: BLE001 - a person reads this on the page; the trace goes to the log
        traceback.print_exc()
        put(
            status="failed", error=f"the render failed unexpectedly ({type(exc).__name__}: {exc})", finished=time.time()
        )
    finally:
        discard_music(folder)


def _stop(proc: Any, grace: float = 5.0) -> None:
    """SIGTERM (the render unwinds and kills its workers), then SIGKILL if it lingers."""
    if proc.is_alive():
        proc.terminate()
        proc.join(grace)
    if proc.is_alive():
        proc.kill()
        proc.join(grace)
    proc.join(0)


def _span(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


class LocalProcessQueue(JobQueue):
    """Renders started on this machine (their turns made here, or by the workers on the Redis `render_queue`):
    at most `workers` render processes at once, at most `max_queued` waiting, each stopped after `time_limit`
    seconds. Every render shares one chunk cache."""

    def __init__(
        self,
        output_dir: Path,
        *,
        cache_dir: Path | None = None,
        workers: int = 1,
        max_queued: int = 8,
        time_limit: float = 15 * 60,
        jobs: int | None = None,
        retry_after: int = 30,
        render_queue: str | None = None,
    ) -> None:
        if workers < 1 or max_queued < 0 or time_limit <= 0:
            raise ValueError("workers must be >= 1, max_queued >= 0 and time_limit > 0")
        self.root = output_dir / "renders"
        self.root.mkdir(parents=True, exist_ok=True)
        self._real_root = self.root.resolve()
        self.cache_dir = cache_dir or default_cache_dir()
        self.workers = workers
        self.max_queued = max_queued
        self.time_limit = time_limit
        self.render_jobs = jobs
        self.render_queue = render_queue
        self.retry_after = retry_after
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._waiting: deque[str] = deque()
        self._running: dict[str, Any] = {}
        self._watchers: list[threading.Thread] = []
        self._closed = False
        self._recover()

    # -- the interface

    def submit(self, request: RenderRequest, owner: str = "") -> str:
        with self._lock:
            if self._closed:
                raise QueueFull("the server is shutting down", self.retry_after)
            if len(self._running) >= self.workers and len(self._waiting) >= self.max_queued:
                raise QueueFull(
                    f"the render queue is full ({len(self._running)} rendering, {len(self._waiting)} waiting); "
                    f"try again in {self.retry_after} s",
                    self.retry_after,
                )
            job_id = secrets.token_urlsafe(16)
            folder = self.root / job_id
            folder.mkdir()
            save_request(folder, request)
            state = {"id": job_id, "status": "queued", "done": 0, "total": 0, "created": time.time(), "owner": owner}
            write_status(folder, state)
            self._waiting.append(job_id)
            self._pump()
        return job_id

    def status(self, job_id: str) -> JobStatus | None:
        folder = self._folder(job_id)
        data = read_status(folder) if folder else None
        if data is None:
            return None
        data["id"] = job_id
        return JobStatus.from_json(data)

    def files(self, job_id: str) -> JobFiles | None:
        from podrender import slugify

        state = self.status(job_id)
        if state is None or state.status != "done":
            return None
        folder = self.root / job_id
        episode, manifest = folder / EPISODE, folder / MANIFEST
        for path in (episode, manifest):
            real = path.resolve()
            if real.parent != self._real_root / job_id or not real.is_file():
                return None
        return JobFiles(episode, manifest, f"{slugify(state.title or 'episode')}.mp3")

    def jobs(self, limit: int = 50, owner: str | None = None) -> list[JobStatus]:
        found = [
            s for p in self.root.iterdir() if (s := self.status(p.name)) is not None and owner in (None, s.owner)
        ]
        return sorted(found, key=lambda s: -s.created)[:limit]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            waiting = list(self._waiting)
            self._waiting.clear()
            running = list(self._running.values())
        for job_id in waiting:
            self._fail(job_id, STOPPED)
        # Only the watcher threads join the processes; they mark each job failed as it ends.
        for proc in running:
            if proc.is_alive():
                proc.terminate()
        deadline = time.monotonic() + 5
        for watcher in list(self._watchers):
            watcher.join(max(0.0, deadline - time.monotonic()))
        for proc in running:
            if proc.is_alive():
                proc.kill()
        for watcher in list(self._watchers):
            watcher.join(5)

    # -- internals

    def _folder(self, job_id: str) -> Path | None:
        if not ID_PATTERN.fullmatch(job_id):
            return None
        folder = self.root / job_id
        if folder.resolve().parent != self._real_root or not folder.is_dir():
            return None
        return folder

    def _recover(self) -> None:
        """After a restart: jobs that were queued or running when the server stopped have failed."""
        for folder in self.root.iterdir():
            if not ID_PATTERN.fullmatch(folder.name) or not folder.is_dir():
                continue
            data = read_status(folder)
            if data is not None and data.get("status") in ("queued", "running"):
                self._fail(folder.name, STOPPED)

    def _fail(self, job_id: str, message: str) -> None:
        folder = self.root / job_id
        discard_music(folder)  # a render stopped or never started leaves no upload behind
        data = read_status(folder) or {"id": job_id, "created": time.time()}
        if data.get("status") in ("done", "failed"):
            return
        data.update(status="failed", error=message, finished=time.time())
        write_status(folder, data)

    def _pump(self) -> None:
        """Start waiting jobs while there is room. Called with the lock held."""
        while self._waiting and len(self._running) < self.workers and not self._closed:
            job_id = self._waiting.popleft()
            folder = self.root / job_id
            data = read_status(folder) or {"id": job_id, "created": time.time()}
            data.update(status="running", started=time.time())
            write_status(folder, data)
            proc = self._ctx.Process(
                target=run_job,
                args=(str(folder), str(self.cache_dir), self.render_jobs, self.render_queue),
                name=f"podrender-render-{job_id}",
            )
            try:
                proc.start()
            except OSError as exc:
                self._fail(job_id, f"could not start a render process ({exc.strerror or exc})")
                continue
            self._running[job_id] = proc
            watcher = threading.Thread(target=self._watch, args=(job_id, proc), name=f"watch-{job_id}", daemon=True)
            self._watchers.append(watcher)
            watcher.start()

    def _watch(self, job_id: str, proc: Any) -> None:
        proc.join(self.time_limit)
        if proc.is_alive():
            _stop(proc)
            self._fail(job_id, f"the render took longer than the time limit ({_span(self.time_limit)}) and was stopped")
        elif self._closed:
            self._fail(job_id, STOPPED)
        else:
            self._fail(job_id, f"the render process stopped unexpectedly (exit code {proc.exitcode})")
        with self._lock:
            self._running.pop(job_id, None)
            self._watchers = [w for w in self._watchers if w is not threading.current_thread()]
            self._pump()
