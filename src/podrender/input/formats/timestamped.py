"""Timestamped transcripts (Otter, Rev, YouTube and the like). Timestamps are never spoken.

    [00:01:23] Name: text          a timestamp before the label
    Name (00:12:03): text          a timestamp after the name
    Name  00:12                    the name and a time alone on a line; the speech follows below
    00:12                          a time alone on a line (left out)
    [-00:00:00:10]                 mission elapsed time (days:hours:minutes:seconds, negative before lift-off)
    _page : 5   _tape : Tape 1/1   metadata markers of a printed transcript (left out, listed by inspect)
    [glossary:LM]                  link markup: its visible text is spoken ("LM"; `[glossary:MAX Q|max. Q]` -> "max. Q")
"""

from __future__ import annotations

import re

from podrender.input.formats.builder import Builder
from podrender.input.formats.labeled import parse_labeled
from podrender.input.formats.labels import find_label
from podrender.input.script import ParseOptions, Script

TIME = r"-?\d{1,3}:\d{2}(?::\d{2}){0,2}(?:[.,]\d{1,3})?"
#: `[00:01:23]`, `(1:23)`, `00:01:23` or `00:01:23 -` at the start of a line.
LEADING = re.compile(rf"^(?:\[{TIME}\]|\({TIME}\)|{TIME}(?=\s|$))\s*(?:[-–—|]\s*)?")
#: `Name (00:12:03): text` or `Name [00:12:03]: text`.
AFTER_NAME = re.compile(rf"^(?P<name>[^\W\d_][^:()\[\]]{{0,40}}?)\s*(?:\({TIME}\)|\[{TIME}\])\s*:\s*(?P<rest>.*)$")
#: `Name  00:12` (or `Name 00:12:03`) alone on a line.
NAME_THEN_TIME = re.compile(rf"^(?P<name>[^\W\d_][^:()\[\]]{{0,40}}?)\s+(?:{TIME}|\({TIME}\)|\[{TIME}\])$")
#: A timestamp anywhere else in the text.
INLINE = re.compile(rf"\s*(?:\[{TIME}\]|\({TIME}\))\s*")
#: Used by detection: a line that carries a timestamp in one of the forms above.
STAMPED_LINE = re.compile(
    rf"^(?:\[{TIME}\]|\({TIME}\)|{TIME}\s)|^[^\W\d_][^:()\[\]]{{0,40}}?\s*(?:\({TIME}\)|\[{TIME}\])\s*:"
    rf"|^[^\W\d_][^:()\[\]]{{0,40}}?\s+{TIME}$"
)
#: `_page : 5`, `_tape : Tape 1/1`: a marker of where the printed transcript turns a page or a tape.
META_MARKER = re.compile(r"^_(?P<key>[a-z]{1,20})\s*:\s*(?P<value>.*)$", re.IGNORECASE)
#: `[glossary:LM]`, `[glossary:MAX Q|max. Q]`: markup whose visible text is the part after `|`, else the target.
LINK_MARKUP = re.compile(
    r"\[(?!chapter\s*:)(?P<kind>[a-z]{2,20}):(?P<target>[^\[\]|]{1,80})(?:\|(?P<shown>[^\[\]]{1,80}))?\]", re.IGNORECASE
)


def visible_text(line: str) -> str:
    """`line` with `[kind:target|shown]` markup replaced by what a reader of the page sees."""
    return LINK_MARKUP.sub(lambda m: (m.group("shown") or m.group("target")).strip(), line)


def _hook(b: Builder, number: int, line: str) -> str | None:
    meta = META_MARKER.match(line)
    if meta:
        b.skip(number, line, f"{meta.group('key').lower()} marker")
        return None
    line = visible_text(line)
    stripped = LEADING.sub("", line, count=1)
    if stripped != line and not stripped.strip():
        b.skip(number, line, "timestamp")
        return None
    line = stripped
    m = AFTER_NAME.match(line)
    if m and find_label(f"{m.group('name')}: x", b.known, b.qa):
        rest = INLINE.sub(" ", m.group("rest")).strip()
        return f"{m.group('name')}: {rest}" if rest else f"{m.group('name')}:"
    m = NAME_THEN_TIME.match(line)
    if m and find_label(f"{m.group('name')}:", b.known, b.qa):
        return f"{m.group('name')}:"
    return INLINE.sub(" ", line).strip()


def parse(text: str, options: ParseOptions) -> Script:
    return parse_labeled(text, options, "timestamped", _hook).build()
