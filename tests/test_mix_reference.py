"""The numpy block mix (podrender.output.mix.mixed_blocks) against the same mix made by pydub
(bench/pydub_mix.py: 32-bit segments, overlay, apply_gain_stereo, fade): podrender keeps its own summing
because pydub costs more than a tenth of a cached render (docs/music.md), so it is held to the library here.
Real chunks (MP3, decoded by ffmpeg), real pydub segments; only the ramps of the bed's curve may differ
(pydub's are linear in amplitude, podrender's in dB), everywhere else the two agree within 1 LSB of 16 bits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydub import AudioSegment

from podrender.audio.music import Track, Tracks
from podrender.output.mix import GAIN_STEP, Layout, mixed_blocks, pan_gains
from podrender.runtime import ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from pydub_mix import pydub_blocks  # noqa: E402

RATE = 44100
LSB = 1 / 32768


def chunk(path: Path, seconds: float, seed: int) -> Path:
    """A speech-like chunk: pink noise, amplitude-modulated, as an MP3 (ffmpeg and LAME)."""
    subprocess.run(
        [ffmpeg().path, "-v", "error", "-y", "-f", "lavfi", "-i",
         f"anoisesrc=color=pink:amplitude=0.5:seed={seed}:duration={seconds}", "-af", "tremolo=f=4:d=0.7",
         "-ar", str(RATE), "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True,
    )  # fmt: skip
    return path


def track(role: str, hz: float, seconds: float, channels: int, gain: float) -> Track:
    t = np.arange(int(seconds * RATE)) / RATE
    wave = np.sin(2 * np.pi * hz * t) * 0.6
    if channels == 2:
        wave = np.stack([wave, np.sin(2 * np.pi * hz * 1.5 * t) * 0.5], axis=1)
    data = np.round(wave * 32767).astype("<i2").tobytes()
    return Track(role, AudioSegment(data=data, sample_width=2, frame_rate=RATE, channels=channels), gain)


def both(lay: Layout, tracks: Tracks, chunks: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    ours = np.concatenate(list(mixed_blocks(lay, tracks, chunks)))
    theirs = np.concatenate(list(pydub_blocks(lay, tracks, chunks)))
    return ours, theirs


@pytest.mark.parametrize("channels", [1, 2])
def test_numpy_mix_matches_pydub_overlay(tmp_path: Path, channels: int) -> None:
    chunks = [chunk(tmp_path / "a.mp3", 6.0, 1), chunk(tmp_path / "b.mp3", 7.0, 2)]
    offset, speech = 2 * RATE, 13 * RATE - 3000
    # A bed that fades in at the speech, ducks 12 dB under it (250 ms down, 900 ms back up) and fades out;
    # an intro under the first words, an outro rising at the last; two turns at two seats.
    duck = [offset - 11025, offset, offset + speech, offset + speech + 39690]
    lay = Layout(
        rate=RATE, channels=channels, offset=offset, speech=speech,
        unit_starts=np.array([0, 6 * RATE]), unit_gains=np.array([pan_gains(-0.4), pan_gains(0.4)]),
        duck_times=np.array(duck, dtype=np.float64), duck_db=np.array([0.0, -12.0, -12.0, 0.0]),
        bed_start=offset, bed_end=offset + speech + 3 * RATE, outro_start=offset + speech,
        length=offset + speech + 4 * RATE, fade=RATE,
    )  # fmt: skip
    bed = track("bed", 440, 3.3, channels, 0.35)  # 3.3 s: looped several times
    tracks = Tracks(track("intro", 880, 3.0, channels, 0.8), bed, track("outro", 660, 4.0, channels, 1.3))
    ours, theirs = both(lay, tracks, chunks)
    assert ours.shape == theirs.shape == (lay.length, channels)
    assert np.abs(ours).max() > 0.3  # something was mixed
    # Where the bed's gain is flat (not fading, not ducking down or up), the samples are the same.
    ramps = [(offset, offset + lay.fade), (lay.bed_end - lay.fade, lay.bed_end)]
    ramps += list(zip(duck[0::2], duck[1::2], strict=True))
    flat = np.ones(lay.length, dtype=bool)
    for a, b in ramps:
        flat[max(0, a - GAIN_STEP) : b + GAIN_STEP] = False
    assert flat.mean() > 0.6
    assert np.abs(ours[flat] - theirs[flat]).max() <= LSB
    # Inside the ramps they differ only by the curve's shape: never more than the bed itself, and the
    # difference is far below the mix.
    diff = ours - theirs
    assert np.abs(diff).max() <= 0.6 * 0.35
    assert 10 * np.log10(np.mean(diff**2) / np.mean(ours**2)) < -30  # measured: -40 dB


def test_a_sum_over_full_scale_is_kept_by_both(tmp_path: Path) -> None:
    """Loud speech plus a loud intro goes over 0 dBFS before levelling: neither mix clips it."""
    chunks = [chunk(tmp_path / "a.mp3", 3.0, 3)]
    lay = Layout(
        rate=RATE, channels=1, offset=0, speech=2 * RATE, unit_starts=np.array([0]), unit_gains=np.ones((1, 2)),
        duck_times=np.array([0.0]), duck_db=np.array([0.0]), bed_start=0, bed_end=0, outro_start=0,
        length=3 * RATE, fade=RATE,
    )  # fmt: skip
    intro = track("intro", 500, 3.0, 1, 1.6)  # peaks near 0.96 on its own
    ours, theirs = both(lay, Tracks(intro, None, None), chunks)
    assert np.abs(ours).max() > 1.05
    assert np.abs(ours - theirs).max() <= LSB
