"""Page chrome: the buttons, counters, menus and bylines a web page brings along when an article is pasted.

`chrome_reason(line)` judges one whole line on its own; `page_chrome(lines)` judges a document's
non-blank lines in order, where some kinds (a bare number, `Written by ...`, a date, a lone menu word)
count only next to other chrome, since alone they may be part of the story. The rules look at the
shape of a line, not at one site's strings: links making up a line, short lines that are nothing but
UI words, counts, reading times, app-store buttons in any wording. A sentence that merely mentions an
app, a link or a number is not chrome. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: Lines longer than this are never chrome (chrome is short; this also bounds the work per line).
MAX_CHROME_CHARS = 400

_STORE = (
    r"(?:(?:apple\s+|ios\s+|mac\s+)?app\s*store|google\s+play(?:\s+store)?|play\s+store|microsoft\s+store"
    r"|amazon\s+appstore|f-droid|chrome\s+web\s+store|galaxy\s+store)"
)
_STORE_NAME = re.compile(_STORE, re.IGNORECASE)
_STORE_BUTTON = re.compile(
    r"^(?:(?:download|get\s+it|get|install|available|now\s+available|also\s+available|find\s+us|coming\s+soon)"
    r"\s+)?(?:(?:on|from|in|at|to)\s+)?(?:the\s+)?" + _STORE + r"$",
    re.IGNORECASE,
)
_GET_APP = re.compile(
    r"^(?:get|download|install|try|open|use)\s+(?:the\s+|our\s+)?(?:[\w&'’.+-]+\s+){0,3}app"
    r"(?:\s+(?:now|today|for\s+free|for\s+ios|for\s+android|for\s+iphone))?$",
    re.IGNORECASE,
)
_DESCRIBED_BUTTON = re.compile(
    r"^(?:an?\s+|the\s+)?(?:button|link|badge|image|icon|banner)\s+"
    r"(?:that\s+says|which\s+says|saying|reading|labell?ed|with\s+the\s+text|that\s+reads)\b",
    re.IGNORECASE,
)
_READING_TIME = re.compile(r"^\d{1,3}\s*min(?:ute)?s?\.?\s+(?:read|listen|watch)$", re.IGNORECASE)
_SUFFIXED_COUNT = re.compile(r"^\d{1,4}(?:[.,]\d{1,3})?\s?[KkMm]$")
_NOUN_COUNT = re.compile(
    r"^\d[\d,.]{0,12}\s?[KkMm]?\s+(?:claps?|likes?|followers?|following|responses?|comments?|replies|views|"
    r"reads|shares|subscribers|members|stars|forks|upvotes|reactions|reposts|retweets)$",
    re.IGNORECASE,
)
_BARE_COUNT = re.compile(r"^\d{1,6}$")
_HEADING = re.compile(
    r"^(?:recommended\s+from\s+[\w .-]{1,40}|more\s+from\s+medium|see\s+all\s+from\s+[^.!?]{1,60}|"
    r"see\s+(?:all|more)\s+(?:responses|comments|recommendations|stories)|"
    r"(?:responses?|comments?|replies|claps?)\s*\(\s*\d[\d,.]*\s?[KkMm]?\s*\)|"
    r"related\s+(?:posts|articles|stories|reading)|you\s+(?:might|may)\s+also\s+like|read\s+next|"
    r"(?:popular|trending|latest)\s+(?:posts|stories|articles)|lists?|staff\s+picks)$",
    re.IGNORECASE,
)
_WEAK_HEADING = re.compile(
    r"^(?:(?:written|edited)\s+by|published\s+in|more\s+from|editor\s+of|writer\s+for)\s+[^.!?;:,]{1,60}$",
    re.IGNORECASE,
)
_IMAGE_CREDIT = re.compile(
    r"^(?:(?:cover|header|featured)\s+)?(?:photo|image|picture|illustration|graphic|gif|video)\s+"
    r"(?:by|from|credits?|source|courtesy(?:\s+of)?)\b[^.!?]{0,80}\.?$",
    re.IGNORECASE,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?"
_DATE = re.compile(
    rf"^(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?)$",
    re.IGNORECASE,
)
_SEPARATOR_ONLY = re.compile(r"^[·•|]{1,5}$")
#: A URL, an e-mail address or an @handle.
_LINK = (
    r"(?:(?:[a-z][a-z0-9+.-]{0,15}://|www\.)[^\s<>\"']{1,300}"
    r"|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,5}|(?<![\w@])@\w{1,30})"
)
#: A link, with the `Name:` before it (`GitHub: https://...`, `Personal site: ...`).
_LINK_PAIR = re.compile(
    r"(?:(?<![^\s|·•(])[^\W\d_][\w'’&.-]{0,30}(?:\s+[\w'’&.-]{1,30}){0,3}\s*:\s*)?" + _LINK, re.IGNORECASE
)
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…]['\"’”)]?$")

#: Buttons and page labels that are chrome even alone on a line.
_BUTTONS = frozenset({
    "follow", "following", "unfollow", "follow publication", "share", "listen", "sign in", "sign up", "sign out",
    "log in", "log out", "login", "logout", "register", "subscribe", "unsubscribe", "open in app", "get started",
    "clap", "save", "saved", "bookmark", "reply", "respond", "write a response", "write a comment", "see more",
    "show more", "read more", "load more", "continue reading", "show less", "back to top", "skip to content",
    "skip to main content", "accept all cookies", "reject all", "cookie settings", "upgrade",
    "try for free", "view profile", "edit profile",
    "copy link", "print", "subscribe now", "sign up for free", "get unlimited access",
})  # fmt: skip
#: Menu and footer words: chrome in a list of three or more, or next to other chrome.
_MENU = frozenset({
    "home", "about", "help", "status", "careers", "press", "blog", "privacy", "terms", "teams", "text to speech",
    "more", "search", "write", "menu", "contact", "contact us", "jobs", "notifications", "stories", "lists",
    "library", "profile", "settings", "sitemap", "rules", "faq", "cookies", "legal", "imprint", "newsletter",
    "archive", "about us", "terms of service", "privacy policy", "accessibility", "next", "previous", "top",
    "latest", "discover", "partners", "advertise", "shop", "store", "events", "podcasts", "feed",
})  # fmt: skip
#: Labels a page puts on a story.
_LABELS = frozenset({
    "member-only story", "members-only story", "top highlight", "advertisement", "sponsored", "sponsored content",
    "pinned", "paid partnership", "editor's pick", "staff pick",
})  # fmt: skip
_LONGEST_PHRASE = max(len(p.split()) for p in _BUTTONS | _MENU | _LABELS)


@dataclass(frozen=True)
class Verdict:
    """Why a line is chrome; `weak` when it counts only next to other chrome."""

    reason: str
    weak: bool = False


def _squash(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").split())


def _ui_words(line: str) -> Verdict | None:
    """A line that is nothing but buttons and menu words."""
    words = re.sub(r"[|·•,/]", " ", line.casefold()).split()
    if not words or len(words) > 24:
        return None
    found: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            if phrase in _BUTTONS or phrase in _MENU or phrase in _LABELS:
                found.append(phrase)
                i += size
                break
        else:
            return None
    if len(found) >= 3:
        return Verdict("page chrome: a menu")
    if all(p in _LABELS for p in found):
        return Verdict("page chrome: a page label")
    if all(p in _BUTTONS or p in _LABELS for p in found):
        return Verdict("page chrome: a button")
    return Verdict("page chrome: a menu", weak=True)


def _links(line: str) -> Verdict | None:
    """Links (URLs, addresses, handles, `Name: URL` pairs) make up the line, with a few words around them."""
    pairs = list(_LINK_PAIR.finditer(line))
    if not pairs or not any(re.search(_LINK, m.group(0), re.IGNORECASE) for m in pairs):
        return None
    link_chars = sum(len("".join(m.group(0).split())) for m in pairs)
    total = len("".join(line.split()))
    rest = _LINK_PAIR.sub(" ", line)
    words = len(_WORD.findall(rest))
    if link_chars * 2 >= total and words <= max(2, 2 * len(pairs) - 1):
        return Verdict("page chrome: a line of links")
    return None


def _single(line: str) -> Verdict | None:
    """A line judged on its own, without splitting it at `|` or `·`."""
    ui = _ui_words(line)
    if ui is not None:
        return ui
    plain = re.sub(r"[\"'‘’“”,]", "", line).strip().rstrip("!")
    if _STORE_BUTTON.match(plain) or _GET_APP.match(plain.rstrip(".")):
        return Verdict("page chrome: app-store button")
    if _DESCRIBED_BUTTON.match(line):
        if _STORE_NAME.search(line):
            return Verdict("page chrome: app-store button")
        return Verdict("page chrome: a button description")
    if _READING_TIME.match(line):
        return Verdict("page chrome: reading time")
    if _SUFFIXED_COUNT.match(line) or _NOUN_COUNT.match(line):
        return Verdict("page chrome: a count")
    if _BARE_COUNT.match(line):
        return Verdict("page chrome: a count", weak=True)
    if _HEADING.match(line):
        return Verdict("page chrome: a section heading")
    if _IMAGE_CREDIT.match(line) and len(line.split()) <= 12:
        return Verdict("page chrome: an image credit")
    if _SEPARATOR_ONLY.match(line):
        return Verdict("page chrome: a separator")
    if _WEAK_HEADING.match(line) and len(line.split()) <= 9:
        return Verdict("page chrome: author box", weak=True)
    if _DATE.match(line):
        return Verdict("page chrome: a date", weak=True)
    return _links(line)


def _fragments(line: str) -> Verdict | None:
    """`Name | Tagline | Site: URL`, `5 min read · Jun 4, 2020`: short pieces between bars or dots,
    at least one of them chrome and none of them a sentence."""
    parts = [p.strip() for p in re.split(r"\s*[|·•]\s*", line)]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return None
    verdicts = [_single(p) for p in parts]
    strong = [v for v in verdicts if v is not None and not v.weak]
    if not strong:
        return None
    for part, verdict in zip(parts, verdicts, strict=True):
        if verdict is None and (len(_WORD.findall(part)) > 6 or _SENTENCE_END.search(part)):
            return None
    links = [v for v in strong if v.reason == "page chrome: a line of links"]
    if links:
        return Verdict("page chrome: a byline with links")
    return strong[0]


def classify(line: str) -> Verdict | None:
    """The verdict on one whole line (or paragraph), weak or strong; None when it is not chrome."""
    line = _squash(line)
    if not line or len(line) > MAX_CHROME_CHARS:
        return None
    return _single(line) or _fragments(line)


def chrome_reason(line: str) -> str | None:
    """Why `line`, standing alone, is page chrome ('page chrome: reading time'), or None when it is not
    (or when it is chrome only next to other chrome, such as a bare number)."""
    verdict = classify(line)
    return verdict.reason if verdict is not None and not verdict.weak else None


def page_chrome(lines: Sequence[str]) -> list[str | None]:
    """For each of a document's non-blank lines in order: why it is chrome, or None. A weak verdict (a
    bare number, `Written by ...`, a date, a lone menu word) stands when a neighbour is chrome too."""
    verdicts = [classify(line) for line in lines]
    chrome = [v is not None and not v.weak for v in verdicts]
    # A run of weak lines next to chrome on either side stands: one sweep each way.
    for order in (range(1, len(verdicts)), range(len(verdicts) - 2, -1, -1)):
        step = 1 if order.step == 1 else -1
        for i in order:
            if verdicts[i] is not None and chrome[i - step]:
                chrome[i] = True
    return [v.reason if v is not None and chrome[i] else None for i, v in enumerate(verdicts)]
