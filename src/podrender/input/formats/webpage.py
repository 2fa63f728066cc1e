"""Saved web pages: the article found by trafilatura, read as a Markdown transcript.

trafilatura (a maintained article extractor) finds the article and leaves out the page around it:
navigation, sign-in and follow buttons, claps, comments, "More from ..." and "Recommended" lists,
footers, cookie banners. Its XML keeps what matters here: headings with their level, paragraphs,
line breaks, lists and bold or italic runs. That is written out as Markdown in podrender's own
dialect (no escapes), so the Markdown parser makes the Script: the first `<h1>` (else the page's
`og:title`/`<title>`) is the title, `<h1>`-`<h3>` open chapters, a bold label at the start of a line
(`<strong>Sasha:</strong>`, `<b>Q:</b>`, `<strong>Name</strong>:`) opens a turn, and so does each row
of a table laid out as a transcript (a name, then the speech).

What the extractor lets through is judged once more, line by line, by the page chrome rules
(podrender.input.boilerplate): buttons, counts, reading times, app-store badges, and whole sections
under a heading such as "Recommended from Medium", "Share this:" or "Leave a reply". Those lines, a
paragraph that repeats the title and headings below `<h3>` are listed as not spoken, at the line of
the page's source where they start (every line number of the Script is one of the page's lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from podrender.errors import ScriptError
from podrender.input.boilerplate import classify, page_chrome
from podrender.input.formats import markdown
from podrender.input.script import MAX_LABEL_CHARS, MAX_LABEL_WORDS, ParseOptions, Script, Skipped

#: Pages larger than this are refused before parsing (a saved article with its inline scripts and styles
#: is 0.2-3 MB).
MAX_PAGE_BYTES = 8 * 1024 * 1024
#: The extractor's time grows with a page's elements (40,000 nested chrome divs: 10 s here) and faster than
#: linearly with its paragraphs (8,000 labeled paragraphs: 1.7 s; 32,000: 37 s; 4,900 among 80,000
#: elements: 10 s on the busy machine). Pages with more of either are refused in one line: 5,000
#: paragraphs is some 50,000 words, five hours of speech.
MAX_PAGE_ELEMENTS = 100_000
MAX_PAGE_BLOCKS = 5_000
_ELEMENT = re.compile(r"<[a-zA-Z]")
_BLOCK = re.compile(r"<(?:p|li|h[1-6]|br|tr|dt|dd|blockquote|pre)[\s/>]", re.IGNORECASE)

#: The metadata is read for the title; the date is not used, and its thorough search (dateparser) would
#: cost 0.17 s of every page's first extraction (bench/webpage.py).
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d",
                "max_date": "2999-12-31"}  # fmt: skip
#: Headings of the sections a page adds after (or around) the article: their whole section is left out.
_CHROME_SECTION = re.compile(
    r"^(?:share\s+(?:this|on)\b.*|related(?:\s+(?:posts|articles|stories|reading|content|links))?|"
    r"leave\s+an?\s+(?:reply|comment)|"
    r"\d[\d,]*\s+(?:thoughts|comments|responses|replies)\s+on\b.*|(?:responses|comments|replies)"
    r"(?:\s*\(\s*\d[\d,.]*\s*[km]?\s*\))?|discussion\s+about\s+this\s+(?:post|article)|"
    r"(?:more|recommended)\s+from\b.*|written\s+by\b.*|about\s+the\s+author|"
    r"(?:subscribe|sign\s+up)\s+(?:to|for)\b.*|(?:join\s+)?(?:our|the)\s+newsletter|"
    r"you\s+(?:might|may)\s+also\s+(?:like|enjoy)|read\s+next|tags?|categories|share)$",
    re.IGNORECASE,
)
#: `Name:` at the start of a bold run that holds the whole line: `**Sayak: What motivated you?**`.
_LABEL_IN_BOLD = re.compile(r"^(?P<label>[^\W\d_][\w.'’\- ]{0,39}?)\s*:\s+(?P<rest>\S.*)$")
_HEADING_LEVEL = re.compile(r"^h([1-6])$")
#: A line the Markdown parser would take for markup rather than text.
#: How a whole bold line that is a sentence (not a heading) ends: `<p><strong>Why tide pools?</strong></p>`.
_SENTENCE_END = frozenset(".?!…")
_MARKUP_START = re.compile(r"^(?:#{1,6}\s|>|`{3,}|~{3,}|<!--|(?:[-*_]\s*){3,}$)")


@dataclass(frozen=True)
class _Line:
    """One line of the Markdown written from the article, and where it came from."""

    text: str
    source: int
    """The page's line where it starts (1-based)."""
    kind: str = "text"
    """'title', 'heading', 'minor' (h4-h6), 'label' (starts with a bold label), 'text', 'blank'."""
    level: int = 0
    """A heading's level (1-6)."""


def looks_like_html(text: str) -> str | None:
    """Why `text` is an HTML page or fragment, or None. A page starts with `<!DOCTYPE html>` or `<html>`;
    a fragment starts with a block tag and closes at least two paragraphs, divisions or headings."""
    head = _skip_prologue(text)
    if re.match(r"<(?:!doctype\s+html\b|html[\s>])", head, re.IGNORECASE):
        return "detected from content: an HTML document"
    if re.match(r"<(?:body|article|main|section|div|p|h[1-6]|header)[\s>]", head, re.IGNORECASE):
        closed = len(re.findall(r"</(?:p|div|h[1-6]|article|section)\s*>", text[:200_000], re.IGNORECASE))
        if closed >= 2:
            return "detected from content: HTML paragraphs and headings"
    return None


def _skip_prologue(text: str) -> str:
    """The text after a BOM, blank space, an XML declaration and comments."""
    head = text[:20_000].lstrip("\ufeff \t\r\n")
    while True:
        m = re.match(r"(?:<\?xml[^>]*\?>|<!--.*?-->)\s*", head, re.DOTALL)
        if not m:
            return head
        head = head[m.end() :]


def _extract(page: str, name: str) -> Any:
    """trafilatura's Document for the page (title and the article's XML body), or ScriptError."""
    if len(page.encode("utf-8", "surrogatepass")) > MAX_PAGE_BYTES:
        limit = MAX_PAGE_BYTES // (1024 * 1024)
        raise ScriptError(f"is a web page of more than {limit} MB; pages up to {limit} MB are read", path=name)
    if not re.search(r"<(?:[a-zA-Z][\w-]*[\s/>]|!doctype)", page[:1_000_000], re.IGNORECASE):
        raise ScriptError("has no HTML tags, so it is not a web page; read it with --input-format plain "
                          "(or another format)", path=name)  # fmt: skip
    if sum(1 for _ in _ELEMENT.finditer(page)) > MAX_PAGE_ELEMENTS:
        raise ScriptError(f"has more than {MAX_PAGE_ELEMENTS:,} HTML elements; save the article alone (as text, "
                          "or the browser's reader view) and read that", path=name)  # fmt: skip
    if sum(1 for _ in _BLOCK.finditer(page)) > MAX_PAGE_BLOCKS:
        raise ScriptError(f"has more than {MAX_PAGE_BLOCKS:,} paragraphs; split it into several episodes",
                          path=name)  # fmt: skip
    try:
        import trafilatura
    except ImportError:  # a core dependency; only a broken install lacks it
        raise ScriptError("reading web pages needs trafilatura: pip install trafilatura", path=name) from None
    import logging

    log = logging.getLogger("trafilatura")  # it logs "empty page" and such as errors: not on podrender's stderr
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):  # (an app's own logging still sees them)
        log.addHandler(logging.NullHandler())
    try:
        doc = trafilatura.bare_extraction(
            page, output_format="python", with_metadata=True, include_comments=False, include_formatting=True,
            include_tables=True, include_images=False, include_links=False, deduplicate=False,
            date_extraction_params=_DATE_PARAMS,
        )  # fmt: skip
    except (ValueError, TypeError, AttributeError) as exc:  # lxml's own errors derive from these
        raise ScriptError(f"cannot be read as a web page ({exc})", path=name) from None
    if doc is None or getattr(doc, "body", None) is None:
        raise ScriptError("no article text found", path=name)
    return doc


def _words(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _is_bold(el: Any) -> bool:
    return el.tag == "hi" and any(mark in (el.get("rend") or "") for mark in ("#b", "#i", "#u"))


def _runs(el: Any) -> Iterator[tuple[str, bool]]:
    """(text, emphasized) runs of a block element in order; a line break is the run ('\\n', False)."""
    if el.text:
        yield el.text, False
    for child in el:
        if child.tag == "lb":
            yield "\n", False
        elif _is_bold(child):
            for text, _ in _runs(child):
                yield text, text != "\n"
        else:
            yield from _runs(child)
        if child.tail:
            yield child.tail, False


def _block_lines(el: Any) -> list[str]:
    """A paragraph's lines (split at its line breaks), with a leading bold label written `**Label:**`."""
    lines: list[list[tuple[str, bool]]] = [[]]
    for text, bold in _runs(el):
        for i, piece in enumerate(text.split("\n")):  # the extractor joins some inline elements with newlines
            if i:
                lines.append([])
            if piece:
                lines[-1].append((piece, bold))
    out = []
    for runs in lines:
        line = _label_line(runs)
        if line:
            out.append(line)
    return out


def _label_line(runs: list[tuple[str, bool]]) -> str:
    """One line's text; a short label in bold or italics at its start becomes `**Label:** rest`."""
    while runs and not runs[0][0].strip():
        runs = runs[1:]
    i = 0
    while i < len(runs) and runs[i][1]:
        i += 1
    raw_lead = "".join(text for text, _ in runs[:i])
    raw_rest = "".join(text for text, _ in runs[i:])
    lead, rest = _words(raw_lead), _words(raw_rest)
    label = None
    if lead.endswith(":"):
        label, said = lead[:-1].strip(), rest
    elif rest.startswith(":"):
        label, said = lead, rest[1:].strip()
    elif not rest and (m := _LABEL_IN_BOLD.match(lead)):  # the whole line is bold and starts with `Name:`
        label, said = m.group("label").strip(), m.group("rest")
    if label and len(label) <= MAX_LABEL_CHARS and len(label.split()) <= MAX_LABEL_WORDS and "*" not in label:
        return f"**{label}:** {said}".strip()
    if lead and not rest and "*" not in lead and lead[-1] in _SENTENCE_END:
        return f"**{lead}**"  # a whole sentence in bold: an interviewer's question (boldqa), or stress
    return _words(raw_lead + raw_rest)


def _text(el: Any) -> str:
    return _words("".join(el.itertext()))


def _items(doc: Any) -> Iterator[tuple[str, Any]]:
    """('heading:N' | 'para' | 'item' | 'code', element) for the article's blocks in order."""
    blocks = doc.body if doc.body.tag == "body" else [doc.body]  # a page of one paragraph gets it bare
    for el in blocks:
        tag = el.tag
        if tag == "head":
            m = _HEADING_LEVEL.match(el.get("rend") or "")
            yield f"heading:{m.group(1) if m else '2'}", el
        elif tag == "list":
            for item in el.iter("item"):
                yield "item", item
        elif tag == "quote" and any(child.tag == "p" for child in el):
            for child in el:
                yield "para", child
        elif tag in ("code", "table"):
            yield tag, el
        else:
            yield "para", el


#: How many of the page's text nodes past the last block found the next one is looked for among.
_LOOK_AHEAD = 4000
#: A source text node shorter than this must be the whole of a block's first run to match it.
_MIN_PREFIX = 12


class _Locator:
    """Finds the page line where a block starts: the page's text nodes (from lxml, with their source lines)
    are walked forward only, and a block is found at the node its first run of text starts with."""

    def __init__(self, page: str) -> None:
        self.nodes: list[tuple[str, int]] = []
        self.at = 0
        self.line = 1
        try:
            from lxml import etree
            from lxml import html as lxml_html

            root = lxml_html.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", page, count=1))
        except (ValueError, etree.LxmlError):  # lxml's refusals of odd pages: no lines, then
            return
        body = root.find(".//body")  # the head's <title> repeats the <h1>: start past it
        for el in (root if body is None else body).iter():
            if isinstance(el.tag, str) and el.tag not in ("script", "style") and el.text and el.text.strip():
                self.nodes.append((_words(el.text), el.sourceline or 1))
            if el.tail and el.tail.strip():
                self.nodes.append((_words(el.tail), el.sourceline or 1))

    def find(self, first: str) -> int:
        key = _words(first)
        for i in range(self.at, min(len(self.nodes), self.at + _LOOK_AHEAD)):
            text, line = self.nodes[i]
            if text.startswith(key) or (key.startswith(text) and len(text) >= min(len(key), _MIN_PREFIX)):
                self.at, self.line = i + 1, line
                break
        return self.line


def _first_run(el: Any) -> str:
    return next((text for text, _ in _runs(el) if text.strip()), "")


def _lines(doc: Any, page: str) -> tuple[list[_Line], list[Skipped]]:
    """The article as Markdown lines, with their source lines, and what was left out on the way."""
    locate = _Locator(page)
    out: list[_Line] = []
    skipped: list[Skipped] = []
    title: _Line | None = None
    for kind, el in _items(doc):
        text = _text(el)
        if not text:
            continue
        line = locate.find(_first_run(el))
        if kind != "item" and out and out[-1].kind != "blank":
            out.append(_Line("", line, "blank"))  # a list ends: its items are a paragraph of their own
        if kind.startswith("heading:"):
            level = int(kind.split(":")[1])
            if level == 1 and title is None:
                title = _Line(f"# {text}", line, "title", 1)
            elif level <= 3:
                out += [_Line(f"## {text}", line, "heading", level), _Line("", line, "blank")]
            else:
                out += [_Line(text, line, "minor", level), _Line("", line, "blank")]
            continue
        if kind == "code":
            skipped.append(Skipped(line, text, "code block"))
            continue
        if kind == "table":
            out += _table(el, line, locate, skipped)
            continue
        for i, text_line in enumerate(_block_lines(el)):
            sentence = text_line.endswith("**") and text_line[-3:-2] in _SENTENCE_END and ":**" not in text_line
            label = text_line.startswith("**") and not sentence
            if not label:
                text_line = _MARKUP_START.sub("", text_line).strip()
            if kind == "item" and i == 0:
                text_line = f"- {text_line}"
            out.append(_Line(text_line, line, "label" if label else "text"))
        if kind != "item":
            out.append(_Line("", line, "blank"))
    if title is None and _words(doc.title or ""):
        title = _Line(f"# {_words(doc.title)}", locate_title(page), "title", 1)
    if title is not None:
        out[:0] = [title, _Line("", title.source, "blank")]
    return out, skipped


#: A table's first column names the speaker when every cell of it looks like a name (or `Q`, `A`).
_NAME_CELL = re.compile(r"^[^\W\d_][\w.'’\- ]{0,39}$")


def _table(el: Any, line: int, locate: _Locator, skipped: list[Skipped]) -> list[_Line]:
    """A transcript laid out as a table (a row per turn: who, what) as labeled lines; any other table is
    left out (its cells are data, not speech)."""
    rows = [(row, [_text(cell) for cell in row.iter("cell")]) for row in el.iter("row")]
    heads = [cells for row, cells in rows if any(cell.get("role") == "head" for cell in row.iter("cell"))]
    body = [(row, cells) for row, cells in rows if cells not in heads and any(cells)]
    names = [cells[0].rstrip(":").strip() for _, cells in body if len(cells) == 2]
    if len(body) < 2 or len(names) != len(body) or not all(_NAME_CELL.match(n) for n in names):
        skipped.append(Skipped(line, " | ".join(" ".join(cells) for _, cells in rows)[:200], "a table, not read"))
        return []
    skipped.extend(Skipped(line, " | ".join(cells), "a table's heading row") for cells in heads if any(cells))
    out: list[_Line] = []
    for (row, cells), name in zip(body, names, strict=True):
        at = locate.find(_first_run(row))
        out += [_Line(f"**{name}:** {cells[1]}", at, "label"), _Line("", at, "blank")]
    return out


def locate_title(page: str) -> int:
    """The line of the page's og:title (or `<title>`), 1 when neither is found."""
    m = re.search(r"og:title", page, re.IGNORECASE) or re.search(r"<title[\s>]", page, re.IGNORECASE)
    return page.count("\n", 0, m.start()) + 1 if m else 1


def _plain(line: _Line) -> str:
    text = line.text[2:] if line.text.startswith("- ") else line.text
    bold = line.kind == "text" and text.startswith("**") and text.endswith("**") and len(text) > 4
    return text[2:-2] if bold else text


def _drop_chrome(lines: list[_Line], options: ParseOptions) -> tuple[list[_Line], list[Skipped]]:
    """Leave out sections under a chrome heading, chrome lines, minor headings and repeats of the title."""
    skipped: list[Skipped] = []
    kept: list[_Line] = []
    title = next((_words(x.text[2:]).casefold() for x in lines if x.kind == "title"), "")

    def keep(text: str) -> bool:
        return any(p.search(text) for p in options.keep)

    # 1. Sections: from a chrome heading up to the next heading of its level or higher.
    section: _Line | None = None
    for x in lines:
        words = x.text.lstrip("# ")
        if section is not None and x.kind in ("heading", "minor") and x.level <= section.level:
            section = None
        if section is None and x.kind in ("heading", "minor"):
            chrome = _CHROME_SECTION.match(words.rstrip(":").strip()) or classify(words) is not None
            if chrome and not keep(words):
                section = x
                skipped.append(Skipped(x.source, words, "page chrome: a section of the page around the article"))
                continue
        if section is not None:
            if x.kind != "blank":
                under = section.text.lstrip("# ")
                skipped.append(Skipped(x.source, _plain(x).lstrip("# "), f"page chrome: under '{under}'"))
            continue
        kept.append(x)
    # 2. Lines: the chrome rules over the text lines in order (a line opening with a label is a speaker's).
    content = [i for i, x in enumerate(kept) if x.kind in ("text", "minor")]
    reasons = page_chrome([_plain(kept[i]) for i in content])
    verdicts = {i: reason for i, reason in zip(content, reasons, strict=True) if reason}
    # A paragraph of several lines, every one of them a button, a menu word, a count or a date, is chrome.
    start = 0
    for end in range(len(kept) + 1):
        if end == len(kept) or kept[end].kind == "blank":
            block = [i for i in range(start, end) if kept[i].kind == "text"]
            weak = [classify(_plain(kept[i])) for i in block]
            if len(block) > 1 and all(v is not None for v in weak):
                verdicts.update((i, verdicts.get(i) or v.reason) for i, v in zip(block, weak, strict=True) if v)
            start = end + 1
    result: list[_Line] = []
    for i, x in enumerate(kept):
        text = _plain(x)
        reason = verdicts.get(i)
        if x.kind == "minor" and not reason:
            reason = "a minor heading (below <h3>), not a chapter"
        if x.kind == "text" and title and _words(text).casefold() == title:
            reason = "repeats the title"
        if reason and not keep(text):
            skipped.append(Skipped(x.source, text, reason))
            continue
        result.append(x)
    return result, skipped


def to_markdown(page: str, name: str = "page.html", options: ParseOptions | None = None) -> tuple[str, list[int],
                                                                                                    list[Skipped]]:
    """The article of an HTML page as Markdown, the page line of every Markdown line, and what was left out."""
    text, sources, skipped, _ = _article(page, name, options)
    return text, sources, skipped


def _article(page: str, name: str, options: ParseOptions | None) -> tuple[str, list[int], list[Skipped], str]:
    """to_markdown's answer and the page's author as its metadata gives it ('' when it gives none)."""
    options = options or ParseOptions()
    doc = _extract(page, name)
    lines, skipped = _lines(doc, page)
    lines, dropped = _drop_chrome(lines, options)
    said = [x for x in lines if x.kind in ("text", "label")]
    # Nothing, or nothing but bits that are chrome next to other chrome (a lone `Home`, a date): no article.
    if all(x.kind == "text" and classify(_plain(x)) is not None for x in said):
        raise ScriptError("no article text found", path=name)
    author = " ".join(re.sub(r"[^\w.'’ -]+", " ", str(getattr(doc, "author", None) or "")).split())
    return "\n".join(x.text for x in lines) + "\n", [x.source for x in lines], skipped + dropped, author


def parse(page: str, options: ParseOptions, name: str = "page.html") -> Script:
    """Parse a saved web page: its article, read as Markdown, with the page's own line numbers."""
    text, sources, skipped, author = _article(page, name, options)

    def where(line: int) -> int:
        return sources[line - 1] if 0 < line <= len(sources) else line

    try:
        script = markdown.parse(text, options)
    except ScriptError as exc:
        if exc.line is not None and exc.path is None:
            raise ScriptError(exc.detail, line=where(exc.line)) from None
        raise
    return replace(
        script,
        turns=tuple(replace(t, line=where(t.line)) for t in script.turns),
        markers=tuple(replace(m, line=where(m.line)) for m in script.markers),
        skipped=tuple(sorted([*(replace(s, line=where(s.line)) for s in script.skipped), *skipped],
                             key=lambda s: s.line)),
        input_format="html",
        byline=author,
    )  # fmt: skip
