"""Plan a render: one unit per turn (or per piece of a long turn), each with its cache key."""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from podrender.audio.settings import AudioSettings
from podrender.engines import VoiceSettings

if TYPE_CHECKING:  # the values here travel to the zygote, which should not load the planners to read them
    from podrender.config import Config
    from podrender.input.script import Script
    from podrender.speech.cast import Cast
    from podrender.speech.chapters import ChapterPlan

#: Bump when anything about how a chunk is made changes, so old cache entries are not reused.
CHUNK_FORMAT = 1


#: Turns longer than twice this are cut into pieces of at least this many characters...
UNIT_MIN_CHARS = 150
#: ...ending after a sentence whose checksum is divisible by this (about one sentence in three),
UNIT_BOUNDARY_ODDS = 3
#: ...or once they reach this length (the next checksum boundary puts later pieces back in step).
UNIT_SOFT_MAX_CHARS = 300


def unit_pieces(text: str, max_chars: int) -> list[str]:
    """Cut a long turn into units of a few sentences, so an edit re-makes only the piece it touches.

    Where a piece ends depends only on the sentence that ends it (content-defined, like rsync's
    chunking), not on the length of what came before: an edit that adds or removes words moves
    no boundary except, at most, the edited sentence's own. No piece exceeds `max_chars`.
    """
    if len(text) <= 2 * UNIT_MIN_CHARS and len(text) <= max_chars:
        return [text]
    from podrender.speech.normalize import sentences, split_for_engine

    parts = [p for para in text.split("\n\n") for s in sentences(para) for p in split_for_engine(s, max_chars)]
    pieces: list[str] = []
    current = ""
    for part in parts:
        if current and len(current) + 1 + len(part) > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current} {part}" if current else part
        boundary = zlib.crc32(part.encode("utf-8")) % UNIT_BOUNDARY_ODDS == 0
        if len(current) >= UNIT_SOFT_MAX_CHARS or (len(current) >= UNIT_MIN_CHARS and boundary):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


@dataclass(frozen=True)
class Unit:
    """One chunk of the episode: synthesized, levelled and encoded on its own."""

    index: int
    turn: int
    """Index into Script.turns."""
    part: int
    """0 for the first piece of a turn; long turns are split at sentences."""
    speaker: str
    voice: VoiceSettings
    text: str
    """Exactly what the engine is asked to say."""
    pause_ms: int
    """Silence after the speech, inside the same chunk."""
    line: int
    key: str


@dataclass(frozen=True)
class PlannedChapter:
    title: str
    first_unit: int


@dataclass(frozen=True)
class RenderPlan:
    units: tuple[Unit, ...]
    chapters: tuple[PlannedChapter, ...]
    audio: AudioSettings
    dropped: tuple[tuple[int, str], ...] = ()
    """(line, reason) of turns with nothing left to say after normalization."""


@functools.lru_cache(maxsize=64)
def _fields(value: VoiceSettings | AudioSettings) -> dict[str, Any]:
    """`asdict` of a frozen value, once per value: a long script has thousands of units and a handful
    of voices. Callers only read the dict (json.dumps)."""
    return asdict(value)


def unit_key(
    text: str, voice: VoiceSettings, pause_ms: int, audio: AudioSettings, engine_id: str, encoder_id: str
) -> str:
    """Hash of everything that changes a chunk's bytes."""
    blob = json.dumps(
        {
            "format": CHUNK_FORMAT,
            "engine": engine_id,
            "encoder": encoder_id,
            "voice": _fields(voice),
            "text": text,
            "pause_ms": pause_ms,
            "audio": _fields(audio),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def make_plan(
    script: Script,
    cast: Cast,
    chapters: tuple[ChapterPlan, ...],
    config: Config,
    audio: AudioSettings,
    *,
    max_chars: int,
    engine_id: str | Callable[[VoiceSettings], str],
    encoder_id: str,
) -> RenderPlan:
    """Turn the script into units. Chapter pauses are longer than ordinary ones. `engine_id` is the
    engine's identity, or a function giving it per voice when speakers use different engines or models."""
    from podrender.input.formats.pause import split_pauses
    from podrender.speech.normalize import spoken_text

    chapter_turns = {c.first_turn for c in chapters}
    pieces: list[tuple[int, str, VoiceSettings, str, int]] = []  # turn index, speaker, voice, text, line
    explicit: dict[int, int] = {}  # piece index -> silence after it from `[pause 2s]` tags, in ms
    dropped: list[tuple[int, str]] = []
    for turn in script.turns:
        role = cast.role(turn.speaker)
        spoke = paused = False
        # A pause tag cuts the turn: the piece before it ends with exactly that much silence.
        for segment, pause in split_pauses(turn.text, turn.line):
            said = spoken_text(segment, role.pronounce) if segment.strip() else ""
            for piece in unit_pieces(said, max_chars) if said else ():
                pieces.append((turn.index, role.name, role.voice, piece, turn.line))
                spoke = True
            if pause is not None:
                paused = True
                if pieces:
                    explicit[len(pieces) - 1] = explicit.get(len(pieces) - 1, 0) + pause
                else:
                    dropped.append((turn.line, "a pause before anything is said is left out"))
        if not spoke and not paused:
            dropped.append((turn.line, "nothing to say after removing markup, links and emoji"))

    units: list[Unit] = []
    first_unit_of_turn: dict[int, int] = {}
    for i, (turn_index, speaker, voice, text, line) in enumerate(pieces):
        nxt = pieces[i + 1][0] if i + 1 < len(pieces) else None
        if i in explicit:  # written in the script: it replaces the usual gap
            pause = explicit[i]
        elif nxt is None or nxt == turn_index:
            pause = 0
        elif nxt in chapter_turns:
            pause = config.chapter_pause_ms
        else:
            pause = config.pause_ms
        part = 0 if turn_index not in first_unit_of_turn else i - first_unit_of_turn[turn_index]
        first_unit_of_turn.setdefault(turn_index, i)
        eid = engine_id if isinstance(engine_id, str) else engine_id(voice)
        key = unit_key(text, voice, pause, audio, eid, encoder_id)
        units.append(Unit(i, turn_index, part, speaker, voice, text, pause, line, key))

    planned: list[PlannedChapter] = []
    for chapter in chapters:
        # A chapter whose turn was dropped starts at the next turn that has a unit.
        later = [u for t, u in first_unit_of_turn.items() if t >= chapter.first_turn]
        if later:
            first = min(later)
            if planned and planned[-1].first_unit == first:
                planned[-1] = PlannedChapter(chapter.title, first)
            else:
                planned.append(PlannedChapter(chapter.title, first))
    return RenderPlan(tuple(units), tuple(planned), audio, tuple(dropped))
