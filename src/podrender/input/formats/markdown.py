r"""Markdown: `# Title`, `##` headings open chapters, `**Name:** text` and `Name: text` turns.

Code blocks (fenced or indented), HTML comments, front matter (its `title:` is the title) and
horizontal rules are not spoken; nor are Hugo and Jekyll shortcodes (`{{< figure ... >}}`,
`{% include ... %}`), lines that are nothing but links or images (`Paper: <https://...>`), the
location and time lines that open a press briefing, a transcriber's notes in parentheses
(`(Laughter.)`, `(inaudible)`), escaped timestamps (`\[00:04:11\]`) and web page chrome
(podrender.input.boilerplate). Each is listed by `inspect` with its reason.

A bold label alone on its line (`**Getting Started:**`) in a document whose speakers' labels
carry their words on the same line, and a bold label used once inside one speaker's long talk, are
section names, not speakers: they open a chapter and the speaker goes on. So does a bold line alone
as a paragraph (`**Early years**`). Any other bold label is a speaker, whatever its wording.
An interview whose questions are whole bold paragraphs with no label, the answers plain paragraphs
(podrender.input.formats.boldqa), is read as `Q` and `A` turns.
Emphasis, links and images stay in the turn text as written (the show notes can use the links)
and are reduced to their words when the text is spoken (podrender.speech.normalize); headings used as
the title or chapter titles are reduced here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import yaml

from podrender.input.formats import boldqa
from podrender.input.formats.builder import Builder
from podrender.input.formats.labeled import chrome_lines, numbered_lines, parse_labeled
from podrender.input.formats.labels import find_label, speaker_key
from podrender.input.formats.timestamped import TIME
from podrender.input.script import ParseOptions, Script
from podrender.speech.normalize.markup import strip_markup

HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
RULE = re.compile(r"^(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
#: `**Name:** text`, `**Name**: text`, `__Name:__`, `*Name:*`.
EMPHASIZED_LABEL = re.compile(
    r"^(?P<m>\*\*|__|\*|_)(?P<label>[^*_:]{1,40}?)\s*(?P<c1>:)?(?P=m)\s*(?P<c2>:)?\s*(?P<rest>.*)$"
)
#: `**Early years**` alone as a paragraph: a heading written in bold (no colon: not a label; no `?`: not a
#: question someone asks; no full stop: not an emphasised sentence).
BOLD_HEADING = re.compile(r"^(?:\*\*|__)(?P<text>[^*_:?.!]{1,60})(?:\*\*|__)$")
LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
COMMENT_OPEN = "<!--"
COMMENT_CLOSE = "-->"
#: Hugo (`{{< figure src=... >}}`, `{{% note %}}`) and Jekyll/Liquid (`{% include x.html %}`) shortcodes.
SHORTCODE = re.compile(r"\{\{[<%].{0,2000}?[%>]\}\}|\{%.{0,2000}?%\}")
SHORTCODE_OPEN = re.compile(r"\{\{[<%]|\{%")
#: What a link-only line is made of: links, images, autolinks, bare URLs.
_LINK_PARTS = re.compile(
    r"!?\[(?:[^\[\]]|!?\[[^\[\]]*\]\([^()\s]*\))*\]\([^()\s]*(?:\s+\"[^\"]*\")?\)|<(?:https?://|mailto:)[^<>\s]+>"
    r"|\b(?:https?://|www\.)\S+",
    re.IGNORECASE,
)
_LEAD_LABEL = re.compile(r"^[^\W\d_][^:.!?]{0,60}:\s*")
_JOINERS = re.compile(r"^(?:[\s|,;·•–—-]|and\b|&)*$", re.IGNORECASE)
#: `5:16 P.M. EDT`, `END 1:45 P.M. EST`, `11:04 A.M.`: when a briefing began or ended.
TIME_LINE = re.compile(r"^(?:END\s+)?\d{1,2}:\d{2}\s*[AP]\.?\s?M\.?(?:\s+[A-Z]{2,4})?$", re.IGNORECASE)
#: A transcriber's note: a short sentence in parentheses (`(Laughter.)`, `(Ms. Jean-Pierre goes up to the
#: podium.)`) or a known word (`(inaudible)`, `(crosstalk)`).
_NOTE_WORDS = (
    r"inaudible|unintelligible|indiscernible|crosstalk|laughter|laughs|laughing|applause|cheers|joke|sighs|coughs|"
    r"music|silence|audio cuts out"
)
NOTE = re.compile(rf"\((?:(?=[^()]*[a-z])[A-Z][^()]{{0,80}}?[.!]|(?:{_NOTE_WORDS}|pause)\.?)\)")
#: The same known words in square brackets, escaped or not (`\[laughter\]`, `[Crosstalk]`), not a link's text;
#: `[pause]` is not one of them: it is podrender's own pause tag (formats/pause.py).
BRACKET_NOTE = re.compile(rf"\\?\[(?:{_NOTE_WORDS})\.?\\?\](?!\()", re.IGNORECASE)
MAX_NOTE_WORDS = 10
#: `\[00:04:11.12\]`: a timestamp with Markdown's escaped brackets (or plain ones) inside the text.
ESCAPED_TIME = re.compile(rf"\s*\\?\[{TIME}\\*\]\s*")
#: A backslash escape: `\[`, `\_`, `\#` stand for the character itself.
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
#: `Location: Zcon 3`, `Slides: ...` before the talk begins: a detail about the event, not a speaker's words.
_EVENT_KEYS = "location venue place date time slides video audio paper code website media"
EVENT_KEYS = frozenset(_EVENT_KEYS.split())
METADATA = re.compile(r"^(?P<key>[^\W\d_][\w ]{0,30}?)\s*:\s*(?P<value>[^.!?]{1,60})$")


@dataclass
class _State:
    fence: str = ""
    comment: bool = False
    in_code: bool = False
    shortcode: bool = False
    sections: set[int] = field(default_factory=set)
    chrome: dict[int, str] = field(default_factory=dict)
    time_lines: set[int] = field(default_factory=set)


def link_only(line: str) -> bool:
    """True for a line that is nothing but links or images, after an optional `Label:` (`Paper: <https://...>`)."""
    parts = _LINK_PARTS.findall(line)
    if not parts:
        return False
    rest = _LINK_PARTS.sub(" ", line).strip()
    rest = _LEAD_LABEL.sub("", rest) if _LEAD_LABEL.match(line) else rest
    return bool(_JOINERS.match(rest))


def _front_matter(lines: list[tuple[int, str]], raw_lines: list[str]) -> tuple[int, str | None]:
    """(last line of the YAML front matter or 0, its title)."""
    if not lines or lines[0][1] != "---":
        return 0, None
    end = next((number for number, line in lines[1:] if line in ("---", "...")), 0)
    if not end:
        return 0, None
    # Only the `title:` entry is read (the whole front matter can be long: summaries, lists of tags).
    block = raw_lines[1 : end - 1]
    start = next((i for i, line in enumerate(block) if line.startswith("title:")), None)
    if start is None:
        return end, None
    stop = next((i for i in range(start + 1, len(block)) if block[i][:1] not in (" ", "\t")), len(block))
    raw = "\n".join(block[start:stop])
    try:
        data = yaml.load(raw, Loader=yaml.BaseLoader) if len(raw) <= 65_536 else None  # strings only: no dates
    except (yaml.YAMLError, RecursionError):
        data = None
    title = data.get("title") if isinstance(data, dict) else None
    return end, " ".join(title.split()) if isinstance(title, str) and title.strip() else None


def _labels(lines: list[tuple[int, str]]) -> list[tuple[int, str, bool, bool]]:
    """(line, speaker key, words follow on the line, it follows a monologue) for every `**Label:**` and
    plain `Label:` line. A monologue: two paragraphs or more since the label before, the last not a question."""
    found = []
    last = ""
    paragraphs = 0
    for i, (number, line) in enumerate(lines):
        m = EMPHASIZED_LABEL.match(line)
        plain = None if m and is_label(line) else find_label(line, {})
        if (m and is_label(line)) or plain is not None:
            label, rest = (m.group("label"), m.group("rest")) if plain is None else plain  # type: ignore[union-attr]
            found.append((number, speaker_key(label), bool(rest.strip()), paragraphs >= 2 and not last.endswith("?")))
            paragraphs = 1 if rest.strip() else 0
        elif line and (i == 0 or not lines[i - 1][1]):
            paragraphs += 1
        if line:
            last = line.rstrip("*_\"')”’ ")
    return found


def section_labels(lines: list[tuple[int, str]], known: set[str]) -> set[int]:
    """Lines of bold labels that name a section rather than a speaker (see the module's docstring)."""
    if not any(EMPHASIZED_LABEL.match(line) for _, line in lines):
        return set()  # sections are written in bold
    found = _labels(lines)
    inline = [f for f in found if f[2]]
    speaking = {key for _, key, words, _ in found if words}
    sections: set[int] = set()
    counts: dict[str, int] = {}
    for _, key, _, _ in found:
        counts[key] = counts.get(key, 0) + 1
    for i, (number, key, words, monologue) in enumerate(found):
        if key in known or key in ("q", "a"):
            continue
        if not words and len(inline) * 2 > len(found) and key not in speaking:
            sections.add(number)
            continue
        before = next((k for _, k, _, _ in reversed(found[:i]) if k != key), None)
        after = next((k for _, k, _, _ in found[i + 1 :] if k != key), None)
        if counts[key] == 1 and monologue and before is not None and before == after:
            sections.add(number)  # used once, inside one speaker's long talk
    return sections


def _notes(b: Builder, number: int, line: str) -> str:
    """`line` without a transcriber's notes in parentheses and escaped timestamps (recorded as skipped)."""

    def note(m: re.Match[str]) -> str:
        if len(m.group(0).split()) > MAX_NOTE_WORDS:
            return m.group(0)
        b.skip(number, m.group(0), "a transcriber's note")
        return " "

    line = NOTE.sub(note, line)
    line = BRACKET_NOTE.sub(note, line)
    if ESCAPED_TIME.search(line):
        for m in ESCAPED_TIME.finditer(line):
            b.skip(number, m.group(0), "timestamp")
        line = ESCAPED_TIME.sub(" ", line)
    return " ".join(line.split())


def is_label(line: str) -> bool:
    """True for `**Name:** text` and the like (emphasis around a label and its colon)."""
    m = EMPHASIZED_LABEL.match(line)
    return bool(m and (m.group("c1") or m.group("c2")))


def _words(text: str) -> str:
    return " ".join(strip_markup(text).split())


def parse(text: str, options: ParseOptions) -> Script:
    lines = numbered_lines(text)
    raw = text.split("\n")
    state = _State()
    # Front matter: `---` on the first line up to the next `---`; its `title:` is the title.
    front_end, front_title = _front_matter(lines, raw)
    body = [(n, line) for n, line in lines if n > front_end]
    state.sections = section_labels(body, {speaker_key(k) for k in options.aliases})
    # An interview whose questions are bold paragraphs with no label (boldqa): only where no one is labeled.
    # (A label used once is a credit line such as `Photos: Ana Lima`, not a speaker who talks.)
    used: dict[str, int] = {}
    for _, key, _, _ in _labels(body):
        used[key] = used.get(key, 0) + 1
    asked = boldqa.find(body) if max(used.values(), default=0) < 2 else None
    content = [(n, line) for n, line in body if line]
    known = {speaker_key(k): v for k, v in options.aliases.items()}
    state.chrome = {n: why for n, why in chrome_lines(body, options, known).items() if not is_label(raw[n - 1].strip())}
    # A briefing's opening: `5:16 P.M. EDT` and the place named on the line before it.
    for i, (n, line) in enumerate(content[:6]):
        if TIME_LINE.match(line):
            state.time_lines.add(n)
            if i > 0 and len(content[i - 1][1]) <= 60 and content[i - 1][1][-1] not in ".!?:":
                state.time_lines.add(content[i - 1][0])
    state.time_lines.update(n for n, line in content[-3:] if TIME_LINE.match(line))

    def hook(b: Builder, number: int, line: str) -> str | None:
        if number <= front_end:
            if front_title and not b.has_title:
                b.title(front_title, number)
            b.skip(number, line, "front matter")
            return None
        if state.shortcode:
            if re.search(r"[%>]\}\}|%\}", line):
                state.shortcode = False
            b.skip(number, line, "shortcode")
            return None
        if state.fence:
            if line.startswith(state.fence):
                state.fence = ""
            b.skip(number, line, "code block")
            return None
        fence = FENCE.match(line)
        if fence:
            state.fence = fence.group("fence")
            b.skip(number, line, "code block")
            return None
        if state.comment:
            if COMMENT_CLOSE in line:
                state.comment = False
                after = line.split(COMMENT_CLOSE, 1)[1].strip()
                if after:
                    return hook(b, number, after)
            b.skip(number, line, "HTML comment")
            return None
        while COMMENT_OPEN in line:
            before, after = line.split(COMMENT_OPEN, 1)
            if COMMENT_CLOSE in after:
                line = (before + " " + after.split(COMMENT_CLOSE, 1)[1]).strip()
                continue
            state.comment = True
            b.skip(number, COMMENT_OPEN + after, "HTML comment")
            line = before.strip()
            break
        if not line:
            return None
        if SHORTCODE.search(line):
            for m in SHORTCODE.finditer(line):
                b.skip(number, m.group(0), "shortcode")
            line = SHORTCODE.sub(" ", line).strip()
            if not line:
                return None
        elif opened := SHORTCODE_OPEN.search(line):
            state.shortcode = True
            before = line[: opened.start()].strip()
            b.skip(number, line[len(before) :], "shortcode")
            return hook(b, number, before) if before else None
        # An indented code block: four spaces in, after a blank line, outside a list.
        original = raw[number - 1].replace("\t", "    ")
        prev_blank = number == 1 or not raw[number - 2].strip()
        if original.startswith("    ") and (prev_blank or state.in_code) and not LIST_ITEM.match(line):
            state.in_code = True
            b.skip(number, line, "code block")
            return None
        state.in_code = False
        if number in state.time_lines:
            b.skip(number, line, "place and time of the briefing")
            return None
        if link_only(LIST_ITEM.sub("", line, count=1)):
            b.skip(number, line, "a line of links or images")
            return None
        if number in state.chrome:
            b.skip(number, line, state.chrome[number])
            return None
        meta = METADATA.match(line)
        if meta and not b.has_content and not b.has_chapters and meta.group("key").casefold() in EVENT_KEYS:
            b.skip(number, line, "a detail about the event (before the talk begins)")
            return None
        if asked is not None and number < asked.first and (is_label(line) or find_label(line, known)):
            b.text(line, number)  # a credit line before the questions (`Photos: Ana Lima`): the narrator's
            return None
        if asked is not None and number in asked.questions:
            words = line.strip("*_ ")
            if number - 1 in asked.questions:
                return words  # the question goes on over another line
            b.label("Q", words, number)
            return None
        heading = HEADING.match(line)
        if heading:
            words = _words(heading.group("text"))
            if heading.group("level") == "#" and not b.has_title and not b.has_content:
                b.title(words, number)
            else:
                b.chapter(words, number, heading=True)
            return None
        if RULE.match(line):
            b.blank()
            return None
        bold = BOLD_HEADING.match(line)
        alone = (number == 1 or not raw[number - 2].strip()) and (number >= len(raw) or not raw[number].strip())
        if bold and alone and b.has_content:
            b.chapter(_words(bold.group("text")), number, heading=True)  # a heading written in bold
            return None
        while line.startswith(">"):
            line = line[1:].strip()
        line = LIST_ITEM.sub("", line, count=1)
        line = ESCAPE.sub(r"\1", _notes(b, number, line))
        if not line:
            return None
        bold = EMPHASIZED_LABEL.match(line)
        if bold and is_label(line):
            label, rest = bold.group("label").strip(), bold.group("rest").strip()
            if number in state.sections:
                b.chapter(_words(label), number, heading=True)
                return rest or None
            b.label(label, rest, number)  # a bold label is the author's mark of a speaker
            return None
        if asked is not None and number in asked.answers:
            b.label("A", line, number)
            return None
        if asked is not None and number in asked.closing:
            b.resume(line, number)
            return None
        return line

    script = parse_labeled(text, options, "markdown", hook, title=False).build()
    return replace(script, shape="bold questions") if asked is not None else script
