"""An RSS 2.0 podcast feed for the episodes rendered into one folder, read from their manifests.

Each episode is an `<item>` with its enclosure (URL, length in bytes, MIME type), `itunes:duration`,
a `guid` that stays the same across re-renders, and Podcasting 2.0 `podcast:chapters` and
`podcast:transcript` tags pointing at the sidecars the manifest lists.

pubDate is deterministic: an episode that the existing feed file already lists keeps the pubDate it
has there (so a re-render does not make it new again); a new one gets its audio file's modification
time. The same folder and feed file give the same bytes every time.
"""

from __future__ import annotations

import email.utils
import json
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from podrender import __version__
from podrender.errors import PodrenderError
from podrender.output.export import FORMATS
from podrender.output.sidecars import MIME_TYPES

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
#: The Podcasting 2.0 namespace's UUID for podcast:guid (a UUIDv5 of the feed URL without its scheme).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


class FeedError(PodrenderError):
    """The folder or a manifest in it cannot make a feed."""


@dataclass(frozen=True)
class FeedEpisode:
    title: str
    description: str | None
    guid: str
    pub_date: str
    """RFC 2822, as RSS wants."""
    sort_key: float
    audio_url: str
    audio_bytes: int
    audio_type: str
    duration_ms: int
    chapters_url: str | None
    transcripts: tuple[tuple[str, str], ...]
    """(url, MIME type) of each transcript."""


def podcast_guid(feed_url: str) -> str:
    """podcast:guid: UUIDv5 of the feed URL with its scheme and trailing slashes removed."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash, its path percent-encoded (`my show` -> `my%20show`); raises
    FeedError unless it is an absolute http(s) URL."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"--base-url must be an absolute http(s) URL, not '{base_url}'")
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")).rstrip("/")


def _url(base: str, name: str) -> str:
    return f"{base}/{quote(name)}"


def read_manifests(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every podrender manifest in `folder` (not its subfolders), by file name."""
    if not folder.is_dir():
        raise FeedError("is not a folder", path=str(folder))
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(".chapters.json"):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue  # not ours: a feed folder may hold other JSON
        if isinstance(data, dict) and "manifest_version" in data and "file" in data:
            found.append((path, data))
    return found


def _previous_dates(feed_file: Path | None) -> dict[str, str]:
    """guid -> pubDate of the items in an existing feed file (empty when there is none or it is not ours)."""
    if feed_file is None or not feed_file.is_file():
        return {}
    try:
        root = ET.parse(feed_file).getroot()
    except (ET.ParseError, OSError):
        return {}
    dates: dict[str, str] = {}
    for item in root.iter("item"):
        guid, date = item.findtext("guid"), item.findtext("pubDate")
        if guid and date:
            dates[guid] = date
    return dates


def collect(folder: Path, base_url: str, feed_file: Path | None = None) -> list[FeedEpisode]:
    """The folder's episodes, newest first."""
    base = check_base_url(base_url)
    previous = _previous_dates(feed_file)
    episodes: list[FeedEpisode] = []
    for manifest_path, m in read_manifests(folder):
        files: dict[str, str] = dict(m.get("files") or {"audio": m["file"]})
        audio = folder / files["audio"]
        if not audio.is_file():
            raise FeedError(f"names {files['audio']}, which is not in the folder", path=str(manifest_path))
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, _url(base, audio.stem)))
        if guid in previous:
            pub_date = previous[guid]
            parsed = email.utils.parsedate_to_datetime(pub_date)
            when = parsed.timestamp()
        else:
            when = float(int(audio.stat().st_mtime))
            pub_date = email.utils.format_datetime(datetime.fromtimestamp(when, timezone.utc), usegmt=True)
        suffix = audio.suffix.lower()
        mime = m.get("mime_type") or next((f.mime for f in FORMATS.values() if f.suffix == suffix), "audio/mpeg")
        transcripts = tuple((_url(base, files[k]), MIME_TYPES[k]) for k in ("vtt", "srt") if k in files)
        episodes.append(
            FeedEpisode(
                title=str(m.get("title") or audio.stem),
                description=m.get("description"),
                guid=guid,
                pub_date=pub_date,
                sort_key=when,
                audio_url=_url(base, audio.name),
                audio_bytes=audio.stat().st_size,
                audio_type=str(mime),
                duration_ms=int(m["duration_ms"]),
                chapters_url=_url(base, files["chapters"]) if "chapters" in files else None,
                transcripts=transcripts,
            )
        )
    episodes.sort(key=lambda e: (-e.sort_key, e.audio_url))
    return episodes


def build_feed(
    episodes: list[FeedEpisode],
    *,
    title: str,
    base_url: str,
    feed_name: str = "feed.xml",
    description: str | None = None,
    language: str = "en",
    author: str | None = None,
    image: str | None = None,
) -> bytes:
    """The RSS 2.0 document (UTF-8, with the itunes, podcast and atom namespaces)."""
    base = check_base_url(base_url)
    ET.register_namespace("itunes", ITUNES)
    ET.register_namespace("podcast", PODCAST)
    ET.register_namespace("atom", ATOM)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, tag, attrs)
        if text is not None:
            el.text = text
        return el

    feed_url = _url(base, feed_name)
    add(channel, "title", title)
    add(channel, "link", base + "/")
    add(channel, "description", description or title)
    add(channel, "language", language)
    add(channel, "generator", f"podrender {__version__}")
    if episodes:
        add(channel, "lastBuildDate", episodes[0].pub_date)
    add(channel, f"{{{ATOM}}}link", href=feed_url, rel="self", type="application/rss+xml")
    add(channel, f"{{{PODCAST}}}guid", podcast_guid(feed_url))
    if author:
        add(channel, f"{{{ITUNES}}}author", author)
    if image:
        add(channel, f"{{{ITUNES}}}image", href=image)
    add(channel, f"{{{ITUNES}}}explicit", "false")
    for ep in episodes:
        item = add(channel, "item")
        add(item, "title", ep.title)
        if ep.description:
            add(item, "description", ep.description)
        add(item, "guid", ep.guid, isPermaLink="false")
        add(item, "pubDate", ep.pub_date)
        add(item, "enclosure", url=ep.audio_url, length=str(ep.audio_bytes), type=ep.audio_type)
        add(item, f"{{{ITUNES}}}duration", str(int(round(ep.duration_ms / 1000))))
        if ep.chapters_url:
            add(item, f"{{{PODCAST}}}chapters", url=ep.chapters_url, type=MIME_TYPES["chapters"])
        for url, mime in ep.transcripts:
            add(item, f"{{{PODCAST}}}transcript", url=url, type=mime)
    ET.indent(rss, "  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def write_feed(
    folder: Path,
    base_url: str,
    output: Path | None = None,
    *,
    title: str | None = None,
    description: str | None = None,
    language: str = "en",
    author: str | None = None,
    image: str | None = None,
) -> tuple[Path, int]:
    """Write the folder's feed (default `folder/feed.xml`) atomically; returns its path and item count."""
    from podrender.output.files import write_output

    target = output or folder / "feed.xml"
    episodes = collect(folder, base_url, target)
    data = build_feed(
        episodes, title=title or folder.resolve().name, base_url=base_url, feed_name=target.name,
        description=description, language=language, author=author, image=image,
    )  # fmt: skip
    try:
        write_output(target, [data], "the feed")
    except PodrenderError as exc:
        raise FeedError(exc.detail, path=exc.path) from None
    return target, len(episodes)
