"""Files beside the episode, all from the render's one timeline: Podcasting 2.0 JSON chapters,
a WebVTT and an SRT transcript, and show notes in Markdown.

`episode_text(...)` gathers what they say (chapters with their times and links, one cue per unit
with the unit's real times, the links in the script); the `*_text` functions turn that into each
file's text and are pure; `write_sidecars(...)` writes the chosen ones, each atomically.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podrender.errors import OutputError
from podrender.output.clock import precise, short
from podrender.output.files import write_output

if TYPE_CHECKING:
    from podrender.output.timeline import Timeline
    from podrender.speech.prepared import Prepared

#: Every sidecar, in the order they are written; `--sidecars` takes a comma-separated subset.
SIDECARS = ("chapters", "vtt", "srt", "notes")
#: The file name each sidecar gets after the episode's stem.
SUFFIXES = {"chapters": ".chapters.json", "vtt": ".vtt", "srt": ".srt", "notes": ".md"}
#: MIME types, as the Podcasting 2.0 namespace names them for <podcast:chapters> / <podcast:transcript>.
MIME_TYPES = {
    "chapters": "application/json+chapters",
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "notes": "text/markdown",
}
JSON_CHAPTERS_VERSION = "1.2.0"
#: Caption lines are wrapped at this many characters (the Podcasting 2.0 transcript advice for WebVTT).
LINE_CHARS = 65

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?((?:https?://|www\.)[^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)", re.IGNORECASE)
_BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]\"'`]*[^\s<>()\[\]\"'`.,;:!?*_]", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    url: str
    """Absolute http(s) URL (`www.x.org` becomes `https://www.x.org`)."""
    label: str
    """The link's words in Markdown (`[label](url)`), else the URL as written."""


@dataclass(frozen=True)
class Cue:
    """One timed stretch of speech: a unit of the plan (a turn, or a piece of a long turn)."""

    start_ms: int
    """Where the unit's chunk begins (as the manifest's turn start_ms); its sound begins ~25 ms later."""
    end_ms: int
    """Where its speech ends; the pause follows."""
    speaker: str
    text: str
    """What was said as it was written (`2026`, not "twenty twenty-six"), on one line."""


@dataclass(frozen=True)
class ChapterEntry:
    title: str
    start_ms: int
    end_ms: int
    url: str | None
    """The first link in the chapter's turns, if any."""


@dataclass(frozen=True)
class EpisodeText:
    """Everything the sidecars say, taken from one render."""

    title: str
    description: str | None
    author: str | None
    podcast: str | None
    audio_file: str
    duration_ms: int
    speakers: tuple[str, ...]
    chapters: tuple[ChapterEntry, ...]
    cues: tuple[Cue, ...]
    links: tuple[Link, ...]


def find_links(text: str) -> list[Link]:
    """Links in written text, in order, each URL once: Markdown links and bare http(s)/www addresses."""
    found: list[tuple[int, Link]] = []
    taken: list[tuple[int, int]] = []
    for m in _MD_LINK.finditer(text):
        found.append((m.start(), Link(_absolute(m.group(2)), " ".join(m.group(1).split()) or m.group(2))))
        taken.append(m.span())
    for m in _BARE_URL.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        found.append((m.start(), Link(_absolute(m.group(0)), m.group(0))))
    seen: set[str] = set()
    links: list[Link] = []
    for _, link in sorted(found, key=lambda f: f[0]):
        if link.url not in seen:
            seen.add(link.url)
            links.append(link)
    return links


def _absolute(url: str) -> str:
    return url if re.match(r"https?://", url, re.IGNORECASE) else "https://" + url


_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_CODE = re.compile(r"`([^`]+)`")


def display_text(written: str) -> str:
    """Written text as a reader sees it: Markdown links and images as their words, no emphasis marks,
    code ticks or HTML tags; numbers, symbols and addresses as written."""
    from podrender.speech.normalize.markup import clean_characters

    s = _HTML.sub(" ", clean_characters(written))
    s = _IMAGE_OR_LINK.sub(r"\1", s)
    s = _EMPHASIS.sub(r"\2", s)
    s = _CODE.sub(r"\1", s)
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", s) if p.strip())


def _split_written(written: str, targets: list[int], said: Callable[[str], str]) -> list[str] | None:
    """Written sentences grouped so each group says `targets[i]` words once spoken; None if they do not fit."""
    from podrender.speech.normalize import sentences

    parts = [s for p in written.split("\n\n") for s in sentences(p)]
    groups: list[list[str]] = []
    j = 0
    for target in targets:
        group: list[str] = []
        count = 0
        while j < len(parts) and (count < target or not said(parts[j]).split()):
            group.append(parts[j])
            count += len(said(parts[j]).split())
            j += 1
            if count >= target:
                break
        if count != target:
            return None
        groups.append(group)
    if j < len(parts):
        if any(said(p).split() for p in parts[j:]):
            return None
        groups[-1] += parts[j:]  # what says nothing (an emoji) stays with the last piece
    return [" ".join(" ".join(g).split()) for g in groups]


def cue_texts(prepared: Prepared) -> list[str]:
    """For each unit, the written words it says. A turn is cut where the plan cut it (at `[pause]` tags,
    then into units at sentences); the written sentences are grouped by how many words each says when
    spoken. Where they do not line up (or espeak phonemes are written), a piece shows its spoken text."""
    from podrender.input.formats.pause import split_pauses
    from podrender.speech.normalize import spoken_text
    from podrender.speech.normalize.spoken import PHONEMES

    units = prepared.plan.units
    out = [" ".join(u.text.split()) for u in units]
    by_turn: dict[int, list[int]] = {}
    for u in units:
        by_turn.setdefault(u.turn, []).append(u.index)
    for turn_index, indexes in by_turn.items():
        turn = prepared.script.turns[turn_index]
        role = prepared.cast.role(turn.speaker)

        def said(text: str, lexicon: tuple[tuple[str, str], ...] = role.pronounce) -> str:
            return spoken_text(text, lexicon) if text.strip() else ""

        position = 0
        for segment, _ in split_pauses(turn.text, turn.line):
            words = said(segment).split()
            if not words:
                continue
            mine: list[int] = []
            while position < len(indexes) and sum(len(units[i].text.split()) for i in mine) < len(words):
                mine.append(indexes[position])
                position += 1
            if [w for i in mine for w in units[i].text.split()] != words:
                break  # not the plan's cut: keep the spoken text for the rest of this turn
            written = display_text(segment)
            if not written or PHONEMES.search(segment):
                continue
            groups = [written] if len(mine) == 1 else _split_written(
                written, [len(units[i].text.split()) for i in mine], said
            )  # fmt: skip
            for i, text in zip(mine, groups or [], strict=False):
                out[i] = " ".join(text.split())
    return out


def episode_text(
    prepared: Prepared, timeline: Timeline, audio_file: str, texts: Sequence[str] | None = None
) -> EpisodeText:
    """Chapters, cues and links of a render, from its plan and its timeline. `texts` is
    `cue_texts(prepared)` when the caller made it already (while the workers spoke)."""
    plan = prepared.plan
    script = prepared.script
    texts = cue_texts(prepared) if texts is None else texts
    cues = tuple(
        Cue(placed.start_ms, placed.end_ms, unit.speaker, texts[unit.index])
        for unit, placed in zip(plan.units, timeline.placed, strict=True)
    )
    unit_turn = [u.turn for u in plan.units]
    chapters: list[ChapterEntry] = []
    for i, ch in enumerate(timeline.chapters):
        first = unit_turn[ch.first_unit]
        following = timeline.chapters[i + 1].first_unit if i + 1 < len(timeline.chapters) else len(plan.units)
        last = unit_turn[following - 1] if following > ch.first_unit else first
        text = "\n".join(t.text for t in script.turns[first : last + 1])
        links = find_links(text)
        chapters.append(ChapterEntry(ch.title, ch.start_ms, ch.end_ms, links[0].url if links else None))
    episode = prepared.config.episode
    written = "\n".join([episode.description or "", *(t.text for t in script.turns)])
    speakers = tuple(dict.fromkeys(u.speaker for u in plan.units))
    return EpisodeText(
        title=prepared.title,
        description=episode.description,
        author=episode.artist,
        podcast=episode.album,
        audio_file=audio_file,
        duration_ms=timeline.duration_ms,
        speakers=speakers,
        chapters=tuple(chapters),
        cues=cues,
        links=tuple(find_links(written)),
    )


# -- Podcasting 2.0 JSON chapters ------------------------------------------------------------------


def chapters_json(ep: EpisodeText) -> dict[str, object]:
    """The JSON chapters object (version 1.2.0): startTime/endTime in seconds, title, url when known."""
    chapters: list[dict[str, object]] = []
    for ch in ep.chapters:
        entry: dict[str, object] = {"startTime": ch.start_ms / 1000, "endTime": ch.end_ms / 1000, "title": ch.title}
        if ch.url:
            entry["url"] = ch.url
        chapters.append(entry)
    doc: dict[str, object] = {"version": JSON_CHAPTERS_VERSION, "title": ep.title}
    if ep.author:
        doc["author"] = ep.author
    if ep.podcast:
        doc["podcastName"] = ep.podcast
    if ep.description:
        doc["description"] = ep.description
    doc["fileName"] = ep.audio_file
    doc["chapters"] = chapters
    return doc


# -- captions ---------------------------------------------------------------------------------------


def wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    """Greedy word wrap; a word longer than `width` stands on its own line."""
    from podrender.speech.normalize.sentences import pack

    return pack(text.split(), width)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(ep: EpisodeText) -> str:
    """A WebVTT transcript: one cue per unit, each opening with a `<v Speaker>` voice span."""
    out = ["WEBVTT", ""]
    for n, cue in enumerate(ep.cues, start=1):
        speaker = _vtt_escape(" ".join(cue.speaker.split()))
        lines = wrap(_vtt_escape(cue.text))
        out += [str(n), f"{precise(cue.start_ms)} --> {precise(cue.end_ms)}"]
        out += [f"<v {speaker}>{lines[0]}", *lines[1:]]
        out[-1] += "</v>"
        out.append("")
    return "\n".join(out)


def srt_text(ep: EpisodeText) -> str:
    """An SRT transcript: numbered cues, `Speaker: text` where the speaker changes."""
    out: list[str] = []
    previous: str | None = None
    for n, cue in enumerate(ep.cues, start=1):
        said = cue.text if cue.speaker == previous else f"{cue.speaker}: {cue.text}"
        previous = cue.speaker
        out += [str(n), f"{precise(cue.start_ms, ',')} --> {precise(cue.end_ms, ',')}", *wrap(said), ""]
    return "\n".join(out)


# -- show notes -------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def md_escape(text: str) -> str:
    """Text that Markdown shows as written (no emphasis, links or headings made by accident)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def timestamp(ms: int) -> str:
    """`mm:ss` (or `h:mm:ss` from an hour on), rounded down so a jump lands before the chapter."""
    return short(ms, floor=True, two_digit_minutes=True)


def notes_text(ep: EpisodeText) -> str:
    """Show notes: title, description (as written), who speaks, chapters with `mm:ss` times (a chapter with a
    link is that link), and every link found in the description and the script."""
    out = [f"# {md_escape(ep.title)}", ""]
    if ep.description:
        out += [ep.description.strip(), ""]  # as written: a description may use Markdown
    if ep.speakers:
        out += ["With " + ", ".join(md_escape(s) for s in ep.speakers) + f" ({timestamp(ep.duration_ms)}).", ""]
    if ep.chapters:
        out += ["## Chapters", ""]
        for ch in ep.chapters:
            title = md_escape(ch.title)
            out.append(f"- {timestamp(ch.start_ms)} {f'[{title}](<{ch.url}>)' if ch.url else title}")
        out.append("")
    if ep.links:
        out += ["## Links", ""]
        for link in ep.links:
            label = md_escape(link.label)
            out.append(f"- [{label}](<{link.url}>)" if label != md_escape(link.url) else f"- <{link.url}>")
        out.append("")
    return "\n".join(out)


# -- writing ------------------------------------------------------------------------------------------


def sidecar_paths(target: Path, kinds: Collection[str]) -> dict[str, Path]:
    """Where each chosen sidecar of the episode at `target` goes: `<stem><suffix>` beside it."""
    return {kind: target.with_name(target.stem + SUFFIXES[kind]) for kind in SIDECARS if kind in kinds}


def check_paths(paths: Mapping[str, Path]) -> None:
    """Raise OutputError before any work when a sidecar's path is taken by a folder."""
    for kind, path in paths.items():
        if path.is_dir():
            raise OutputError(f"is a folder, where the {kind} file goes", path=str(path))


def sidecar_bytes(kind: str, ep: EpisodeText) -> bytes:
    if kind == "chapters":
        return (json.dumps(chapters_json(ep), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if kind == "vtt":
        return vtt_text(ep).encode("utf-8")
    if kind == "srt":
        return srt_text(ep).encode("utf-8")
    if kind == "notes":
        return notes_text(ep).encode("utf-8")
    raise ValueError(f"unknown sidecar {kind!r}")


def write_sidecars(paths: Mapping[str, Path], ep: EpisodeText) -> dict[str, Path]:
    """Write each sidecar whole (temporary file + rename); returns what was written."""
    written: dict[str, Path] = {}
    for kind, path in paths.items():
        write_output(path, [sidecar_bytes(kind, ep)], f"the {kind} file")
        written[kind] = path
    return written


def parse_sidecars(value: str) -> tuple[str, ...]:
    """`all`, `none` or a comma-separated list of SIDECARS; raises ValueError naming a wrong one."""
    words = [w.strip().lower() for w in value.split(",") if w.strip()]
    if words == ["all"]:
        return SIDECARS
    if words == ["none"]:
        return ()
    if not words:
        raise ValueError(f"give a comma-separated list of {', '.join(SIDECARS)}, or all, or none")
    for word in words:
        if word not in SIDECARS:
            raise ValueError(f"unknown sidecar '{word}' (choose from {', '.join(SIDECARS)}, all or none)")
    return tuple(k for k in SIDECARS if k in words)
