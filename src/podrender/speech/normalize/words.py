"""Words that are not read as written: abbreviations, code-like tokens, symbols, dashes and acronyms.

- abbreviations: `e.g.` → "for example", `i.e.` → "that is", `etc.` → "et cetera", `vs.`/`vs` →
  "versus", `Dr.` → "Doctor", `Prof.` → "Professor", `Mr.`, `Mrs.`, `Ms.`, `Jr.`, `Sr.`, `Mt.`,
  `approx.`, `cf.`, `et al.`; `St.` → "Street" after a capitalized word, else "Saint" before one; `No.` before a
  number → "number". A sentence that ended with the abbreviation keeps its full stop.
- dotted initials: `U.S.` → "U-S".
- code-like tokens: `model.fit()` → "model dot fit", `file.py` → "file dot py", `snake_case` →
  "snake case", `camelCase` → "camel case"; a "Py" prefix before a capitalized word is "Pie"
  (`PyTorch` → "Pie Torch", `PyCon` → "Pie Con"; espeak would say "pih-torch"); a hyphen between two
  capitalized words is a space (`Torch-Struct` → "Torch Struct", `Mini-Conf`: espeak ran them together).
- symbols: `&` → "and"; `|` → a comma pause; `C++` → "C plus plus"; `C#` → "C sharp"; `+` and `=`
  between spaces → "plus", "equals"; `~` before a number → "about"; `°C`, `°F`, `°` → "degrees ...".
- slashes: `and/or` → "and or"; two words → "or" (`ML/NLP papers` → "ML or NLP papers", `he/she` →
  "he or she"); two single letters are spelled (`I/O` → "I-O"); a longer chain (a path) → "slash".
- dashes: an em or en dash, or a hyphen with spaces around it, between words is a comma pause.
- acronyms: see `acronym`.
"""

from __future__ import annotations

import re

from podrender.speech.normalize.aside import SLOT

_ABBREVIATIONS = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus", "vs": "versus",
    "approx.": "approximately", "cf.": "compare", "et al.": "et al",
    "Dr.": "Doctor", "Prof.": "Professor", "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz",
    "Jr.": "Junior", "Sr.": "Senior", "Mt.": "Mount", "Ph.D.": "P-H-D", "St.": "Street",
}  # fmt: skip
#: These end a sentence when the next word starts with a capital (titles such as Dr. never do).
_CAN_END = {"etc.", "approx.", "et al.", "St."}
_ABBREV = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w])"
)
_SHOUTING = re.compile(r"(?<![\w'])[A-Z][A-Z']*(?: [A-Z][A-Z']*){2,}(?![\w'])")
_NUMBER_ABBREV = re.compile(r"(?<![\w.])No\.\s?(?=\d)")
_INITIALS = re.compile(r"(?<![\w.])(?<!\d )((?:[A-Z]\.){2,})(?!\w)")
_CALL = re.compile(r"\b(\w+)\(\s*\)")
_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)+)(?![\w])")
_SNAKE = re.compile(r"\b_*([A-Za-z0-9]+(?:_+[A-Za-z0-9]+)+)_*\b|\b__(\w+?)__\b")
_CAMEL = re.compile(r"\b[a-z]+(?:[A-Z][a-z]+)+\b")
_PY_PREFIX = re.compile(r"\bPy(?=[A-Z][a-z])")
_CAPITAL_HYPHEN = re.compile(r"\b([A-Z][a-z]+)-(?=[A-Z][a-z])")
_AND_OR = re.compile(r"\band/or\b", re.IGNORECASE)
_LETTERS_SLASH = re.compile(r"(?<![\w/])([A-Za-z])/([A-Za-z])(?![\w/])")
_WORDS_SLASH = re.compile(rf"(?<![\w/{SLOT}])([A-Za-z{SLOT}][\w'-]*)/([A-Za-z{SLOT}][\w'-]*)(?![\w/{SLOT}])")
_SLASH_CHAIN = re.compile(rf"(?<=[\w{SLOT}])/(?=[\w{SLOT}])")
_DEGREES = re.compile(r"\s?°\s?([CF])\b|\s?°")
_DASH = re.compile(r"\s*[—–]\s*|\s+-{1,2}\s+|(?<=\w)--(?=\w)")

_ACRONYM = re.compile(r"(?<![\w'])([A-Z]{2,})('s|s)?(?![\w'])")
_ROMAN = re.compile(r"[IVX]+")
_VOWELS = "AEIOUY"
#: Two consonants that begin English words; any other pair at the start makes an acronym spelled.
_ONSETS = frozenset(
    re.findall(r"\w\w", "BL BR CH CL CR DR DW FL FR GL GN GR KL KN KR PH PL PR SC SH SK SL SM SN SP ST SW TH TR TW WR")
)


def _abbreviation(m: re.Match[str]) -> str:
    written = m.group(0)
    said = _ABBREVIATIONS[written]
    # After a capitalized name inside a sentence St. is a street (on Main St.); otherwise, before a
    # capitalized word, a saint (St. Louis, Then St. John).
    before = re.search(r"(\S*)\s+[A-Z][\w'-]* $", m.string[max(0, m.start() - 80) : m.start()])
    after_name = before is not None and not before.group(1).endswith((".", "!", "?", ":"))
    if written == "St." and not after_name and re.match(r"\s+[A-Z]", m.string[m.end() :]):
        return "Saint"
    if written in _CAN_END and _ends_sentence(m):
        said += "."
    return said


def pronounceable(word: str) -> bool:
    """True when an all-capital word reads as a word (NASA, NATO, UNESCO) rather than letters (GPU).

    At least four letters, a vowel, no three consonants or three vowels in a row, and it starts the way
    English words do: a vowel followed by one consonant, or at most two consonants that begin English
    words (BR, ST, ...).
    """
    if len(word) < 4 or not any(ch in _VOWELS for ch in word):
        return False
    if re.search(f"[^{_VOWELS}]{{3}}|[{_VOWELS}]{{3}}", word):
        return False
    onset = re.match(f"[^{_VOWELS}]*", word)
    lead = onset.group(0) if onset else ""
    if len(lead) == 2 and lead not in _ONSETS:
        return False
    return not (not lead and re.match(f"[{_VOWELS}][^{_VOWELS}]{{2}}", word))


def acronym(word: str, suffix: str = "") -> str:
    """An all-capital word as it is read: spelled letter by letter joined by hyphens ("NLP" → "N-L-P",
    "GPUs" → "G-P-U's"; espeak reads a lone "A" as the article, so letters are joined) unless
    `pronounceable`, then as a word ("NASA" → "Nasa")."""
    if pronounceable(word):
        return word.capitalize() + ("'s" if suffix else "")
    return "-".join(word) + ("'s" if suffix else "")


def _acronyms(s: str) -> str:
    # Three or more capitalized words in a row, separated by single spaces only, are shouting.
    shouting = [(m.start(), m.end()) for m in _SHOUTING.finditer(s)]

    def say(m: re.Match[str]) -> str:
        word, suffix = m.group(1), m.group(2) or ""
        if _ROMAN.fullmatch(word) or any(a <= m.start() < b for a, b in shouting):
            return m.group(0)
        return acronym(word, suffix)

    return _ACRONYM.sub(say, s)


def say_abbreviations(s: str) -> str:
    """Abbreviations and dotted initials expanded (before numbers, so `No. 5` is "number five")."""
    s = _NUMBER_ABBREV.sub("number ", s)
    s = _ABBREV.sub(_abbreviation, s)
    return _INITIALS.sub(_initials, s)


def _initials(m: re.Match[str]) -> str:
    said = "-".join(m.group(1).rstrip(".").split("."))
    return said + "." if _ends_sentence(m) else said


def _ends_sentence(m: re.Match[str]) -> bool:
    """True when the text after `m` starts a new sentence (or there is none)."""
    rest = m.string[m.end() :]
    return not rest.strip() or re.match(r"\s+[\"']?[A-Z]", rest) is not None


def say_code(s: str) -> str:
    """Code-like tokens read as words."""
    s = _CALL.sub(r"\1", s)
    s = _DOTTED.sub(_dotted, s)
    s = _SNAKE.sub(lambda m: re.sub("_+", " ", m.group(1) or m.group(2)), s)
    s = _PY_PREFIX.sub("Pie ", s)
    s = _CAPITAL_HYPHEN.sub(r"\1 ", s)
    return _CAMEL.sub(lambda m: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", m.group(0)).lower(), s)


def _dotted(m: re.Match[str]) -> str:
    if all(len(part) == 1 for part in m.group(0).split(".")):
        return m.group(0)  # letters with full stops (a.m., p.m.) are not code
    if re.fullmatch(r"[A-Za-z]+\.[A-Z][a-z]+", m.group(0)):
        return m.group(0).replace(".", ". ")  # "end.Then": a full stop missing its space, not code
    return m.group(1) + m.group(2).replace(".", " dot ")


def say_symbols(s: str) -> str:
    """Symbols and slashes read as words."""
    s = re.sub(r"(?<![\w+])([CF])#(?!\w)", r"\1 sharp", s)
    s = re.sub(r"(?<![\w+])C\+\+(?![\w+])", "C plus plus", s)
    s = s.replace("&", " and ").replace("|", ", ")
    s = re.sub(r"(?<=[\w)]) \+ (?=[\w(])", " plus ", s)
    s = re.sub(r"(?<=[\w)]) = (?=[\w(])", " equals ", s)
    s = re.sub(r"(?<![\w~])~\s?(?=\w)", "about ", s)
    s = _DEGREES.sub(lambda m: " degrees" + {"C": " Celsius", "F": " Fahrenheit"}.get(m.group(1) or "", "") + " ", s)
    s = _AND_OR.sub("and or", s)
    s = _LETTERS_SLASH.sub(lambda m: f"{m.group(1).upper()}-{m.group(2).upper()}", s)
    s = _WORDS_SLASH.sub(r"\1 or \2", s)
    return _SLASH_CHAIN.sub(" slash ", s)


def say_dashes(s: str) -> str:
    """A dash between words is a comma pause (ranges between numbers were read as "to" before)."""
    return _DASH.sub(", ", s)


def say_acronyms(s: str) -> str:
    """All-capital words spelled or read by the rule in `acronym`."""
    return _acronyms(s)
