"""Inline pauses: `[pause 2s]`, `[pause 500ms]`, `[pause 1.5 seconds]` become silence, never words.

Every input format leaves these tags in the turn text; the plan cuts a turn at each one and gives
the piece before it that much silence (podrender.speech.plan). A structured script's `{pause: 2}` item is
written into the text as the same tag.
"""

from __future__ import annotations

import re

from podrender.errors import ScriptError

#: The longest pause one tag may ask for.
MAX_PAUSE_MS = 60_000

PAUSE = re.compile(
    r"\[pause\s+(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?)?\s*\]", re.IGNORECASE
)
_LOOKS_LIKE = re.compile(r"\[pause\b[^\]]*\]", re.IGNORECASE)


def pause_ms(match: re.Match[str]) -> int:
    """The length of one matched tag in milliseconds (a bare number is seconds)."""
    value = float(match.group("n"))
    unit = (match.group("unit") or "s").lower()
    return int(round(value if unit.startswith("m") else value * 1000))


def tag(ms: int) -> str:
    """The tag for a pause of `ms` milliseconds."""
    return f"[pause {ms}ms]" if ms % 1000 else f"[pause {ms // 1000}s]"


def split_pauses(text: str, line: int | None = None) -> list[tuple[str, int | None]]:
    """`text` cut at its pause tags: (text before, pause after it in ms); the last piece has None.

    Raises ScriptError for a tag that cannot be read (`[pause long]`) or asks for over a minute.
    """
    bad = next((m for m in _LOOKS_LIKE.finditer(text) if not PAUSE.fullmatch(m.group(0))), None)
    if bad is not None:
        raise ScriptError(
            f"cannot read the pause '{bad.group(0)}'; write it like [pause 2s] or [pause 500ms]", line=line
        )
    out: list[tuple[str, int | None]] = []
    start = 0
    for m in PAUSE.finditer(text):
        ms = pause_ms(m)
        if ms > MAX_PAUSE_MS:
            raise ScriptError(f"the pause '{m.group(0)}' is longer than {MAX_PAUSE_MS // 1000} s", line=line)
        out.append((text[start : m.start()], ms))
        start = m.end()
    out.append((text[start:], None))
    return out


def strip_pauses(text: str) -> str:
    """`text` without its pause tags (for titles and word counts)."""
    return " ".join(_LOOKS_LIKE.sub(" ", text).split()) if "[" in text else text
