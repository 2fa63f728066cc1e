"""Make one chunk: synthesize a unit, check the audio, level it, add its pause, encode, cache it.

Runs inside a worker process (see pool.py); everything it needs arrives as arguments.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from podrender.audio.encode import count_frames, encode_mp3, encode_parts, encoder_identity
from podrender.audio.loudness import level
from podrender.audio.settings import AudioSettings
from podrender.cache import Cache, Facts
from podrender.engines import Pcm, get_engine
from podrender.errors import EngineError
from podrender.speech.plan import Unit

#: Speech slower or faster than these many words per minute (at the voice's rate) is implausible.
SLOWEST_FACTOR = 0.25
FASTEST_FACTOR = 4.0


def check_audio(pcm: Pcm, text: str, rate_wpm: int | None) -> np.ndarray:
    """Floats in -1..1, or EngineError when the engine gave nothing, silence or an odd length."""
    if len(pcm.samples) < 2:
        raise EngineError("the engine produced an empty file")
    x = np.frombuffer(pcm.samples[: len(pcm.samples) // 2 * 2], dtype="<i2").astype(np.float32)
    x *= np.float32(1 / 32768)
    if float(np.abs(x).max()) < 1e-3:
        raise EngineError("the engine produced silence")
    words = max(1, len(text.split()) + sum(ch.isdigit() for ch in text))
    wpm = rate_wpm or 175
    expected = words * 60.0 / wpm
    # Letters of scripts from Hebrew on (Arabic, Indic, CJK, ...) may each take a syllable, or be
    # spelled out one by one by a voice of another language: they only raise the upper bound.
    longest = (words + sum(ch.isalpha() and _spelled(ord(ch)) for ch in text)) * 60.0 / wpm
    if pcm.seconds < expected * SLOWEST_FACTOR or pcm.seconds > longest * FASTEST_FACTOR + 3.0:
        raise EngineError(
            f"the engine produced {pcm.seconds:.1f} s of audio for {words} words (expected about {expected:.1f} s)"
        )
    return x


def _spelled(code: int) -> bool:
    """A letter from Hebrew onwards in Unicode, except the extended Latin and Greek blocks."""
    return code >= 0x0590 and not 0x1E00 <= code <= 0x1FFF


M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MADV_HUGEPAGE = 14
#: Heap that workers' arrays will come from, marked for 2 MB pages before they fork (see below).
HUGE_HEAP_BYTES = 28 << 20


def prepare_workers() -> None:
    """Get the parent ready to fork workers: everything they use is loaded and warm.

    glibc serves large arrays with fresh mmaps and returns them on free, so every temporary array a
    fresh worker makes is paid for again in page faults (measured: most of levelling's time was
    system time). Raising the mmap and trim thresholds lets freed arrays be reused.

    A fresh worker still touches every page of its heap for the first time: about 4,700 faults of
    4 kB each per unit of the sample. The heap those arrays will come from is grown here, untouched,
    and marked for transparent huge pages (the mark is inherited by fork; the pages are not shared,
    as this process never touches them): a worker then faults in 2 MB at a time. Measured over the
    sample's units in fresh forks: 184,000 -> 53,000 faults, system time 0.60 s -> 0.38 s.
    """
    if _PREPARED:
        return
    import ctypes

    from podrender.audio.loudness import warm_up

    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # glibc's maximum
        libc.mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024)
    except (OSError, AttributeError):
        pass
    warm_up()
    _huge_heap()
    _PREPARED.append(True)


def _huge_heap() -> None:
    """Grow the heap by HUGE_HEAP_BYTES without touching it, and ask for huge pages there."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        block = libc.malloc(HUGE_HEAP_BYTES)
        if not block:
            return
        huge = 2 << 20
        start = (block + huge - 1) & ~(huge - 1)
        end = (block + HUGE_HEAP_BYTES) & ~(huge - 1)
        if end > start:
            libc.madvise(start, end - start, MADV_HUGEPAGE)  # a kernel without THP says no: nothing lost
        libc.free(block)  # back to the heap's free top (the trim threshold keeps it), for the workers
    except (OSError, AttributeError):
        pass


_PREPARED: list[bool] = []


def measure_codec_gain(audio: AudioSettings) -> float:
    """How much the MP3 encoder changes loudness at these settings, in dB.

    LAME at speech bitrates lowers the level by a nearly constant ~0.45 dB whatever the signal
    (measured here on espeak speech and on a sine); levelling aims that much higher. Measured once
    per setting on a speech-like reference (a voiced buzz at 150 Hz, audio/reference.py), encoded and decoded.
    """
    from podrender.audio.encode import decode_mp3
    from podrender.audio.loudness import integrated_loudness, sub_block_energies
    from podrender.audio.reference import buzz

    rate = 22050
    words = ["a", "speech", "like", "reference", "signal", "of", "about", "five", "seconds", "for", "measuring",
             "the", "encoder"]  # fmt: skip
    # Rounded to 16 bits as an engine hands samples over.
    x = np.round(buzz(words, 150.0, 175, 12000.0, rate)).astype(np.float64) / 32768.0
    x = x * 10 ** ((audio.loudness - integrated_loudness(sub_block_energies(x, rate))) / 20)
    ints = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    blob = encode_mp3(ints.tobytes(), rate, audio)
    decoded = np.frombuffer(decode_mp3(blob, rate), dtype="<i2").astype(np.float64) / 32768.0
    before = integrated_loudness(sub_block_energies(x, rate))
    after = integrated_loudness(sub_block_energies(decoded, rate))
    gain = after - before
    return round(gain, 3) if abs(gain) < 3 else 0.0


def make_chunk(
    unit: Unit,
    audio: AudioSettings,
    cache_root: Path,
    codec_gain: float = 0.0,
    scratch: Path | None = None,
    threads: int = 1,
) -> dict[str, Any]:
    """Build, store and describe the chunk for `unit`. `codec_gain` is `measure_codec_gain(audio)`;
    `scratch` is a folder the caller removes, so a killed worker leaves nothing behind; `threads`
    may encode a long chunk's parts at once (cores no other worker uses; the bytes are the same)."""
    engine = get_engine(unit.voice.engine)
    work = Path(tempfile.mkdtemp(prefix="unit-", dir=scratch))
    try:
        pcm = engine.synthesize(unit.text, unit.voice, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    x = check_audio(pcm, unit.text, unit.voice.rate)
    result = level(x, pcm.rate, audio.loudness - codec_gain, audio.true_peak)
    pause = np.zeros(int(round(pcm.rate * unit.pause_ms / 1000)))
    y = np.concatenate((result.samples, pause))
    parts = encode_parts(y, pcm.rate, audio, threads)
    blob = b"".join(part for part, _ in parts)
    frames = count_frames(blob)
    # A seam between parts adds the encoder's delay and padding to a pause: what follows comes later.
    seams = sum(count_frames(part).samples / frames.sample_rate - n / pcm.rate for part, n in parts[:-1])
    if frames.sample_rate != audio.sample_rate:
        raise EngineError(f"encoder wrote {frames.sample_rate} Hz instead of {audio.sample_rate} Hz")
    pause_blocks = int(round(unit.pause_ms / 100))
    scale = 10 ** (codec_gain / 10)  # energies as they come out of the decoder
    meta = {
        "frames": frames.frames,
        "samples_per_frame": frames.samples_per_frame,
        "sample_rate": frames.sample_rate,
        "speech_ms": round((len(x) / pcm.rate + seams) * 1000),
        "engine_rate": pcm.rate,
        "gain_db": round(result.gain_db, 3),
        "loudness": round(result.loudness + codec_gain, 3),
        # Before encoding: MP3 adds small overshoots that roughly cancel the codec's level drop.
        "true_peak": round(result.true_peak, 3),
        "codec_gain_db": codec_gain,
        "energies": [float(f"{e * scale:.6g}") for e in result.energies] + [0.0] * pause_blocks,
    }
    return Cache(cache_root).put(unit.key, blob, meta)


def codec_gain(audio: AudioSettings, facts: Facts | None = None) -> float:
    """The encoder's level change at these settings (measure_codec_gain), remembered per encoder."""
    facts = facts or Facts()
    name = "codec-" + hashlib.sha256(f"{encoder_identity()}|{audio}".encode()).hexdigest()[:16] + ".json"
    stored = facts.get(name)
    if isinstance(stored, float):
        return stored
    gain = measure_codec_gain(audio)
    facts.put(name, gain)
    return gain
