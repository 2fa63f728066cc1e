"""The episode's timeline, from the chunks' real frame counts: where each unit, turn and chapter
starts, and the episode's loudness combined from the chunks' measured 100 ms block energies.

Pure Python on purpose: a re-render where every chunk is cached never loads numpy.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from podrender.speech.plan import RenderPlan

#: LAME's encoder delay (576) plus the decoder's (529), in output samples: where speech begins in a chunk.
CODEC_DELAY_SAMPLES = 1105


@dataclass(frozen=True)
class Placed:
    unit: int
    start_ms: int
    end_ms: int
    """End of the speech (the pause follows)."""
    chunk_end_ms: int


@dataclass(frozen=True)
class TimedChapter:
    """A chapter placed on the episode's timeline (what the CHAP frames and every sidecar carry)."""

    title: str
    start_ms: int
    end_ms: int
    first_unit: int


@dataclass(frozen=True)
class Timeline:
    placed: tuple[Placed, ...]
    chapters: tuple[TimedChapter, ...]
    duration_ms: int
    loudness: float
    true_peak: float


def _ms(samples: int, rate: int) -> int:
    return int(round(samples * 1000 / rate))


def gated_loudness(energies: Sequence[float]) -> float:
    """BS.1770 integrated loudness from 100 ms sub-block energies (400 ms blocks, 75% overlap)."""
    if not energies:
        return -math.inf
    # Each block as the sum of its four sub-blocks' energies, from running totals: C loops, since a
    # 3-hour episode has 100,000 blocks. (Fewer than four sub-blocks: one block of their mean.)
    if len(energies) < 4:
        sums = [4 * math.fsum(energies) / len(energies)]
    else:
        totals = [0.0, *itertools.accumulate(energies)]
        sums = list(map(operator.sub, totals[4:], totals))
    # The gates compared as energies: -70 LUFS absolute, and 10 LU under the loudness of what
    # passed it, which is a tenth of its mean energy.
    above = [b for b in sums if b > 4 * _ABSOLUTE_GATE_ENERGY]
    if not above:
        return -math.inf
    relative = math.fsum(above) / len(above) / 10.0
    kept = [b for b in above if b > relative]
    return -0.691 + 10 * math.log10(math.fsum(kept) / len(kept) / 4)


_ABSOLUTE_GATE_ENERGY = 10 ** ((-70.0 + 0.691) / 10)


def build_timeline(plan: RenderPlan, metas: Mapping[int, Mapping[str, Any]]) -> Timeline:
    """Place every unit of `plan` using its chunk metadata (`metas[unit.index]`)."""
    rate = plan.audio.sample_rate
    position = 0
    placed: list[Placed] = []
    energies: list[float] = []
    peak = -math.inf
    for unit in plan.units:
        meta = metas[unit.index]
        samples = int(meta["frames"]) * int(meta["samples_per_frame"])
        speech_end = position + CODEC_DELAY_SAMPLES + int(meta["speech_ms"]) * rate // 1000
        placed.append(Placed(unit.index, _ms(position, rate), _ms(speech_end, rate), _ms(position + samples, rate)))
        position += samples
        energies.extend(meta["energies"])  # floats, as JSON gave them
        peak = max(peak, float(meta["true_peak"]))
    duration = _ms(position, rate)
    chapters: list[TimedChapter] = []
    for i, ch in enumerate(plan.chapters):
        start = placed[ch.first_unit].start_ms
        end = placed[plan.chapters[i + 1].first_unit].start_ms if i + 1 < len(plan.chapters) else duration
        chapters.append(TimedChapter(ch.title, start, end, ch.first_unit))
    return Timeline(tuple(placed), tuple(chapters), duration, gated_loudness(energies), peak)
