"""Property tests: the parsers are total (a result or a PodrenderError) and normalisation keeps words."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from podrender.config import Config, parse_config
from podrender.errors import PodrenderError, ScriptError
from podrender.input.script import ParseOptions, parse
from podrender.speech.normalize import _is_emoji, split_for_engine, spoken_text

# No example database: nothing is written outside tmp_path, and runs do not depend on earlier ones.
FAST = settings(max_examples=150, deadline=None, database=None)

# --- transcripts -----------------------------------------------------------------------------------

SCRIPT_PIECES = [
    "Alice: ", "Bob:", "ALICE: ", "Mary Ann: ", "so here is the thing: ", "Note:", "## ", "#", "[chapter:",
    "[chapter: Two]", "]", ":", "\n", "\n\n", "\r\n", " ", "\t", "\u00a0", "\ufeff", "\u2028", "hello", "Title",
    "world.", "why?", "x",
]  # fmt: skip

script_texts = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(SCRIPT_PIECES), st.text(max_size=3)), max_size=40).map("".join),
)


OPTIONS = [
    ParseOptions(),
    ParseOptions(
        aliases={"alice": "Alice", "bob": "Alice", "mary ann": "Mary"},
        skip=[re.compile("^x"), re.compile("#")],
    ),
]


@FAST
@given(script_texts, st.sampled_from(OPTIONS))
@example("", OPTIONS[0])
@example("Ann:", OPTIONS[0])
@example("## only a marker", OPTIONS[0])
@example("Title\n\nTitle", OPTIONS[0])
@example("x\n\n# y", OPTIONS[1])
def test_parse_is_total_and_turns_are_well_formed(text: str, options: ParseOptions) -> None:
    lines = len(text.split("\n"))
    try:
        script = parse(text, options)
    except ScriptError as err:
        assert err.line is not None
        assert 1 <= err.line <= lines
        return
    assert script.turns
    for i, turn in enumerate(script.turns):
        assert turn.index == i
        assert 1 <= turn.line <= lines
        assert turn.text.strip()
    assert [t.line for t in script.turns] == sorted(t.line for t in script.turns)
    for marker in script.markers:
        assert 0 <= marker.turn_index < len(script.turns)
        assert marker.title
    for skipped in script.skipped:
        assert 1 <= skipped.line <= lines


# --- voices.yaml ---------------------------------------------------------------------------------------

KEYS = [
    "engine", "narrator", "host", "pause_ms", "chapters", "speakers", "fallback_voices", "skip", "pronounce",
    "episode", "audio", "voice", "rate", "pitch", "volume", "aliases", "sample_rate", "bitrate", "channels",
    "loudness", "title", "year", "Ann", "pich", "<<", "music", "intro", "bed", "duck_db", "fade_ms", "pan",
]  # fmt: skip
SCALARS = [
    "1", "-3", "1.5", "1e400", "0x10", "x", "'quoted'", '"dq"', "yes", "~", "", ".nan", ".inf", "[", "{", "&a x",
    "*a", "&b", "2001-01-01", "[a, b]", "{a: 1}", "[[1]]", "|", ">", "# comment", "::", "- a", "fake/low",
    "44100", "[1, 2]", "'('",
]  # fmt: skip
TAGGED = ["!custom x", "!!binary zz", "!!int x", "!!str 3", "!!float y", "!!python/name:os.system"]


def yamlish(scalars: list[str]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        lines = []
        for _ in range(draw(st.integers(0, 10))):
            indent = "  " * draw(st.integers(0, 3))
            kind = draw(st.integers(0, 2))
            if kind == 0:
                lines.append(f"{indent}{draw(st.sampled_from(KEYS))}: {draw(st.sampled_from(scalars))}")
            elif kind == 1:
                lines.append(f"{indent}{draw(st.sampled_from(KEYS))}:")
            else:
                lines.append(f"{indent}- {draw(st.sampled_from(scalars))}")
        return "\n".join(lines) + "\n"

    return build()


def check_total(text: str) -> None:
    try:
        result = parse_config(text, "v.yaml")
    except PodrenderError:
        return
    assert isinstance(result, Config)


# Characters PyYAML accepts; '!' (tags) is left out here and covered below.
printable = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Cn"), blacklist_characters="!", whitelist_characters="\n\t")
)


@FAST
@given(st.one_of(printable, yamlish(SCALARS)))
@example("engine: fake\n")
@example("speakers:\n  Ann: {pich: 1}\n")
def test_parse_config_is_total(text: str) -> None:
    check_total(text)


@FAST
@given(printable)
def test_parse_config_errors_carry_a_line(text: str) -> None:
    try:
        parse_config(text, "v.yaml")
    except PodrenderError as err:
        if err.line is not None:
            assert 1 <= err.line <= len(text.splitlines()) + 1
            assert str(err).startswith(f"v.yaml line {err.line}: ")


@settings(max_examples=50, deadline=None, database=None)
@given(st.text())
@example("narrator: A\x07B\n")
def test_parse_config_is_total_on_any_text(text: str) -> None:
    check_total(text)


@settings(max_examples=50, deadline=None, database=None)
@given(yamlish(SCALARS + TAGGED))
@example("engine: !custom x\n")
def test_parse_config_is_total_with_yaml_tags(text: str) -> None:
    check_total(text)


# --- normalisation -----------------------------------------------------------------------------------

NORMALIZE_PIECES = [
    "http://", "https://", "www.", "://", "example.com", "/path", "(", ")", ":)", ";-)", "<3", "😀", "👍🏽",
    "\u200d", "\ufe0f", "—", "–", "-", "1", "`", "*", "_", "[", "]", "@", "&", "|", "\n", "\n\n", " ", ".", ",",
    "<b>", "</b>", "“", "”", "a", "NLP",
]  # fmt: skip
normalize_texts = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(NORMALIZE_PIECES), st.text(max_size=2)), max_size=40).map("".join),
)
hosts = st.lists(st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=3).map(
    lambda parts: ".".join([*parts, "com"])
)
urls = st.builds(
    lambda scheme, host, path: f"{scheme}{host}{path}",
    st.sampled_from(["http://", "https://", "HTTPS://", "www.", "http://www."]),
    hosts,
    st.sampled_from(["", "/", "/a/b", "/a?b=1&c=2", ":8080/x", "/page.html"]),
)
# Text around a URL: no letters or colons that could glue onto it or form a URL of their own.
surround = st.lists(st.sampled_from([*" .,;!?\n()", "😀", ":)", "word", "two words", "Ann"]), max_size=8).map("".join)


def has_emoji(text: str) -> bool:
    return any(_is_emoji(ch) for ch in text)


@FAST
@given(normalize_texts)
@example("Fire 🔥 and thumbs 👍🏽 and family 👨\u200d👩\u200d👧")
def test_spoken_text_never_raises_and_drops_emoji(text: str) -> None:
    out = spoken_text(text, [("NLP", "N L P")])
    assert isinstance(out, str)
    assert not has_emoji(out)
    assert out == out.strip()
    assert "\n\n\n" not in out


@FAST
@given(surround, urls, surround)
@example("see ", "https://example.com/a", ".")
@example("(", "http://example.com", ")")
def test_spoken_text_reads_no_url(before: str, url: str, after: str) -> None:
    out = spoken_text(f"{before} {url} {after}")
    assert "http" not in out.lower()
    assert "://" not in out
    assert "www." not in out.lower()
    assert not has_emoji(out)


@settings(max_examples=30, deadline=None, database=None)
@given(normalize_texts)
@example("get it from ftp://files.example.com/soup.txt today")
def test_spoken_text_never_contains_a_scheme_separator(text: str) -> None:
    assert "://" not in spoken_text(text)


# --- splitting for the engine ----------------------------------------------------------------------

# Plain words; closing quotes after a sentence end are covered in test_normalize.py.
word = st.one_of(
    st.text(
        st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc"), blacklist_characters="\"')]"),
        min_size=1,
        max_size=9,
    ),
    st.sampled_from(["Dr.", "e.g.", "etc.", "Yes.", "Why?", "No!", "x,", "end.", "A.", "(Ok"]),
)
# What spoken_text hands over: single spaces inside paragraphs, blank lines between them.
separator = st.sampled_from([" ", "\n\n", ", ", "; "])


@st.composite
def prose(draw: st.DrawFn) -> str:
    words = draw(st.lists(word, max_size=60))
    return "".join(w + draw(separator) for w in words)


@FAST
@given(prose(), st.integers(min_value=12, max_value=80))
@example("One. Two three four five six, seven eight nine ten eleven. Twelve.", 12)
def test_split_for_engine_keeps_words_and_limit(text: str, limit: int) -> None:
    pieces = split_for_engine(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert " ".join(pieces).split() == text.split()


@settings(max_examples=30, deadline=None, database=None)
@given(prose(), st.sampled_from(['"', ")", "']"]))
@example("One. Two three four five six, seven eight nine ten eleven. Twelve.", '"')
def test_split_for_engine_keeps_closing_quotes(text: str, closing: str) -> None:
    text = f'She said "Stop now, please.{closing} Then (he) left. {text}'
    pieces = split_for_engine(text, 30)
    assert " ".join(pieces).split() == text.split()


@FAST
@given(st.text(max_size=300), st.integers(min_value=10, max_value=2000))
def test_split_for_engine_short_text_is_one_piece(text: str, limit: int) -> None:
    if len(text) <= limit:
        assert split_for_engine(text, limit) == [text]
    else:
        assert "".join(" ".join(split_for_engine(text, limit)).split()) == "".join(text.split())


@settings(max_examples=30, deadline=None, database=None)
@given(st.text("abc", min_size=12, max_size=40), st.integers(min_value=2, max_value=10))
@example("a" * 25, 10)
def test_split_for_engine_respects_limit_inside_long_words(text: str, limit: int) -> None:
    assert all(len(p) <= limit for p in split_for_engine(text, limit))
