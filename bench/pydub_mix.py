"""The episode's music mix made by pydub, block by block: the reference the shipped numpy mix is measured
(bench/music_mix.py) and tested (tests/test_mix_reference.py) against (issue 17).

It makes the same blocks as podrender.output.mix.mixed_blocks: per block of about ten seconds, 32-bit pydub
segments with 24 dB of headroom (so a sum over full scale is kept until the mix is levelled), the speech
seated turn by turn with `apply_gain_stereo` (the same constant-power gains; pydub's `pan()` is a different
law that loses about 0.5 dB part-way to a side), the intro and outro placed with `overlay(position=...)`, and
the bed looped, its fades and ducking made as `apply_gain` on flat stretches and `fade` ramps between the
break points of its curve. pydub's ramps are linear in amplitude, one step per millisecond; the numpy curve
is linear in dB: the two differ inside a ramp and agree everywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydub import AudioSegment

from podrender.audio.music import Track, Tracks
from podrender.output.mix import Layout, _block_size
from podrender.output.streams import ChunkDecoder

#: pydub segments in the mix are 32-bit with this much headroom below full scale (1/16, 24 dB), so a sum of
#: speech and music over 0 dBFS is kept, not clipped, until the mix is levelled.
PYDUB_HEADROOM_DB = 20 * math.log10(1 / 16)
_PYDUB_SCALE = 2.0**31 / 16


def _pydub_segment(samples: np.ndarray, rate: int, channels: int) -> Any:
    """Float samples (full scale 1) as a 32-bit pydub segment with the headroom."""
    data = np.round(samples * _PYDUB_SCALE).astype("<i4")
    return AudioSegment(data=data.tobytes(), sample_width=4, frame_rate=rate, channels=channels)


def _pydub_track(track: Track, a: int, b: int, channels: int) -> Any:
    """The track's samples [a, b) (looped), 32-bit, at the track's gain less the headroom."""
    seg = track.segment
    pieces, at, need = [], a % track.frames, b - a
    while need > 0:
        piece = seg.get_sample_slice(at, min(track.frames, at + need))
        pieces.append(piece)
        need -= int(piece.frame_count())
        at = 0
    part = pieces[0] if len(pieces) == 1 else sum(pieces[1:], pieces[0])
    if part.channels != channels:
        part = part.set_channels(channels)
    gain_db = 20 * math.log10(track.gain) if track.gain > 0 else -120.0
    return part.set_sample_width(4).apply_gain(gain_db + PYDUB_HEADROOM_DB)


def _position_ms(frames: int, rate: int) -> float:
    """A pydub position (ms) that lands on sample `frames` (pydub truncates ms * rate / 1000)."""
    return (frames + 0.5) * 1000 / rate


def _bed_gain_db(lay: Layout, t: float) -> float:
    """The bed's gain at mix sample `t`: its fade in and out, and its ducking."""
    ramp = max(1, min(lay.fade, (lay.bed_end - lay.bed_start) // 2))
    amp = min(1.0, (t - lay.bed_start) / ramp, (lay.bed_end - t) / ramp)
    fade_db = 20 * math.log10(amp) if amp > 1e-6 else -120.0
    return fade_db + float(np.interp(t, lay.duck_times, lay.duck_db))


def _pydub_bed(bed: Track, lay: Layout, lo: int, hi: int, channels: int) -> Any:
    """The bed for mix samples [lo, hi): looped, then faded and ducked as pydub gain ramps between the
    break points of its curve that fall in the range."""
    ramp = max(1, min(lay.fade, (lay.bed_end - lay.bed_start) // 2))
    edges = [lay.bed_start, lay.bed_start + ramp, lay.bed_end - ramp, lay.bed_end, *lay.duck_times.tolist()]
    cuts = sorted({lo, hi, *(int(round(x)) for x in edges if lo < round(x) < hi)})
    looped = _pydub_track(bed, lo - lay.bed_start, hi - lay.bed_start, channels)
    parts = []
    for x, y in zip(cuts, cuts[1:], strict=False):
        piece = looped.get_sample_slice(x - lo, y - lo)
        g0, g1 = _bed_gain_db(lay, x), _bed_gain_db(lay, y)
        if abs(g1 - g0) < 0.01:
            piece = piece.apply_gain(g0) if abs(g0) >= 0.01 else piece
        else:
            piece = piece.fade(from_gain=g0, to_gain=g1, start=0, end=len(piece))
        parts.append(piece)
    return parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])


def pydub_blocks(lay: Layout, tracks: Tracks, chunks: Sequence[Path]) -> Generator[np.ndarray, None, None]:
    """The same mix as `mixed_blocks`, made by pydub: per block, 32-bit segments overlaid (speech seated
    with `apply_gain_stereo`, music placed with `overlay(position=...)`, the bed's ducking as `fade` ramps)."""
    size = _block_size(lay.rate)
    rate, channels = lay.rate, lay.channels
    speech = ChunkDecoder(chunks, rate)
    try:
        for a in range(0, lay.length, size):
            b = min(lay.length, a + size)
            block = AudioSegment(data=bytes(4 * channels * (b - a)), sample_width=4, frame_rate=rate, channels=channels)
            lo, hi = max(a, lay.offset), min(b, lay.offset + lay.speech)
            if lo < hi:
                voice = _pydub_segment(speech.read(hi - lo), rate, 1)
                if channels == 2:
                    first, last = lo - lay.offset, hi - lay.offset
                    i = max(int(np.searchsorted(lay.unit_starts, first, side="right")) - 1, 0)
                    seated = []
                    while True:  # one piece per turn in the block, at its seat
                        end = int(lay.unit_starts[i + 1]) if i + 1 < len(lay.unit_starts) else last
                        end = min(max(end, first), last)
                        left, right = (float(g) for g in lay.unit_gains[i]) if len(lay.unit_gains) else (1.0, 1.0)
                        piece = voice.get_sample_slice(first - (lo - lay.offset), end - (lo - lay.offset))
                        seated.append(piece.apply_gain_stereo(_db(left), _db(right)))
                        if end >= last:
                            break
                        first, i = end, i + 1
                    voice = sum(seated[1:], seated[0])
                block = block.overlay(voice, position=_position_ms(lo - a, rate))
            for track, start in ((tracks.intro, 0), (tracks.outro, lay.outro_start)):
                if track is None:
                    continue
                t_lo, t_hi = max(a, start), min(b, start + track.frames)
                if t_lo < t_hi:
                    part = _pydub_track(track, t_lo - start, t_hi - start, channels)
                    block = block.overlay(part, position=_position_ms(t_lo - a, rate))
            if tracks.bed is not None:
                b_lo, b_hi = max(a, lay.bed_start), min(b, lay.bed_end)
                if b_lo < b_hi:
                    bed = _pydub_bed(tracks.bed, lay, b_lo, b_hi, channels)
                    block = block.overlay(bed, position=_position_ms(b_lo - a, rate))
            # pydub slices by ms: `overlay` pads a block that is not a whole number of ms with a frame of silence.
            out = np.frombuffer(block.raw_data, dtype="<i4").reshape(-1, channels)[: b - a]
            yield (out * np.float32(1 / _PYDUB_SCALE)).astype(np.float32)
        speech.finish()
    finally:
        speech.close()


def _db(gain: float) -> float:
    return 20 * math.log10(gain) if gain > 1e-6 else -120.0
