"""Setting text aside: a piece no later rule may touch (phoneme input, a lexicon respelling) is
replaced by one private-use character, which rules treat as a word, and put back at the end."""

from __future__ import annotations

import re

_FIRST = 0xF0000  # Supplementary Private Use Area-A; such characters never survive cleaning
#: A regular-expression character class (without brackets) of the stand-in characters.
SLOT = "\U000f0000-\U000ffffd"
_SLOTS = re.compile(f"[{SLOT}]")


class SetAside:
    """Replaces pieces of text by stand-in characters, and back."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def keep(self, piece: str) -> str:
        self.pieces.append(piece)
        return chr(_FIRST + len(self.pieces) - 1)

    def restore(self, text: str) -> str:
        return _SLOTS.sub(lambda m: self.pieces[ord(m.group(0)) - _FIRST], text)

    @staticmethod
    def holds(text: str) -> bool:
        """True when `text` has a stand-in."""
        return _SLOTS.search(text) is not None
