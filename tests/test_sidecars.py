"""Sidecars (JSON chapters, WebVTT, SRT, show notes) read back with independent readers: the json module,
strict WebVTT and SRT parsers written here, mutagen for the MP3's CHAP frames, ffmpeg for the audio."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DECODE_RATE, decode
from mutagen.id3 import ID3

from podrender.cli.main import cli
from podrender.config import parse_config
from podrender.errors import OutputError
from podrender.output.sidecars import (
    SIDECARS,
    Cue,
    EpisodeText,
    find_links,
    md_escape,
    parse_sidecars,
    srt_text,
    vtt_text,
)
from podrender.pipeline import render

VOICES = """\
engine: fake
narrator: Narrator
host: Host
pause_ms: 300
chapter_pause_ms: 700
speakers:
  Narrator: fake/mid
  Host: {voice: fake/high}
  Guest: {voice: fake/low, aliases: [Dr. Guest]}
episode: {description: "A show about <tags> & links.", artist: Test Artist, album: Test Show}
"""

SCRIPT = """\
Links & <Tags> Tonight

The narrator opens with a few words before anyone speaks.

Host: What should we read first?

Guest: Start with [the spec](https://example.org/spec?a=1&b=2) and then the notes.

Host: And what about a second, much longer question that goes on and on for a while?

Guest: Two things. First, this answer is long enough to be split into pieces by the planner, which cuts long
turns at sentences. Second, every piece is its own chunk. Here is a third sentence to make it longer still.
And a fourth one, because the planner wants at least two hundred characters before it cuts. A fifth sentence
follows, so that there are several pieces. The sixth sentence keeps going for a little while longer.
Then a seventh sentence arrives, with more words about chunks, caches and timelines than anyone needs.
The eighth sentence is here to push the answer well past the length where the planner starts cutting.
A ninth sentence talks about pauses, frames and the encoder delay that falls between the turns.
The tenth sentence ends the answer with a flourish.

## Resources

Host: Everything is at www.example.com/resources, and nothing else.

Dr. Guest: Thank you for having me.
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("sidecars")
    config = parse_config(VOICES, "voices.yaml")
    result = render(SCRIPT, config, output=root / "show.mp3", cache_dir=root / "cache")
    tag = ID3(result.path)
    chaps = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    return {"root": root, "result": result, "chaps": chaps}


# -- strict parsers (written from the WebVTT and SubRip formats, not from podrender's writer) ---------------


@dataclass(frozen=True)
class ParsedCue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]


_VTT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d),(\d{3})"


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def parse_vtt(text: str) -> list[ParsedCue]:
    assert "\r" not in text and "\x00" not in text
    assert text.endswith("\n")
    blocks = text[:-1].split("\n\n")
    assert blocks[0].split("\n")[0] == "WEBVTT", "the file must start with the WEBVTT signature"
    cues = []
    for block in blocks[1:]:
        if not block.strip():
            continue
        lines = block.split("\n")
        if "-->" not in lines[0]:
            assert lines[0] and "-->" not in lines[0], "a cue identifier is one line without -->"
            lines = lines[1:]
        m = re.fullmatch(_VTT_TIME + " --> " + _VTT_TIME, lines[0])
        assert m, f"bad timing line {lines[0]!r}"
        start, end = _ms(*m.groups()[:4]), _ms(*m.groups()[4:])
        body = lines[1:]
        assert body and all(line.strip() for line in body), "cue text is one or more non-empty lines"
        for line in body:
            assert "-->" not in line
            assert not re.search(r"&(?!amp;|lt;|gt;|nbsp;|lrm;|rlm;)", line), f"bare & in {line!r}"
            assert "<" not in re.sub(r"</?(?:v(?: [^<>]+)?|c|i|b|u)>", "", line), f"stray < in {line!r}"
        cues.append(ParsedCue(start, end, tuple(body)))
    return cues


def parse_srt(text: str) -> list[ParsedCue]:
    cues = []
    for number, block in enumerate([b for b in text.strip("\n").split("\n\n")], start=1):
        lines = block.split("\n")
        assert lines[0] == str(number), f"cue {number} is numbered {lines[0]!r}"
        m = re.fullmatch(_SRT_TIME + " --> " + _SRT_TIME, lines[1])
        assert m, f"bad timing line {lines[1]!r}"
        assert len(lines) > 2 and all(line.strip() for line in lines[2:])
        cues.append(ParsedCue(_ms(*m.groups()[:4]), _ms(*m.groups()[4:]), tuple(lines[2:])))
    return cues


def _unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def vtt_voice(cue: ParsedCue) -> tuple[str, str]:
    """(speaker, text) of a cue that opens with a <v> span."""
    m = re.fullmatch(r"<v ([^<>]+)>(.*)</v>", " ".join(cue.lines), re.DOTALL)
    assert m, f"cue without a voice span: {cue.lines}"
    return _unescape(m.group(1)), _unescape(m.group(2))


# -- the tests -----------------------------------------------------------------------------------------------


def test_every_sidecar_is_written_and_listed_in_the_manifest(rendered: dict) -> None:
    result = rendered["result"]
    root: Path = rendered["root"]
    manifest = json.loads((root / "show.json").read_text(encoding="utf-8"))
    assert manifest["files"] == {
        "audio": "show.mp3",
        "chapters": "show.chapters.json",
        "vtt": "show.vtt",
        "srt": "show.srt",
        "notes": "show.md",
    }
    assert manifest["format"] == "mp3" and manifest["mime_type"] == "audio/mpeg"
    assert manifest["size_bytes"] == result.path.stat().st_size
    for name in manifest["files"].values():
        assert (root / name).is_file()
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")], "no temporary files are left"


def test_json_chapters_follow_the_spec_and_match_the_chap_frames(rendered: dict) -> None:
    doc = json.loads((rendered["root"] / "show.chapters.json").read_text(encoding="utf-8"))
    assert doc["version"] == "1.2.0"
    assert doc["title"] == "Links & <Tags> Tonight"
    assert doc["author"] == "Test Artist" and doc["podcastName"] == "Test Show"
    chapters = doc["chapters"]
    chaps = rendered["chaps"]
    assert len(chapters) == len(chaps) >= 3
    starts = [c["startTime"] for c in chapters]
    assert starts == sorted(starts), "chapters are in ascending startTime order"
    for entry, chap in zip(chapters, chaps, strict=True):
        assert isinstance(entry["startTime"], (int, float)) and isinstance(entry["title"], str)
        assert round(entry["startTime"] * 1000) == chap.start_time
        assert round(entry["endTime"] * 1000) == chap.end_time
        assert entry["title"] == chap.sub_frames["TIT2"].text[0]
    by_title = {c["title"]: c for c in chapters}
    assert by_title["Introduction"].get("url") is None
    assert by_title["What should we read first?"]["url"] == "https://example.org/spec?a=1&b=2"
    assert by_title["Resources"]["url"] == "https://www.example.com/resources"


def test_webvtt_has_voice_spans_and_the_real_times_of_each_turn(rendered: dict) -> None:
    manifest = rendered["result"].manifest
    cues = parse_vtt((rendered["root"] / "show.vtt").read_text(encoding="utf-8"))
    assert len(cues) == len(rendered["result"].prepared.plan.units) > len(manifest["turns"])  # a long turn is split
    previous_end = 0
    for cue in cues:
        assert previous_end <= cue.start_ms < cue.end_ms <= manifest["duration_ms"]
        previous_end = cue.end_ms
    # Each turn's cues run from the turn's start to its end and say what the turn says, in its speaker's voice.
    position = 0
    for turn in manifest["turns"]:
        mine = cues[position : position + turn["units"]]
        position += turn["units"]
        assert mine[0].start_ms == turn["start_ms"] and mine[-1].end_ms == turn["end_ms"]
        voices = [vtt_voice(c) for c in mine]
        assert {speaker for speaker, _ in voices} == {turn["speaker"]}
        # the fixture's markup: one link, and "<Tags>", which reads as an HTML tag and is not said
        written = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", turn["text"]).replace("<Tags>", "")
        assert " ".join(text for _, text in voices).split() == written.split(), "the words as written"
        assert all(len(line) <= 65 + len("<v Narrator>") + len("</v>") for c in mine for line in c.lines)
    assert position == len(cues)
    assert vtt_voice(cues[0]) == ("Narrator", "Links & Tonight")


def test_webvtt_and_srt_escape_what_would_break_them() -> None:
    ep = EpisodeText(
        title="t", description=None, author=None, podcast=None, audio_file="t.mp3", duration_ms=5000,
        speakers=("A <B> & C",), chapters=(), links=(),
        cues=(Cue(0, 2000, "A <B> & C", "x --> y < z & w " + "word " * 20), Cue(2500, 4000, "A <B> & C", "again")),
    )  # fmt: skip
    cues = parse_vtt(vtt_text(ep))
    assert [vtt_voice(c) for c in cues] == [("A <B> & C", "x --> y < z & w " + " ".join(["word"] * 20)),
                                            ("A <B> & C", "again")]  # fmt: skip
    srt = parse_srt(srt_text(ep))
    assert " ".join(srt[0].lines).startswith("A <B> & C: x --> y") and srt[1].lines == ("again",)


def test_webvtt_cues_hold_the_sound_and_the_pauses_between_them_are_quiet(rendered: dict) -> None:
    audio = decode(rendered["result"].path)
    cues = parse_vtt((rendered["root"] / "show.vtt").read_text(encoding="utf-8"))

    def rms(a_ms: int, b_ms: int) -> float:
        seg = audio[int(a_ms * DECODE_RATE / 1000) : int(b_ms * DECODE_RATE / 1000)]
        return float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0

    for cue, nxt in zip(cues, cues[1:], strict=False):
        assert rms(cue.start_ms + 30, cue.end_ms) > 0.02, cue
        if nxt.start_ms - cue.end_ms >= 200:  # the pause between turns (pieces of one turn have none)
            assert rms(cue.end_ms + 60, nxt.start_ms) < 0.005, (cue, nxt)


def test_srt_is_numbered_timed_and_names_the_speaker_where_it_changes(rendered: dict) -> None:
    vtt = parse_vtt((rendered["root"] / "show.vtt").read_text(encoding="utf-8"))
    srt = parse_srt((rendered["root"] / "show.srt").read_text(encoding="utf-8"))
    assert [(c.start_ms, c.end_ms) for c in srt] == [(c.start_ms, c.end_ms) for c in vtt]
    previous = None
    for s, v in zip(srt, vtt, strict=True):
        speaker, text = vtt_voice(v)
        said = " ".join(s.lines)
        expected = text if speaker == previous else f"{speaker}: {text}"
        assert said.split() == expected.split()
        previous = speaker


def test_show_notes_list_chapters_with_times_and_the_links(rendered: dict) -> None:
    notes = (rendered["root"] / "show.md").read_text(encoding="utf-8")
    lines = notes.split("\n")
    assert lines[0] == r"# Links & \<Tags\> Tonight"
    assert "A show about <tags> & links." in notes
    assert "With Narrator, Host, Guest" in notes
    chapter_lines = [line for line in lines if re.match(r"- \d\d:\d\d ", line)]
    chaps = rendered["chaps"]
    assert len(chapter_lines) == len(chaps)
    for line, chap in zip(chapter_lines, chaps, strict=True):
        mm, ss = map(int, line[2:7].split(":"))
        assert mm * 60 + ss == chap.start_time // 1000
        assert chap.sub_frames["TIT2"].text[0] in line.replace("\\", "")
    links = notes[notes.index("## Links") :]
    assert "[the spec](<https://example.org/spec?a=1&b=2>)" in links
    assert "https://www.example.com/resources" in links


def test_sidecars_option_chooses_which_files_and_none_writes_none(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text(VOICES, encoding="utf-8")
    (tmp_path / "s.txt").write_text(SCRIPT, encoding="utf-8")
    runner = CliRunner()
    common = ["render", str(tmp_path / "s.txt"), "--voices", str(tmp_path / "v.yaml"), "--cache-dir",
              str(tmp_path / "c"), "-q"]  # fmt: skip
    ok = runner.invoke(cli, [*common, "-o", str(tmp_path / "a" / "ep.mp3"), "--sidecars", "vtt,notes"])
    assert ok.exit_code == 0, ok.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["ep.json", "ep.md", "ep.mp3", "ep.vtt"]
    manifest = json.loads((tmp_path / "a" / "ep.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"audio", "vtt", "notes"}
    none = runner.invoke(cli, [*common, "-o", str(tmp_path / "b" / "ep.mp3"), "--sidecars", "none"])
    assert none.exit_code == 0, none.output
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["ep.json", "ep.mp3"]
    bad = runner.invoke(cli, [*common, "--sidecars", "vtt,subtitles"])
    assert bad.exit_code == 2 and "unknown sidecar 'subtitles'" in bad.output


def test_a_sidecar_path_in_the_way_is_one_error_before_anything_is_written(tmp_path: Path) -> None:
    config = parse_config(VOICES, "voices.yaml")
    out = tmp_path / "out"
    (out / "ep.srt").mkdir(parents=True)  # something in the way
    with pytest.raises(OutputError, match=r"ep\.srt: is a folder, where the srt file goes"):
        render(SCRIPT, config, output=out / "ep.mp3", cache_dir=tmp_path / "c")
    assert sorted(p.name for p in out.iterdir()) == ["ep.srt"], "checked before anything is made or written"


def test_the_script_is_never_overwritten_by_a_sidecar(tmp_path: Path) -> None:
    script = tmp_path / "ep.md"
    script.write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "v.yaml").write_text(VOICES, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["render", str(script), "--voices", str(tmp_path / "v.yaml"), "-o", str(tmp_path / "ep.mp3")]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"Error: {script}: would overwrite the script")
    assert script.read_text(encoding="utf-8") == SCRIPT and not (tmp_path / "ep.mp3").exists()


def test_cues_show_the_words_as_written_where_the_plan_cut_them(tmp_path: Path) -> None:
    from podrender.output.sidecars import cue_texts
    from podrender.pipeline import prepare

    long = " ".join(f"Sentence {n} is about NLP. It costs ${n} in 20{n:02d}, per **Dr. Smith**." for n in range(12))
    text = f"Host: It costs $5 in 2026. [pause 1s] Then *NLP* and `model.fit()`.\n\nGuest: {long}\n"
    prepared = prepare(text, parse_config(VOICES, "voices.yaml"))
    units = prepared.plan.units
    texts = cue_texts(prepared)
    assert [u.turn for u in units[:2]] == [0, 0] and len([u for u in units if u.turn == 1]) > 2
    assert texts[:2] == ["It costs $5 in 2026.", "Then NLP and model.fit()."]
    assert "five dollars" in units[0].text  # what the engine said
    guest = " ".join(t for u, t in zip(units, texts, strict=True) if u.turn == 1)
    assert guest.split() == long.replace("**", "").split()
    assert all(t.endswith(".") for u, t in zip(units, texts, strict=True) if u.turn == 1), "cut at sentences"


def test_find_links_reads_markdown_and_bare_addresses_once_each() -> None:
    text = (
        "See [our site](https://a.example/x) or https://a.example/x again, www.b.example/path. "
        "Mail me@c.example; (https://d.example/q?x=1). ![a picture](https://e.example/p.png)"
    )
    assert [(link.url, link.label) for link in find_links(text)] == [
        ("https://a.example/x", "our site"),
        ("https://www.b.example/path", "www.b.example/path"),
        ("https://d.example/q?x=1", "https://d.example/q?x=1"),
        ("https://e.example/p.png", "a picture"),
    ]


def test_markdown_escape_and_sidecar_names() -> None:
    assert md_escape("*not* [a](link) #1 <b>") == r"\*not\* \[a\](link) \#1 \<b\>"
    assert parse_sidecars("all") == SIDECARS and parse_sidecars("none") == ()
    assert parse_sidecars(" SRT , chapters") == ("chapters", "srt")
    with pytest.raises(ValueError, match="unknown sidecar 'json'"):
        parse_sidecars("json")


REAL_VOICES = """\
narrator: Narrator
host: Ada
pause_ms: 400
chapter_pause_ms: 900
speakers:
  Narrator: {voice: "gmw/en-us+m3", rate: 190}
  Ada: {voice: "gmw/en-us+f3", rate: 190}
  Brook: {voice: "gmw/en-gb-x-rp+m7", rate: 190}
"""

REAL_SCRIPT = """\
The Lamp Room

Ada: Did the lamp keep turning all night?

Brook: It did. The manual is at https://example.org/lamp if you want it.

Ada: What should we fix before winter?

Brook: The stairs, mostly.
"""


@pytest.mark.slow
def test_real_engine_render_writes_every_sidecar_in_step_with_the_mp3(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text(REAL_VOICES, encoding="utf-8")
    (tmp_path / "lamp.txt").write_text(REAL_SCRIPT, encoding="utf-8")
    out = CliRunner().invoke(
        cli, ["render", str(tmp_path / "lamp.txt"), "--voices", str(tmp_path / "v.yaml"), "-o",
              str(tmp_path / "lamp.mp3"), "--cache-dir", str(tmp_path / "c")],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "lamp.chapters.json, lamp.vtt, lamp.srt, lamp.md" in out.output
    chaps = sorted(ID3(tmp_path / "lamp.mp3").getall("CHAP"), key=lambda c: c.start_time)
    doc = json.loads((tmp_path / "lamp.chapters.json").read_text(encoding="utf-8"))
    assert [round(c["startTime"] * 1000) for c in doc["chapters"]] == [c.start_time for c in chaps]
    assert [c["title"] for c in doc["chapters"]] == ["Introduction", "Did the lamp keep turning all night?",
                                                     "What should we fix before winter?"]  # fmt: skip
    assert doc["chapters"][1]["url"] == "https://example.org/lamp" and "url" not in doc["chapters"][2]
    cues = parse_vtt((tmp_path / "lamp.vtt").read_text(encoding="utf-8"))
    assert [vtt_voice(c)[0] for c in cues] == ["Narrator", "Ada", "Brook", "Ada", "Brook"]
    assert vtt_voice(cues[2])[1] == "It did. The manual is at https://example.org/lamp if you want it."
    srt = parse_srt((tmp_path / "lamp.srt").read_text(encoding="utf-8"))
    assert [(c.start_ms, c.end_ms) for c in srt] == [(c.start_ms, c.end_ms) for c in cues]
    # espeak's speech lies inside each cue, and the pauses between cues are silent
    audio = decode(tmp_path / "lamp.mp3")
    env = np.abs(audio)
    for cue, nxt in zip(cues, cues[1:], strict=False):
        a, b = (int(t * DECODE_RATE / 1000) for t in (cue.start_ms, nxt.start_ms))
        loud = np.flatnonzero(env[a:b] > 0.01)
        assert len(loud), cue
        assert (a + loud[0]) * 1000 / DECODE_RATE >= cue.start_ms + 20  # the codec delay comes first
        assert (a + loud[-1]) * 1000 / DECODE_RATE <= cue.end_ms + 30, cue  # silence from the end of speech on
    notes = (tmp_path / "lamp.md").read_text(encoding="utf-8")
    assert "<https://example.org/lamp>" in notes
    assert [line[2:7] for line in notes.split("\n") if re.match(r"- \d\d:\d\d ", line)] == [
        f"{c.start_time // 60000:02d}:{c.start_time // 1000 % 60:02d}" for c in chaps
    ]
