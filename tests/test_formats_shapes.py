"""The shapes real transcripts come in, each rule with a made-up input that fits it and one that must not:
Markdown with front matter, headings, shortcodes, link lines, briefing openings and transcriber's notes;
published plays (Gutenberg front pages, acts and scenes, `NAME.` cues, entrances and exits); mission
transcripts with elapsed times, page and tape markers and glossary markup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import podrender
from podrender.cli.main import cli
from podrender.config import parse_config
from podrender.input.formats import detect, parse_options, parse_script
from podrender.input.formats.play import heading_title
from podrender.input.script import Script
from podrender.speech.chapters import build_chapters

OPTIONS = parse_options(parse_config(""))


def read(text: str, name: str = "talk.md", voices: str = "") -> Script:
    return parse_script(text, parse_options(parse_config(voices)) if voices else OPTIONS, name=name)


def said(script: Script) -> list[tuple[str | None, str]]:
    return [(t.speaker, t.text) for t in script.turns if not t.is_title]


def words(script: Script) -> str:
    return "\n".join(t.text for t in script.turns)


def skipped(script: Script) -> set[tuple[str, str]]:
    return {(s.text, s.reason) for s in script.skipped}


def chapter_titles(script: Script, host: str | None = "Maya") -> list[str]:
    return [c.title for c in build_chapters(script, host, "host")]


# --- Markdown ----------------------------------------------------------------------------------------

FRONT = '''---
date: '2024-04-02'
title: "A Talk About\\_Rivers and\\
  \\ Bridges"
tags:
  - rivers
---
**Maya:** Welcome, Tom.

**Tom:** Thanks for having me.
'''


def test_front_matter_is_not_spoken_and_its_title_is_the_title() -> None:
    script = read(FRONT)
    assert script.title == "A Talk About Rivers and Bridges"  # YAML's escapes and folded lines, as YAML reads them
    assert said(script) == [("Maya", "Welcome, Tom."), ("Tom", "Thanks for having me.")]
    assert "2024" not in words(script) and "rivers\n" not in words(script)
    assert {reason for _, reason in skipped(script)} == {"front matter"}


def test_a_document_without_front_matter_keeps_its_first_lines() -> None:
    script = read("tags: rivers and bridges\n\n**Maya:** Welcome.\n\n**Tom:** Hi.\n")
    assert said(script)[0] == (None, "tags: rivers and bridges")  # no `---`: not front matter


HEADINGS = """# River Talk

## Early days

**Maya:** How did it start?

**Tom:** With a canoe.

## Bridges

**Maya:** What do you build now?

**Tom:** Footbridges.
"""


def test_headings_are_the_chapters_when_a_document_has_them() -> None:
    script = read(HEADINGS)
    assert chapter_titles(script) == ["Early days", "Bridges"]  # not "How did it start?"


def test_host_questions_are_the_chapters_when_a_document_has_no_headings() -> None:
    script = read(HEADINGS.replace("## Early days\n", "").replace("## Bridges\n", ""))
    assert chapter_titles(script) == ["Introduction", "How did it start?", "What do you build now?"]


def test_talk_before_the_first_heading_is_the_introduction_and_a_preface_is_not() -> None:
    spoken_first = read("**Maya:** Hello.\n\n## Bridges\n\n**Maya:** What now?\n\n**Tom:** Footbridges.\n")
    assert chapter_titles(spoken_first) == ["Introduction", "Bridges"]
    preface = read("# River Talk\n\nRecorded by the river.\n\n## Bridges\n\n**Maya:** What now?\n\n**Tom:** Wood.\n")
    assert chapter_titles(preface) == ["Bridges"]


def test_one_heading_late_in_an_interview_joins_the_host_questions() -> None:
    script = read("**Maya:** What is a weir?\n\n**Tom:** A low dam.\n\n## Links\n\n**Maya:** See our site.\n")
    assert chapter_titles(script) == ["What is a weir?", "Links"]


def test_a_bracketed_chapter_marker_still_joins_the_host_questions() -> None:
    text = "Maya: What is a weir?\n\nTom: A low dam.\n\n[chapter: Quick round]\nMaya: Oak or pine?\n\nTom: Oak.\n"
    script = read(text, name="talk.txt")
    assert chapter_titles(script) == ["What is a weir?", "Quick round"]


SHORTCODES = """**Maya:** Here is the map.

{{< figure src="/img/map.png" caption="The river" >}}

{% include signup.html %}

{{< youtube
    id="abc123" >}}

**Tom:** It is {{< rawhtml >}}very{{< /rawhtml >}} old.
"""


def test_hugo_and_jekyll_shortcodes_are_not_spoken() -> None:
    script = read(SHORTCODES)
    assert said(script) == [("Maya", "Here is the map."), ("Tom", "It is very old.")]
    assert "{" not in words(script)
    reasons = [s for s in script.skipped if s.reason == "shortcode"]
    assert len(reasons) >= 5
    assert any("youtube" in s.text for s in reasons) and any(s.text == 'id="abc123" >}}' for s in reasons)


def test_lines_of_links_or_images_are_not_spoken_but_links_in_sentences_are() -> None:
    text = ("# Notes\n\nSlides: <https://example.org/slides.pdf>\n\n"
            "[Video](https://example.org/v) | [Audio](https://example.org/a)\n\n![A bridge](bridge.jpg)\n\n"
            "**Maya:** Read [the report](https://example.org/r) first.\n\n**Tom:** Done.\n")  # fmt: skip
    script = read(text)
    assert said(script) == [("Maya", "Read [the report](https://example.org/r) first."), ("Tom", "Done.")]
    assert {s.reason for s in script.skipped} == {"a line of links or images"}
    assert "Slides" not in script.speakers


def test_details_about_the_event_before_the_talk_are_not_spoken_nor_speakers() -> None:
    script = read("# Weirs\n\nLocation: River Hall\n\n**Maya:** Welcome.\n\n**Tom:** Location: unknown, he said.\n")
    assert script.speakers == ("Maya", "Tom")
    assert ("Location: River Hall", "a detail about the event (before the talk begins)") in skipped(script)
    assert said(script)[-1] == ("Tom", "Location: unknown, he said.")  # once the talk began, it is speech
    note = read("# Weirs\n\nNote: edited for length\n\n**Maya:** Welcome.\n\n**Tom:** Hi.\n")
    assert said(note)[0] == (None, "Note: edited for length")  # a remark to the reader, not a detail of the event


def test_a_bold_label_alone_on_its_line_names_a_section_not_a_speaker() -> None:
    text = ("**Maya:** Tell us how it went.\n\n**Tom:** It went well.\n\n**Getting Started:**\n\nWe had one canoe.\n\n"
            "**Maya:** And then?\n\n**Tom:** Two canoes.\n")  # fmt: skip
    script = read(text)
    assert script.speakers == ("Maya", "Tom")
    assert said(script)[2] == ("Tom", "We had one canoe.")  # the section goes on in Tom's voice
    assert [m.title for m in script.markers] == ["Getting Started"]


def test_a_bold_line_alone_is_a_heading_but_a_bold_question_is_said() -> None:
    text = ("**Maya:** Hello.\n\n**Tom:** Hi.\n\n**Early years**\n\n**Maya:** Where were you born?\n\n"
            "**Tom:** Oslo.\n\n**What came next?**\n\n**Tom:** Rivers.\n\n**This matters.**\n")  # fmt: skip
    script = read(text)
    assert [m.title for m in script.markers] == ["Early years"]
    assert "**What came next?**" in words(script) and "**This matters.**" in words(script)
    assert "Early years" not in words(script)


def test_a_bold_label_inside_one_speakers_long_talk_names_a_section() -> None:
    text = ("**Maya:** How did it go?\n\n**Tom:** Slowly at first.\n\nThen faster.\n\n"
            "**The Second Year:** We built a weir.\n\nIt held.\n\n"
            "**Tom:** And it still does.\n\n**Maya:** Thanks.\n")  # fmt: skip
    script = read(text)
    assert script.speakers == ("Maya", "Tom")
    assert [m.title for m in script.markers] == ["The Second Year"]


def test_a_guest_who_speaks_once_between_the_hosts_turns_is_a_speaker() -> None:
    text = "**Maya:** Let us take a call.\n\n**Caller Jim:** Hi, I love weirs.\n\n**Maya:** Thanks, Jim.\n"
    assert read(text).speakers == ("Maya", "Caller Jim")
    answer = "**Maya:** One two.\n\nThree four?\n\n**Ann Lee:** Yes.\n\n**Maya:** Good.\n"
    assert read(answer).speakers == ("Maya", "Ann Lee")


def test_any_wording_in_bold_is_a_speaker_label() -> None:
    script = read("**Dr. Ann Lee, PhD:** Hello.\n\n**Tom:** Hi.\n")
    assert script.speakers == ("Dr. Ann Lee", "Tom")  # a degree after the comma is a note (who is who)


BRIEFING = """---
title: Briefing on Rivers
---

River Hall, Room 2

10:05 A.M. EDT

MS. LEE:  Good morning.  (Laughter.)  We start at 5:16 P.M. EDT today.

Q    Will the bridge open?

MS. LEE:  Yes.  (Inaudible.)  It will (inaudible) open in May.

Q    When?

MS. LEE:  (Pauses while the aides bring charts to the front of the room and the lights dim.)  Soon.

END  10:40 A.M. EDT
"""


def test_a_briefings_place_time_and_notes_are_not_spoken() -> None:
    script = read(BRIEFING)
    assert script.speakers == ("Ms. Lee", "Host")  # `Q` with no colon is a label; voices.yaml's qa names it
    assert [t.label for t in script.turns if t.speaker] == ["MS. LEE", "Q", "MS. LEE", "Q", "MS. LEE"]
    text = words(script)
    for gone in ("River Hall", "10:05", "10:40", "(Laughter.)", "(Inaudible.)", "(inaudible)"):
        assert gone not in text
    assert "We start at 5:16 P.M. EDT today." in text  # a time inside a sentence is said
    # A long aside in parentheses is the speaker's own words, not a note.
    assert "(Pauses while the aides bring charts to the front of the room and the lights dim.)" in text
    assert "the (U.S.) market" in words(read("**Ann:** It is the (U.S.) market.\n\n**Tom:** Yes.\n"))
    reasons = skipped(script)
    assert ("River Hall, Room 2", "place and time of the briefing") in reasons
    assert ("(Laughter.)", "a transcriber's note") in reasons


def test_transcribers_notes_in_square_brackets_are_not_spoken() -> None:
    # Podcast transcripts write their notes in (escaped) square brackets: `\[laughter\]`, `[crosstalk]`.
    script = read(
        "**Mat:** That is good today. \\[laughter\\]\n\n"
        "**Jon:** Wait [Crosstalk] no, go on. See [music](https://example.org/music) for the list.\n\n"
        "**Mat:** Take a breath [pause 1s] and then [laughs.] go on.\n"
    )
    text = words(script)
    assert "laughter" not in text.lower() and "Crosstalk" not in text and "laughs" not in text
    assert "That is good today." in text and "Wait no, go on." in text
    assert "[music](https://example.org/music)" in text  # a link's text is not a note
    assert "[pause 1s]" in text  # podrender's own pause tag stays
    assert ("\\[laughter\\]", "a transcriber's note") in skipped(script)


def test_one_line_starting_with_q_is_not_a_label() -> None:
    script = read("**Maya:** Welcome.\n\nQ is the letter we study today.\n\n**Tom:** Hi.\n")
    assert "Host" not in script.speakers and "Q is the letter we study today." in words(script)


def test_escaped_timestamps_in_markdown_are_not_spoken() -> None:
    script = read("**Maya:** \\[00:04:11.12\\\\\\] Hello \\#1 fan.\n\n**Tom:** \\[04:06\\] Hi.\n")
    assert said(script) == [("Maya", "Hello #1 fan."), ("Tom", "Hi.")]
    assert {s.reason for s in script.skipped} == {"timestamp"}


def test_page_chrome_in_markdown_is_left_out() -> None:
    script = read("# Rivers\n\n5 min read\n\nFollow\n\n**Maya:** Welcome.\n\n**Tom:** Hi.\n\nGet the Medium app\n")
    assert said(script) == [("Maya", "Welcome."), ("Tom", "Hi.")]
    assert all(s.reason.startswith("page chrome") for s in script.skipped)


def test_page_chrome_in_a_radio_transcript_is_left_out() -> None:
    text = "JOHN SMITH: Good morning.\n\nDR. JONES: Morning.\n\nShare\n\n1.2K claps\n\nJOHN SMITH: Goodbye.\n"
    script = read(text, name="desk.txt")
    assert script.input_format == "radio"
    assert [t for _, t in said(script)] == ["Good morning.", "Morning.", "Goodbye."]
    assert {s.text for s in script.skipped} == {"Share", "1.2K claps"}


# --- plays -------------------------------------------------------------------------------------------

GUTENBERG = """The Project Gutenberg eBook of Two Ferrymen

This eBook is for the use of anyone anywhere.

Title: Two Ferrymen

Author: A. Writer

*** START OF THE PROJECT GUTENBERG EBOOK TWO FERRYMEN ***

TWO FERRYMEN

PERSONS OF THE PLAY

OSWIN, a ferryman
Bea, his sister

THE SCENES

ACT I. The river bank.
ACT II. The ferry.

ACT I

SCENE I. The river bank. Dawn.

 Enter Oswin and Bea.

OSWIN.
The water's high today,
    and the rope is wet.

BEA.
Then row with care. [_Exit._]

OSWIN.
Farewell.

 Exeunt.

SCENE II. The ferry.

BEA.
We cross at noon.

*** END OF THE PROJECT GUTENBERG EBOOK TWO FERRYMEN ***

Section 1. General Terms of Use and Redistributing Project Gutenberg
"""


def test_a_gutenberg_play_is_read_as_a_play() -> None:
    script = read(GUTENBERG, name="ferry.txt")
    assert script.input_format == "play"
    assert script.title == "Two Ferrymen"
    assert script.speakers == ("Oswin", "Bea")  # not "Farewell", not the cast list
    assert said(script) == [("Oswin", "The water's high today, and the rope is wet."), ("Bea", "Then row with care."),
                            ("Oswin", "Farewell."), ("Bea", "We cross at noon.")]  # fmt: skip
    assert [m.title for m in script.markers] == ["Act 1, Scene 1: The river bank. Dawn", "Act 1, Scene 2: The ferry"]
    reasons = {reason for _, reason in skipped(script)}
    assert {"Project Gutenberg header", "Project Gutenberg licence", "stage direction",
            "before the play begins (title page, cast list, contents)", "stage direction (entrance or exit)",
            "scene heading"} <= reasons  # fmt: skip
    assert ("Exit.", "stage direction") in skipped(script)
    assert ("OSWIN, a ferryman", "before the play begins (title page, cast list, contents)") in skipped(script)


def test_a_direction_in_brackets_may_run_over_lines_and_the_speech_goes_on() -> None:
    text = ("FIRST ACT\n\nSCENE\n\nJACK.\nDivorces are made in\nHeaven—[Algernon puts out his hand to take a\n"
            "sandwich.] Please don't. [Takes one.]\n\nALGERNON.\nWhy not?\n")  # fmt: skip
    script = read(text, name="e.txt")
    assert said(script) == [("Jack", "Divorces are made in Heaven— Please don't."), ("Algernon", "Why not?")]
    assert ("Algernon puts out his hand to take a sandwich.", "stage direction") in skipped(script)
    assert not any(s.reason == "label with no text" for s in script.skipped)
    assert [m.title for m in script.markers] == ["Act 1"]


def test_speech_goes_on_after_a_direction_set_apart_by_its_indentation() -> None:
    text = ("ACT II\n\nSCENE II. A garden.\n\n Enter Romeo.\n\nROMEO.\nHe jests at scars.\n\n"
            " Juliet appears above at a window.\n\nBut soft, what light breaks?\nIt is the east.\n\n"
            "JULIET.\nAy me.\n")  # fmt: skip
    script = read(text, name="rj.txt")
    assert said(script) == [("Romeo", "He jests at scars.\n\nBut soft, what light breaks? It is the east."),
                            ("Juliet", "Ay me.")]  # fmt: skip
    assert ("Juliet appears above at a window.", "stage direction") in skipped(script)


def test_without_indentation_to_tell_them_apart_a_paragraph_between_speeches_is_action() -> None:
    text = "SCENE 1. A dock.\n\nMARTA\nYou came back.\n\nShe turns away.\n\nJOHN\nI did.\n"
    script = read(text, name="dock.txt")
    assert said(script) == [("Marta", "You came back."), ("John", "I did.")]
    assert ("She turns away.", "stage direction") in skipped(script)


def test_stage_directions_read_by_the_narrator_when_asked() -> None:
    script = read(GUTENBERG, name="ferry.txt", voices="stage_directions: narrator\n")
    narrated = [text for who, text in said(script) if who is None]
    assert "Enter Oswin and Bea." in narrated and "Exit." in narrated and "Exeunt." in narrated


def test_a_play_without_front_pages_starts_at_once() -> None:
    script = read("\nSCENE III. A kitchen.\n\nANNA.\nIs it ready?\n\nBORIS.\nNearly.\n", name="k.txt")
    assert said(script) == [("Anna", "Is it ready?"), ("Boris", "Nearly.")]
    assert [m.title for m in script.markers] == ["Scene 3: A kitchen"]


@pytest.mark.parametrize(
    ("line", "act", "title"),
    [
        ("ACT I", None, ("Act 1", 1)),
        ("ACT IV. A heath.", 3, ("Act 4: A heath", 4)),
        ("SCENE II. Verona. A street.", 1, ("Act 1, Scene 2: Verona. A street", 1)),
        ("SCENE 12", None, ("Scene 12", None)),
        ("SECOND ACT", None, ("Act 2", 2)),
        ("SCENE", 2, ("Act 2", 2)),
        ("PROLOGUE", None, ("Prologue", None)),
        ("THE PROLOGUE.", None, ("The Prologue", None)),
        ("INT. KITCHEN - NIGHT", 1, ("INT. KITCHEN - NIGHT", 1)),
    ],
)
def test_act_and_scene_headings_are_named_as_a_person_says_them(
    line: str, act: int | None, title: tuple[str, int | None]
) -> None:
    assert heading_title(line, act) == title


def test_an_interview_with_a_line_starting_act_is_not_a_play() -> None:
    text = "Maya: What did you do then?\n\nACT UP was where I started.\n\nTom: Act one of my life, you could say.\n"
    assert detect(text, "talk.txt").format == "plain"
    script = read(text, name="talk.txt")
    assert "ACT UP was where I started." in words(script)
    assert script.markers == ()
    capital_words = "Maya: Hello.\n\nNASA\nsent a letter.\n\nTom: OK.\n"
    assert detect(capital_words, "talk.txt").format != "play"


def test_enter_inside_a_sentence_is_speech() -> None:
    script = read("ACT I\n\nANNA.\nEnter the garden with me, love, and see the roses grow tall.\n\nBORIS.\nNo.\n",
                  name="k.txt")  # fmt: skip
    assert said(script)[0] == ("Anna", "Enter the garden with me, love, and see the roses grow tall.")


# --- mission transcripts -----------------------------------------------------------------------------

MISSION = """[-00:00:00:05]
TWR: 5, 4, 3 --

[00:00:00:02]
_page : 12
_tape : Tape 3/2
CMD: We have lift-off. [glossary:RCS] looks good.

[00:00:01:10]
CAPCOM: Roger. Go for [glossary:MAX Q|max. Q]. See [chapter: Ascent]
     and report.
"""


def test_mission_transcripts_drop_times_and_markers_and_keep_markup_words() -> None:
    script = read(MISSION, name="mission.txt")
    assert script.input_format == "timestamped"
    assert script.labels == {"TWR": ("TWR",), "CMD": ("CMD",), "Capcom": ("CAPCOM",)}  # abbreviations stay
    assert said(script) == [("TWR", "5, 4, 3 --"), ("CMD", "We have lift-off. RCS looks good."),
                            ("Capcom", "Roger. Go for max. Q. See [chapter: Ascent] and report.")]  # fmt: skip
    reasons = skipped(script)
    assert ("_page : 12", "page marker") in reasons and ("_tape : Tape 3/2", "tape marker") in reasons
    assert ("[-00:00:00:05]", "timestamp") in reasons


@pytest.mark.parametrize(
    ("label", "name"),
    [("CDR", "CDR"), ("CAPCOM", "Capcom"), ("MR. SMITH", "Mr. Smith"), ("MEMBERS OF BTS", "Members of BTS"),
     ("THE PRESIDENT", "The President"), ("CAPULET’S COUSIN", "Capulet’s Cousin"), ("LYNN", "Lynn")],
)  # fmt: skip
def test_labels_in_capitals_are_shown_as_a_person_writes_them(label: str, name: str) -> None:
    assert read(f"{label}: Hello.\n\nANN LEE: Hi.\n", name="t.txt").speakers[0] == name


def test_underscored_words_in_ordinary_speech_are_spoken() -> None:
    script = read("[00:01] Maya: my_var is set.\n[00:02] Tom: _page is a word here too?\n", name="t.txt")
    assert said(script)[0] == ("Maya", "my_var is set.")
    assert said(script)[1] == ("Tom", "_page is a word here too?")


# --- inspect lists what is not spoken ----------------------------------------------------------------


def test_inspect_lists_every_line_left_out_with_its_reason() -> None:
    prepared = podrender.prepare(BRIEFING, podrender.parse_config(""), source="briefing.md")
    reasons = {s.reason for s in prepared.script.skipped}
    assert {"front matter", "place and time of the briefing", "a transcriber's note"} <= reasons
    spoken = " ".join(u.text for u in prepared.plan.units)
    assert "Laughter" not in spoken and "River Hall" not in spoken


def test_inspect_shows_the_left_out_lines_of_a_play_and_of_a_mission_log(tmp_path: Path) -> None:
    voices = tmp_path / "voices.yaml"
    voices.write_text("engine: fake\n", encoding="utf-8")
    for name, text, lines in [
        ("ferry.txt", GUTENBERG, ["Enter Oswin and Bea.  (stage direction (entrance or exit))",
                                  "ACT I  (scene heading)", "Title: Two Ferrymen  (Project Gutenberg header)"]),
        ("mission.txt", MISSION, ["_page : 12  (page marker)", "_tape : Tape 3/2  (tape marker)"]),
    ]:  # fmt: skip
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["inspect", str(path), "--voices", str(voices)])
        assert result.exit_code == 0, result.output
        shown = result.output[result.output.index("Not spoken:") :]
        for line in lines:
            assert line in shown, (line, shown)


def test_inspect_counts_a_reason_given_for_many_lines_and_json_lists_them_all(tmp_path: Path) -> None:
    log = "".join(f"[00:00:{i:02d}:00]\nCC: Roger {i}.\n\n" for i in range(20))
    path = tmp_path / "log.txt"
    path.write_text(log + "_page : 2\n", encoding="utf-8")
    voices = tmp_path / "voices.yaml"
    voices.write_text("engine: fake\n", encoding="utf-8")
    shown = CliRunner().invoke(cli, ["inspect", str(path), "--voices", str(voices)]).output
    listed = shown[shown.index("Not spoken:") :]
    assert "line 1: [00:00:00:00]  (timestamp)" in listed and "line 7: [00:00:02:00]  (timestamp)" in listed
    assert "line 10: [00:00:03:00]" not in listed
    assert "  ... and 17 more lines  (timestamp)" in listed
    assert "line 61: _page : 2  (page marker)" in listed
    sheet = json.loads(CliRunner().invoke(cli, ["inspect", str(path), "--voices", str(voices), "--json"]).output)
    assert sum(1 for s in sheet["skipped"] if s["reason"] == "timestamp") == 20
