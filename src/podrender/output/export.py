"""The episode in other containers than MP3: M4B (AAC in MP4), WAV, FLAC and Opus.

The episode's audio exists once, as the cached MP3 chunks. Another format is made from them in one
ffmpeg run: the chunks are joined byte for byte (the same stream the MP3 holds) and decoded once,
so the new file has exactly the MP3's timeline and the chapter times carry over unchanged. WAV and
FLAC hold the decoded MP3 losslessly; AAC and Opus are a second lossy generation, encoded at 1.5×
the MP3 bitrate, which keeps what they add small (measured in docs/output-files.md, "Audio formats").

Chapters go where the container holds them: MP4 chapters (a chapter track and Nero `chpl`, written
by ffmpeg from an ffmetadata file) for M4B; Vorbis comments `CHAPTERxxx` / `CHAPTERxxxNAME` for FLAC
and Opus (written with mutagen: ffmpeg 9 writes wrong times there, a second late when the
milliseconds are .500 or more); none for WAV. The file is written under a temporary name and
renamed, like the MP3.
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podrender.config import AudioSettings, Episode
from podrender.errors import EncoderError, OutputError
from podrender.output.clock import precise
from podrender.output.files import replacing
from podrender.output.timeline import TimedChapter
from podrender.runtime import ffmpeg

#: Lossy second generations are encoded at this multiple of the MP3 bitrate.
BITRATE_FACTOR = 1.5


@dataclass(frozen=True)
class AudioFormat:
    name: str
    suffix: str
    mime: str
    """The MIME type for a feed's enclosure."""
    codec: str
    chapters: str
    """Where chapters go: 'id3', 'mp4', 'vorbis' or 'none'."""


FORMATS: dict[str, AudioFormat] = {
    "mp3": AudioFormat("mp3", ".mp3", "audio/mpeg", "mp3", "id3"),
    "m4b": AudioFormat("m4b", ".m4b", "audio/mp4", "aac", "mp4"),
    "wav": AudioFormat("wav", ".wav", "audio/wav", "pcm_s16le", "none"),
    "flac": AudioFormat("flac", ".flac", "audio/flac", "flac", "vorbis"),
    "opus": AudioFormat("opus", ".opus", "audio/ogg", "opus", "vorbis"),
}
FORMAT_NAMES = tuple(FORMATS)


def format_for(name: str | None, output: Path | None) -> AudioFormat:
    """The format asked for, else the one `output`'s suffix names, else MP3; they must agree."""
    by_suffix = {f.suffix: f for f in FORMATS.values()}
    suffix = output.suffix.lower() if output is not None else ""
    if name is None:
        if output is None or suffix == "":
            return FORMATS["mp3"]
        if suffix not in by_suffix:
            raise OutputError(
                f"the episode file name must end in {', '.join(f.suffix for f in FORMATS.values())}", path=str(output)
            )
        return by_suffix[suffix]
    if name not in FORMATS:
        raise OutputError(f"unknown audio format '{name}' (choose from {', '.join(FORMATS)})")
    fmt = FORMATS[name]
    if output is not None and suffix != fmt.suffix:
        raise OutputError(f"the episode file name must end in {fmt.suffix} for --format {fmt.name}", path=str(output))
    return fmt


def lossy_bitrate(audio: AudioSettings) -> int:
    """kbit/s for AAC and Opus: 1.5× the MP3's, so the second generation adds little."""
    return int(round(audio.bitrate * BITRATE_FACTOR))


def _meta_escape(value: str) -> str:
    out = value.replace("\\", "\\\\")
    for ch in "=;#":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", "\\\n")


def ffmetadata(title: str, episode: Episode, chapters: Sequence[TimedChapter]) -> str:
    """An ffmetadata file: the episode's tags and, when given, its chapters in milliseconds."""
    lines = [";FFMETADATA1", f"title={_meta_escape(title)}"]
    for key, value in (
        ("artist", episode.artist),
        ("album", episode.album),
        ("date", episode.year),
        ("comment", episode.description),
    ):
        if value:
            lines.append(f"{key}={_meta_escape(str(value))}")
    for ch in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={ch.start_ms}", f"END={ch.end_ms}"]
        lines.append(f"title={_meta_escape(ch.title)}")
    return "\n".join(lines) + "\n"


def _codec_args(fmt: AudioFormat, audio: AudioSettings) -> list[str]:
    if fmt.name == "m4b":
        # the fast coder: 3x quicker than the default two-loop search, and as close to the source (docs/output-files.md)
        return ["-c:a", "aac", "-aac_coder", "fast", "-b:a", f"{lossy_bitrate(audio)}k", "-f", "ipod",
                "-movflags", "+faststart"]  # fmt: skip
    if fmt.name == "opus":
        # constrained VBR: plain VBR overshot to 158 kbit/s for a 96 kbit/s target on the sample interview
        return ["-c:a", "libopus", "-b:a", f"{lossy_bitrate(audio)}k", "-vbr", "constrained", "-f", "opus"]
    if fmt.name == "flac":
        # 16-bit, as the MP3 decodes for players: the same samples (ffmpeg would otherwise pick 24-bit).
        return ["-c:a", "flac", "-sample_fmt", "s16", "-f", "flac"]
    if fmt.name == "wav":
        return ["-c:a", "pcm_s16le", "-f", "wav"]
    raise ValueError(f"{fmt.name} is not made by export")


def _add_tags(path: Path, fmt: AudioFormat, episode: Episode, chapters: Sequence[TimedChapter]) -> None:
    """What ffmpeg does not write (or writes wrong): Vorbis chapters, and the cover for every container."""
    from mutagen.flac import FLAC, Picture
    from mutagen.mp4 import MP4, MP4Cover
    from mutagen.oggopus import OggOpus

    cover = episode.cover.read_bytes() if episode.cover is not None else None
    png = cover is not None and cover.startswith(b"\x89PNG")
    picture = None
    if cover is not None:
        picture = Picture()
        picture.type = 3  # front cover
        picture.mime = "image/png" if png else "image/jpeg"
        picture.desc = "Cover"
        picture.data = cover
    if fmt.name == "m4b":
        if cover is not None:
            mp4 = MP4(path)
            kind = MP4Cover.FORMAT_PNG if png else MP4Cover.FORMAT_JPEG
            mp4.tags["covr"] = [MP4Cover(cover, imageformat=kind)]  # type: ignore[index]
            mp4.save()
        return
    if fmt.chapters != "vorbis":
        return
    tagged = FLAC(path) if fmt.name == "flac" else OggOpus(path)
    if tagged.tags is None:
        tagged.add_tags()
    tags: Any = tagged.tags
    for i, ch in enumerate(chapters):
        tags[f"CHAPTER{i:03d}"] = precise(ch.start_ms)  # HH:MM:SS.mmm, as the Vorbis chapter extension writes
        tags[f"CHAPTER{i:03d}NAME"] = ch.title
    if picture is not None:
        if isinstance(tagged, FLAC):
            tagged.add_picture(picture)
        else:
            tags["METADATA_BLOCK_PICTURE"] = base64.b64encode(picture.write()).decode("ascii")
    tagged.save()


def export_audio(
    fmt: AudioFormat,
    target: Path,
    chunks: Sequence[Path],
    title: str,
    episode: Episode,
    chapters: Sequence[TimedChapter],
    audio: AudioSettings,
) -> int:
    """Write the episode made of `chunks` (bare MP3) to `target` in `fmt`; returns its size in bytes."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(target) as tmp, tempfile.TemporaryDirectory(prefix="podrender-export-") as scratch:
            meta = Path(scratch) / "metadata.txt"
            meta.write_text(ffmetadata(title, episode, chapters if fmt.chapters == "mp4" else ()), encoding="utf-8")
            stream = b"".join(p.read_bytes() for p in chunks)
            cmd = [
                ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                "-f", "mp3", "-i", "pipe:0", "-f", "ffmetadata", "-i", str(meta),
                "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1" if fmt.chapters == "mp4" else "-1",
                "-ar", str(audio.sample_rate) if fmt.name != "opus" else "48000", "-ac", str(audio.channels),
                "-fflags", "+bitexact", "-flags:a", "+bitexact",
                *_codec_args(fmt, audio), str(tmp),
            ]  # fmt: skip
            try:
                proc = subprocess.run(cmd, input=stream, capture_output=True, check=False)
            except OSError as exc:
                raise EncoderError(f"cannot run ffmpeg ({ffmpeg().path}): {exc.strerror}") from None
            if proc.returncode != 0 or tmp.stat().st_size == 0:
                message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
                raise EncoderError(
                    f"ffmpeg could not make the {fmt.name} file: {message[-1] if message else proc.returncode}"
                )
            _add_tags(tmp, fmt, episode, chapters)
    except OSError as exc:
        raise OutputError(f"cannot write the episode ({exc.strerror})", path=str(target)) from None
    return target.stat().st_size
