r"""Interviews whose questions are whole bold paragraphs with no label, the answers plain paragraphs.

Magazines and blogs publish interviews as `**What got you into tide pools?**` (or `***...***`,
`__...__`, `<p><strong>...</strong></p>` on a web page) followed by the answer in plain paragraphs.
A document has this shape when it has no speaker labels and

- at least MIN_QUESTIONS paragraphs are entirely bold and are questions (they end in `?`) or short
  prompts ("Tell us about the day you found it."), each followed by a plain paragraph;
- those make up most of its bold paragraphs (a how-to that stresses a few sentences in bold is not an
  interview), bold headings that name a section ("Early years": short, no `?`, no full stop) aside,
  which keep their meaning;
- at least half of them end in `?`.

The questions are then `Q` turns and the first plain paragraph after each an `A` turn (the paragraphs
after it continue the answer); what stands before the first question stays the narrator's. Who `Q`
and `A` are follows voices.yaml's `host:` and `qa:`, else the names the title or introduction gives
(podrender.input.identity). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Questions needed before a document is read as an interview.
MIN_QUESTIONS = 3
#: A prompt is short: at most this many words.
MAX_PROMPT_WORDS = 20
#: Words that open a prompt an interviewer writes instead of a question.
_PROMPTS = "tell describe explain talk walk share give name finish complete say list take paint define sum pick"
PROMPT_VERBS = frozenset(_PROMPTS.split())
_OPEN = re.compile(r"^(?:\*\*\*|\*\*_|_\*\*|\*\*|__)")
_CLOSE = re.compile(r"(?:\*\*\*|_\*\*|\*\*_|\*\*|__)$")
#: A section's name written in bold: short, no colon, question mark or full stop (see markdown.BOLD_HEADING).
_SECTION = re.compile(r"^[^:?.!]{1,60}$")
#: A paragraph in italics from end to end: an editor's note ("*This interview was edited for length.*").
_ITALIC = re.compile(r"^(?:\*[^*]|_[^_]).*(?:[^*]\*|[^_]_)$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class BoldQuestions:
    """Where the questions and answers of a bold-question interview stand (1-based line numbers)."""

    questions: frozenset[int]
    """Every line of every question paragraph."""
    answers: frozenset[int]
    """The first line of the first plain paragraph after each question."""
    first: int = 0
    """The line of the first question: what stands before it is the narrator's."""
    closing: frozenset[int] = frozenset()
    """The first lines of the plain paragraphs after the last answer's first one, up to anything else (a rule,
    a heading, an editor's note in italics): the last answer goes on there, it is not a closing narration."""


def bold_text(paragraph: str) -> str | None:
    """The words of a paragraph that is bold from end to end (`**Why?**`, `***Why?***`), else None."""
    opened, closed = _OPEN.match(paragraph), _CLOSE.search(paragraph)
    if opened is None or closed is None or closed.start() <= opened.end():
        return None
    inner = paragraph[opened.end() : closed.start()]
    if "**" in inner or "__" in inner:  # two bold runs with plain words between them
        return None
    text = inner.strip("*_ ")
    return " ".join(text.split()) or None


def is_question(text: str) -> bool:
    return text.rstrip("\"')”’ ").endswith("?")


def is_prompt(text: str) -> bool:
    """A short request for an answer: "Tell us about the day you found it."."""
    first = _FIRST_WORD.match(text)
    return (
        first is not None
        and first.group(0).casefold() in PROMPT_VERBS
        and len(text.split()) <= MAX_PROMPT_WORDS
        and text.rstrip()[-1:] in (".", ":", "…")
    )


def _paragraphs(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    out: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in lines:
        if line:
            current.append((number, line))
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _plain(paragraph: list[tuple[int, str]]) -> bool:
    """A paragraph of someone's words: not bold, not a heading, rule, fence, table, image or HTML."""
    first = paragraph[0][1]
    text = " ".join(line for _, line in paragraph)
    return bold_text(text) is None and not re.match(r"^(?:#|```|~~~|[-*_]{3,}$|\||!\[|<|\{\{|\{%)", first)


def find(lines: list[tuple[int, str]]) -> BoldQuestions | None:
    """The bold questions of a document without speaker labels (the module's rule), or None."""
    paragraphs = _paragraphs(lines)
    asked: list[tuple[list[tuple[int, str]], list[tuple[int, str]], str]] = []  # question, answer, words
    others = 0
    for i, paragraph in enumerate(paragraphs):
        text = bold_text(" ".join(line for _, line in paragraph))
        if text is None or _SECTION.match(text):
            continue
        following = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
        if (is_question(text) or is_prompt(text)) and following is not None and _plain(following):
            asked.append((paragraph, following, text))
        else:
            others += 1
    if len(asked) < MIN_QUESTIONS or len(asked) < 2 * others:
        return None
    if sum(1 for _, _, text in asked if is_question(text)) * 2 < len(asked):
        return None
    last = paragraphs.index(asked[-1][1])
    closing = []
    for paragraph in paragraphs[last + 1 :]:
        text = " ".join(line for _, line in paragraph)
        if not _plain(paragraph) or _ITALIC.match(text):
            break
        closing.append(paragraph[0][0])
    return BoldQuestions(
        questions=frozenset(n for question, _, _ in asked for n, _ in question),
        answers=frozenset(answer[0][0] for _, answer, _ in asked),
        first=asked[0][0][0][0],
        closing=frozenset(closing),
    )


__all__ = ["BoldQuestions", "bold_text", "find", "is_prompt", "is_question"]
