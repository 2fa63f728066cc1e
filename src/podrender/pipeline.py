"""The one library call behind the CLI and the web page: `render(...)`, and `prepare(...)` for inspect."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Mapping
from contextlib import ExitStack, closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podrender.audio.encode import encoder_identity
from podrender.cache import Cache, Facts, default_cache_dir
from podrender.config import AudioSettings, Config
from podrender.engines import Engine, get_engine
from podrender.engines.catalog import Catalog
from podrender.errors import CacheError, OutputError, ScriptError
from podrender.input.edits import edit_turns
from podrender.input.formats import parse_options, parse_script, with_script_voices
from podrender.output.files import check_outputs, folder_lock, written_by_podrender
from podrender.output.result import RenderResult
from podrender.output.timeline import Timeline, build_timeline
from podrender.runner.warm import collect_again, load_writers
from podrender.runner.zygote import Order, Zygote, missing_tasks, take_early
from podrender.speech.cast import build_cast
from podrender.speech.chapters import build_chapters
from podrender.speech.memo import SpokenMemo
from podrender.speech.plan import RenderPlan, Unit, make_plan
from podrender.speech.prepared import Prepared

if TYPE_CHECKING:
    from podrender.audio.music import Tracks


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    unit: Unit | None
    cached: bool


def slugify(title: str) -> str:
    """A file name from a title: lower-case ASCII words joined by hyphens."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].rstrip("-") or "episode"


def load_catalog(engine: Engine, facts: Facts | None = None) -> Catalog:
    """The engine's voices, remembered per engine identity (listing them needs a worker process)."""
    facts = facts or Facts()
    digest = hashlib.sha256(f"{engine.name}|{engine.identity()}".encode()).hexdigest()[:16]
    name = f"voices-{engine.name}-{digest}.json"
    stored = facts.get(name)
    if isinstance(stored, dict):
        try:
            return Catalog.from_json(stored)
        except (KeyError, AssertionError, TypeError, IndexError):
            pass
    profiles = tuple(sorted(engine.pitch_profiles().items()))
    catalog = Catalog(
        engine.name, tuple(engine.voices()), tuple(engine.variants()), profiles, engine.tunable, engine.blends
    )
    facts.put(name, catalog.to_json())
    return catalog


def prepare(
    text: str,
    config: Config,
    *,
    source: str = "script",
    policy: str | None = None,
    audio: AudioSettings | None = None,
    input_format: str | None = None,
    edits: Mapping[int, str] | None = None,
) -> Prepared:
    """Parse, cast, choose chapters and plan units. No audio is made. The input format is detected
    from `source`'s extension and the text unless `input_format` names it (podrender.input.formats).
    `edits`: new written text for turns, by turn index (the web page's "edit a turn"), applied after parsing."""
    script = parse_script(text, parse_options(config), name=source, input_format=input_format)
    if edits:
        script = edit_turns(script, edits, source)
    config = with_script_voices(config, script)
    engine = get_engine(config.engine)
    catalog = load_catalog(engine)
    cast = build_cast(config, script, catalog)
    policy = policy or config.chapters
    chapters = build_chapters(script, cast.host, policy)
    audio = audio or config.audio
    # Speakers may use other engines than the top-level one (`engine: piper` under a speaker).
    engines = {r.voice.engine: get_engine(r.voice.engine) for r in (cast.narrator, *cast.roles)}
    voice_id = functools.cache(lambda voice: engines[voice.engine].voice_identity(voice))
    plan = make_plan(
        script, cast, chapters, config, audio,
        max_chars=min(e.max_chars for e in engines.values()), engine_id=voice_id, encoder_id=encoder_identity(),
    )  # fmt: skip
    stem = Path(source).stem if source not in ("script", "-") else "episode"
    title = config.episode.title or script.title or stem
    return Prepared(source, title, script, config, catalog, cast, chapters, policy, plan)


def _check_target(target: Path) -> None:
    if target.is_dir():
        raise OutputError("is a directory; give a file name ending in .mp3", path=str(target))
    folder = target.parent
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"cannot write here ({probe} is a file, not a folder)", path=str(folder))
    try:  # a real file, not os.access: for root, permission bits say nothing (a read-only disk does)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=probe)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror})", path=str(folder)) from None


def _check_outputs(paths: list[Path], manifest_path: Path, force: bool) -> None:
    """Before any work: the paths are new, or regular files podrender wrote (or `force`). Under the folder's
    lock, so a render of the same episode that is writing right now is seen whole, not half-written."""
    folder = manifest_path.parent
    if not folder.is_dir():
        return  # a new folder: every path is new

    with folder_lock(folder):
        check_outputs(paths, manifest_path, force=force)


def _check_not_source(paths: list[Path], source: str) -> None:
    """Refuse to write over the script being rendered (a Markdown script beside `-o` would be its notes)."""
    script = Path(source)
    if not script.is_file():
        return
    for path in paths:
        if path.exists() and path.samefile(script):
            raise OutputError(
                "would overwrite the script being rendered; write the episode elsewhere with -o", path=str(path)
            )


def render(
    text: str,
    config: Config,
    *,
    source: str = "script",
    output: Path | None = None,
    output_dir: Path = Path("output"),
    policy: str | None = None,
    audio: AudioSettings | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    progress: Callable[[Progress], None] | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    sidecars: Collection[str] | None = None,
    zygote: Zygote | None = None,
    force: bool = False,
    prepared: Prepared | None = None,
    queue: str | None = None,
) -> RenderResult:
    """Render `text` to an episode (MP3 unless `output_format` or the output's suffix says otherwise) with
    its manifest and the chosen sidecars (all of podrender.output.sidecars.SIDECARS when None); returns what was made.

    `zygote`: one the caller started earlier (and closes); by default render starts its own. `force`: replace
    files at the target that podrender did not write (without it, they stop the render before any work).
    `prepared`: what `prepare` made of this same text and config, when the caller has it (it is not made again).
    `queue`: a Redis URL (redis://HOST:PORT/DB); the missing units are then made by `podrender worker`s on
    that queue (podrender.runner.queue) instead of this machine's pool, and `jobs` and `zygote` are unused."""
    with tempfile.TemporaryDirectory(prefix="podrender-render-") as scratch, ExitStack() as stack:
        # First: the zygote loads the synthesis side on another core while this process plans.
        # The console command forks one before its CLI loads (podrender.runner.launch); else start one now.
        if queue is None:
            zygote = zygote or stack.enter_context(closing(take_early() or Zygote.start()))
        else:  # the workers on the queue make the units: the zygote forked at launch is not needed
            unused = take_early()
            if unused is not None:
                unused.close()
        from podrender.output.export import format_for
        from podrender.output.sidecars import SIDECARS, check_paths, sidecar_paths

        fmt = format_for(output_format, output)
        kinds = SIDECARS if sidecars is None else tuple(sidecars)
        cache = Cache(cache_dir or default_cache_dir()) if use_cache else Cache(Path(scratch) / "cache")
        cache.ensure()
        memo = stack.enter_context(SpokenMemo.in_cache(cache.root).active())
        if prepared is None or (audio is not None and audio != prepared.plan.audio):
            prepared = prepare(text, config, source=source, policy=policy, audio=audio, input_format=input_format)
        collect_again()
        plan = prepared.plan
        if not plan.units:
            raise ScriptError("has nothing to say after removing markup, links and emoji", path=source)
        target = output or output_dir / f"{slugify(prepared.title)}{fmt.suffix}"
        _check_target(target)
        extra = sidecar_paths(target, kinds)
        check_paths(extra)
        manifest_path = target.with_suffix(".json")
        outputs = [target, manifest_path, *extra.values()]
        _check_not_source(outputs, source)
        _check_outputs(outputs, manifest_path, force)
        music = prepared.config.music
        tracks = None
        if music.any:  # before any speech is made: a bad music file is a mistake to report at once
            from podrender.audio.music import load_tracks

            tracks = load_tracks(music, plan.audio)

        early: dict[str, list[str]] = {}

        def meanwhile() -> None:  # while the workers speak: what does not need their chunks
            load_writers()
            if extra:
                from podrender.output.sidecars import cue_texts

                early["cues"] = cue_texts(prepared)

        metas, made = _chunks(plan, zygote, cache, Path(scratch), jobs, progress, meanwhile, queue)
        keys = [u.key for u in plan.units]
        for _ in range(3):  # a chunk removed meanwhile (`podrender cache clear`) is made again
            chunk_paths = stack.enter_context(cache.pinned(keys))
            if chunk_paths is not None:
                break
            fresh = None if queue else stack.enter_context(closing(Zygote.start()))  # a zygote takes one order
            metas, again = _chunks(plan, fresh, cache, Path(scratch), jobs, None, None, queue)
            made |= again
        else:
            raise CacheError("the cache was emptied again and again while this render ran; render it again")
        timeline = build_timeline(plan, metas)
        mix: dict[str, Any] | None = None
        if music.any or plan.audio.channels == 2:
            chunk_paths, timeline, mix = _mixed(prepared, timeline, chunk_paths, tracks, Path(scratch))
        from podrender.output.assemble import build_tag
        from podrender.output.export import export_audio, lossy_bitrate
        from podrender.output.files import write_output
        from podrender.output.manifest import add_outputs, build_manifest, write_manifest
        from podrender.output.sidecars import episode_text, write_sidecars

        tag = build_tag(prepared.title, config.episode, timeline.chapters)
        cached = {u.index: u.key not in made for u in plan.units}
        manifest = build_manifest(prepared, timeline, cached, target)
        if mix is not None:
            manifest["mix"] = mix
        with folder_lock(target.parent):  # two renders of one episode: the audio, sidecars and manifest agree
            check_outputs(outputs, manifest_path, force=force)  # again: a file may have appeared meanwhile
            earlier = written_by_podrender(manifest_path)
            if fmt.name == "mp3":
                size = write_output(target, [tag, *chunk_paths])
            else:
                episode = config.episode
                size = export_audio(fmt, target, chunk_paths, prepared.title, episode, timeline.chapters, plan.audio)
            texts = early.get("cues")
            written = write_sidecars(extra, episode_text(prepared, timeline, target.name, texts)) if extra else {}
            add_outputs(
                manifest, fmt=fmt.name, codec=fmt.codec, mime=fmt.mime, audio=target, size=size, sidecars=written,
                description=config.episode.description,
                format_bitrate=lossy_bitrate(plan.audio) if fmt.name in ("m4b", "opus") else None,
            )  # fmt: skip
            # Every file podrender has written for this episode and that is still there (an earlier render in
            # another format, with other sidecars), so a later render may replace them without --force.
            here = (earlier | set(manifest["files"].values())) - {manifest_path.name}
            manifest["written_here"] = sorted(n for n in here if (target.parent / n).is_file())
            write_manifest(manifest_path, manifest)  # last: a manifest only names files that exist
        if use_cache:
            memo.save()
            cache.prune(keep={u.key for u in plan.units})
        misses = sum(not hit for hit in cached.values())
        return RenderResult(target, manifest_path, prepared, timeline, len(cached) - misses, misses, manifest, written)


def _mixed(
    prepared: Prepared, timeline: Timeline, chunks: list[Path], tracks: Tracks | None, scratch: Path
) -> tuple[list[Path], Timeline, dict[str, Any]]:
    """The episode's stream with its music and stereo seats (podrender.output.mix), its timeline, and what
    the manifest records of the mix."""
    from podrender.audio.music import Tracks
    from podrender.audio.synthesize import codec_gain
    from podrender.output.mix import mix_episode, seating

    config, plan = prepared.config, prepared.plan
    speakers = list(dict.fromkeys(u.speaker for u in plan.units))
    pans = {name: entry.pan if (entry := config.speaker(name)) else None for name in speakers}
    seats = seating(speakers, prepared.cast.host, prepared.cast.narrator.name, pans)
    mixed = mix_episode(
        plan, timeline, chunks, tracks or Tracks(None, None, None), config.music, seats, scratch / "mixed.mp3",
        codec_gain(plan.audio),
    )  # fmt: skip
    return [mixed.path], mixed.timeline, mixed.summary


def _chunks(
    plan: RenderPlan,
    zygote: Zygote | None,
    cache: Cache,
    scratch: Path,
    jobs: int | None,
    progress: Callable[[Progress], None] | None,
    meanwhile: Callable[[], None] | None = None,
    queue: str | None = None,
) -> tuple[dict[int, dict[str, Any]], set[str]]:
    """Every unit's chunk metadata, from the cache or made by the zygote's workers (or the workers on the
    Redis `queue`); and the keys that were made. `meanwhile()` runs while the workers do."""
    metas: dict[int, dict[str, Any]] = {}
    by_key: dict[str, list[Unit]] = {}
    for unit in plan.units:
        by_key.setdefault(unit.key, []).append(unit)
    total = len(plan.units)
    missing: list[Unit] = []
    for key, units in by_key.items():
        meta = cache.get(key)
        if meta is None:
            missing.append(units[0])
            continue
        for unit in units:
            metas[unit.index] = meta
            if progress:
                progress(Progress(len(metas), total, unit, True))
    if not missing:
        return metas, set()

    def done(index: int, meta: dict[str, Any]) -> None:
        for unit in by_key[plan.units[index].key]:
            metas[unit.index] = meta
            if progress:
                progress(Progress(len(metas), total, unit, False))

    if queue is not None:
        from podrender.runner.queue import make_remote

        make_remote(queue, missing, plan.audio, cache, done, meanwhile)
        return metas, {u.key for u in missing}
    assert zygote is not None
    order = Order(
        tasks=missing_tasks(missing), units={u.index: u for u in missing}, audio=plan.audio,
        cache_root=cache.root, scratch=scratch, jobs=jobs or os.cpu_count() or 1,
    )  # fmt: skip
    zygote.make(order, done, meanwhile)
    return metas, {u.key for u in missing}


def with_audio_overrides(audio: AudioSettings, **changes: Any) -> AudioSettings:
    """Apply CLI overrides (None means keep) and check the result."""
    updated = replace(audio, **{k: v for k, v in changes.items() if v is not None})
    updated.check("options")
    return updated
