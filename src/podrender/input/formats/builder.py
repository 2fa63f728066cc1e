"""Build a Script from what a format parser saw, line by line, with the plain format's rules.

A parser calls `title`, `chapter`, `label`, `text`, `blank`, `narrate` and `skip` in line order.
Paragraphs without a label are read by the narrator before the first label and after the last
one; between labels they continue the speaker before them (a chapter heading in between starts
a new turn for that speaker). Labels are matched case-insensitively, so `JOHN SMITH` and
`John Smith` are one speaker, named by the first spelling that is not all capitals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from podrender.errors import ScriptError
from podrender.input.formats.labels import display_name, qa_map, speaker_key
from podrender.input.formats.pause import tag
from podrender.input.script import Marker, ParseOptions, Script, Skipped, Turn


@dataclass
class _Segment:
    label: str | None
    line: int
    narration: bool = False
    paragraphs: list[list[str]] = field(default_factory=lambda: [[]])


class Builder:
    """Collects one script's pieces in order; `build()` makes the Script."""

    def __init__(self, options: ParseOptions, fmt: str, *, merge_same_speaker: bool = False) -> None:
        self.options = options
        self.format = fmt
        self.merge_same_speaker = merge_same_speaker
        self.known = {speaker_key(k): v for k, v in options.aliases.items()}
        self.qa = qa_map(options.qa)
        self._title: tuple[str, int] | None = None
        self._segments: list[_Segment] = []
        self._open: _Segment | None = None
        self._markers: list[tuple[str, int, int, bool]] = []  # title, line, index of the segment it precedes, heading
        self.skipped: list[Skipped] = []

    # --- what parsers call ---------------------------------------------------------------------

    def skip_rule(self, line: int, text: str) -> bool:
        """True (and recorded) when a voices.yaml skip rule drops this line."""
        rule = next((p for p in self.options.skip if p.search(text)), None)
        if rule is None:
            return False
        self.skip(line, text, f"skip rule {rule.pattern!r}")
        return True

    def title(self, text: str, line: int) -> bool:
        """Set the episode title unless one was set; False when it was."""
        text = " ".join(text.split())
        if self._title is not None or not text:
            return False
        self._title = (text, line)
        return True

    @property
    def has_title(self) -> bool:
        return self._title is not None

    @property
    def has_content(self) -> bool:
        return bool(self._segments)

    @property
    def has_chapters(self) -> bool:
        return bool(self._markers)

    def chapter(self, title: str, line: int, *, heading: bool = False) -> None:
        """A chapter starts at the next turn; `heading` when it is one of the document's own headings."""
        title = " ".join(title.split())
        if title:
            self._markers.append((title, line, len(self._segments), heading))
        self._open = None

    def label(self, label: str, rest: str, line: int) -> None:
        """A labeled line opens a turn; `rest` is the text after the label (may be empty)."""
        seg = _Segment(label, line)
        self._segments.append(seg)
        self._open = seg
        if rest.strip():
            seg.paragraphs[-1].append(rest.strip())

    def text(self, text: str, line: int) -> None:
        """A line of text: continues the open paragraph, or starts an unlabeled one."""
        text = text.strip()
        if not text:
            self.blank()
            return
        if self._open is None:
            self._open = _Segment(None, line)
            self._segments.append(self._open)
        self._open.paragraphs[-1].append(text)

    def resume(self, text: str, line: int) -> None:
        """A new paragraph of the last labeled turn, wherever it stands (the end of an interview's last answer,
        which would otherwise be read as the narrator's closing)."""
        seg = self._segments[-1] if self._segments else None
        if seg is None or seg.label is None or seg.narration:
            self.text(text, line)
            return
        seg.paragraphs.append([text.strip()])
        self._open = seg

    def drop_waiting_label(self) -> None:
        """Forget the open label if nothing was said after it yet (a cue followed by a direction)."""
        seg = self._open
        if seg is not None and seg.label is not None and not any(seg.paragraphs) and self._segments[-1] is seg:
            self._segments.pop()
            self._open = None

    def blank(self) -> None:
        """A paragraph break: the next text line starts a new paragraph (a label still waiting for
        its first words keeps waiting: `Name  00:12`, a blank line, then the speech)."""
        if self._open is not None and self._open.label is not None and not any(self._open.paragraphs):
            return
        self._open = None

    def narrate(self, text: str, line: int) -> None:
        """Text the narrator reads wherever it stands (stage directions, scene headings)."""
        paragraphs = [[" ".join(p.split())] for p in re.split(r"\n\s*\n", text) if p.strip()]
        if paragraphs:
            self._segments.append(_Segment(None, line, narration=True, paragraphs=paragraphs))
        self._open = None

    def pause(self, ms: int, line: int) -> None:
        """Silence after what came before (written into the text as a `[pause 2s]` tag)."""
        if self._segments and any(self._segments[-1].paragraphs):
            self._segments[-1].paragraphs[-1].append(tag(ms))
        else:
            self._segments.append(_Segment(None, line, narration=True, paragraphs=[[tag(ms)]]))

    def skip(self, line: int, text: str, reason: str) -> None:
        self.skipped.append(Skipped(line, text.strip(), reason))

    # --- the result ----------------------------------------------------------------------------

    def _speaker(self, label: str, names: dict[str, str]) -> str:
        key = speaker_key(label)
        if key in self.known:
            return self.known[key]
        if key.rstrip(".") in self.qa:
            target = self.qa[key.rstrip(".")]
            return self.known.get(speaker_key(target), target)
        return names[key]

    def build(self) -> Script:
        segments = self._segments
        # Canonical names: the first spelling that is not all capitals, else a readable all-caps one.
        names: dict[str, str] = {}
        mixed_case: set[str] = set()
        for seg in segments:
            if seg.label is None:
                continue
            key = speaker_key(seg.label)
            mixed = seg.label.upper() != seg.label
            if key not in names or (mixed and key not in mixed_case):
                names[key] = seg.label if mixed else display_name(seg.label)
            if mixed:
                mixed_case.add(key)
        labeled = [i for i, s in enumerate(segments) if s.label is not None]
        first_labeled = labeled[0] if labeled else len(segments)
        last_labeled = labeled[-1] if labeled else len(segments)
        marker_at = {index for _, _, index, _ in self._markers}

        built: list[tuple[str | None, str | None, int, list[str]]] = []  # speaker, label, line, paragraphs
        seg_to_built: dict[int, int] = {}
        spellings: dict[str, list[str]] = {}
        for i, seg in enumerate(segments):
            paragraphs = [" ".join(p) for p in seg.paragraphs if p]
            if seg.label is not None:
                who = self._speaker(seg.label, names)
                same = built and built[-1][0] == who and built[-1][1] is not None
                if self.merge_same_speaker and same and i not in marker_at:
                    built[-1][3][:] = [" ".join([*built[-1][3], *paragraphs])]  # cues of one speaker: one turn
                else:
                    built.append((who, seg.label, seg.line, paragraphs))
            elif seg.narration or i < first_labeled or i > last_labeled:
                prev = built[-1] if built else None
                if not seg.narration and prev and prev[0] is None and prev[1] is None and i not in marker_at:
                    prev[3].extend(paragraphs)
                else:
                    built.append((None, None, seg.line, paragraphs))
            elif built and built[-1][0] is not None and i not in marker_at:
                built[-1][3].extend(paragraphs)
            else:
                speaker = next((b[0] for b in reversed(built) if b[0] is not None), None)
                label = next((b[1] for b in reversed(built) if b[0] is not None), None)
                built.append((speaker, label, seg.line, paragraphs))
            seg_to_built[i] = len(built) - 1

        turns: list[Turn] = []
        if self._title is not None:
            turns.append(Turn(0, None, self._title[0], self._title[1], None, is_title=True))
        index_of: dict[int, int] = {}
        for b, (speaker_name, said_as, line, paragraphs) in enumerate(built):
            body = "\n\n".join(p for p in paragraphs if p.strip())
            if not body.strip():
                if said_as is not None:
                    self.skip(line, f"{said_as}:", "label with no text")
                continue
            index_of[b] = len(turns)
            turns.append(Turn(len(turns), speaker_name, body, line, said_as))
            if speaker_name is not None and said_as is not None:  # spellings of speakers who say something
                spellings.setdefault(speaker_name, [])
                if said_as not in spellings[speaker_name]:
                    spellings[speaker_name].append(said_as)

        markers: list[Marker] = []
        for title, marker_line, seg_index, heading in self._markers:
            target = next(
                (index_of[seg_to_built[s]] for s in range(seg_index, len(segments))
                 if s in seg_to_built and seg_to_built[s] in index_of),
                None,
            )  # fmt: skip
            if target is not None and not any(m.turn_index == target for m in markers):
                markers.append(Marker(title, target, marker_line, heading))
            elif target is not None:  # two headings in a row: the later one names it
                markers[-1] = Marker(title, target, marker_line, heading)
        if not any(not t.is_title for t in turns):
            last = max((s.line for s in self.skipped), default=1)
            raise ScriptError("has nothing to say: every line was skipped or empty", line=last)
        return Script(
            title=self._title[0] if self._title else None,
            turns=tuple(turns),
            markers=tuple(markers),
            skipped=tuple(sorted(self.skipped, key=lambda s: s.line)),
            labels={k: tuple(v) for k, v in spellings.items()},
            input_format=self.format,
        )
