"""Parse a plain transcript into a Script: title, turns and chapter markers. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from podrender.config import SpeakerConfig
from podrender.errors import ScriptError
from podrender.input.boilerplate import page_chrome

#: A label is 1-4 words and at most this many characters before the colon.
MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 4
#: A first line this short, without sentence punctuation at its end, is the title.
MAX_TITLE_CHARS = 120

#: Degrees and suffixes written after a name and a comma: `Mireille B. Reece, Psy.D:`, `Ann Lee, PhD:`.
_SUFFIX = (
    r"(?:Ph\.?D\.?|Psy\.?D\.?|Ed\.?D\.?|M\.?D\.?|D\.?O\.?|DDS|RN|MBA|MSc|BSc|M\.?A\.?|B\.?A\.?"
    r"|Esq\.?|Jr\.?|Sr\.?|II|III|IV)"
)
_LABEL = re.compile(
    r"^(?P<label>[^\W\d_][\w.'’\- ]*?)(?:\s*\((?P<note>[^()\n:]{1,24})\)|,\s*(?P<suffix>" + _SUFFIX + r"))?"
    r"\s*:(?:[ \u00a0]+(?P<rest>.*)|\s*)$"
)
#: A label's bracket: `Aaron van Wirdum (AvW)` (a short name used later), `Q (cont.)` (a note); or its degree.
_NOTE = re.compile(r"^(?P<base>.+?)(?:\s*\((?P<note>[^()]+)\)|,\s*(?P<suffix>" + _SUFFIX + r"))$")
_MARKER = re.compile(r"^(?:##\s+(?P<h>.+?)\s*#*|\[chapter:\s*(?P<b>[^\]]+?)\s*\])$", re.IGNORECASE)
_PAUSE_ONLY = re.compile(r"^\[pause\s[^\]]*\]$", re.IGNORECASE)
_PARTICLES = frozenset({"de", "da", "del", "der", "di", "du", "la", "le", "van", "von", "bin", "al", "y"})


@dataclass(frozen=True)
class Turn:
    """One stretch of speech by one speaker (or the narrator)."""

    index: int
    """Position in the script, from 0."""
    speaker: str | None
    """Canonical speaker name; None means the narrator reads it."""
    text: str
    """What was written, paragraphs joined by a blank line."""
    line: int
    """1-based line where the turn starts."""
    label: str | None = None
    """The label as written (`Alexander`), before aliases were applied."""
    is_title: bool = False
    """True for the opening where the narrator reads the episode title."""


@dataclass(frozen=True)
class Marker:
    """An explicit chapter marker (`## Title` or `[chapter: Title]`)."""

    title: str
    turn_index: int
    line: int
    heading: bool = False
    """True for a heading of the document (`## Title`, a Markdown heading, a play's act or scene), which
    divides it into the author's sections; False for a `[chapter: Title]` marker set among the turns."""


@dataclass(frozen=True)
class Skipped:
    """A line that is not spoken, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Fold:
    """A label that stands for another speaker, and why (podrender.input.identity)."""

    label: str
    """The label as written (`Alexander`, `AvW`, `Q`), or the speaker it was before."""
    into: str
    """The speaker it stands for now (`Sasha`, `Aaron van Wirdum`)."""
    reason: str
    """Where the document says so: "'Alexander (Sasha) Rush' in the title"."""


@dataclass(frozen=True)
class Script:
    """A parsed transcript."""

    title: str | None
    turns: tuple[Turn, ...]
    markers: tuple[Marker, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Canonical speaker -> every label spelling used for them, in order of appearance."""
    input_format: str = "plain"
    """The input format it was read as (podrender.input.formats)."""
    detected_by: str = ""
    """How that format was chosen, e.g. 'from the .md extension'."""
    voices: tuple[SpeakerConfig, ...] = ()
    """Voice settings written in the script itself (a structured script's `speakers`)."""
    folds: tuple[Fold, ...] = ()
    """Labels folded into one person's speaker after parsing (podrender.input.identity), with the reason."""
    shape: str = ""
    """A shape the parser recognised that changes who speaks: "bold questions" for an interview whose questions
    are bold paragraphs with no label (podrender.input.formats.boldqa), else empty."""
    byline: str = ""
    """Who wrote the document, from a web page's author metadata (its byline is page chrome, not spoken)."""

    @property
    def speakers(self) -> tuple[str, ...]:
        """Labeled speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker is not None:
                seen.setdefault(turn.speaker, None)
        return tuple(seen)


#: Turns and speakers a script may have. A 10 MB plain transcript (the size limit is 20 MB) has about
#: 34,000 turns; a three-hour audiobook a few thousand. Past these, a script is refused in one line
#: rather than taking minutes and gigabytes (a million-turn JSON script took 148 s and 9.9 GB).
MAX_TURNS = 50_000
MAX_SPEAKERS = 5_000


def check_size(script: Script, name: str) -> None:
    """ScriptError when `script` has more turns or speakers than podrender takes."""
    if len(script.turns) > MAX_TURNS:
        turn = script.turns[MAX_TURNS]
        raise ScriptError(
            f"has more than {MAX_TURNS:,} turns; split it into several episodes", path=name, line=turn.line or None
        )
    speakers = script.speakers
    if len(speakers) > MAX_SPEAKERS:
        raise ScriptError(f"has {len(speakers):,} speakers; scripts of up to {MAX_SPEAKERS:,} are accepted", path=name)


class SkipPattern(Protocol):
    """A line-skipping rule: a compiled `re` pattern, or voices.yaml's time-bounded config.SkipRule."""

    @property
    def pattern(self) -> Any: ...

    def search(self, text: str) -> Any: ...


#: Who `Q` and `A` stand for when voices.yaml does not say (nor names a host).
DEFAULT_QA = {"Q": "Host", "A": "Guest"}


@dataclass(frozen=True)
class ParseOptions:
    """What the parser needs from voices.yaml."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    """Lower-cased label -> canonical speaker (speakers map to themselves)."""
    skip: Sequence[SkipPattern] = ()
    """Lines matching any of these are not spoken."""
    qa: Mapping[str, str] = field(default_factory=dict)
    """`Q`/`A` labels -> the speaker they stand for (every format but plain)."""
    stage_directions: str = "skip"
    """Stage directions and scene headings of plays: `skip`ped (the default), or read by the `narrator`."""
    keep: Sequence[SkipPattern] = ()
    """Lines matching any of these are spoken even when they look like page chrome
    (podrender.input.boilerplate; plain transcripts)."""
    fold_names: bool = True
    """Fold the labels of one person into one speaker (podrender.input.identity); voices.yaml's `fold_names`."""


@dataclass
class _Segment:
    label: str | None
    line: int
    lines: list[str]
    continues: bool = False
    paragraphs: list[str] = field(default_factory=list)


def match_label(line: str, known: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """Return (label, rest) when `line` opens a turn, else None."""
    m = _LABEL.match(line)
    if not m:
        return None
    base = " ".join(m.group("label").split())
    note = " ".join((m.group("note") or "").split())
    label = f"{base} ({note})" if note else f"{base}, {m.group('suffix')}" if m.group("suffix") else base
    words = base.split(" ")
    if len(base) > MAX_LABEL_CHARS or len(words) > MAX_LABEL_WORDS:
        return None
    if known is not None and (label.casefold() in known or (not note and base.casefold() in known)):
        return label, (m.group("rest") or "").strip()
    if not words[0][0].isupper():
        return None
    if any(not (w[0].isupper() or w.casefold() in _PARTICLES) for w in words[1:]):
        return None
    return label, (m.group("rest") or "").strip()


def split_label(label: str) -> tuple[str, str | None]:
    """(`Aaron van Wirdum`, `AvW`) for the label `Aaron van Wirdum (AvW)`, (`Ann Lee`, `PhD`) for `Ann Lee, PhD`;
    (label, None) without a bracket or a degree."""
    m = _NOTE.match(label)
    if m is None:
        return label, None
    return m.group("base"), (m.group("note") or m.group("suffix")).strip()


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


#: In a paragraph of several lines, chrome lines are left out one by one only when no line is longer than
#: this (a pasted list of page bits: name, Follow, 5 min read, a date); a hard-wrapped paragraph of prose
#: loses a line only when every line of it is chrome.
MAX_LIST_LINE_CHARS = 60


def _chrome_lines(rows: Sequence[tuple[int, str]], options: ParseOptions, known: Mapping[str, str]) -> dict[int, str]:
    """Line number -> why it is page chrome, for lines outside a speaker's paragraph (narration, or a
    paragraph inside a turn that is nothing but chrome). A labeled line is a speaker's unless its label is
    no known speaker, is used for nothing but chrome, and the whole line is chrome (`GitHub: https://...`)."""
    content = [(number, line) for number, line in rows if line]
    reasons = page_chrome([line for _, line in content])
    labels = {number: match_label(line, known) for number, line in content}
    speech_labels = {
        found[0].casefold() for (number, _), reason in zip(content, reasons, strict=True)
        if (found := labels[number]) is not None and reason is None
    }  # fmt: skip
    verdict: dict[int, str] = {}
    for (number, line), reason in zip(content, reasons, strict=True):
        found = labels[number]
        if reason is None or _MARKER.match(line) or _PAUSE_ONLY.match(line):
            continue
        if found is not None and (found[0].casefold() in known or found[0].casefold() in speech_labels):
            continue
        if any(p.search(line) for p in options.keep):
            continue
        verdict[number] = reason

    chrome: dict[int, str] = {}
    run: list[tuple[int, str]] = []

    def flush() -> None:
        found = [number for number, _ in run if number in verdict]
        listed = len(run) > 1 and all(len(line) <= MAX_LIST_LINE_CHARS for _, line in run)
        if found and (len(found) == len(run) or listed):
            chrome.update((number, verdict[number]) for number in found)
        run.clear()

    in_turn = False
    for number, line in rows:
        if not line or _MARKER.match(line) or _PAUSE_ONLY.match(line):
            flush()
            in_turn = False
        elif labels[number] is not None and number not in verdict:
            flush()
            in_turn = True
        elif labels[number] is not None or not in_turn:
            in_turn = False  # a chrome line with a label ends the speaker's paragraph
            run.append((number, line))
    flush()
    return chrome


def parse(text: str, options: ParseOptions | None = None) -> Script:
    """Parse transcript text. Raises ScriptError (with a line number) when nothing is left to say."""
    options = options or ParseOptions()
    known = {k.casefold(): v for k, v in options.aliases.items()}
    skipped: list[Skipped] = []

    # 1. Blocks of non-blank lines, with skip rules applied line by line, then page chrome left out.
    rows: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip().replace("\u00a0", " ")
        if line.startswith("\ufeff"):
            line = line[1:].strip()
        rule = next((p for p in options.skip if p.search(line)), None) if line else None
        if rule is not None:
            skipped.append(Skipped(number, line, f"skip rule {rule.pattern!r}"))
            continue
        rows.append((number, line))
    chrome = _chrome_lines(rows, options, known)
    skipped.extend(Skipped(number, line, chrome[number]) for number, line in rows if number in chrome)
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in rows:
        if not line:
            if current:
                blocks.append(current)
                current = []
        elif number not in chrome:
            current.append((number, line))
    if current:
        blocks.append(current)

    # 2. The title: a short first line on its own, with no sentence punctuation at its end.
    title: str | None = None
    title_line = 0
    if blocks and len(blocks[0]) == 1:
        number, first = blocks[0][0]
        if (
            len(first) <= MAX_TITLE_CHARS
            and first[-1] not in ".!?:;,…"
            and not _MARKER.match(first)
            and not _PAUSE_ONLY.match(first)
            and match_label(first, known) is None
        ):
            title, title_line = first.lstrip("# ").strip() or first, number
            blocks = blocks[1:]

    # 3. Segments: a labeled line opens one; a block without a label opens an unlabeled one.
    segments: list[_Segment] = []
    pending_markers: list[tuple[str, int, int, bool]] = []  # (title, line, segment index, a heading?)
    for block in blocks:
        if title is not None and _squash(" ".join(t for _, t in block)) == _squash(title):
            skipped.append(Skipped(block[0][0], title, "repeats the title"))
            continue
        seg: _Segment | None = None
        for number, line in block:
            marker = _MARKER.match(line)
            if marker:
                name = (marker.group("h") or marker.group("b") or "").strip()
                pending_markers.append((name, number, len(segments), marker.group("h") is not None))
                seg = None
                continue
            found = match_label(line, known)
            if found:
                label, rest = found
                seg = _Segment(label, number, [rest] if rest else [])
                segments.append(seg)
            elif seg is None:
                seg = _Segment(None, number, [line])
                segments.append(seg)
            else:
                seg.lines.append(line)

    labeled = [i for i, s in enumerate(segments) if s.label is not None]
    first_labeled = labeled[0] if labeled else len(segments)
    last_labeled = labeled[-1] if labeled else len(segments)

    # 4. Turns: narration before the first label and after the last; unlabeled paragraphs between
    #    labels continue the previous speaker, unless a chapter marker stands before them.
    marker_at = {seg_index for _, _, seg_index, _ in pending_markers}
    canonical: dict[str, str] = {}
    spellings: dict[str, list[str]] = {}
    built: list[tuple[str | None, str | None, int, list[str]]] = []  # speaker, label, line, paragraphs
    seg_to_turn: dict[int, int] = {}
    for i, seg in enumerate(segments):
        body = " ".join(seg.lines).strip()
        if seg.label is None:
            narration = i < first_labeled or i > last_labeled
            if narration:
                if built and built[-1][0] is None and built[-1][1] is None and i not in marker_at:
                    built[-1][3].append(body)
                else:
                    built.append((None, None, seg.line, [body]))
            elif built and i not in marker_at:
                built[-1][3].append(body)
            else:
                speaker = built[-1][0] if built else None
                built.append((speaker, built[-1][1] if built else None, seg.line, [body]))
        else:
            key = seg.label.casefold()
            name = known.get(key) or canonical.setdefault(key, seg.label)
            spellings.setdefault(name, [])
            if seg.label not in spellings[name]:
                spellings[name].append(seg.label)
            built.append((name, seg.label, seg.line, [body] if body else []))
        seg_to_turn[i] = len(built) - 1

    turns: list[Turn] = []
    if title is not None:
        turns.append(Turn(0, None, title, title_line, None, is_title=True))
    index_of: dict[int, int] = {}
    for b, (who, said_as, first_line, paragraphs) in enumerate(built):
        body = "\n\n".join(p for p in paragraphs if p)
        if not body.strip():
            skipped.append(Skipped(first_line, f"{said_as}:", "label with no text"))
            continue
        index_of[b] = len(turns)
        turns.append(Turn(len(turns), who, body, first_line, said_as))

    markers: list[Marker] = []
    for marker_title, marker_line, seg_index, heading in pending_markers:
        target = None
        for s in range(seg_index, len(segments)):
            built_index = seg_to_turn.get(s)
            if built_index is not None and built_index in index_of:
                target = index_of[built_index]
                break
        if target is not None and marker_title:
            markers.append(Marker(marker_title, target, marker_line, heading))

    if not any(not t.is_title for t in turns) and title is None:
        last = skipped[-1].line if skipped else 1
        raise ScriptError("has nothing to say: every line was skipped or empty", line=last)
    return Script(
        title=title,
        turns=tuple(turns),
        markers=tuple(markers),
        skipped=tuple(sorted(skipped, key=lambda s: s.line)),
        labels={k: tuple(v) for k, v in spellings.items()},
    )
