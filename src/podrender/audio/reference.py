"""A speech-like test signal: a harmonic buzz per word, shaped like syllables, with gaps between words.

The encoder's level change is measured on it (synthesize.measure_codec_gain), and the fake engine
speaks with it, so the whole pipeline can be exercised without a speech library."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def buzz(words: list[str], pitch_hz: float, wpm: int, amplitude: float, rate: int) -> np.ndarray:
    """Float samples at `rate`: for each word a tone at `pitch_hz` plus its octave under a sine
    envelope (its length varies with the word's), then silence, at `wpm` words per minute."""
    import numpy as np

    word = int(rate * 60 / wpm * 0.75)
    gap = int(rate * 60 / wpm * 0.25)
    parts: list[np.ndarray] = []
    for w in words:
        n = word + 200 * (len(w) % 3)
        i = np.arange(n)
        t = i / rate
        wave = np.sin(2 * np.pi * pitch_hz * t) + 0.5 * np.sin(4 * np.pi * pitch_hz * t)
        parts.append(amplitude * np.sin(np.pi * i / n) * wave / 1.5)
        parts.append(np.zeros(gap))
    return np.concatenate(parts) if parts else np.zeros(0)
