"""The plain transcript parser (podrender.input.script) and the byte decoder (podrender.input.source)."""

from __future__ import annotations

import re

import pytest

from podrender.errors import ScriptError
from podrender.input.script import ParseOptions, Script, Turn, match_label, parse
from podrender.input.source import decode_script, read_script


def spoken(script: Script) -> list[Turn]:
    """The turns after the title."""
    return [t for t in script.turns if not t.is_title]


def who_said(script: Script) -> list[tuple[str | None, str]]:
    return [(t.speaker, t.text) for t in spoken(script)]


# --- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "label", "rest"),
    [
        ("Alice: Hello.", "Alice", "Hello."),
        ("Mary Ann Lee Smith: four words", "Mary Ann Lee Smith", "four words"),
        ("Jean de la Fontaine: particles are fine", "Jean de la Fontaine", "particles are fine"),
        ("Dr. Smith: hi", "Dr. Smith", "hi"),
        ("O'Brien: hi", "O'Brien", "hi"),
        ("Anne-Marie: hi", "Anne-Marie", "hi"),
        ("Zoë: hi", "Zoë", "hi"),
        ("Alice : space before the colon", "Alice", "space before the colon"),
        ("Note:", "Note", ""),
        ("A" * 40 + ": exactly forty", "A" * 40, "exactly forty"),
    ],
)
def test_match_label_accepts_speaker_labels(line: str, label: str, rest: str) -> None:
    assert match_label(line) == (label, rest)


@pytest.mark.parametrize(
    "line",
    [
        "Mary Ann Lee Smith Jones: five words is too many",
        "A" * 41 + ": forty-one characters",
        "so here is the thing: x",
        "The answer is: yes",  # 'is' is lower-case and not a name particle
        "2 Things: numbers do not start names",
        "Time:10",  # no space after the colon
        "https://example.com: a link",
        "Just a sentence without a colon",
    ],
)
def test_match_label_rejects_prose(line: str) -> None:
    assert match_label(line) is None


def test_known_speakers_match_case_insensitively() -> None:
    assert match_label("alice: hi") is None
    assert match_label("alice: hi", {"alice": "Alice"}) == ("alice", "hi")


def test_labels_open_turns_and_unlabeled_paragraphs_continue_them() -> None:
    script = parse(
        "Alice: Hello there, how are you?\n"
        "\n"
        "I hope the trip went well.\n"
        "\n"
        "Bob: Fine, thanks.\n"
        "\n"
        "so here is the thing: it rained.\n"
        "\n"
        "Alice: Oh no.\n"
    )
    assert script.title is None
    assert who_said(script) == [
        ("Alice", "Hello there, how are you?\n\nI hope the trip went well."),
        ("Bob", "Fine, thanks.\n\nso here is the thing: it rained."),
        ("Alice", "Oh no."),
    ]
    assert [t.line for t in script.turns] == [1, 5, 9]
    assert [t.index for t in script.turns] == [0, 1, 2]
    assert script.speakers == ("Alice", "Bob")


def test_lines_of_one_block_join_with_spaces() -> None:
    script = parse("Alice: one\ntwo\nthree\n\nBob: four")
    assert who_said(script) == [("Alice", "one two three"), ("Bob", "four")]


def test_label_alone_on_its_line_takes_the_following_text() -> None:
    script = parse("Alice:\nHello from the next line.\n\nBob: Hi.")
    assert who_said(script) == [("Alice", "Hello from the next line."), ("Bob", "Hi.")]


def test_narration_before_first_and_after_last_label() -> None:
    script = parse(
        "Welcome to the episode. Today we talk about soup.\n"
        "\n"
        "It is a big topic.\n"
        "\n"
        "Ann: Soup is great.\n"
        "\n"
        "Ben: Agreed.\n"
        "\n"
        "Thanks for listening.\n"
        "\n"
        "See you next week.\n"
    )
    assert who_said(script) == [
        (None, "Welcome to the episode. Today we talk about soup.\n\nIt is a big topic."),
        ("Ann", "Soup is great."),
        ("Ben", "Agreed."),
        (None, "Thanks for listening.\n\nSee you next week."),
    ]
    assert [t.label for t in script.turns] == [None, "Ann", "Ben", None]
    assert script.speakers == ("Ann", "Ben")


def test_script_without_labels_is_all_narration() -> None:
    script = parse("First paragraph here.\n\nSecond paragraph here.")
    assert who_said(script) == [(None, "First paragraph here.\n\nSecond paragraph here.")]
    assert script.speakers == ()


# --- aliases ----------------------------------------------------------------------------------------


def test_aliases_map_labels_case_insensitively_to_canonical_names() -> None:
    options = ParseOptions(aliases={"sasha": "Sasha", "alexander": "Sasha", "maya": "Maya"})
    script = parse(
        "maya: Who are you?\n\nALEXANDER: Sasha, mostly.\n\nSasha: Or Alexander.\n\nMAYA: Both then.",
        options,
    )
    assert [t.speaker for t in script.turns] == ["Maya", "Sasha", "Sasha", "Maya"]
    assert [t.label for t in script.turns] == ["maya", "ALEXANDER", "Sasha", "MAYA"]
    assert script.speakers == ("Maya", "Sasha")
    assert script.labels == {"Maya": ("maya", "MAYA"), "Sasha": ("ALEXANDER", "Sasha")}


def test_alias_keys_are_casefolded() -> None:
    options = ParseOptions(aliases={"AleX": "Sasha"})
    script = parse("alex: hi\n\nALEX: hi again", options)
    assert [t.speaker for t in script.turns] == ["Sasha", "Sasha"]


def test_without_aliases_spellings_differing_only_in_case_are_one_speaker() -> None:
    script = parse("Bob: hi\n\nBOB: again\n\nCarol: yes")
    assert [t.speaker for t in script.turns] == ["Bob", "Bob", "Carol"]
    assert script.labels["Bob"] == ("Bob", "BOB")


def test_lowercase_label_is_prose_unless_the_speaker_is_known() -> None:
    text = "Ann: Hi.\n\nben: lower case\n\nAnn: Bye."
    assert who_said(parse(text)) == [("Ann", "Hi.\n\nben: lower case"), ("Ann", "Bye.")]
    known = parse(text, ParseOptions(aliases={"ben": "Ben"}))
    assert [t.speaker for t in known.turns] == ["Ann", "Ben", "Ann"]


# --- title ------------------------------------------------------------------------------------------


def test_short_first_line_is_the_title() -> None:
    script = parse("Soup Stories\n\nAnn: Hi.\n")
    assert script.title == "Soup Stories"
    first = script.turns[0]
    assert first.is_title and first.speaker is None and first.text == "Soup Stories" and first.line == 1
    assert [t.is_title for t in script.turns] == [True, False]
    assert script.turns[1].index == 1


def test_markdown_heading_title_loses_its_hashes() -> None:
    assert parse("# Soup Stories\n\nAnn: Hi.").title == "Soup Stories"


@pytest.mark.parametrize(
    "first",
    [
        "This is a sentence.",
        "Is this a question?",
        "Wow!",
        "Ann: a label, not a title",
        "## A chapter marker",
        "x" * 121,
    ],
)
def test_first_line_that_is_not_a_title(first: str) -> None:
    script = parse(f"{first}\n\nBen: Hi.")
    assert script.title is None
    assert not any(t.is_title for t in script.turns)


def test_first_block_of_two_lines_is_not_a_title() -> None:
    script = parse("Soup Stories\nepisode one\n\nAnn: Hi.")
    assert script.title is None
    assert script.turns[0].text == "Soup Stories episode one"


def test_paragraph_repeating_the_title_is_skipped() -> None:
    script = parse("Soup Stories\n\nsoup   STORIES\n\nAnn: Hi.")
    assert script.title == "Soup Stories"
    assert [t.text for t in script.turns] == ["Soup Stories", "Hi."]
    assert len(script.skipped) == 1
    skipped = script.skipped[0]
    assert skipped.line == 3
    assert skipped.reason == "repeats the title"


# --- skip rules -------------------------------------------------------------------------------------


def test_skip_rules_drop_lines_and_record_them() -> None:
    options = ParseOptions(skip=[re.compile(r"^Get the app$"), re.compile(r"^\[ad\]")])
    script = parse(
        "Ann: First line.\nGet the app\nstill Ann.\n\n[ad] buy soup\n\nBen: Hi.\n\nGet the app\n",
        options,
    )
    assert who_said(script) == [("Ann", "First line. still Ann."), ("Ben", "Hi.")]
    assert [(s.line, s.text) for s in script.skipped] == [(2, "Get the app"), (5, "[ad] buy soup"), (9, "Get the app")]
    assert all(s.reason.startswith("skip rule") for s in script.skipped)
    assert "^Get the app$" in script.skipped[0].reason


def test_skipped_entries_are_sorted_by_line() -> None:
    options = ParseOptions(skip=[re.compile("DROP")])
    script = parse("Show\n\nDROP me\n\nShow\n\nAnn: Hi.\n\nDROP me too", options)
    assert [s.line for s in script.skipped] == sorted(s.line for s in script.skipped)
    assert {s.reason for s in script.skipped} == {"repeats the title", "skip rule 'DROP'"}


def test_label_with_no_text_is_skipped() -> None:
    script = parse("Ann: Hi.\n\nBen:\n\nAnn: Anyone?")
    # An empty label between two of Ann's turns says nothing; the unlabeled rule does not apply.
    assert [t.speaker for t in script.turns] == ["Ann", "Ann"]
    assert [(s.line, s.reason) for s in script.skipped] == [(3, "label with no text")]


# --- chapter markers ---------------------------------------------------------------------------------


def test_chapter_markers_point_at_the_following_turn() -> None:
    script = parse(
        "# Soup Stories\n\nAnn: Hi.\n\n[Chapter:   Deep Dive  ]\nBen: Let us go deep.\n\n## Wrap up ##\n\nAnn: Bye.\n"
    )
    assert [(m.title, m.turn_index, m.line) for m in script.markers] == [("Deep Dive", 2, 5), ("Wrap up", 3, 8)]
    assert script.turns[2].text == "Let us go deep."
    assert script.turns[3].text == "Bye."
    # Markers are never spoken.
    assert all("Deep Dive" not in t.text and "Wrap up" not in t.text for t in script.turns)


def test_marker_splits_a_speakers_continuation_into_a_new_turn() -> None:
    script = parse("Ann: Hi.\n\n## Part two\n\nmore from Ann\n\nBen: Yo.")
    assert who_said(script) == [("Ann", "Hi."), ("Ann", "more from Ann"), ("Ben", "Yo.")]
    assert [(m.title, m.turn_index) for m in script.markers] == [("Part two", 1)]


def test_marker_splits_closing_narration() -> None:
    script = parse("Ann: Hi.\n\nClosing words.\n\n## Outro\n\nFinal words.")
    assert who_said(script) == [("Ann", "Hi."), (None, "Closing words."), (None, "Final words.")]
    assert [(m.title, m.turn_index) for m in script.markers] == [("Outro", 2)]


def test_marker_with_nothing_after_it_is_dropped() -> None:
    script = parse("Ann: Hi.\n\n## Nothing follows")
    assert script.markers == ()
    assert len(script.turns) == 1


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n\n", "   \n \t \n"])
def test_empty_script_raises(text: str) -> None:
    with pytest.raises(ScriptError, match="nothing to say") as info:
        parse(text)
    assert info.value.line == 1


def test_script_whose_lines_are_all_skipped_raises_with_the_last_line() -> None:
    options = ParseOptions(skip=[re.compile("^ad:")])
    with pytest.raises(ScriptError, match="nothing to say") as info:
        parse("ad: one.\n\nad: two.\nad: three.", options)
    assert info.value.line == 4


def test_script_with_only_empty_labels_raises() -> None:
    with pytest.raises(ScriptError) as info:
        parse("Ann:\n\nBen:")
    assert info.value.line == 3


def test_script_of_only_markers_raises() -> None:
    with pytest.raises(ScriptError):
        parse("## One\n\n[chapter: Two]")


# --- decoding bytes ---------------------------------------------------------------------------------


def test_decode_handles_bom_crlf_cr_and_tabs() -> None:
    data = b"\xef\xbb\xbfAnn:\tHello\r\nthere\r\n\r\nBen: Hi\rthere"
    text = decode_script(data)
    assert text == "Ann: Hello\nthere\n\nBen: Hi\nthere"
    assert who_said(parse(text)) == [("Ann", "Hello there"), ("Ben", "Hi there")]


def test_decode_utf16_with_bom() -> None:
    text = decode_script("Ann: Grüße\r\n".encode("utf-16"))
    assert text == "Ann: Grüße\n"


def test_decode_invalid_utf16_raises() -> None:
    with pytest.raises(ScriptError, match="UTF-16"):
        decode_script(b"\xff\xfeA")


def test_decode_non_utf8_names_the_line() -> None:
    data = b"Ann: hi\nBen: ok\nCaf" + b"\xe9 au lait\n"
    with pytest.raises(ScriptError) as info:
        decode_script(data, "talk.txt")
    err = info.value
    assert err.line == 3
    assert err.path == "talk.txt"
    assert "0xe9" in str(err)
    assert str(err).startswith("talk.txt line 3: ")


def test_decode_binary_raises() -> None:
    with pytest.raises(ScriptError, match="binary"):
        decode_script(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_parse_ignores_a_bom_and_nbsp_left_in_the_text() -> None:
    script = parse("\ufeffAnn:\u00a0Hello\u00a0there.")
    assert who_said(script) == [("Ann", "Hello there.")]


def test_read_script_errors(tmp_path) -> None:
    with pytest.raises(ScriptError, match="no such file"):
        read_script(tmp_path / "missing.txt")
    with pytest.raises(ScriptError, match="is a directory"):
        read_script(tmp_path)
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"")
    with pytest.raises(ScriptError, match="is empty"):
        read_script(blank)
    spaces = tmp_path / "spaces.txt"
    spaces.write_bytes(b"  \r\n\t\n")
    with pytest.raises(ScriptError, match="whitespace"):
        read_script(spaces)
    good = tmp_path / "good.txt"
    good.write_bytes(b"Ann: hi\r\n")
    assert read_script(good) == "Ann: hi\n"
