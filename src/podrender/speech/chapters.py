"""Choose chapters from a script: by host questions, per turn, by explicit markers, or none."""

from __future__ import annotations

import re
from dataclasses import dataclass

from podrender.input.script import Script
from podrender.speech.normalize import sentences
from podrender.speech.titles import MAX_TITLE, shorten, title_from_question

__all__ = ["MAX_TITLE", "ChapterPlan", "build_chapters", "question_title", "shorten"]

_URL = re.compile(r"\(?\b(?:https?://|www\.)\S+\)?", re.IGNORECASE)


@dataclass(frozen=True)
class ChapterPlan:
    title: str
    first_turn: int
    """Index into Script.turns where the chapter begins."""


def question_title(text: str) -> str | None:
    """A title from the first question in `text` (see speech/titles.py), or None when it asks nothing."""
    clean = _URL.sub("", text)
    for paragraph in clean.split("\n\n"):
        for sentence in sentences(paragraph):
            if not sentence.rstrip("\"')”’ ").endswith("?"):
                continue
            title = title_from_question(sentence)
            if title:
                return title
    return None


def build_chapters(script: Script, host: str | None, policy: str) -> tuple[ChapterPlan, ...]:
    """Chapters in time order. Markers (`## Title`, `[chapter: Title]`) count in every policy but none.
    Under `host`, a document divided by headings (`## Title`, a play's acts and scenes: two or more, or
    one before anyone speaks) is chaptered by them alone; host questions make the chapters of the others."""
    if policy == "none" or not script.turns:
        return ()
    by_turn: dict[int, str] = {}
    if policy == "host" and _sectioned(script):
        return _by_headings(script)
    if policy == "host":
        labeled = [t.index for t in script.turns if t.speaker is not None]
        last_labeled = labeled[-1] if labeled else -1
        for turn in script.turns:
            if turn.speaker is not None and turn.speaker == host:
                title = question_title(turn.text)
                if title:
                    by_turn[turn.index] = title
        closing = [t.index for t in script.turns if t.speaker is None and t.index > last_labeled >= 0]
        if closing:
            by_turn[closing[0]] = "Closing"
    elif policy == "turn":
        for turn in script.turns:
            who = turn.speaker or "Narrator"
            by_turn[turn.index] = "Title" if turn.is_title else shorten(f"{who}: {turn.text}")
    for marker in script.markers:
        by_turn[marker.turn_index] = shorten(marker.title)
    if policy in ("host",) and by_turn and 0 not in by_turn:
        by_turn[0] = "Introduction"
    elif policy == "host" and not by_turn:
        by_turn[0] = script.title and shorten(script.title) or "Episode"
    return tuple(ChapterPlan(title, index) for index, title in sorted(by_turn.items()))


def _sectioned(script: Script) -> bool:
    """True when the author divided the document with headings: two or more, or one before anyone speaks
    (a single `## Resources` near the end of an interview is a chapter among the host's questions)."""
    headings = [m for m in script.markers if m.heading]
    if len(headings) >= 2:
        return True
    first_speech = next((t.index for t in script.turns if t.speaker is not None), len(script.turns))
    return bool(headings) and headings[0].turn_index <= first_speech


def _by_headings(script: Script) -> tuple[ChapterPlan, ...]:
    """A document with headings of its own: they are the chapters (the author's sections), not the host's
    questions. What comes before the first heading is an "Introduction" when someone speaks in it; the title
    and a narrated preface belong to the first heading's chapter."""
    by_turn = {marker.turn_index: shorten(marker.title) for marker in script.markers}
    first = min(by_turn)
    if first > 0:
        if all(turn.speaker is None for turn in script.turns[:first]):
            by_turn[0] = by_turn.pop(first)
        else:
            by_turn[0] = "Introduction"
    return tuple(ChapterPlan(title, index) for index, title in sorted(by_turn.items()))
