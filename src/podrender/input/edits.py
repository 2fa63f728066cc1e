"""Turns edited after parsing: the web page's "edit a turn and hear it again", without rewriting the
transcript in its own format (the edit is by turn index, so it works for every input format)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from podrender.errors import ScriptError
from podrender.input.script import Script

#: The longest text one edit may give a turn.
MAX_EDIT_CHARS = 20_000


def edit_turns(script: Script, edits: Mapping[int, str], source: str = "script") -> Script:
    """`script` with the written text of the turns named in `edits` (turn index -> text) replaced.
    A turn that does not exist, or an edit that leaves nothing to say, is a ScriptError."""
    turns = list(script.turns)
    for index, text in sorted(edits.items()):
        if not 0 <= index < len(turns):
            raise ScriptError(f"edit of turn {index + 1}: there is no such turn (it has {len(turns)})", path=source)
        paragraphs = [re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n\s*\n", text.strip())]
        cleaned = "\n\n".join(p for p in paragraphs if p)  # as the parsers join paragraphs
        if not cleaned:
            raise ScriptError(f"edit of turn {index + 1}: the new text is empty", path=source)
        if len(cleaned) > MAX_EDIT_CHARS:
            raise ScriptError(f"edit of turn {index + 1}: longer than {MAX_EDIT_CHARS:,} characters", path=source)
        turns[index] = replace(turns[index], text=cleaned)
    return replace(script, turns=tuple(turns))
