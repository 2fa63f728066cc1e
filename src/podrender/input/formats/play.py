"""Plays and screenplays: a character's name alone on a line in capitals, the speech below.

    ACT I                          act and scene headings open chapters
    SCENE 2. A kitchen at night.
    INT. KITCHEN - NIGHT           screenplay scene headings too

    MARTA                          a character cue (`(V.O.)`, `(CONT'D)` are dropped)
    (quietly)                      a stage direction
    You came back.

Stage directions - in parentheses or brackets, `Enter ...`/`Exit`/`Exeunt` lines, and the action
paragraphs between speeches - and scene headings are never spoken by a character: voices.yaml's
`stage_directions` says whether they are left out (`skip`, the default; `inspect` lists them) or the
narrator reads them (`narrator`).

Act and scene headings are the chapters, named as a person would say them: `ACT I` then
`SCENE II. Verona. A street.` is "Act 1, Scene 2: Verona. A street". A published play's front
pages - a Project Gutenberg header and licence, the title page, the cast list (Dramatis Personae),
a table of contents - are not spoken: the play begins at the act or scene heading before the first
character's cue.
"""

from __future__ import annotations

import re
from collections import Counter

from podrender.input.formats.builder import Builder
from podrender.input.formats.labeled import alone, looks_like_title, numbered_lines
from podrender.input.formats.labels import speaker_key
from podrender.input.script import ParseOptions, Script

_ORDINALS = ("FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH", "TENTH")
HEADING = re.compile(
    r"^(?:(?:ACT|SCENE|(?:THE\s+)?PROLOGUE|EPILOGUE)\b.*|(?:INT|EXT|INT\./EXT|I/E|EST)[.\s].*)$"
    rf"|^(?:Act|Scene)\s+[\dIVXLC]+\b.*$|^(?:{'|'.join(_ORDINALS)}|LAST|FINAL)\s+(?:ACT|SCENE)\.?$"
)
#: `ACT I.`, `Scene 2. A street.`, `SECOND ACT`: the kind, its number (roman, arabic or an ordinal word), the place.
_NUMBERED = re.compile(
    rf"^(?:(?P<ord>{'|'.join(_ORDINALS)}|LAST|FINAL)\s+(?P<kind1>ACT|SCENE)\.?"
    r"|(?P<kind2>ACT|SCENE)(?:\s+(?P<num>[IVXLC]+|\d{1,3})\b)?\.?)\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
#: Entrances and exits written as a line of their own (`Enter Sampson and Gregory.`, `Exeunt.`).
MOVEMENT = re.compile(
    r"^(?:(?:Enter|Re-enter|Re-Enter)\s+(?:(?:a|an|the|two|three|four|several|all)\s+)?[A-Z]"
    r"|(?:Exit|Exeunt|Manet|Flourish|Alarum|Sennet)\b)[^.!?]{0,120}\.?$"
)
#: A Project Gutenberg eBook's header ends with this line, and its licence starts with the END line.
GUTENBERG_START = re.compile(r"^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG\b.*$", re.IGNORECASE)
GUTENBERG_END = re.compile(r"^\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG\b.*$", re.IGNORECASE)
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
    return name.rstrip(".").strip() or None


def _number(numeral: str) -> int | None:
    if numeral.isdigit():
        return int(numeral)
    values = [_ROMAN.get(c) for c in numeral.upper()]
    if not values or any(v is None for v in values):
        return None
    total = 0
    for i, v in enumerate(values):
        assert v is not None
        nxt = values[i + 1] if i + 1 < len(values) else None
        total += -v if nxt is not None and nxt > v else v
    return total


def heading_title(line: str, act: int | None) -> tuple[str, int | None]:
    """How a person names the chapter a heading opens, and the act it is in.

    `ACT II` -> "Act 2"; `SCENE III. Verona. A street.` in act 1 -> "Act 1, Scene 3: Verona. A street";
    `THE PROLOGUE` -> "The Prologue"; screenplay headings (`INT. KITCHEN - NIGHT`) as written."""
    m = _NUMBERED.match(line)
    if not m:
        if re.match(r"^(?:THE\s+)?(?:PROLOGUE|EPILOGUE)\b", line):
            return line.rstrip(".").title(), act  # THE PROLOGUE. -> The Prologue
        return line, act
    kind = (m.group("kind1") or m.group("kind2")).capitalize()
    if m.group("ord"):
        number: int | None = [*_ORDINALS, "LAST", "FINAL"].index(m.group("ord").upper()) + 1
        if m.group("ord").upper() in ("LAST", "FINAL"):
            number = None
    else:
        number = _number(m.group("num")) if m.group("num") else None
    rest = m.group("rest").strip().rstrip(".").strip()
    if kind == "Act":
        act = number
        name = f"Act {number}" if number is not None else "Act"
    else:
        name = f"Scene {number}" if number is not None else ""
        if act is not None:
            name = f"Act {act}, {name}" if name else f"Act {act}"
        name = name or "Scene"
    return (f"{name}: {rest}" if rest else name), act


def _speech_follows(line: str) -> bool:
    """True when the line after a name in capitals can be what the character says (not a blank line, not a
    heading: `CHORUS.` above `Scene I.` in a table of contents is no cue)."""
    return bool(line) and not HEADING.match(line)


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" \u00a0"))


def _speech_indent(lines: list[tuple[int, str]], raw: list[str], begin: int, end: int) -> int | None:
    """How far speech is indented when the play sets its directions apart by indentation (Project
    Gutenberg's ` Enter Romeo.` against speech at the margin), else None: then a paragraph after a blank
    line is a speech only under a cue, and anything else between speeches is a direction."""
    speech: Counter[int] = Counter()
    moves: set[int] = set()
    for i in range(begin, min(end, len(lines)) - 1):
        number, line = lines[i]
        if is_cue(line) and _speech_follows(lines[i + 1][1]):
            speech[_indent(raw[lines[i + 1][0] - 1])] += 1
        elif MOVEMENT.match(line):
            moves.add(_indent(raw[number - 1]))
    if not speech or not moves:
        return None
    usual = speech.most_common(1)[0][0]
    return usual if usual not in moves else None


def _front_matter(lines: list[tuple[int, str]]) -> tuple[int, int, int]:
    """(first index of the play, index after its Gutenberg header, index of its licence) for `lines`.

    The play begins at the run of headings (an act, then a scene) before the first character's cue (a name
    in capitals opening a paragraph, speech below it: not `CHORUS.` in a cast list); with no heading before
    the first cue, it begins after the header."""
    start = next((i + 1 for i, (_, line) in enumerate(lines) if GUTENBERG_START.match(line)), 0)
    end = next((i for i, (_, line) in enumerate(lines) if i >= start and GUTENBERG_END.match(line)), len(lines))
    first_cue = next(
        (i for i in range(start, end - 1)
         if is_cue(lines[i][1]) and _speech_follows(lines[i + 1][1]) and (i == start or not lines[i - 1][1])),
        None,
    )
    if first_cue is None:
        return start, start, end
    heading = next((i for i in range(first_cue - 1, start - 1, -1) if HEADING.match(lines[i][1])), None)
    if heading is None:
        return start, start, end
    while True:
        before = next((i for i in range(heading - 1, start - 1, -1) if lines[i][1]), None)
        if before is None or not HEADING.match(lines[before][1]) or not _NUMBERED.match(lines[before][1]):
            return heading, start, end
        heading = before


class _Play:
    def __init__(self, options: ParseOptions) -> None:
        self.b = Builder(options, "play")
        self.narrate_directions = options.stage_directions == "narrator"
        self.act: int | None = None
        self.action: list[str] = []
        self.action_line = 0
        self.bracket: list[str] | None = None  # a direction in brackets still open, and where it began
        self.bracket_line = 0
        self.resume = False  # a direction interrupted the speech: the next words reopen the character's turn

    def direction(self, text: str, number: int, why: str = "stage direction") -> None:
        if self.narrate_directions:
            self.b.narrate(text, number)
        else:
            self.b.skip(number, text, why)

    def flush_action(self) -> None:
        self.close_bracket()
        if self.action:
            self.direction(" ".join(self.action), self.action_line)
            self.action = []

    def speech(self, cue: str, line: str, number: int) -> None:
        """A line of speech: directions inside it go to the narrator (or are left out). A direction in
        brackets may run over several lines (`[Jack puts out his hand ... Algernon at once` / `interferes.]`)."""
        if self.bracket is not None:
            end = line.find("]")
            if end < 0:
                self.bracket.append(line)
                return
            self.bracket.append(line[:end])
            self._direct(" ".join(self.bracket), self.bracket_line)
            self.bracket = None
            line = line[end + 1 :]
        start = 0
        for m in DIRECTION.finditer(line):
            self._say(cue, line[start : m.start()], number)
            self._direct(m.group("p") or m.group("b") or "", number)
            start = m.end()
        rest = line[start:]
        opened = rest.find("[")
        if opened >= 0 and not rest[opened:].lower().startswith("[pause"):
            self._say(cue, rest[:opened], number)
            self.bracket, self.bracket_line = [rest[opened + 1 :]], number
            return
        self._say(cue, rest, number)

    def close_bracket(self) -> None:
        """A bracket left open at the end of a paragraph closes there."""
        if self.bracket is not None:
            self._direct(" ".join(self.bracket), self.bracket_line)
            self.bracket = None

    def _direct(self, text: str, number: int) -> None:
        """A direction inside a speech: read by the narrator between two parts of the turn, or left out and
        the turn goes on."""
        if self.narrate_directions:
            self.b.drop_waiting_label()
            self.resume = True
        self.direction(" ".join(text.split()).strip("_ "), number)

    def _say(self, cue: str, text: str, number: int) -> None:
        text = text.strip()
        if not text:
            return
        if self.resume:  # the character goes on after the direction
            self.b.label(cue, "", number)
            self.resume = False
        self.b.text(text, number)


def parse(text: str, options: ParseOptions) -> Script:
    play = _Play(options)
    b = play.b
    lines = numbered_lines(text)
    begin, header_end, licence = _front_matter(lines)
    for number, line in lines[:header_end]:
        m = re.match(r"^title:\s*(.+)$", line, re.IGNORECASE)
        if m:
            b.title(m.group(1), number)
        if line:
            b.skip(number, line, "Project Gutenberg header")
    if begin > header_end:
        first = next(((n, line) for n, line in lines[header_end:begin] if line), None)
        for number, line in lines[header_end:begin]:
            if (number, line) == first and not b.has_title and looks_like_title(line):
                b.title(line, number)
            elif line:
                b.skip(number, line, "before the play begins (title page, cast list, contents)")
    for number, line in lines[licence:]:
        if line:
            b.skip(number, line, "Project Gutenberg licence")
    raw = text.split("\n")
    speech_indent = _speech_indent(lines, raw, begin, licence)
    cue: str | None = None
    last_cue: str | None = None  # whose speech a paragraph after a direction may continue
    for i, (number, line) in enumerate(lines):
        if i < begin or i >= licence:
            continue
        if not line:
            play.flush_action()
            if cue is not None and b.has_content:
                last_cue, cue = cue, None
            b.blank()
            continue
        indent = _indent(raw[number - 1])
        if b.skip_rule(number, line):
            continue
        if cue is None and not b.has_content and not b.has_title:
            m = re.match(r"^title:\s*(.+)$", line, re.IGNORECASE)
            if m or (alone(lines, i) and looks_like_title(line) and not HEADING.match(line)):
                b.title(m.group(1) if m else line, number)
                continue
        if HEADING.match(line):
            play.flush_action()
            cue = last_cue = None
            title, play.act = heading_title(line, play.act)
            b.chapter(title, number, heading=True)
            play.direction(line, number, "scene heading")
            continue
        if MOVEMENT.match(line) and len(line.split()) <= 16:
            play.flush_action()
            if cue is not None:
                play.speech(cue, f"[{line}]", number)  # within a speech, as a direction in brackets
            else:
                play.direction(line, number, "stage direction (entrance or exit)")
            continue
        if TRANSITION.match(line):
            play.flush_action()
            b.skip(number, line, "transition")
            continue
        name = is_cue(line)
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        if name is not None and _speech_follows(nxt) and (cue is None or speaker_key(name) != speaker_key(cue)):
            play.flush_action()
            cue, last_cue = name, None
            play.resume = False
            b.label(name, "", number)
            continue
        if cue is None and last_cue is not None and indent == speech_indent and not line.startswith("["):
            cue = last_cue  # the speech goes on after a blank line or a direction (`ROMEO.` ... `But soft, ...`)
        if cue is not None:
            play.speech(cue, line, number)
            continue
        if not play.action:
            play.action_line = number
        play.action.append(line)
    play.flush_action()
    return b.build()
