"""Written text to plain words: characters, markup, links, addresses, handles, emoticons and emoji.

A URL in parentheses is dropped as a citation and any other URL is read as its site name ("sayak dot
dev"); e-mail addresses and @handles are read out ("at srush nlp"); inline code is read as words
("model dot fit"); emoticons such as `:)` and emoji are dropped; smart quotes become plain ones;
zero-width and control characters are removed.
"""

from __future__ import annotations

import html
import re
import unicodedata

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


def _site(url: str) -> str:
    host = re.sub(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?", "", url, flags=re.IGNORECASE).split("/", 1)[0]
    host = host.rsplit("@", 1)[-1]
    host = host.split(":", 1)[0]
    return " dot ".join(part for part in host.lower().split(".") if part)


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


def clean_characters(text: str) -> str:
    """Entities decoded, NFC, plain quotes; zero-width, control and private-use characters removed."""
    s = unicodedata.normalize("NFC", html.unescape(text)).translate(_ZERO_WIDTH).translate(_QUOTES)
    # Decide per distinct character, not per character: a turn has thousands of characters, few distinct.
    drop = {ord(ch): None for ch in set(s) if ch != "\n" and unicodedata.category(ch)[0] == "C"}
    return s.translate(drop) if drop else s


def strip_markup(s: str) -> str:
    """Markup reduced to its words; links, addresses and handles read out; emoticons and emoji dropped."""
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
    emoji = {ord(ch): " " for ch in set(s) if _is_emoji(ch)}
    return s.translate(emoji) if emoji else s
