"""Plays and screenplays: a character's name alone on a line in capitals, the speech below.

    ACT I                          act and scene headings open chapters
    SCENE 2. A kitchen at night.
    INT. KITCHEN - NIGHT           screenplay scene headings too

    MARTA                          a character cue (`(V.O.)`, `(CONT'D)` are dropped)
    (quietly)                      a stage direction
    You came back.

Stage directions - in parentheses or brackets, and the action paragraphs between speeches - and
scene headings are never spoken by a character: voices.yaml's `stage_directions` says whether the
narrator reads them (`narrator`, the default) or they are left out (`skip`).
"""

from __future__ import annotations

import re

from podrender.input.formats.builder import Builder
from podrender.input.formats.labeled import alone, looks_like_title, numbered_lines
from podrender.input.formats.labels import speaker_key
from podrender.input.script import ParseOptions, Script

HEADING = re.compile(
    r"^(?:(?:ACT|SCENE|PROLOGUE|EPILOGUE)\b.*|(?:INT|EXT|INT\./EXT|I/E|EST)[.\s].*)$|^(?:Act|Scene)\s+[\dIVXLC]+\b.*$"
)
TRANSITION = re.compile(
    r"^(?:[A-Z ]+ TO:|FADE (?:IN|OUT)[.:]?|FADE TO BLACK\.?|THE END\.?|END OF (?:ACT|SCENE|PLAY).*)$"
)
CUE = re.compile(r"^(?P<name>[^\W\d_a-z][^a-z():]{0,39}?)\s*(?:\((?:[^()]*)\))?\s*:?$")
DIRECTION = re.compile(r"\((?P<p>[^()]+)\)|\[(?!pause\b)(?P<b>[^\[\]]+)\]", re.IGNORECASE)
MAX_CUE_WORDS = 4


def is_cue(line: str) -> str | None:
    """The character's name when `line` is a cue (capitals only, 1-4 words), else None."""
    m = CUE.match(line)
    if not m:
        return None
    name = m.group("name").strip()
    if not any(c.isalpha() for c in name) or name != name.upper() or any(c.islower() for c in name):
        return None
    if len(name.split()) > MAX_CUE_WORDS or HEADING.match(name) or TRANSITION.match(line):
        return None
    return name


class _Play:
    def __init__(self, options: ParseOptions) -> None:
        self.b = Builder(options, "play")
        self.narrate_directions = options.stage_directions != "skip"
        self.action: list[str] = []
        self.action_line = 0

    def direction(self, text: str, number: int, why: str = "stage direction") -> None:
        if self.narrate_directions:
            self.b.narrate(text, number)
        else:
            self.b.skip(number, text, why)

    def flush_action(self) -> None:
        if self.action:
            self.direction(" ".join(self.action), self.action_line)
            self.action = []

    def speech(self, cue: str, line: str, number: int) -> None:
        """A line of speech: directions inside it go to the narrator (or are left out)."""
        start = 0
        for m in DIRECTION.finditer(line):
            before = line[start : m.start()].strip()
            if before:
                self.b.text(before, number)
            self.b.drop_waiting_label()
            self.direction((m.group("p") or m.group("b") or "").strip(), number)
            self.b.label(cue, "", number)  # the character goes on after the direction
            start = m.end()
        rest = line[start:].strip()
        if rest:
            self.b.text(rest, number)


def parse(text: str, options: ParseOptions) -> Script:
    play = _Play(options)
    b = play.b
    lines = numbered_lines(text)
    cue: str | None = None
    for i, (number, line) in enumerate(lines):
        if not line:
            play.flush_action()
            if cue is not None and b.has_content:
                cue = None
            b.blank()
            continue
        if b.skip_rule(number, line):
            continue
        if cue is None and not b.has_content and not b.has_title:
            m = re.match(r"^title:\s*(.+)$", line, re.IGNORECASE)
            if m or (alone(lines, i) and looks_like_title(line) and not HEADING.match(line)):
                b.title(m.group(1) if m else line, number)
                continue
        if HEADING.match(line):
            play.flush_action()
            cue = None
            b.chapter(line, number)
            play.direction(line, number, "scene heading")
            continue
        if TRANSITION.match(line):
            play.flush_action()
            b.skip(number, line, "transition")
            continue
        name = is_cue(line)
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        if name is not None and nxt and (cue is None or speaker_key(name) != speaker_key(cue)):
            play.flush_action()
            cue = name
            b.label(name, "", number)
            continue
        if cue is not None:
            play.speech(cue, line, number)
            continue
        if not play.action:
            play.action_line = number
        play.action.append(line)
    play.flush_action()
    return b.build()
