"""Speaker labels shared by the formats: which `Word:` opens a turn, and which spellings are one speaker.

The label-versus-prose rule (every format but plain): `Something:` at the start of a line opens a
turn when the label

1. is a speaker or alias in voices.yaml (in any case), or `Q`/`A` (also without a colon: `Q    text`,
   `Q - text`); or
2. looks like a name: 1-4 words of at most 40 characters, each word capitalised (name particles
   such as `de`, `van` may be lower case), letters, dots, hyphens and apostrophes only, optionally
   after an honorific (`Mr.`, `Dr.`, `Prof.` ...) and before a short bracket (`Aaron van Wirdum (AvW)`,
   `Q (cont.)`) or a degree (`Ann Lee, PhD`) - and is not one of the common words that
   introduce prose (`Note`, `Update`, `Warning`, `Example`, `Edit`, `Tip`, `Source`, ...).

So `Note: bring gloves.` is prose unless voices.yaml names a speaker (or alias) `Note`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from podrender.input.script import match_label, split_label

#: One-word labels that introduce a remark rather than a speaker, unless voices.yaml lists them.
_PROSE = """note notes nb ps p.s update updated edit edited warning caution important tip tips hint example
    examples source sources summary disclaimer correction reminder caveat fyi tldr tl;dr transcript
    answer question step definition quote credit credits reference references see also bonus
    postscript addendum footnote spoiler aside context background location venue slides video paper code
    website media"""
PROSE_WORDS = frozenset(_PROSE.split())
_HONORIFICS = "mr mrs ms mx dr prof sir dame rev fr sr st capt col gen lt sgt det insp"
HONORIFICS = frozenset(_HONORIFICS.split())
_SPACES = re.compile(r"\s+")
_SMALL = "of the and for to at de van von der du la le da di"
_SMALL_WORDS = frozenset(_SMALL.split())
_VOWELS = re.compile(r"[AEIOUYÀ-ÖØ-Ýaeiouy]")


def speaker_key(label: str) -> str:
    """What makes two spellings one speaker: case, spacing and honorific dots do not count."""
    words = _SPACES.sub(" ", label.strip()).casefold().split(" ")
    return " ".join(w.rstrip(".") if w.rstrip(".") in HONORIFICS else w for w in words)


def display_name(label: str) -> str:
    """A readable name for an all-capitals label (`JOHN SMITH` -> `John Smith`, `CAPULET’S COUSIN` ->
    `Capulet’s Cousin`), else the label. A word with no vowel that is no honorific is an abbreviation and
    keeps its capitals (`CDR` -> `CDR`, `CAPCOM` -> `Capcom`, `MR. RM` -> `Mr. RM`); small words inside
    stay small (`MEMBERS OF BTS` -> `Members of BTS`)."""
    if label.upper() != label or not any(c.isalpha() for c in label):
        return label
    if len(label.replace(".", "")) <= 1:  # Q, A
        return label

    def word(m: re.Match[str]) -> str:
        text = m.group(0)
        if len(text) <= 5 and not _VOWELS.search(text) and text.casefold() not in HONORIFICS:
            return text
        if m.start() > 0 and text.casefold() in _SMALL_WORDS:
            return text.lower()  # MEMBERS OF BTS -> Members of BTS
        return text.capitalize()

    return re.sub(r"[^\W\d_]+(?:['’][^\W\d_]+)*", word, label)


def is_prose_word(label: str) -> bool:
    label = split_label(label)[0]  # `Note (edited):` is prose as `Note:` is
    return speaker_key(label) in PROSE_WORDS or label.casefold().rstrip(".") in PROSE_WORDS


#: Press briefings and talk transcripts write `Q` without a colon: `Q    Thank you.` (two spaces or more, often
#: no-break ones), `Q Hey, John` (one space, then a capital), `Q - How does it compare?` (a dash).
_BARE_QA = re.compile(r"^(?P<label>[QA])(?:\s*[-–—]\s+|\s{2,}|(?<=Q)\s(?=[A-Z“\"]))(?P<rest>\S.*)$")


def find_label(line: str, known: Mapping[str, str], qa: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(label, rest) when `line` opens a turn by the rule above, else None. `known` is keyed by speaker_key."""
    found = match_label(line, known_keys(known))
    if found is None and qa is not None and (bare := _BARE_QA.match(line)) and bare.group("label").casefold() in qa:
        return bare.group("label"), bare.group("rest").strip()
    if found is None:
        return None
    label, rest = found
    key = speaker_key(label)
    if key in known or (qa is not None and key.rstrip(".") in qa):
        return label, rest
    if is_prose_word(label):
        return None
    return label, rest


def known_keys(known: Mapping[str, str]) -> dict[str, str]:
    """`known` as match_label expects it (plain casefold keys), so voices.yaml names in any case match."""
    return {k.casefold(): v for k, v in known.items()}


def qa_map(qa: Mapping[str, str]) -> dict[str, str]:
    """Q/A labels keyed by speaker_key (`q`, `a`)."""
    return {speaker_key(k).rstrip("."): v for k, v in qa.items()}
