"""Caption files: WebVTT (`<v Speaker>` voice spans or `Name:` in the cue text) and SRT.

Cue timings, cue numbers, NOTE/STYLE/REGION blocks and styling tags are ignored. Consecutive cues
of one speaker become one turn; a cue that names nobody continues the speaker before it.
"""

from __future__ import annotations

import html
import re

from podrender.errors import ScriptError
from podrender.input.formats.builder import Builder
from podrender.input.formats.labeled import iter_blocks, numbered_lines
from podrender.input.formats.labels import find_label
from podrender.input.script import ParseOptions, Script

TIMING = re.compile(r"^(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s+-->\s+(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}")
VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>(?P<text>.*?)(?:</v>|(?=<v[\s.])|$)", re.DOTALL)
TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>")
BRACKET_SPEAKER = re.compile(r"^\[(?P<name>[^\]]{1,40})\]\s*(?P<rest>.*)$")
DASH = re.compile(r"^[-–]\s+")


def _clean(text: str) -> str:
    return " ".join(html.unescape(TAG.sub("", text)).split())


def _cue_text(b: Builder, text: str, number: int) -> None:
    """One cue's text (its lines joined): voice spans, a `Name:` label, or words that continue."""
    spans = list(VOICE.finditer(text))
    if spans:
        lead = _clean(text[: spans[0].start()])
        if lead:
            b.text(lead, number)
        for m in spans:
            said = _clean(m.group("text"))
            b.label(" ".join(m.group("name").split()), said, number)
        return
    clean = _clean(DASH.sub("", text))
    bracket = BRACKET_SPEAKER.match(clean)
    if bracket and find_label(f"{bracket.group('name')}: x", b.known, b.qa):
        b.label(bracket.group("name"), bracket.group("rest"), number)
        return
    found = find_label(clean, b.known, b.qa)
    if found:
        b.label(found[0], found[1], number)
    elif clean:
        b.text(clean, number)


def parse_vtt(text: str, options: ParseOptions) -> Script:
    b = Builder(options, "vtt", merge_same_speaker=True)
    blocks = list(iter_blocks(numbered_lines(text)))
    if not blocks or not blocks[0][0][1].startswith("WEBVTT"):
        raise ScriptError("a WebVTT file must start with the line WEBVTT", line=blocks[0][0][0] if blocks else 1)
    header = blocks[0]
    title = header[0][1][len("WEBVTT") :].strip(" -\t")
    if title:
        b.title(title, header[0][0])
    for number, line in header[1:]:
        b.skip(number, line, "caption header")
    for block in blocks[1:]:
        first = block[0][1]
        if first.startswith(("NOTE", "STYLE", "REGION")) and not TIMING.match(first):
            for number, line in block:
                b.skip(number, line, f"caption {first.split()[0]} block")
            continue
        _cue(b, block)
    return b.build()


def parse_srt(text: str, options: ParseOptions) -> Script:
    b = Builder(options, "srt", merge_same_speaker=True)
    for block in iter_blocks(numbered_lines(text)):
        _cue(b, block)
    return b.build()


def _cue(b: Builder, block: list[tuple[int, str]]) -> None:
    """One caption block: its text after the timing line is a cue; a block with no timing line is skipped."""
    timing = next((k for k, (_, line) in enumerate(block) if TIMING.match(line)), None)
    if timing is None:
        for number, line in block:
            b.skip(number, line, "not a cue (no timing line)")
        return
    cue = [(n, line) for n, line in block[timing + 1 :] if not b.skip_rule(n, line)]
    if cue:
        _cue_text(b, "\n".join(line for _, line in cue), cue[0][0])
