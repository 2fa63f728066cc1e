"""Word error rate for the intelligibility benchmark: one text normalization for both sides, a word
alignment (Levenshtein with a backtrace), and the error phrases it finds. Pure Python + num2words.

The normalization is the usual one for scoring a recognizer, applied identically to the reference
(what the script says) and the hypothesis (what the recognizer heard), so that only differences in
*words* count: lower case, punctuation removed, numbers as words, a few spellings made canonical.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from num2words import num2words

_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"', "…": " ", "\u00a0": " "})
_URL = re.compile(r"\(?\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)]\)?", re.IGNORECASE)
# Runs of single capitals ("N L P", "N.L.P.", "N-L-P") and dotted lower-case letters ("e.g.", "i.e.").
_CAPS_RUN = re.compile(r"\b[A-Z](?:(?:\.\s*|[\s-])[A-Z]\b)+\.?")
_DOTTED = re.compile(r"\b[a-z](?:\.[a-z])+\.?(?!\w)")
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
_THOUSANDS = re.compile(r"\b(\d{1,3})((?:,\d{3})+)\b")
_DECIMAL = re.compile(r"\b\d+\.\d+\b")
_NUMBER = re.compile(r"\d+")
_DOT_WORDS = re.compile(r"(?<=[A-Za-z])\.(?=[A-Za-z]{2})")
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
_CURRENCY_AMOUNT = re.compile(r"([$€£])\s?(\d+(?:\.\d+)?)")
#: Spellings that mean the same when heard; both sides are mapped to the right-hand form.
CANONICAL: dict[tuple[str, ...], tuple[str, ...]] = {
    ("et", "cetera"): ("etc",),
    ("etcetera",): ("etc",),
    ("okay",): ("ok",),
    ("versus",): ("vs",),
    ("mister",): ("mr",),
    ("doctor",): ("dr",),
    ("professor",): ("prof",),
    ("per", "cent"): ("percent",),
    ("for", "example"): ("eg",),
}


def _words_for_number(digits: str) -> str:
    """'2015' -> 'twenty fifteen' (4-digit numbers from 1100 to 2099 are read as years), '42' -> 'forty two'."""
    n = int(digits)
    words = num2words(n, to="year") if len(digits) == 4 and 1100 <= n <= 2099 else num2words(n)
    return _plain_number_words(words)


def _plain_number_words(words: str) -> str:
    words = words.replace("-", " ").replace(",", " ")
    return " ".join(w for w in words.split() if w != "and")


def _numbers(text: str) -> str:
    text = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)
    text = _CURRENCY_AMOUNT.sub(lambda m: f"{m.group(2)} {_CURRENCY[m.group(1)]}", text)
    text = _ORDINAL.sub(lambda m: " " + _plain_number_words(num2words(int(m.group(1)), to="ordinal")) + " ", text)
    text = _DECIMAL.sub(lambda m: " " + _plain_number_words(num2words(m.group(0))) + " ", text)
    return _NUMBER.sub(lambda m: " " + _words_for_number(m.group(0)) + " ", text)


def _canonical(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    longest = max(len(k) for k in CANONICAL)
    while i < len(words):
        for size in range(longest, 0, -1):
            key = tuple(words[i : i + size])
            if len(key) == size and key in CANONICAL:
                out.extend(CANONICAL[key])
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return out


def strip_urls(text: str) -> str:
    """Remove web addresses (with a scheme or www.), and the parentheses around one."""
    return _URL.sub(" ", text)


def normalize_words(text: str) -> list[str]:
    """Text -> the words to score: the same function for the reference and the recognizer's output.

    URLs are removed; letters spelled out ("N L P", "N.L.P.", "e.g.") are joined into one word;
    numbers become words (years as years, ordinals, decimals, thousands separators, currency);
    `&`, `%`, `@`, `+` become words; `word.word` becomes "word dot word"; hyphens, slashes and
    underscores separate words; apostrophes are dropped inside words (I'm -> im); everything else that
    is not a letter or digit is removed; lower case; a few spellings are made canonical (`CANONICAL`).
    """
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    s = strip_urls(s)
    s = _CAPS_RUN.sub(lambda m: " " + re.sub(r"[^A-Z]", "", m.group(0)) + " ", s)
    s = _DOTTED.sub(lambda m: " " + m.group(0).replace(".", "") + " ", s)
    s = _numbers(s)
    s = s.replace("&", " and ").replace("%", " percent ").replace("@", " at ").replace("+", " plus ")
    s = _DOT_WORDS.sub(" dot ", s)
    s = s.lower()
    s = re.sub(r"(?<=\w)'(?=\w)", "", s)
    s = re.sub(r"[^\w]+|_", " ", s)
    return _canonical(s.split())


@dataclass(frozen=True)
class Op:
    """One step of an alignment. kind: 'ok', 'sub', 'del' (a reference word not heard) or 'ins'
    (a word heard that the reference does not have). ref_index is the reference position (for 'ins',
    the position of the next reference word).

    A compound written as one word on one side and two on the other ("datasets" / "data sets",
    "pretraining" / "pre training") is one 'ok' step whose `ref` or `hyp` holds the two words
    separated by a space: the same word, heard."""

    kind: str
    ref: str | None
    hyp: str | None
    ref_index: int

    @property
    def ref_words(self) -> int:
        return len(self.ref.split()) if self.ref else 0

    @property
    def hyp_words(self) -> int:
        return len(self.hyp.split()) if self.hyp else 0


def align(ref: Sequence[str], hyp: Sequence[str]) -> list[Op]:
    """A minimum-edit alignment of two word lists: substitution, deletion, insertion cost 1; a match,
    or a compound split differently on the two sides, costs 0.

    On ties the backtrace prefers a match or substitution, then a compound, then a deletion, then an
    insertion."""
    n, m = len(ref), len(hyp)
    # joined[k]: words k-2 and k-1 written as one (index k as in dist), "" where there is no pair
    hyp_joined = ["", ""] + [hyp[k - 2] + hyp[k - 1] for k in range(2, m + 1)]
    ref_joined = ["", ""] + [ref[k - 2] + ref[k - 1] for k in range(2, n + 1)]
    # dist[i][j]: edits to turn ref[:i] into hyp[:j]
    dist = [list(range(m + 1))]
    for i in range(1, n + 1):
        row = [i] + [0] * m
        above = dist[i - 1]
        above2 = dist[i - 2] if i >= 2 else None
        word = ref[i - 1]
        pair = ref_joined[i]
        for j in range(1, m + 1):
            best = above[j - 1] + (word != hyp[j - 1])
            if above[j] + 1 < best:
                best = above[j] + 1
            if row[j - 1] + 1 < best:
                best = row[j - 1] + 1
            if j >= 2 and word == hyp_joined[j] and above[j - 2] < best:
                best = above[j - 2]
            if above2 is not None and pair == hyp[j - 1] and above2[j - 1] < best:
                best = above2[j - 1]
            row[j] = best
        dist.append(row)
    ops: list[Op] = []
    i, j = n, m
    while i > 0 or j > 0:
        here = dist[i][j]
        if i > 0 and j > 0 and here == dist[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            kind = "ok" if ref[i - 1] == hyp[j - 1] else "sub"
            ops.append(Op(kind, ref[i - 1], hyp[j - 1], i - 1))
            i, j = i - 1, j - 1
        elif i > 0 and j >= 2 and ref[i - 1] == hyp_joined[j] and here == dist[i - 1][j - 2]:
            ops.append(Op("ok", ref[i - 1], f"{hyp[j - 2]} {hyp[j - 1]}", i - 1))
            i, j = i - 1, j - 2
        elif i >= 2 and j > 0 and ref_joined[i] == hyp[j - 1] and here == dist[i - 2][j - 1]:
            ops.append(Op("ok", f"{ref[i - 2]} {ref[i - 1]}", hyp[j - 1], i - 2))
            i, j = i - 2, j - 1
        elif i > 0 and here == dist[i - 1][j] + 1:
            ops.append(Op("del", ref[i - 1], None, i - 1))
            i -= 1
        else:
            ops.append(Op("ins", None, hyp[j - 1], i))
            j -= 1
    ops.reverse()
    return ops


@dataclass(frozen=True)
class Score:
    ref_words: int
    hyp_words: int
    substitutions: int
    deletions: int
    insertions: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        """(S + D + I) / N; 0 for an empty reference heard as nothing."""
        if self.ref_words == 0:
            return 0.0 if self.hyp_words == 0 else float("inf")
        return self.errors / self.ref_words


def score(ops: Sequence[Op]) -> Score:
    kinds = Counter(op.kind for op in ops)
    return Score(
        ref_words=sum(op.ref_words for op in ops),
        hyp_words=sum(op.hyp_words for op in ops),
        substitutions=kinds["sub"],
        deletions=kinds["del"],
        insertions=kinds["ins"],
    )


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of `hypothesis` against `reference`, both normalized with `normalize_words`."""
    return score(align(normalize_words(reference), normalize_words(hypothesis))).wer


@dataclass(frozen=True)
class ErrorPhrase:
    """A run of adjacent errors: what should have been heard and what was heard instead."""

    ref: tuple[str, ...]
    hyp: tuple[str, ...]
    errors: int
    ref_index: int
    """Position of the run in the reference (of the next reference word for a pure insertion)."""


def error_phrases(ops: Sequence[Op]) -> list[ErrorPhrase]:
    """Group adjacent substitutions, deletions and insertions into phrases, in reference order."""
    out: list[ErrorPhrase] = []
    run: list[Op] = []
    for op in [*ops, Op("ok", None, None, -1)]:
        if op.kind != "ok":
            run.append(op)
            continue
        if run:
            out.append(
                ErrorPhrase(
                    ref=tuple(o.ref for o in run if o.ref is not None),
                    hyp=tuple(o.hyp for o in run if o.hyp is not None),
                    errors=len(run),
                    ref_index=run[0].ref_index,
                )
            )
            run = []
    return out


@dataclass(frozen=True)
class PhraseCount:
    ref: str
    hyp: str
    times: int
    errors: int
    """Errors these occurrences add to the total (edit operations)."""


def worst_phrases(phrases: Sequence[ErrorPhrase], limit: int = 25) -> list[PhraseCount]:
    """The same (reference -> heard) pair counted once with its occurrences, most errors first."""
    times: Counter[tuple[str, str]] = Counter()
    errors: Counter[tuple[str, str]] = Counter()
    for p in phrases:
        key = (" ".join(p.ref), " ".join(p.hyp))
        times[key] += 1
        errors[key] += p.errors
    ranked = sorted(times, key=lambda k: (-errors[k], -times[k], k))
    return [PhraseCount(ref, hyp, times[(ref, hyp)], errors[(ref, hyp)]) for ref, hyp in ranked[:limit]]


def missed_words(ops: Sequence[Op], limit: int = 25) -> list[tuple[str, int, int]]:
    """Reference words most often not heard as written: (word, times wrong, times in the reference)."""
    seen: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for op in ops:
        for word in (op.ref or "").split():
            seen[word] += 1
            if op.kind != "ok":
                wrong[word] += 1
    ranked = sorted(wrong, key=lambda w: (-wrong[w], -wrong[w] / seen[w], w))
    return [(w, wrong[w], seen[w]) for w in ranked[:limit]]


def long_deletions(phrases: Sequence[ErrorPhrase], min_words: int = 10) -> tuple[int, int]:
    """(runs, reference words) of error runs that lost at least `min_words` words with next to nothing
    heard in their place: stretches the recognizer skipped, rather than words it misheard."""
    runs = [p for p in phrases if len(p.ref) >= min_words and len(p.hyp) <= len(p.ref) // 5]
    return len(runs), sum(len(p.ref) for p in runs)
