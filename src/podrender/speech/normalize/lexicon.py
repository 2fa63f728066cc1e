"""The pronunciation table: whole words replaced by respellings.

The case rule: an entry written in lower case (`pytorch`) matches the word in any case (`PyTorch`,
`PYTORCH`); an entry with a capital letter (`NLP`) matches exactly that spelling. At each place in
the text the longest entry that matches wins; between entries of the same length an exact-case one
wins over a lower-case one, then the one later in the table (a speaker's entries come after the
global ones). The replacement is done in one pass, so a respelling is never itself respelled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


def _pattern(table: Sequence[tuple[str, str]]) -> tuple[re.Pattern[str], dict[str, str], dict[str, str]] | None:
    exact: dict[str, str] = {}
    anycase: dict[str, str] = {}
    for word, say in table:
        if not word:
            continue
        if word == word.lower():
            anycase[word] = say
        else:
            exact[word] = say
    if not exact and not anycase:
        return None
    alternatives = [(w, False) for w in exact] + [(w, True) for w in anycase]
    alternatives.sort(key=lambda item: (-len(item[0]), item[1]))
    body = "|".join(f"(?i:{re.escape(w)})" if fold else re.escape(w) for w, fold in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)"), exact, anycase


def apply_lexicon(
    text: str, lexicon: Sequence[tuple[str, str]], keep: Callable[[str], str] | None = None
) -> str:
    """Replace whole words with their respellings (case rule in the module docstring).

    `keep` wraps each respelling (normalization uses it so later rules leave respellings alone).
    """
    compiled = _pattern(lexicon)
    if compiled is None:
        return text
    pattern, exact, anycase = compiled

    def say(m: re.Match[str]) -> str:
        found = m.group(0)
        respelling = exact.get(found)
        if respelling is None:
            folded = found.casefold()
            respelling = next((v for k, v in anycase.items() if k.casefold() == folded), found)
        return keep(respelling) if keep else respelling

    return pattern.sub(say, text)
