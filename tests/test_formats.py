"""Input formats (podrender.input.formats): detection, each parser, the schema check, and inline pauses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podrender.config import parse_config
from podrender.errors import ConfigError, ScriptError
from podrender.input.formats import FORMATS, detect, parse_options, parse_script, resolve_name, with_script_voices
from podrender.input.formats.labels import find_label, speaker_key
from podrender.input.formats.pause import split_pauses, strip_pauses
from podrender.input.formats.schema import load_schema
from podrender.input.script import ParseOptions, Script
from podrender.input.source import read_script

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
OPTIONS = ParseOptions(qa={"Q": "Host", "A": "Guest"})


def load(name: str, options: ParseOptions = OPTIONS, as_name: str | None = None) -> Script:
    return parse_script(read_script(FIXTURES / name), options, name=as_name or name)


def said(script: Script) -> list[tuple[str | None, str]]:
    return [(t.speaker, t.text) for t in script.turns if not t.is_title]


def chapters(script: Script) -> list[tuple[str, int]]:
    return [(m.title, m.turn_index) for m in script.markers]


# --- detection --------------------------------------------------------------------------------------

FIXTURE_FORMATS = {
    "bread.yaml": "script",
    "bread.json": "script",
    "night-trains.md": "markdown",
    "beekeeper-otter.txt": "timestamped",
    "harbour-rev.txt": "timestamped",
    "morning-desk.txt": "radio",
    "ask-the-gardener.txt": "radio",
    "lighthouse.txt": "play",
    "urban-trees.vtt": "vtt",
    "night-market.srt": "srt",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(FIXTURE_FORMATS.items()))
def test_every_fixture_is_detected_by_extension_and_by_content(name: str, fmt: str) -> None:
    text = read_script(FIXTURES / name)
    by_name = detect(text, name)
    assert by_name.format == fmt
    ext = Path(name).suffix
    if ext != ".txt":
        assert by_name.reason == f"from the {ext} extension"
    # Without the telling extension, the content alone decides.
    by_content = detect(text, "upload.txt")
    assert by_content.format == fmt, by_content
    assert by_content.reason.startswith("detected from content: ")


def test_plain_transcripts_stay_plain() -> None:
    text = "Soup Talk\n\nAnn: Hello.\n\nBen: Hi there.\n\nAnn: Bye.\n"
    assert detect(text, "talk.txt").format == "plain"
    assert parse_script(text, OPTIONS, name="talk.txt").input_format == "plain"
    # A single `Name: text` line (what `podrender say` builds) is plain too.
    assert detect("Alice: one line [pause 1s] and more.", "say").format == "plain"


def test_input_format_overrides_detection_and_aliases_resolve() -> None:
    text = read_script(FIXTURES / "morning-desk.txt")
    script = parse_script(text, OPTIONS, name="morning-desk.txt", input_format="plain")
    assert (script.input_format, script.detected_by) == ("plain", "chosen with --input-format")
    assert "JOHN SMITH" in script.speakers and "John Smith" not in script.speakers  # plain keeps the first spelling
    assert {resolve_name(n) for n in ("yaml", "json", "md", "qa", "screenplay", "webvtt", "txt")} == {
        "script", "markdown", "radio", "play", "vtt", "plain"}  # fmt: skip
    with pytest.raises(ScriptError, match=r"unknown input format 'docx' \(choose one of plain, script"):
        resolve_name("docx")
    assert set(FORMATS) == {"plain", "script", "markdown", "timestamped", "radio", "play", "vtt", "srt", "html"}


# --- the label-versus-prose rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("JOHN SMITH: hello", "JOHN SMITH"),
        ("MR. SMITH: hello", "MR. SMITH"),
        ("DR. JONES: hello", "DR. JONES"),
        ("Zoë Ångström: hej", "Zoë Ångström"),
        ("Q: why?", "Q"),
        ("Note: this one is a speaker because voices.yaml says so", "Note"),
    ],
)
def test_labels_that_open_turns(line: str, label: str) -> None:
    known = {"note": "Note"} if line.startswith("Note") else {}
    found = find_label(line, known, {"q": "Host", "a": "Guest"})
    assert found is not None and found[0] == label


@pytest.mark.parametrize(
    "line", ["Note: bring gloves.", "Update: the ferry is back.", "WARNING: hot", "Example: two cups", "Tip: salt it",
             "The answer is: yes", "Step 2: stir"]
)  # fmt: skip
def test_prose_that_looks_like_a_label(line: str) -> None:
    assert find_label(line, {}, {"q": "Host", "a": "Guest"}) is None


def test_speaker_keys_ignore_case_spacing_and_honorific_dots() -> None:
    assert speaker_key("JOHN  SMITH") == speaker_key("John Smith")
    assert speaker_key("DR JONES") == speaker_key("Dr. Jones")
    assert speaker_key("Mr. Smith") != speaker_key("John Smith")


# --- each parser ------------------------------------------------------------------------------------


def test_structured_yaml_script() -> None:
    script = load("bread.yaml")
    assert script.title == "Bread at Altitude"
    assert script.speakers == ("Inès Moreau", "Tomas")
    assert said(script) == [
        (None, "This is Bread at Altitude, a show about baking where the air is thin."),
        ("Inès Moreau", "Up here the air pressure is lower, so the gas in the dough expands sooner. [pause 1500ms]"),
        ("Tomas", "So you cut the yeast?\n\nBy how much, roughly?"),
        ("Inès Moreau", "About a quarter. [pause 500ms] Then watch the dough, not the clock."),  # via the alias Inès
        ("Tomas", "Water boils cooler up here too, right?"),
        ("Inès Moreau", "Around ninety-three degrees at two thousand metres."),
        (None, "Thanks for listening."),
    ]
    assert chapters(script) == [("Why dough rises faster", 2), ("Boiling point", 5)]
    assert [(v.name, v.rate, v.pitch, v.aliases) for v in script.voices] == [
        ("Inès Moreau", 165, None, ("Inès",)), ("Tomas", None, 40, ())]  # fmt: skip
    assert script.turns[2].line == 12  # the line of the text, for messages


def test_structured_voices_are_laid_over_voices_yaml() -> None:
    config = parse_config("speakers:\n  Tomas: {voice: en-us+m3, rate: 150}\n")
    merged = with_script_voices(config, load("bread.yaml"))
    tomas, ines = merged.speaker("Tomas"), merged.speaker("Inès Moreau")
    assert tomas is not None and (tomas.voice, tomas.rate, tomas.pitch) == ("en-us+m3", 150, 40)
    assert ines is not None and ines.rate == 165 and ines.aliases == ("Inès",)


def test_structured_json_script() -> None:
    script = load("bread.json")
    assert script.title == "Bread at Altitude, the short cut"
    assert said(script) == [("Tomas", "How much yeast do you cut? [pause 500ms]"), ("Inès", "About a quarter."),
                            (None, "That was the short cut.")]  # fmt: skip
    assert chapters(script) == [("Yeast", 1)]


def test_markdown() -> None:
    script = load("night-trains.md")
    assert script.title == "Night Trains of Europe"  # emphasis reduced in the title
    assert script.speakers == ("Mara Lindqvist", "Jörg Bäumler")
    turns = said(script)
    assert turns[0] == (None, "Tonight we talk sleeper trains with a conductor and a travel writer.")
    # `Note:` is prose: it continues the speaker before it; the link stays for the show notes.
    assert turns[2] == ("Jörg Bäumler", "For summer, three months. The [operator's page](https://example.org/trains) "
                        "lists the dates.\n\nNote: prices change every season, so check before you go.")  # fmt: skip
    assert turns[3] == ("Mara Lindqvist", "Good to know. [pause 2s] Next question.")
    assert turns[4] == ("Jörg Bäumler", "Bring earplugs. Really.")
    assert turns[5][0] is None and turns[5][1].endswith("Thanks for listening!")
    assert chapters(script) == [("Booking a berth", 2), ("Sleeping well", 5)]
    reasons = {(s.line, s.reason) for s in script.skipped}
    assert {(3, "HTML comment"), (4, "HTML comment"), (22, "code block"), (23, "code block"),
            (26, "code block")} <= reasons  # fmt: skip
    assert not any("seat 42" in t or "draft" in t or "indented" in t for _, t in turns)


def test_markdown_front_matter_lists_and_quotes() -> None:
    text = "---\ntitle: From the Front\nauthor: me\n---\n\n> **Ann:** Quoted.\n\n- Ben: Listed.\n"
    script = parse_script(text, OPTIONS, name="x.md")
    assert script.title == "From the Front"
    assert said(script) == [("Ann", "Quoted."), ("Ben", "Listed.")]


def test_timestamped_otter_style() -> None:
    script = load("beekeeper-otter.txt")
    assert script.title == "Community Radio Hour, episode 12"
    assert said(script) == [
        ("Priya Raman", "Welcome back. Today the town's beekeeper is with us."),
        ("Óscar Núñez", "Thanks for having me. The hives did well this year. We took almost forty kilos of honey."),
        ("Priya Raman", "Is that a lot? I never know with bees."),
        ("Óscar Núñez", "It is double what we took last year."),  # the speech after a blank line
    ]
    assert [(s.line, s.reason) for s in script.skipped] == [(13, "timestamp")]


def test_timestamped_rev_style() -> None:
    script = load("harbour-rev.txt")
    assert said(script) == [
        ("Priya Raman", "Good evening from the harbour."),
        ("Óscar Núñez", "Evening. The tide is coming in."),
        ("Óscar Núñez", "You can hear the boats knocking together."),
        ("Priya Raman", "Update: we are moving inside because of the rain."),
    ]
    assert not any(re.search(r"\d:\d\d", t) for _, t in said(script))


def test_radio_names_in_capitals_and_honorifics() -> None:
    script = load("morning-desk.txt")
    assert script.title == "MORNING DESK"
    # MR. SMITH is John Smith: the only Smith the transcript names (podrender.input.identity)
    assert script.speakers == ("John Smith", "Dr. Jones")
    assert script.labels["John Smith"] == ("JOHN SMITH", "MR. SMITH", "John Smith")
    assert script.labels["Dr. Jones"] == ("DR. JONES", "DR JONES")
    turns = said(script)
    assert turns[2] == ("John Smith", "The storm closed the port for two days. How does it look now?\n\n"
                        "Update: the ferry timetable was restored after this recording.")  # fmt: skip
    assert [who for who, _ in turns] == ["John Smith", "Dr. Jones", "John Smith", "Dr. Jones", "John Smith",
                                         "John Smith"]  # fmt: skip


def test_q_and_a_map_to_host_and_guest_or_to_voices_yaml_names() -> None:
    script = load("ask-the-gardener.txt")
    assert said(script)[:2] == [("Host", "When should I prune roses?"),
                                ("Guest", "Late winter, just as the buds swell.")]  # fmt: skip
    assert said(script)[-1] == (None, "Warning: lavender sap can irritate the skin.")  # prose after the last label
    config = parse_config("host: Ruth\nqa: {A: Sam}\nspeakers:\n  Ruth: en-us+f3\n  Sam: en-us+m3\n")
    script = load("ask-the-gardener.txt", parse_options(config))
    assert script.speakers == ("Ruth", "Sam")
    config = parse_config("qa: {Q: Lena, A: Marco}\n")
    assert load("ask-the-gardener.txt", parse_options(config)).speakers == ("Lena", "Marco")


def test_play_with_directions_read_by_the_narrator() -> None:
    script = load("lighthouse.txt", parse_options(parse_config("stage_directions: narrator\n")))
    assert script.title == "THE LIGHTHOUSE KEEPERS"
    assert script.speakers == ("Élodie", "Mr. Halvorsen")
    assert said(script) == [
        (None, "ACT I"),
        (None, "SCENE 1. The lamp room, just before dusk."),
        (None, "Wind against the glass. ÉLODIE polishes the lens."),
        (None, "without turning"),
        ("Élodie", "You're late again."),
        ("Mr. Halvorsen", "The boat was late. [pause 1s] Not me."),
        ("Élodie", "Then the boat can climb the stairs."),
        (None, "She hands him a cloth."),
        ("Élodie", "Here."),
        (None, "SCENE 2"),
        ("Mr. Halvorsen", "Did you hear that?"),  # (V.O.) is not part of the name
        ("Élodie", "Only the sea."),
    ]
    assert chapters(script) == [("Act 1", 1), ("Act 1, Scene 1: The lamp room, just before dusk", 2),
                                ("Act 1, Scene 2", 10)]  # fmt: skip
    assert ("CUT TO:", "transition") in {(s.text, s.reason) for s in script.skipped}


def test_play_stage_directions_are_left_out_by_default() -> None:
    script = load("lighthouse.txt")
    assert script.speakers == ("Élodie", "Mr. Halvorsen")
    assert load("lighthouse.txt", parse_options(parse_config("stage_directions: skip\n"))) == script
    assert all(who is not None for who, _ in said(script))
    assert [t for _, t in said(script)][:3] == ["You're late again.", "The boat was late. [pause 1s] Not me.",
                                                 "Then the boat can climb the stairs. Here."]  # the direction left out
    assert chapters(script) == [("Act 1, Scene 1: The lamp room, just before dusk", 1), ("Act 1, Scene 2", 4)]
    reasons = {(s.text, s.reason) for s in script.skipped}
    assert {("ACT I", "scene heading"), ("without turning", "stage direction"),
            ("She hands him a cloth.", "stage direction")} <= reasons  # fmt: skip
    with pytest.raises(ConfigError, match=r"line 1: stage_directions must be one of narrator, skip, not 'loud'"):
        parse_config("stage_directions: loud\n")


def test_webvtt_voice_spans_and_merged_cues() -> None:
    script = load("urban-trees.vtt")
    assert script.title == "Panel on Urban Trees"
    assert said(script) == [
        ("Aiyana Redcloud", "Welcome, everyone, to our panel on urban trees. Let's start with shade."),
        ("Björn Østergaard", "Shade cools a street by several degrees. That is measurable, even at night. [pause 2s]"),
        ("Aiyana Redcloud", "Thank you, Björn & welcome."),
    ]
    assert script.skipped[0].reason == "caption NOTE block"


def test_srt_names_in_cue_text() -> None:
    script = load("night-market.srt")
    assert said(script) == [("Keiko", "Are we recording?"), ("Luis", "We are. Go ahead."),
                            ("Keiko", "Then let's talk about the night market. It opens at eight.")]  # fmt: skip


def test_skip_rules_apply_in_every_format() -> None:
    options = ParseOptions(skip=[re.compile(r"ferry")], qa={"Q": "Host", "A": "Guest"})
    script = load("morning-desk.txt", options)
    assert not any("ferry" in t for _, t in said(script))
    assert any(s.reason.startswith("skip rule") for s in script.skipped)


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("turns:\n  - speaker: Ann\n    txt: hi\n",
         r"x\.yaml line 3: turns item 1: unknown key 'txt' \(did you mean 'text'\?\)"),
        ("turns:\n  - speaker: Ann\n", r"x\.yaml line 2: turns item 1: missing 'text'"),
        ("turns:\n  - narration: hi\n  - pause: 120\n", r"x\.yaml line 3: turns item 2: pause: must be at most 60"),
        ("turns:\n  - pause: soon\n", r"x\.yaml line 2: turns item 1: pause: must be a number, not text"),
        ("turns:\n  - sing: la\n", r"x\.yaml line 2: turns item 1: must be one of: \{speaker: \.\.\., text: \.\.\.\}"),
        ("title: T\nturns: []\n", r"x\.yaml line 2: turns: needs at least 1 item"),
        ("title: T\n", r"x\.yaml line 1: missing 'turns'"),
        ("titel: T\nturns:\n  - narration: hi\n", r"x\.yaml line 1: unknown key 'titel' \(did you mean 'title'\?\)"),
        ("speakers:\n  Ann: {rate: 900}\nturns:\n  - narration: hi\n", r"x\.yaml line 2: speakers 'Ann': rate: must"),
        ("turns:\n  - narration: [unclosed\n", r"x\.yaml line 3: cannot read the script, column 1"),
        ("turns:\n  - narration: !shout hi\n", r"x\.yaml line 2: cannot read a value: could not determine"),
    ],
)
def test_structured_script_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message) as info:
        parse_script(text, OPTIONS, name="x.yaml")
    assert "\n" not in str(info.value)


def test_other_format_errors_name_the_file_and_line() -> None:
    with pytest.raises(ScriptError, match=r"^x\.vtt line 1: a WebVTT file must start with the line WEBVTT"):
        parse_script("00:00:01.000 --> 00:00:02.000\nhi\n", OPTIONS, name="x.vtt")
    with pytest.raises(ScriptError, match=r"^x\.srt line 1: has nothing to say.*\(read as srt\)"):
        parse_script("just words, no cues\n", OPTIONS, name="x.srt")


def test_the_published_schema_is_package_data_and_covers_every_turn_shape() -> None:
    schema = load_schema()
    shapes = [o["required"] for o in schema["properties"]["turns"]["items"]["oneOf"]]
    assert shapes == [["speaker", "text"], ["narration"], ["chapter"], ["pause"]]
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_qa_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"line 1: unknown key 'X' in qa"):
        parse_config("qa: {X: Ann}\n")


# --- pauses -----------------------------------------------------------------------------------------


def test_split_pauses() -> None:
    assert split_pauses("One. [pause 2s] Two. [PAUSE 500ms][pause 1.5 seconds]") == [
        ("One. ", 2000), (" Two. ", 500), ("", 1500), ("", None)]  # fmt: skip
    assert split_pauses("no pause") == [("no pause", None)]
    assert strip_pauses("Why? [pause 2s] Because.") == "Why? Because."
    with pytest.raises(ScriptError, match=r"line 4: cannot read the pause '\[pause long\]'"):
        split_pauses("a [pause long] b", line=4)
    with pytest.raises(ScriptError, match="longer than 60 s"):
        split_pauses("a [pause 90s] b")


def test_captions_with_bracketed_speakers_dialogue_dashes_and_no_speaker_at_all() -> None:
    srt = ("1\n00:00:01,000 --> 00:00:02,000\n[Marta] Is it raining?\n\n"
           "2\n00:00:02,100 --> 00:00:03,000\n- Only a little.\n\n"
           "3\n00:00:03,100 --> 00:00:04,000\n[Ilse] It stopped.\n")  # fmt: skip
    script = parse_script(srt, OPTIONS, name="x.srt")
    assert said(script) == [("Marta", "Is it raining? Only a little."), ("Ilse", "It stopped.")]
    nobody = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nThe wind rose.\n\n00:00:02.000 --> 00:00:03.000\nThen it fell.\n"
    assert said(parse_script(nobody, OPTIONS, name="x.vtt")) == [(None, "The wind rose. Then it fell.")]


def test_fountain_files_are_plays() -> None:
    assert detect("BEA\nHello.\n", "scene.fountain").format == "play"
    script = parse_script("Title: Two Lines\n\nBEA\nHello.\n\nCAL\nGoodbye.\n", OPTIONS, name="scene.fountain")
    assert script.title == "Two Lines"
    assert said(script) == [("Bea", "Hello."), ("Cal", "Goodbye.")]


def test_a_plain_transcript_with_emphasis_is_not_taken_for_markdown() -> None:
    text = "Night Notes\n\n*Recorded live* in the harbour.\n\nAnn: Hello.\n\nBen: Hi.\n"
    assert detect(text, "notes.txt").format == "plain"
    assert detect(text.replace("*Recorded live*", "**Ann:** Recorded live"), "notes.txt").format == "markdown"
