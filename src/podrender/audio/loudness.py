"""Loudness per ITU-R BS.1770 (K-weighting, 400 ms gated blocks), true peak and a true-peak limiter.

numpy only. The K-weighting filters are applied in the frequency domain with their exact IIR
response (only block energies matter, and the signal is padded so the circular wrap lands in
silence). True peak uses 4x polyphase oversampling.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SUB_BLOCK_SECONDS = 0.1
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
#: Headroom under the requested ceiling, for what resampling and MP3 encoding add to peaks.
ENCODER_MARGIN_DB = 0.6


@dataclass(frozen=True)
class Levelled:
    """A levelled signal and what was measured on it."""

    samples: np.ndarray
    gain_db: float
    loudness: float
    """Integrated loudness after levelling, LUFS (-inf for silence)."""
    true_peak: float
    """dBTP after levelling."""
    energies: tuple[float, ...]
    """K-weighted mean square of each 100 ms sub-block, for episode-level gating."""


def _k_coefficients(rate: int) -> list[tuple[tuple[float, float, float], tuple[float, float, float]]]:
    # Pre-filter (high shelf) and RLB high-pass, bilinear designs of BS.1770's analog prototypes.
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = (
        ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0),
        (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0),
    )
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    highpass = ((1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0))
    return [shelf, highpass]


def _fast_len(n: int) -> int:
    """Smallest 2^a * 3^b * 5^c >= n, a length numpy's FFT handles quickly."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


@functools.lru_cache(maxsize=8)
def _k_response(rate: int, length: int) -> np.ndarray:
    z = np.exp(-1j * np.pi * np.arange(length // 2 + 1) / (length // 2))
    h = np.ones(length // 2 + 1, dtype=complex)
    for (b0, b1, b2), (a0, a1, a2) in _k_coefficients(rate):
        h *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return h


def k_weight(x: np.ndarray, rate: int) -> np.ndarray:
    """The K-weighted signal (exact IIR response applied in the frequency domain)."""
    if len(x) == 0:
        return x
    length = _fast_len(len(x) + int(0.25 * rate))
    spectrum = np.fft.rfft(x, length) * _k_response(rate, length)
    return np.fft.irfft(spectrum, length)[: len(x)]


@functools.lru_cache(maxsize=8)
def _block_weights(rate: int, step: int) -> np.ndarray:
    """|H(f)|^2 of the K-weighting at the bins of a `step`-point FFT, with Parseval's factors."""
    power = np.abs(_k_response(rate, 2 * step)[::2]) ** 2 if step % 2 == 0 else None
    if power is None:
        freqs = np.arange(step // 2 + 1) / step
        z = np.exp(-2j * np.pi * freqs)
        h = np.ones(len(freqs), dtype=complex)
        for (b0, b1, b2), (a0, a1, a2) in _k_coefficients(rate):
            h *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
        power = np.abs(h) ** 2
    weights = np.full(len(power), 2.0)
    weights[0] = 1.0
    if step % 2 == 0:
        weights[-1] = 1.0
    return np.asarray(power * weights / (step * step))


#: Blocks transformed at once; small batches keep the working set small and its memory reused.
FFT_BATCH = 128


def sub_block_energies(x: np.ndarray, rate: int, blocks: np.ndarray | None = None) -> np.ndarray:
    """Mean square of the K-weighted signal per 100 ms sub-block (a partial last block counts); only
    of the sub-blocks numbered in `blocks` when given, in that order.

    Computed per block from its spectrum times the filter's power response (Parseval): the
    K-filter's memory is a few milliseconds, so ignoring it at block edges changes little.
    """
    step = int(round(rate * SUB_BLOCK_SECONDS))
    if len(x) == 0:
        return np.zeros(0)
    full = -(-len(x) // step)
    which = np.arange(full) if blocks is None else np.asarray(blocks, dtype=np.int64)
    weights = _block_weights(rate, step)
    energies = np.empty(len(which))
    buffer = np.empty((min(FFT_BATCH, max(1, len(which))), step))
    for first in range(0, len(which), FFT_BATCH):
        rows = min(FFT_BATCH, len(which) - first)
        if blocks is None:  # consecutive blocks: one copy
            chunk = x[first * step : (first + rows) * step]
            flat = buffer[:rows].reshape(-1)
            flat[: len(chunk)] = chunk
            flat[len(chunk) :] = 0.0
        else:
            for row, b in enumerate(which[first : first + rows]):
                piece = x[b * step : (b + 1) * step]
                buffer[row, : len(piece)] = piece
                buffer[row, len(piece) :] = 0.0
        spectra = np.fft.rfft(buffer[:rows], axis=1)
        pairs = spectra.view(np.float64).reshape(rows, -1, 2)
        # einsum, not @: matrix products go to a multi-threaded BLAS that fights the other workers.
        energies[first : first + rows] = np.einsum("ijk,ijk,j->i", pairs, pairs, weights)
    tail = len(x) - (full - 1) * step
    energies[which == full - 1] *= step / tail
    return energies


def _rescaled(
    energies: np.ndarray, gain_db: float, y: np.ndarray, limiter: np.ndarray | None, rate: int
) -> np.ndarray:
    """The sub-block energies of y = x * 10^(gain_db/20) * limiter, from x's `energies`: scaled where
    the limiter (None: nowhere) left the signal alone, measured again on y only where it did not."""
    final = energies * 10 ** (gain_db / 10)
    if limiter is None:
        return final
    step = int(round(rate * SUB_BLOCK_SECONDS))
    touched = np.flatnonzero(np.minimum.reduceat(limiter, np.arange(0, len(limiter), step)) < 1.0)
    if len(touched):
        final[touched] = sub_block_energies(y, rate, touched)
    return final


def integrated_loudness(energies: Sequence[float] | np.ndarray) -> float:
    """Gated integrated loudness (LUFS) from 100 ms sub-block energies; -inf for silence."""
    e = np.asarray(energies, dtype=float)
    if len(e) == 0:
        return -math.inf
    if len(e) < 4:
        blocks = np.array([e.mean()])
    else:
        c = np.concatenate(([0.0], np.cumsum(e)))
        blocks = (c[4:] - c[:-4]) / 4
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(blocks)
    kept = blocks[lk > ABSOLUTE_GATE]
    if len(kept) == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(kept.mean()) + RELATIVE_GATE
    kept = blocks[(lk > ABSOLUTE_GATE) & (lk > relative)]
    return -0.691 + 10 * math.log10(kept.mean())


@functools.lru_cache(maxsize=1)
def _oversampling_phases() -> np.ndarray:
    taps_per_phase, factor = 12, 4
    n = np.arange(taps_per_phase * factor) - (taps_per_phase * factor - 1) / 2
    h = np.sinc(n / factor) * np.hanning(len(n) + 2)[1:-1]
    phases = np.stack([h[p::factor] for p in range(factor)])
    return phases / phases.sum(axis=1, keepdims=True)


def true_peak_envelope(x: np.ndarray) -> np.ndarray:
    """Largest absolute value of the 4x oversampled signal around each sample."""
    env = np.abs(x)
    for phase in _oversampling_phases():
        env = np.maximum(env, np.abs(np.convolve(x, phase, mode="same")))
    return env


def true_peak_db(x: np.ndarray) -> float:
    if len(x) == 0:
        return -math.inf
    peak = float(true_peak_envelope(x).max())
    return 20 * math.log10(peak) if peak > 0 else -math.inf


#: The limiter works in blocks of this length; its gain ramps linearly between block centres.
LIMITER_BLOCK_SECONDS = 0.01


def _block_peaks(envelope: np.ndarray, block: int) -> np.ndarray:
    count = -(-len(envelope) // block)
    padded = np.zeros(count * block, dtype=envelope.dtype)
    padded[: len(envelope)] = envelope
    return np.asarray(padded.reshape(count, block).max(axis=1))


def _held_gains(peaks: np.ndarray, ceiling: float) -> np.ndarray:
    """Per block: the smallest gain that block or either neighbour needs to stay under the ceiling."""
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    held = need.copy()
    held[1:] = np.minimum(held[1:], need[:-1])
    held[:-1] = np.minimum(held[:-1], need[1:])
    return held


def _ramp(held: np.ndarray, n: int, block: int) -> np.ndarray:
    """Per-sample gain moving linearly between block centres; only ramps next to limited blocks are built.

    Both ends of every ramp are at most what the samples under it need, so no peak gets through.
    """
    count = len(held)
    gain = np.ones(n, dtype=np.float32)
    half = block // 2
    if held[0] < 1:
        gain[: min(n, half)] = held[0]
    if held[-1] < 1:
        gain[(count - 1) * block + half :] = held[-1]
    seg = np.flatnonzero((held[:-1] < 1) | (held[1:] < 1))
    if len(seg):
        offsets = np.arange(block)
        pos = (seg * block + half)[:, None] + offsets[None, :]
        values = held[seg, None] + (held[seg + 1] - held[seg])[:, None] * (offsets[None, :] / block)
        keep = pos < n
        gain[pos[keep]] = values[keep]
    return gain


def limiter_gain(envelope: np.ndarray, rate: int, ceiling_db: float) -> np.ndarray | None:
    """Per-sample gain (<= 1) that keeps `envelope` under the ceiling with 10 ms ramps; None when
    nothing needs limiting."""
    ceiling = 10 ** (ceiling_db / 20)
    if envelope.max(initial=0.0) <= ceiling:
        return None
    block = max(1, int(rate * LIMITER_BLOCK_SECONDS))
    return _ramp(_held_gains(_block_peaks(envelope, block), ceiling), len(envelope), block)


def limit(x: np.ndarray, rate: int, ceiling_db: float) -> np.ndarray:
    """`x` with the stretches whose true peak exceeds the ceiling smoothly turned down."""
    gain = limiter_gain(true_peak_envelope(x), rate, ceiling_db)
    return x if gain is None else np.asarray(x * gain)


def _candidate_envelope(x: np.ndarray, threshold: float) -> np.ndarray:
    """|x| with 4x-oversampled peaks filled in wherever |x| exceeds `threshold` (inter-sample
    peaks of band-limited speech stay within a few dB of the sample peaks around them)."""
    env = np.abs(x)
    loud = env > threshold
    if not loud.any():
        return env
    # The oversampled values stored at a sample describe its neighbourhood: take one on each side.
    core = loud.copy()
    loud[1:] |= core[:-1]
    loud[:-1] |= core[1:]
    idx = np.flatnonzero(loud)
    phases = _oversampling_phases()
    taps = phases.shape[1]
    half = taps // 2
    padded = np.concatenate((np.zeros(half, dtype=x.dtype), x, np.zeros(taps, dtype=x.dtype)))
    windows = padded[idx[:, None] + np.arange(taps)[None, :]]
    env[idx] = np.maximum(env[idx], np.abs(np.einsum("ik,pk->ip", windows, phases)).max(axis=1))
    return env


def _per_sub_block(held: np.ndarray, block: int, step: int, blocks: int) -> np.ndarray:
    """Mean square of the limiter's block gains over each 100 ms sub-block."""
    owner = np.minimum((np.arange(len(held)) * block + block // 2) // step, blocks - 1)
    total = np.bincount(owner, weights=held * held, minlength=blocks)
    count = np.bincount(owner, minlength=blocks)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), 1.0))


def level(x: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float) -> Levelled:
    """Bring `x` (floats in -1..1) to the target loudness with its true peak under the ceiling.

    The gain search works on 10 ms block peaks and 100 ms block energies only: the limiter's effect
    on a block's energy is estimated from the mean square of its gain there (it moves slowly next to
    the K-filter's response). The levelled signal is built and measured once at the end, with one
    measured correction when the estimate was optimistic.
    """
    energies = sub_block_energies(x, rate)
    measured = integrated_loudness(energies)
    if not math.isfinite(measured):
        return Levelled(x, 0.0, measured, true_peak_db(x), tuple(float(v) for v in energies))
    ceiling = 10 ** ((ceiling_dbtp - ENCODER_MARGIN_DB) / 20)
    gain_db = target_lufs - measured
    # Inter-sample peaks are examined around samples within 4 dB of the ceiling at this gain (the
    # search raises the gain by well under 1 dB; speech at 22 kHz overshoots its samples by less
    # than 3 dB).
    env = _candidate_envelope(x, ceiling / 10 ** ((gain_db + 1) / 20) / 1.41)
    step = int(round(rate * SUB_BLOCK_SECONDS))
    block = max(1, int(rate * LIMITER_BLOCK_SECONDS))
    peaks = _block_peaks(env, block)

    def attempt(gain_db: float) -> tuple[np.ndarray, np.ndarray | None]:
        g = 10 ** (gain_db / 20)
        held = _held_gains(peaks * g, ceiling)
        if held.min() >= 1.0:
            return x * g, None
        gain = _ramp(held, len(x), block)
        return x * (g * gain), gain

    for _ in range(4):
        held = _held_gains(peaks * 10 ** (gain_db / 20), ceiling)
        if held.min() >= 1.0:
            break
        estimate = energies * 10 ** (gain_db / 10) * _per_sub_block(held, block, step, len(energies))
        shortfall = target_lufs - integrated_loudness(estimate)
        if shortfall < 0.05 or gain_db > 30:
            break
        gain_db += shortfall
    y, lim = attempt(gain_db)
    final = _rescaled(energies, gain_db, y, lim, rate)
    shortfall = target_lufs - integrated_loudness(final)
    if lim is not None and shortfall > 0.2 and gain_db < 30:
        gain_db += shortfall
        y, lim = attempt(gain_db)
        final = _rescaled(energies, gain_db, y, lim, rate)
    g = 10 ** (gain_db / 20)
    peak_env = env * g if lim is None else env * (g * lim)
    peak = float(peak_env.max(initial=0.0))
    true_peak = 20 * math.log10(peak) if peak > 0 else -math.inf
    return Levelled(np.asarray(y), gain_db, integrated_loudness(final), true_peak, tuple(float(v) for v in final))


def warm_up(rate: int = 22050) -> None:
    """Run `level` once on a second of noise so FFT plans and filter tables exist before workers fork."""
    noise = np.random.default_rng(0).standard_normal(rate) * 0.1
    level(noise, rate, -16.0, -1.0)
