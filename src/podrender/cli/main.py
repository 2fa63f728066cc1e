"""The command line: builds the objects, makes one library call, prints the result.

Only this module imports click. Library errors become one `Error: ...` line and exit status 1.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from podrender import CHAPTER_POLICIES, Config, PodrenderError, __version__, load_config

DEFAULT_VOICES = Path("voices.yaml")
#: Kept here so `--help` does not import the exporter; tests check it equals podrender.output.export.FORMAT_NAMES.
OUTPUT_FORMATS = ("mp3", "m4b", "wav", "flac", "opus")


def _config(voices: Path | None) -> Config:
    if voices is None and DEFAULT_VOICES.is_file():
        voices = DEFAULT_VOICES
    return load_config(voices)


def _no_worker_warning(url: str, workers: int) -> None:
    """One line when no worker listens on the queue: the render would otherwise wait in silence."""
    if workers == 0:
        click.echo(
            f"Warning: no podrender worker is listening on {url.split('@')[-1]}; the turns wait on the queue "
            f"until one starts (podrender worker --queue URL).",
            err=True,
        )


def _fail(exc: PodrenderError) -> click.ClickException:
    return click.ClickException(str(exc))


def _read(script: Path) -> str:
    from podrender import read_script

    return read_script(script)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="podrender")
def cli() -> None:
    """Turn a written conversation into a chaptered podcast episode (MP3)."""


def _input_format(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A usage error (exit 2) for an input format podrender does not know."""
    if value is None:
        return None
    from podrender import resolve_format_name as resolve_name

    try:
        return resolve_name(value)
    except PodrenderError as exc:
        raise click.BadParameter(exc.detail) from None


def _sidecars(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...] | None:
    """A usage error (exit 2) for a sidecar podrender does not make; None for all of them."""
    if value == "all":
        return None  # render's default, without importing the writers before the zygote starts
    from podrender import parse_sidecars

    try:
        return parse_sidecars(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


input_format_option = click.option(
    "--input-format", "input_format", metavar="NAME", callback=_input_format,
    help="Read SCRIPT as this input format instead of detecting it: plain, script (YAML/JSON), markdown, "
    "timestamped, radio (also Q&A), play, vtt, srt or html (a saved web page).",
)  # fmt: skip

voices_option = click.option(
    "--voices", "voices", type=click.Path(path_type=Path, dir_okay=False),
    help="voices.yaml mapping speakers to voices (default: ./voices.yaml if present).",
)  # fmt: skip


@cli.command()
@click.argument("script", type=click.Path(path_type=Path))
@voices_option
@click.option(
    "-o", "--output", type=click.Path(path_type=Path),
    help="Episode file to write (.mp3, or .m4b/.wav/.flac/.opus, which also sets --format).",
)  # fmt: skip
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="Folder for <slug-of-title>.<format> when -o is not given.",
)
@click.option(
    "--chapters", type=click.Choice(CHAPTER_POLICIES), help="Chapter policy (default: voices.yaml, else host)."
)
@click.option("--jobs", type=click.IntRange(1, 64), help="Worker processes (default: number of CPUs).")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Chunk cache folder.")
@click.option("--no-cache", is_flag=True, help="Make every chunk afresh and keep none.")
@click.option("--bitrate", type=int, help="MP3 bitrate in kbit/s (default 64).")
@click.option("--sample-rate", type=int, help="Output sample rate in Hz (default 44100).")
@click.option("--channels", type=click.IntRange(1, 2), help="1 (mono, default) or 2.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--force", is_flag=True,
    help="Replace files at the output path that podrender did not write (it never replaces them otherwise).",
)  # fmt: skip
@input_format_option
@click.option(
    "--format", "output_format", type=click.Choice(OUTPUT_FORMATS),
    help="Audio format of the episode (default: mp3, or what -o's suffix says). m4b/opus/flac/wav are made "
    "from the MP3 stream, with chapters where the container holds them.",
)  # fmt: skip
@click.option(
    "--sidecars", metavar="LIST", default="all", show_default=True, callback=_sidecars,
    help="Files to write beside the episode: a comma-separated list of chapters (Podcasting 2.0 JSON), "
    "vtt, srt, notes (Markdown show notes); or all, or none.",
)  # fmt: skip
@click.option("--intro", metavar="FILE", help="Music played alone before the first turn, fading out under it "
              "(any audio ffmpeg reads; replaces voices.yaml's music: intro).")  # fmt: skip
@click.option("--bed", metavar="FILE", help="Music looped under the whole conversation, ducked under speech.")
@click.option("--outro", metavar="FILE", help="Music rising after the last turn.")
@click.option(
    "--queue", "queue_url", metavar="URL",
    help="Have `podrender worker`s on this Redis queue (redis://HOST:PORT/DB) make the missing turns "
    "instead of this machine (docs/scale-out.md).",
)  # fmt: skip
def render(
    script: Path,
    voices: Path | None,
    output: Path | None,
    output_dir: Path,
    chapters: str | None,
    jobs: int | None,
    cache_dir: Path | None,
    no_cache: bool,
    bitrate: int | None,
    sample_rate: int | None,
    channels: int | None,
    quiet: bool,
    input_format: str | None,
    output_format: str | None,
    sidecars: tuple[str, ...] | None,
    force: bool,
    intro: str | None,
    bed: str | None,
    outro: str | None,
    queue_url: str | None,
) -> None:
    """Render SCRIPT (a transcript) to an MP3 episode with chapters, plus a JSON manifest, JSON chapters, a
    WebVTT and an SRT transcript and Markdown show notes."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bar: Any = None
    try:
        from podrender import Progress, with_audio_overrides, with_music
        from podrender import render as do_render

        config = with_music(_config(voices), intro=intro, bed=bed, outro=outro)
        audio = with_audio_overrides(config.audio, bitrate=bitrate, sample_rate=sample_rate, channels=channels)
        text = _read(script)
        show_bar = not quiet and sys.stderr.isatty()
        if queue_url:
            from podrender import check_queue

            _no_worker_warning(queue_url, check_queue(queue_url))

        def progress(p: Progress) -> None:
            nonlocal bar
            if not show_bar:
                return
            if bar is None:
                bar = click.progressbar(length=p.total, label="Rendering turns", file=sys.stderr)
                bar.__enter__()
            bar.update(1)

        result = do_render(
            text, config, source=str(script), output=output, output_dir=output_dir, policy=chapters, audio=audio,
            jobs=jobs, cache_dir=cache_dir, use_cache=not no_cache, progress=progress, input_format=input_format,
            output_format=output_format, sidecars=sidecars, force=force, queue=queue_url,
        )  # fmt: skip
    except PodrenderError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        if queue_url:
            gone = "Its turns were taken off the queue; chunks made so far are cached."
            click.echo(f"\nInterrupted; nothing was written. {gone}", err=True)
            sys.exit(130)
        click.echo("\nInterrupted; nothing was written. Chunks made so far are cached.", err=True)
        sys.exit(130)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if quiet:
        return
    from podrender import short_time

    for warning in result.prepared.cast.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for line, why in result.prepared.plan.dropped:
        click.echo(f"Warning: line {line}: {why}", err=True)
    m = result.manifest
    size = result.path.stat().st_size
    beside = [result.manifest_path.name, *(p.name for p in result.sidecars.values())]
    click.echo(f"Wrote {result.path} ({short_time(m['duration_ms'])}, {size / 1e6:.1f} MB) and {', '.join(beside)}")
    loud = m["loudness"]
    click.echo(
        f"  loudness {loud['integrated_lufs']} LUFS, true peak {loud['true_peak_dbtp']} dBTP; "
        f"{result.hits} of {result.hits + result.misses} chunks from the cache"
    )
    counts: dict[str, int] = {}
    for t in m["turns"]:
        counts[t["speaker"]] = counts.get(t["speaker"], 0) + 1
    click.echo("  speakers:")
    for s in m["speakers"]:
        if counts.get(s["name"]):
            note = " (fallback)" if s["fallback"] else ""
            click.echo(f"    {s['name']:<16} {s['voice']:<22} {counts[s['name']]:>3} turns{note}")
    click.echo(f"  chapters ({len(m['chapters'])}):")
    for c in m["chapters"]:
        click.echo(f"    {short_time(c['start_ms']):>7}  {c['title']}")


@cli.command()
@click.argument("script", type=click.Path(path_type=Path))
@voices_option
@click.option("--chapters", type=click.Choice(CHAPTER_POLICIES), help="Chapter policy to preview.")
@click.option(
    "--spoken", is_flag=True, help="Print exactly what each engine will be asked to say, turn by turn."
)
@click.option("--json", "as_json", is_flag=True, help="Print the cast sheet as JSON (shape in docs/output-files.md).")
@input_format_option
def inspect(
    script: Path, voices: Path | None, chapters: str | None, spoken: bool, as_json: bool, input_format: str | None
) -> None:
    """Show the cast sheet for SCRIPT without synthesizing: speakers, voices, chapters, warnings."""
    from podrender import cast_sheet, format_sheet, format_spoken, prepare, spoken_sheet

    try:
        config = _config(voices)
        prepared = prepare(_read(script), config, source=str(script), policy=chapters, input_format=input_format)
    except PodrenderError as exc:
        raise _fail(exc) from None
    if spoken:
        said = spoken_sheet(prepared)
        click.echo(json.dumps(said, indent=2, ensure_ascii=False) if as_json else format_spoken(said))
        return
    sheet = cast_sheet(prepared)
    click.echo(json.dumps(sheet, indent=2, ensure_ascii=False) if as_json else format_sheet(sheet))


@cli.command("say")
@click.argument("text", required=False)
@click.option("--speaker", help="Who says it: a speaker or alias (default: the narrator).")
@click.option(
    "--script", "script_path", type=click.Path(path_type=Path, dir_okay=False),
    help="Speak SPEAKER's first line of this script, in the voice a render of it gives them (no TEXT).",
)  # fmt: skip
@voices_option
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
    help="WAV file to write (default: output/say-<speaker>.wav).",
)  # fmt: skip
def say_command(
    text: str | None, speaker: str | None, script_path: Path | None, voices: Path | None, output: Path | None
) -> None:
    """Say TEXT in a speaker's voice and write it to a WAV file (a preview of one line).

    With --script, hear a cast before rendering: `podrender say --script talk.txt --speaker Maya`."""
    from podrender import say, say_from_script

    if (text is None) == (script_path is None):
        raise click.UsageError("give either TEXT or --script FILE (with --speaker)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        config = _config(voices)
        who = speaker if speaker is not None else config.narrator
        if script_path is not None:
            said = say_from_script(_read(script_path), who, config, output, source=str(script_path))
        else:
            assert text is not None
            said = say(text, who, config, output)
    except PodrenderError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        click.echo("\nInterrupted; nothing was written.", err=True)
        sys.exit(130)
    click.echo(f"Wrote {said.path} ({said.seconds:.1f} s, {said.sample_rate} Hz, {said.loudness} LUFS)")
    click.echo(f"  {said.speaker} ({said.voice}) said:")
    for piece in said.texts:
        click.echo(f"    {piece}")


@cli.group("voices", invoke_without_command=True)
@voices_option
@click.option("--engine", "engine_name", help="List this engine's voices (default: voices.yaml's engine), e.g. piper.")
@click.option("--json", "as_json", is_flag=True, help="Print the voices as JSON.")
@click.pass_context
def list_voices(ctx: click.Context, voices: Path | None, engine_name: str | None, as_json: bool) -> None:
    """List the voices the engine offers (id, name, languages, gender); `voices download` fetches more."""
    if ctx.invoked_subcommand is not None:
        if voices is not None or engine_name is not None or as_json:
            raise click.UsageError("--voices, --engine and --json belong to the list, not to a subcommand")
        return
    from podrender import engine_names, get_engine, load_catalog

    try:
        engine = get_engine(engine_name or _config(voices).engine)
        hint = engine.missing()
        if hint:
            raise click.ClickException(f"engine '{engine.name}' is not installed: {hint}")
        catalog = load_catalog(engine)
        others = [get_engine(n) for n in engine_names() if n not in (engine.name, "fake")]
        others = [e for e in others if e.missing() is None]
    except PodrenderError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps({
            "engine": catalog.engine,
            "voices": [{"id": v.id, "name": v.name, "languages": list(v.languages), "gender": v.gender}
                       for v in catalog.voices],
            "variants": list(catalog.variants),
        }, indent=2, ensure_ascii=False))  # fmt: skip
        return
    for v in catalog.voices:
        click.echo(f"{v.id:<28} {v.name:<36} {','.join(v.languages):<16} {v.gender or ''}")
    if catalog.variants:
        click.echo(f"\nVariants, appended with '+' (e.g. {catalog.voices[0].id}+f3): " + " ".join(catalog.variants))
    if engine.name == "piper":
        click.echo("\nUse one under a speaker: `engine: piper` and `model: NAME` (or the path of a .onnx voice).")
    for other in others:
        click.echo(f"\nAlso installed: engine '{other.name}' (podrender voices --engine {other.name})")


@list_voices.group("download")
def download() -> None:
    """Fetch a voice into podrender's data folder, verified against its published checksum.

    The only command that downloads anything; renders never do."""


force_download_option = click.option(
    "--force", is_flag=True, help="Fetch again even when a verified copy is already there."
)


class _Meter:
    """A percentage line per file on stderr while it downloads, when stderr is a terminal."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self.line = ""

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if not self.shown:
            return
        line = f"{name}: {done * 100 // total}%" if total else f"{name}: {done / 1e6:.1f} MB"
        if line != self.line:
            click.echo(f"\r{line}", nl=False, err=True)
            self.line = line

    def close(self) -> None:
        if self.line:
            click.echo(err=True)
            self.line = ""


def _fetching(fetch: Any) -> Any:
    """Run `fetch(progress)`: a library error is one `Error:` line (exit 1), Ctrl-C exits 130."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    meter = _Meter()
    try:
        return fetch(meter)
    except PodrenderError as exc:
        meter.close()
        raise _fail(exc) from None
    except KeyboardInterrupt:
        meter.close()
        click.echo("Interrupted; the partial download was removed.", err=True)
        sys.exit(130)
    finally:
        meter.close()


def _report(done: Any) -> None:
    facts = f"({done.size / 1e6:.1f} MB, {done.checked} ok)"
    if done.fetched:
        click.echo(f"Downloaded {done.path.name} {facts} to {done.path.parent}")
    else:
        click.echo(f"Already there: {done.path.name} {facts} in {done.path.parent}; not fetched again (--force does)")


@download.command("kokoro")
@force_download_option
def download_kokoro_command(force: bool) -> None:
    """Kokoro's English voice pack (voices-v1.0.bin: af_*, am_*, bf_*, bm_* voices) from kokoro-onnx's release."""
    from podrender import download_kokoro

    _report(_fetching(lambda meter: download_kokoro(force=force, progress=meter)))
    click.echo("Use it under a speaker: `engine: kokoro` and `voice: af_heart` (podrender voices --engine kokoro).")


@download.command("piper")
@click.argument("name")
@force_download_option
def download_piper_command(name: str, force: bool) -> None:
    """The Piper voice NAME (e.g. en_US-lessac-medium) from the piper-voices repository, with its config."""
    from podrender import download_piper

    for done in _fetching(lambda meter: download_piper(name, force=force, progress=meter)):
        _report(done)
    click.echo(f"Use it under a speaker: `speakers: {{Ann: {{engine: piper, model: {name}}}}}`.")


@cli.group()
def cache() -> None:
    """Look at or empty the chunk cache."""


@cache.command("info")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Cache folder.")
def cache_info(cache_dir: Path | None) -> None:
    """Where the cache is and how much it holds."""
    from podrender import Cache, default_cache_dir

    info = Cache(cache_dir or default_cache_dir()).info()
    click.echo(f"{info.path}\n{info.entries} chunks, {info.bytes / 1e6:.1f} MB of {info.max_bytes / 1e9:.1f} GB")


@cache.command("clear")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Cache folder.")
def cache_clear(cache_dir: Path | None) -> None:
    """Delete every cached chunk."""
    from podrender import Cache, default_cache_dir

    removed = Cache(cache_dir or default_cache_dir()).clear()
    click.echo(f"Removed {removed} chunks.")


@cli.command()
@voices_option
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Cache folder to check.")
@click.option(
    "--output-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("output"), show_default=True,
    help="Output folder to check.",
)  # fmt: skip
def doctor(voices: Path | None, cache_dir: Path | None, output_dir: Path) -> None:
    """Check the engine, its espeak-ng library and data, the encoder, the voices and the folders.

    Says what is wrong and how to fix it; exit status 1 when anything is.
    """
    from podrender import run_checks

    problems = 0
    if voices is None and DEFAULT_VOICES.is_file():
        voices = DEFAULT_VOICES  # the file a render here would read
    for check in run_checks(voices, cache_dir, output_dir):
        click.echo(f"{'ok ' if check.ok else 'BAD'} {check.name:<18} {check.value}")
        if not check.ok:
            problems += 1
            click.echo(f"    {'':<18} fix: {check.fix}")
    if problems:
        raise click.ClickException(f"{problems} problem(s) found; see the 'fix:' lines above")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--output-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("output"), show_default=True,
    help="Renders are kept in DIR/renders/<id>/.",
)  # fmt: skip
@voices_option
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Chunk cache folder.")
@click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True, help="Renders run at once.")
@click.option("--max-queued", type=click.IntRange(0, 1000), default=8, show_default=True, help="Renders that may wait.")
@click.option(
    "--time-limit", type=click.FloatRange(1, None), default=900, show_default=True,
    help="Seconds a render may take before it is stopped.",
)  # fmt: skip
@click.option(
    "--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
    help="A Host name the server answers to (repeatable; default: the --host address and localhost). "
    "Others get 400, so a web page elsewhere cannot reach the server through DNS rebinding.",
)  # fmt: skip
@click.option(
    "--request-timeout", type=click.FloatRange(0.1, 3600), default=30, show_default=True, metavar="S",
    help="Seconds a request may take to arrive whole; a half-sent one is then closed.",
)  # fmt: skip
@click.option(
    "--queue", "queue_url", metavar="URL",
    help="Have `podrender worker`s on this Redis queue (redis://HOST:PORT/DB) make the renders' turns.",
)  # fmt: skip
def serve(
    host: str,
    port: int,
    output_dir: Path,
    voices: Path | None,
    cache_dir: Path | None,
    workers: int,
    max_queued: int,
    time_limit: float,
    allowed_hosts: tuple[str, ...],
    request_timeout: float,
    queue_url: str | None,
) -> None:
    """Start the web page and JSON API (FastAPI; the API's OpenAPI schema is at /openapi.json)."""
    try:
        from podrender.web.app import LOCAL_HOSTS, create_app, run_server
    except ImportError as exc:
        raise click.ClickException(
            f"the web page needs the 'web' extra ({exc.name} is missing): pip install 'podrender[web]'"
        ) from None
    default_voices = None
    if voices is not None:
        try:
            default_voices = voices.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{voices}: cannot be read as UTF-8 text ({exc})") from None
    if queue_url:
        from podrender import check_queue

        try:
            _no_worker_warning(queue_url, check_queue(queue_url))
        except PodrenderError as exc:
            raise _fail(exc) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: listening on {host}; anyone who can reach it can render on this machine.", err=True)
    app = create_app(
        output_dir, cache_dir=cache_dir, default_voices=default_voices, workers=workers, max_queued=max_queued,
        time_limit=time_limit, allowed_hosts=allowed_hosts or (host, *LOCAL_HOSTS), render_queue=queue_url,
    )  # fmt: skip
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"podrender serving on http://{shown}:{port}/ (API schema: /openapi.json); renders in {output_dir / 'renders'}"
    )
    run_server(app, host, port, request_timeout)


@cli.command()
@click.option("--queue", "queue_url", required=True, metavar="URL", help="The Redis queue: redis://HOST:PORT/DB.")
@click.option(
    "--cache-dir", type=click.Path(path_type=Path, file_okay=False),
    help="This worker's chunk cache (a turn asked for again is answered from it).",
)  # fmt: skip
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option(
    "--lease", type=click.IntRange(3, 3600), default=30, show_default=True, metavar="S",
    help="Seconds after which a turn of this worker, if it was killed, goes to another worker.",
)  # fmt: skip
@click.option("--name", help="This worker's name in messages (default: HOST.PID).")
def worker(queue_url: str, cache_dir: Path | None, burst: bool, lease: int, name: str | None) -> None:
    """Make the turns that `render --queue` and `serve --queue` put on a Redis queue (RQ; the 'queue' extra).
    Ctrl-C or SIGTERM stops it after the turn at hand."""
    try:
        from podrender import run_worker
    except ImportError as exc:
        raise click.ClickException(
            f"workers need the 'queue' extra ({exc.name} is missing): pip install 'podrender[queue]'"
        ) from None
    try:
        run_worker(queue_url, cache_dir=cache_dir, burst=burst, lease=lease, name=name)
    except PodrenderError as exc:
        raise _fail(exc) from None
    # Leave as the zygote does, without exit handlers: espeak, started in its synchronous mode before the
    # work horses fork, hangs in them (measured: an idle worker asked to stop never exited).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _base_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A usage error (exit 2) for a base URL that is not an absolute http(s) URL."""
    from podrender import check_base_url

    try:
        return check_base_url(value)
    except PodrenderError as exc:
        raise click.BadParameter(exc.detail.removeprefix("--base-url ")) from None


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--base-url", required=True, callback=_base_url,
    help="Where FOLDER's files are published, e.g. https://example.org/show.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
    help="Feed file to write (default: FOLDER/feed.xml); it is published at BASE-URL/<its name>.",
)  # fmt: skip
@click.option("--title", help="The show's title (default: the folder's name).")
@click.option("--description", help="The show's description (default: its title).")
@click.option("--language", default="en", show_default=True, help="The show's language (RSS <language>).")
@click.option("--author", help="itunes:author of the show.")
@click.option("--image", help="URL of the show's artwork (itunes:image).")
def feed(
    folder: Path,
    base_url: str,
    output: Path | None,
    title: str | None,
    description: str | None,
    language: str,
    author: str | None,
    image: str | None,
) -> None:
    """Write an RSS 2.0 feed for the episodes rendered into FOLDER (read from their manifests), with
    Podcasting 2.0 chapters and transcript tags."""
    from podrender import write_feed

    try:
        path, count = write_feed(
            folder, base_url, output, title=title, description=description, language=language, author=author,
            image=image,
        )  # fmt: skip
    except PodrenderError as exc:
        raise _fail(exc) from None
    click.echo(f"Wrote {path} ({count} episode{'s' if count != 1 else ''})")


def main() -> None:
    cli(prog_name="podrender")
