"""Fuzzing: every reader of user input either returns a value or raises PodrenderError with a location,
and the whole render path (fake engine, real levelling, encoding and assembly) survives generated
scripts. The budget (examples per property) is stated in docs/reliability.md; keep them in step.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mutagen.mp3 import MP3

from podrender.config import Config, parse_config
from podrender.errors import PodrenderError, ScriptError
from podrender.input.formats import parse_options, parse_script
from podrender.input.source import decode_script
from podrender.pipeline import prepare, render

# No example database: nothing is written outside tmp_path, and runs do not depend on earlier ones.
# PODRENDER_FUZZ_SCALE=10 runs ten times as many examples (a longer hunt, not for every test run);
# with PODRENDER_FUZZ_RANDOM=1 the examples are fresh each run (conftest.py: repeatable by default).
BUDGET = {"decode": 300, "parse": 200, "prepare": 150, "config": 200, "lexicon": 100, "render": 30, "hostile": 25}
SCALE = float(os.environ.get("PODRENDER_FUZZ_SCALE", "1"))


def budget(name: str) -> settings:
    return settings(max_examples=max(1, int(BUDGET[name] * SCALE)), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip


PIECES = [
    "Ann: ", "Ben:", "BEN: ", "Dr. Lee: ", "Note: ", "so here is the thing: ", "## ", "[chapter: Two]", "[pause 2s]",
    "Q: ", "A: ", "INT. KITCHEN - DAY", "ANN\n", "(beat)", "00:01:02 ", "[00:00:05] ", "00:00:01,000 --> 00:00:02,000",
    "WEBVTT", "-->", "---", "- ", "speaker: ", "text: ", "{", "}", "[", "]", '"', "\n", "\n\n", "\r\n", " ", "\t",
    "\u00a0", "\x85", "\u2028", "\u2029", "\ufeff", "\u200b", "\u200d", "\u202e", "e\u0301", "مرحبا", "你好。",
    "😀", "👍🏽", "http://x.io/a", ":)", "hello", "world.", "why?", "12", "1990s", "$5", "x", "**b**", "`c`",
    # the shapes of real transcripts: plays, mission logs, briefings, blog Markdown
    "ACT I", "SCENE II. A street.", "FIRST ACT", "ANN.\n", "Enter Ann.", "[_Exit._]", "[Aside", "Exeunt",
    "*** START OF THE PROJECT GUTENBERG EBOOK X ***", "*** END OF THE PROJECT GUTENBERG EBOOK X ***", "Title: T",
    "[-00:00:00:10]", "_page : 5", "_tape : ", "[glossary:LM|lm]", "{{< figure >}}", "{% x %}", "{{<",
    "(Laughter.)", "Q    ", "Q - ", "5:16 P.M. EDT", "**Getting Started:**", "**Ann:** ", "<https://x.io>",
    "title: \"a\\_b\"", "\\[00:01\\]",
]  # fmt: skip
scripts = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=40).map("".join),
)
NAMES = ["talk.txt", "talk.md", "talk.vtt", "talk.srt", "talk.json", "talk.yaml", "talk.fountain", "script"]


def lines_of(text: str) -> int:
    return len(text.split("\n"))


#: Errors about the whole input, which name the file but no line.
WHOLE_FILE = re.compile(
    r"is empty|has only whitespace|nothing (left )?to say|nested too deeply|turns are accepted|speakers; scripts"
)


def located(err: PodrenderError, lines: int) -> None:
    """An error about the input is one line naming the line it is about (or the file, for the whole)."""
    assert "\n" not in str(err), str(err)
    if err.line is None:
        assert err.path and WHOLE_FILE.search(err.detail), f"no line in: {err}"
        return
    assert 1 <= err.line <= lines + 1, (err.line, lines, str(err))


@budget("decode")
@given(st.one_of(st.binary(max_size=300), scripts.map(lambda t: t.encode("utf-8")), scripts.map(
    lambda t: t.encode("utf-16"))))  # fmt: skip
@example(b"Ann: caf\xe9\n")
@example(b"\xff\xfeA")
def test_decode_is_total(data: bytes) -> None:
    try:
        text = decode_script(data, "talk.txt")
    except ScriptError as err:
        assert str(err).startswith("talk.txt")
        if "UTF-8" in str(err):
            located(err, data.count(b"\n") + 1)
        return
    assert "\r" not in text and "\u200b" not in text


@budget("parse")
@given(scripts, st.sampled_from(NAMES))
@example("Ann:", "talk.txt")
@example("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n", "talk.vtt")
@example("[{", "talk.json")
@example("[" * 3000, "talk.json")
@example("ok\n\x07", "talk.yaml")
@example("- speaker: Ann\n", "talk.yaml")
@example("\x85\x850", "talk.json")  # YAML breaks lines at NEL; the user's editor does not
def test_every_input_format_parses_or_names_the_line(text: str, name: str) -> None:
    try:
        script = parse_script(text, parse_options(Config()), name=name)
    except PodrenderError as err:
        located(err, lines_of(text))
        return
    assert script.turns
    assert all(t.text.strip() for t in script.turns)


FAKE = parse_config("engine: fake\nspeakers:\n  Ann: fake/low\n  Ben: fake/high\n", "voices.yaml")


@budget("prepare")
@given(scripts)
@example("Ann: " + "word " * 2000)
@example("Ann: " + "x" * 5000)
def test_prepare_is_total_and_units_fit_the_engine(text: str) -> None:
    try:
        prepared = prepare(text, FAKE, source="talk.txt")
    except PodrenderError as err:
        located(err, lines_of(text))
        return
    assert all(0 < len(u.text) <= 1500 for u in prepared.plan.units)
    assert all(u.text.strip() == u.text for u in prepared.plan.units)


KEYS = ["engine", "narrator", "host", "pause_ms", "speakers", "fallback_voices", "skip", "pronounce", "episode",
        "audio", "voice", "rate", "pitch", "aliases", "sample_rate", "bitrate", "Ann", "<<"]  # fmt: skip
SCALARS = ["1", "-3", "1e400", "x", "'q'", "yes", "~", "", ".nan", "[", "{", "&a x", "*a", "[a, b]", "{a: 1}",
           "fake/low", "!!binary zz", "!custom x", "|", "- a", "\u0007", "\ufeff", "\t",
           "a\x85b", "\u2028"]  # fmt: skip


@st.composite
def yamlish(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 10))):
        indent = "  " * draw(st.integers(0, 3))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            lines.append(f"{indent}{draw(st.sampled_from(KEYS))}: {draw(st.sampled_from(SCALARS))}")
        elif kind == 1:
            lines.append(f"{indent}{draw(st.sampled_from(KEYS))}:")
        else:
            lines.append(f"{indent}- {draw(st.sampled_from(SCALARS))}")
    return "\n".join(lines) + "\n"


@budget("config")
@given(st.one_of(yamlish(), st.text(max_size=200)))
@example("skip: " + "[" * 1000 + "]" * 1000 + "\n")
@example("engine: fake\nnarrator: A\x07B\n")
@example("skip: ['(']\n")
@example("pause_ms: |\n  engine: 1\n")  # a multi-line value quoted in the error
def test_config_parses_or_names_the_line(text: str) -> None:
    try:
        config = parse_config(text, "voices.yaml")
    except PodrenderError as err:
        located(err, lines_of(text))
        assert str(err).startswith(f"voices.yaml line {err.line}: " if err.line else "voices.yaml: ")
        return
    assert isinstance(config, Config)


LEXICON_PIECES = ["NLP", ": ", "N L P", "\n", "[[", "]]", "'", '"', "- ", "{", "}", "&a ", "*a", "!!str ", "\t", "#",
                  "\u0007", "word", "  ", "\x85"]  # fmt: skip


@budget("lexicon")
@given(text=st.one_of(st.text(max_size=100), st.lists(st.sampled_from(LEXICON_PIECES), max_size=20).map("".join)))
@example(text="NLP: [[En El pi]]\n")
@example(text="NLP: [[unclosed\n")
def test_pronounce_files_load_or_name_their_line(text: str, tmp_path: Path) -> None:
    lexicon = tmp_path / "words.yaml"
    lexicon.write_text(text, encoding="utf-8")
    try:
        config = parse_config("pronounce_files: [words.yaml]\n", "voices.yaml", tmp_path)
    except PodrenderError as err:
        located(err, lines_of(text))
        assert str(err).startswith((f"{lexicon} line ", f"{lexicon}: ", "voices.yaml line 1: ")), str(err)
        return
    assert all(word.strip() for word, _ in config.pronounce)


RENDER_PIECES = ["Ann: ", "Ben: ", "Cleo: ", "\n\n", "## Part", "hello there", "boats and tides.", "why?", "😀",
                 "[pause 1s]", "مرحبا", "12 boats", ":)", "x", " "]  # fmt: skip


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-cache")


@budget("render")
@given(text=st.lists(st.sampled_from(RENDER_PIECES), min_size=1, max_size=14).map("".join))
@example(text="Ann: 😀")
@example(text="Ann: hello there\n\nCleo: why?\n\n## Part\n\nBen: boats and tides.")
def test_render_path_survives_generated_scripts(text: str, shared_cache: Path, tmp_path: Path) -> None:
    target = tmp_path / "fuzz.mp3"  # tmp_path is shared by the examples: start each without a file
    target.unlink(missing_ok=True)
    try:
        result = render(text, FAKE, source="fuzz.txt", output=target, cache_dir=shared_cache, jobs=2)
    except ScriptError as err:
        assert re.search(r"nothing (left )?to say|is empty|only whitespace", str(err)), str(err)
        assert not target.exists()
        return
    info = MP3(result.path).info
    assert abs(info.length * 1000 - result.timeline.duration_ms) < 60
    assert len(result.manifest["turns"]) == len({u.turn for u in result.prepared.plan.units})
    chapters = [c["start_ms"] for c in result.manifest["chapters"]]
    assert chapters == sorted(chapters) and all(0 <= c < result.timeline.duration_ms for c in chapters)


# --- hostile scripts: anchors, huge counts, control characters, through inspect under a time and memory bound


@st.composite
def hostile_scripts(draw: st.DrawFn) -> tuple[str, str]:
    """(text, file name): a YAML script whose aliases nest (a bomb when deep and wide), a JSON script with
    a huge turn count, or text with a label repeated a huge number of times and control characters."""
    kind = draw(st.sampled_from(["yaml", "json", "text"]))
    if kind == "yaml":
        depth, width = draw(st.integers(1, 12)), draw(st.integers(1, 10))
        words = draw(st.text(alphabet="ab \x07\x85\t", max_size=20)).replace('"', "")
        lines = [f'a0: &a0 "{words} words"']
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth + 1)]
        alias = draw(st.sampled_from([f"*a{depth}", "*a0", "&self [*self]"]))
        lines += ["turns:", "  - speaker: Ann", f"    text: {alias}"]
        return "\n".join(lines) + "\n", "talk.yaml"
    if kind == "json":
        count = draw(st.sampled_from([1, 10, 1_000, 50_001, 200_000]))
        turn = draw(st.sampled_from(['{"speaker":"Ann","text":"Hi."}', '{"narration":"x\\u0007y"}', '{"pause":1}']))
        return '{"turns":[' + ",".join([turn] * count) + "]}", "talk.json"
    count = draw(st.sampled_from([1, 100, 5_001, 50_001]))
    label = draw(st.sampled_from(["Ann: ", "ANN\n    ", "Q: ", "[00:00:01] Ann: ", "\x00Ann: ", "Ann\x07: "]))
    filler = draw(st.text(alphabet="ab .\x0b\x0c\x1b\u200b\u202e", max_size=30))
    return "Hostile\n\n" + "".join(f"{label}{filler} line {i}.\n" for i in range(count)), "talk.txt"


@budget("hostile")
@given(hostile_scripts())
@example(("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)) + "turns:\n  - speaker: Ann\n"
    "    text: *a8\n", "talk.yaml"))  # a billion laughs
def test_hostile_scripts_are_inspected_or_refused_in_bounded_time_and_memory(case: tuple[str, str]) -> None:
    """inspect's library calls (prepare, then the cast sheet) either give a sheet or one located error, within
    20 s of CPU and 400 MB of Python allocations for any of these (a 158 KB YAML script expanded to 33 million
    words and a million-turn JSON script took 148 s and 9.9 GB before the limits)."""
    import time
    import tracemalloc

    from podrender.output.castsheet import cast_sheet

    text, name = case
    tracemalloc.start()
    start = time.process_time()
    try:
        cast_sheet(prepare(text, FAKE, source=name))
    except PodrenderError as err:
        located(err, lines_of(text))
    finally:
        seconds = time.process_time() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert seconds < 20, seconds
    assert peak < 400 * 1024 * 1024, peak

