"""Hearing names: the gender a reader would take a speaker for, from their names and the text.

Evidence, strongest first:
1. An honorific in a label: `MS. JEAN-PIERRE`, `Sir Toby`, `Lady Capulet`, `Mr Smith`.
2. A first name: of the speaker's name or an alias (`Alexander`), or found in the text before a
   surname label (`SMITH:` and "John Smith" in the title), or an honorific before it in the text
   ("Ms. Smith"). First names are looked up in the name statistics that the `nomquamgender` package
   ships (MIT; counts of people by name and gender over 36 sources): a name counts only when at
   least 95 % of its 100 or more bearers are of one gender (Sasha, Alex, Jordan, Kim stay unknown).
A guess is made only when every piece of evidence agrees; otherwise casting alternates as before.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Honorifics and forms of address that say a gender.
HONORIFICS = {
    "mr": "Male", "mister": "Male", "sir": "Male", "lord": "Male", "king": "Male", "prince": "Male",
    "duke": "Male", "count": "Male", "baron": "Male", "father": "Male", "brother": "Male", "uncle": "Male",
    "monsieur": "Male", "herr": "Male", "senor": "Male", "señor": "Male", "signor": "Male",
    "mrs": "Female", "ms": "Female", "miss": "Female", "madam": "Female", "madame": "Female", "lady": "Female",
    "dame": "Female", "queen": "Female", "princess": "Female", "duchess": "Female", "countess": "Female",
    "baroness": "Female", "mother": "Female", "sister": "Female", "aunt": "Female", "mme": "Female",
    "mlle": "Female", "frau": "Female", "senora": "Female", "señora": "Female", "signora": "Female",
}  # fmt: skip
#: Titles that say nothing of gender; skipped to reach the name after them.
TITLES = {
    "dr", "doctor", "prof", "professor", "rev", "reverend", "sen", "senator", "rep", "representative",
    "gov", "governor", "president", "secretary", "general", "gen", "admiral", "adm", "captain", "capt",
    "col", "colonel", "lt", "major", "maj", "sgt", "judge", "justice", "chairman", "chair", "minister", "the",
    "ambassador", "mayor", "commissioner", "director", "officer", "agent", "detective", "inspector", "coach",
}  # fmt: skip
#: A first name counts when this share of its bearers (or more) is of one gender...
CONFIDENT_SHARE = 0.95
#: ...and at least this many people bear it, in at least this many of the statistics' sources.
MIN_COUNT = 100
MIN_SOURCES = 5

_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass(frozen=True)
class GenderGuess:
    """The gender a speaker's names suggest, and why ('male: Alexander')."""

    gender: str
    """'Female' or 'Male' (the catalog's spelling)."""
    why: str


def guess_gender(names: Sequence[str], text: str = "", table: dict[str, float] | None = None) -> GenderGuess | None:
    """The gender `names` (a speaker's name, then its aliases and labels) make plain, or None.

    `text` is the script (its title and turns), searched for the full name or an honorific before a
    surname. `table` maps lower-case first names to the share of female bearers (first_names())."""
    table = first_names() if table is None else table
    for name in names:  # an honorific in a label decides
        words = _words(name)
        if words and words[0].casefold() in HONORIFICS:
            gender = HONORIFICS[words[0].casefold()]
            return GenderGuess(gender, f"{gender.lower()}: {_show(name)}")
    votes: list[tuple[str, str]] = []
    for name in names:
        titles = [w for w in _words(name) if w.casefold() in TITLES - {"the"}]
        words = [w for w in _words(name) if w.casefold() not in TITLES]
        if titles and text:  # PRESIDENT TRUMP, THE PRESIDENT: addressed as "Mr. President" in the text
            votes += _addressed(titles[0], text)
        if not words:
            continue
        first = _by_first_name(words[0], table)
        if first:
            votes.append((first, _show(name) if len(words) > 1 else _show(words[0])))
        if len(words) == 1 and text:
            votes += _from_text(words[0], text, table)
    genders = {g for g, _ in votes}
    if len(genders) != 1:
        return None
    gender = genders.pop()
    shown = list(dict.fromkeys(why for _, why in votes))
    return GenderGuess(gender, f"{gender.lower()}: {', '.join(shown[:2])}")


def _words(name: str) -> list[str]:
    return _WORD.findall(name)


def _show(name: str) -> str:
    """A label as a person writes it: `MS. JEAN-PIERRE` → `Ms. Jean-Pierre`."""
    return name.title() if name.isupper() else name


def _by_first_name(word: str, table: dict[str, float]) -> str | None:
    share = table.get(word.casefold())
    if share is None:
        return None
    if share >= CONFIDENT_SHARE:
        return "Female"
    if share <= 1 - CONFIDENT_SHARE:
        return "Male"
    return None


#: How a person holding a title is addressed: "Mr. President", "Madam Secretary".
_ADDRESS = {"mr": "Male", "mister": "Male", "madam": "Female", "madame": "Female"}


def _addressed(title: str, text: str) -> list[tuple[str, str]]:
    pattern = re.compile(rf"\b(Mr|Mister|Madam|Madame)\.?\s+{re.escape(title)}\b", re.IGNORECASE)
    found = {m.group(1).casefold(): m.group(0) for m in pattern.finditer(text[:200_000])}
    return [(_ADDRESS[k], f'addressed "{_show(v)}"') for k, v in found.items()]


def _from_text(surname: str, text: str, table: dict[str, float]) -> list[tuple[str, str]]:
    """Votes from the text: "Ms. Smith" (an honorific before the name), "John Smith" (a first name before it)
    or "Alexander (Sasha)" (a nickname in brackets after the first name)."""
    if len(surname) < 2:
        return []
    out: list[tuple[str, str]] = []
    # "John Smith", "Ms. Holt", "John Q. Smith", and a nickname in brackets: "Alexander (Sasha) Rush"
    pattern = re.compile(rf"\b([^\W\d_][\w'’]*)\.?\s+\(?(?:[A-Z]\.\s+)?{re.escape(surname)}\b", re.IGNORECASE)
    seen: set[str] = set()
    for m in pattern.finditer(text[:200_000]):
        before = m.group(1)
        key = before.casefold()
        if key in seen or not before[:1].isupper():
            continue
        seen.add(key)
        if key in HONORIFICS:
            out.append((HONORIFICS[key], f"{before}. {surname}" if len(before) <= 3 else f"{before} {surname}"))
        elif key not in TITLES and (gender := _by_first_name(before, table)):
            shown = surname.capitalize() if surname.isupper() else surname
            out.append((gender, f"{before} ({shown})" if "(" in m.group(0) else f"{before} {shown}"))
        if len(seen) >= 20:
            break
    return out


@functools.cache
def first_names() -> dict[str, float]:
    """Lower-case first name → share of its bearers who are women, for names with enough bearers.

    Read from nomquamgender's 22 MB table once (1.1 s here) and remembered as a 0.5 MB fact (15 ms)."""
    from importlib.metadata import PackageNotFoundError, version

    from podrender.cache import Facts

    try:
        source = f"nomquamgender-{version('nomquamgender')}"
    except PackageNotFoundError:
        return {}
    facts = Facts()
    fact = f"first-names-{source}-{MIN_COUNT}-{MIN_SOURCES}.json"
    stored = facts.get(fact)
    if isinstance(stored, dict):
        return stored
    table = dict(_read_table())
    facts.put(fact, table)
    return table


def _read_table() -> Iterable[tuple[str, float]]:
    import importlib.util
    import json
    from pathlib import Path

    # Found without importing the package: its module loads pandas and this same table at import.
    spec = importlib.util.find_spec("nomquamgender")
    if spec is None or not spec.submodule_search_locations:
        return
    with (Path(next(iter(spec.submodule_search_locations))) / "name_data.json").open(encoding="utf-8") as f:
        data = json.load(f)
    for name, row in data.items():
        sources, count, share = row[0], row[1], row[2]
        if sources >= MIN_SOURCES and count >= MIN_COUNT and name.isalpha():
            yield name, float(share)
