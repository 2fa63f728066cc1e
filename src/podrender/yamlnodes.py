"""YAML read from text, with line numbers as the user's editor shows them.

PyYAML 1.1 also breaks lines at NEL (U+0085) and the Unicode line and paragraph separators, which
editors show inside a line; an error or a value's line counted that way points at the wrong place.
`Loader` parses exactly as PyYAML's safe loader does and only counts lines at '\\n'.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

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


#: Nodes a YAML document may have (mappings, lists, scalars): a structured script of 50,000 turns has
#: about 250,000. Composing is about 40,000 nodes a second here, so past this a document is refused
#: while it is read rather than after minutes (a million-turn script took 148 s and 9.9 GB).
MAX_NODES = 400_000


class TooLarge(yaml.YAMLError):
    """The document has more nodes than MAX_NODES, or expands (through aliases) past a bound."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class BoundedLoader(Loader):
    """Loader that refuses a document of more than `max_nodes` nodes while composing it."""

    def __init__(self, text: str, max_nodes: int = MAX_NODES) -> None:
        super().__init__(text)
        self.max_nodes = max_nodes
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:  # type: ignore[override]
        self.nodes += 1
        if self.nodes > self.max_nodes:
            line = self.get_mark().line + 1
            raise TooLarge(f"has more than {self.max_nodes:,} YAML values; split it into several scripts", line)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def expanded_size(root: yaml.Node, limit: int) -> int:
    """Characters of scalar text in `root` once every alias is written out (each alias counts the whole
    node it names, however often); TooLarge as soon as that passes `limit`, or for a node that contains
    itself. Linear in the number of nodes: each node's size is worked out once."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = len(str(node.value)) + 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        if done:
            active.discard(key)
            total = sum(sizes[id(c)] for c in children) + 1
            if total > limit:
                message = f"expands through YAML aliases to more than {limit:,} characters"
                raise TooLarge(message, node.start_mark.line + 1)
            sizes[key] = total
            continue
        if key in active:
            raise TooLarge("refers to itself through a YAML alias", node.start_mark.line + 1)
        active.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in active:
                raise TooLarge("refers to itself through a YAML alias", child.start_mark.line + 1)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def compose(
    text: str, path: str, error: type[Exception], lead: str, *, max_nodes: int | None = None
) -> tuple[yaml.Node | None, Loader]:
    """The node tree of `text` (None when empty), or `error(message, path=..., line=...)` whose message
    starts with `lead` ("invalid YAML", "cannot read the script") and names the line of the mistake."""

    def fail(message: str, line: int | None = None) -> Exception:
        return error(message, path=path, line=line)  # type: ignore[call-arg]

    try:
        loader: Loader = BoundedLoader(text, max_nodes) if max_nodes else Loader(text)
    except yaml.reader.ReaderError as exc:
        what, where = unreadable_yaml(exc, text)
        raise fail(f"{lead}: {what}", where) from None
    except yaml.YAMLError as exc:
        raise fail(f"{lead}: {exc}") from None
    try:
        root = loader.get_single_node()
    except RecursionError:
        raise fail(f"{lead}: nested too deeply", 1) from None
    except TooLarge as exc:
        raise fail(exc.message, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = f", column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise fail(f"{lead}{col}: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise fail(f"{lead}: {exc}") from None
    finally:
        loader.dispose()
    return root, loader


def did_you_mean(word: str, choices: Iterable[str], listing: str = "known keys") -> str:
    """' (did you mean 'pitch'?)' for the nearest of `choices`, else ' (known keys: a, b, c)': the one
    hint every unknown name in voices.yaml, a lexicon or a script gets."""
    names = list(choices)
    hint = difflib.get_close_matches(word, names, n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else f" ({listing}: {', '.join(names)})"
