"""--format m4b/wav/flac/opus: made from the MP3 stream, read back with mutagen and ffmpeg; chapters agree
with the MP3's CHAP frames; FLAC and WAV hold exactly the MP3's decoded samples."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import mutagen
import numpy as np
import pytest
from conftest import decode, ebur128
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from podrender.cli.main import OUTPUT_FORMATS
from podrender.config import Episode, parse_config
from podrender.errors import OutputError
from podrender.output.clock import precise
from podrender.output.export import FORMAT_NAMES, FORMATS, ffmetadata, format_for
from podrender.output.timeline import TimedChapter
from podrender.pipeline import render
from podrender.runtime import ffmpeg

VOICES = """\
engine: fake
narrator: Narrator
host: Host
pause_ms: 300
chapter_pause_ms: 700
speakers:
  Narrator: fake/mid
  Host: {voice: fake/high}
  Guest: {voice: fake/low}
episode:
  {artist: Test Artist, album: Test Show, year: "2026", description: "Chapters = everywhere; #1", cover: cover.png}
"""

SCRIPT = """\
Formats Night

A few opening words from the narrator, long enough to make a real introduction.

Host: Which container keeps chapters best?

Guest: MP4 keeps them in a chapter track, FLAC and Opus in Vorbis comments, and WAV in none at all.

Host: And how long does it take to make them?

Guest: About a second for a short episode, most of it in the AAC encoder.

Host: Shall we wrap up here, then?

Guest: Yes, thank you.
"""


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x80\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))  # fmt: skip


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("export")
    (root / "cover.png").write_bytes(tiny_png())
    config = parse_config(VOICES, "voices.yaml", base_dir=root)
    made = {}
    for name in FORMAT_NAMES:  # mp3 first: the others are made from the same cached chunks
        # one folder per format: the manifest is <name>.json, whatever the audio's suffix
        made[name] = render(SCRIPT, config, output=root / name / f"ep.{name}", cache_dir=root / "cache", sidecars=())
    chaps = sorted(ID3(root / "mp3" / "ep.mp3").getall("CHAP"), key=lambda c: c.start_time)
    return {"root": root, "made": made, "chaps": [(c.start_time, c.sub_frames["TIT2"].text[0]) for c in chaps]}


def ffmpeg_chapters(path: Path) -> list[tuple[int, str]]:
    """(start ms, title) of each chapter as ffmpeg's demuxer reads it (`-f ffmetadata`)."""
    out = subprocess.run([ffmpeg().path, "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    chapters = []
    for block in out.split("[CHAPTER]")[1:]:
        num, den = map(int, re.search(r"TIMEBASE=(\d+)/(\d+)", block).groups())  # type: ignore[union-attr]
        start = int(re.search(r"START=(\d+)", block).group(1))  # type: ignore[union-attr]
        title = re.search(r"^title=(.*)$", block, re.MULTILINE).group(1)  # type: ignore[union-attr]
        chapters.append((round(start * num * 1000 / den), title))
    return chapters


def vorbis_chapters(tags: dict[str, list[str]]) -> list[tuple[int, str]]:
    """The Vorbis comment chapter extension (CHAPTERxxx=HH:MM:SS.mmm, CHAPTERxxxNAME=title), parsed here."""
    lower = {k.lower(): v for k, v in tags.items()}
    chapters = []
    i = 0
    while f"chapter{i:03d}" in lower:
        h, m, s = lower[f"chapter{i:03d}"][0].split(":")
        chapters.append((round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000), lower[f"chapter{i:03d}name"][0]))
        i += 1
    return chapters


def test_formats_are_the_same_list_in_the_cli_and_the_exporter() -> None:
    assert OUTPUT_FORMATS == FORMAT_NAMES


@pytest.mark.parametrize("name", ["m4b", "flac", "opus", "wav"])
def test_each_format_decodes_to_the_episode_length_and_loudness(episodes: dict, name: str) -> None:
    result = episodes["made"][name]
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert manifest["format"] == name and manifest["mime_type"] == FORMATS[name].mime
    assert manifest["settings"]["codec"] == FORMATS[name].codec
    assert manifest["size_bytes"] == result.path.stat().st_size
    assert manifest["files"] == {"audio": f"ep.{name}"}
    info = mutagen.File(result.path)
    assert info is not None and abs(info.info.length * 1000 - manifest["duration_ms"]) <= 50
    mp3_loud, _ = ebur128(episodes["made"]["mp3"].path)
    loud, _ = ebur128(result.path)
    assert abs(loud - mp3_loud) <= 0.3


@pytest.mark.parametrize("name", ["flac", "wav"])
def test_lossless_formats_hold_exactly_the_mp3s_decoded_samples(episodes: dict, name: str) -> None:
    mp3 = decode(episodes["made"]["mp3"].path)
    other = decode(episodes["made"][name].path)
    assert len(other) == len(mp3)
    assert np.array_equal(other, mp3)


def test_lossy_formats_follow_the_mp3_waveform_sample_for_sample(episodes: dict) -> None:
    mp3 = decode(episodes["made"]["mp3"].path)
    for name in ("m4b", "opus"):
        other = decode(episodes["made"][name].path)
        assert len(other) == len(mp3), name  # the container trims the encoder's delay and padding
        a = mp3[2000:-2000]
        # the fake voices are periodic (a 150 Hz voice repeats every 294 samples): search less than a period
        lag = max(range(-100, 101), key=lambda d: float(np.dot(a, other[2000 + d : len(other) - 2000 + d])))
        assert abs(lag) <= 2, (name, lag)
        assert np.corrcoef(a, other[2000 + lag : len(other) - 2000 + lag])[0, 1] > 0.97, name


def test_m4b_chapters_cover_and_tags(episodes: dict) -> None:
    path = episodes["made"]["m4b"].path
    mp4 = MP4(path)
    assert [(round(c.start * 1000), c.title) for c in mp4.chapters] == episodes["chaps"]
    assert ffmpeg_chapters(path) == episodes["chaps"]
    assert mp4.tags["©nam"] == ["Formats Night"] and mp4.tags["©ART"] == ["Test Artist"]
    assert mp4.tags["©alb"] == ["Test Show"] and mp4.tags["©day"] == ["2026"]
    assert mp4.tags["©cmt"] == ["Chapters = everywhere; #1"]
    assert bytes(mp4.tags["covr"][0]) == tiny_png()
    assert mp4.info.codec.startswith("mp4a")
    manifest = json.loads(episodes["made"]["m4b"].manifest_path.read_text(encoding="utf-8"))
    assert manifest["settings"]["format_bitrate"] == 96  # 1.5 x the 64 kbit/s MP3
    assert 32 <= mp4.info.bitrate / 1000 <= 96 * 1.15  # an average rate: the fake voices' buzz needs less


@pytest.mark.parametrize("name", ["flac", "opus"])
def test_flac_and_opus_chapters_are_vorbis_comments_at_the_mp3s_times(episodes: dict, name: str) -> None:
    path = episodes["made"][name].path
    tagged = FLAC(path) if name == "flac" else OggOpus(path)
    tags = dict(tagged.tags or {})
    assert vorbis_chapters(tags) == episodes["chaps"]
    assert ffmpeg_chapters(path) == episodes["chaps"]  # ffmpeg's reader agrees with ours
    lower = {k.lower(): v for k, v in tags.items()}
    assert lower["title"] == ["Formats Night"] and lower["artist"] == ["Test Artist"]
    if isinstance(tagged, FLAC):
        pictures = tagged.pictures
    else:
        import base64

        pictures = [Picture(base64.b64decode(lower["metadata_block_picture"][0]))]
    assert len(pictures) == 1 and pictures[0].data == tiny_png() and pictures[0].type == 3
    if name == "opus":  # constrained VBR keeps to the asked 96 kbit/s (plain VBR overshot by 60%)
        assert tagged.info.length and path.stat().st_size * 8 / tagged.info.length / 1000 <= 96 * 1.15


def test_wav_has_no_chapters(episodes: dict) -> None:
    assert ffmpeg_chapters(episodes["made"]["wav"].path) == []
    assert json.loads(episodes["made"]["wav"].manifest_path.read_text(encoding="utf-8"))["chapters"]  # still listed


def test_chapter_times_with_half_seconds_are_written_exactly() -> None:
    # ffmpeg 9's own Vorbis chapter writer puts 5.851 s at 00:00:06.851; ours must not.
    assert precise(5851) == "00:00:05.851"
    assert precise(3_723_499) == "01:02:03.499"


def test_ffmetadata_escapes_its_special_characters() -> None:
    text = ffmetadata("A=B; #c\\d", Episode(artist="x\ny"), [TimedChapter("one=1", 0, 500, 0)])
    assert "title=A\\=B\\; \\#c\\\\d" in text and "artist=x\\\ny" in text and "title=one\\=1" in text


def test_format_comes_from_the_option_or_the_suffix_and_they_must_agree(tmp_path: Path) -> None:
    assert format_for(None, None).name == "mp3"
    assert format_for(None, tmp_path / "a.M4B").name == "m4b"
    assert format_for("opus", tmp_path / "a.opus").name == "opus"
    with pytest.raises(OutputError, match=r"must end in \.flac for --format flac"):
        format_for("flac", tmp_path / "a.mp3")
    with pytest.raises(OutputError, match=r"must end in \.mp3, \.m4b"):
        format_for(None, tmp_path / "a.ogg")
