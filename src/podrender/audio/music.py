"""Music files -> tracks ready to mix: decoded by ffmpeg (any format it reads) into pydub AudioSegments at the
episode's rate and channels, faded with pydub, measured (BS.1770) and given the gain their level asks for.

Tracks keep pydub's 16-bit samples (a 5-minute stereo bed is 53 MB); podrender.output.mix turns the
stretch of a block it needs into floats, so a long episode never holds more than a block of mixed audio.
"""

from __future__ import annotations

import math
import subprocess
import warnings
from dataclasses import dataclass

import numpy as np

from podrender.audio.loudness import integrated_loudness, sub_block_energies
from podrender.audio.settings import AudioSettings, MusicFile, MusicSettings
from podrender.errors import ConfigError, EncoderError
from podrender.runtime import ffmpeg

with warnings.catch_warnings():  # pydub looks for ffmpeg on PATH when imported; podrender points it at its own
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)  # audioop, on Python 3.11-3.12
    from pydub import AudioSegment

#: The longest music file of each kind, in seconds: a bed loops, an intro and an outro are short; longer
#: files would only cost memory (each is held whole, as 16-bit samples).
MAX_SECONDS = {"intro": 120.0, "bed": 300.0, "outro": 120.0}
#: Music files are read up to this size (a 5-minute WAV at 96 kHz/24-bit stereo is 170 MB).
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Track:
    """One music file, decoded and faded, with the gain that brings it to its level in the mix."""

    role: str
    """intro, bed or outro."""
    segment: AudioSegment
    gain: float
    """Linear gain to apply when mixing (from its measured loudness and the settings' level)."""

    @property
    def samples(self) -> np.ndarray:
        """16-bit samples, one column per channel (a view of the segment's bytes, no copy)."""
        data = np.frombuffer(self.segment.raw_data, dtype="<i2")
        return data.reshape(-1, self.segment.channels)

    @property
    def frames(self) -> int:
        return int(self.segment.frame_count())


@dataclass(frozen=True)
class Tracks:
    intro: Track | None
    bed: Track | None
    outro: Track | None


def _fail(file: MusicFile, why: str) -> ConfigError:
    return ConfigError(f"{file.where}: '{file.name}' {why}", path=file.source, line=file.line)


def decode(file: MusicFile, audio: AudioSettings, limit_seconds: float) -> AudioSegment:
    """The file as a pydub AudioSegment at the episode's rate and channels; ConfigError when it is not audio
    ffmpeg can read, is silent-length, or is longer than `limit_seconds`."""
    try:
        size = file.path.stat().st_size
    except OSError as exc:
        raise _fail(file, f"cannot be read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise _fail(file, f"is more than {MAX_FILE_BYTES >> 20} MB; is it really a music file?")
    cmd = [
        ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(file.path),
        "-t", f"{limit_seconds + 1:g}", "-map", "0:a:0", "-vn",
        "-ar", str(audio.sample_rate), "-ac", str(audio.channels), "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False)
    except OSError as exc:
        raise EncoderError(f"cannot run ffmpeg ({ffmpeg().path}): {exc.strerror}") from None
    if proc.returncode != 0 or not proc.stdout:
        return _not_audio(file, proc.stderr)
    segment = AudioSegment(data=proc.stdout, sample_width=2, frame_rate=audio.sample_rate, channels=audio.channels)
    seconds = segment.frame_count() / audio.sample_rate
    if seconds > limit_seconds:
        raise _fail(file, f"is longer than {limit_seconds:g} s; use a shorter piece (a bed loops, so a minute will do)")
    if seconds < 0.5:
        raise _fail(file, f"is only {seconds * 1000:.0f} ms long; music needs at least half a second")
    return segment


def _not_audio(file: MusicFile, stderr: bytes) -> AudioSegment:
    said = stderr.decode("utf-8", "replace").strip().splitlines()
    if any("matches no streams" in line or "does not contain any stream" in line for line in said):
        raise _fail(file, "has no audio in it")
    raise _fail(file, "is not audio ffmpeg can read")


def loudness(segment: AudioSegment) -> float:
    """BS.1770 integrated loudness of a segment (LUFS; channels summed, as for a stereo programme)."""
    x = np.frombuffer(segment.raw_data, dtype="<i2").reshape(-1, segment.channels)
    total: np.ndarray | None = None
    for ch in range(segment.channels):
        e = sub_block_energies(x[:, ch].astype(np.float32) / 32768.0, segment.frame_rate)
        total = e if total is None else total + e
    return integrated_loudness(total if total is not None else np.zeros(0))


def load_track(file: MusicFile, role: str, music: MusicSettings, audio: AudioSettings) -> Track:
    """Decode, fade and level one music file for its role in the mix."""
    segment = decode(file, audio, MAX_SECONDS[role])
    measured = loudness(segment)
    if not math.isfinite(measured):
        raise _fail(file, "is silent")
    level = audio.loudness + (music.bed_db if role == "bed" else music.music_db)
    fade = min(music.fade_ms, len(segment) // 2)
    if role == "intro" and fade:
        segment = segment.fade_out(fade)  # under the first words
    elif role == "outro" and fade:
        segment = segment.fade_in(fade)  # rising after the last words
    elif role == "bed":
        segment = seamless(segment)
    return Track(role, segment, 10 ** ((level - measured) / 20))


#: A bed's end is crossfaded into its start over this long, so its loop has no click.
LOOP_CROSSFADE_MS = 100


def seamless(segment: AudioSegment) -> AudioSegment:
    """The segment shortened by LOOP_CROSSFADE_MS, its end faded into its start: played again and again it
    has no seam (played once from the start it begins with the fading tail, which the bed's fade-in hides)."""
    x = np.frombuffer(segment.raw_data, dtype="<i2").reshape(-1, segment.channels).astype(np.float32)
    overlap = segment.frame_rate * LOOP_CROSSFADE_MS // 1000
    if len(x) < 4 * overlap:
        return segment
    body = x[: len(x) - overlap].copy()
    rise = np.linspace(0.0, 1.0, overlap, dtype=np.float32)[:, None]
    body[:overlap] = x[:overlap] * rise + x[len(x) - overlap :] * (1 - rise)
    data = np.clip(np.round(body), -32768, 32767).astype("<i2").tobytes()
    return segment._spawn(data)


def load_tracks(music: MusicSettings, audio: AudioSettings) -> Tracks:
    """Every music file `music` names, decoded and levelled (ConfigError with voices.yaml's line for a bad one)."""
    AudioSegment.converter = ffmpeg().path  # the ffmpeg podrender uses (PyPI's, or the system's)

    def one(role: str) -> Track | None:
        file: MusicFile | None = getattr(music, role)
        return None if file is None else load_track(file, role, music, audio)

    return Tracks(one("intro"), one("bed"), one("outro"))


def check_music(music: MusicSettings, audio: AudioSettings) -> None:
    """Raise the ConfigError a render would for the first music file that cannot serve (not audio, silent,
    too short or too long), before anything is queued; nothing is kept."""
    load_tracks(music, audio)
