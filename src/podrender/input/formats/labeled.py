"""Line-by-line parsing shared by the labeled-prose formats (radio and Q&A, timestamped, Markdown)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from podrender.input.boilerplate import page_chrome
from podrender.input.formats.builder import Builder
from podrender.input.formats.labels import find_label
from podrender.input.script import MAX_TITLE_CHARS, ParseOptions

#: `## Heading` or `[chapter: Title]` on a line of its own opens a chapter, as in the plain format.
MARKER = re.compile(r"^(?:#{2,6}\s+(?P<h>.+?)\s*#*|\[chapter:\s*(?P<b>[^\]]+?)\s*\])$", re.IGNORECASE)


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, stripped line) for every line, BOM and no-break spaces cleaned."""
    out = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.replace("\u00a0", " ").replace("\ufeff", "").strip()
        out.append((number, line))
    return out


def alone(lines: list[tuple[int, str]], i: int) -> bool:
    """True when line i stands on its own: blank (or nothing) before and after it."""
    before = i == 0 or not lines[i - 1][1]
    after = i + 1 >= len(lines) or not lines[i + 1][1]
    return before and after


def looks_like_title(line: str) -> bool:
    return 0 < len(line) <= MAX_TITLE_CHARS and line[-1] not in ".!?:;,…" and not line.startswith("[")


#: `Q    Good afternoon.`, `Q - What is FROST?`, `A - It is ...`: a Q or A label written without its colon,
#: taken as one when a document has two such lines or more (press briefings, meetup Q&A).
BARE_QA = re.compile(r"^(?P<label>[QA])(?:\s*[-–—]\s+|\s{2,}|\s(?=[A-Z“\"‘']))(?P<rest>\S.*)$")


def bare_qa_lines(lines: list[tuple[int, str]]) -> set[int]:
    """Numbers of the lines that open a Q/A turn without a colon (see BARE_QA), when there are two or more."""
    found = {number for number, line in lines if BARE_QA.match(line)}
    return found if len(found) >= 2 else set()


#: A line hook: returns the line (possibly rewritten) to read as text or a label, or None when it handled it.
Hook = Callable[[Builder, int, str], "str | None"]


def chrome_lines(lines: list[tuple[int, str]], options: ParseOptions, known: Mapping[str, str]) -> dict[int, str]:
    """Line number -> why it is web page chrome (podrender.input.boilerplate), for unlabeled lines that
    voices.yaml's `keep:` does not take back."""
    content = [(n, line) for n, line in lines if line]
    verdicts = page_chrome([line for _, line in content])
    return {
        n: why for (n, line), why in zip(content, verdicts, strict=True)
        if why is not None and find_label(line, known) is None and not any(p.search(line) for p in options.keep)
    }  # fmt: skip


def parse_labeled(
    text: str, options: ParseOptions, fmt: str, hook: Hook | None = None, *, title: bool = True, chrome: bool = False
) -> Builder:
    """Read labels, paragraphs and chapter markers; `hook` sees every non-blank line first. With `chrome`,
    web page chrome is left out (listed with its reason)."""
    b = Builder(options, fmt)
    lines = numbered_lines(text)
    left_out = chrome_lines(lines, options, b.known) if chrome else {}
    bare_qa = bare_qa_lines(lines)
    for i, (number, line) in enumerate(lines):
        if not line:
            b.blank()
            continue
        if b.skip_rule(number, line):
            continue
        if number in left_out:
            b.skip(number, line, left_out[number])
            continue
        if hook is not None:
            rewritten = hook(b, number, line)
            if rewritten is None:
                continue
            line = rewritten
            if not line:
                continue
        if number in bare_qa and (qa := BARE_QA.match(line)):
            line = f"{qa.group('label')}: {qa.group('rest')}"
        marker = MARKER.match(line)
        if marker:
            b.chapter(marker.group("h") or marker.group("b") or "", number, heading=marker.group("h") is not None)
            continue
        found = find_label(line, b.known, b.qa)
        if found:
            b.label(found[0], found[1], number)
        elif title and not b.has_content and not b.has_title and alone(lines, i) and looks_like_title(line):
            b.title(line, number)
        else:
            b.text(line, number)
    return b


def iter_blocks(lines: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    """Runs of non-blank lines."""
    block: list[tuple[int, str]] = []
    for number, line in lines:
        if line:
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block
