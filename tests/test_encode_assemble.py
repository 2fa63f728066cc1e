"""Encoding chunks (podrender.audio.encode) and writing the tagged episode (podrender.output.assemble)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3

from podrender.audio.encode import FrameCount, count_frames, decode_mp3, encode_mp3
from podrender.config import AudioSettings, Episode
from podrender.errors import EncoderError, OutputError
from podrender.output.assemble import MAX_CHAPTERS, build_tag
from podrender.output.files import write_output
from podrender.output.timeline import TimedChapter

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def tone_pcm(rate: int = 22050, seconds: float = 1.0, freq: float = 440.0, amplitude: float = 0.3) -> bytes:
    n = int(rate * seconds)
    samples = (amplitude * 32767 * np.sin(2 * np.pi * freq * np.arange(n) / rate)).astype("<i2")
    return samples.tobytes()


@pytest.fixture(scope="module")
def chunk() -> bytes:
    """One second of tone, encoded at the default 44.1 kHz / 64 kbit/s."""
    return encode_mp3(tone_pcm(), 22050, AudioSettings())


# --- count_frames ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audio", "spf"),
    [
        (AudioSettings(), 1152),
        (AudioSettings(sample_rate=48000, channels=2, bitrate=128), 1152),
        (AudioSettings(sample_rate=22050, bitrate=32), 576),
        (AudioSettings(sample_rate=8000, bitrate=8), 576),
    ],
    ids=["44k-mono", "48k-stereo", "22k-mpeg2", "8k-mpeg2.5"],
)
def test_count_frames_of_encoded_chunks(audio: AudioSettings, spf: int) -> None:
    blob = encode_mp3(tone_pcm(seconds=1.0), 22050, audio)
    assert blob[:1] == b"\xff"  # a bare chunk: no ID3 tag, no Xing header
    count = count_frames(blob)
    assert isinstance(count, FrameCount)
    assert count.samples_per_frame == spf
    assert count.sample_rate == audio.sample_rate
    assert count.samples == count.frames * spf
    # One second of audio plus the encoder's delay and padding, at most a few frames more.
    assert 1.0 <= count.samples / audio.sample_rate <= 1.0 + 4 * spf / audio.sample_rate


def test_frame_count_of_cbr_chunk_matches_its_size(chunk: bytes) -> None:
    count = count_frames(chunk)
    frame_bytes = 144_000 * 64 // 44100  # 208 or 209 with padding
    assert count.frames * frame_bytes <= len(chunk) <= count.frames * (frame_bytes + 1)


def test_chunks_join_byte_by_byte(chunk: bytes) -> None:
    one = count_frames(chunk)
    joined = count_frames(chunk + chunk + chunk)
    assert joined.frames == 3 * one.frames


def test_encoding_is_deterministic() -> None:
    pcm = tone_pcm(seconds=0.5)
    assert encode_mp3(pcm, 22050, AudioSettings()) == encode_mp3(pcm, 22050, AudioSettings())


def test_encoded_chunk_decodes_to_the_tone(chunk: bytes) -> None:
    pcm = decode_mp3(chunk, 22050)
    decoded = np.frombuffer(pcm, dtype="<i2").astype(float) / 32768
    assert abs(len(decoded) / 22050 - count_frames(chunk).samples / 44100) < 0.01
    rms = float(np.sqrt(np.mean(decoded[2000:-2000] ** 2)))
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.1)


def test_pcm_built_with_struct_encodes_too() -> None:
    rate = 16000
    frames = [int(8000 * np.sin(2 * np.pi * 300 * i / rate)) for i in range(rate // 2)]
    pcm = struct.pack(f"<{len(frames)}h", *frames)
    blob = encode_mp3(pcm, rate, AudioSettings(sample_rate=16000, bitrate=24))
    count = count_frames(blob)
    assert count.sample_rate == 16000
    assert count.frames > 0


def test_empty_data_is_not_a_chunk() -> None:
    with pytest.raises(EncoderError, match="empty"):
        count_frames(b"")


def frame_size(blob: bytes) -> int:
    """Size of the first frame of a 44.1 kHz MPEG-1 Layer III chunk."""
    padding = (blob[2] >> 1) & 1
    return 144_000 * 64 // 44100 + padding


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[:-10], "truncated"),
        (lambda b: b[:-1], "truncated"),
        (lambda b: b"\x00" + b, "no frame sync at byte 0"),
        (lambda b: b"ID3\x03\x00\x00\x00\x00\x00\x00" + b, "no frame sync at byte 0"),
        (lambda b: b + b"junk", "no frame sync"),
        (lambda b: b"RIFF" + b[4:], "no frame sync at byte 0"),
    ],
    ids=["cut-10", "cut-1", "leading-zero", "id3-tag", "trailing-junk", "riff"],
)
def test_damaged_chunks_raise(chunk: bytes, damage, message: str) -> None:
    with pytest.raises(EncoderError, match=message):
        count_frames(damage(chunk))


def test_broken_sync_in_the_second_frame_names_its_offset(chunk: bytes) -> None:
    first = frame_size(chunk)
    broken = chunk[:first] + b"\x00" + chunk[first + 1 :]
    with pytest.raises(EncoderError, match=f"no frame sync at byte {first}"):
        count_frames(broken)


@pytest.mark.parametrize(
    ("byte1", "byte2"),
    [
        (0xFD, None),  # layer II instead of layer III
        (0xEB, None),  # reserved MPEG version
        (None, 0xF4),  # bitrate index 15 ("bad")
        (None, 0x04),  # bitrate index 0 ("free format")
        (None, 0x5C),  # sample-rate index 3 (reserved)
    ],
)
def test_bad_frame_header_raises(chunk: bytes, byte1: int | None, byte2: int | None) -> None:
    header = bytearray(chunk)
    if byte1 is not None:
        header[1] = byte1
    if byte2 is not None:
        header[2] = byte2
    with pytest.raises(EncoderError, match="bad frame header at byte 0"):
        count_frames(bytes(header))


def test_encode_failure_raises_encoder_error() -> None:
    # AudioSettings.check would refuse this rate; ffmpeg's complaint becomes an EncoderError.
    with pytest.raises(EncoderError, match="ffmpeg failed"):
        encode_mp3(tone_pcm(seconds=0.1), 22050, AudioSettings(sample_rate=12345))


# --- build_tag ----------------------------------------------------------------------------------------

CHAPTERS = [
    TimedChapter("Introduction", 0, 12_345, 0),
    TimedChapter("A much longer second chapter title, to change frame sizes", 12_345, 60_000, 3),
    TimedChapter("Ü", 60_000, 61_000, 7),
    TimedChapter("Closing", 61_000, 90_500, 9),
]


def write_episode(path: Path, tag: bytes, chunk: bytes) -> Path:
    write_output(path, [tag, chunk])
    return path


def chap_offsets(raw: bytes, tag_size: int) -> list[tuple[int, str]]:
    """(offset, element id) of every CHAP frame in the first `tag_size` bytes, walking the frames."""
    out = []
    pos = 10
    while pos + 10 <= tag_size:
        frame_id = raw[pos : pos + 4].decode("latin-1")
        size = struct.unpack(">I", raw[pos + 4 : pos + 8])[0]  # ID3v2.3: plain 32-bit sizes
        if frame_id == "\x00\x00\x00\x00" or size == 0:
            break
        if frame_id == "CHAP":
            body = raw[pos + 10 : pos + 10 + size]
            out.append((pos, body[: body.index(b"\x00")].decode("latin-1")))
        pos += 10 + size
    return out


def test_tag_reads_back_with_mutagen(tmp_path: Path, chunk: bytes) -> None:
    episode = Episode(artist="Soup Club", album="Kitchen", year="2024", description="About soup.")
    tag = build_tag("Soup, Episode 1", episode, CHAPTERS)
    path = write_episode(tmp_path / "ep.mp3", tag, chunk)
    id3 = ID3(path)
    assert id3.version == (2, 3, 0)
    assert id3["TIT2"].text == ["Soup, Episode 1"]
    assert id3["TPE1"].text == ["Soup Club"]
    assert id3["TALB"].text == ["Kitchen"]
    assert str(id3["TYER"].text[0] if "TYER" in id3 else id3["TDRC"].text[0]) == "2024"
    (comment,) = id3.getall("COMM")
    assert comment.text == ["About soup."]
    assert id3.getall("APIC") == []


def test_tag_header_and_size(chunk: bytes) -> None:
    tag = build_tag("T", Episode(), CHAPTERS)
    assert tag[:5] == b"ID3\x03\x00"
    assert tag[5] == 0  # no flags
    size_bytes = tag[6:10]
    assert all(b < 0x80 for b in size_bytes)
    size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
    assert size == len(tag) - 10


def test_tag_is_deterministic() -> None:
    assert build_tag("T", Episode(artist="A"), CHAPTERS) == build_tag("T", Episode(artist="A"), CHAPTERS)


def test_chapters_read_back_in_time_order(tmp_path: Path, chunk: bytes) -> None:
    tag = build_tag("Soup", Episode(), CHAPTERS)
    id3 = ID3(write_episode(tmp_path / "ep.mp3", tag, chunk))
    chaps = sorted(id3.getall("CHAP"), key=lambda c: c.start_time)
    assert [c.element_id for c in chaps] == ["chp0", "chp1", "chp2", "chp3"]
    assert [(c.start_time, c.end_time) for c in chaps] == [(c.start_ms, c.end_ms) for c in CHAPTERS]
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c.title for c in CHAPTERS]
    assert all(c.start_offset == 0xFFFFFFFF and c.end_offset == 0xFFFFFFFF for c in chaps)


def test_chap_frames_are_laid_out_in_time_order(tmp_path: Path, chunk: bytes) -> None:
    tag = build_tag("Soup", Episode(), CHAPTERS)
    raw = write_episode(tmp_path / "ep.mp3", tag, chunk).read_bytes()
    offsets = chap_offsets(raw, len(tag))
    assert [cid for _, cid in offsets] == ["chp0", "chp1", "chp2", "chp3"]
    assert [o for o, _ in offsets] == sorted(o for o, _ in offsets)
    # The same from the raw bytes: a CHAP body is its id, a NUL and the start time (CTOC lists ids
    # NUL-separated, so "chpN" followed by the start time's zero bytes only occurs inside CHAP frames).
    assert raw.index(b"chp0\x00\x00\x00\x00\x00") < raw.index(b"chp1\x00\x00\x00\x30\x39")


def test_ctoc_is_top_level_ordered_and_titled(tmp_path: Path, chunk: bytes) -> None:
    tag = build_tag("Soup", Episode(), CHAPTERS)
    id3 = ID3(write_episode(tmp_path / "ep.mp3", tag, chunk))
    (toc,) = id3.getall("CTOC")
    assert toc.element_id == "toc"
    assert toc.flags & 0x01  # ordered
    assert toc.flags & 0x02  # top level
    assert toc.child_element_ids == ["chp0", "chp1", "chp2", "chp3"]
    assert toc.sub_frames["TIT2"].text == ["Soup"]


def test_no_chapters_no_toc(tmp_path: Path, chunk: bytes) -> None:
    id3 = ID3(write_episode(tmp_path / "ep.mp3", build_tag("Soup", Episode(), []), chunk))
    assert id3.getall("CHAP") == [] and id3.getall("CTOC") == []
    assert id3["TIT2"].text == ["Soup"]


def test_at_most_255_chapters(tmp_path: Path, chunk: bytes) -> None:
    many = [TimedChapter(f"Part {i}", i * 1000, (i + 1) * 1000, i) for i in range(300)]
    id3 = ID3(write_episode(tmp_path / "ep.mp3", build_tag("Soup", Episode(), many), chunk))
    assert len(id3.getall("CHAP")) == MAX_CHAPTERS
    assert len(id3.getall("CTOC")[0].child_element_ids) == MAX_CHAPTERS


def test_cover_is_embedded(tmp_path: Path, chunk: bytes) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    id3 = ID3(write_episode(tmp_path / "ep.mp3", build_tag("Soup", Episode(cover=cover), CHAPTERS), chunk))
    (apic,) = id3.getall("APIC")
    assert apic.mime == "image/png"
    assert apic.type == 3
    assert apic.data == PNG


def test_audio_follows_the_tag(tmp_path: Path, chunk: bytes) -> None:
    tag = build_tag("Soup", Episode(), CHAPTERS)
    raw = write_episode(tmp_path / "ep.mp3", tag, chunk).read_bytes()
    assert raw[len(tag) :] == chunk
    assert count_frames(raw[len(tag) :]) == count_frames(chunk)


# --- write_output ---------------------------------------------------------------------------------------


def test_write_atomic_streams_bytes_and_files(tmp_path: Path) -> None:
    part = tmp_path / "part.bin"
    part.write_bytes(b"middle")
    target = tmp_path / "out" / "deep" / "ep.mp3"
    assert write_output(target, [b"head-", part, b"-tail"]) == len(b"head-middle-tail")
    assert target.read_bytes() == b"head-middle-tail"
    assert (target.stat().st_mode & 0o777) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["ep.mp3"]


def test_write_atomic_refuses_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "episode.mp3"
    target.mkdir()
    with pytest.raises(OutputError, match="is a directory") as info:
        write_output(target, [b"x"])
    assert info.value.path == str(target)
    assert target.is_dir()
    assert list(tmp_path.iterdir()) == [target]


def test_write_atomic_failure_leaves_no_temp_file_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"previous episode")
    with pytest.raises(OutputError, match="cannot write the episode"):
        write_output(target, [b"new data", tmp_path / "missing-chunk.mp3"])
    assert target.read_bytes() == b"previous episode"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.mp3"]


def test_write_atomic_interrupted_leaves_no_temp_file(tmp_path: Path) -> None:
    def parts():
        yield b"some bytes"
        raise KeyboardInterrupt

    target = tmp_path / "ep.mp3"
    with pytest.raises(KeyboardInterrupt):
        write_output(target, parts())
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_folder_blocked_by_a_file(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file")
    with pytest.raises(OutputError, match="cannot create the folder"):
        write_output(tmp_path / "blocker" / "ep.mp3", [b"x"])
