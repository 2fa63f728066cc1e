"""podrender feed: an RSS 2.0 document read back with xml.etree, its namespaces, enclosures and
Podcasting 2.0 tags checked against the files in the folder."""

from __future__ import annotations

import email.utils
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from podrender.cli.main import cli
from podrender.config import parse_config
from podrender.output.feed import podcast_guid
from podrender.pipeline import render

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
BASE = "https://example.org/my show"

VOICES = """\
engine: fake
host: Host
speakers:
  Host: fake/high
  Guest: fake/low
"""


def script(title: str, answer: str) -> str:
    return f"{title}\n\nHost: What is this episode about?\n\nGuest: {answer}\n\nHost: And then?\n\nGuest: Done.\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feed")
    shows = root / "shows"
    config = parse_config(VOICES + "episode: {description: 'Cats & <dogs>, at https://example.org/pets.'}\n")
    render(script("Cats & <Dogs>", "Pets, mostly."), config, output=shows / "cats & dogs.mp3", cache_dir=root / "c")
    config = parse_config(VOICES)
    render(script("Second Episode", "Opus files."), config, output=shows / "second.opus", cache_dir=root / "c")
    os.utime(shows / "cats & dogs.mp3", (1_700_000_000, 1_700_000_000))
    os.utime(shows / "second.opus", (1_800_000_000, 1_800_000_000))
    (shows / "other.json").write_text('{"not": "a manifest"}', encoding="utf-8")
    return shows


def run_feed(folder: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["feed", str(folder), "--base-url", BASE, *args])
    return result.exit_code, result.output


def test_feed_is_well_formed_rss_with_the_right_namespaces(folder: Path) -> None:
    code, output = run_feed(folder, "--title", "Pets & <More>")
    assert code == 0, output
    assert output.strip() == f"Wrote {folder / 'feed.xml'} (2 episodes)"
    raw = (folder / "feed.xml").read_bytes()
    assert raw.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert f'xmlns:podcast="{PODCAST}"'.encode() in raw and f'xmlns:itunes="{ITUNES}"'.encode() in raw
    root = ET.fromstring(raw)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channels = root.findall("channel")
    assert len(channels) == 1
    channel = channels[0]
    assert channel.findtext("title") == "Pets & <More>"
    assert channel.findtext("link") == "https://example.org/my%20show/"
    assert channel.findtext(f"{{{PODCAST}}}guid") == podcast_guid("https://example.org/my%20show/feed.xml")
    # every element in a namespace is in one of the three we declare
    namespaces = {el.tag[1:].split("}")[0] for el in root.iter() if el.tag.startswith("{")}
    assert namespaces <= {ITUNES, PODCAST, "http://www.w3.org/2005/Atom"}


def test_items_describe_the_files_in_the_folder(folder: Path) -> None:
    run_feed(folder)
    channel = ET.parse(folder / "feed.xml").getroot().find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Second Episode", "Cats & <Dogs>"]  # newest first
    for item in items:
        enclosure = item.find("enclosure")
        assert enclosure is not None
        url = enclosure.get("url", "")
        assert url.startswith("https://example.org/my%20show/")
        audio = folder / unquote(url.rsplit("/", 1)[1])
        manifest = json.loads(audio.with_suffix(".json").read_text(encoding="utf-8"))
        assert int(enclosure.get("length", "")) == audio.stat().st_size
        assert enclosure.get("type") == {".mp3": "audio/mpeg", ".opus": "audio/ogg"}[audio.suffix]
        assert item.findtext(f"{{{ITUNES}}}duration") == str(round(manifest["duration_ms"] / 1000))
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false" and len(guid.text or "") == 36
        when = email.utils.parsedate_to_datetime(item.findtext("pubDate") or "")
        assert when.timestamp() == int(audio.stat().st_mtime) and when.utcoffset() is not None
        chapters = item.find(f"{{{PODCAST}}}chapters")
        assert chapters is not None and chapters.get("type") == "application/json+chapters"
        assert json.loads((folder / unquote(chapters.get("url", "").rsplit("/", 1)[1])).read_text())["version"]
        transcripts = {t.get("type"): t.get("url", "") for t in item.findall(f"{{{PODCAST}}}transcript")}
        assert set(transcripts) == {"text/vtt", "application/x-subrip"}
        assert (folder / unquote(transcripts["text/vtt"].rsplit("/", 1)[1])).read_text().startswith("WEBVTT")
    assert items[1].findtext("description") == "Cats & <dogs>, at https://example.org/pets."
    assert len({i.findtext("guid") for i in items}) == 2


def test_the_feed_is_deterministic_and_keeps_pubdates_across_re_renders(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "shows"
    shutil.copytree(folder, copy)
    (copy / "feed.xml").unlink(missing_ok=True)
    run_feed(copy)
    first = (copy / "feed.xml").read_bytes()
    run_feed(copy)
    assert (copy / "feed.xml").read_bytes() == first
    os.utime(copy / "cats & dogs.mp3", (1_900_000_000, 1_900_000_000))  # as a re-render would
    run_feed(copy)
    assert (copy / "feed.xml").read_bytes() == first, "an episode already in the feed keeps its pubDate"
    (copy / "feed.xml").unlink()
    run_feed(copy)
    titles = [i.findtext("title") for i in ET.parse(copy / "feed.xml").getroot().iter("item")]
    assert titles == ["Cats & <Dogs>", "Second Episode"], "without the old feed, the file's time counts"


def test_podcast_guid_matches_the_namespace_examples() -> None:
    # the two examples given in the Podcasting 2.0 namespace's guid documentation
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("https://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_mistakes_are_one_line(folder: Path, tmp_path: Path) -> None:
    code, output = run_feed(tmp_path / "missing")
    assert code == 1 and output.strip() == f"Error: {tmp_path / 'missing'}: is not a folder"
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(folder / "second.json", broken / "second.json")
    code, output = run_feed(broken)
    assert code == 1
    assert output.strip() == f"Error: {broken / 'second.json'}: names second.opus, which is not in the folder"
    result = CliRunner().invoke(cli, ["feed", str(folder), "--base-url", "example.org"])
    assert result.exit_code == 2 and "must be an absolute http(s) URL" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = run_feed(empty)
    assert code == 0 and ET.parse(empty / "feed.xml").getroot().find("channel/item") is None


@pytest.mark.parametrize(
    ("command", "words"),
    [(["feed"], ["--base-url", "Podcasting 2.0"]), (["render"], ["--format", "m4b", "--sidecars", "vtt"])],
)
def test_help_names_the_output_options(command: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for word in words:
        assert word in text
