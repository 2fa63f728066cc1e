"""Turn written text into what the engine should say. Shared by every engine.

What is done (also in the README): markup (HTML tags, Markdown emphasis, links, images, inline code)
is reduced to its words; a URL in parentheses is dropped as a citation and any other URL is read
as its site name ("sayak dot dev"); e-mail addresses and @handles are read out ("at srush nlp");
emoticons such as `:)` and emoji are dropped; `|` separators become a comma pause; smart quotes
become plain ones; an em or en dash between words becomes a comma pause and between numbers "to";
`&` becomes "and"; zero-width and control characters are removed; then the pronunciation table
replaces whole words, case-sensitively.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "…": "...",
        "\u00a0": " ",
    }
)
_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPH = re.compile(r"(?<!\w)(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_CODE = re.compile(r"`([^`]+)`")
_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>()\"']*[^\s<>()\"'.,;:!?]", re.IGNORECASE)
_PAREN_URL = re.compile(r"\s*\(\s*(?:[a-z][a-z0-9+.-]*://|www\.)[^\s()]*\s*\)", re.IGNORECASE)
_EMAIL = re.compile(r"\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b")
_HANDLE = re.compile(r"(?<![\w@])@(\w{1,30})")
_EMOTICON = re.compile(r"(?<!\w)(?:[:;=][-o^']?[)(\]\[dDpP/\\|*3]|<3|\^_\^|[)(][-']?[:;])(?!\w)")
_DASH_NUM = re.compile(r"(\d)\s*[–—]\s*(\d)")
_DASH = re.compile(r"\s*[—–]\s*|\s+-{1,2}\s+")
_SPACES = re.compile(r"[ \t]+")
_SPACE_PUNCT = re.compile(r"\s+([,.;:!?])")
_DOUBLE_COMMA = re.compile(r"([,;:])\s*[,;:]+")


def _site(url: str) -> str:
    host = re.sub(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?", "", url, flags=re.IGNORECASE).split("/", 1)[0]
    host = host.rsplit("@", 1)[-1]
    host = host.split(":", 1)[0]
    return " dot ".join(part for part in host.split(".") if part)


def _code(token: str) -> str:
    words = re.sub(r"\(\s*\)", "", token)
    words = words.replace(".", " dot ").replace("_", " ")
    return re.sub(r"[^\w\s'-]", " ", words)


def _is_emoji(ch: str) -> bool:
    """Pictographs and their joiners; symbols that are read as words (°, ©, ™) are kept."""
    cp = ord(ch)
    return (
        ch in "\u200d\ufe0f\ufe0e\u20e3"
        or 0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or 0xE0020 <= cp <= 0xE007F
    )


def apply_lexicon(text: str, lexicon: Sequence[tuple[str, str]]) -> str:
    """Replace whole words (case-sensitive) with their respellings, in one pass, longest first,
    so a respelling is never itself respelled."""
    table = {word: say for word, say in lexicon if word}
    if not table:
        return text
    words = "|".join(re.escape(w) for w in sorted(table, key=len, reverse=True))
    return re.sub(rf"(?<!\w)(?:{words})(?!\w)", lambda m: table[m.group(0)], text)


def spoken_text(text: str, lexicon: Sequence[tuple[str, str]] = ()) -> str:
    """What the engine is asked to say for `text`."""
    s = unicodedata.normalize("NFC", html.unescape(text)).translate(_ZERO_WIDTH).translate(_QUOTES)
    s = "".join(ch for ch in s if ch == "\n" or unicodedata.category(ch)[0] != "C")
    s = _HTML.sub(" ", s)
    s = _IMAGE.sub(r"\1", s)
    s = _LINK.sub(r"\1", s)
    s = _CODE.sub(lambda m: _code(m.group(1)), s)
    s = _PAREN_URL.sub("", s)
    s = _URL.sub(lambda m: _site(m.group(0)), s).replace("://", " ")
    s = _EMAIL.sub(lambda m: f"{m.group(1).replace('.', ' dot ')} at {_site(m.group(2))}", s)
    s = _HANDLE.sub(lambda m: "at " + m.group(1).replace("_", " "), s)
    s = _EMPH.sub(r"\2", s)
    s = _EMOTICON.sub(" ", s)
    s = "".join(" " if _is_emoji(ch) else ch for ch in s)
    s = _DASH_NUM.sub(r"\1 to \2", s)
    s = _DASH.sub(", ", s)
    s = s.replace("&", " and ").replace("|", ", ")
    s = apply_lexicon(s, lexicon)
    paragraphs = []
    for para in re.split(r"\n\s*\n", s):
        line = _SPACES.sub(" ", para.replace("\n", " ")).strip()
        line = _SPACE_PUNCT.sub(r"\1", line)
        line = _DOUBLE_COMMA.sub(r"\1", line)
        line = line.strip(" ,;:")
        if re.search(r"\w", line):
            paragraphs.append(line)
    return "\n\n".join(paragraphs)


_SENTENCE_END = re.compile(r"(?<=[.!?])(?P<close>[\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|No|approx|cf)\.|\b[A-Z]\.)$")


def sentences(text: str) -> list[str]:
    """Split text into sentences, keeping abbreviations such as 'etc.' and 'Dr.' inside."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREV.search(text[start : m.start()]):
            continue
        out.append(text[start : m.end("close")].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def split_for_engine(text: str, max_chars: int) -> list[str]:
    """Cut text into pieces of at most max_chars at sentence boundaries (then commas, then spaces)."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in (s for para in text.split("\n\n") for s in sentences(para)):
        for part in _hard_split(sentence, max_chars):
            if current and len(current) + 1 + len(part) > max_chars:
                pieces.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _hard_split(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        cut = rest.rfind(", ", 0, max_chars)
        if cut < max_chars // 3:
            spaces = [m.start() for m in re.finditer(r"\s", rest[: max_chars + 1])]
            cut = spaces[-1] if spaces else -1
        end = cut + 1 if cut > 0 else max_chars  # keep the comma; with no break at all, cut hard
        out.append(rest[:end].strip())
        rest = rest[end:].strip()
    if rest:
        out.append(rest)
    return out
