"""Input formats: detect which one a script is written in and parse it into a Script.

Every parser returns the same Script value (podrender.input.script). Detection looks at the file name's
extension first, then at the content; `--input-format NAME` overrides both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePath
from types import ModuleType

from podrender.config import Config
from podrender.errors import ScriptError
from podrender.input.formats import boldqa, markdown, plain, play, radio, timestamped, webpage
from podrender.input.formats.labeled import numbered_lines
from podrender.input.formats.labels import find_label, known_keys
from podrender.input.script import DEFAULT_QA, ParseOptions, Script, check_size

Parser = Callable[[str, ParseOptions, str], Script]


def _structured() -> ModuleType:
    """The YAML/JSON parser, loaded when a script is one (it loads the schema checker: 10 ms)."""
    from podrender.input.formats import structured

    return structured


def _webpage() -> ModuleType:
    """The web page reader (it loads trafilatura and lxml, 0.1-0.2 s, when it reads a page)."""
    return webpage


def _captions() -> ModuleType:
    """The WebVTT/SRT parser, loaded when a script is captions."""
    from podrender.input.formats import captions

    return captions


@dataclass(frozen=True)
class InputFormat:
    name: str
    description: str
    parse: Parser


FORMATS: dict[str, InputFormat] = {
    f.name: f
    for f in (
        InputFormat("plain", "plain transcript: `Name: text`, narration, `## Chapter`",
                    lambda t, o, n: plain.parse(t, o)),
        InputFormat("script", "structured script in YAML or JSON (script.schema.json)",
                    lambda t, o, n: _structured().parse(t, o, n)),
        InputFormat("markdown", "Markdown: `# Title`, `## Chapter`, `**Name:** text`",
                    lambda t, o, n: markdown.parse(t, o)),
        InputFormat("timestamped", "timestamped transcript: `[00:01:23] Name: text`, `Name  00:12`",
                    lambda t, o, n: timestamped.parse(t, o)),
        InputFormat("radio", "radio and Q&A: `JOHN SMITH: text`, `DR. JONES:`, `Q:` / `A:`",
                    lambda t, o, n: radio.parse(t, o)),
        InputFormat("play", "play or screenplay: a name in capitals alone on a line, the speech below",
                    lambda t, o, n: play.parse(t, o)),
        InputFormat("vtt", "WebVTT captions", lambda t, o, n: _captions().parse_vtt(t, o)),
        InputFormat("srt", "SRT captions", lambda t, o, n: _captions().parse_srt(t, o)),
        InputFormat("html", "a saved web page: its article, bold labels as speakers, headings as chapters",
                    lambda t, o, n: _webpage().parse(t, o, n)),
    )
}  # fmt: skip
ALIASES = {"yaml": "script", "yml": "script", "json": "script", "md": "markdown", "qa": "radio",
           "screenplay": "play", "webvtt": "vtt", "txt": "plain", "text": "plain",
           "htm": "html", "web": "html", "webpage": "html"}  # fmt: skip
EXTENSIONS = {".yaml": "script", ".yml": "script", ".json": "script", ".md": "markdown", ".markdown": "markdown",
              ".vtt": "vtt", ".srt": "srt", ".fountain": "play",
              ".html": "html", ".htm": "html", ".xhtml": "html"}  # fmt: skip
#: Names accepted by --input-format.
CHOICES = tuple([*FORMATS, *ALIASES])


@dataclass(frozen=True)
class Detection:
    format: str
    reason: str
    """'from the .md extension', 'detected from content: ...' or 'chosen with --input-format'."""


def resolve_name(name: str) -> str:
    """The format a name or alias stands for; ScriptError naming the choices when unknown."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        raise ScriptError(f"unknown input format '{name}' (choose one of {', '.join(CHOICES)})")
    return key


_SRT_START = re.compile(r"^\d+\s*\n\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s+-->")
_YAML_TURNS = re.compile(r"^turns\s*:\s*(?:#.*)?$", re.MULTILINE)


def detect(text: str, name: str = "script", options: ParseOptions | None = None) -> Detection:
    """Which format `text` (from a file called `name`) is written in, and why."""
    ext = PurePath(name).suffix.lower()
    if ext in EXTENSIONS:
        return Detection(EXTENSIONS[ext], f"from the {ext} extension")
    head = text.lstrip("\ufeff \n")
    if head.startswith("<"):
        html = webpage.looks_like_html(text)
        if html:
            return Detection("html", html)
    if head.startswith("WEBVTT"):
        return Detection("vtt", "detected from content: it starts with WEBVTT")
    if _SRT_START.match(head):
        return Detection("srt", "detected from content: numbered cues with --> timings")
    if head.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and "turns" in data:
            return Detection("script", "detected from content: a JSON object with turns")
    if _YAML_TURNS.search(text) and re.search(r"^\s*-\s+(?:speaker|narration|chapter|pause)\s*:", text, re.M):
        return Detection("script", "detected from content: a YAML mapping with turns")
    options = options or ParseOptions()
    lines = [(n, line) for n, line in numbered_lines(text)]
    content = [line for _, line in lines if line]
    if not content:
        return Detection("plain", "detected from content: empty")
    stamped = sum(1 for line in content if timestamped.STAMPED_LINE.match(line))
    if stamped >= 2 and stamped * 5 >= len(content):
        return Detection("timestamped", f"detected from content: {stamped} lines carry timestamps")
    known = {k: v for k, v in known_keys(options.aliases).items()}
    cues = 0
    headings = 0
    for i, (_, line) in enumerate(lines):
        if not line:
            continue
        before = i == 0 or not lines[i - 1][1]
        after = i + 1 < len(lines) and bool(lines[i + 1][1])
        if before and after and play.is_cue(line) and not find_label(line, known):
            cues += 1
        if play.HEADING.match(line):
            headings += 1
    labels = [found for line in content if (found := find_label(line, known, {"q": "", "a": ""}))]
    if cues >= 2 and cues > len(labels):
        return Detection("play", f"detected from content: {cues} character names alone on a line in capitals")
    first = content[0]
    if (markdown.HEADING.match(first) and first.startswith("# ")) or any(
        markdown.FENCE.match(line) or markdown.is_label(line) for line in content
    ):
        return Detection("markdown", "detected from content: Markdown title, bold labels or code fences")
    if len(labels) < 2 and (asked := boldqa.find(lines)) is not None:
        count = len(asked.answers)
        return Detection("markdown", f"detected from content: {count} questions in bold, each answered below")
    caps = [label for label, _ in labels if label.upper() == label and len(label) > 1]
    qa = [label for label, _ in labels if label.rstrip(".").upper() in ("Q", "A")]
    if len(qa) >= 2:
        return Detection("radio", f"detected from content: {len(qa)} Q:/A: labels")
    if len(caps) >= 2 and len(caps) * 2 >= len(labels):
        return Detection("radio", f"detected from content: {len(caps)} labels in capitals")
    return Detection("plain", "detected from content: no other format's signs")


def parse_options(config: Config) -> ParseOptions:
    """What the parsers need from voices.yaml: aliases, skip and keep rules, Q/A speakers, stage directions."""
    qa = {**DEFAULT_QA, "Q": config.host or DEFAULT_QA["Q"], **dict(config.qa)}
    return ParseOptions(
        aliases=config.aliases(), skip=config.skip, qa=qa, stage_directions=config.stage_directions, keep=config.keep,
        fold_names=config.fold_names,
    )


def parse_script(text: str, options: ParseOptions, *, name: str = "script", input_format: str | None = None) -> Script:
    """Detect (or take) the format, parse, and note which format was used and why."""
    if input_format:
        found = Detection(resolve_name(input_format), "chosen with --input-format")
    else:
        found = detect(text, name, options)
    try:
        script = FORMATS[found.format].parse(text, options, name)
    except ScriptError as exc:
        if exc.path is None and found.format != "plain" and name not in ("script", "-"):
            raise type(exc)(f"{exc.detail} (read as {found.format})", path=name, line=exc.line) from None
        raise
    check_size(script, name)
    from podrender.input.identity import fold_names  # here: identity reads labels.py of this package

    script = fold_names(script, text, options)
    return replace(script, input_format=found.format, detected_by=found.reason)


def with_script_voices(config: Config, script: Script) -> Config:
    """`config` with a structured script's own speaker settings laid over voices.yaml's."""
    if not script.voices:
        return config
    speakers = list(config.speakers)
    for voice in script.voices:
        existing = config.speaker(voice.name)
        if existing is None:
            speakers.append(voice)
            continue
        changes = {k: getattr(voice, k) for k in ("voice", "rate", "pitch", "volume", "voice_line", "rate_line",
                                                   "pitch_line") if getattr(voice, k)}  # fmt: skip
        if voice.aliases:
            changes["aliases"] = tuple(dict.fromkeys((*existing.aliases, *voice.aliases)))
        speakers[speakers.index(existing)] = replace(existing, **changes)
    return replace(config, speakers=tuple(speakers))


__all__ = ["CHOICES", "FORMATS", "Detection", "InputFormat", "detect", "parse_options",
           "parse_script", "resolve_name", "with_script_voices"]  # fmt: skip
