"""Encode PCM to a bare MP3 chunk, and count MPEG audio frames.

Chunks are CBR with no ID3 tag and no Xing/LAME header, so they can be joined byte by byte and
the episode's timeline is the exact sum of their frame counts (see DESIGN.md).

The encoder is LAME either way: in this process through the `lameenc` binding (the default; the
22.05 -> 44.1 kHz step is resample.upsample2), or in an ffmpeg process (libmp3lame) when
PODRENDER_ENCODER=ffmpeg, when lameenc is missing, or for a rate change other than x1 or x2.
Measured on the sample's 40 units: one ffmpeg process per chunk cost 3.96 CPU-s, in-process LAME
with the numpy resampler about 2.1 CPU-s (one ffmpeg encode of the whole episode: 2.34).
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from podrender.audio.resample import IDENTITY as RESAMPLER_IDENTITY
from podrender.audio.settings import AudioSettings
from podrender.errors import EncoderError
from podrender.runtime import ffmpeg

if TYPE_CHECKING:  # numpy is imported where audio is handled: a render served from the cache never needs it
    import numpy as np

#: LAME's speed/quality trade-off (ffmpeg -compression_level, 0 best .. 9 fastest).
LAME_QUALITY = 7

_MPEG1_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_BITRATES = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass(frozen=True)
class FrameCount:
    frames: int
    samples_per_frame: int
    sample_rate: int

    @property
    def samples(self) -> int:
        return self.frames * self.samples_per_frame


def count_frames(data: bytes) -> FrameCount:
    """Walk the MPEG Layer III frames of a bare chunk; raise EncoderError if it is not one."""
    pos, frames, spf, rate = 0, 0, 0, 0
    n = len(data)
    while pos + 4 <= n:
        b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
        if data[pos] != 0xFF or (b1 & 0xE0) != 0xE0:
            raise EncoderError(f"MP3 chunk is damaged: no frame sync at byte {pos}")
        version = (b1 >> 3) & 3
        layer = (b1 >> 1) & 3
        br_index = b2 >> 4
        sr_index = (b2 >> 2) & 3
        padding = (b2 >> 1) & 1
        if version == 1 or layer != 1 or br_index in (0, 15) or sr_index == 3:
            raise EncoderError(f"MP3 chunk is damaged: bad frame header at byte {pos}")
        rate = _RATES[version][sr_index]
        if version == 3:
            size = 144_000 * _MPEG1_BITRATES[br_index] // rate + padding
            spf = 1152
        else:
            size = 72_000 * _MPEG2_BITRATES[br_index] // rate + padding
            spf = 576
        pos += size
        frames += 1
        del b3
    if pos != n:
        raise EncoderError("MP3 chunk is truncated")
    if frames == 0:
        raise EncoderError("MP3 chunk is empty")
    return FrameCount(frames, spf, rate)


def encoder_identity() -> str:
    """Changes when the encoder (or the resampler in front of it) changes, for cache keys."""
    lame = _lameenc()
    if lame is not None:
        return f"lameenc:{_stamp(lame.__file__ or 'lameenc')}:q{LAME_QUALITY}:{RESAMPLER_IDENTITY}:{PARTS_IDENTITY}"
    return f"ffmpeg:{_stamp(ffmpeg().path)}:q{LAME_QUALITY}"


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
        return f"{os.path.basename(path)}:{st.st_size}:{int(st.st_mtime)}"
    except OSError:
        return path


@functools.cache
def _lameenc() -> ModuleType | None:
    """The in-process LAME binding, unless PODRENDER_ENCODER=ffmpeg asks for ffmpeg."""
    if os.environ.get("PODRENDER_ENCODER", "").strip().lower() == "ffmpeg":
        return None
    try:
        import lameenc
    except ImportError:
        return None
    return lameenc


def encoder_name() -> str:
    """'lameenc' or 'ffmpeg': which encoder this process uses (for `doctor` and the manifest)."""
    return "lameenc" if _lameenc() is not None else "ffmpeg"


#: Long chunks are encoded in parts cut in the middle of pauses, so that re-making one long unit keeps
#: more than one core busy. Parts are joined frame by frame, as chunks are; each seam adds the
#: encoder's delay and padding (25-50 ms) to a pause of at least QUIET_SECONDS. Every part is at least
#: half of PART_SECONDS long; where the cuts fall depends on the audio only, never on the threads.
PART_SECONDS = 10.0
MAX_PARTS = 4
QUIET = 1e-3
"""Samples at or under this (-60 dBFS) count as pause."""
QUIET_SECONDS = 0.1
PARTS_IDENTITY = f"parts{PART_SECONDS:g}s{MAX_PARTS}"


def part_cuts(x: np.ndarray, rate: int) -> list[int]:
    """Where to cut `x` (samples at `rate`) into parts for encoding: the middles of pauses nearest
    to equal shares, each part at least PART_SECONDS / 2 long. Empty for a short chunk."""
    import numpy as np

    n = len(x)
    parts = min(MAX_PARTS, int(n / (rate * PART_SECONDS)))
    if parts < 2:
        return []
    quiet = np.concatenate(([False], np.abs(x) <= QUIET, [False]))
    edges = np.flatnonzero(quiet[1:] != quiet[:-1])
    starts, ends = edges[0::2], edges[1::2]
    middles = ((starts + ends) // 2)[ends - starts >= rate * QUIET_SECONDS]
    shortest = rate * PART_SECONDS / 2
    cuts: list[int] = []
    for share in range(1, parts):
        last = cuts[-1] if cuts else 0
        fits = middles[(middles - last >= shortest) & (n - middles >= shortest)]
        if len(fits):
            cuts.append(int(fits[np.argmin(np.abs(fits - n * share // parts))]))
    return cuts


def encode_samples(x: np.ndarray, rate: int, audio: AudioSettings, threads: int = 1) -> bytes:
    """Encode mono float samples (-1..1) at `rate` to a bare CBR MP3 chunk in the episode's format."""
    return b"".join(blob for blob, _ in encode_parts(x, rate, audio, threads))


def encode_parts(x: np.ndarray, rate: int, audio: AudioSettings, threads: int = 1) -> list[tuple[bytes, int]]:
    """encode_samples as its parts: each part's MP3 bytes and how many samples of `x` it holds.

    With the in-process encoder, a long chunk is encoded in parts (part_cuts), on up to `threads`
    threads (LAME and numpy let go of the GIL): the same bytes whatever `threads` is."""
    if _lameenc() is not None and audio.sample_rate in (rate, 2 * rate):
        from podrender.audio.resample import upsample2

        bounds = [0, *part_cuts(x, rate), len(x)]
        pieces = [x[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]

        def encode(piece: np.ndarray) -> bytes:
            return _lame(_to_s16(piece if audio.sample_rate == rate else upsample2(piece)), audio)

        return list(zip(_in_threads(encode, pieces, threads), map(len, pieces), strict=True))
    return [(_ffmpeg_encode(_to_s16(x).tobytes(), rate, audio), len(x))]


def _in_threads(work: Callable[[np.ndarray], bytes], pieces: list[np.ndarray], threads: int) -> list[bytes]:
    """`[work(p) for p in pieces]`, the longest pieces first, on up to `threads` threads (this one included)."""
    out: list[bytes | None] = [None] * len(pieces)
    queue = sorted(range(len(pieces)), key=lambda i: -len(pieces[i]))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def drain() -> None:
        while not failures:
            with lock:
                if not queue:
                    return
                i = queue.pop(0)
            try:
                out[i] = work(pieces[i])
            except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
                failures.append(exc)

    helpers = [threading.Thread(target=drain, daemon=True) for _ in range(min(threads, len(pieces)) - 1)]
    for helper in helpers:
        helper.start()
    drain()
    for helper in helpers:
        helper.join()
    if failures:
        raise failures[0]
    return [piece for piece in out if piece is not None]


def _to_s16(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.clip(np.round(np.asarray(x) * 32767), -32768, 32767).astype("<i2")


def _lame(ints: np.ndarray, audio: AudioSettings) -> bytes:
    import numpy as np

    lameenc = _lameenc()
    assert lameenc is not None
    if len(ints) == 0:
        raise EncoderError("there is no audio to encode")
    if audio.channels == 2:
        ints = np.repeat(ints, 2)
    try:
        encoder = lameenc.Encoder()
        encoder.set_bit_rate(audio.bitrate)
        encoder.set_in_sample_rate(audio.sample_rate)
        encoder.set_out_sample_rate(audio.sample_rate)
        encoder.set_channels(audio.channels)
        encoder.set_quality(LAME_QUALITY)
        return bytes(encoder.encode(ints.tobytes()) + encoder.flush())
    except RuntimeError as exc:
        raise EncoderError(f"the MP3 encoder failed: {exc}") from None


def encode_mp3(pcm: bytes, in_rate: int, audio: AudioSettings) -> bytes:
    """Encode mono s16le PCM to a bare CBR MP3 chunk in the episode's format."""
    if not pcm:
        raise EncoderError("there is no audio to encode")
    import numpy as np

    ints = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
    return encode_samples(ints.astype(np.float32) / 32767, in_rate, audio)  # _to_s16 gives the same ints back


def _ffmpeg_encode(pcm: bytes, in_rate: int, audio: AudioSettings) -> bytes:
    """The same LAME settings through ffmpeg's libmp3lame, in a process of its own."""
    if not pcm:
        raise EncoderError("there is no audio to encode")
    cmd = [
        ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error",
        # One short chunk per process: ffmpeg's threads cost more than they give (measured -25% CPU).
        "-threads", "1", "-filter_threads", "1",
        "-f", "s16le", "-ar", str(in_rate), "-ac", "1", "-i", "pipe:0",
        "-ar", str(audio.sample_rate), "-ac", str(audio.channels),
        "-c:a", "libmp3lame", "-b:a", f"{audio.bitrate}k", "-compression_level", str(LAME_QUALITY),
        "-write_xing", "0", "-id3v2_version", "0", "-map_metadata", "-1",
        "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp3", "pipe:1",
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, input=pcm, capture_output=True, check=False)
    except OSError as exc:
        raise EncoderError(f"cannot run ffmpeg ({ffmpeg().path}): {exc.strerror}") from None
    if proc.returncode != 0 or not proc.stdout:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EncoderError(f"ffmpeg failed: {message[-1] if message else f'exit status {proc.returncode}'}")
    return proc.stdout


def decode_mp3(blob: bytes, rate: int) -> bytes:
    """Decode an MP3 chunk to mono s16le PCM at `rate` (for measuring what the encoder did)."""
    cmd = [
        ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "mp3", "-i", "pipe:0",
        "-ac", "1", "-ar", str(rate), "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, input=blob, capture_output=True, check=False)
    except OSError as exc:
        raise EncoderError(f"cannot run ffmpeg ({ffmpeg().path}): {exc.strerror}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EncoderError(f"ffmpeg could not decode: {message[-1] if message else proc.returncode}")
    return proc.stdout
