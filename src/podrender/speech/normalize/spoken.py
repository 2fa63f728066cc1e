"""`spoken_text`: the whole normalization, in order. Shared by every engine.

1. characters: entities, NFC, plain quotes; zero-width, control and private-use characters removed
2. espeak phoneme input `[[...]]` is set aside, untouched by everything below
3. markup, URLs, e-mail addresses, handles, emoticons and emoji (markup.py)
4. the pronunciation lexicon (lexicon.py); its respellings are set aside too, so an entry overrides
   every rule below
5. abbreviations, code-like tokens (words.py), numbers (numerals.py), symbols, dashes, acronyms
6. spaces and stray punctuation tidied, paragraphs kept, empty ones dropped
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Protocol

from podrender.speech.normalize.aside import SetAside
from podrender.speech.normalize.lexicon import apply_lexicon
from podrender.speech.normalize.markup import clean_characters, strip_markup
from podrender.speech.normalize.numerals import say_numbers
from podrender.speech.normalize.words import say_abbreviations, say_acronyms, say_code, say_dashes, say_symbols

#: espeak-ng phoneme input: `[[h@l'oU]]`.
PHONEMES = re.compile(r"\[\[[^\[\]\n]*\]\]")
_SPACES = re.compile(r"[ \t]+")
_SPACE_PUNCT = re.compile(r"\s+([,.;:!?])")
_DOUBLE_COMMA = re.compile(r"([,;:])\s*[,;:]+")


class Memo(Protocol):
    def get(self, key: str) -> str | None: ...
    def put(self, key: str, value: str) -> None: ...


#: Spoken forms remembered between renders: podrender.speech.memo.SpokenMemo.active() sets it for the
#: duration of a render, in that render's context only (a thread of a server has its own).
MEMO: ContextVar[Memo | None] = ContextVar("podrender_spoken_memo", default=None)


def memo_key(text: str, lexicon: tuple[tuple[str, str], ...]) -> str:
    """The memo's key for `text` spoken with `lexicon`."""
    blob = json.dumps([text, lexicon], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def spoken_text(text: str, lexicon: Sequence[tuple[str, str]] = ()) -> str:
    """What the engine is asked to say for `text`; `lexicon` is (word, respelling) pairs, later ones winning."""
    table = tuple((word, say) for word, say in lexicon)
    memo = MEMO.get()
    if memo is None:
        return _spoken(text, table)
    key = memo_key(text, table)
    said = memo.get(key)
    if said is None:
        said = _spoken(text, table)
        memo.put(key, said)
    return said


@functools.lru_cache(maxsize=8192)
def _spoken(text: str, lexicon: tuple[tuple[str, str], ...]) -> str:
    # Memoized: a render asks for the same text more than once (the plan, then the transcript's cues).
    aside = SetAside()
    s = clean_characters(text)
    s = PHONEMES.sub(lambda m: aside.keep(m.group(0)), s)
    s = strip_markup(s)
    # Entries are matched against cleaned text, so they are cleaned the same way (’ → ').
    s = apply_lexicon(s, [(clean_characters(word), say) for word, say in lexicon], aside.keep)
    s = say_abbreviations(s)
    s = say_code(s)
    s = say_numbers(s)
    s = say_symbols(s)
    s = say_dashes(s)
    s = say_acronyms(s)
    paragraphs = []
    for para in re.split(r"\n\s*\n", s):
        line = _SPACES.sub(" ", para.replace("\n", " ")).strip()
        line = _SPACE_PUNCT.sub(r"\1", line)
        line = _DOUBLE_COMMA.sub(r"\1", line)
        line = line.strip(" ,;:")
        if re.search(r"\w", line) or aside.holds(line):
            paragraphs.append(aside.restore(line))
    return "\n\n".join(paragraphs)
