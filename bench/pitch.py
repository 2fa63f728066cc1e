"""Median pitch of speech, for the benchmarks: the same autocorrelation rule as tests/conftest.py's
`median_pitch` (40 ms frames, voiced = RMS at least half the clip's and an autocorrelation peak above
0.5 in 60-400 Hz), computed for all frames at once with FFTs so that minutes of audio take a moment."""

from __future__ import annotations

import numpy as np

LOW_HZ = 60
HIGH_HZ = 400


def median_pitch(x: np.ndarray, rate: int) -> float:
    """Median F0 (Hz) of the voiced 40 ms frames of mono float samples `x`; 0.0 when none is voiced."""
    frame = int(0.04 * rate)
    count = (len(x) - 1) // frame  # the same frames as conftest: starts 0, frame, ... with start < len - frame
    if count <= 0:
        return 0.0
    rms_all = float(np.sqrt(np.mean(x**2)))
    frames = x[: count * frame].reshape(count, frame)
    frames = frames - frames.mean(axis=1, keepdims=True)
    voiced = np.sqrt(np.mean(frames**2, axis=1)) >= 0.5 * rms_all
    frames = frames[voiced]
    if not len(frames):
        return 0.0
    size = 1 << (2 * frame - 1).bit_length()  # zero-padded: linear, not circular, correlation
    spectrum = np.fft.rfft(frames, n=size, axis=1)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :frame]
    lo, hi = int(rate / HIGH_HZ), int(rate / LOW_HZ)
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    energy = ac[:, 0]
    peak = ac[np.arange(len(ac)), lags]
    ok = (energy > 0) & (peak > 0.5 * energy)
    if not ok.any():
        return 0.0
    return float(np.median(rate / lags[ok]))
