"""Markdown: `# Title`, `##` headings open chapters, `**Name:** text` and `Name: text` turns.

Code blocks (fenced or indented), HTML comments, front matter and horizontal rules are not spoken.
Emphasis, links and images stay in the turn text as written (the show notes can use the links)
and are reduced to their words when the text is spoken (podrender.speech.normalize); headings used as
the title or chapter titles are reduced here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podrender.input.formats.builder import Builder
from podrender.input.formats.labeled import numbered_lines, parse_labeled
from podrender.input.script import ParseOptions, Script
from podrender.speech.normalize.markup import strip_markup

HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
RULE = re.compile(r"^(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
#: `**Name:** text`, `**Name**: text`, `__Name:__`, `*Name:*`.
EMPHASIZED_LABEL = re.compile(
    r"^(?P<m>\*\*|__|\*|_)(?P<label>[^*_:]{1,40}?)\s*(?P<c1>:)?(?P=m)\s*(?P<c2>:)?\s*(?P<rest>.*)$"
)
LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
COMMENT_OPEN = "<!--"
COMMENT_CLOSE = "-->"


@dataclass
class _State:
    fence: str = ""
    comment: bool = False
    in_code: bool = False


def is_label(line: str) -> bool:
    """True for `**Name:** text` and the like (emphasis around a label and its colon)."""
    m = EMPHASIZED_LABEL.match(line)
    return bool(m and (m.group("c1") or m.group("c2")))


def _words(text: str) -> str:
    return " ".join(strip_markup(text).split())


def parse(text: str, options: ParseOptions) -> Script:
    lines = numbered_lines(text)
    raw = text.split("\n")
    state = _State()
    # Front matter: `---` on the first line up to the next `---`; its `title:` is the title.
    front_end = 0
    if lines and lines[0][1] == "---":
        for number, line in lines[1:]:
            if line in ("---", "..."):
                front_end = number
                break

    def hook(b: Builder, number: int, line: str) -> str | None:
        if number <= front_end:
            m = re.match(r"^title:\s*(.+)$", line)
            if m:
                b.title(m.group(1).strip().strip("'\""), number)
            b.skip(number, line, "front matter")
            return None
        if state.fence:
            if line.startswith(state.fence):
                state.fence = ""
            b.skip(number, line, "code block")
            return None
        fence = FENCE.match(line)
        if fence:
            state.fence = fence.group("fence")
            b.skip(number, line, "code block")
            return None
        if state.comment:
            if COMMENT_CLOSE in line:
                state.comment = False
                after = line.split(COMMENT_CLOSE, 1)[1].strip()
                if after:
                    return hook(b, number, after)
            b.skip(number, line, "HTML comment")
            return None
        while COMMENT_OPEN in line:
            before, after = line.split(COMMENT_OPEN, 1)
            if COMMENT_CLOSE in after:
                line = (before + " " + after.split(COMMENT_CLOSE, 1)[1]).strip()
                continue
            state.comment = True
            b.skip(number, COMMENT_OPEN + after, "HTML comment")
            line = before.strip()
            break
        if not line:
            return None
        # An indented code block: four spaces in, after a blank line, outside a list.
        original = raw[number - 1].replace("\t", "    ")
        prev_blank = number == 1 or not raw[number - 2].strip()
        if original.startswith("    ") and (prev_blank or state.in_code) and not LIST_ITEM.match(line):
            state.in_code = True
            b.skip(number, line, "code block")
            return None
        state.in_code = False
        heading = HEADING.match(line)
        if heading:
            words = _words(heading.group("text"))
            if heading.group("level") == "#" and not b.has_title and not b.has_content:
                b.title(words, number)
            else:
                b.chapter(words, number, heading=True)
            return None
        if RULE.match(line):
            b.blank()
            return None
        while line.startswith(">"):
            line = line[1:].strip()
        line = LIST_ITEM.sub("", line, count=1)
        m = EMPHASIZED_LABEL.match(line)
        if m and is_label(line):
            rest = m.group("rest")
            return f"{m.group('label').strip()}: {rest}" if rest else f"{m.group('label').strip()}:"
        return line

    return parse_labeled(text, options, "markdown", hook, title=False).build()
