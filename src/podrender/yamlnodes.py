"""YAML read from text, with line numbers as the user's editor shows them.

PyYAML 1.1 also breaks lines at NEL (U+0085) and the Unicode line and paragraph separators, which
editors show inside a line; an error or a value's line counted that way points at the wrong place.
`Loader` parses exactly as PyYAML's safe loader does and only counts lines at '\\n'.
"""

from __future__ import annotations

import yaml
from yaml.error import Mark


class Loader(yaml.SafeLoader):
    """yaml.SafeLoader over a str, whose marks count lines only at '\\n'."""

    def __init__(self, text: str) -> None:
        self._newlines = 0
        self._line_start = 0
        super().__init__(text)

    def forward(self, length: int = 1) -> None:
        start = self.pointer
        super().forward(length)
        found = self.buffer.count("\n", start, self.pointer)
        if found:
            self._newlines += found
            self._line_start = self.buffer.rindex("\n", start, self.pointer) + 1

    def get_mark(self) -> Mark:
        column = self.pointer - self._line_start
        return Mark(self.name, self.index, self._newlines, column, self.buffer, self.pointer)


def unreadable_yaml(exc: yaml.reader.ReaderError, text: str) -> tuple[str, int]:
    """A character YAML does not allow, for people: the problem and its line (PyYAML gives an offset)."""
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    return f"control character U+{code:04X} is not allowed", text.count("\n", 0, max(0, exc.position)) + 1
