"""Find the native pieces: the espeak-ng library and data, and the ffmpeg binary.

The system's copies are used when present; otherwise the ones the PyPI packages
`espeakng-loader` and `imageio-ffmpeg` ship, so that `pip install` alone is enough.
Set PODRENDER_ESPEAK_LIBRARY / PODRENDER_FFMPEG to force a particular file.

Also where podrender keeps what `podrender voices download` fetched (data_dir).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from podrender.errors import EncoderError, EngineError


def data_dir() -> Path:
    """Where downloaded voices live: `$PODRENDER_DATA_DIR`, else `$XDG_DATA_HOME/podrender`, else
    `~/.local/share/podrender`. Only `podrender voices download` writes there; renders only read."""
    forced = os.environ.get("PODRENDER_DATA_DIR")
    if forced:
        return Path(forced).expanduser()
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / "podrender"


@dataclass(frozen=True)
class EspeakLibrary:
    """Where libespeak-ng comes from."""

    path: str
    data_path: str | None
    source: str
    """'system', 'espeakng-loader' or 'PODRENDER_ESPEAK_LIBRARY'."""


@functools.cache
def espeak_library() -> EspeakLibrary:
    """Locate libespeak-ng without loading it."""
    forced = os.environ.get("PODRENDER_ESPEAK_LIBRARY")
    if forced:
        return EspeakLibrary(forced, os.environ.get("ESPEAK_DATA_PATH"), "PODRENDER_ESPEAK_LIBRARY")
    if os.environ.get("PODRENDER_BUNDLED_ESPEAK") != "1":
        found = _system_espeak()
        if found:
            return EspeakLibrary(found, os.environ.get("ESPEAK_DATA_PATH"), "system")
    try:
        import espeakng_loader
    except ImportError:
        raise EngineError(
            "espeak-ng is not installed: install the espeak-ng package or `pip install espeakng-loader`"
        ) from None
    return EspeakLibrary(espeakng_loader.get_library_path(), espeakng_loader.get_data_path(), "espeakng-loader")


_LIBRARY_DIRS = (
    "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
    "/usr/lib64", "/usr/lib", "/usr/local/lib", "/opt/homebrew/lib",
)  # fmt: skip


def _system_espeak() -> str | None:
    """The system's libespeak-ng, found by looking where libraries live (ctypes.util.find_library
    would run ldconfig, which costs every render 60 ms)."""
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d] + list(_LIBRARY_DIRS)
    for folder in dirs:
        for name in ("libespeak-ng.so.1", "libespeak-ng.1.dylib"):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                return path
    return None


def load_espeak() -> EspeakLibrary:
    """Load libespeak-ng globally so pyttsx3's own dlopen finds this copy. Call before importing pyttsx3."""
    import ctypes

    lib = espeak_library()
    if lib.data_path:
        os.environ["ESPEAK_DATA_PATH"] = lib.data_path
    try:
        ctypes.CDLL(lib.path, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise EngineError(f"cannot load espeak-ng from {lib.path}: {exc}") from None
    return lib


@dataclass(frozen=True)
class Ffmpeg:
    path: str
    source: str
    """'system', 'imageio-ffmpeg' or 'PODRENDER_FFMPEG'."""


@functools.cache
def ffmpeg() -> Ffmpeg:
    """Locate ffmpeg, or raise EncoderError saying how to get one."""
    forced = os.environ.get("PODRENDER_FFMPEG")
    if forced:
        if not (os.path.isfile(forced) and os.access(forced, os.X_OK)):
            raise EncoderError(f"PODRENDER_FFMPEG={forced} is not an executable file")
        return Ffmpeg(forced, "PODRENDER_FFMPEG")
    import importlib.util
    import shutil

    if os.environ.get("PODRENDER_BUNDLED_FFMPEG") != "1":
        found = shutil.which("ffmpeg")
        if found:
            return Ffmpeg(found, "system")
    # The wheel's binary, found without importing the package or running the binary
    # (imageio_ffmpeg.get_ffmpeg_exe() runs it once to check it: 90 ms on every render).
    spec = importlib.util.find_spec("imageio_ffmpeg")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        shipped = sorted(p for p in (Path(folder) / "binaries").glob("ffmpeg-*") if os.access(p, os.X_OK))
        if shipped:
            return Ffmpeg(str(shipped[-1]), "imageio-ffmpeg")
    try:
        import imageio_ffmpeg

        return Ffmpeg(imageio_ffmpeg.get_ffmpeg_exe(), "imageio-ffmpeg")
    except (ImportError, RuntimeError):
        raise EncoderError("ffmpeg was not found: install the ffmpeg package or `pip install imageio-ffmpeg`") from None

