"""`podrender doctor`: check what a render needs, and say in plain words what is wrong and how to fix it.

Every check really does the thing it checks (loads the engine's voice list in a worker, encodes a
short tone, creates and removes a file in the cache and output folders), because on a machine where
podrender runs as root, permission bits say nothing about whether a write will succeed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from podrender.config import Config, load_config
from podrender.errors import ConfigError, PodrenderError

#: Less free space than this in the cache or output folder is reported as a problem.
MIN_FREE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    value: str
    ok: bool = True
    fix: str | None = None
    """What to do about it, when not ok."""


def run_checks(voices: Path | None, cache_dir: Path | None, output_dir: Path) -> Iterator[Check]:
    """Every check, in the order a render needs them."""
    config = Config()
    try:
        config = load_config(voices)
        yield Check("voices.yaml", config.path or "(none; built-in defaults)")
    except PodrenderError as exc:
        yield Check("voices.yaml", str(exc), False, "correct the line named above; the checks below use the defaults")
    yield from _engine_checks(config)
    yield from _encoder_checks(config)
    from podrender.cache import default_cache_dir

    yield _folder_check(
        "cache", cache_dir or default_cache_dir(), "use --cache-dir DIR on a writable disk, or render with --no-cache"
    )
    yield _folder_check("output", output_dir, "choose another folder with --output-dir DIR (or -o FILE.mp3)")


def _engine_checks(config: Config) -> Iterator[Check]:
    from podrender.engines import engine_names, get_engine
    from podrender.pipeline import load_catalog, prepare

    main = config.engine
    try:
        engine = get_engine(config.engine)
    except PodrenderError as exc:
        yield Check("engine", str(exc), False, "set `engine:` in voices.yaml to one of the engines named above")
        return
    hint = engine.missing()
    if hint:
        yield Check("engine", f"voices.yaml uses '{main}', which is not installed", False, hint)
        return
    try:
        described = engine.describe()
    except PodrenderError as exc:
        yield Check("engine", str(exc), False, "install what the message names")
        return
    broken = list(_espeak_checks()) if engine.name == "pyttsx3" else []
    for key, value in described.items():
        yield next((c for c in broken if c.name == key), Check(key, value))
    yield from (c for c in broken if c.name not in described)
    try:
        catalog = load_catalog(engine)
    except PodrenderError as exc:
        yield Check("voices", f"cannot list the engine's voices: {exc.detail}", False,
                    "fix the engine problem above; `podrender voices` shows the list once it works")  # fmt: skip
        return
    yield Check("voices", f"{len(catalog.voices)} voices, {len(catalog.variants)} variants")
    if config.speakers:
        # Every speaker voices.yaml names, cast as a render would cast them (unknown voices, models).
        lines = [f"{s.name}: A check." for s in config.speakers]
        try:
            prepare("\n\n".join(lines) + "\n", config, source="doctor")
            yield Check("speaker voices", f"{len(config.speakers)} speakers in voices.yaml, all available")
        except ConfigError as exc:  # an unknown voice or model (VoiceError is a ConfigError)
            yield Check("speaker voices", str(exc), False, "choose a voice from `podrender voices` for that speaker")
        except PodrenderError as exc:  # the encoder or an engine: reported on its own line
            yield Check("speaker voices", f"not checked ({exc.detail})")
    for name in engine_names():  # the optional engines a speaker may choose (`engine: piper`)
        if name not in ("fake", main):
            for key, value in get_engine(name).describe().items():
                yield Check(key, value)


def _espeak_checks() -> Iterator[Check]:
    from podrender.runtime import espeak_library

    try:
        lib = espeak_library()
    except PodrenderError as exc:
        yield Check("espeak-ng", str(exc), False, "pip install espeakng-loader (or the espeak-ng system package)")
        return
    forced = "unset PODRENDER_ESPEAK_LIBRARY, or point it at a libespeak-ng.so.1"
    if not os.path.isfile(lib.path):
        fix = forced if lib.source == "PODRENDER_ESPEAK_LIBRARY" else "reinstall espeakng-loader"
        yield Check("espeak-ng library", f"{lib.path} does not exist", False, fix)
    if lib.data_path and not os.path.isdir(lib.data_path):
        yield Check("espeak-ng data", f"{lib.data_path} is not a folder", False,
                    "unset ESPEAK_DATA_PATH, or point it at an espeak-ng-data folder")  # fmt: skip


def _encoder_checks(config: Config) -> Iterator[Check]:
    """ffmpeg (it decodes, and makes the other audio formats), then the MP3 encoder, which is
    in-process LAME unless that is missing or PODRENDER_ENCODER=ffmpeg asks for ffmpeg."""
    from podrender.audio.encode import encoder_name

    ffmpeg_checks = list(_ffmpeg_checks())
    yield from ffmpeg_checks
    name = encoder_name()
    fix = "pip install lameenc, or set PODRENDER_ENCODER=ffmpeg" if name == "lameenc" else (
        ffmpeg_checks[-1].fix or "pip install lameenc")  # fmt: skip
    yield _try("MP3 encoder", lambda: f"{name}: {_encode_tone(config)}", fix)


def _ffmpeg_checks() -> Iterator[Check]:
    from podrender.runtime import ffmpeg

    try:
        ff = ffmpeg()
    except PodrenderError as exc:
        fix = "pip install imageio-ffmpeg, or install the ffmpeg package"
        if os.environ.get("PODRENDER_FFMPEG"):
            fix = "unset PODRENDER_FFMPEG, or point it at a working ffmpeg"
        yield Check("ffmpeg", str(exc), False, fix)
        return
    fix = "unset PODRENDER_FFMPEG, or point it at a working ffmpeg" if ff.source == "PODRENDER_FFMPEG" else (
        "reinstall imageio-ffmpeg (pip install --force-reinstall imageio-ffmpeg)")  # fmt: skip
    try:
        proc = subprocess.run([ff.path, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        yield Check("ffmpeg", f"{ff.path} cannot be run: {exc}", False, fix)
        return
    if proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}").splitlines()[-1]
        yield Check("ffmpeg", f"{ff.path} ({ff.source}) failed: {said}", False, fix)
        return
    yield Check("ffmpeg", f"{ff.path} ({ff.source}; {proc.stdout.splitlines()[0] if proc.stdout else '?'})")


def _encode_tone(config: Config) -> str:
    """Encode a tenth of a second of tone at the configured settings and count the frames."""
    import math
    import struct

    from podrender.audio.encode import count_frames, encode_mp3

    audio = config.audio
    rate = 22050
    samples = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate // 10)]
    blob = encode_mp3(struct.pack(f"<{len(samples)}h", *samples), rate, audio)
    frames = count_frames(blob)
    return f"encodes {audio.sample_rate} Hz, {audio.channels} ch, {audio.bitrate} kbit/s ({frames.frames} frames)"


def _try(name: str, check: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, check())
    except PodrenderError as exc:
        return Check(name, str(exc), False, fix)


def _folder_check(name: str, folder: Path, fix: str) -> Check:
    """Create and remove a file where the folder is (or in the nearest folder above it that exists)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return Check(name, f"{folder}: {probe} is a file, not a folder", False, fix)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".podrender-doctor-", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return Check(name, f"{folder}: cannot write in {probe} ({exc.strerror})", False, fix)
    free = shutil.disk_usage(probe).free
    if free < MIN_FREE_BYTES:
        return Check(name, f"{folder}: only {free // 1024} KB free on its disk", False, f"free some space, or {fix}")
    where = "" if probe == folder else f" (will be created in {probe})"
    return Check(name, f"{folder}{where}, writable, {free / 1e9:.1f} GB free")
