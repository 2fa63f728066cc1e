"""Sentence splitting and cutting spoken text into pieces an engine takes in one call."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SENTENCE_END = re.compile(r"(?<=[.!?])(?P<close>[\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|No|approx|cf)\.|\b[A-Z]\.)$")


def sentences(text: str) -> list[str]:
    """Split text into sentences, keeping abbreviations such as 'etc.' and 'Dr.' inside."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREV.search(text[start : m.start()]):
            continue
        out.append(text[start : m.end("close")].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def split_for_engine(text: str, max_chars: int) -> list[str]:
    """Cut text into pieces of at most max_chars at sentence boundaries (then commas, then spaces)."""
    if len(text) <= max_chars:
        return [text]
    parts = (part for para in text.split("\n\n") for s in sentences(para) for part in _hard_split(s, max_chars))
    return pack(parts, max_chars)


def pack(parts: Iterable[str], width: int) -> list[str]:
    """Join parts with spaces into as few pieces of at most `width` characters as go greedily; a part
    longer than `width` stands alone."""
    pieces: list[str] = []
    current = ""
    for part in parts:
        if current and len(current) + 1 + len(part) > width:
            pieces.append(current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _hard_split(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        cut = rest.rfind(", ", 0, max_chars)
        if cut < max_chars // 3:
            spaces = [m.start() for m in re.finditer(r"\s", rest[: max_chars + 1])]
            cut = spaces[-1] if spaces else -1
        end = cut + 1 if cut > 0 else max_chars  # keep the comma; with no break at all, cut hard
        out.append(rest[:end].strip())
        rest = rest[end:].strip()
    if rest:
        out.append(rest)
    return out
