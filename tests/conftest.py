"""Shared helpers: an independent reader for what podrender writes (ffmpeg decoding, ebur128)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from podrender.config import Config
from podrender.runtime import ffmpeg

# The tests' own engine, `faulty` (tests/plugins: the fake engine with faults on request), is found by
# podrender through its entry point, in this process and in every process the tests start.
PLUGINS = str(Path(__file__).parent / "plugins")
sys.path.insert(0, PLUGINS)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (PLUGINS, os.environ.get("PYTHONPATH")) if p)


def faulty(config: Config) -> Config:
    """`config` with the `faulty` engine: the fake engine's voices and sound, and PODRENDER_FAKE_FAULT."""
    return dataclasses.replace(config, engine="faulty")

DECODE_RATE = 44100

# Property tests draw the same examples on every run, so a test run (and CI) gives the same answer
# for the same code. PODRENDER_FUZZ_RANDOM=1 draws fresh ones: a hunt for new bugs, as in
# docs/reliability.md; anything it finds becomes an @example.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("random", derandomize=False)
settings.load_profile("random" if os.environ.get("PODRENDER_FUZZ_RANDOM") == "1" else "repeatable")


def decode(path: Path, rate: int = DECODE_RATE) -> np.ndarray:
    """Decode an audio file with ffmpeg (not podrender's code) to mono floats."""
    proc = subprocess.run(
        [ffmpeg().path, "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float64) / 32768.0


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 filter measures them."""
    proc = subprocess.run(
        [ffmpeg().path, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true:framelog=quiet",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = proc.stderr[proc.stderr.rfind("Summary:") :]
    loud = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return loud, peak


def median_pitch(x: np.ndarray, rate: int = DECODE_RATE) -> float:
    """Median F0 (Hz) of the voiced 40 ms frames, by autocorrelation in 60-400 Hz."""
    frame = int(0.04 * rate)
    lo, hi = int(rate / 400), int(rate / 60)
    pitches = []
    rms_all = np.sqrt(np.mean(x**2)) if len(x) else 0.0
    for start in range(0, len(x) - frame, frame):
        f = x[start : start + frame]
        f = f - f.mean()
        if np.sqrt(np.mean(f**2)) < 0.5 * rms_all:
            continue
        ac = np.correlate(f, f, mode="full")[frame - 1 :]
        if ac[0] <= 0:
            continue
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] / ac[0] > 0.5:
            pitches.append(rate / lag)
    return float(np.median(pitches)) if pitches else 0.0


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture(autouse=True, scope="session")
def _private_user_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never write to the real ~/.cache: facts and default caches go to a temporary folder."""
    import os

    folder = tmp_path_factory.mktemp("xdg-cache")
    data = tmp_path_factory.mktemp("xdg-data")  # downloaded voices: none, unless a test puts some there
    old = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "XDG_DATA_HOME")}
    os.environ["XDG_CACHE_HOME"] = str(folder)
    os.environ["XDG_DATA_HOME"] = str(data)
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
