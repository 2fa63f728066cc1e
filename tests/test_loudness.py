"""Loudness per BS.1770 (podrender.audio.loudness) and the pure-Python gating in podrender.output.timeline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from podrender.audio import loudness
from podrender.audio.loudness import (
    ENCODER_MARGIN_DB,
    integrated_loudness,
    level,
    limit,
    sub_block_energies,
    true_peak_db,
)
from podrender.output.timeline import gated_loudness

# A full-scale 997 Hz sine reads -3.01 LUFS (BS.1770-4, table 1 / the -0.691 offset).
FULL_SCALE_SINE_LUFS = -3.01


def sine(freq: float, amplitude: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def expected_sine_lufs(amplitude: float) -> float:
    return FULL_SCALE_SINE_LUFS + 20 * math.log10(amplitude)


def band_limited_noise(rate: int, seconds: float, seed: int, top_hz: float = 4000.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(rate * seconds)) * 0.05
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(len(x), 1 / rate) > top_hz] = 0
    return np.fft.irfft(spectrum, len(x))


def bursts(rate: int, seconds: float) -> np.ndarray:
    """A 440 Hz tone switched on and off every half second, with quiet gaps."""
    t = np.arange(int(rate * seconds)) / rate
    on = (np.floor(t * 2) % 2 == 0).astype(float)
    return 0.3 * np.sin(2 * np.pi * 440 * t) * on + 0.001 * np.sin(2 * np.pi * 300 * t)


def measured(x: np.ndarray, rate: int) -> float:
    return integrated_loudness(sub_block_energies(x, rate))


# --- measuring ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [48000, 22050])
@pytest.mark.parametrize("amplitude", [1.0, 0.5, 0.1])
def test_997_hz_sine_reads_as_bs1770_says(rate: int, amplitude: float) -> None:
    x = sine(997, amplitude, rate, 3.0)
    assert measured(x, rate) == pytest.approx(expected_sine_lufs(amplitude), abs=0.1)


@pytest.mark.parametrize("rate", [48000, 22050, 44100])
def test_1khz_sine_at_minus_20_dbfs(rate: int) -> None:
    x = sine(1000, 10 ** (-20 / 20), rate, 2.0)
    assert measured(x, rate) == pytest.approx(FULL_SCALE_SINE_LUFS - 20, abs=0.1)


def test_k_weighting_boosts_treble_and_cuts_bass() -> None:
    rate = 48000
    mid = measured(sine(997, 0.1, rate, 2.0), rate)
    assert measured(sine(4000, 0.1, rate, 2.0), rate) > mid + 2.0  # high shelf, about +4 dB
    assert measured(sine(30, 0.1, rate, 2.0), rate) < mid - 1.0  # RLB high-pass


def test_sub_blocks_are_100_ms_and_a_partial_block_counts() -> None:
    rate = 22050
    x = sine(997, 0.5, rate, 1.05)
    energies = sub_block_energies(x, rate)
    assert len(energies) == 11
    # The partial last block is scaled to a mean square, so it matches the full ones.
    assert energies[-1] == pytest.approx(energies[5], rel=0.2)


def test_chosen_sub_blocks_are_measured_as_in_the_whole() -> None:
    rate = 22050
    x = band_limited_noise(rate, 1.53, seed=7)  # 16 sub-blocks, the last one partial
    whole = sub_block_energies(x, rate)
    for blocks in ([3], [0, 15], [15, 2, 9], list(range(16))):
        assert np.allclose(sub_block_energies(x, rate, np.array(blocks)), whole[blocks], rtol=1e-12)
    assert len(sub_block_energies(x, rate, np.array([], dtype=int))) == 0


def test_k_weight_matches_the_block_energies() -> None:
    rate = 48000
    x = band_limited_noise(rate, 2.0, seed=3)
    y = loudness.k_weight(x, rate)
    step = rate // 10
    direct = (y[: len(y) // step * step].reshape(-1, step) ** 2).mean(axis=1)
    blocks = sub_block_energies(x, rate)[: len(direct)]
    assert 10 * np.log10(direct.mean()) == pytest.approx(10 * np.log10(blocks.mean()), abs=0.1)


def test_silence_has_no_loudness() -> None:
    rate = 22050
    silence = np.zeros(rate * 2)
    assert integrated_loudness(sub_block_energies(silence, rate)) == -math.inf
    assert integrated_loudness([]) == -math.inf
    assert gated_loudness([]) == -math.inf
    assert gated_loudness([0.0] * 20) == -math.inf
    assert true_peak_db(silence) == -math.inf
    assert true_peak_db(np.zeros(0)) == -math.inf
    result = level(silence, rate, -16.0, -1.0)
    assert result.loudness == -math.inf
    assert result.gain_db == 0.0
    assert np.array_equal(result.samples, silence)


def test_absolute_gate_ignores_near_silence() -> None:
    rate = 22050
    tone = sine(997, 0.1, rate, 2.0)
    hiss = sine(997, 1e-5, rate, 6.0)  # about -103 LUFS: under the -70 LUFS absolute gate
    with_hiss = measured(np.concatenate([tone, hiss]), rate)
    with_silence = measured(np.concatenate([tone, np.zeros_like(hiss)]), rate)
    assert with_hiss == pytest.approx(with_silence, abs=0.001)
    # Only the 400 ms blocks straddling the end of the tone lower the reading (by 10log10(18.5/20)).
    assert with_hiss == pytest.approx(measured(tone, rate) + 10 * math.log10(18.5 / 20), abs=0.02)


def test_relative_gate_ignores_quiet_passages() -> None:
    rate = 22050
    loud = sine(997, 0.5, rate, 3.0)
    quiet = sine(997, 0.005, rate, 3.0)  # 40 dB down: under the -10 LU relative gate
    with_quiet = measured(np.concatenate([loud, quiet]), rate)
    assert with_quiet == pytest.approx(measured(np.concatenate([loud, np.zeros_like(quiet)]), rate), abs=0.01)
    # Without gating the quiet half would pull the reading down by about 3 dB.
    assert with_quiet > measured(loud, rate) - 0.5


def test_quiet_passage_above_the_relative_gate_counts() -> None:
    rate = 22050
    loud = sine(997, 0.5, rate, 3.0)
    softer = sine(997, 0.25, rate, 3.0)  # 6 dB down: above the relative gate
    both = measured(np.concatenate([loud, softer]), rate)
    assert measured(softer, rate) + 0.5 < both < measured(loud, rate) - 0.5


def test_short_signal_uses_one_block() -> None:
    assert integrated_loudness([0.01, 0.01]) == pytest.approx(-0.691 + 10 * math.log10(0.01))
    assert gated_loudness([0.01, 0.01]) == pytest.approx(-0.691 + 10 * math.log10(0.01))


# --- pure-Python gating agrees with numpy -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gated_loudness_agrees_with_integrated_loudness(seed: int) -> None:
    rate = 22050
    parts = [
        band_limited_noise(rate, 1.5, seed),
        np.zeros(rate // 2),
        0.1 * band_limited_noise(rate, 1.0, seed + 10),
        bursts(rate, 2.0),
        0.01 * band_limited_noise(rate, 1.0, seed + 20),
    ]
    energies = sub_block_energies(np.concatenate(parts), rate)
    expected = integrated_loudness(energies)
    assert math.isfinite(expected)
    assert gated_loudness([float(e) for e in energies]) == pytest.approx(expected, abs=0.01)


def test_gated_loudness_of_concatenated_chunks_is_the_episode_loudness() -> None:
    rate = 22050
    a, b = band_limited_noise(rate, 2.0, 5), 0.3 * band_limited_noise(rate, 3.0, 6)
    chunks = [float(e) for e in sub_block_energies(a, rate)] + [float(e) for e in sub_block_energies(b, rate)]
    assert gated_loudness(chunks) == pytest.approx(measured(np.concatenate([a, b]), rate), abs=0.05)


# --- levelling ------------------------------------------------------------------------------------------


def assert_levelled(x: np.ndarray, rate: int, target: float, ceiling: float) -> None:
    result = level(x, rate, target, ceiling)
    assert result.samples.shape == x.shape
    assert result.loudness == pytest.approx(target, abs=0.3)
    assert measured(result.samples, rate) == pytest.approx(result.loudness, abs=0.01)
    assert true_peak_db(result.samples) <= ceiling - ENCODER_MARGIN_DB + 0.05
    assert result.true_peak <= ceiling - ENCODER_MARGIN_DB + 0.05
    assert len(result.energies) == len(sub_block_energies(x, rate))
    # Scaled where the limiter did nothing, measured again where it did: the same as measuring it all
    # (to the float32 rounding of the gain applied to the samples: 1e-7).
    assert np.allclose(result.energies, sub_block_energies(result.samples, rate), rtol=1e-6, atol=1e-15)


@pytest.mark.parametrize(
    ("target", "ceiling"), [(-16.0, -1.0), (-23.0, -2.0), (-12.0, -1.0), (-14.0, -3.0), (-11.0, -1.0)]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_level_band_limited_noise(seed: int, target: float, ceiling: float) -> None:
    assert_levelled(band_limited_noise(22050, 3.0, seed), 22050, target, ceiling)


@pytest.mark.parametrize(("target", "ceiling"), [(-16.0, -1.0), (-10.0, -1.0), (-20.0, -3.0), (-14.0, -6.0)])
def test_level_sine_bursts(target: float, ceiling: float) -> None:
    assert_levelled(bursts(22050, 4.0), 22050, target, ceiling)


def test_level_sine_at_48k() -> None:
    assert_levelled(sine(997, 0.05, 48000, 2.0), 48000, -16.0, -1.0)


def test_level_reports_its_gain() -> None:
    x = sine(997, 0.1, 22050, 2.0)
    result = level(x, 22050, -16.0, -1.0)
    assert result.gain_db == pytest.approx(-16.0 - measured(x, 22050), abs=0.01)
    assert np.allclose(result.samples, x * 10 ** (result.gain_db / 20))  # no limiting was needed


@pytest.mark.parametrize(
    ("name", "target", "ceiling"),
    [("bursts", -12.0, -6.0), ("bursts", -9.0, -6.0), ("noise", -10.0, -1.0)],
)
def test_level_keeps_the_ceiling_when_the_target_is_hard_to_reach(name: str, target: float, ceiling: float) -> None:
    rate = 22050
    x = bursts(rate, 4.0) if name == "bursts" else band_limited_noise(rate, 3.0, 0)
    result = level(x, rate, target, ceiling)
    # Reaching the target is not always possible under the ceiling; staying under it is.
    assert true_peak_db(result.samples) <= ceiling - ENCODER_MARGIN_DB + 0.05


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_level_full_band_noise_keeps_the_true_peak_under_the_ceiling(seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal(22050 * 3) * 0.05
    result = level(x, 22050, -11.0, -1.0)
    actual = true_peak_db(result.samples)
    assert actual <= -1.0 - ENCODER_MARGIN_DB + 0.05
    assert result.true_peak == pytest.approx(actual, abs=0.05)


def test_limit_keeps_true_peak_under_the_ceiling() -> None:
    rate = 22050
    x = band_limited_noise(rate, 2.0, 4) * 8
    assert true_peak_db(x) > -1.0
    limited = limit(x, rate, -3.0)
    assert true_peak_db(limited) <= -3.0 + 0.05
    assert np.all(np.abs(limited) <= np.abs(x) + 1e-12)  # the limiter only turns down


def test_limit_leaves_quiet_audio_alone() -> None:
    x = sine(440, 0.1, 22050, 1.0)
    assert limit(x, 22050, -1.0) is x


def test_true_peak_of_a_sine_between_samples() -> None:
    # A quarter-rate sine sampled at 45 degrees: sample peaks are 3 dB under the true peak.
    n = np.arange(4800)
    x = 0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(20 * np.log10(0.5) - 3.01, abs=0.01)
    assert true_peak_db(x) == pytest.approx(20 * np.log10(0.5), abs=0.5)
