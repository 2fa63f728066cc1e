"""Assemble the episode: one ID3v2.3 tag (metadata, CHAP + CTOC) followed by the chunks' bytes.

The file is written under a temporary name in the target folder and renamed into place, so the
target path only ever holds a whole episode.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TDRC, TIT2, TPE1, CTOCFlags, Frame

from podrender.config import Episode
from podrender.output.timeline import TimedChapter

#: ID3 limits a CTOC to 255 children.
MAX_CHAPTERS = 255


def build_tag(title: str, episode: Episode, chapters: Sequence[TimedChapter]) -> bytes:
    """The ID3v2.3 tag bytes; deterministic (no dates unless `episode.year` says so)."""
    frames: list[Frame] = [TIT2(encoding=1, text=[title])]
    if episode.artist:
        frames.append(TPE1(encoding=1, text=[episode.artist]))
    if episode.album:
        frames.append(TALB(encoding=1, text=[episode.album]))
    if episode.year:
        frames.append(TDRC(encoding=1, text=[str(episode.year)]))
    if episode.description:
        frames.append(COMM(encoding=1, lang="eng", desc="", text=[episode.description]))
    if episode.cover is not None:
        data = episode.cover.read_bytes()
        mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        frames.append(APIC(encoding=0, mime=mime, type=3, desc="Cover", data=data))
    chapters = list(chapters)[:MAX_CHAPTERS]
    if chapters:
        ids = [f"chp{i}" for i in range(len(chapters))]
        frames.append(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=1, text=[title])],
            )
        )
        for cid, ch in zip(ids, chapters, strict=True):
            frames.append(
                CHAP(
                    element_id=cid,
                    start_time=ch.start_ms,
                    end_time=ch.end_ms,
                    start_offset=0xFFFFFFFF,
                    end_offset=0xFFFFFFFF,
                    sub_frames=[TIT2(encoding=1, text=[ch.title])],
                )
            )
    # mutagen orders frames by size when it saves a whole tag; players read CHAP frames in file
    # order, so each frame is serialized alone and the tag is laid out here in time order.
    body = b"".join(_frame_bytes(f) for f in frames)
    size = len(body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + syncsafe + body


def _frame_bytes(frame: Frame) -> bytes:
    tag = ID3()
    tag.add(frame)
    buf = io.BytesIO()
    tag.save(buf, v2_version=3, padding=lambda info: 0)
    return buf.getvalue()[10:]
