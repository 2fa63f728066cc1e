"""The produced episode: speech from the cached chunks, music around and under it, speakers seated in stereo.

Nothing is synthesized again: the chunks are decoded as one stream (ffmpeg), mixed block by block with the
music tracks (podrender.audio.music, pydub segments), and encoded again as one MP3 stream. Two passes over
the blocks: the first measures the mix's loudness (BS.1770, channels summed), the second applies the gain
that meets the target and a true-peak limiter, and encodes. Memory stays a few blocks whatever the length.

Where things sit (samples of the mix; docs/music.md):

    0 ── intro alone ── O ── speech (bed under it, ducked) ── E ── outro rising ── end
                        └ the intro fades out here, under the first words; the bed fades in

Every time of the timeline moves by O, so chapters, cues and the manifest still point at the same words.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from podrender.audio.loudness import (
    ENCODER_MARGIN_DB,
    SUB_BLOCK_SECONDS,
    _candidate_envelope,
    integrated_loudness,
    limiter_gain,
    sub_block_energies,
)
from podrender.audio.music import Track, Tracks
from podrender.audio.settings import AudioSettings, MusicSettings
from podrender.output.streams import ChunkDecoder, StreamEncoder
from podrender.output.timeline import CODEC_DELAY_SAMPLES, Placed, TimedChapter, Timeline
from podrender.speech.plan import RenderPlan

#: Default seats in a stereo episode (pan, -1 left .. 1 right) when voices.yaml gives none: the host a little
#: left, the narrator in the middle, guests a little right, several guests spread from the middle outwards.
HOST_SEAT = -0.4
GUEST_SEATS = (0.4, 0.15, 0.6, 0.3, 0.5)
NARRATOR_SEAT = 0.0
#: The speech start O is a multiple of this many ms: a whole number of samples at every MP3 rate.
GRID_MS = 40
#: Blocks of about this many seconds are mixed at a time.
BLOCK_SECONDS = 10.0


def seating(
    speakers: Sequence[str], host: str | None, narrator: str, pans: Mapping[str, float | None]
) -> dict[str, float]:
    """Each speaker's pan: voices.yaml's `pan:` when given, else the default seat (host left, guests right)."""
    seats: dict[str, float] = {}
    guests = 0
    for name in speakers:
        given = pans.get(name)
        if given is not None:
            seats[name] = given
        elif name == narrator:
            seats[name] = NARRATOR_SEAT
        elif name == host:
            seats[name] = HOST_SEAT
        else:
            seats[name] = GUEST_SEATS[guests % len(GUEST_SEATS)]
            guests += 1
    return seats


def pan_gains(pan: float) -> tuple[float, float]:
    """Left and right gains of a constant-power pan, 1 and 1 in the middle (so a centred voice is unchanged)."""
    angle = (pan + 1) * math.pi / 4
    return math.cos(angle) * math.sqrt(2), math.sin(angle) * math.sqrt(2)


def needs_mix(music: MusicSettings, audio: AudioSettings) -> bool:
    """Music to add, or speakers to seat in stereo: the chunks cannot simply be joined."""
    return music.any or audio.channels == 2


@dataclass(frozen=True)
class Layout:
    """Where everything sits in the mix, in samples."""

    rate: int
    channels: int
    offset: int
    """Where the speech stream starts (the intro plays alone before it)."""
    speech: int
    """Samples of speech (the decoded chunks, their first codec delay dropped)."""
    unit_starts: np.ndarray
    """Each unit's first sample in the speech stream, for its seat."""
    unit_gains: np.ndarray
    """(units, 2) left and right gains."""
    duck_times: np.ndarray
    """Break points of the bed's ducking curve (mix samples) and its level there (dB)."""
    duck_db: np.ndarray
    bed_start: int
    bed_end: int
    outro_start: int
    length: int
    fade: int
    """Samples the bed takes to fade in and out."""


def _samples(ms: float, rate: int) -> int:
    return int(round(ms * rate / 1000))


def layout(
    plan: RenderPlan, timeline: Timeline, tracks: Tracks, music: MusicSettings, seats: Mapping[str, float]
) -> Layout:
    """Place the speech, the music and the ducking for `timeline` (the speech's own, before any shift)."""
    rate, channels = plan.audio.sample_rate, plan.audio.channels
    fade = _samples(music.fade_ms, rate)
    offset = 0
    if tracks.intro is not None:
        ms = max(0.0, tracks.intro.frames * 1000 / rate - music.fade_ms)
        offset = _samples(round(ms / GRID_MS) * GRID_MS, rate)
    speech = max(0, _samples(timeline.duration_ms, rate) - CODEC_DELAY_SAMPLES)
    starts = np.array([_samples(p.start_ms, rate) for p in timeline.placed], dtype=np.int64)
    gains = np.array([pan_gains(seats.get(plan.units[p.unit].speaker, 0.0)) for p in timeline.placed])
    # The bed drops `attack` before each stretch of speech and comes back `release` after it; a pause shorter
    # than both together stays ducked (no pumping between sentences and turns).
    attack, release = _samples(music.attack_ms, rate), _samples(music.release_ms, rate)
    spans: list[list[int]] = []
    for p in timeline.placed:
        s, e = offset + _samples(p.start_ms, rate), offset + _samples(p.end_ms, rate) - CODEC_DELAY_SAMPLES
        if spans and s - spans[-1][1] < attack + release:
            spans[-1][1] = max(spans[-1][1], e)
        else:
            spans.append([s, max(s, e)])
    times: list[float] = [] if spans else [0.0]
    levels: list[float] = [] if spans else [0.0]
    for s, e in spans:  # increasing: spans are apart by more than attack + release
        times += [s - attack, s, e, e + release]
        levels += [0.0, -music.duck_db, -music.duck_db, 0.0]
    last_word = offset + (max(s[1] for s in spans) if spans else speech)
    outro_start = last_word if tracks.outro is not None else 0
    bed_start = offset
    bed_end = (outro_start if tracks.outro is not None else last_word + _samples(1000, rate)) + fade
    length = offset + speech
    if tracks.bed is not None:
        length = max(length, bed_end)
    if tracks.outro is not None:
        length = max(length, outro_start + tracks.outro.frames)
    if tracks.intro is not None:
        length = max(length, tracks.intro.frames)
    return Layout(
        rate, channels, offset, speech, starts, gains.reshape(-1, 2), np.array(times, dtype=np.float64),
        np.array(levels), bed_start, bed_end, outro_start, length, fade,
    )  # fmt: skip


def _block_size(rate: int) -> int:
    """About BLOCK_SECONDS, a whole number of loudness sub-blocks and limiter blocks, so both line up
    across block edges."""
    step = int(round(rate * SUB_BLOCK_SECONDS))
    limiter = max(1, int(rate * 0.01))
    unit = math.lcm(step, limiter)
    return unit * max(1, round(rate * BLOCK_SECONDS / unit))


def _music_part(track: Track, start: int, a: int, b: int, channels: int) -> tuple[np.ndarray, int] | None:
    """The track's samples for mix positions [a, b) when it starts at `start`, as floats with its gain; and
    where they go in the block."""
    lo, hi = max(a, start), min(b, start + track.frames)
    if lo >= hi:
        return None
    part = track.samples[lo - start : hi - start].astype(np.float32) * np.float32(track.gain / 32768)
    return part[:, :channels], lo - a


def mixed_blocks(lay: Layout, tracks: Tracks, chunks: Sequence[Path]) -> Generator[np.ndarray, None, None]:
    """The mix, block by block: float32 arrays of shape (samples, channels).

    Summed with numpy, not pydub's `overlay`: the same blocks made by pydub (bench/pydub_mix.py) make a cached
    render with music 23 % to 39 % slower (15 min and 3 h, mono and stereo: bench/music_mix.py), over a tenth;
    tests/test_mix_reference.py holds this sum to pydub's."""
    size = _block_size(lay.rate)
    speech = ChunkDecoder(chunks, lay.rate)
    try:
        for a in range(0, lay.length, size):
            b = min(lay.length, a + size)
            out = np.zeros((b - a, lay.channels), dtype=np.float32)
            lo, hi = max(a, lay.offset), min(b, lay.offset + lay.speech)
            if lo < hi:
                voice = speech.read(hi - lo)
                if lay.channels == 2:
                    where = np.arange(lo - lay.offset, hi - lay.offset)
                    seat = np.maximum(np.searchsorted(lay.unit_starts, where, side="right") - 1, 0)
                    out[lo - a : hi - a] += voice[:, None] * lay.unit_gains[seat].astype(np.float32)
                else:
                    out[lo - a : hi - a, 0] += voice
            for track, start in ((tracks.intro, 0), (tracks.outro, lay.outro_start)):
                if track is not None and (part := _music_part(track, start, a, b, lay.channels)) is not None:
                    out[part[1] : part[1] + len(part[0])] += part[0]
            if tracks.bed is not None:
                _add_bed(out, tracks.bed, lay, a, b)
            yield out
        speech.finish()
    finally:
        speech.close()


def _add_bed(out: np.ndarray, bed: Track, lay: Layout, a: int, b: int) -> None:
    """The bed, looped from its start, faded in and out, ducked under speech (the layout's curve)."""
    lo, hi = max(a, lay.bed_start), min(b, lay.bed_end)
    if lo >= hi:
        return
    # The gain curve moves over hundreds of ms: computed every GAIN_STEP samples (0.7 ms at 44.1 kHz) and held.
    t = np.arange(lo, hi, GAIN_STEP, dtype=np.float64)
    ramp = max(1, min(lay.fade, (lay.bed_end - lay.bed_start) // 2))
    amp = np.minimum(1.0, np.minimum((t - lay.bed_start) / ramp, (lay.bed_end - t) / ramp))
    amp *= 10 ** (np.interp(t, lay.duck_times, lay.duck_db) / 20) * (bed.gain / 32768)
    gains = np.repeat(amp.astype(np.float32), GAIN_STEP)[: hi - lo, None]
    samples = bed.samples
    pieces, at = [], (lo - lay.bed_start) % bed.frames
    need = hi - lo
    while need > 0:  # the loop, as slices of the bed
        piece = samples[at : at + need]
        pieces.append(piece)
        need -= len(piece)
        at = 0
    looped = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    out[lo - a : hi - a] += looped[:, : lay.channels] * gains


#: The bed's gain curve is computed every this many samples.
GAIN_STEP = 32


@dataclass(frozen=True)
class Mixed:
    path: Path
    """The encoded episode stream (bare MP3, no tag)."""
    timeline: Timeline
    """The timeline moved by the intro, with the mix's length and measured loudness."""
    summary: dict[str, Any]
    """What the manifest records of the mix (`mix`): the music files, where speech starts, the seats."""


def _energies(block: np.ndarray, rate: int) -> np.ndarray:
    total = sub_block_energies(block[:, 0].astype(np.float64), rate)
    for ch in range(1, block.shape[1]):
        total = total + sub_block_energies(block[:, ch].astype(np.float64), rate)
    return total


def mix_episode(
    plan: RenderPlan,
    timeline: Timeline,
    chunks: Sequence[Path],
    tracks: Tracks,
    music: MusicSettings,
    seats: Mapping[str, float],
    target: Path,
    codec_gain: float = 0.0,
) -> Mixed:
    """Mix and encode the episode to `target` (a scratch file); the timeline it returns is the mix's."""
    audio = plan.audio
    rate = audio.sample_rate
    lay = layout(plan, timeline, tracks, music, seats)
    # Pass 1: how loud is the mix?
    energies = np.concatenate([_energies(block, rate) for block in mixed_blocks(lay, tracks, chunks)])
    measured = integrated_loudness(energies)
    gain_db = audio.loudness - codec_gain - measured if math.isfinite(measured) else 0.0
    gain = np.float32(10 ** (gain_db / 20))
    ceiling_db = audio.true_peak - ENCODER_MARGIN_DB
    limiter = max(1, int(rate * 0.01))
    context = 3 * limiter
    peak = 0.0
    # Pass 2: the same blocks with that gain, limited (each with a little of its neighbours, so the limiter's
    # ramps are the same as over the whole signal), encoded.
    with target.open("wb") as out, ExitStack() as stack:
        encoder = StreamEncoder(audio, out)
        previous: np.ndarray | None = None
        blocks = mixed_blocks(lay, tracks, chunks)
        stack.callback(blocks.close)  # its ffmpeg ends with it, whatever happens here
        current = next(blocks, None)
        while current is not None:
            following = next(blocks, None)
            parts = [
                previous[-context:] if previous is not None else np.zeros((0, lay.channels), np.float32),
                current,
                following[:context] if following is not None else np.zeros((0, lay.channels), np.float32),
            ]
            window = np.concatenate(parts) * gain
            # Inter-sample peaks are looked for only near the ceiling (within 3 dB), as levelling does.
            near = 10 ** (ceiling_db / 20) / 1.41
            envelope = np.max([_candidate_envelope(window[:, ch], near) for ch in range(lay.channels)], axis=0)
            curve = limiter_gain(envelope, rate, ceiling_db)
            start = len(parts[0])
            middle = slice(start, start + len(current))
            done = window[middle] if curve is None else window[middle] * curve[middle, None]
            peak = max(peak, float((envelope[middle] if curve is None else envelope[middle] * curve[middle]).max()))
            encoder.write(done)
            previous, current = current, following
        encoder.close()
    shift = int(round(lay.offset * 1000 / rate))
    duration = _duration_ms(target, lay.length, rate)
    loudness = integrated_loudness(energies * 10 ** ((gain_db + codec_gain) / 10))
    summary: dict[str, Any] = {
        "speech_starts_ms": shift,
        **{role: getattr(music, role).name for role in ("intro", "bed", "outro") if getattr(music, role) is not None},
        "duck_db": music.duck_db if tracks.bed is not None else None,
        "seats": dict(seats) if audio.channels == 2 else None,
        "gain_db": round(gain_db, 2),
    }
    true_peak = 20 * math.log10(peak) if peak > 0 else -math.inf
    return Mixed(target, shifted(timeline, shift, duration, loudness, true_peak), summary)


def _duration_ms(path: Path, samples: int, rate: int) -> int:
    """The encoded stream's length: its frames (CBR, so size / frame length), else the samples mixed."""
    try:
        from mutagen.mp3 import MP3

        length = getattr(MP3(path).info, "length", None)
    except Exception:  # noqa: BLE001 - a length from the samples is good enough
        length = None
    if not length:
        return int(round((samples + CODEC_DELAY_SAMPLES) * 1000 / rate))
    return int(round(length * 1000))


def shifted(timeline: Timeline, shift_ms: int, duration_ms: int, loudness: float, true_peak: float) -> Timeline:
    """`timeline` with every time `shift_ms` later, the episode `duration_ms` long, and the mix's loudness."""
    placed = tuple(
        Placed(p.unit, p.start_ms + shift_ms, p.end_ms + shift_ms, p.chunk_end_ms + shift_ms) for p in timeline.placed
    )
    chapters = []
    for i, ch in enumerate(timeline.chapters):
        end = duration_ms if i + 1 == len(timeline.chapters) else ch.end_ms + shift_ms
        chapters.append(TimedChapter(ch.title, ch.start_ms + shift_ms, end, ch.first_unit))
    return replace(
        timeline, placed=placed, chapters=tuple(chapters), duration_ms=duration_ms,
        loudness=round(loudness, 2) if math.isfinite(loudness) else loudness, true_peak=round(true_peak, 2),
    )  # fmt: skip
